"""Newcomers over HTTP (SPEC §3, §6.6): a generation bounty from a worker without a credit to a
first stake, and onboarding time sent with tutorial and qualifier answers, counted in
`GET /earnings` and paid once where the campaign pays it.

The newcomer and the requester act through HTTP; the validators who decide the newcomer's
queries act through the services (their part is tested in tests/api/test_campaigns_api.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from crowdset.services.context import Context
from tests.api.conftest import Caller
from tests.api.test_campaigns_api import API, TINY_SPEC
from tests.api.test_labeling_api import GATED, get, launched, post, with_items
from tests.conftest import FakeClock
from tests.services.test_newcomers import YES, judge, vetted

BOUNTY_SPEC: dict[str, Any] = TINY_SPEC | {
    "name": "Bounty lights",
    "intents": [
        TINY_SPEC["intents"][0]
        | {
            "target": 8,
            "slots": [{"name": "room", "values": ["kitchen", "bedroom", "hall"]}],
            "combinations": [["room"]],
        }
    ],
    "min_stake": 0,
    "max_open_offers": 1,
    "bounty": {"tasks": 5, "release_after": 2},
    "mechanism": {"control_share": 0, "confidence": 0.8, "min_evidence": 2, "max_votes": 3},
}
PHRASES = ["please switch on the lights in the {v}", "i want the {v} lights on now"]


def offer_for(client: TestClient, clock: FakeClock, worker: Caller) -> dict[str, Any]:
    """The worker's next offer over HTTP, asking again one admission slot later on a 204."""
    for _ in range(200):
        response = client.get(f"{API}/work/next", headers=worker.headers)
        if response.status_code == 200:
            found: dict[str, Any] = response.json()
            return found
        assert response.status_code == 204, response.text
        clock.advance(seconds=10)
    raise AssertionError("no offer in 200 asks")


