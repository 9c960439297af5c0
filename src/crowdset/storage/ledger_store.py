"""Recording ledger transactions and reading them back. Never commits: services do.

Decision record 0006: there is no single row every payment locks. A transaction is chained in
its *stream* (``core.ledger.stream_of``: its campaign, else its user) and appending locks that
stream's row in ``ledger_streams`` and the rows of the accounts it moves, in key order. So
payments of different campaigns append in parallel; the global ``seq`` comes from a
PostgreSQL sequence (unique and increasing within a stream, with gaps where a transaction
rolled back). Idempotency keys are checked under a transaction-scoped advisory lock on the
key. On PostgreSQL the platform accounts (``fees``, ``issuance``, ``fines``, ``reserve``), which
nearly every payment credits, are not updated in place: each posting inserts a row in
``ledger_balance_deltas`` that ``seal`` folds in later (a debit locks the account and counts
them). ``seal`` anchors the heads of every stream that moved into the global chain of seals,
under the ``ledger_head`` row, which only it locks. SQLite has one writer at a time
(``BEGIN IMMEDIATE``) and updates every balance in place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from crowdset.core import ledger
from crowdset.core.ledger import (
    GENESIS_HASH,
    AccountRef,
    ChainedTransaction,
    OwnerKind,
    Seal,
    TransactionDraft,
)
from crowdset.errors import IdempotencyConflict
from crowdset.storage.models import (
    LedgerAccount,
    LedgerBalanceDelta,
    LedgerHead,
    LedgerPosting,
    LedgerSeal,
    LedgerSealHead,
    LedgerStream,
    LedgerTransaction,
)

SEQUENCE = "ledger_transaction_seq"  # PostgreSQL; SQLite takes max(seq) + 1 under its lock
SEAL_EVERY = 256  # a writer whose seq is a multiple of this seals, unless a seal is running


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


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert_ignoring_duplicates(
    session: Session, table: type, rows: list[dict[str, object]], unique: str
) -> None:
    """Insert ``rows``, skipping those whose ``unique`` column is taken (another writer made
    them first); any other conflict still raises."""
    insert = pg_insert if _postgres(session) else sqlite_insert
    session.execute(insert(table).values(rows).on_conflict_do_nothing(index_elements=[unique]))


def _lock_stream(session: Session, name: str) -> LedgerStream:
    query = select(LedgerStream).where(LedgerStream.stream == name).with_for_update(key_share=True)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        row_values: dict[str, object] = {"stream": name, "last_seq": 0, "last_hash": GENESIS_HASH}
        _insert_ignoring_duplicates(session, LedgerStream, [row_values], "stream")
        row = session.execute(query).scalar_one()
    return row


def is_deferred(session: Session, ref: AccountRef) -> bool:
    """Platform accounts on PostgreSQL: their balance moves through ``ledger_balance_deltas``."""
    return ref.owner is OwnerKind.PLATFORM and _postgres(session)


def _accounts(
    session: Session, refs: Sequence[AccountRef], lock: set[AccountRef]
) -> dict[AccountRef, LedgerAccount]:
    """The accounts named by ``refs``, created at balance 0 when new; those in ``lock`` are
    locked (``FOR NO KEY UPDATE``, in key order, so two writers never wait on each other in a
    cycle)."""
    keys = {ref.key: ref for ref in refs}

    def read() -> dict[str, LedgerAccount]:
        found: dict[str, LedgerAccount] = {}
        locked = sorted(ref.key for ref in lock)
        if locked:
            query = (
                select(LedgerAccount)
                .where(LedgerAccount.key.in_(locked))
                .order_by(LedgerAccount.key)
                .with_for_update(key_share=True)
            )
            found.update((row.key, row) for row in session.execute(query).scalars())
        rest = [key for key in keys if key not in set(locked)]
        if rest:
            query = select(LedgerAccount).where(LedgerAccount.key.in_(rest))
            found.update((row.key, row) for row in session.execute(query).scalars())
        return found

    found = read()
    missing = [ref for key, ref in keys.items() if key not in found]
    if missing:
        _insert_ignoring_duplicates(
            session,
            LedgerAccount,
            [
                {
                    "key": ref.key,
                    "owner_kind": ref.owner.value,
                    "owner_id": ref.owner_id,
                    "kind": ref.kind.value,
                    "balance": 0,
                }
                for ref in sorted(missing)
            ],
            "key",
        )
        found = read()
    return {ref: found[key] for key, ref in keys.items()}


def _pending_deltas(session: Session, account_ids: Sequence[int]) -> dict[int, int]:
    if not account_ids:
        return {}
    rows = session.execute(
        select(LedgerBalanceDelta.account_id, func.sum(LedgerBalanceDelta.amount))
        .where(LedgerBalanceDelta.account_id.in_(account_ids))
        .group_by(LedgerBalanceDelta.account_id)
    )
    return {int(account): int(total) for account, total in rows.all()}


def _next_seq(session: Session) -> int:
    if _postgres(session):
        return int(session.execute(text(f"SELECT nextval('{SEQUENCE}')")).scalar_one())
    last = session.execute(select(func.max(LedgerTransaction.seq))).scalar_one()
    return int(last or 0) + 1


def post(
    session: Session,
    draft: TransactionDraft,
    *,
    now: datetime,
    actor_id: int | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> PostedTransaction:
    """Append ``draft`` to its stream's chain, or return the earlier transaction with the
    same key.

    Raises ``InsufficientFunds`` when an account other than issuance would go negative, and
    ``IdempotencyConflict`` when the key was used for a different request.
    """
    if idempotency_key is not None:
        if _postgres(session):  # two requests with one key: the second waits, then replays
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": idempotency_key},
            )
        earlier = session.execute(
            select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if earlier is not None:
            if earlier.request_fingerprint != fingerprint:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different request: "
                    "send a new key for a new operation",
                )  # nothing about the first request: the same answer for every conflict
            return _view(earlier, replayed=True)

    stream = _lock_stream(session, ledger.stream_of(draft))
    deltas = draft.deltas()
    deferred = {ref for ref in deltas if is_deferred(session, ref)}
    # A deferred account is locked only to be debited; credits to it never wait.
    lock = {ref for ref, delta in deltas.items() if ref not in deferred or delta < 0}
    rows = _accounts(session, sorted(deltas), lock)
    debited = [rows[ref].id for ref in deferred if deltas[ref] < 0]
    pending = _pending_deltas(session, debited)
    before = {
        ref: (row.balance + pending.get(row.id, 0) if ref in deferred else row.balance)
        for ref, row in rows.items()
        if ref not in deferred or deltas[ref] < 0
    }
    after = ledger.apply(before, draft)

    seq = _next_seq(session)  # taken under the stream lock: seq grows along each stream
    chained = ChainedTransaction(
        seq=seq,
        kind=draft.kind.value,
        memo=draft.memo,
        created_at=iso(now),
        actor_id=actor_id,
        idempotency_key=idempotency_key,
        postings=tuple((p.account.key, p.amount) for p in draft.postings),
        prev_hash=stream.last_hash,
        stream=stream.stream,
        stream_seq=stream.last_seq + 1,
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
        prev_hash=stream.last_hash,
        hash=digest,
        stream=chained.stream,
        stream_seq=chained.stream_seq,
    )
    session.add(tx)
    session.flush()
    for posting in draft.postings:
        session.add(
            LedgerPosting(
                transaction_seq=seq, account_id=rows[posting.account].id, amount=posting.amount
            )
        )
    for ref, delta in deltas.items():
        if ref in deferred:
            session.add(LedgerBalanceDelta(account_id=rows[ref].id, amount=delta))
        else:
            rows[ref].balance = after[ref]
    stream.last_seq, stream.last_hash = chained.stream_seq, digest
    session.flush()
    if seq % SEAL_EVERY == 0:
        seal(session, now=now, wait=False)
    return PostedTransaction(
        seq=seq,
        kind=chained.kind,
        memo=chained.memo,
        created_at=now,
        postings=chained.postings,
        hash=digest,
    )


def seal(session: Session, *, now: datetime, wait: bool = True) -> Seal | None:
    """Anchor the head of every stream that moved since the last seal into the global chain,
    and fold the platform accounts' balance deltas in. ``wait=False`` gives up (returns
    ``None``) when another seal holds the head; so does a seal with nothing new to anchor."""
    query = select(LedgerHead).where(LedgerHead.id == 1).with_for_update(key_share=True)
    if not wait and _postgres(session):
        query = query.with_for_update(key_share=True, skip_locked=True)
    head = session.execute(query).scalar_one_or_none()
    if head is None:
        return None
    _fold_deltas(session)
    sealed = (
        select(func.max(LedgerSealHead.stream_seq))
        .where(LedgerSealHead.stream == LedgerStream.stream)
        .scalar_subquery()
    )
    moved = session.execute(
        select(LedgerStream.stream, LedgerStream.last_seq, LedgerStream.last_hash)
        .where(LedgerStream.last_seq > func.coalesce(sealed, 0))
        .order_by(LedgerStream.stream)
    ).all()
    if not moved:
        return None
    link = Seal(
        number=head.last_seq + 1,
        created_at=iso(now),
        heads=tuple((str(s), int(n), str(h)) for s, n, h in moved),
        prev_hash=head.last_hash,
    )
    digest = link.compute_hash()
    session.add(
        LedgerSeal(number=link.number, created_at=now, prev_hash=link.prev_hash, hash=digest)
    )
    session.flush()
    session.add_all(
        LedgerSealHead(seal_number=link.number, stream=s, stream_seq=n, hash=h)
        for s, n, h in link.heads
    )
    head.last_seq, head.last_hash = link.number, digest
    session.flush()
    return Seal(link.number, link.created_at, link.heads, link.prev_hash, digest)


def _fold_deltas(session: Session) -> None:
    """Move what ``ledger_balance_deltas`` holds into the cached balances (PostgreSQL)."""
    if not _postgres(session):
        return
    folded = session.execute(
        text("DELETE FROM ledger_balance_deltas RETURNING account_id, amount")
    ).all()
    totals: dict[int, int] = {}
    for account_id, amount in folded:
        totals[int(account_id)] = totals.get(int(account_id), 0) + int(amount)
    for account_id in sorted(totals):
        session.execute(
            text("UPDATE ledger_accounts SET balance = balance + :d WHERE id = :id"),
            {"d": totals[account_id], "id": account_id},
        )


def _with_deltas(session: Session, query_rows: list[tuple[str, int, int]]) -> dict[str, int]:
    """``(key, account id, balance)`` rows → key → balance counting unfolded deltas."""
    pending = _pending_deltas(session, [row[1] for row in query_rows]) if _postgres(session) else {}
    return {
        key: int(balance) + pending.get(account_id, 0) for key, account_id, balance in query_rows
    }


def balances(session: Session, owner_kind: str, owner_id: int | None) -> dict[str, int]:
    """Cached balances of one owner's accounts, by account kind."""
    rows = session.execute(
        select(LedgerAccount.kind, LedgerAccount.id, LedgerAccount.balance).where(
            LedgerAccount.owner_kind == owner_kind,
            LedgerAccount.owner_id == owner_id
            if owner_id is not None
            else LedgerAccount.owner_id.is_(None),
        )
    )
    return _with_deltas(session, [(str(k), int(i), int(b)) for k, i, b in rows.all()])


