"""Fixtures for the web pages: a test client over HTTPS (the session cookie is Secure), users
of each role logged in, and form helpers that send the page's CSRF token like a browser; for the
browser tests, Debian's chromium through Playwright (each browser module serves its own ``live``
app)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import BrowserContext, Page, Playwright, ViewportSize, sync_playwright
from sqlalchemy.orm import Session

from crowdset.api.app import create_app
from crowdset.core.generation.spec import parse_spec
from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.core.mechanism import Evidence, Track
from crowdset.core.permissions import Role
from crowdset.formats.review import pairs_from_json
from crowdset.services import accounts, campaigns, corpora, ledger, mechanism, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation_rules import spec_of
from crowdset.storage import campaign_store
from tests.services.conftest import next_of_kind
from tests.web.browser import DESKTOP, LiveServer, chromium_or_skip, screenshot_folder
from tests.web.html import Element, parse

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')

# TINY_SPEC's required stake (SPEC §6.4): 100 votes × 0.25 × 1.5 + 10 queries × 7 votes × 0.25
GENERATION_STAKE = 5_500
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

# A labeling campaign: two labels, a tutorial and a qualifier of two questions each, gold items.
# Nothing a worker sees may say "gold": the tests look for the word on the workers' pages.
LABELING_SPEC: dict[str, Any] = {
    "name": "Sentiment",
    "type": "classify",
    "instructions": "Is the review positive or negative?",
    "labels": [
        {"name": "pos", "description": "A happy customer"},
        {"name": "neg", "description": "An unhappy customer"},
    ],
    "price_per_judgment": "0.20",
    "seconds_per_judgment": 10,
    "overlap": {"min": 1, "max": 3, "confidence": 0.9},
    "gold": {"share": 0.25},
    "tutorial": [
        {"text": "I love it", "answer": "pos", "explanation": "Love is positive."},
        {"text": "Broke in a day", "answer": "neg", "explanation": "Broken is negative."},
    ],
    "qualifier": {
        "pass_mark": 0.5,
        "attempts": 2,
        "questions": [{"text": "Great value", "answer": "pos"}, {"text": "Awful", "answer": "neg"}],
    },
}
# The most any labeling campaign here requires (SPEC §6.4): 12 credits without gold, 6.90 with
# LABELING_SPEC's quarter of gold.
LABELING_STAKE = 1_200
LABELING_ITEMS: list[dict[str, Any]] = [
    {"id": "r1", "text": "Works great, would buy again", "gold": None},
    {"id": "r2", "text": "Stopped working after a week", "gold": None},
    {"id": "r3", "text": "Exactly as described", "gold": None},
    {"id": "r4", "text": "Arrived broken", "gold": None},
    {"id": "g1", "text": "Best purchase this year", "gold": "pos"},
    {"id": "g2", "text": "Total waste of money", "gold": "neg"},
]

NO_ONBOARDING: dict[str, Any] = {"tutorial": [], "qualifier": None}  # overrides: work at once
MORE_LABELING_ITEMS: list[dict[str, Any]] = [
    {"id": "r5", "text": "Lovely colours", "gold": None},
    {"id": "r6", "text": "Far too small", "gold": None},
    {"id": "r7", "text": "Fast delivery", "gold": None},
    {"id": "r8", "text": "Rude support", "gold": None},
]
LABELING_TRUTH = {  # item text → the right label, for workers who answer rightly
    str(row["text"]): "pos" if row["id"] in ("r1", "r3", "r5", "r7", "g1") else "neg"
    for row in [*LABELING_ITEMS, *MORE_LABELING_ITEMS]
}

# A review (SPEC §4): four pairs a package (one a challenge), two reviewers a pair, half kept.
# Nothing a reviewer sees may say "gold" or "challenge", or name a challenge pair's id.
REVIEW_SPEC: dict[str, Any] = {
    "name": "Review en-de",
    "type": "review",
    "instructions": "Rate how much the translation needs to change.",
    "gold": {"share": 0.25},
    "review": {"reviewers": 2, "package_size": 4, "min_references": 2, "keep_share": 0.5},
}
REVIEW_TRUTH = {  # (source, target) → the true stars
    ("The train leaves at eight.", "Der Zug fährt um acht ab."): 5,
    ("The museum is closed today.", "Das Museum ist heute geschlossen."): 5,
    ("We need more time.", "Wir brauchen mehr Zeit."): 5,
    ("The soup is too salty.", "Die Suppe ist zu süß."): 4,
    ("Turn left at the light.", "Biegen Sie an der Kreuzung rechts ab."): 3,
    ("The concert starts at nine.", "Das Konzert. Wir gehen essen."): 2,
    ("The bank is closed.", "Meine Katze schläft."): 1,
    ("Fill in the form.", "Das Spiel endete unentschieden."): 1,
}
REVIEW_CHALLENGES: list[dict[str, Any]] = [
    {"id": "chk-1", "source": "I would like tea.", "target": "Ich hätte gern Tee.", "gold": 5},
    {"id": "chk-2", "source": "My phone is new.", "target": "Der Hund bellt.", "gold": 1},
]
REVIEW_STARS: dict[tuple[str, str], int] = REVIEW_TRUTH | {
    (c["source"], c["target"]): int(c["gold"]) for c in REVIEW_CHALLENGES
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


def stake_at_least(ctx: Context, worker_id: int, amount: int) -> None:
    """Top the worker's stake up to ``amount`` (minor units), what a campaign requires."""
    staked = ledger.balances(ctx, worker_id).staked
    if staked < amount:
        ledger.stake(ctx, worker_id, amount - staked)


