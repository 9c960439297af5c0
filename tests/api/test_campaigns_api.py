"""Generation campaigns over HTTP (SPEC §1–§2): specs, escrow, lifecycle, the blind worker flow,
exports.

The tiny spec asks for one query that must include "kitchen", so the first worker who asks gets
the one writing offer and the three others get its three vote offers: no luck involved, since
workers who stake the same are admitted at every ask (weight / largest weight = 1) and the flow
runs without controls.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdset.core.generation.spec import parse_spec
from crowdset.core.permissions import Role
from crowdset.formats.nlu import NluFormat, read_dataset
from crowdset.services import accounts, campaigns, generation, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.api.conftest import Caller
from tests.services.conftest import next_of_kind

PROBLEM = "application/problem+json"
API = "/api/v1"

TINY_SPEC: dict[str, Any] = {
    "name": "Tiny lights",
    "language": "en",
    "intents": [
        {
            "name": "SwitchLightOn",
            "description": "Switch the lights on",
            "target": 1,
            "slots": [{"name": "room", "values": ["kitchen"]}],
            "combinations": [["room"]],
            "seeds": ["turn on the lights in the [room:living room]"],
        }
    ],
    "prices": {"per_query": 0.80, "per_vote": 0.20},
    "min_stake": 1,
}
TINY_YAML = """\
# the same campaign as TINY_SPEC, as a requester would write it
name: Tiny lights
language: en
intents:
  - name: SwitchLightOn
    description: Switch the lights on
    target: 1
    slots:
      - {name: room, values: [kitchen]}
    combinations: [[room]]
    seeds:
      - turn on the lights in the [room:living room]
prices:
  per_query: 0.80
  per_vote: 0.20
