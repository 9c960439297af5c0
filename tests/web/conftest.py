"""Fixtures for the web pages: a test client over HTTPS (the session cookie is Secure), users
of each role logged in, and form helpers that send the page's CSRF token like a browser."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from crowdset.api.app import create_app
from crowdset.core.generation.spec import parse_spec
from crowdset.core.permissions import Role
from crowdset.services import accounts, campaigns, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.web.html import Element, parse

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')

TINY_SPEC: dict[str, Any] = {
    "name": "Lights",
    "language": "en",
    "intents": [
        {
            "name": "LightsOn",
            "description": "Switch the lights on",
            "target": 2,
            "slots": [{"name": "room", "values": ["kitchen", "garage"]}],
            "seeds": ["turn on the [room:kitchen] light"],
        }
    ],
    "prices": {"per_query": "1.00", "per_vote": "0.25"},
    "validators_per_query": 3,
    "min_stake": 1,
    "max_slots_per_task": 1,
    "checks": {"min_words": 2, "language": False},
}


@dataclass
class Browser:
    """A test client that behaves like a browser: cookies, and forms sent with the token of
    the page they came from."""

    client: TestClient
    user_id: int | None = None

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def page(self, path: str) -> Element:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return parse(response.text)

    def token(self, path: str = "/login") -> str:
        found = TOKEN.search(self.client.get(path).text)
        assert found, f"no form token on {path}"
        return found.group(1)

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        token_from: str = "/",
        files: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        body = {"csrf_token": token if token is not None else self.token(token_from)}
        return self.client.post(path, data=body | (data or {}), files=files, follow_redirects=False)

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        response = self.post("/login", {"email": email, "password": password}, token_from="/login")
        assert response.status_code == 303, response.text[:500]
        return response


@pytest.fixture
def open_browser(ctx: Context) -> Iterator[Callable[[], Browser]]:
    """A factory of fresh browsers (separate cookie jars) on one app."""
    app = create_app(ctx.settings, ctx)
    clients: list[TestClient] = []

    def make() -> Browser:
        client = TestClient(app, base_url="https://testserver")
        clients.append(client)
        return Browser(client)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def web(open_browser: Callable[[], Browser]) -> Browser:
    return open_browser()


@dataclass(frozen=True)
class People:
    worker: int
    worker_b: int
    requester: int
    requester_b: int
    operator: int


@pytest.fixture
def people(ctx: Context) -> People:
    def user(email: str, role: Role, credits: int = 0) -> int:
        made = accounts.create_user(ctx, email=email, password=PASSWORD, role=role.value)
        if credits:
            ledger.issue_credits(ctx, None, made.id, credits)
        return made.id

    return People(
        worker=user("worker@web.test", Role.WORKER, 10_000),
        worker_b=user("worker-b@web.test", Role.WORKER, 10_000),
        requester=user("requester@web.test", Role.REQUESTER, 100_000),
        requester_b=user("requester-b@web.test", Role.REQUESTER, 100_000),
        operator=user("operator@web.test", Role.OPERATOR),
    )


EMAILS = {
    "worker": "worker@web.test",
    "worker_b": "worker-b@web.test",
    "requester": "requester@web.test",
    "requester_b": "requester-b@web.test",
    "operator": "operator@web.test",
}


@pytest.fixture
def as_role(people: People, open_browser: Callable[[], Browser]) -> Callable[[str], Browser]:
    """``as_role("worker")``: a browser logged in as that person (anonymous: not logged in)."""

    def make(name: str) -> Browser:
        browser = open_browser()
        if name != "anonymous":
            browser.login(EMAILS[name])
            browser.user_id = getattr(people, name)
        return browser

    return make


def principal(ctx: Context, user_id: int) -> Principal:
    user = accounts.get_user(ctx, user_id)
    return Principal(user_id=user.id, role=user.role, email=user.email)


def running_campaign(ctx: Context, requester_id: int, spec: dict[str, Any] = TINY_SPEC) -> int:
    viewer = principal(ctx, requester_id)
    view = campaigns.create_campaign(ctx, viewer, parse_spec(spec))
    campaigns.launch(ctx, viewer, view.id)
    return view.id


def write_offer(ctx: Context, campaign_id: int, worker_id: int) -> int:
    """An open writing offer for ``worker_id`` (staked enough to be drawn)."""
    if ledger.balances(ctx, worker_id).staked == 0:
        ledger.stake(ctx, worker_id, 500)
    offer = offers.next_offer(ctx, worker_id, campaign_id)
    assert offer is not None and offer.kind == "write"
    return offer.id


def query_for(ctx: Context, worker_id: int, offer_id: int) -> str:
    """A query that passes the checks for the offer."""
    offer = offers.get_offer(ctx, worker_id, offer_id)
    values = " ".join(f"in the {v.value}" for v in offer.values)
    return f"please could you switch on every lamp {values} right now".replace("  ", " ")
