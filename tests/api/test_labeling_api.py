"""Labeling campaigns over HTTP (SPEC §3): specs with items, estimates, the worker's gates and
answers, the requester's report, results, audits and pilot; and the acceptance test that no
worker-facing response tells a gold item from any other.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.services import accounts, campaigns, labeling, labeling_reports, ledger
from crowdset.services.context import Context
from crowdset.storage.models import Judgment, LabelItem, Offer
from tests.api.conftest import Caller
from tests.api.test_campaigns_api import (
    API,
    OFFER_FIELDS,
    PROBLEM,
    TINY_REQUIRED_STAKE,
    TINY_SPEC,
    available,
    requester_of,
    stake,
)
from tests.services.conftest import next_of_kind

LABELS = [
    {"name": "pos", "description": "The reviewer liked it"},
    {"name": "neg", "description": "The reviewer did not"},
    {"name": "neutral", "description": "Neither"},
]
# No gates, no gold, one judgment per item: the smallest campaign that settles items.
SIMPLE: dict[str, Any] = {
    "name": "Quick sentiment",
    "type": "classify",
    "instructions": "Is the review positive, negative or neutral?",
    "labels": LABELS,
    "price_per_judgment": 0.20,
    "seconds_per_judgment": 10,
    "overlap": {"min": 1, "max": 1},
    "gold": {"share": 0},
}
SIMPLE_ITEMS: list[dict[str, Any]] = [
    {"id": "r1", "text": "Battery lasts for days"},
    {"id": "r2", "text": "Broke within a week"},
    {"id": "r3", "text": "It is a phone case"},
]
SIMPLE_ESCROW = 66  # 3 items × 1 judgment × (0.20 + 10 % fee)
# The stake that covers the fine reachable before revocation (SPEC §6.4): a campaign raises its
# min_stake to it. SIMPLE and the specs built on it without gold: 12 credits.
SIMPLE_REQUIRED_STAKE = 1_200
GATED: dict[str, Any] = SIMPLE | {
    "name": "Gated sentiment",
    "tutorial": [
        {"text": "Best purchase this year", "answer": "pos", "explanation": "Clear praise."},
        {"text": "Returned it the next day", "answer": "neg"},
    ],
    "qualifier": {
        "pass_mark": 0.5,
        "attempts": 2,
        "questions": [
            {"text": "Works as described, nothing more", "answer": "neutral"},
            {"text": "Terrible sound", "answer": "neg"},
        ],
    },
}
QUIZ: dict[str, Any] = SIMPLE | {
    "name": "Quiz only",
    "qualifier": {"questions": [{"text": "Love it", "answer": "pos"}], "pass_mark": 1.0},
}
PILOT: dict[str, Any] = SIMPLE | {"name": "Piloted", "pilot": {"units": 1}}
RATE: dict[str, Any] = {
    "name": "Answer quality",
    "type": "rate",
    "instructions": "Rate how helpful the answer is.",
    "rubric": ["useless", "poor", "fair", "good", "excellent"],
    "price_per_judgment": 0.20,
    "overlap": {"min": 2, "max": 2},
    "gold": {"share": 0},
}


def with_items(spec: dict[str, Any], items: list[dict[str, Any]] = SIMPLE_ITEMS) -> dict[str, Any]:
    """The body of a create call: the spec and, beside its fields, the items."""
    return spec | {"items": items}


# --- factories (the authorization table uses them too) ---------------------------------------


def labeling_campaign(
    ctx: Context,
    requester_id: int,
    spec: dict[str, Any] = SIMPLE,
    items: list[dict[str, Any]] = SIMPLE_ITEMS,
) -> int:
    """A launched labeling campaign of the requester's (status ``pilot`` for a piloted spec)."""
    parsed = parse_labeling_spec(spec)
    owner = requester_of(ctx, requester_id)
    view = campaigns.create_campaign(ctx, owner, parsed, parse_items(items, parsed))
    campaigns.launch(ctx, owner, view.id)
    return view.id


def label_offer(ctx: Context, campaign_id: int, worker_id: int) -> int:
    """A label offer of the campaign for ``worker_id``, who stakes what it requires."""
    ledger.stake(ctx, worker_id, SIMPLE_REQUIRED_STAKE)
    return next_of_kind(ctx, worker_id, "label", campaign_id).id


def settled_item(ctx: Context, requester_id: int) -> tuple[int, str]:
    """A running campaign with one item answered and settled: (campaign id, item id)."""
    campaign_id = labeling_campaign(ctx, requester_id)
    worker = accounts.create_user(
        ctx, email="labeler@api.test", password="correct horse", role="worker"
    )
    ledger.issue_credits(ctx, None, worker.id, 10_000)
    labeling.submit_label(ctx, worker.id, label_offer(ctx, campaign_id, worker.id), "pos")
    owner = requester_of(ctx, requester_id)
    (done,) = [
        r for r in labeling_reports.results(ctx, owner, campaign_id) if r.status == "settled"
    ]
    return campaign_id, done.item


