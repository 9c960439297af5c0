"""Use cases for users, API tokens and worker demographics."""

from __future__ import annotations

import functools
import gzip
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crowdset.core.accounts import (
    Demographics,
    check_demographics,
    check_email,
    check_password,
    check_role,
)
from crowdset.core.permissions import Role
from crowdset.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from crowdset.services import login_throttle
from crowdset.services.context import Context
from crowdset.storage import users_store
from crowdset.storage.models import ApiToken, User, WorkerDemographics

TOKEN_PREFIX = "cs_"
INVALID_TOKEN = (
    "the token is not valid (unknown, expired or revoked, or its account is deactivated): "
    "create one with `crowdset token create` or POST /api/v1/auth/token"
)


@functools.cache
def _argon2(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def _hasher(ctx: Context) -> PasswordHasher:
    """argon2id with the instance's cost settings; old hashes keep verifying after a change."""
    return _argon2(ctx.settings.password_hash_time_cost, ctx.settings.password_hash_memory_kib)


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    display_name: str
    role: Role
    pseudonym: str
    is_active: bool
    created_at: datetime


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """``secret`` is shown once: only its hash is stored."""

    secret: str
    token: TokenView


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved once per request by the adapters."""

    user_id: int
    role: Role
    email: str
    token_id: int | None = None


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=Role(user.role),
        pseudonym=user.pseudonym,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def _token_view(token: ApiToken) -> TokenView:
    return TokenView(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
    )


def hash_token(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(secret.encode()).hexdigest()


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 20,000 common passwords shipped in the package (see src/crowdset/data/README.md)."""
    data = resources.files("crowdset.data").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def create_user(
    ctx: Context,
    *,
    email: str,
    password: str,
    role: str,
    display_name: str = "",
    address: str | None = None,
) -> UserView:
    """A new account. ``address``: a self sign-up from that client address, which the login
    throttle counts: an address already taken is a failure there, so nobody can test which
    addresses have accounts faster than they could guess passwords."""
    email = check_email(email)
    check_password(password, email=email, common=common_passwords())
    checked_role = check_role(role)
    if address is not None:
        login_throttle.check(ctx, None, address)
    password_hash = _hasher(ctx).hash(password)  # slow on purpose: outside the transaction
    taken = Conflict(
        "an account with this e-mail address already exists: log in, or sign up with another "
        "address",
        field="email",
    )

    def work(session: Session) -> UserView:
        if users_store.user_by_email(session, email) is not None:
            raise taken
        user = User(
            email=email,
            display_name=display_name.strip() or email.split("@")[0],
            role=checked_role.value,
            password_hash=password_hash,
            pseudonym="w" + secrets.token_hex(8),
            is_active=True,
            created_at=ctx.now(),
        )
        session.add(user)
        session.flush()
        return user_view(user)

    try:
        return ctx.db.run(work)
    except (Conflict, IntegrityError):
        if address is not None:
            login_throttle.record_failure(ctx, None, address)
        raise taken from None


def get_user(ctx: Context, user_id: int) -> UserView:
    def work(session: Session) -> UserView:
        user = users_store.user_by_id(session, user_id)
        if user is None:
            raise NotFound(f"no user has id {user_id}", user_id=user_id)
        return user_view(user)

    return ctx.db.run(work, readonly=True)


def find_user(ctx: Context, email: str) -> UserView:
    email = email.strip().lower()

    def work(session: Session) -> UserView:
        user = users_store.user_by_email(session, email)
        if user is None:
            raise NotFound(f"no user has email {email!r}", email=email)
        return user_view(user)

    return ctx.db.run(work, readonly=True)


def list_users(
    ctx: Context,
    role: Role | None = None,
    *,
    matching: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[UserView]:
    """Users in id order, of one ``role``, whose e-mail or display name contains ``matching``
    (any case); ``limit`` of them with an id above ``after``."""

    def work(session: Session) -> list[UserView]:
        found = users_store.all_users(
            session, role and role.value, matching=matching, after=after, limit=limit
        )
        return [user_view(u) for u in found]

    return ctx.db.run(work, readonly=True)


def authenticate_password(
    ctx: Context, email: str, password: str, *, address: str = "unknown"
) -> UserView:
    """The user with these credentials; one message for every failure (no account probing).

    Throttled (:mod:`crowdset.services.login_throttle`): while the account or the client
    ``address`` must wait, the attempt is refused with ``TooManyAttempts`` before any hash."""
    login_throttle.check(ctx, email, address)
    try:
        user = _verify_password(ctx, email, password)
    except Unauthenticated:
        login_throttle.record_failure(ctx, email, address)
        raise
    login_throttle.record_success(ctx, email)
    return user


def _verify_password(ctx: Context, email: str, password: str) -> UserView:
    wrong = Unauthenticated("email or password is wrong")

    def work(session: Session) -> tuple[UserView, str] | None:
        user = users_store.user_by_email(session, email.strip().lower())
        return None if user is None else (user_view(user), user.password_hash)

    found = ctx.db.run(work, readonly=True)
    if found is None or not found[0].is_active:
        _hasher(ctx).hash(password)  # spend the same time as a real check
        raise wrong
    user, password_hash = found
    try:
        _hasher(ctx).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    return user


def change_password(
    ctx: Context, user_id: int, current: str, new: str, *, keep_session: int | None = None
) -> int:
    """Change one's own password after proving the current one. Every other web session of
    the user ends (``keep_session``, the one asking, stays); returns how many ended."""
    user = get_user(ctx, user_id)
    try:
        _verify_password(ctx, user.email, current)
    except Unauthenticated:
        raise InvalidInput(
            "current_password is wrong: type the password you log in with now",
            field="current_password",
        ) from None
    if new == current:
        raise InvalidInput(
            "new_password is the current password: choose another", field="new_password"
        )
    check_password(new, email=user.email, common=common_passwords(), field="new_password")
    password_hash = _hasher(ctx).hash(new)

    def work(session: Session) -> int:
        row = users_store.user_by_id(session, user_id)
        assert row is not None
        row.password_hash = password_hash
        return users_store.end_sessions(session, user_id, ctx.now(), keep=keep_session)

    return ctx.db.run(work)


def reset_password(ctx: Context, user_id: int, new: str) -> UserView:
    """An operator sets a user's password: every web session of the user ends and every
    token is revoked."""
    user = get_user(ctx, user_id)
    check_password(new, email=user.email, common=common_passwords(), field="new_password")
    password_hash = _hasher(ctx).hash(new)

    def work(session: Session) -> UserView:
        row = users_store.user_by_id(session, user_id)
        assert row is not None
        row.password_hash = password_hash
        users_store.end_sessions(session, user_id, ctx.now())
        users_store.revoke_tokens(session, user_id, ctx.now())
        return user_view(row)

    return ctx.db.run(work)


def set_active(ctx: Context, user_id: int, *, active: bool) -> UserView:
    """Deactivate (every web session ends and every token is revoked at once; the user cannot
    log in) or reactivate an account."""

    def work(session: Session) -> UserView:
        row = users_store.user_by_id(session, user_id)
        if row is None:
            raise NotFound(f"no user has id {user_id}", user_id=user_id)
        row.is_active = active
        if not active:
            users_store.end_sessions(session, user_id, ctx.now())
            users_store.revoke_tokens(session, user_id, ctx.now())
        return user_view(row)

    return ctx.db.run(work)


def log_out_everywhere(ctx: Context, user_id: int) -> tuple[int, int]:
    """End every web session and revoke every token of the user; returns how many of each."""

    def work(session: Session) -> tuple[int, int]:
        now = ctx.now()
        return (
            users_store.end_sessions(session, user_id, now),
            users_store.revoke_tokens(session, user_id, now),
        )

    return ctx.db.run(work)


def create_token(
    ctx: Context, user_id: int, *, name: str = "api", days: int | None = None
) -> NewToken:
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput("token name must be 1 to 80 characters", field="name")
    lifetime = ctx.settings.token_ttl_days if days is None else days
    if lifetime <= 0 or lifetime > 3650:
        raise InvalidInput(f"days {lifetime} must be between 1 and 3650", field="days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def work(session: Session) -> NewToken:
        if users_store.user_by_id(session, user_id) is None:
            raise NotFound(f"no user has id {user_id}", user_id=user_id)
        now = ctx.now()
        token = ApiToken(
            user_id=user_id,
            name=name,
            prefix=secret[:10],
            token_hash=hash_token(secret),
            created_at=now,
            expires_at=now + timedelta(days=lifetime),
        )
        session.add(token)
        session.flush()
        return NewToken(secret=secret, token=_token_view(token))

    return ctx.db.run(work)


def list_tokens(
    ctx: Context, user_id: int, *, after: int | None = None, limit: int | None = None
) -> list[TokenView]:
    """The user's tokens in id order; ``limit`` of them with an id above ``after``."""

    def work(session: Session) -> list[TokenView]:
        found = users_store.tokens_of(session, user_id, after=after, limit=limit)
        return [_token_view(t) for t in found]

    return ctx.db.run(work, readonly=True)


def revoke_token(ctx: Context, user_id: int, token_id: int) -> TokenView:
    def work(session: Session) -> TokenView:
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != user_id:
            raise NotFound(f"you have no token with id {token_id}", token_id=token_id)
        if token.revoked_at is None:
            token.revoked_at = ctx.now()
        return _token_view(token)

    return ctx.db.run(work)


def authenticate_token(ctx: Context, secret: str) -> Principal:
    """The principal behind a Bearer token; refuses unknown, revoked and expired tokens."""

    def work(session: Session) -> Principal:
        token = users_store.token_by_hash(session, hash_token(secret))
        if (
            token is None
            or token.revoked_at is not None
            or token.expires_at <= ctx.now()
            or not token.user.is_active
        ):
            # one message for every failure: a stolen token's holder learns nothing from it
            raise Unauthenticated(INVALID_TOKEN)
        user = token.user
        return Principal(user.id, Role(user.role), user.email, token.id)

    return ctx.db.run(work, readonly=True)


def set_demographics(
    ctx: Context,
    user_id: int,
    *,
    age_band: str | None = None,
    gender: str | None = None,
    country: str | None = None,
    languages: list[str] | None = None,
    education: str | None = None,
) -> Demographics:
    """Store the worker's opt-in answers; calling it again replaces them."""
    checked = check_demographics(
        age_band=age_band,
        gender=gender,
        country=country,
        languages=languages or [],
        education=education,
    )

    def work(session: Session) -> Demographics:
        row = users_store.demographics_of(session, user_id)
        if row is None:
            row = WorkerDemographics(user_id=user_id, consented_at=ctx.now())
            session.add(row)
        row.age_band, row.gender, row.country = checked.age_band, checked.gender, checked.country
        row.languages, row.education = list(checked.languages), checked.education
        return checked

    return ctx.db.run(work)


def get_demographics(ctx: Context, user_id: int) -> Demographics | None:
    def work(session: Session) -> Demographics | None:
        row = users_store.demographics_of(session, user_id)
        if row is None:
            return None
        return Demographics(
            row.age_band, row.gender, row.country, tuple(row.languages), row.education
        )

    return ctx.db.run(work, readonly=True)


def withdraw_demographics(ctx: Context, user_id: int) -> None:
    """Opting out deletes the answers."""

    def work(session: Session) -> None:
        row = users_store.demographics_of(session, user_id)
        if row is not None:
            session.delete(row)

    ctx.db.run(work)
