"""Newcomers in a real browser (SPEC §3, §6.6): Debian's chromium through Playwright against the
real app (its own server and database).

- A worker without a credit sees a generation campaign's bounty on "Get work", writes three
  queries on it (their pay held until the first run), sees the pay released, stakes it in the
  wallet and gets an ordinary offer.
- A worker does a labeling campaign's tutorial and qualifier (the pages' timers, moved on by
  Playwright's clock, send the seconds) and the earnings page shows the onboarding time and
  what the campaign paid for it.

The validators who judge the newcomer's queries act through the services, with a record of
controls answered right; the app's clock is moved past the active window before the
newcomer asks, so that they are drawn alone (admission is a lottery among active workers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.core.permissions import Role
from crowdset.services import accounts, campaigns, generation, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.demo import DEMO_PASSWORD
from crowdset.services.generation import VoteInput
from tests.services.conftest import tiny_spec
from tests.services.test_newcomers import bounty_campaign, vetted
from tests.web.browser import LiveServer, log_in, serve, shoot

pytestmark = pytest.mark.browser

NEWCOMER = "newcomer@example.org"
LEARNER = "learner@example.org"
YES = VoteInput(True, True, True, True)
PHRASES = (
    "switch the {v} lights on",
    "please make the {v} bright",
    "i need some light in the {v} right now",
    "could you turn the {v} lamps on",
)
LABELING: dict[str, Any] = {
    "name": "Kettle reviews",
    "type": "classify",
    "instructions": "Is the customer happy (pos) or unhappy (neg)?",
    "labels": [{"name": "pos"}, {"name": "neg"}],
    "price_per_judgment": "0.25",
    "seconds_per_judgment": 10,
    "overlap": {"min": 1, "max": 1},
    "gold": {"share": 0},
    "tutorial": [{"text": "I love this kettle", "answer": "pos", "explanation": "Love: happy."}],
    "qualifier": {"pass_mark": 1.0, "questions": [{"text": "It leaks", "answer": "neg"}]},
    "onboarding": {"pay": True, "workers": 5},
}


@pytest.fixture(scope="module")
def live(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    yield from serve(tmp_path_factory.mktemp("live") / "crowdset.db", sqlite_template)


def user(live: LiveServer, email: str, role: Role, credits: int = 0) -> int:
    found = accounts.create_user(live.ctx, email=email, password=DEMO_PASSWORD, role=role.value)
    if credits:
        ledger.issue_credits(live.ctx, None, found.id, credits)
    return found.id


def requester(live: LiveServer, email: str) -> Principal:
    return Principal(
        user_id=user(live, email, Role.REQUESTER, 100_000), role=Role.REQUESTER, email=email
    )


def judge(live: LiveServer, validators: list[int], campaign_id: int, text: str) -> None:
    """Each validator votes yes on ``text``, asking again one admission slot later."""
    for validator in validators:
        for _ in range(200):
            offer = offers.next_offer(live.ctx, validator, campaign_id)
            if offer is None:
                live.clock.offset += timedelta(seconds=10)
                continue
            if offer.kind == "vote" and offer.query_text == text:
                generation.submit_vote(live.ctx, validator, offer.id, YES)
                break
            offers.skip_offer(live.ctx, validator, offer.id)
        else:
            raise AssertionError(f"validator {validator} never got a vote on {text!r}")


def alone(live: LiveServer) -> None:
    """Move the app's clock past the active window: the newcomer is drawn alone."""
    live.clock.offset += timedelta(minutes=16)


def write_a_query(page: Page, phrase: str) -> str:
    page.get_by_role("navigation").get_by_role("link", name="Get work").click()
    page.get_by_role("button", name="Get an offer").click()
    expect(page.get_by_role("heading", name="Write a query")).to_be_visible()
    page.get_by_role("button", name="Take this task").click()
    # the writing form, loaded: read the required values only then (read earlier, on the page
    # being left, they came back empty and the query missed its value)
    expect(page.get_by_label("Your query")).to_be_visible()
    values = page.locator("[data-required-value]").evaluate_all(
        "marks => marks.map(m => m.dataset.requiredValue)"
    )
    text = phrase.format(v=" ".join(values) or "house")
    page.get_by_label("Your query").fill(text)
    page.get_by_role("button", name="Send for validation").click()
    expect(page.locator(".notice-ok")).to_contain_text("Sent to validation")
    return text