def post(client: TestClient, caller: Caller, path: str, body: object = None) -> httpx.Response:
    return client.post(f"{API}{path}", json=body, headers=caller.headers)


def get(client: TestClient, caller: Caller, path: str) -> httpx.Response:
    return client.get(f"{API}{path}", headers=caller.headers)


def create(client: TestClient, caller: Caller, body: dict[str, Any]) -> int:
    response = post(client, caller, "/campaigns", body)
    assert response.status_code == 201, response.text
    campaign_id: int = response.json()["id"]
    return campaign_id


def launched(client: TestClient, caller: Caller, body: dict[str, Any]) -> int:
    campaign_id = create(client, caller, body)
    response = post(client, caller, f"/campaigns/{campaign_id}/launch")
    assert response.status_code == 200, response.text
    return campaign_id


def staked_workers(
    client: TestClient, make_caller: Callable[..., Caller], n: int, prefix: str = "lab"
) -> list[Caller]:
    workers = [make_caller(f"{prefix}{k}") for k in range(n)]
    for worker in workers:
        stake(client, worker)
    return workers


# --- specs and items --------------------------------------------------------------------------


def test_create_a_labeling_campaign_from_json_and_yaml(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    first = post(client, requester, "/campaigns", with_items(SIMPLE))
    assert first.status_code == 201, first.text
    made = first.json()
    assert (made["kind"], made["status"], made["escrow_funded"]) == ("classify", "draft", 0)
    assert made["spec"]["type"] == "classify"
    assert made["spec"]["labels"][0] == {"name": "pos", "description": "The reviewer liked it"}
    assert "items" not in made["spec"]
    yaml_body = (
        "name: From YAML\ntype: rate\ninstructions: Rate it.\n"
        "rubric: [useless, poor, fair, good, excellent]\nprice_per_judgment: 0.20\n"
        "gold: {share: 0.2}\nitems:\n  - {id: a, text: first answer, gold: 4}\n"
        "  - {id: b, text: second answer}\n"
    )
    second = client.post(
        f"{API}/campaigns",
        content=yaml_body.encode(),
        headers=requester.headers | {"Content-Type": "application/yaml"},
    )
    assert second.status_code == 201, second.text
    assert (second.json()["kind"], second.json()["spec"]["rubric"][4]) == ("rate", "excellent")
    listed = get(client, requester, "/campaigns").json()
    assert [(c["id"], c["kind"]) for c in listed] == [(made["id"], "classify"), (2, "rate")]
    events = get(client, requester, f"/campaigns/{second.json()['id']}/events").json()
    assert [(e["kind"], e["detail"]) for e in events] == [("created", {"items": 2, "gold": 1})]


@pytest.mark.parametrize(
    ("items", "line", "column", "words"),
    [
        pytest.param(
            [{"id": "a", "text": "fine", "gold": "pos"}, {"id": "b", "text": "x", "gold": "meh"}],
            2,
            "gold",
            "'meh' is not one of pos, neg, neutral",
            id="bad-gold",
        ),
        pytest.param([{"id": "a"}], 1, None, "exactly one of text or image", id="no-text"),
        pytest.param(
            [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}],
            2,
            "id",
            "id 'a' is used twice",
            id="duplicate-id",
        ),
        pytest.param(
            [{"id": "a", "text": "x", "colour": "red"}],
            1,
            None,
            "unknown column(s) colour",
            id="col",
        ),
        pytest.param(
            [{"id": "a", "image": "/home/me/cat.png"}],
            1,
            "image",
            "image must be an http(s) URL",
            id="local-image",
        ),
    ],
)
def test_a_bad_item_is_a_422_naming_its_row_and_column(
    client: TestClient,
    callers: dict[str, Caller],
    items: list[dict[str, Any]],
    line: int,
    column: str | None,
    words: str,
) -> None:
    requester = callers["requester"]
    spec = SIMPLE | {"gold": {"share": 0.1}} if column == "gold" else SIMPLE
    response = post(client, requester, "/campaigns", with_items(spec, items))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["line"]) == ("import_failed", line)
    assert problem.get("column") == column
    assert problem["detail"].startswith(f"items: row {line}")
    assert words in problem["detail"]
    assert get(client, requester, "/campaigns").json() == []  # nothing half-imported


