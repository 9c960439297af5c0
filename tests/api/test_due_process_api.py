"""Due process over REST (issue #14): pending in the balances, a worker's quality, sanctions
with evidence, one appeal (409 for a second), the requester's decision; others' sanctions are
404s with the same words as a missing one."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from crowdset.core.permissions import Role
from crowdset.services import ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.api.conftest import Caller
from tests.services.test_due_process import earn, launched, revoke

API = "/api/v1"
PROBLEM = "application/problem+json"


def test_pending_quality_sanction_appeal_and_decision(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    worker, requester = callers["worker"], callers["requester"]
    assert worker.user_id is not None and requester.user_id is not None
    ledger.issue_credits(ctx, None, requester.user_id, 1_000_000)
    ledger.stake(ctx, worker.user_id, 1_000)
    owner = Principal(requester.user_id, Role.REQUESTER, "requester@api.test")
    campaign_id = launched(ctx, owner)
    earn(ctx, campaign_id, worker.user_id)

    balances = client.get(f"{API}/balances", headers=worker.headers).json()
    assert (balances["pending"], balances["available"]) == (100, 9_000)
    [track] = client.get(f"{API}/me/quality", headers=worker.headers).json()
    assert (track["campaign_id"], track["track"], track["status"]) == (
        campaign_id,
        "vote",
        "pending",
    )
    assert track["bar"] == 0.8 and track["lower"] < 0.8 and track["controls_to_release"] > 0
    assert "bar of 80%" in track["why_pending"]
    refused = client.get(f"{API}/me/quality", headers=requester.headers)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM

    sanction_id = revoke(ctx, campaign_id, worker.user_id)
    path = f"{API}/sanctions/{sanction_id}"
    [listed] = client.get(f"{API}/sanctions", headers=worker.headers).json()
    assert listed["id"] == sanction_id and listed["can_appeal"]
    seen = client.get(path, headers=worker.headers).json()
    assert seen["evidence"]["controls_failed"] == 10 and seen["fine"] == 150
    assert seen["clawed_back"] == 100 and seen["failed_controls"] == []
    stranger = make_caller("stranger")
    for who in (stranger, make_caller("other-requester", role="requester")):
        hidden = client.get(path, headers=who.headers)
        missing = client.get(f"{API}/sanctions/999", headers=who.headers)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace(str(sanction_id), "N") == missing.json()[
            "detail"
        ].replace("999", "N")
    too_long = client.post(f"{path}/appeal", json={"text": "x" * 2001}, headers=worker.headers)
    assert too_long.status_code == 422 and "2000 allowed" in too_long.json()["detail"]
    not_theirs = client.post(f"{path}/appeal", json={"text": "me"}, headers=stranger.headers)
    assert not_theirs.status_code == 404

    appealed = client.post(f"{path}/appeal", json={"text": "Ambiguous"}, headers=worker.headers)
    assert appealed.status_code == 200 and appealed.json()["appeal_status"] == "open"
    again = client.post(f"{path}/appeal", json={"text": "Again"}, headers=worker.headers)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    [open_one] = client.get(
        f"{API}/sanctions", params={"appeal_status": "open"}, headers=requester.headers
    ).json()
    assert open_one["can_decide"] and open_one["appeal_text"] == "Ambiguous"
    body = {"decision": "uphold", "note": "The check was wrong."}
    forbidden = client.post(f"{path}/decision", json=body, headers=worker.headers)
    assert forbidden.status_code == 403
    decided = client.post(f"{path}/decision", json=body, headers=requester.headers)
    assert decided.status_code == 200 and decided.json()["appeal_status"] == "upheld"
    balances = client.get(f"{API}/balances", headers=worker.headers).json()
    assert (balances["pending"], balances["available"]) == (0, 9_000 + 150 + 100)
    final = client.post(f"{path}/decision", json=body, headers=requester.headers)
    assert final.status_code == 409 and "a decision is final" in final.json()["detail"]