def balance_of(session: Session, ref: AccountRef) -> int:
    row = session.execute(
        select(LedgerAccount.id, LedgerAccount.balance).where(LedgerAccount.key == ref.key)
    ).one_or_none()
    if row is None:
        return 0
    return _with_deltas(session, [(ref.key, int(row[0]), int(row[1]))])[ref.key]


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
                stream=tx.stream,
                stream_seq=tx.stream_seq,
            )
        last = seqs[-1]
        session.expunge_all()  # keep memory flat on long chains


def iter_seals(session: Session) -> Iterator[Seal]:
    """Every seal in order with the stream heads it anchors."""
    heads: dict[int, list[tuple[str, int, str]]] = {}
    for number, stream, position, digest in session.execute(
        select(
            LedgerSealHead.seal_number,
            LedgerSealHead.stream,
            LedgerSealHead.stream_seq,
            LedgerSealHead.hash,
        )
    ):
        heads.setdefault(int(number), []).append((str(stream), int(position), str(digest)))
    for row in session.execute(select(LedgerSeal).order_by(LedgerSeal.number)).scalars():
        yield Seal(
            number=row.number,
            created_at=iso(row.created_at),
            heads=tuple(heads.get(row.number, ())),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


def cached_balances(session: Session) -> dict[str, int]:
    """Every account's cached balance, unfolded deltas counted."""
    rows = session.execute(select(LedgerAccount.key, LedgerAccount.id, LedgerAccount.balance))
    return _with_deltas(session, [(str(k), int(i), int(b)) for k, i, b in rows.all()])


def recorded_head(session: Session) -> tuple[int, str]:
    """The last seal's number and hash (the global chain's tip)."""
    head = session.execute(select(LedgerHead).where(LedgerHead.id == 1)).scalar_one()
    return head.last_seq, head.last_hash


def stream_heads(session: Session) -> dict[str, tuple[int, str]]:
    rows = session.execute(
        select(LedgerStream.stream, LedgerStream.last_seq, LedgerStream.last_hash)
    ).all()
    return {str(s): (int(n), str(h)) for s, n, h in rows if n}


def transaction_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(LedgerTransaction)).scalar_one()
