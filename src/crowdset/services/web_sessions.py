"""Web sessions kept in the database (issue 17). The browser's cookie carries only a random
secret; the row found by its hash says whose session it is, and whether it still counts:
logging out ends it, "log out everywhere", a password change or reset and a deactivation end
every one of the user's, and it ends by itself ``session_idle_minutes`` after its last request
or ``session_lifetime_minutes`` after the login. Every process serving the instance sees the
same rows."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crowdset.services.accounts import UserView, user_view
from crowdset.services.context import Context
from crowdset.storage import users_store
from crowdset.storage.models import User, WebSession

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often


class Ended(StrEnum):
    """Why a session no longer counts."""

    IDLE = "idle"
    EXPIRED = "expired"
    LOGGED_OUT = "logged_out"
    DEACTIVATED = "deactivated"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SessionView:
    id: int
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    address: str


@dataclass(frozen=True)
class Resolved:
    user: UserView
    session_id: int


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(ctx: Context, user_id: int, *, user_agent: str, address: str) -> str:
    """A new session for a user who just proved who they are; returns its secret."""
    secret = secrets.token_urlsafe(32)

    def work(session: Session) -> None:
        now = ctx.now()
        session.add(
            WebSession(
                user_id=user_id,
                secret_hash=_hash(secret),
                created_at=now,
                last_seen_at=now,
                user_agent=user_agent[:200],
                address=address[:64],
            )
        )

    ctx.db.run(work)
    return secret


def resolve(ctx: Context, secret: str) -> Resolved | Ended:
    """The session's user, or why the session no longer counts (ending it if it just
    expired)."""
    settings = ctx.settings
    now = ctx.now()

    def work(session: Session) -> tuple[Resolved | Ended, bool]:
        row = session.execute(
            select(WebSession).where(WebSession.secret_hash == _hash(secret))
        ).scalar_one_or_none()
        if row is None:
            return Ended.UNKNOWN, False
        if row.ended_at is not None:
            return Ended.LOGGED_OUT, False
        if now - row.created_at > timedelta(minutes=settings.session_lifetime_minutes):
            return Ended.EXPIRED, True
        if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
            return Ended.IDLE, True
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            return Ended.DEACTIVATED, True
        return Resolved(user_view(user), row.id), now - row.last_seen_at > TOUCH_EVERY

    found, write = ctx.db.run(work, readonly=True)
    if write:
        _touch_or_end(ctx, secret, end=not isinstance(found, Resolved))
    return found


def _touch_or_end(ctx: Context, secret: str, *, end: bool) -> None:
    def work(session: Session) -> None:
        values = {"ended_at": ctx.now()} if end else {"last_seen_at": ctx.now()}
        session.execute(
            update(WebSession)
            .where(WebSession.secret_hash == _hash(secret), WebSession.ended_at.is_(None))
            .values(**values)
        )

    ctx.db.run(work)


def end(ctx: Context, secret: str) -> None:
    """Log out: the session stops counting at once, in every process."""
    _touch_or_end(ctx, secret, end=True)


def end_all(ctx: Context, user_id: int, *, keep: int | None = None) -> int:
    """Log out everywhere: every session of the user ends (but ``keep``); returns how many."""
    return ctx.db.run(
        lambda session: users_store.end_sessions(session, user_id, ctx.now(), keep=keep)
    )


def active(ctx: Context, user_id: int) -> list[SessionView]:
    """The user's sessions that still count, newest first."""
    settings = ctx.settings
    now = ctx.now()

    def work(session: Session) -> list[SessionView]:
        rows = session.execute(
            select(WebSession)
            .where(
                WebSession.user_id == user_id,
                WebSession.ended_at.is_(None),
                WebSession.created_at > now - timedelta(minutes=settings.session_lifetime_minutes),
                WebSession.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes),
            )
            .order_by(WebSession.id.desc())
        ).scalars()
        return [
            SessionView(r.id, r.created_at, r.last_seen_at, r.user_agent, r.address) for r in rows
        ]

    return ctx.db.run(work, readonly=True)
