"""Idempotency keys of requests that move no money (``idempotent_requests``). Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crowdset.storage.models import IdempotentRequest


def claim(session: Session, key: str, fingerprint: str, now: datetime) -> IdempotentRequest | None:
    """Record ``key`` for this transaction's request; ``None`` when it is new, else the row of
    the earlier request. A concurrent first use of the key is waited for (the unique key):
    once it commits, its row is returned; once it rolls back, the key is this request's."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = session.execute(
        insert(IdempotentRequest)
        .values(key=key, fingerprint=fingerprint, result=None, created_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(IdempotentRequest.key)
    ).scalar_one_or_none()
    if added is not None:
        return None
    return session.execute(
        select(IdempotentRequest).where(IdempotentRequest.key == key)
    ).scalar_one()


def keep(session: Session, key: str, result: object) -> None:
    """What the first call answered, for its retries."""
    session.execute(
        update(IdempotentRequest).where(IdempotentRequest.key == key).values(result=result)
    )


def release(session: Session, key: str) -> None:
    """Forget the key: the request did not take effect (its retry runs again)."""
    session.execute(delete(IdempotentRequest).where(IdempotentRequest.key == key))
