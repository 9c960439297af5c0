"""A Hypothesis state machine drives random ledger operations through the real service layer
and checks the SPEC §1 invariants after every step."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import create_engine, text

from crowdset.core import ledger as rules
from crowdset.errors import InsufficientFunds
from crowdset.services import accounts, ledger
from crowdset.services.context import Context, open_context
from crowdset.settings import Settings
from crowdset.storage import migrate

USERS = 3
amounts = st.integers(min_value=1, max_value=500)
users = st.integers(min_value=0, max_value=USERS - 1)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(self.folder.name) / 'ledger.db'}"
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        self.ctx: Context = open_context(Settings(database_url=url))
        self.users = [
            accounts.create_user(
                self.ctx, email=f"u{i}@t.org", password="correct horse", role="worker"
            ).id
            for i in range(USERS)
        ]
        self.campaign = 1
        self.requester = self.users[0]
        self.escrow = 0

    def teardown(self) -> None:
        self.ctx.db.dispose()
        self.folder.cleanup()

    def _try(self, draft: rules.TransactionDraft) -> None:
        # A refused draft is refused whole: the invariants below check that nothing moved.
        with contextlib.suppress(InsufficientFunds):
            ledger.record(self.ctx, draft, actor_id=None)

    @rule(user=users, amount=amounts)
    def issue(self, user: int, amount: int) -> None:
        self._try(rules.issue(self.users[user], amount))

    @rule(user=users, amount=amounts)
    def stake(self, user: int, amount: int) -> None:
        self._try(rules.stake(self.users[user], amount))

    @rule(user=users, amount=amounts)
    def unstake(self, user: int, amount: int) -> None:
        self._try(rules.unstake(self.users[user], amount))

    @rule(user=users, amount=amounts)
    def lock(self, user: int, amount: int) -> None:
        self._try(rules.lock(self.users[user], amount))

    @rule(user=users, amount=amounts)
    def unlock(self, user: int, amount: int) -> None:
        self._try(rules.unlock(self.users[user], amount))

    @rule(user=users, amount=amounts)
    def forfeit(self, user: int, amount: int) -> None:
        self._try(rules.forfeit(self.users[user], amount))

    @rule(amount=amounts)
    def fund_escrow(self, amount: int) -> None:
        self._try(rules.fund_escrow(self.requester, self.campaign, amount))

    @rule(user=users, amount=amounts, fee=st.integers(min_value=0, max_value=20))
    def pay(self, user: int, amount: int, fee: int) -> None:
        self._try(rules.pay(self.campaign, self.users[user], amount, fee))

    @rule(amount=amounts)
    def refund(self, amount: int) -> None:
        self._try(rules.refund(self.campaign, self.requester, amount))

    @rule(user=users, amount=amounts)
    def deposit_cycle(self, user: int, amount: int) -> None:
        self._try(rules.hold_deposit(self.users[user], amount))
        self._try(rules.release_deposit(self.users[user], amount // 2 or 1))
        self._try(rules.forfeit_deposit(self.users[user], amount // 3 or 1))

    @precondition(lambda self: True)
    @invariant()
    def invariants_hold(self) -> None:
        report = ledger.verify(self.ctx)  # sums to zero, links, cached == recomputed
        assert report.ok, report.problems
        with self.ctx.db.engine.connect() as connection:
            negatives = connection.execute(
                text("SELECT key, balance FROM ledger_accounts WHERE balance < 0")
            ).all()
            sums = connection.execute(
                text(
                    "SELECT transaction_seq, SUM(amount) FROM ledger_postings "
                    "GROUP BY transaction_seq HAVING SUM(amount) <> 0"
                )
            ).all()
            derived: dict[str, int] = dict(
                connection.execute(
                    text(
                        "SELECT a.key, COALESCE(SUM(p.amount), 0) FROM ledger_accounts a "
                        "LEFT JOIN ledger_postings p ON p.account_id = a.id GROUP BY a.key"
                    )
                ).all()
            )
            cached: dict[str, int] = dict(
                connection.execute(text("SELECT key, balance FROM ledger_accounts")).all()
            )
        assert all(key == "platform:issuance" for key, _ in negatives), negatives
        assert sums == []
        assert cached == derived


LedgerMachine.TestCase.settings = hypothesis_settings(
    max_examples=25, stateful_step_count=25, deadline=None
)
TestLedgerMachine = LedgerMachine.TestCase
