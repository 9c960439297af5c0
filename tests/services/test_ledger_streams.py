"""Ledger streams and seals (decision record 0006), on SQLite and PostgreSQL: payments of two
campaigns land in two streams, a seal anchors both, and ``ledger verify`` still catches what
the single chain caught, plus a deleted sealed tail and an edited seal. On PostgreSQL, a
payment of one campaign goes through while another campaign's payment holds its locks open,
and a second payment of the same campaign waits (the serial point is the campaign)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crowdset.core import ledger as rules
from crowdset.services import ledger
from crowdset.services.context import Context
from crowdset.storage import ledger_store


@pytest.fixture
def two_campaigns(ctx: Context, make_user: Callable[..., int]) -> tuple[int, int, int]:
    """A requester funds the escrows of campaigns 1 and 2; returns (requester, worker a, b)."""
    requester = make_user("requester", credits=10_000)
    for campaign in (1, 2):
        ledger.record(ctx, rules.fund_escrow(requester, campaign, 4_000), actor_id=requester)
    return requester, make_user(), make_user()


def test_each_campaign_is_a_stream_and_a_seal_anchors_them(
    ctx: Context, two_campaigns: tuple[int, int, int]
) -> None:
    _, a, b = two_campaigns
    ledger.record(ctx, rules.pay(1, a, 100, fee=10), actor_id=None)
    ledger.record(ctx, rules.pay(2, b, 200, fee=20), actor_id=None)
    report = ledger.verify(ctx)
    assert report.ok, report.problems
    assert (report.seals, report.unsealed, report.streams) == (0, 5, 3)  # requester, 1, 2
    seal = ledger.seal(ctx)
    assert seal is not None
    assert {stream for stream, _, _ in seal.heads} == {"user:1", "campaign:1", "campaign:2"}
    assert ledger.seal(ctx) is None  # nothing moved since
    report = ledger.verify(ctx)
    assert report.ok, report.problems
    assert (report.seals, report.unsealed, report.head_hash) == (1, 0, seal.hash)
    assert ledger.platform_balances(ctx)["fees"] == 30


def _tamper(ctx: Context, *statements: str) -> None:
    with ctx.db.engine.begin() as connection:
        for statement in statements:
            assert connection.execute(text(statement)).rowcount >= 1, statement


def test_deleting_a_sealed_tail_and_rewinding_its_stream_is_caught(
    ctx: Context, two_campaigns: tuple[int, int, int]
) -> None:
    _, a, _ = two_campaigns
    ledger.record(ctx, rules.pay(1, a, 100), actor_id=None)
    ledger.seal(ctx)
    last = ctx.db.run(
        lambda s: s.execute(text("SELECT max(seq) FROM ledger_transactions")).scalar_one(),
        readonly=True,
    )
    prev = ctx.db.run(
        lambda s: s.execute(
            text("SELECT prev_hash FROM ledger_transactions WHERE seq = :s"), {"s": last}
        ).scalar_one(),
        readonly=True,
    )
    _tamper(  # a forger who also rewinds the stream head and the balances
        ctx,
        f"DELETE FROM ledger_postings WHERE transaction_seq = {last}",
        f"DELETE FROM ledger_transactions WHERE seq = {last}",
        f"UPDATE ledger_streams SET last_seq = last_seq - 1, last_hash = '{prev}' "
        "WHERE stream = 'campaign:1'",
        f"UPDATE ledger_accounts SET balance = balance - 100 WHERE key = 'user:{a}:available'",
        "UPDATE ledger_accounts SET balance = balance + 100 WHERE key = 'campaign:1:escrow'",
    )
    report = ledger.verify(ctx)
    assert not report.ok
    assert any("seal 1 anchors campaign:1" in p and "missing" in p for p in report.problems)


def test_an_edited_seal_is_caught(ctx: Context, two_campaigns: tuple[int, int, int]) -> None:
    ledger.seal(ctx)
    _tamper(ctx, "UPDATE ledger_seal_heads SET stream_seq = stream_seq + 1 WHERE id = 1")
    report = ledger.verify(ctx)
    assert any("seal 1: hash does not match" in p for p in report.problems)


def test_an_edited_transaction_is_named_in_its_stream(
    ctx: Context, two_campaigns: tuple[int, int, int]
) -> None:
    _, a, b = two_campaigns
    ledger.record(ctx, rules.pay(1, a, 100), actor_id=None)
    ledger.record(ctx, rules.pay(2, b, 100), actor_id=None)
    _tamper(ctx, "UPDATE ledger_transactions SET memo = 'x' WHERE seq = 3")
    report = ledger.verify(ctx)
    assert report.first_bad_seq == 3


def _pay_and_hold(ctx: Context, draft: rules.TransactionDraft) -> Session:
    session = Session(ctx.db.engine)
    ledger_store.post(session, draft, now=ctx.now())
    return session  # the transaction stays open, its locks held, until the caller ends it


def _pay_elsewhere(ctx: Context, draft: rules.TransactionDraft) -> BaseException | None:
    """Posts ``draft`` in another thread, giving up on any lock held longer than 3 s."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        with Session(ctx.db.engine) as session:
            try:
                session.execute(text("SET LOCAL lock_timeout = '3s'"))
                ledger_store.post(session, draft, now=ctx.now())
                session.commit()
                outcome.append(None)
            except BaseException as error:  # handed to the test
                session.rollback()
                outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert outcome, "the second payment neither finished nor timed out"
    return outcome[0]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_campaigns_payments_do_not_serialise_on_one_row(
    ctx: Context, two_campaigns: tuple[int, int, int]
) -> None:
    _, a, b = two_campaigns
    for campaign, worker in ((1, a), (2, b)):  # every account exists (a new one is created once)
        ledger.record(ctx, rules.pay(campaign, worker, 1, fee=1), actor_id=None)
    held = _pay_and_hold(ctx, rules.pay(1, a, 100, fee=10))  # fees credited, locks held
    try:
        assert _pay_elsewhere(ctx, rules.pay(2, b, 200, fee=20)) is None
        same_campaign = _pay_elsewhere(ctx, rules.pay(1, b, 50, fee=5))
        assert isinstance(same_campaign, OperationalError)
        assert "lock timeout" in str(same_campaign)
    finally:
        held.commit()
        held.close()
    report = ledger.verify(ctx)
    assert report.ok, report.problems
    assert report.transactions == 7  # 1 issue, 2 escrows, 2 + 2 payments
    assert ledger.platform_balances(ctx)["fees"] == 32
    ledger.seal(ctx)
    report = ledger.verify(ctx)
    assert (report.ok, report.unsealed) == (True, 0)
    with ctx.db.engine.connect() as connection:  # the fold moved the deltas into the cache
        fees = connection.execute(
            text("SELECT balance FROM ledger_accounts WHERE key = 'platform:fees'")
        ).scalar_one()
    assert fees == 32


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_one_key_sent_twice_at_once_moves_money_once(
    ctx: Context, make_user: Callable[..., int]
) -> None:
    worker = make_user(credits=1_000)
    start = threading.Barrier(8)
    posted: list[ledger_store.PostedTransaction] = []

    def stake() -> None:
        start.wait()
        posted.append(ledger.stake(ctx, worker, 100, idempotency_key="same-click"))

    threads = [threading.Thread(target=stake) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(posted) == 8
    assert len({tx.seq for tx in posted}) == 1
    assert sorted(tx.replayed for tx in posted) == [False] + [True] * 7
    assert ledger.balances(ctx, worker).staked == 100
