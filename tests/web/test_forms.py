"""Every form, sent with bad input, comes back with the error at the field and what was typed.

``error_at`` checks that the field is marked invalid and points (``aria-describedby``) to the
message shown next to it. Passwords are the one thing never sent back to the browser.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx2 as httpx
import pytest
import yaml

from crowdset.services import accounts, campaigns, generation, ledger, offers
from crowdset.services.context import Context
from tests.web.conftest import (
    TINY_SPEC,
    Browser,
    People,
    principal,
    running_campaign,
    vote_offer,
    write_offer,
)
from tests.web.html import Element, error_at, field_value, parse


def refused(response: httpx.Response) -> Element:
    assert response.status_code == 422, response.text[:800]
    return parse(response.text)


# --- sign up and log in -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password", "again", "field", "message"),
    [
        ("worker@web.test", "long enough pw", "long enough pw", "email", "already exists"),
        ("not-an-address", "long enough pw", "long enough pw", "email", "is not an address"),
        ("new@web.test", "short", "short", "password", "use at least 10"),
        ("new@web.test", "long enough pw", "another one!", "password_again", "differ"),
    ],
    ids=["taken", "bad-email", "short-password", "passwords-differ"],
)
def test_sign_up(
    people: People, web: Browser, email: str, password: str, again: str, field: str, message: str
) -> None:
    form = {"email": email, "display_name": "Pat", "password": password, "password_again": again}
    page = refused(web.post("/signup", form, token_from="/signup"))
    assert message in error_at(page, field)
    assert field_value(page, "email") == email
    assert field_value(page, "display_name") == "Pat"
    assert "value" not in page.by_id("password").attrs  # never sent back


def test_log_in_with_a_wrong_password(people: People, web: Browser) -> None:
    page = refused(
        web.post("/login", {"email": "worker@web.test", "password": "nope"}, token_from="/login")
    )
    assert error_at(page, "password") == "Error: Email or password is wrong."
    assert field_value(page, "email") == "worker@web.test"


def test_log_in_with_nothing_typed(web: Browser) -> None:
    page = refused(web.post("/login", {"email": "", "password": ""}, token_from="/login"))
    assert "Enter your email address." in error_at(page, "email")
    assert "Enter your password." in error_at(page, "password")


# --- profile ----------------------------------------------------------------------------------

DEMOGRAPHICS = {
    "age_band": "25-34",
    "gender": "woman",
    "country": "Germany",
    "languages": "de, en",
    "education": "master",
    "consent": "yes",
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"country": "Germany"}, "country", "not a two-letter ISO 3166 code"),
        ({"country": "DE", "languages": "de, english"}, "languages", "not an ISO 639 code"),
        ({"country": "DE", "consent": ""}, "consent", "Tick the box"),
    ],
    ids=["country", "languages", "no-consent"],
)
def test_demographics(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    worker = as_role("worker")
    sent = DEMOGRAPHICS | change
    page = refused(worker.post("/profile/demographics", sent, token_from="/profile"))
    assert message in error_at(page, field)
    for name in ("country", "languages", "age_band", "gender", "education"):
        assert field_value(page, name) == sent[name], name
    assert accounts.get_demographics(ctx, people.worker) is None  # nothing stored


def test_demographics_saved_and_withdrawn(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    worker = as_role("worker")
    sent = DEMOGRAPHICS | {"country": "de"}
    assert worker.post("/profile/demographics", sent).status_code == 303
    saved = accounts.get_demographics(ctx, people.worker)
    assert saved is not None and saved.country == "DE" and saved.languages == ("de", "en")
    page = worker.page("/profile")
    assert field_value(page, "country") == "DE"
    assert "shown to requesters only in aggregate" in page.by_id("consent-text").text
    assert worker.post("/profile/demographics/withdraw").status_code == 303
    assert accounts.get_demographics(ctx, people.worker) is None


# --- wallet -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "amount", "message"),
    [
        ("stake", "lots", "is not a number"),
        ("stake", "0", "above zero"),
        ("stake", "1.234", "more than 2 decimals"),
        ("stake", "1000000", "Your available balance is 100.00 credit"),
        ("unstake", "5", "Your staked balance is 0.00 credit"),
        ("deposit", "-3", "above zero"),
    ],
    ids=["not-a-number", "zero", "too-fine", "too-much", "nothing-staked", "negative"],
)
def test_money_forms(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    form: str,
    amount: str,
    message: str,
) -> None:
    worker = as_role("worker")
    before = ledger.balances(ctx, people.worker)
    page = refused(worker.post(f"/wallet/{form}", {"amount": amount, "idempotency_key": "k1"}))
    assert message in error_at(page, f"{form}-amount")
    assert field_value(page, f"{form}-amount") == amount
    assert ledger.balances(ctx, people.worker) == before


def test_unstaking_while_answers_await_validation_is_refused_at_the_field(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    offer = write_offer(ctx, campaign, people.worker)
    generation.submit_query(ctx, people.worker, offer, "please light up the kitchen and garage")
    page = refused(as_role("worker").post("/wallet/unstake", {"amount": "1"}))
    assert "awaiting validation" in error_at(page, "unstake-amount")


def test_a_money_form_sent_twice_moves_money_once(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    worker = as_role("worker")
    key = parse(worker.get("/wallet").text).find_all("input", name="idempotency_key")[0]
    sent = {"amount": "7", "idempotency_key": key.attrs["value"]}
    assert worker.post("/wallet/stake", sent).status_code == 303
    assert worker.post("/wallet/stake", sent).status_code == 303
    assert ledger.balances(ctx, people.worker).staked == 700


# --- work -------------------------------------------------------------------------------------


def test_a_query_refused_by_the_checks_shows_each_reason_and_keeps_the_text(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    offer = write_offer(ctx, campaign, people.worker)
    worker = as_role("worker")
    sent = {"text": "lights", "seconds_on_task": "12.5", "paste_events": "2"}
    page = refused(worker.post(f"/work/offers/{offer}/query", sent))
    assert "automatic check refused" in error_at(page, "text")
    assert field_value(page, "text") == "lights"
    reasons = page.by_id("refusal").text
    assert "too short: Too short: write at least 2 words (you wrote 1)" in reasons
    values = offers.get_offer(ctx, people.worker, offer).values
    for value in values:
        assert f"Include “{value.value}” in your query" in reasons
    signals = {i.attrs["name"]: i.attrs["value"] for i in page.find_all("input", type="hidden")}
    assert signals["seconds_on_task"] == "12.5" and signals["paste_events"] == "2"


def test_an_empty_query_is_refused_at_the_field(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    offer = write_offer(ctx, campaign, people.worker)
    page = refused(as_role("worker").post(f"/work/offers/{offer}/query", {"text": "   "}))
    assert "Write your query before sending it." in error_at(page, "text")


def test_a_vote_with_unanswered_questions_keeps_the_answers_given(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    offer = write_offer(ctx, campaign, people.worker)
    text = "please light up the kitchen and garage"
    generation.submit_query(ctx, people.worker, offer, text)
    vote = vote_offer(ctx, campaign, people.worker_b, text)
    voter = as_role("worker_b")
    voter.post(f"/work/offers/{vote}/accept")
    sent = {"intent_ok": "yes", "spelling_ok": "no", "comment": "odd wording"}
    page = refused(voter.post(f"/work/offers/{vote}/vote", sent))
    assert error_at(page, "natural_ok") == "Error: Answer yes or no."
    assert error_at(page, "values_ok") == "Error: Answer yes or no."
    assert not page.by_id("intent_ok").find_all(id="intent_ok-error")
    checked = {i.attrs["name"]: i.attrs["value"] for i in page.find_all("input", checked="")}
    assert checked == {"intent_ok": "yes", "spelling_ok": "no"}
    assert field_value(page, "comment") == "odd wording"


# --- campaigns --------------------------------------------------------------------------------


def _spec_text(**changes: object) -> str:
    return yaml.safe_dump(TINY_SPEC | changes, sort_keys=False)


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            _spec_text(intents=[TINY_SPEC["intents"][0] | {"target": 0, "slots": [{"name": "r"}]}]),
            ["intents[0].target: Input should be greater than 0", "intents[0].slots[0].values:"],
        ),
        ("name: [unclosed", ["line 1: not valid YAML or JSON"]),
        (
            _spec_text(prices={"per_query": "0.10", "per_vote": "0.25"}),
            ["below the fair-wage floor"],
        ),
        ("", ["Paste a spec or choose a YAML or JSON file."]),
    ],
    ids=["fields", "syntax", "under-priced", "empty"],
)
def test_a_bad_spec_lists_each_problem_at_the_spec_with_its_path(
    people: People, as_role: Callable[[str], Browser], text: str, messages: list[str]
) -> None:
    requester = as_role("requester")
    for action in ("estimate", "create"):
        sent = {"source": "spec", "spec": text, "action": action}
        page = refused(requester.post("/campaigns/new", sent))
        shown = error_at(page, "spec")
        for message in messages:
            assert message in shown, shown
        assert field_value(page, "spec") == text


def test_an_uploaded_spec_comes_back_as_text_to_fix(
    people: People, as_role: Callable[[str], Browser]
) -> None:
    text = _spec_text(validators_per_query=2)
    page = refused(
        as_role("requester").post(
            "/campaigns/new",
            {"source": "spec", "action": "create", "spec": ""},
            files={"spec_file": ("lights.yaml", text.encode(), "application/yaml")},
        )
    )
    assert "validators_per_query: validators_per_query must be odd" in error_at(page, "spec")
    assert field_value(page, "spec") == text


GUIDED = {
    "source": "form",
    "name": "Lights",
    "language": "en",
    "per_query": "1.00",
    "per_vote": "0.25",
    "validators_per_query": "3",
    "min_stake": "1",
    "intents": yaml.safe_dump(TINY_SPEC["intents"], sort_keys=False),
    "action": "estimate",
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "name: String should have at least 1 character"),
        ({"language": "English"}, "language", "String should have at most 3 characters"),
        ({"per_query": "0.05"}, "per_query", "below the fair-wage floor of 0.75 credits"),
        ({"per_vote": "cheap"}, "per_vote", "Input should be a valid decimal"),
        ({"validators_per_query": "4"}, "validators_per_query", "must be odd"),
        ({"intents": "- name: [oops"}, "intents", "not valid YAML or JSON"),
        ({"intents": "- name: X\n  target: 5"}, "intents", "intents[0].description:"),
    ],
    ids=["name", "language", "under-priced", "price", "validators", "yaml", "intent-field"],
)
def test_the_campaign_form_shows_errors_at_their_field(
    people: People,
    as_role: Callable[[str], Browser],
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    sent = GUIDED | change
    page = refused(as_role("requester").post("/campaigns/new", sent))
    assert message in error_at(page, field)
    for name in ("name", "language", "per_query", "per_vote", "validators_per_query", "intents"):
        assert field_value(page, name) == sent[name], name


def test_the_campaign_form_shows_the_cost_and_the_wage_floor_before_creating(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    page = requester.page("/campaigns/new")
    assert field_value(page, "language") == "en"
    response = requester.post("/campaigns/new", GUIDED)
    assert response.status_code == 200
    page = parse(response.text)
    assert page.by_id("estimate-total").text.endswith("credit")
    floors = page.by_id("wage-floor").text
    assert "Per query: 1.00 credit against a floor of 0.75 credit" in floors
    assert field_value(page, "name") == "Lights"
    assert not campaigns.list_campaigns(ctx, principal(ctx, people.requester))
    created = requester.post("/campaigns/new", GUIDED | {"action": "create"})
    assert created.status_code == 303
    [view] = campaigns.list_campaigns(ctx, principal(ctx, people.requester))
    assert created.headers["location"] == f"/campaigns/{view.id}" and view.status == "draft"
    draft = requester.page(f"/campaigns/{view.id}")
    assert "against a floor of" in draft.by_id("wage-floor").text
    assert draft.has_id("action-launch")


def test_dashboard_forms(ctx: Context, people: People, as_role: Callable[[str], Browser]) -> None:
    campaign = running_campaign(ctx, people.requester)
    requester = as_role("requester")
    page = refused(requester.post(f"/campaigns/{campaign}/escrow", {"amount": "many"}))
    assert "is not a number" in error_at(page, "top-up-amount")
    assert field_value(page, "top-up-amount") == "many"
    page = refused(requester.post(f"/campaigns/{campaign}/escrow", {"amount": "99999999"}))
    assert "short by" in error_at(page, "top-up-amount")
    page = refused(requester.post(f"/campaigns/{campaign}/blacklist", {"worker": "wnobody"}))
    assert "no worker has the id 'wnobody'" in error_at(page, "blacklist-worker")
    assert field_value(page, "blacklist-worker") == "wnobody"


def test_a_lifecycle_conflict_is_shown_on_the_dashboard(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    requester = as_role("requester")
    response = requester.post(f"/campaigns/{campaign}/resume")
    assert response.headers["location"] == f"/campaigns/{campaign}"
    page = requester.page(f"/campaigns/{campaign}")
    assert "only a paused campaign can be resumed" in page.text


# --- operator ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"email": "nobody@web.test", "amount": "5"}, "issue-email", "no user has email"),
        ({"email": "", "amount": "5"}, "issue-email", "Enter the email address"),
        ({"email": "worker@web.test", "amount": "five"}, "issue-amount", "is not a number"),
    ],
    ids=["unknown", "empty", "amount"],
)
def test_issuance(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    sent: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = ledger.balances(ctx, people.worker)
    page = refused(as_role("operator").post("/operator/issue", sent | {"memo": "bonus"}))
    assert message in error_at(page, field)
    assert field_value(page, "issue-email") == sent["email"]
    assert field_value(page, "issue-amount") == sent["amount"]
    assert field_value(page, "issue-memo") == "bonus"
    assert ledger.balances(ctx, people.worker) == before


def test_operator_blacklisting(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    operator = as_role("operator")
    page = refused(operator.post("/operator/blacklist", {"worker": "wx", "campaign_id": ""}))
    assert "Choose a campaign." in error_at(page, "campaign_id")
    assert field_value(page, "blacklist-worker") == "wx"
    sent = {"worker": "wx", "campaign_id": str(campaign)}
    page = refused(operator.post("/operator/blacklist", sent))
    assert "no worker has the id 'wx'" in error_at(page, "blacklist-worker")
    assert field_value(page, "campaign_id") == str(campaign)
    pseudonym = accounts.get_user(ctx, people.worker).pseudonym
    done = operator.post("/operator/blacklist", {"worker": pseudonym, "campaign_id": str(campaign)})
    assert done.status_code == 303
    row = operator.page("/operator/workers").by_id("workers").text
    assert f"#{campaign}" in row
