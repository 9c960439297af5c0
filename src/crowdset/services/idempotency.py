"""Idempotency keys: one mechanism for every call that changes something for a client.

A key is scoped to its caller (:func:`scoped_key`): the same key from two users is two keys.
The same key with the same request returns what the first call returned, marked
``replayed``; with a different request it is refused (``IdempotencyConflict``, 409). A call
that fails records nothing, so its retry runs again. The key is recorded in the same unit of
work as the change it guards, so a change and its key commit together or not at all.

Money-moving calls keep the key on the ledger transaction they post (``services.ledger``,
the draft's fingerprint); every other submission — a query, a vote, a label or rating, a
revision, a package taken — runs through :func:`run_once`, which keeps it in
``idempotent_requests`` with the request's fingerprint and the first answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from crowdset.errors import IdempotencyConflict, InvalidInput
from crowdset.services.context import Context
from crowdset.storage import idempotency_store

T = TypeVar("T")
MAX_KEY_LENGTH = 150


def scoped_key(actor_id: int | None, key: str | None) -> str | None:
    """The key as stored: the caller's id, then the key the client sent (1 to 150
    characters after trimming); ``None`` when no key was sent."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters: use a fresh UUID per "
            "operation",
            field="Idempotency-Key",
        )
    return f"{actor_id or 0}:{key}"


def fingerprint(use_case: str, request: Mapping[str, object]) -> str:
    """What makes two requests the same request: the use case and its canonical JSON."""
    canonical = json.dumps(
        {"use_case": use_case, **request}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Once(Generic[T]):
    """A use case's result, and whether it is the replay of an earlier call's."""

    result: T
    replayed: bool = False


def _nothing(_: object) -> Any:
    return None


def run_once(
    ctx: Context,
    work: Callable[[Session], T],
    *,
    actor_id: int,
    key: str | None,
    use_case: str,
    request: Mapping[str, object],
    encode: Callable[[T], object] = _nothing,
    decode: Callable[[Any], T] = _nothing,
    took_effect: Callable[[T], bool] = lambda _: True,
) -> Once[T]:
    """``ctx.db.run(work)``, at most once per key: the first call's ``encode``-d result is
    kept with the key and ``decode``-d for every retry. A result for which ``took_effect`` is
    false (an answer the checks refused) keeps no key."""
    scoped = scoped_key(actor_id, key)
    if scoped is None:
        return Once(ctx.db.run(work))
    asked = fingerprint(use_case, request)

    def once(session: Session) -> Once[T]:
        earlier = idempotency_store.claim(session, scoped, asked, ctx.now())
        if earlier is not None:
            if earlier.fingerprint != asked:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different request: "
                    "send a new key for a new operation",
                )
            return Once(decode(earlier.result), replayed=True)
        result = work(session)
        if took_effect(result):
            idempotency_store.keep(session, scoped, encode(result))
        else:
            idempotency_store.release(session, scoped)
        return Once(result)

    return ctx.db.run(once)
