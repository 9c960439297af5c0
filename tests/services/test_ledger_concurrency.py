"""32 threads × 500 random money movements on shared accounts, on PostgreSQL (SPEC §1).

Each thread keeps the drafts that were accepted; at the end the cached balances must equal the
sum of exactly those drafts (a lost update would break it), the chain must verify, and no
thread may have died of a deadlock or serialization error (the unit of work retries those)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import text

from crowdset.core import ledger as rules
from crowdset.errors import InsufficientFunds
from crowdset.services import ledger
from crowdset.services.context import Context
from crowdset.settings import Settings

THREADS = 32
OPERATIONS = 500

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # one connection per thread: this test is about the ledger's locks, not the pool's queue
    # (a busy CI machine made threads wait past the pool timeout and answer 503)
    return settings.model_copy(update={"database_pool_size": THREADS, "database_max_overflow": 0})


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_money_movements_lose_nothing(
    ctx: Context, make_user: Callable[..., int]
) -> None:
    users = [make_user(credits=5_000) for _ in range(6)]
    campaign = 1
    accepted: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    failures: list[BaseException] = []
    guard = threading.Lock()

    def operation(rng: random.Random) -> rules.TransactionDraft:
        user, other = rng.sample(users, 2)
        amount = rng.randint(1, 400)
        choice = rng.randrange(6)
        if choice == 0:
            return rules.stake(user, amount)
        if choice == 1:
            return rules.unstake(user, amount)
        if choice == 2:
            return rules.lock(user, amount)
        if choice == 3:
            return rules.unlock(user, amount)
        if choice == 4:
            return rules.fund_escrow(user, campaign, amount)  # a transfer: user → escrow
        return rules.pay(campaign, other, amount, fee=amount // 10)  # escrow → user (+ fee)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: Counter[str] = Counter()
        try:
            for _ in range(OPERATIONS):
                draft = operation(rng)
                try:
                    ledger.record(ctx, draft, actor_id=None)
                except InsufficientFunds:
                    with guard:
                        refused[draft.kind.value] += 1
                    continue
                for posting in draft.postings:
                    mine[posting.account.key] += posting.amount
        except BaseException as error:  # recorded and asserted below
            failures.append(error)
        with guard:
            accepted.update(mine)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert failures == []
    assert not any(thread.is_alive() for thread in threads)
    report = ledger.verify(ctx)
    assert report.ok, report.problems[:5]
    assert report.transactions == 6 + THREADS * OPERATIONS - sum(refused.values())
    ledger.seal(ctx)  # folds the platform accounts' pending deltas into the cache (0006)
    with ctx.db.engine.connect() as connection:
        cached: dict[str, int] = dict(
            connection.execute(text("SELECT key, balance FROM ledger_accounts")).all()
        )
    issued = {f"user:{u}:available": 5_000 for u in users}
    expected = Counter(issued) + Counter()
    expected.update(accepted)
    expected["platform:issuance"] = -5_000 * len(users)
    assert {k: v for k, v in cached.items() if v} == {k: v for k, v in expected.items() if v}
