"""Login throttling (issue 17): wrong passwords are counted per account and per client address;
past ``login_free_failures`` each further one makes logins from that account or address wait,
the wait doubling up to ``login_max_delay_seconds``. A throttled attempt is refused before its
password is hashed, so guessing costs the server nothing either.

The counts live in the database, so every process serving the instance shares them. A success
clears the account's count; an address's count fades a day after its last failure.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crowdset.errors import TooManyAttempts
from crowdset.services.context import Context
from crowdset.storage.models import LoginThrottle

FORGET_AFTER = timedelta(days=1)


def client_address(peer: str | None, forwarded_for: str | None, *, trust_forwarded: bool) -> str:
    """The client's address: the connection's peer, or behind a trusted reverse proxy the last
    ``X-Forwarded-For`` entry (the one that proxy wrote; earlier ones the client chose)."""
    if trust_forwarded and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last[:64]
    return (peer or "unknown")[:64]


def _keys(email: str | None, address: str) -> list[str]:
    """The counters an attempt touches; ``email=None``: the address's alone (a sign-up that
    hit a taken address must not make that account's owner wait)."""
    account = [] if email is None else [f"account:{email.strip().lower()[:380]}"]
    return [*account, f"address:{address}"]


def delay_after(failures: int, *, free: int, most: int) -> int:
    """Seconds to wait after ``failures`` wrong passwords in a row: none for the first
    ``free``, then 1, 2, 4 … up to ``most``."""
    if failures < free:
        return 0
    return int(min(most, 2 ** min(failures - free, 40)))


def check(ctx: Context, email: str | None, address: str) -> None:
    """Raise ``TooManyAttempts`` (with ``retry_after`` seconds) while the account or the
    address must wait."""
    keys = _keys(email, address)

    def work(session: Session) -> datetime | None:
        rows = [session.get(LoginThrottle, key) for key in keys]
        blocked = [row.blocked_until for row in rows if row and row.blocked_until]
        return max(blocked) if blocked else None

    until = ctx.db.run(work, readonly=True)
    now = ctx.now()
    if until is not None and until > now:
        wait = max(1, math.ceil((until - now).total_seconds()))
        raise TooManyAttempts(
            f"too many wrong passwords for this account or from this address: wait {wait} "
            "seconds, then try again",
            retry_after=wait,
        )


def record_failure(ctx: Context, email: str | None, address: str) -> None:
    settings = ctx.settings
    keys = _keys(email, address)

    def work(session: Session) -> None:
        now = ctx.now()
        for key in keys:
            row = session.get(LoginThrottle, key, with_for_update=True)
            if row is None:
                row = LoginThrottle(key=key, failures=0, last_failure_at=now)
                session.add(row)
            elif now - row.last_failure_at > FORGET_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            wait = delay_after(
                row.failures,
                free=settings.login_free_failures,
                most=settings.login_max_delay_seconds,
            )
            row.blocked_until = now + timedelta(seconds=wait) if wait else None

    try:
        ctx.db.run(work)
    except IntegrityError:  # a concurrent first failure made the row: count on it
        ctx.db.run(work)


def record_success(ctx: Context, email: str) -> None:
    """The account's count starts again (the address's fades with time)."""
    key = _keys(email, "")[0]

    def work(session: Session) -> None:
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)

    ctx.db.run(work)