min_stake: 1
"""
# At 60 credits/hour: 0.80 per query and 0.20 per vote, 10% fee on both; 1 / 0.8 = 2
# expected submissions, each 3 votes and up to 7 for the 20% refused (3.8, so 8 votes), plus
# ceil(8 × 0.1 / 0.9) = 1 control vote (SPEC §6): 80 + 9 × 20 + 8 + 9 × 2 minor units.
TINY_ESCROW = 286
# The stake that covers the largest fines before revocation (SPEC §6.4): 100 votes × 0.20 ×
# 1.5 + 10 queries × 7 votes × 0.20; a generation campaign raises its min_stake to it.
TINY_REQUIRED_STAKE = 4400
# Without controls (tests not about them: a control looks like any vote offer): 80 + 8 × 20
# + 8 + 8 × 2 minor units of escrow.
NO_CONTROLS: dict[str, Any] = {"control_share": 0}
TINY_ESCROW_NO_CONTROLS = 264
GOOD_QUERY = "please switch on the lights in the kitchen"
OFFER_FIELDS = {
    "id",
    "campaign_id",
    "campaign_name",
    "kind",
    "status",
    "expires_at",
    "answer_flags",
    "intent",
    "description",
    "prompt",
    "values",
    "examples",
    "query_text",
    "questions",
    "price",
    # label offers' fields (SPEC §3), empty in generation offers
    "instructions",
    "item_text",
    "item_target",
    "item_image",
    "choices",
    "multi_label",
}


# --- factories (the authorization table uses them too) ---------------------------------------


def requester_of(ctx: Context, user_id: int) -> Principal:
    user = accounts.get_user(ctx, user_id)
    return Principal(user_id=user.id, role=user.role, email=user.email)


def draft_campaign(ctx: Context, requester_id: int) -> int:
    return campaigns.create_campaign(ctx, requester_of(ctx, requester_id), parse_spec(TINY_SPEC)).id


def running_campaign(ctx: Context, requester_id: int) -> int:
    campaign_id = draft_campaign(ctx, requester_id)
    campaigns.launch(ctx, requester_of(ctx, requester_id), campaign_id)
    return campaign_id


def write_offer(ctx: Context, campaign_id: int, worker_id: int) -> int:
    """The campaign's one writing offer, for a worker who stakes what it requires and is the
    first to ask."""
    ledger.stake(ctx, worker_id, TINY_REQUIRED_STAKE)
    return next_of_kind(ctx, worker_id, "write", campaign_id).id


def vote_offer(ctx: Context, campaign_id: int, worker_id: int) -> int:
    """A vote offer for ``worker_id`` on a query that a fresh worker wrote (controls that
    come first are skipped)."""
    author = accounts.create_user(
        ctx, email="author@api.test", password="correct horse", role=Role.WORKER.value
    )
    ledger.issue_credits(ctx, None, author.id, 10_000)
    offer_id = write_offer(ctx, campaign_id, author.id)
    offers.accept_offer(ctx, author.id, offer_id)
    generation.submit_query(ctx, author.id, offer_id, GOOD_QUERY)
    ledger.stake(ctx, worker_id, TINY_REQUIRED_STAKE)
    return next_of_kind(ctx, worker_id, "vote", campaign_id, query_text=GOOD_QUERY).id


def create(client: TestClient, caller: Caller, spec: dict[str, Any] = TINY_SPEC) -> int:
    response = client.post(f"{API}/campaigns", json=spec, headers=caller.headers)
    assert response.status_code == 201, response.text
    campaign_id: int = response.json()["id"]
    return campaign_id


def launch(client: TestClient, caller: Caller, spec: dict[str, Any] = TINY_SPEC) -> int:
    campaign_id = create(client, caller, spec)
    response = client.post(f"{API}/campaigns/{campaign_id}/launch", headers=caller.headers)
    assert response.status_code == 200, response.text
    return campaign_id


def available(client: TestClient, caller: Caller) -> int:
    balance: int = client.get(f"{API}/balances", headers=caller.headers).json()["available"]
    return balance


def with_spec(**changes: Any) -> dict[str, Any]:
    return TINY_SPEC | changes


def with_intent(**changes: Any) -> dict[str, Any]:
    return with_spec(intents=[TINY_SPEC["intents"][0] | changes])


# --- specs ------------------------------------------------------------------------------------


def test_create_from_json_and_from_yaml(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["requester"].headers
    from_json = client.post(f"{API}/campaigns", json=TINY_SPEC, headers=headers)
    from_yaml = client.post(
        f"{API}/campaigns",
        content=TINY_YAML.encode(),
        headers=headers | {"Content-Type": "application/yaml"},
    )
    assert (from_json.status_code, from_yaml.status_code) == (201, 201), from_yaml.text
    first, second = from_json.json(), from_yaml.json()
    assert (first["status"], first["name"], first["escrow_funded"]) == ("draft", "Tiny lights", 0)
    assert first["requester_id"] == callers["requester"].user_id
    assert first["spec"] == second["spec"]
    assert first["spec"]["validators_per_query"] == 3  # defaults are filled in
    listed = client.get(f"{API}/campaigns", headers=headers).json()
    assert [c["id"] for c in listed] == [first["id"], second["id"]]


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        pytest.param(
            with_intent(slots=[{"name": "room", "values": []}]),
            "intents[0].slots[0].values",
            "at least 1 item",
            id="no-values",
        ),
        pytest.param(
            with_intent(slots=[{"name": "room", "values": ["kitchen", "Kitchen"]}]),
            "intents[0].slots[0].values",
            "'Kitchen' is listed twice",
            id="duplicate-value",
        ),
        pytest.param(
            with_spec(validators_per_query=2), "validators_per_query", "must be odd", id="even"
        ),
        pytest.param(
            {k: v for k, v in TINY_SPEC.items() if k != "prices"},
            "prices",
            "this field is required",
            id="missing",
        ),
        pytest.param(
            with_spec(prise=1), "prise", "unknown field 'prise'; did you mean 'prices'?", id="typo"
        ),
    ],
)
def test_bad_spec_is_a_422_naming_the_field_path(
    client: TestClient, callers: dict[str, Caller], spec: dict[str, Any], field: str, words: str
) -> None:
    response = client.post(f"{API}/campaigns", json=spec, headers=callers["requester"].headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("spec_invalid", field)
    assert problem["detail"].startswith(f"request body: {field}: ")
    assert words in problem["detail"]
    assert problem["errors"][0]["field"] == field
    assert client.get(f"{API}/campaigns", headers=callers["requester"].headers).json() == []


def test_broken_yaml_and_json_name_the_line(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["requester"].headers
    yaml_response = client.post(
        f"{API}/campaigns",
        content=b"name: x\nintents: [unclosed\n",
        headers=headers | {"Content-Type": "application/yaml"},
    )
    assert yaml_response.status_code == 422
    assert yaml_response.json()["code"] == "spec_invalid"
    assert "not valid YAML or JSON" in yaml_response.json()["detail"]
    json_response = client.post(
        f"{API}/campaigns",
        content=b'{"name": "x",\n "intents": }',
        headers=headers | {"Content-Type": "application/json"},
    )
    assert json_response.status_code == 422
    problem = json_response.json()
    assert (problem["code"], problem["line"]) == ("invalid_input", 2)
    assert "Content-Type: application/yaml" in problem["detail"]


@pytest.mark.parametrize("route", ["/campaigns", "/campaigns/estimate"])
def test_under_priced_spec_is_refused_with_the_floor(
    client: TestClient, callers: dict[str, Caller], route: str
) -> None:
    cheap = with_spec(prices={"per_query": 0.10, "per_vote": 0.20})
    response = client.post(f"{API}{route}", json=cheap, headers=callers["requester"].headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("under_priced", "prices.per_query")
    assert (problem["price"], problem["floor"]) == (10, 75)  # 45 s at 60 credits/hour
    assert "below the fair-wage floor of 0.75" in problem["detail"]


def test_estimate(client: TestClient, callers: dict[str, Caller]) -> None:
    response = client.post(
        f"{API}/campaigns/estimate", json=TINY_SPEC, headers=callers["requester"].headers
    )
    assert response.status_code == 200
    found = response.json()
    assert found == {
        "queries": 1,
        "expected_submissions": 2,
        "votes": 9,
        "work": 80,
        "validation": 180,
        "fee": 26,
        "total": TINY_ESCROW,
        "worker_minutes": 3.0,
        "price_per_query": 80,
        "price_per_vote": 20,
    }
    assert client.get(f"{API}/campaigns", headers=callers["requester"].headers).json() == []


# --- money and lifecycle ----------------------------------------------------------------------


def test_launch_moves_the_estimate_into_escrow(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    campaign_id = create(client, requester)
    before = available(client, requester)
    response = client.post(f"{API}/campaigns/{campaign_id}/launch", headers=requester.headers)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["escrow_funded"]) == ("running", TINY_ESCROW)
    assert response.json()["launched_at"] is not None
    assert available(client, requester) == before - TINY_ESCROW
    progress = client.get(f"{API}/campaigns/{campaign_id}/progress", headers=requester.headers)
    assert progress.json()["escrow_left"] == TINY_ESCROW
    events = client.get(f"{API}/campaigns/{campaign_id}/events", headers=requester.headers)
    assert [(e["kind"], e["detail"]) for e in events.json()] == [
        ("created", {}),
        ("launched", {"escrow": TINY_ESCROW, "required_stake": TINY_REQUIRED_STAKE}),
    ]


def test_launch_without_enough_credit_moves_nothing(
    client: TestClient, make_caller: Callable[..., Caller]
) -> None:
    poor = make_caller("poor", role="requester", credits=100)
    campaign_id = create(client, poor)
    response = client.post(f"{API}/campaigns/{campaign_id}/launch", headers=poor.headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "insufficient_funds"
    assert (problem["needed"], problem["available"], problem["shortfall"]) == (
        TINY_ESCROW,
        100,
        186,
    )
    assert "deposit 1.86 credit more" in problem["detail"]
    assert available(client, poor) == 100
    campaign = client.get(f"{API}/campaigns/{campaign_id}", headers=poor.headers).json()
    assert (campaign["status"], campaign["escrow_funded"]) == ("draft", 0)


@pytest.mark.parametrize(
    ("steps", "refused", "message"),
    [
        pytest.param([], "pause", "only a running campaign can be paused", id="pause-draft"),
        pytest.param([], "resume", "only a paused campaign can be resumed", id="resume-draft"),
        pytest.param(["launch"], "launch", "only a draft campaign can be launched", id="relaunch"),
        pytest.param(["launch"], "resume", "is running", id="resume-running"),
        pytest.param(["launch", "pause"], "pause", "is paused", id="pause-twice"),
        pytest.param(["launch", "close"], "close", "is closed", id="close-twice"),
        pytest.param(["close"], "launch", "is closed", id="launch-closed"),
    ],
)
def test_lifecycle_conflicts_are_409(
    client: TestClient, callers: dict[str, Caller], steps: list[str], refused: str, message: str
) -> None:
    headers = callers["requester"].headers
    campaign_id = create(client, callers["requester"])
    for step in steps:
        assert client.post(f"{API}/campaigns/{campaign_id}/{step}", headers=headers).is_success
    response = client.post(f"{API}/campaigns/{campaign_id}/{refused}", headers=headers)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["campaign_id"]) == ("conflict", campaign_id)
    assert message in problem["detail"]


def test_pause_resume_close_refunds_the_escrow(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    before = available(client, requester)
    campaign_id = launch(client, requester)
    url = f"{API}/campaigns/{campaign_id}"
    for action, status in (("pause", "paused"), ("resume", "running"), ("close", "closed")):
        response = client.post(f"{url}/{action}", headers=requester.headers)
        assert (response.status_code, response.json()["status"]) == (200, status)
    assert available(client, requester) == before
    progress = client.get(f"{url}/progress", headers=requester.headers).json()
    assert (progress["refunded"], progress["escrow_left"]) == (TINY_ESCROW, 0)


def test_another_requester_sees_no_campaign(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    campaign_id = launch(client, callers["requester"])
    other = make_caller("other", role="requester")
    url = f"{API}/campaigns/{campaign_id}"
    for method, path in [
        ("GET", ""),
        ("GET", "/progress"),
        ("GET", "/events"),
        ("GET", "/export"),
        ("POST", "/pause"),
        ("POST", "/close"),
        ("POST", "/cross-validation"),
    ]:
        response = client.request(method, url + path, headers=other.headers)
        assert response.status_code == 404, path
        assert response.json()["detail"] == f"no campaign has id {campaign_id}"
    assert client.get(f"{API}/campaigns", headers=other.headers).json() == []
    assert client.get(url, headers=callers["operator"].headers).status_code == 200


def test_escrow_top_up_needs_a_key_and_moves_money_once(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    campaign_id = launch(client, requester)
    url = f"{API}/campaigns/{campaign_id}/escrow"
    before = available(client, requester)
    keyless = client.post(url, json={"amount": 50}, headers=requester.headers)
    assert keyless.status_code == 422
    assert keyless.json()["field"] == "Idempotency-Key"
    headers = requester.headers | {"Idempotency-Key": "top-up-1"}
    first = client.post(url, json={"amount": 50}, headers=headers)
    retry = client.post(url, json={"amount": 50}, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert first.json()["escrow_funded"] == retry.json()["escrow_funded"] == TINY_ESCROW + 50
    assert available(client, requester) == before - 50
    clash = client.post(url, json={"amount": 60}, headers=headers)
    assert (clash.status_code, clash.json()["code"]) == (409, "idempotency_conflict")
    progress = client.get(f"{API}/campaigns/{campaign_id}/progress", headers=requester.headers)
    assert progress.json()["escrow_left"] == TINY_ESCROW + 50


def test_top_up_of_a_closed_campaign_is_a_conflict(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    campaign_id = launch(client, requester)
    client.post(f"{API}/campaigns/{campaign_id}/close", headers=requester.headers)
    response = client.post(
        f"{API}/campaigns/{campaign_id}/escrow",
        json={"amount": 50},
        headers=requester.headers | {"Idempotency-Key": "late"},
    )
    assert response.status_code == 409
    assert "only a running or paused campaign takes more escrow" in response.json()["detail"]


# --- the worker flow --------------------------------------------------------------------------

EXPORTS: list[tuple[NluFormat, str, str]] = [
    ("snips", "application/json", "json"),
    ("rasa", "application/yaml", "yml"),
    ("jsonl", "application/jsonl", "jsonl"),
]


def stake(client: TestClient, worker: Caller, amount: int = TINY_REQUIRED_STAKE) -> None:
    headers = worker.headers | {"Idempotency-Key": f"stake-{worker.user_id}"}
    response = client.post(f"{API}/stake", json={"amount": amount}, headers=headers)
    assert response.status_code == 201, response.text


def next_offer(client: TestClient, worker: Caller) -> dict[str, Any] | None:
    response = client.get(f"{API}/work/next", headers=worker.headers)
    if response.status_code == 204:
        assert response.headers["Retry-After"] == "10"
        assert response.content == b""
        return None
    assert response.status_code == 200, response.text
    offer: dict[str, Any] = response.json()
    assert set(offer) == OFFER_FIELDS
    return offer


def test_worker_flow_over_http(
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
    tmp_path: Path,
) -> None:
    requester = callers["requester"]
    campaign_id = launch(client, requester, TINY_SPEC | {"mechanism": NO_CONTROLS})
    workers = [callers["worker"], *(make_caller(f"w{n}") for n in (1, 2, 3))]
    for worker in workers:
        stake(client, worker)

    # Writing: the one unit goes to a worker who asks; everyone else hears "ask again later".
    offers = {worker.user_id: next_offer(client, worker) for worker in workers}
    writers = [w for w in workers if offers[w.user_id] is not None]
    assert len(writers) == 1
    writer = writers[0]
    voters = [w for w in workers if w is not writer]
    write = offers[writer.user_id]
    assert write is not None
    assert (write["kind"], write["campaign_id"], write["price"]) == ("write", campaign_id, 80)
    assert write["values"] == [{"slot": "room", "value": "kitchen"}]
    assert write["prompt"] == "Formulate: Switch the lights on. Include: “kitchen”."
    assert write["examples"] == ["turn on the lights in the living room"]
    offer_url = f"{API}/work/offers/{write['id']}"
    accepted = client.post(f"{offer_url}/accept", headers=writer.headers)
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")
    assert client.get(offer_url, headers=voters[0].headers).status_code == 404  # not theirs

    refused = client.post(f"{offer_url}/query", json={"text": "lights on"}, headers=writer.headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["code"] == "answer_refused"
    assert [r["reason"] for r in problem["reasons"]] == ["missing_value", "too_short"]
    assert all(set(r) == {"reason", "message"} and r["message"] for r in problem["reasons"])
    assert "kitchen" in problem["reasons"][0]["message"]
    assert problem["detail"].endswith("(and 1 more problem(s))")

    submitted = client.post(f"{offer_url}/query", json={"text": GOOD_QUERY}, headers=writer.headers)
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["status"] == "validating"
    again = client.post(f"{offer_url}/query", json={"text": GOOD_QUERY}, headers=writer.headers)
    assert again.status_code == 409  # the offer is done

    # Validation: each other worker gets one blind vote offer on the query.
    writer_me = client.get(f"{API}/me", headers=writer.headers).json()
    seen: list[str] = []
    vote_offers = {}
    for voter in voters:
        offer = next_offer(client, voter)
        assert offer is not None
        assert (offer["kind"], offer["query_text"], offer["price"]) == ("vote", GOOD_QUERY, 20)
        assert [q["field"] for q in offer["questions"]] == [
            "intent_ok",
            "natural_ok",
            "spelling_ok",
            "values_ok",
        ]
        vote_offers[voter.user_id] = offer
        accept = client.post(f"{API}/work/offers/{offer['id']}/accept", headers=voter.headers)
        assert accept.status_code == 200
        seen += [
            accept.text,
            client.get(f"{API}/work/offers/{offer['id']}", headers=voter.headers).text,
        ]
    assert next_offer(client, writer) is None  # nobody votes on their own query
    last = voters[-1]
    last_url = f"{API}/work/offers/{vote_offers[last.user_id]['id']}"
    before_votes = client.get(last_url, headers=last.headers).json()
    yes = {"intent_ok": True, "natural_ok": True, "spelling_ok": True, "values_ok": True}
    for voter in voters[:-1]:
        url = f"{API}/work/offers/{vote_offers[voter.user_id]['id']}/vote"
        assert client.post(url, json=yes, headers=voter.headers).status_code == 204
    after_votes = client.get(last_url, headers=last.headers)
    assert after_votes.json() == before_votes  # blind: two votes cast, nothing shows
    seen.append(after_votes.text)
    assert client.post(f"{last_url}/vote", json=yes, headers=last.headers).status_code == 204

    voter_mes = [client.get(f"{API}/me", headers=v.headers).json() for v in voters]
    for text in seen:
        for identity in (writer_me, *voter_mes):
            assert identity["pseudonym"] not in text
            assert identity["email"] not in text
        assert set(json.loads(text)) == OFFER_FIELDS  # no author, no other votes

    # The requester sees the accepted query; the money went out of escrow.
    progress = client.get(f"{API}/campaigns/{campaign_id}/progress", headers=requester.headers)
    state = progress.json()
    assert (state["accepted"], state["target"]) == (1, 1)
    assert state["intents"] == [
        {
            "intent": "SwitchLightOn",
            "target": 1,
            "accepted": 1,
            "validating": 0,
            "rejected": 0,
            "unvalidated": 0,
            "refused_by_checks": 1,
            "acceptance_rate": 1.0,
        }
    ]
    assert (state["paid_to_workers"], state["fees"]) == (80 + 3 * 20, 8 + 3 * 2)
    assert state["escrow_left"] == TINY_ESCROW_NO_CONTROLS - 154
    for worker, pay in [(writer, 80), *((voter, 20) for voter in voters)]:
        # paid, into pending until the worker's quality is established (SPEC §6.3)
        balances = client.get(f"{API}/balances", headers=worker.headers).json()
        assert (balances["available"], balances["pending"]) == (10_000 - TINY_REQUIRED_STAKE, pay)
    standing = client.get(f"{API}/work/standing", headers=writer.headers).json()
    assert (standing["locked"], standing["staked_amount"]) == (False, TINY_REQUIRED_STAKE)

    # Exports: every format parses back to the one annotated query.
    for fmt, media_type, extension in EXPORTS:
        response = client.get(
            f"{API}/campaigns/{campaign_id}/export",
            params={"format": fmt},
            headers=requester.headers,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == media_type
        assert response.headers["content-disposition"] == (
            f'attachment; filename="campaign-{campaign_id}.{extension}"'
        )
        path = tmp_path / f"export.{extension}"
        path.write_bytes(response.content)
        (query,) = read_dataset(path, fmt)
        assert (query.text, query.intent) == (GOOD_QUERY, "SwitchLightOn")
        assert [(s.slot, query.text[s.start : s.end]) for s in query.spans] == [("room", "kitchen")]
        if fmt == "jsonl":
            assert (query.worker, query.votes_for, query.votes_against) == (
                writer_me["pseudonym"],
                3,
                0,
            )
