"""Request and response shapes of the REST API (separate create and public schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

from crowdset.api.params import Id
from crowdset.core.permissions import Role

Amount = Annotated[
    int,
    Strict(),
    Field(gt=0, le=10**15, description='Minor units: a JSON integer (not 1.0, "1" or true).'),
]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


class Health(Schema):
    status: str
    database: str
    version: str


class UserCreate(Schema):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)
    role: Role = Role.WORKER
    display_name: str = Field("", max_length=120)


class UserPublic(Schema):
    id: int
    email: str
    display_name: str
    role: Role
    pseudonym: str
    is_active: bool
    created_at: datetime


class PasswordLogin(Schema):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)
    token_name: str = Field("login", max_length=80)
    days: int | None = Field(None, gt=0, le=3650)


class PasswordChange(Schema):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class PasswordReset(Schema):
    new_password: str = Field(max_length=200, description="Tell the user through another channel.")


class LoggedOut(Schema):
    sessions_ended: int
    tokens_revoked: int


class TokenCreate(Schema):
    name: str = Field("api", max_length=80)
    days: int | None = Field(None, gt=0, le=3650)


class TokenPublic(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenCreated(Schema):
    token: str = Field(description="Shown once: store it now.")
    info: TokenPublic


class DemographicsBody(Schema):
    age_band: str | None = None
    gender: str | None = None
    country: str | None = None
    languages: list[str] = Field(default_factory=list, max_length=20)
    education: str | None = None


class BalancesPublic(Schema):
    available: int
    staked: int
    locked: int
    deposit: int
    pending: int = Field(
        0,
        description="Earned, not yet released (SPEC §6.3): it moves to available once your "
        "quality clears the campaign's bar, or at close; not counted in total. "
        "See GET /api/v1/me/quality for why and when.",
    )
    total: int
    currency: str
    decimals: int


class AmountBody(Schema):
    amount: Amount


class IssueBody(Schema):
    user_id: Id
    amount: Amount
    memo: str = Field("", max_length=500)


class PostingPublic(Schema):
    account: str
    amount: int


class TransactionPublic(Schema):
    seq: int
    kind: str
    memo: str
    created_at: datetime
    postings: list[PostingPublic]
    hash: str
    replayed: bool


class VerificationPublic(Schema):
    ok: bool
    transactions: int
    postings: int
    accounts: int
    head_hash: str
    first_bad_seq: int | None
    problems: list[str]
