"""What the pages show: the offer flow, the lifecycle buttons, the dashboard's numbers, exports,
earnings and the landing page."""

from __future__ import annotations

import json
from collections.abc import Callable

from crowdset.core.generation.spec import parse_spec
from crowdset.services import campaigns, generation, ledger, offers
from crowdset.services.context import Context
from crowdset.services.demo import seed_demo
from crowdset.services.generation import VoteInput
from tests.conftest import FakeClock
from tests.web.conftest import (
    TINY_SPEC,
    Browser,
    People,
    checked_validator,
    principal,
    query_for,
    running_campaign,
    vote_offer,
    write_offer,
)
from tests.web.html import parse

YES = VoteInput(intent_ok=True, natural_ok=True, spelling_ok=True, values_ok=True)


def _accepted_query(
    ctx: Context, people: People, campaign: int, make_user: Callable[..., int]
) -> str:
    """The worker writes a query through the services; three validators accept it."""
    offer = write_offer(ctx, campaign, people.worker)
    text = query_for(ctx, people.worker, offer)
    generation.submit_query(ctx, people.worker, offer, text)
    for _ in range(3):
        validator = make_user("worker", credits=10_000)
        checked_validator(ctx, campaign, validator)
        generation.submit_vote(ctx, validator, vote_offer(ctx, campaign, validator, text), YES)
    return text


def test_the_offer_flow_through_the_pages(
    ctx: Context, people: People, as_role: Callable[[str], Browser], clock: FakeClock
) -> None:
    campaign = running_campaign(ctx, people.requester)
    worker = as_role("worker")
    nothing = worker.post("/work/next", token_from="/work")
    assert nothing.headers["location"] == "/work"  # no stake yet: nobody to draw
    assert "No offer for you right now" in worker.get("/work").text
    assert worker.post("/wallet/stake", {"amount": "55"}).status_code == 303
    offered = worker.post("/work/next")
    offer_id = int(offered.headers["location"].rsplit("/", 1)[1])
    page = worker.page(offered.headers["location"])
    assert "Formulate: Switch the lights on." in page.text
    assert page.find_all("button", type="submit")[1].text == "Take this task"
    assert worker.post(f"/work/offers/{offer_id}/accept").status_code == 303
    page = worker.page(f"/work/offers/{offer_id}")
    values = [m.attrs["data-required-value"] for m in page.find_all("mark")]
    assert page.has_id("query-form") and page.has_id("value-hint")
    clock.advance(seconds=90)
    text = query_for(ctx, people.worker, offer_id)
    sent = {"text": text, "seconds_on_task": "88.5", "paste_events": "1"}
    done = worker.post(f"/work/offers/{offer_id}/query", sent)
    assert done.headers["location"] == "/work"
    assert "Sent to validation" in worker.get("/work").text
    [(query, status)] = campaigns.submitted_queries(ctx, principal(ctx, people.requester), campaign)
    assert (query.text, status) == (text, "validating")
    assert all(value in query.text for value in values)
    gone = worker.page(f"/work/offers/{offer_id}")
    assert "This offer is done." in gone.text