def write_offer(ctx: Context, campaign_id: int, worker_id: int) -> int:
    """An open writing offer for ``worker_id`` (staked enough to be drawn)."""
    stake_at_least(ctx, worker_id, GENERATION_STAKE)
    return next_of_kind(ctx, worker_id, "write", campaign_id).id


def checked_validator(ctx: Context, campaign_id: int, worker_id: int) -> None:
    """One right control on the worker's vote track, as if answered (unpaid): a validator
    nobody has checked weighs nothing in a decision (SPEC §6.2), and one right control gives
    them the weight of the track's prior, log 2. These tests are about the pages."""

    def work(session: Session) -> None:
        campaign = campaign_store.campaign(session, campaign_id)
        mechanism.observe(
            session,
            ctx,
            campaign,
            spec_of(campaign).mechanism,
            Track.VOTE,
            worker_id,
            correct=True,
            evidence=Evidence.CONTROL,
        )

    ctx.db.run(work)


def vote_offer(ctx: Context, campaign_id: int, worker_id: int, query_text: str) -> int:
    """An open vote offer on ``query_text`` for ``worker_id`` (staked enough to be drawn);
    controls offered first are skipped."""
    stake_at_least(ctx, worker_id, GENERATION_STAKE)
    return next_of_kind(ctx, worker_id, "vote", campaign_id, query_text=query_text).id


def query_for(ctx: Context, worker_id: int, offer_id: int) -> str:
    """A query that passes the checks for the offer."""
    offer = offers.get_offer(ctx, worker_id, offer_id)
    values = " ".join(f"in the {v.value}" for v in offer.values)
    return f"please could you switch on every lamp {values} right now".replace("  ", " ")


def labeling_campaign(
    ctx: Context,
    requester_id: int,
    items: list[dict[str, Any]] | None = None,
    *,
    launch: bool = True,
    **overrides: Any,
) -> int:
    """A labeling campaign of ``LABELING_SPEC`` (with ``overrides``) and ``LABELING_ITEMS``."""
    spec = parse_labeling_spec(LABELING_SPEC | overrides)
    viewer = principal(ctx, requester_id)
    rows = parse_items(items or LABELING_ITEMS, spec)
    view = campaigns.create_campaign(ctx, viewer, spec, rows)
    if launch:
        campaigns.launch(ctx, viewer, view.id)
    return view.id


def label_offer(ctx: Context, campaign_id: int, worker_id: int) -> int:
    """An open label offer for ``worker_id`` (staked; the campaign has no tutorial or qualifier,
    or the worker passed them)."""
    stake_at_least(ctx, worker_id, LABELING_STAKE)
    return next_of_kind(ctx, worker_id, "label", campaign_id).id


# --- real-browser tests (marker ``browser``): each module defines its own ``live`` server -------


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium: str) -> Iterator[Chromium]:
    launched = playwright.chromium.launch(
        executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"]
    )
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_folder(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture(scope="module")
def person(browser: Chromium, live: LiveServer) -> Iterator[Callable[..., Page]]:
    """``person()``: a new browser window (own cookies) on the live app, desktop-sized."""
    contexts: list[BrowserContext] = []

    def open_window(viewport: ViewportSize = DESKTOP) -> Page:
        context = browser.new_context(
            base_url=live.url,
            viewport=viewport,
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_window
    for context in contexts:
        context.close()


def corpus_of(ctx: Context, requester_id: int, name: str = "news") -> int:
    """An imported corpus of the requester's: the eight pairs of ``REVIEW_TRUTH``."""
    pairs = [{"source": source, "target": target} for source, target in REVIEW_TRUTH]
    owner = principal(ctx, requester_id)
    return corpora.import_corpus(
        ctx, owner, pairs_from_json(pairs), name=name, origin="news.tsv", source_lang="en"
    ).id


def review_campaign(ctx: Context, requester_id: int, *, launch: bool = True) -> int:
    """A review of a new corpus of the requester's, with the two challenge pairs."""
    owner = principal(ctx, requester_id)
    spec = parse_labeling_spec(REVIEW_SPEC)
    challenges = parse_items(REVIEW_CHALLENGES, spec, complete=False)
    view = corpora.create_review(ctx, owner, spec, corpus_of(ctx, requester_id), challenges)
    if launch:
        campaigns.launch(ctx, owner, view.id)
    return view.id