def bounty_of(client: TestClient, worker: Caller, campaign_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/work/bounties", headers=worker.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = [b for b in response.json() if b["campaign_id"] == campaign_id]
    assert len(found) == 1
    return found[0]


def test_a_newcomer_goes_from_bounty_tasks_to_a_first_stake(
    ctx: Context,
    clock: FakeClock,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    requester = callers["requester"]
    campaign_id = launched(client, requester, BOUNTY_SPEC)
    spec = client.get(f"{API}/campaigns/{campaign_id}", headers=requester.headers).json()
    assert spec["spec"]["bounty"] == {"tasks": 5, "release_after": 2, "votes": False}
    validators = [make_caller(f"v{n}", credits=1_000) for n in range(3)]
    for validator in validators:
        staked = client.post(
            f"{API}/stake",
            json={"amount": 300},
            headers=validator.headers | {"Idempotency-Key": f"stake-{validator.user_id}"},
        )
        assert staked.status_code == 201, staked.text
    vetted(ctx, campaign_id, [v.user_id for v in validators if v.user_id is not None])
    newcomer = make_caller("newcomer", credits=0)
    assert newcomer.user_id is not None

    standing = bounty_of(client, newcomer, campaign_id)
    assert (standing["tasks"], standing["left"], standing["staked"]) == (5, 5, 0)
    assert standing["required_stake"] == 240 and standing["stake_short"] == 240

    for number, phrase in enumerate(PHRASES, start=1):
        offer = offer_for(client, clock, newcomer)
        assert offer["kind"] == "write" and offer["price"] == 80
        text = phrase.format(v=offer["values"][0]["value"])
        sent = post(client, newcomer, f"/work/offers/{offer['id']}/query", {"text": text})
        assert sent.status_code == 201, sent.text
        judge(ctx, [v.user_id for v in validators if v.user_id is not None], campaign_id, text, YES)
        balances = get(client, newcomer, "/balances").json()
        standing = bounty_of(client, newcomer, campaign_id)
        assert standing["accepted"] == number and standing["used"] == number
        if number == 1:  # held: a first run is two accepted queries
            assert (balances["available"], balances["pending"], standing["held"]) == (0, 80, 80)
    assert (balances["available"], balances["pending"]) == (0, 160)

    offer = offer_for(client, clock, newcomer)
    text = "the {v} needs its lights on please".format(v=offer["values"][0]["value"])
    assert (
        post(client, newcomer, f"/work/offers/{offer['id']}/query", {"text": text}).status_code
        == 201
    )
    judge(ctx, [v.user_id for v in validators if v.user_id is not None], campaign_id, text, YES)
    balances = get(client, newcomer, "/balances").json()
    assert (balances["available"], balances["pending"]) == (240, 0)  # released: bar and run
    standing = bounty_of(client, newcomer, campaign_id)
    assert standing["first_run_done"] and standing["released"] == 240 and standing["held"] == 0

    stake = client.post(
        f"{API}/stake",
        json={"amount": 240},
        headers=newcomer.headers | {"Idempotency-Key": "first-stake"},
    )
    assert stake.status_code == 201, stake.text
    standing = bounty_of(client, newcomer, campaign_id)
    assert (standing["left"], standing["stake_short"], standing["staked"]) == (0, 0, 240)
    assert offer_for(client, clock, newcomer)["kind"] == "write"  # an ordinary offer now
    assert bounty_of(client, newcomer, campaign_id)["left"] == 0  # drawn on their stake


def test_a_bad_bounty_is_a_422_naming_the_field(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    body = BOUNTY_SPEC | {"bounty": {"tasks": 2, "release_after": 5}}
    response = post(client, callers["requester"], "/campaigns", body)
    assert response.status_code == 422
    assert "release_after 5 is above tasks 2" in response.json()["detail"]


PAID = GATED | {"name": "Paid onboarding", "onboarding": {"pay": True, "workers": 3}}


def test_onboarding_time_is_sent_counted_and_paid_once(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    estimate = post(client, callers["requester"], "/campaigns/estimate", with_items(PAID))
    assert estimate.status_code == 200, estimate.text
    # 4 questions at 2 × 10 s: 80 s, 134 minor units at most, for 3 workers
    assert estimate.json()["onboarding"] == 3 * 134
    plain = post(client, callers["requester"], "/campaigns/estimate", with_items(GATED)).json()
    assert estimate.json()["total"] == plain["total"] + 3 * (134 + 13)

    campaign_id = launched(client, callers["requester"], with_items(PAID))
    worker = make_caller("learner")
    url = f"/work/campaigns/{campaign_id}"
    found = get(client, worker, f"{url}/onboarding").json()
    assert (found["onboarding_pay"], found["onboarding_seconds_paid"]) == (134, 80)
    bad = post(client, worker, f"{url}/tutorial/0", {"answer": "pos", "seconds_on_task": -1})
    assert bad.status_code == 422
    post(client, worker, f"{url}/tutorial/0", {"answer": "pos", "seconds_on_task": 12.5})
    post(client, worker, f"{url}/tutorial/1", {"answer": "neg", "seconds_on_task": 10})
    failed = post(
        client, worker, f"{url}/qualifier", {"answers": ["pos", "pos"], "seconds_on_task": 20}
    )
    assert failed.json()["passed"] is False
    assert get(client, worker, f"{url}/onboarding").json()["onboarding_paid"] == 0
    passed = post(
        client, worker, f"{url}/qualifier", {"answers": ["neutral", "neg"], "seconds_on_task": 30}
    )
    assert passed.json()["passed"] is True
    found = get(client, worker, f"{url}/onboarding").json()
    # 72.5 s at 60 credits an hour: 1.21 credits, held until a first run
    assert (found["onboarding_seconds"], found["onboarding_paid"]) == (72.5, 121)
    assert get(client, worker, "/balances").json()["pending"] == 121

    earnings = get(client, worker, "/earnings")
    assert earnings.status_code == 200, earnings.text
    body = earnings.json()
    assert (body["onboarding_seconds"], body["onboarding_paid"], body["seconds_worked"]) == (
        72.5,
        121,
        0,
    )
    assert body["hourly_rate"] == 0
    assert body["hourly_rate_with_pending"] == round(121 * 3600 / 72.5)
    assert get(client, callers["anonymous"], "/earnings").status_code == 401
