"""The mechanism dry-run over REST (SPEC §6.9, issue #14): 202 with a Location, poll until
done, rows and summary; requesters and operators only; another requester's run is a 404 with
the same words as a missing one; a bad spec is a 422 with its field paths; one run at a time
per requester (409 naming it)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from crowdset.core.permissions import Role
from crowdset.services import campaigns
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.api.conftest import Caller
from tests.services.test_dry_runs import SENTIMENT, TINY, Gate

API = "/api/v1"
PROBLEM = "application/problem+json"


def poll(client: TestClient, location: str, caller: Caller, seconds: float = 240) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        body = client.get(location, headers=caller.headers).json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_a_dry_run_is_accepted_then_polled_until_its_table(
    ctx: Context, client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    started = client.post(
        f"{API}/sim/attack",
        json={"spec": TINY, "mix": "spammer=0.5", "seed": 3, "workers": 4},
        headers=requester.headers,
    )
    assert started.status_code == 202, started.text
    run = started.json()
    assert started.headers["location"] == f"{API}/sim/attack/{run['id']}"
    assert run["status"] in ("queued", "running") and run["spec_name"] == "Tiny lights"
    assert run["rows"] is None and run["summary"] is None

    done = poll(client, started.headers["location"], requester)
    assert done["status"] == "done", done["error"]
    rows = {row["strategy"]: row for row in done["rows"]}
    assert set(rows) == {"honest", "spammer"}
    for key in ("net_per_hour", "net_per_person", "offer_share_per_person", "accepted_share",
                "fined_or_revoked_share", "meets_target"):  # fmt: skip
        assert key in rows["spammer"]
    assert rows["honest"]["honest"] is True and rows["honest"]["fair_wage_per_hour"] == 60.0
    summary = done["summary"]
    assert (summary["spec_name"], summary["workflow"], summary["seed"]) == (
        "Tiny lights",
        "generation",
        3,
    )
    assert summary["ledger_ok"] is True and summary["mix"] == {"spammer": 0.5, "honest": 0.5}
    assert done["progress"]["total"] >= 1 and done["finished_at"] is not None
    # it ran on a throw-away database: the requester's own has no campaign
    assert requester.user_id is not None
    owner = Principal(requester.user_id, Role.REQUESTER, "requester@api.test")
    assert campaigns.list_campaigns(ctx, owner) == []


def test_only_requesters_and_operators_and_only_their_own_runs(
    client: TestClient, callers: dict[str, Caller], make_caller: Any
) -> None:
    body = {"spec": TINY, "workers": 4}
    for who, status in (("anonymous", 401), ("worker", 403)):
        refused = client.post(f"{API}/sim/attack", json=body, headers=callers[who].headers)
        assert refused.status_code == status and refused.headers["content-type"] == PROBLEM
    requester = callers["requester"]
    assert requester.user_id is not None
    runs = client.app.state.dry_runs  # type: ignore[attr-defined]
    gate = Gate()
    owner = Principal(requester.user_id, Role.REQUESTER, "requester@api.test")
    run = runs.start(owner, "Tiny lights", gate)
    try:
        path = f"{API}/sim/attack/{run.id}"
        other = make_caller("other", role="requester")
        hidden = client.get(path, headers=other.headers)
        missing = client.get(f"{API}/sim/attack/nope", headers=other.headers)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace(run.id, "nope") == missing.json()["detail"]
        assert client.get(path, headers=callers["worker"].headers).status_code == 403
        assert client.get(path, headers=callers["operator"].headers).status_code == 200
        mine = client.get(path, headers=requester.headers).json()
        assert mine["status"] == "running" or mine["status"] == "queued"

        again = client.post(f"{API}/sim/attack", json=body, headers=requester.headers)
        assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
        assert again.json()["code"] == "conflict" and run.id in again.json()["detail"]
    finally:
        gate.opened.set()
        assert runs.wait(run.id, timeout=10).status == "done"


def test_a_bad_spec_is_a_422_with_its_field_paths(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    bad = TINY.replace("target: 2\n", "target: -2\n", 1)
    refused = client.post(f"{API}/sim/attack", json={"spec": bad}, headers=requester.headers)
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["code"] == "spec_invalid"
    assert "intents[0].target" in str(problem)


def test_inputs_are_checked_before_anything_runs(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    headers = callers["requester"].headers

    def refused(body: dict[str, Any]) -> dict[str, Any]:
        answer = client.post(f"{API}/sim/attack", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        problem: dict[str, Any] = answer.json()
        return problem

    mix = refused({"spec": TINY, "mix": "lazy=0.5"})
    assert (mix["code"], mix["field"]) == ("invalid_input", "mix")
    assert mix["detail"].startswith("mix: no strategy is called 'lazy'")
    items = refused({"spec": SENTIMENT})
    assert items["field"] == "items" and "needs its items" in items["detail"]
    gold = refused({"spec": SENTIMENT, "items": "id,text,gold\nr1,Love it,maybe\n"})
    assert gold["field"] == "items" and "maybe" in gold["detail"]
    items_csv = "id,text,gold\nr1,Love it,pos\nr2,Broke at once,\n"
    truth = refused({"spec": SENTIMENT, "items": items_csv, "truth": "id\nr2\n"})
    assert truth["field"] == "truth" and "no truth column" in truth["detail"]
    generation = refused({"spec": TINY, "items": "id,text\nr1,Love it\n"})
    assert generation["field"] == "items" and "takes no items" in generation["detail"]
    few = refused({"spec": TINY, "workers": 1})
    assert few["code"] == "invalid_input"


def test_sybil_k_splits_the_sybil_beside_its_twin(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    """Issue #15: ``sybil_k`` accounts per sybil person, and a ``sybil_baseline`` row; out of
    range or without a sybil in the mix, refused before anything runs."""
    requester = callers["requester"]

    def post(body: dict[str, Any]) -> Any:
        return client.post(f"{API}/sim/attack", json=body, headers=requester.headers)

    for k in (0, 51):
        out_of_range = post({"spec": TINY, "mix": "sybil=0.5", "sybil_k": k})
        assert out_of_range.status_code == 422 and "sybil_k" in out_of_range.text
    no_sybil = post({"spec": TINY, "mix": "spammer=0.5", "sybil_k": 2})
    assert no_sybil.status_code == 422, no_sybil.text
    problem = no_sybil.json()
    assert (problem["code"], problem["field"]) == ("invalid_input", "sybil_k")
    assert problem["detail"].startswith("sybil_k splits a sybil's stake, but the mix has no sybil")

    started = post({"spec": TINY, "mix": "sybil=0.5", "workers": 2, "sybil_k": 2, "seed": 1})
    assert started.status_code == 202, started.text
    done = poll(client, started.headers["location"], requester)
    assert done["status"] == "done", done["error"]
    rows = {row["strategy"]: row for row in done["rows"]}
    assert (rows["sybil"]["workers"], rows["sybil"]["sybil_k"]) == (2, 2)
    assert (rows["sybil_baseline"]["persons"], rows["sybil_baseline"]["workers"]) == (1, 1)
    assert "offer_share_per_person_ratio" in rows["sybil"]
    assert done["summary"]["sybil_k"] == 2
