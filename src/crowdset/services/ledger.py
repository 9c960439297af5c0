"""Ledger use cases: issuance, the simulated payment rails, staking, balances, verification.

Every money-moving call takes an ``idempotency_key``: the same key with the same request returns
the first transaction (``replayed=True``) instead of moving money again; the same key with a
different request is refused. Keys are scoped to the caller.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crowdset.core import ledger
from crowdset.core.ledger import (
    AccountKind,
    OwnerKind,
    Seal,
    TransactionDraft,
    VerificationReport,
)
from crowdset.errors import InvalidInput, NotFound
from crowdset.services.context import Context
from crowdset.services.generation import require_no_work_under_review
from crowdset.services.idempotency import scoped_key as _scoped_key
from crowdset.storage import ledger_store, users_store
from crowdset.storage.ledger_store import PostedTransaction


@dataclass(frozen=True)
class Balances:
    available: int
    staked: int
    locked: int
    deposit: int
    pending: int = 0  # earned, not yet released (SPEC §6.3): not in ``total`` until released

    @property
    def stake_weight_basis(self) -> int:
        """Locked stake still counts for selection (SPEC §1 lock rule)."""
        return self.staked + self.locked

    @property
    def total(self) -> int:
        return self.available + self.staked + self.locked + self.deposit


def _fingerprint(draft: TransactionDraft, actor_id: int | None) -> str:
    parts = [draft.kind.value, str(actor_id), draft.memo]
    parts += [f"{p.account.key}={p.amount}" for p in draft.postings]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def post_in(
    session: Session,
    ctx: Context,
    draft: TransactionDraft,
    *,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> PostedTransaction:
    """Post one transaction inside the caller's unit of work (``replayed`` tells a retry)."""
    return ledger_store.post(
        session,
        draft,
        now=ctx.now(),
        actor_id=actor_id,
        idempotency_key=_scoped_key(actor_id, idempotency_key),
        fingerprint=_fingerprint(draft, actor_id),
    )


def record(
    ctx: Context,
    draft: TransactionDraft,
    *,
    actor_id: int | None,
    idempotency_key: str | None = None,
    precondition: Callable[[Session], None] | None = None,
) -> PostedTransaction:
    """Post one transaction in its own unit of work, after ``precondition`` (a rule that must
    hold in the same transaction) passes."""
    _scoped_key(actor_id, idempotency_key)  # a bad key is refused before any work

    def work(session: Session) -> PostedTransaction:
        if precondition is not None:
            precondition(session)
        return post_in(session, ctx, draft, actor_id=actor_id, idempotency_key=idempotency_key)

    return ctx.db.run(work)


def _require_user(ctx: Context, user_id: int) -> None:
    def work(session: Session) -> bool:
        return users_store.user_by_id(session, user_id) is not None

    if not ctx.db.run(work, readonly=True):
        raise NotFound(f"no user has id {user_id}", user_id=user_id)


def issue_credits(
    ctx: Context,
    operator_id: int | None,
    user_id: int,
    amount: int,
    *,
    memo: str = "",
    idempotency_key: str | None = None,
) -> PostedTransaction:
    _require_user(ctx, user_id)
    return record(
        ctx,
        ledger.issue(user_id, amount, memo),
        actor_id=operator_id,
        idempotency_key=idempotency_key,
    )


def deposit(
    ctx: Context, user_id: int, amount: int, *, idempotency_key: str | None = None
) -> PostedTransaction:
    """Top up from the simulated payment rail (no real money moves in this build)."""
    return record(
        ctx, ledger.deposit(user_id, amount), actor_id=user_id, idempotency_key=idempotency_key
    )


def withdraw(
    ctx: Context, user_id: int, amount: int, *, idempotency_key: str | None = None
) -> PostedTransaction:
    """Pay out to the simulated payment rail (no real money moves in this build)."""
    return record(
        ctx, ledger.withdraw(user_id, amount), actor_id=user_id, idempotency_key=idempotency_key
    )


def stake(
    ctx: Context, user_id: int, amount: int, *, idempotency_key: str | None = None
) -> PostedTransaction:
    return record(
        ctx, ledger.stake(user_id, amount), actor_id=user_id, idempotency_key=idempotency_key
    )


def unstake(
    ctx: Context, user_id: int, amount: int, *, idempotency_key: str | None = None
) -> PostedTransaction:
    """Only unlocked stake comes back; locked stake waits for the worker's streak, and stake
    stays bonded while the worker's answers await validation."""
    return record(
        ctx,
        ledger.unstake(user_id, amount),
        actor_id=user_id,
        idempotency_key=idempotency_key,
        precondition=lambda session: require_no_work_under_review(session, user_id),
    )


def balances(ctx: Context, user_id: int) -> Balances:
    def work(session: Session) -> Balances:
        found = ledger_store.balances(session, OwnerKind.USER.value, user_id)
        return Balances(
            available=found.get(AccountKind.AVAILABLE.value, 0),
            staked=found.get(AccountKind.STAKED.value, 0),
            locked=found.get(AccountKind.LOCKED.value, 0),
            deposit=found.get(AccountKind.DEPOSIT.value, 0),
            pending=found.get(AccountKind.PENDING.value, 0),
        )

    return ctx.db.run(work, readonly=True)


def platform_balances(ctx: Context) -> dict[str, int]:
    def work(session: Session) -> dict[str, int]:
        return ledger_store.balances(session, OwnerKind.PLATFORM.value, None)

    return ctx.db.run(work, readonly=True)


def history(
    ctx: Context, user_id: int, *, limit: int = 50, before_seq: int | None = None
) -> list[PostedTransaction]:
    if not 1 <= limit <= 500:
        raise InvalidInput(f"limit {limit} must be between 1 and 500", field="limit")

    def work(session: Session) -> list[PostedTransaction]:
        return ledger_store.history(
            session, OwnerKind.USER.value, user_id, limit=limit, before_seq=before_seq
        )

    return ctx.db.run(work, readonly=True)


def verify(ctx: Context) -> VerificationReport:
    """Recompute every stream's hash chain, the seals and every balance from the postings
    (SPEC §1; decision record 0006)."""

    def work(session: Session) -> VerificationReport:
        cached = ledger_store.cached_balances(session)
        heads = ledger_store.stream_heads(session)
        seal_head = ledger_store.recorded_head(session)
        seals = list(ledger_store.iter_seals(session))
        return ledger.verify_chain(
            ledger_store.iter_chain(session),
            cached,
            stream_heads=heads,
            seals=seals,
            recorded_seal=seal_head,
        )

    return ctx.db.run(work, readonly=True)


def seal(ctx: Context) -> Seal | None:
    """Anchor every stream head that moved into the global chain of seals, and fold the
    platform accounts' pending balance deltas (decision record 0006). ``None``: nothing new."""
    return ctx.db.run(lambda session: ledger_store.seal(session, now=ctx.now()))
