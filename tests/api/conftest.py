from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from crowdset.api.app import create_app
from crowdset.services import accounts, ledger
from crowdset.services.context import Context


@dataclass(frozen=True)
class Caller:
    user_id: int | None
    headers: dict[str, str]


@pytest.fixture
def client(ctx: Context) -> Iterator[TestClient]:
    with TestClient(create_app(ctx.settings, ctx)) as test_client:
        yield test_client


@pytest.fixture
def callers(ctx: Context) -> dict[str, Caller]:
    """One caller per role, each with a token; the worker and requester hold credits."""
    out = {"anonymous": Caller(None, {})}
    for role in ("worker", "requester", "operator"):
        user = accounts.create_user(
            ctx, email=f"{role}@api.test", password="correct horse", role=role
        )
        if role != "operator":
            ledger.issue_credits(ctx, None, user.id, 10_000)
        secret = accounts.create_token(ctx, user.id).secret
        out[role] = Caller(user.id, {"Authorization": f"Bearer {secret}"})
    return out


@pytest.fixture
def make_caller(ctx: Context) -> Callable[..., Caller]:
    """Factory: ``make_caller("w1")`` is a worker with 10,000 minor units and a token."""

    def make(name: str, *, role: str = "worker", credits: int = 10_000) -> Caller:
        user = accounts.create_user(
            ctx, email=f"{name}@api.test", password="correct horse", role=role
        )
        if credits:
            ledger.issue_credits(ctx, None, user.id, credits)
        secret = accounts.create_token(ctx, user.id).secret
        return Caller(user.id, {"Authorization": f"Bearer {secret}"})

    return make