def test_lifecycle_buttons_move_the_campaign_and_its_escrow(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    draft = campaigns.create_campaign(ctx, principal(ctx, people.requester), parse_spec(TINY_SPEC))
    before = ledger.balances(ctx, people.requester).available
    page = requester.page(f"/campaigns/{draft.id}")
    assert [b.attrs["id"] for b in page.find_all("button") if "id" in b.attrs] == [
        "action-launch",
        "action-close",
        "run-cross-validation",
    ]
    for action, status in (("launch", "running"), ("pause", "paused"), ("resume", "running")):
        assert requester.post(f"/campaigns/{draft.id}/{action}").status_code == 303
        page = requester.page(f"/campaigns/{draft.id}")
        assert page.by_id("campaign-status").text == status
    funded = campaigns.get_campaign(ctx, principal(ctx, people.requester), draft.id).escrow_funded
    assert ledger.balances(ctx, people.requester).available == before - funded
    requester.post(f"/campaigns/{draft.id}/close")
    page = requester.page(f"/campaigns/{draft.id}")
    assert "Campaign closed: it is closed now." in page.text
    assert not page.has_id("action-close")
    assert ledger.balances(ctx, people.requester).available == before


def test_the_dashboard_shows_progress_spend_the_series_and_the_exports(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    make_user: Callable[..., int],
    clock: FakeClock,
) -> None:
    campaign = running_campaign(ctx, people.requester)
    clock.advance(minutes=10)
    text = _accepted_query(ctx, people, campaign, make_user)
    requester = as_role("requester")
    page = requester.page(f"/campaigns/{campaign}")
    assert page.by_id("accepted-total").text == "1 / 2"
    assert page.by_id("acceptance-rate").text == "100%"
    # paid: 1.00 for the query, 3 × 0.25 for the votes, a 10% fee on each (0.025 rounds up)
    assert page.by_id("spent").text.startswith("1.94 credit of ")
    assert text in page.by_id("recent-queries").text
    series = json.loads(page.by_id("campaign-series").text)
    assert series["accepted"][0] == 0 and series["accepted"][-1] == 1
    assert series["submitted"][-1] == 1 and series["spent"][-1] == 1.94
    assert series["acceptance"][-1] == 100.0
    live = requester.get(f"/campaigns/{campaign}/live")
    assert live.status_code == 200 and "<html" not in live.text
    assert 'hx-trigger="every 5s"' in live.text

    snips = requester.get(f"/campaigns/{campaign}/export/snips")
    assert snips.headers["content-type"].startswith("application/json")
    assert f'filename="campaign-{campaign}.json"' in snips.headers["content-disposition"]
    assert "LightsOn" in snips.json()["intents"]
    rasa = requester.get(f"/campaigns/{campaign}/export/rasa")
    assert "intent: LightsOn" in rasa.text
    jsonl = requester.get(f"/campaigns/{campaign}/export/jsonl")
    record = json.loads(jsonl.text.splitlines()[0])
    assert record["text"] == text and record["votes"] == {"for": 3, "against": 0}
    assert requester.get(f"/campaigns/{campaign}/export/csv").status_code == 404


def test_cross_validation_runs_from_the_dashboard(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    make_user: Callable[..., int],
) -> None:
    campaign = running_campaign(ctx, people.requester)
    _accepted_query(ctx, people, campaign, make_user)
    response = as_role("requester").post(f"/campaigns/{campaign}/cross-validation")
    assert response.status_code == 200
    report = parse(response.text).by_id("cross-validation-report").text
    assert "queries scored" in report


def test_earnings_show_the_effective_hourly_rate(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    make_user: Callable[..., int],
    clock: FakeClock,
) -> None:
    campaign = running_campaign(ctx, people.requester)
    offer = write_offer(ctx, campaign, people.worker)
    offers.accept_offer(ctx, people.worker, offer)
    clock.advance(seconds=60)
    text = query_for(ctx, people.worker, offer)
    generation.submit_query(ctx, people.worker, offer, text)
    for _ in range(3):
        validator = make_user("worker", credits=10_000)
        checked_validator(ctx, campaign, validator)
        generation.submit_vote(ctx, validator, vote_offer(ctx, campaign, validator, text), YES)
    worker = as_role("worker")
    page = worker.page("/earnings")
    # paid into pending until the writer's quality is established (SPEC §6.3): 1.00 credit for
    # one minute of work is 60 credits an hour once released, nothing settled yet
    assert (page.by_id("earned").text, page.by_id("earned-pending").text) == (
        "0.00 credit",
        "1.00 credit",
    )
    assert page.by_id("hourly-rate").text == "0.00 credit/hour"
    assert page.by_id("hourly-rate-pending").text == "60.00 credit/hour"
    assert page.by_id("lock-status").text == "Your stake is not locked."
    campaigns.close(ctx, principal(ctx, people.requester), campaign)  # releases pending pay
    page = worker.page("/earnings")
    assert (page.by_id("earned").text, page.by_id("earned-pending").text) == (
        "1.00 credit",
        "0.00 credit",
    )
    assert page.by_id("hourly-rate").text == "60.00 credit/hour"


def test_the_landing_page_shows_demo_logins_only_when_the_demo_data_exists(
    ctx: Context, web: Browser
) -> None:
    page = web.page("/")
    assert not page.has_id("demo-heading")
    assert "No campaign is running right now." in page.text
    seed_demo(ctx)
    page = web.page("/")
    assert "requester@demo.crowdset" in page.by_id("demo-heading").text + page.text
    assert "crowdset-demo" in page.text
    assert "Smart lights (demo)" in page.text