@pytest.mark.parametrize(
    ("body", "code", "field", "words"),
    [
        pytest.param(
            with_items(SIMPLE | {"overlap": {"min": 4, "max": 2}}),
            "spec_invalid",
            "overlap",
            "min 4 is above max 2",
            id="overlap",
        ),
        pytest.param(
            with_items(SIMPLE | {"type": "clasify"}),
            "spec_invalid",
            "type",
            "unknown campaign type 'clasify'; use one of generate, classify, rate, review",
            id="type",
        ),
        pytest.param(
            with_items(SIMPLE | {"rubric": ["a"]}),
            "spec_invalid",
            "(top level)",
            "rubric is for rate campaigns",
            id="rubric-on-classify",
        ),
        pytest.param(SIMPLE, "invalid_input", "items", "needs its items", id="no-items"),
        pytest.param(
            SIMPLE | {"items": [{"id": "a", "text": "x"}, "just text"]},
            "invalid_input",
            "items",
            "items must be a list of objects",
            id="items-not-objects",
        ),
        pytest.param(
            with_items(TINY_SPEC),
            "invalid_input",
            "items",
            "a generation campaign takes no items",
            id="items-on-generation",
        ),
    ],
)
def test_a_bad_labeling_spec_is_a_422_naming_the_field(
    client: TestClient,
    callers: dict[str, Caller],
    body: dict[str, Any],
    code: str,
    field: str,
    words: str,
) -> None:
    response = post(client, callers["requester"], "/campaigns", body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["field"]) == (code, field)
    assert words in problem["detail"]


