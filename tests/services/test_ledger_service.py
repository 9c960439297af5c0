"""Ledger use cases against real SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crowdset.errors import IdempotencyConflict, InsufficientFunds, InvalidInput, NotFound
from crowdset.services import ledger
from crowdset.services.context import Context


def test_stake_and_unstake_move_between_available_and_staked(
    ctx: Context, make_user: Callable[..., int]
) -> None:
    worker = make_user(credits=1_000)
    ledger.stake(ctx, worker, 600)
    ledger.unstake(ctx, worker, 100)
    found = ledger.balances(ctx, worker)
    assert (found.available, found.staked, found.locked, found.total) == (500, 500, 0, 1_000)
    assert ledger.verify(ctx).ok


def test_unstake_cannot_touch_locked_stake(ctx: Context, make_user: Callable[..., int]) -> None:
    from crowdset.core import ledger as rules

    worker = make_user(credits=100)
    ledger.stake(ctx, worker, 100)
    ledger.record(ctx, rules.lock(worker, 80), actor_id=None)
    with pytest.raises(InsufficientFunds, match=f"user:{worker}:staked holds 20"):
        ledger.unstake(ctx, worker, 50)
    assert ledger.balances(ctx, worker).stake_weight_basis == 100


def test_overdraft_is_refused_and_nothing_moves(
    ctx: Context, make_user: Callable[..., int]
) -> None:
    worker = make_user(credits=10)
    with pytest.raises(InsufficientFunds):
        ledger.withdraw(ctx, worker, 11)
    assert ledger.balances(ctx, worker).available == 10
    assert ledger.verify(ctx).transactions == 1


def test_same_idempotency_key_moves_money_once(ctx: Context, make_user: Callable[..., int]) -> None:
    worker = make_user(credits=100)
    first = ledger.stake(ctx, worker, 30, idempotency_key="k-1")
    again = ledger.stake(ctx, worker, 30, idempotency_key="k-1")
    assert (again.seq, again.replayed, first.replayed) == (first.seq, True, False)
    assert ledger.balances(ctx, worker).staked == 30
    with pytest.raises(IdempotencyConflict):
        ledger.stake(ctx, worker, 31, idempotency_key="k-1")


def test_idempotency_keys_are_scoped_to_the_caller(
    ctx: Context, make_user: Callable[..., int]
) -> None:
    one, two = make_user(credits=50), make_user(credits=50)
    ledger.stake(ctx, one, 10, idempotency_key="same")
    ledger.stake(ctx, two, 10, idempotency_key="same")
    assert ledger.balances(ctx, two).staked == 10


def test_issue_to_unknown_user_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFound, match="no user has id 999"):
        ledger.issue_credits(ctx, None, 999, 10)


def test_history_is_newest_first_and_pages(ctx: Context, make_user: Callable[..., int]) -> None:
    worker = make_user(credits=100)
    for amount in (1, 2, 3):
        ledger.stake(ctx, worker, amount)
    page = ledger.history(ctx, worker, limit=2)
    assert [tx.kind for tx in page] == ["stake", "stake"]
    assert page[0].seq > page[1].seq
    rest = ledger.history(ctx, worker, limit=10, before_seq=page[-1].seq)
    assert [tx.kind for tx in rest] == ["stake", "issue"]
    with pytest.raises(InvalidInput, match="limit 0"):
        ledger.history(ctx, worker, limit=0)
