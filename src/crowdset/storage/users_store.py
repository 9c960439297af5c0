"""Named queries for users, tokens and demographics. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from crowdset.storage.models import ApiToken, User, WebSession, WorkerDemographics


def user_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    """The token and its user, in one query (every API request asks)."""
    return session.execute(
        select(ApiToken)
        .where(ApiToken.token_hash == token_hash)
        .options(joinedload(ApiToken.user, innerjoin=True))
    ).scalar_one_or_none()


def tokens_of(
    session: Session, user_id: int, *, after: int | None = None, limit: int | None = None
) -> list[ApiToken]:
    """The user's tokens in id order; ``limit`` of them with an id above ``after``."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    if after is not None:
        query = query.where(ApiToken.id > after)
    return list(session.execute(query.limit(limit)).scalars())


def demographics_of(session: Session, user_id: int) -> WorkerDemographics | None:
    return session.get(WorkerDemographics, user_id)


def demographics_of_many(
    session: Session, user_ids: Sequence[int]
) -> dict[int, WorkerDemographics]:
    """The opt-in answers of those of ``user_ids`` who gave them."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(WorkerDemographics).where(WorkerDemographics.user_id.in_(sorted(set(user_ids))))
    ).scalars()
    return {row.user_id: row for row in rows}


def all_users(
    session: Session,
    role: str | None = None,
    *,
    matching: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[User]:
    """Users in id order, of one role, whose e-mail or display name contains ``matching``
    (any case); ``limit`` of them with an id above ``after``."""
    query = select(User).order_by(User.id)
    if role is not None:
        query = query.where(User.role == role)
    if matching:
        query = query.where(
            or_(
                User.email.icontains(matching, autoescape=True),
                User.display_name.icontains(matching, autoescape=True),
            )
        )
    if after is not None:
        query = query.where(User.id > after)
    return list(session.execute(query.limit(limit)).scalars())


def user_by_pseudonym(session: Session, pseudonym: str) -> User | None:
    return session.execute(select(User).where(User.pseudonym == pseudonym)).scalar_one_or_none()


def end_sessions(session: Session, user_id: int, now: datetime, *, keep: int | None = None) -> int:
    """End the user's web sessions that still count (all but ``keep``); returns how many."""
    query = update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(WebSession.id != keep)
    result = session.execute(query.values(ended_at=now))
    return int(getattr(result, "rowcount", 0))


def revoke_tokens(session: Session, user_id: int, now: datetime) -> int:
    """Revoke every token of the user not yet revoked; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0))