def test_under_priced_labeling_spec_is_refused_with_the_floor(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    cheap = with_items(SIMPLE | {"price_per_judgment": 0.05})
    for route in ("/campaigns", "/campaigns/estimate"):
        response = post(client, callers["requester"], route, cheap)
        assert response.status_code == 422
        problem = response.json()
        assert (problem["code"], problem["field"]) == ("under_priced", "price_per_judgment")
        assert "0.17" in problem["detail"]


def test_estimate_a_labeling_spec_from_its_items_or_their_number(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    spec = SIMPLE | {"gold": {"share": 0.2}, "overlap": {"min": 1, "max": 3}}
    items = [*SIMPLE_ITEMS, {"id": "g1", "text": "Five stars", "gold": "pos"}]
    from_items = post(client, requester, "/campaigns/estimate", with_items(spec, items))
    from_count = post(client, requester, "/campaigns/estimate", spec | {"item_count": 3})
    assert (from_items.status_code, from_count.status_code) == (200, 200), from_items.text
    # 3 regular items × 3 judgments = 9, plus ceil(9 × 0.2 / 0.8) = 3 gold judgments, plus
    # the controls of probation: 5 a worker for 10 workers, at most what 9 judgments made on
    # probation would take beyond the share, ceil(9 × (1 − 0.25)) = 7
    assert (
        from_items.json()
        == from_count.json()
        == {
            "items": 3,
            "judgments": 9,
            "gold_judgments": 10,
            "work": 19 * 20,
            "fee": 19 * 2,
            "total": 19 * 22,
            "worker_minutes": pytest.approx(19 * 10 / 60),
            "price_per_judgment": 20,
            "onboarding": 0,  # onboarding time not paid here
        }
    )
    neither = post(client, requester, "/campaigns/estimate", spec)
    assert (neither.status_code, neither.json()["field"]) == (422, "items")
    assert (
        "send `items` (as for create) or their number as `item_count`" in (neither.json()["detail"])
    )
    bad = post(client, requester, "/campaigns/estimate", spec | {"item_count": "many"})
    assert (bad.status_code, bad.json()["field"]) == (422, "item_count")
    generation = post(client, requester, "/campaigns/estimate", TINY_SPEC | {"item_count": 3})
    assert (generation.status_code, generation.json()["field"]) == (422, "item_count")
    assert get(client, requester, "/campaigns").json() == []


# --- the requester's side ---------------------------------------------------------------------


def test_a_classify_campaign_from_launch_to_close(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    requester = callers["requester"]
    before = available(client, requester)
    spec = SIMPLE | {"guarantee": {"target": 0.5}}
    campaign_id = launched(client, requester, with_items(spec))
    url = f"/campaigns/{campaign_id}"
    state = get(client, requester, url).json()
    assert (state["status"], state["escrow_funded"]) == ("running", SIMPLE_ESCROW)
    answers = {"Battery lasts for days": "pos", "Broke within a week": "neg"}
    worker = staked_workers(client, make_caller, 1)[0]
    for _ in answers:
        offer = get(client, worker, "/work/next").json()
        assert set(offer) == OFFER_FIELDS
        assert (offer["kind"], offer["prompt"]) == ("label", "Pick one label.")
        assert [c["value"] for c in offer["choices"]] == ["pos", "neg", "neutral"]
        answer = answers.get(offer["item_text"], "neutral")
        done = post(client, worker, f"/work/offers/{offer['id']}/label", {"answer": answer})
        assert done.status_code == 204, done.text
    # paid at submission, into pending until the worker's quality is established (SPEC §6.3)
    balances = get(client, worker, "/balances").json()
    assert (balances["available"], balances["pending"]) == (10_000 - TINY_REQUIRED_STAKE, 2 * 20)

    report = get(client, requester, f"{url}/report").json()
    assert report | {"workers": None, "guarantee": None} == {
        "campaign_id": campaign_id,
        "kind": "classify",
        "status": "running",
        "items": 3,
        "gold_items": 0,
        "settled": 2,
        "judgments": 2,
        "gold_judgments": 0,
        "kept_judgments": 2,
        "fixed_overlap_judgments": 2,
        "judgments_saved": 0,
        "pilot_units": None,
        "pilot_done": 0,
        "guarantee": None,
        "audits": 0,
        "workers": None,
        "agreement": None,  # one answer an item: nothing to agree on yet
    }
    (row,) = report["workers"]
    assert (row["answers"], row["gold_answers"], row["revoked"], row["gate"]) == (
        2,
        0,
        False,
        "open",
    )
    assert row["accuracy_low"] < row["accuracy_mean"] < row["accuracy_high"]
    assert report["guarantee"]["status"] == "undecided"

    results = get(client, requester, f"{url}/results").json()
    assert [(r["item"], r["status"], r["answer"]) for r in results] == [
        ("r1", "settled", "pos"),
        ("r2", "settled", "neg"),
        ("r3", "open", None),
    ]
    assert set(results[0]) == {
        "item", "text", "image", "status", "answer", "confidence", "judgments",
        "score", "mean", "target", "rank", "keep",
    }  # fmt: skip
    as_csv = client.get(f"{API}{url}/results", params={"format": "csv"}, headers=requester.headers)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == (
        f'attachment; filename="campaign-{campaign_id}-results.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["item"], r["answer"]) for r in rows] == [("r1", "pos"), ("r2", "neg"), ("r3", "")]
    assert list(rows[0]) == [
        "item", "text", "image", "status", "answer", "confidence", "judgments"
    ]  # fmt: skip
    as_jsonl = client.get(
        f"{API}{url}/results", params={"format": "jsonl"}, headers=requester.headers
    )
    lines = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [(r["item"], r["answer"]) for r in lines] == [("r1", "pos"), ("r2", "neg"), ("r3", None)]
    bad_format = client.get(
        f"{API}{url}/results", params={"format": "xlsx"}, headers=requester.headers
    )
    assert bad_format.status_code == 422

    assert post(
        client, requester, f"{url}/audits", {"item": "r1", "correct": True}
    ).status_code == (204)
    assert post(
        client, requester, f"{url}/audits", {"item": "r2", "correct": True}
    ).status_code == (204)
    unsettled = post(client, requester, f"{url}/audits", {"item": "r3", "correct": True})
    assert (unsettled.status_code, unsettled.json()["code"]) == (422, "invalid_input")
    assert "no delivered label to audit yet" in unsettled.json()["detail"]
    unknown = post(client, requester, f"{url}/audits", {"item": "zz", "correct": True})
    assert (unknown.status_code, unknown.json()["detail"]) == (
        404,
        f"campaign {campaign_id} has no item 'zz'",
    )
    guarantee = get(client, requester, f"{url}/report").json()["guarantee"]
    assert (guarantee["correct"], guarantee["checked"], guarantee["target"]) == (2, 2, 0.5)
    assert 0 < guarantee["low"] < guarantee["high"] <= 1

    for path in ("pause", "resume", "close"):
        assert post(client, requester, f"{url}/{path}").status_code == 200, path
    closed = get(client, requester, url).json()
    assert closed["status"] == "closed"
    assert available(client, requester) == before - 2 * 22  # the rest came back
    balances = get(client, worker, "/balances").json()  # never revoked: released at close
    assert (balances["available"], balances["pending"]) == (10_000 - TINY_REQUIRED_STAKE + 40, 0)
    kinds = [e["kind"] for e in get(client, requester, f"{url}/events").json()]
    assert kinds == [
        "created", "launched", "audited", "audited", "paused", "running", "closed"
    ]  # fmt: skip


def test_a_rating_campaign_delivers_scores(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    requester = callers["requester"]
    items = [{"id": "a1", "text": "Restart the router."}, {"id": "a2", "text": "No idea."}]
    campaign_id = launched(client, requester, with_items(RATE, items))
    stars = {"Restart the router.": 5, "No idea.": 1}
    workers = staked_workers(client, make_caller, 2)
    for worker in workers:
        for _ in items:
            offer = get(client, worker, "/work/next").json()
            assert offer["prompt"] == "Rate the item from 1 to 5 stars following the rubric."
            assert [c["value"] for c in offer["choices"]] == ["1", "2", "3", "4", "5"]
            star = stars[offer["item_text"]]
            response = post(client, worker, f"/work/offers/{offer['id']}/label", {"answer": star})
            assert response.status_code == 204, response.text
    results = get(client, requester, f"/campaigns/{campaign_id}/results").json()
    assert [(r["item"], r["answer"], r["mean"]) for r in results] == [
        ("a1", "5", 5.0),
        ("a2", "1", 1.0),
    ]
    assert all(r["score"] is not None for r in results)
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    f"{API}/campaigns/{campaign_id}/results",
                    params={"format": "csv"},
                    headers=requester.headers,
                ).text
            )
        )
    )
    assert list(rows[0])[-2:] == ["score", "mean"]


def test_a_pilot_waits_for_the_requester(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    requester = callers["requester"]
    campaign_id = launched(client, requester, with_items(PILOT))
    url = f"/campaigns/{campaign_id}"
    assert get(client, requester, url).json()["status"] == "pilot"
    worker = staked_workers(client, make_caller, 1)[0]
    offer = get(client, worker, "/work/next").json()
    assert post(
        client, worker, f"/work/offers/{offer['id']}/label", {"answer": "pos"}
    ).status_code == (204)
    assert get(client, worker, "/work/next").status_code == 204  # the pilot's one unit is done
    report = get(client, requester, f"{url}/report").json()
    assert (report["pilot_units"], report["pilot_done"]) == (1, 1)
    accepted = post(client, requester, f"{url}/accept-pilot")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "running")
    assert get(client, worker, "/work/next").status_code == 200
    again = post(client, requester, f"{url}/accept-pilot")
    assert again.status_code == 409
    assert "only a pilot campaign can be moved past its pilot" in again.json()["detail"]


def test_generation_routes_refuse_a_labeling_campaign_with_a_422_others_serve_both(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    campaign_id = launched(client, requester, with_items(SIMPLE))
    for method, path in [
        ("GET", "progress"),
        ("GET", "export"),
        ("POST", "cross-validation"),
    ]:
        response = client.request(
            method, f"{API}/campaigns/{campaign_id}/{path}", headers=requester.headers
        )
        assert response.status_code == 422, path
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert (problem["code"], problem["campaign_id"]) == ("invalid_input", campaign_id)
        assert f"campaign {campaign_id} is a classify campaign" in problem["detail"]
        assert "labeling report and results" in problem["detail"]
    # Blacklisting and top-ups apply to both kinds.
    pseudonym = get(client, callers["worker"], "/me").json()["pseudonym"]
    barred = post(client, requester, f"/campaigns/{campaign_id}/blacklist", {"worker": pseudonym})
    assert barred.json() == {"queries_returned": 0}
    onboarding = get(client, callers["worker"], f"/work/campaigns/{campaign_id}/onboarding")
    assert onboarding.json()["gate"] == "blacklisted"
    topped = client.post(
        f"{API}/campaigns/{campaign_id}/escrow",
        json={"amount": 10},
        headers=requester.headers | {"Idempotency-Key": "labeling-top-up"},
    )
    assert topped.json()["escrow_funded"] == SIMPLE_ESCROW + 10
    generation = launched(client, requester, TINY_SPEC)
    for path in ("report", "results"):
        response = get(client, requester, f"/campaigns/{generation}/{path}")
        assert response.status_code == 422, path
        assert "is a generate campaign, not a labeling campaign" in response.json()["detail"]
    refused = post(client, requester, f"/campaigns/{generation}/accept-pilot")
    assert refused.status_code == 409


def test_another_requester_sees_no_labeling_campaign(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    campaign_id = launched(client, callers["requester"], with_items(PILOT))
    other = make_caller("other", role="requester")
    url = f"/campaigns/{campaign_id}"
    for method, path, body in [
        ("GET", "/report", None),
        ("GET", "/results", None),
        ("POST", "/audits", {"item": "r1", "correct": True}),
        ("POST", "/accept-pilot", None),
    ]:
        response = client.request(method, f"{API}{url}{path}", json=body, headers=other.headers)
        assert response.status_code == 404, path
        assert response.json()["detail"] == f"no campaign has id {campaign_id}"
    assert get(client, callers["operator"], f"{url}/report").status_code == 200


# --- the worker's side ------------------------------------------------------------------------


def test_a_worker_goes_through_the_tutorial_and_the_qualifier(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    campaign_id = launched(client, callers["requester"], with_items(GATED))
    worker = staked_workers(client, make_caller, 1)[0]
    url = f"/work/campaigns/{campaign_id}"
    (listed,) = get(client, worker, "/work/labeling").json()
    assert listed == get(client, worker, f"{url}/onboarding").json()
    assert listed["gate"] == "tutorial"
    assert [q["text"] for q in listed["tutorial"]] == [
        "Best purchase this year",
        "Returned it the next day",
    ]
    assert [q["index"] for q in listed["qualifier"]] == [0, 1]
    assert all(set(q) == {"index", "text", "image"} for q in listed["qualifier"])  # no answers
    assert (listed["pass_mark"], listed["attempts_left"], listed["price"]) == (0.5, 2, 20)
    assert get(client, worker, "/work/next").status_code == 204

    early = post(client, worker, f"{url}/qualifier", {"answers": ["neutral", "neg"]})
    assert (early.status_code, early.json()["detail"]) == (
        409,
        "finish the tutorial before the qualifier",
    )
    skipped = post(client, worker, f"{url}/tutorial/1", {"answer": "neg"})
    assert skipped.status_code == 409 and "in order" in skipped.json()["detail"]
    wrong = post(client, worker, f"{url}/tutorial/0", {"answer": "neg"})
    assert wrong.json() == {
        "correct": False,
        "expected": "pos",
        "explanation": "Clear praise.",
        "answered": 1,
        "total": 2,
        "done": False,
    }
    assert post(client, worker, f"{url}/tutorial/0", {"answer": "pos"}).json()["correct"]
    bad = post(client, worker, f"{url}/tutorial/1", {"answer": "maybe"})
    assert (bad.status_code, bad.json()["field"]) == (422, "answer")
    assert post(client, worker, f"{url}/tutorial/1", {"answer": "neg"}).json()["done"]
    missing = post(client, worker, f"{url}/tutorial/5", {"answer": "neg"})
    assert missing.status_code == 404
    assert get(client, worker, f"{url}/onboarding").json()["gate"] == "qualifier"

    short = post(client, worker, f"{url}/qualifier", {"answers": ["neutral"]})
    assert (short.status_code, short.json()["field"]) == (422, "answers")
    failed = post(client, worker, f"{url}/qualifier", {"answers": ["pos", "pos"]})
    assert failed.json() == {"passed": False, "score": 0.0, "pass_mark": 0.5, "attempts_left": 1}
    passed = post(client, worker, f"{url}/qualifier", {"answers": ["pos", "neg"]})
    assert passed.json() == {"passed": True, "score": 0.5, "pass_mark": 0.5, "attempts_left": 0}
    assert get(client, worker, f"{url}/onboarding").json()["gate"] == "open"
    offer = get(client, worker, "/work/next").json()
    assert offer["kind"] == "label" and offer["instructions"] == GATED["instructions"]


def test_label_answers_are_checked(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    multi = SIMPLE | {"multi_label": True}
    campaign_id = launched(client, callers["requester"], with_items(multi))
    worker, other = staked_workers(client, make_caller, 2)
    offer = get(client, worker, "/work/next").json()
    assert (offer["campaign_id"], offer["multi_label"]) == (campaign_id, True)
    assert offer["prompt"] == "Pick every label that applies."
    url = f"/work/offers/{offer['id']}/label"
    unknown = post(client, worker, url, {"answer": ["pos", "great"]})
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == ("answer: unknown label(s) great; labels: pos, neg, neutral")
    negative = post(client, worker, url, {"answer": ["pos"], "seconds_on_task": -1})
    assert (negative.status_code, negative.json()["code"]) == (422, "invalid_input")
    assert post(client, other, url, {"answer": ["pos"]}).status_code == 404  # not theirs
    assert post(client, worker, url, {"answer": ["pos", "neutral"]}).status_code == 204
    again = post(client, worker, url, {"answer": ["pos"]})
    assert again.status_code == 409
    generation = launched(client, callers["requester"], TINY_SPEC)
    write = get(client, other, f"/work/next?campaign_id={generation}").json()
    assert write["kind"] == "write"
    assert set(write) == OFFER_FIELDS
    assert (write["instructions"], write["item_text"], write["choices"]) == ("", None, [])
    wrong_kind = post(client, other, f"/work/offers/{write['id']}/label", {"answer": "pos"})
    assert wrong_kind.status_code == 422
    assert f"offer {write['id']} is a write offer" in wrong_kind.json()["detail"]


def test_worker_routes_refuse_a_generation_campaign(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    generation = launched(client, callers["requester"], TINY_SPEC)
    worker = callers["worker"]
    assert get(client, worker, "/work/labeling").json() == []
    for path, body in [
        ("onboarding", None),
        ("tutorial/0", {"answer": "pos"}),
        ("qualifier", {"answers": ["pos"]}),
    ]:
        url = f"{API}/work/campaigns/{generation}/{path}"
        response = client.request(
            "GET" if body is None else "POST", url, json=body, headers=worker.headers
        )
        assert response.status_code == 404, path
        assert response.json()["detail"] == f"no open labeling campaign has id {generation}"


# --- acceptance: no gold leaks to workers -----------------------------------------------------

REVIEWS = [
    "Battery lasts for days",
    "Screen cracked on day one",
    "Does what it says",
    "Lovely colours and sharp",
    "Stopped charging after a month",
    "Arrived on time",
    "Sound is tinny and weak",
    "Great value for the price",
    "Packaging was plain",
    "Keyboard feels cheap",
    "Best headphones I have owned",
    "It is blue",
    "Refund took weeks",
    "Fits my hand well",
    "Manual is in English",
    "Overheats when gaming",
    "Camera is superb at night",
    "Strap broke twice",
    "Weighs about a kilo",
    "Would buy again",
]
TRUTH = ["pos", "neg", "neutral", "pos", "neg", "neutral", "neg", "pos", "neutral", "neg"] * 2
CHECKS = [
    ("Absolutely love this kettle", "pos"),
    ("Leaks everywhere", "neg"),
    ("Comes in a box", "neutral"),
    ("Terrific speaker", "pos"),
    ("Smells of burnt plastic", "neg"),
    ("Has two buttons", "neutral"),
    ("Wonderful customer care", "pos"),
    ("Fell apart at once", "neg"),
]
REGULAR_IDS = [f"rv{n:03d}q" for n in range(len(REVIEWS))]
CHECK_IDS = [f"ck{n:03d}z" for n in range(len(CHECKS))]
LEAK_SPEC: dict[str, Any] = GATED | {
    "name": "Product sentiment",
    "overlap": {"min": 1, "max": 3, "confidence": 0.9},
    "gold": {"share": 0.3},
    "quality": {"bar": 0.3, "min_answers": 50},
}
LEAK_REQUIRED_STAKE = 3_180  # SPEC §6.4: the fine reachable in the 50 answers before revocation
LEAK_ITEMS = [{"id": key, "text": text} for key, text in zip(REGULAR_IDS, REVIEWS, strict=True)] + [
    {"id": key, "text": text, "gold": answer}
    for key, (text, answer) in zip(CHECK_IDS, CHECKS, strict=True)
]


def _offers_of(ctx: Context, worker: Caller, campaign_id: int) -> list[int]:
    def work(session: Session) -> list[int]:
        rows = session.execute(
            select(Offer.id).where(
                Offer.campaign_id == campaign_id, Offer.worker_id == worker.user_id
            )
        )
        return [offer_id for (offer_id,) in rows]

    return ctx.db.run(work, readonly=True)


def shape(value: object) -> object:
    """A JSON value's structure: keys and types, not contents."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def test_no_worker_facing_response_tells_a_gold_item_apart(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    """A classify campaign with 30 % gold, worked by four people entirely over HTTP. Every
    response a worker gets (bodies and headers) is kept: none mentions gold or carries an item
    id, and gold offers and answers to them look exactly like the others."""
    campaign_id = launched(client, callers["requester"], with_items(LEAK_SPEC, LEAK_ITEMS))
    truth = dict(zip(REVIEWS, TRUTH, strict=True)) | dict(CHECKS)
    seen: list[httpx.Response] = []

    def call(method: str, caller: Caller, path: str, body: object = None) -> httpx.Response:
        response = client.request(method, f"{API}{path}", json=body, headers=caller.headers)
        assert response.status_code < 500, response.text
        seen.append(response)
        return response

    workers = [make_caller(f"lab{n}") for n in range(4)]
    url = f"/work/campaigns/{campaign_id}"
    for worker in workers:
        headers = worker.headers | {"Idempotency-Key": f"stake-{worker.user_id}"}
        staked = client.post(f"{API}/stake", json={"amount": LEAK_REQUIRED_STAKE}, headers=headers)
        seen.append(staked)
        call("GET", worker, "/work/labeling")
        call("GET", worker, f"{url}/onboarding")
        call("POST", worker, f"{url}/tutorial/0", {"answer": "neg"})  # wrong: feedback
        call("POST", worker, f"{url}/tutorial/0", {"answer": "pos"})
        call("POST", worker, f"{url}/tutorial/1", {"answer": "neg"})
        result = call("POST", worker, f"{url}/qualifier", {"answers": ["neutral", "neg"]})
        assert result.json()["passed"]

    offer_bodies: dict[int, dict[str, Any]] = {}
    submits: dict[int, httpx.Response] = {}
    answered = 0
    for round_number in range(80):
        worked = False
        for position, worker in enumerate(workers):
            response = call("GET", worker, "/work/next")
            if response.status_code == 204:
                continue
            worked = True
            offer = response.json()
            offer_bodies[offer["id"]] = offer
            offer_url = f"/work/offers/{offer['id']}"
            call("GET", worker, offer_url)
            call("POST", worker, f"{offer_url}/accept")
            if (round_number + position) % 9 == 4:
                call("POST", worker, f"{offer_url}/skip")
                continue
            answer = truth[offer["item_text"]]
            if answered % 5 == 3:  # now and then a wrong answer, on gold and regular alike
                answer = "neutral" if answer != "neutral" else "pos"
            submits[offer["id"]] = call(
                "POST", worker, f"{offer_url}/label", {"answer": answer, "seconds_on_task": 4}
            )
            answered += 1
        if not worked:
            break

    def gold_offers(session: Session) -> set[int]:
        """Offers of the requester's gold, and of consensus gold (SPEC §6.1: an item settled
        with confidence serves as a control afterwards; its judgment says it was one)."""
        rows = session.execute(
            select(Offer.id)
            .join(LabelItem, LabelItem.id == Offer.item_id)
            .outerjoin(
                Judgment,
                (Judgment.item_id == Offer.item_id) & (Judgment.worker_id == Offer.worker_id),
            )
            .where(
                Offer.campaign_id == campaign_id,
                LabelItem.gold.is_not(None) | Judgment.gold.is_(True),
            )
        )
        return {offer_id for (offer_id,) in rows}

    gold = ctx.db.run(gold_offers, readonly=True)

    owners = {offer_id: w for w in workers for offer_id in _offers_of(ctx, w, campaign_id)}
    again = [i for i in submits if i in gold][:4] + [i for i in submits if i not in gold][:4]
    for offer_id in again:  # answering again: the same refusal, gold or not
        call("POST", owners[offer_id], f"/work/offers/{offer_id}/label", {"answer": "pos"})
        call("GET", owners[offer_id], f"/work/offers/{offer_id}")
    for worker in workers:
        call("GET", worker, "/me")
        call("GET", worker, "/work/standing")
        call("GET", worker, "/balances")
        call("GET", worker, "/ledger/history")
        call("GET", worker, f"{url}/onboarding")
        call("GET", worker, "/work/labeling")

    gold_seen = [offer_bodies[i] for i in offer_bodies if i in gold]
    regular_seen = [offer_bodies[i] for i in offer_bodies if i not in gold]
    assert len(gold_seen) >= 5 and len(regular_seen) >= 20, (len(gold_seen), len(regular_seen))

    # 1. Nothing says "gold", nor names an item, in any body or header.
    for response in seen:
        text = response.text.lower()
        assert "gold" not in text, response.text
        for name, value in response.headers.items():
            assert "gold" not in name.lower() and "gold" not in value.lower(), (name, value)
        for key in REGULAR_IDS + CHECK_IDS:
            assert key not in response.text, (key, response.text)

    # 2. Gold offers have exactly the keys, the types and the choices of the others.
    shapes = {json.dumps(shape(offer)) for offer in gold_seen + regular_seen}
    assert len(shapes) == 1, shapes
    assert {json.dumps(o["choices"]) for o in gold_seen + regular_seen} == {
        json.dumps(gold_seen[0]["choices"])
    }
    assert {o["price"] for o in gold_seen} == {o["price"] for o in regular_seen} == {20}

    # 3. Answers to gold offers get the same reply as any other: 204, no body, same headers.
    gold_replies = [r for i, r in submits.items() if i in gold]
    regular_replies = [r for i, r in submits.items() if i not in gold]
    assert gold_replies and regular_replies
    for reply in gold_replies + regular_replies:
        assert (reply.status_code, reply.content) == (204, b"")
    assert {tuple(sorted(r.headers)) for r in gold_replies} == {
        tuple(sorted(r.headers)) for r in regular_replies
    }
    refusals = [r for r in seen if r.request.url.path.endswith("/label") and r.status_code != 204]
    assert len(refusals) == 8
    assert {
        json.dumps(r.json() | {"offer_id": 0, "detail": re.sub(r"\d+", "N", r.json()["detail"])})
        for r in refusals
    } == {
        json.dumps(
            {
                "offer_id": 0,
                "state": "done",
                "type": "urn:crowdset:error:conflict",
                "title": "Conflict",
                "status": 409,
                "detail": "offer N is done: ask for your next offer",
                "code": "conflict",
            }
        )
    }
    # …and they were graded: the requester sees gold answers right and wrong.
    report = get(client, callers["requester"], f"/campaigns/{campaign_id}/report").json()
    assert report["gold_judgments"] == len(gold_replies)
    assert sum(w["gold_correct"] for w in report["workers"]) < report["gold_judgments"]
    assert sum(w["gold_correct"] for w in report["workers"]) > 0
