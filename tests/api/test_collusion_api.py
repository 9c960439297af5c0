"""Collusion flags over REST (SPEC §6.8, issue #15): the κ table and the flagged groups, who
may read them, and excluding a flagged group in one call."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from crowdset.core.permissions import Role
from crowdset.services import accounts, ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.api.conftest import Caller
from tests.services.test_collusion import voted_crowd

API = "/api/v1"
PROBLEM = "application/problem+json"


def staked_workers(ctx: Context) -> Callable[[], int]:
    count = iter(range(1, 1000))

    def make() -> int:
        user = accounts.create_user(
            ctx, email=f"v{next(count)}@api.test", password="correct horse", role="worker"
        )
        ledger.issue_credits(ctx, None, user.id, 50_000)
        ledger.stake(ctx, user.id, 5_000)
        return user.id

    return make


def test_the_report_and_excluding_a_group(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    requester, operator = callers["requester"], callers["operator"]
    assert requester.user_id is not None
    ledger.issue_credits(ctx, None, requester.user_id, 1_000_000)
    owner = Principal(requester.user_id, Role.REQUESTER, "requester@api.test")
    crowd = voted_crowd(ctx, owner, staked_workers(ctx))
    path = f"{API}/campaigns/{crowd.campaign_id}/collusion"

    found = client.get(path, headers=requester.headers)
    assert found.status_code == 200
    body = found.json()
    assert (body["track"], body["items"], body["workers"]) == ("vote", 40, 9)
    assert (body["min_shared"], body["alpha"], body["correction"]) == (8, 0.05, "holm")
    [group] = body["groups"]
    ring = crowd.pseudonyms(crowd.ring)
    assert sorted(group["workers"]) == sorted(ring) and not group["excluded"]
    first = body["pairs"][0]
    assert first["flagged"] and set(first["workers"]) <= set(ring)
    assert first["observed"] == 1.0 and first["kappa"] == 1.0 and first["controls"] == [20, 20]
    assert first["p_adjusted"] <= 0.05 and first["expected"] < 0.6
    assert len(body["pairs"]) == 36
    assert client.get(path, headers=operator.headers).status_code == 200
    for who in (callers["worker"], make_caller("other", role="requester")):
        refused = client.get(path, headers=who.headers)
        assert refused.status_code in (403, 404)
        assert refused.headers["content-type"] == PROBLEM
    assert client.get(path).status_code == 401

    exclude = f"{path}/exclude"
    honest = crowd.pseudonyms(crowd.honest)
    wrong = client.post(exclude, json={"workers": [honest[0]]}, headers=requester.headers)
    assert wrong.status_code == 422 and wrong.json()["code"] == "rule_violation"
    assert honest[0] in wrong.json()["detail"]
    empty = client.post(exclude, json={"workers": []}, headers=requester.headers)
    assert empty.status_code == 422
    by_worker = client.post(exclude, json={"workers": ring}, headers=callers["worker"].headers)
    assert by_worker.status_code == 403

    done = client.post(
        exclude, json={"workers": ring, "reason": "Seen in the table."}, headers=requester.headers
    )
    assert done.status_code == 200
    result = done.json()
    assert result["workers"] == ring and len(result["sanctions"]) == 6
    assert result["fined"] == 225 and result["clawed_back"] == 150
    assert result["queries_returned"] == 5
    again = client.post(exclude, json={"workers": ring}, headers=requester.headers)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert client.get(path, headers=requester.headers).json()["groups"][0]["excluded"]
    sanction = client.get(
        f"{API}/sanctions/{result['sanctions'][0]}", headers=requester.headers
    ).json()
    assert "for collusion" in sanction["reason"] and "Seen in the table." in sanction["reason"]


def test_the_routes_are_documented(client: TestClient) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    report = paths["/api/v1/campaigns/{campaign_id}/collusion"]["get"]
    assert "control" in report["description"] and "422" in report["responses"]
    exclude = paths["/api/v1/campaigns/{campaign_id}/collusion/exclude"]["post"]
    assert "one action" in exclude["description"]
