"""Recording ledger transactions and reading them back. Never commits: services do.

Appends are serialised by locking the single ``ledger_head`` row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite writers already queue on ``BEGIN IMMEDIATE``). Under that lock the next
``seq`` is gap-free, the idempotency key is checked race-free and cached balances cannot be
updated by anyone else, so no update is ever lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crowdset.core import ledger
from crowdset.core.ledger import AccountRef, ChainedTransaction, TransactionDraft
from crowdset.errors import IdempotencyConflict
from crowdset.storage.models import LedgerAccount, LedgerHead, LedgerPosting, LedgerTransaction


@dataclass(frozen=True)
class PostedTransaction:
    seq: int
    kind: str
    memo: str
    created_at: datetime
    postings: tuple[tuple[str, int], ...]
    hash: str
    replayed: bool = False  # True when an idempotency key returned an earlier transaction


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _view(tx: LedgerTransaction, replayed: bool = False) -> PostedTransaction:
    return PostedTransaction(
        seq=tx.seq,
        kind=tx.kind,
        memo=tx.memo,
        created_at=tx.created_at,
        postings=tuple((p.account.key, p.amount) for p in tx.postings),
        hash=tx.hash,
        replayed=replayed,
    )


def _lock_head(session: Session) -> LedgerHead:
    return session.execute(
        select(LedgerHead).where(LedgerHead.id == 1).with_for_update()
    ).scalar_one()


def _accounts(session: Session, refs: Sequence[AccountRef]) -> dict[AccountRef, LedgerAccount]:
    """The accounts named by ``refs``, created at balance 0 when new (only under the head lock)."""
    keys = {ref.key: ref for ref in refs}
    found = {
        row.key: row
        for row in session.execute(
            select(LedgerAccount).where(LedgerAccount.key.in_(keys))
        ).scalars()
    }
    out: dict[AccountRef, LedgerAccount] = {}
    for key, ref in keys.items():
        row = found.get(key)
        if row is None:
            row = LedgerAccount(
                key=key,
                owner_kind=ref.owner.value,
                owner_id=ref.owner_id,
                kind=ref.kind.value,
                balance=0,
            )
            session.add(row)
        out[ref] = row
    session.flush()
    return out


def post(
    session: Session,
    draft: TransactionDraft,
    *,
    now: datetime,
    actor_id: int | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> PostedTransaction:
    """Append ``draft`` to the chain, or return the earlier transaction with the same key.

    Raises ``InsufficientFunds`` when an account other than issuance would go negative, and
    ``IdempotencyConflict`` when the key was used for a different request.
    """
    head = _lock_head(session)
    if idempotency_key is not None:
        earlier = session.execute(
            select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if earlier is not None:
            if earlier.request_fingerprint != fingerprint:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different request: "
                    "send a new key for a new operation",
                    seq=earlier.seq,
                )
            return _view(earlier, replayed=True)

    deltas = draft.deltas()
    rows = _accounts(session, sorted(deltas))
    after = ledger.apply({ref: row.balance for ref, row in rows.items()}, draft)

    seq = head.last_seq + 1
    chained = ChainedTransaction(
        seq=seq,
        kind=draft.kind.value,
        memo=draft.memo,
        created_at=iso(now),
        actor_id=actor_id,
        idempotency_key=idempotency_key,
        postings=tuple((p.account.key, p.amount) for p in draft.postings),
        prev_hash=head.last_hash,
    )
    digest = chained.compute_hash()
    tx = LedgerTransaction(
        seq=seq,
        kind=chained.kind,
        memo=chained.memo,
        actor_id=actor_id,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        created_at=now,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(tx)
    session.flush()
    for posting in draft.postings:
        session.add(
            LedgerPosting(
                transaction_seq=seq, account_id=rows[posting.account].id, amount=posting.amount
            )
        )
    for ref, balance in after.items():
        rows[ref].balance = balance
    head.last_seq, head.last_hash = seq, digest
    session.flush()
    return PostedTransaction(
        seq=seq,
        kind=chained.kind,
        memo=chained.memo,
        created_at=now,
        postings=chained.postings,
        hash=digest,
    )


def balances(session: Session, owner_kind: str, owner_id: int | None) -> dict[str, int]:
    """Cached balances of one owner's accounts, by account kind."""
    rows = session.execute(
        select(LedgerAccount.kind, LedgerAccount.balance).where(
            LedgerAccount.owner_kind == owner_kind,
            LedgerAccount.owner_id == owner_id
            if owner_id is not None
            else LedgerAccount.owner_id.is_(None),
        )
    )
    return dict(rows.all())


def balance_of(session: Session, ref: AccountRef) -> int:
    value = session.execute(
        select(LedgerAccount.balance).where(LedgerAccount.key == ref.key)
    ).scalar_one_or_none()
    return value or 0


def history(
    session: Session, owner_kind: str, owner_id: int, *, limit: int, before_seq: int | None
) -> list[PostedTransaction]:
    """Newest first: transactions touching any account of one owner."""
    touching = (
        select(LedgerPosting.transaction_seq)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerAccount.owner_kind == owner_kind, LedgerAccount.owner_id == owner_id)
    )
    query = (
        select(LedgerTransaction)
        .where(LedgerTransaction.seq.in_(touching))
        .options(selectinload(LedgerTransaction.postings).selectinload(LedgerPosting.account))
    )
    if before_seq is not None:
        query = query.where(LedgerTransaction.seq < before_seq)
    query = query.order_by(LedgerTransaction.seq.desc()).limit(limit)
    return [_view(tx) for tx in session.execute(query).scalars()]


def iter_chain(session: Session, batch: int = 2000) -> Iterator[ChainedTransaction]:
    """Every transaction in ``seq`` order with its postings, read in batches."""
    last = 0
    while True:
        txs = list(
            session.execute(
                select(LedgerTransaction)
                .where(LedgerTransaction.seq > last)
                .order_by(LedgerTransaction.seq)
                .limit(batch)
            ).scalars()
        )
        if not txs:
            return
        seqs = [tx.seq for tx in txs]
        postings: dict[int, list[tuple[str, int]]] = {seq: [] for seq in seqs}
        for seq, key, amount in session.execute(
            select(LedgerPosting.transaction_seq, LedgerAccount.key, LedgerPosting.amount)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(LedgerPosting.transaction_seq.between(seqs[0], seqs[-1]))
        ):
            postings.setdefault(seq, []).append((key, amount))
        for tx in txs:
            yield ChainedTransaction(
                seq=tx.seq,
                kind=tx.kind,
                memo=tx.memo,
                created_at=iso(tx.created_at),
                actor_id=tx.actor_id,
                idempotency_key=tx.idempotency_key,
                postings=tuple(postings.get(tx.seq, ())),
                prev_hash=tx.prev_hash,
                hash=tx.hash,
            )
        last = seqs[-1]
        session.expunge_all()  # keep memory flat on long chains


def cached_balances(session: Session) -> dict[str, int]:
    return dict(session.execute(select(LedgerAccount.key, LedgerAccount.balance)).all())


def recorded_head(session: Session) -> tuple[int, str]:
    head = session.execute(select(LedgerHead).where(LedgerHead.id == 1)).scalar_one()
    return head.last_seq, head.last_hash


def transaction_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(LedgerTransaction)).scalar_one()