def test_a_newcomer_goes_from_bounty_tasks_to_a_first_stake(
    person: Callable[..., Page], live: LiveServer, shots: Path
) -> None:
    owner = requester(live, "lights@example.org")
    spec = tiny_spec(**bounty_campaign(tasks=5, release_after=3))
    view = campaigns.create_campaign(live.ctx, owner, spec)
    campaigns.launch(live.ctx, owner, view.id)
    validators = [user(live, f"v{n}@example.org", Role.WORKER, 1_000) for n in range(3)]
    for validator in validators:
        ledger.stake(live.ctx, validator, 300)
    vetted(live.ctx, view.id, validators)
    user(live, NEWCOMER, Role.WORKER)

    page = person()
    log_in(page, NEWCOMER)
    page.get_by_role("navigation").get_by_role("link", name="Get work").click()
    row = page.locator(f"#bounty-{view.id}")
    expect(row.locator(".bounty-left")).to_have_text("5 of 5")
    expect(row.locator(".bounty-stake")).to_have_text("0.00 credit of 2.40 credit")

    for number, phrase in enumerate(PHRASES[:3], start=1):
        alone(live)
        text = write_a_query(page, phrase)
        judge(live, validators, view.id, text)
        page.get_by_role("navigation").get_by_role("link", name="Get work").click()
        row = page.locator(f"#bounty-{view.id}")
        expect(row.locator(".bounty-accepted")).to_contain_text(f"{number} of 3")
        if number < 3:  # held until the first run of three accepted queries
            expect(row.locator(".bounty-held")).to_have_text(f"{number * 0.8:.2f} credit")
            expect(row.locator(".bounty-released")).to_have_text("0.00 credit")
    expect(row.locator(".bounty-held")).to_have_text("0.00 credit")
    expect(row.locator(".bounty-released")).to_have_text("2.40 credit")
    expect(row.locator(".bounty-left")).to_have_text("2 of 5")
    shoot(page, shots, "bounty-released")

    # the first stake: what the bounty paid
    page.get_by_role("navigation").get_by_role("link", name="Wallet").click()
    expect(page.locator("#balance-available")).to_have_text("2.40 credit")
    page.get_by_label("Amount to stake").fill("2.40")
    page.get_by_role("button", name="Stake", exact=True).click()
    expect(page.locator(".notice-ok")).to_have_text("Staked 2.40.")
    page.get_by_role("navigation").get_by_role("link", name="Get work").click()
    row = page.locator(f"#bounty-{view.id}")
    expect(row.locator(".bounty-stake")).to_have_text("2.40 credit ✓")
    expect(row.locator(".bounty-left")).to_contain_text("staked: ordinary offers")

    # an ordinary offer, drawn on the stake
    alone(live)
    judge(live, validators, view.id, write_a_query(page, PHRASES[3]))
    page.get_by_role("navigation").get_by_role("link", name="Wallet").click()
    expect(page.locator("#balance-available")).to_have_text("0.80 credit")  # paid at once
    expect(page.locator("#balance-staked")).to_have_text("2.40 credit")


def test_the_earnings_page_shows_onboarding_time(
    person: Callable[..., Page], live: LiveServer, shots: Path
) -> None:
    owner = requester(live, "kettles@example.org")
    spec = parse_labeling_spec(LABELING)
    rows = [{"id": f"k{n}", "text": f"review {n}"} for n in range(4)]
    view = campaigns.create_campaign(live.ctx, owner, spec, parse_items(rows, spec))
    campaigns.launch(live.ctx, owner, view.id)
    user(live, LEARNER, Role.WORKER)

    page = person()
    page.clock.install()  # the pages' timers read Date.now(): moved on below
    log_in(page, LEARNER)
    page.goto(f"/labeling/{view.id}")
    expect(page.locator("#onboarding-pay")).to_contain_text(
        "pays your tutorial and qualifier time at the fair wage, up to 0.67 credit"
    )
    page.get_by_role("link", name="Start the tutorial").click()
    page.wait_for_load_state()  # task.js has read the time the page opened
    page.clock.fast_forward("02:00")  # two minutes on the question
    page.get_by_label("pos").check()
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#feedback").get_by_role("heading")).to_have_text("Right")
    page.get_by_role("link", name="Tutorial done: take the qualifier").click()
    page.wait_for_load_state()
    page.clock.fast_forward("01:00")
    page.get_by_role("group", name="Your answer to question 1").get_by_label("neg").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#qualifier-result").get_by_role("heading")).to_have_text("Passed")

    page.goto(f"/labeling/{view.id}")
    expect(page.locator("#onboarding-seconds")).to_have_text("3.0 minutes")
    page.get_by_role("navigation").get_by_role("link", name="Earnings").click()
    expect(page.locator("#onboarding-time")).to_contain_text("3.0 minutes")
    expect(page.locator("#onboarding-time")).to_contain_text("paid 0.67 credit")  # 40 s at most
    expect(page.locator("#earned-pending")).to_have_text("0.67 credit")  # held: a first run
    expect(page.locator("#hourly-rate")).to_have_text("0.00 credit/hour")
    expect(page.locator("#hourly-rate-pending")).to_have_text(
        re.compile(r"^13\.\d\d\scredit/hour$")
    )
    shoot(page, shots, "earnings-onboarding")
