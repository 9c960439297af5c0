"""Every submission route takes an ``Idempotency-Key`` with the money routes' semantics
(issue 16): a retry with the same key and the same request is answered as the first call was
(``Idempotent-Replayed: true``; 200 where the first call created something) and applied once;
the same key with another request is a 409 ``idempotency_conflict``; without a key nothing
changes. On both databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crowdset.services.context import Context
from crowdset.storage.models import Judgment, LabelItem, Offer, Query, ReviewPackage, Vote
from tests.api.conftest import Caller
from tests.api.test_campaigns_api import (
    API,
    GOOD_QUERY,
    NO_CONTROLS,
    PROBLEM,
    TINY_SPEC,
    available,
    launch,
    next_offer,
    stake,
)
from tests.api.test_labeling_api import SIMPLE, launched, with_items
from tests.api.test_review_api import corpus_of

VOTE = {"intent_ok": True, "natural_ok": True, "spelling_ok": True, "values_ok": True}


def send(
    client: TestClient, caller: Caller, path: str, body: object, key: str | None
) -> httpx.Response:
    headers = caller.headers | ({"Idempotency-Key": key} if key is not None else {})
    return client.post(f"{API}{path}", json=body, headers=headers)


def count(ctx: Context, model: Any, *where: Any) -> int:
    def work(session: Any) -> int:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar())

    return ctx.db.run(work, readonly=True)


def pending(client: TestClient, caller: Caller) -> int:
    found: int = client.get(f"{API}/balances", headers=caller.headers).json()["pending"]
    return found


def assert_replayed(first: httpx.Response, again: httpx.Response, status: int) -> None:
    assert again.status_code == status, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.content == first.content


def assert_conflict(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "idempotency_conflict"
    assert "different request" in response.json()["detail"]


def test_a_query_and_a_vote_are_applied_once_per_key(
    client: TestClient,
    ctx: Context,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    campaign_id = launch(client, callers["requester"], TINY_SPEC | {"mechanism": NO_CONTROLS})
    workers = [make_caller(f"w{n}") for n in range(4)]
    for worker in workers:
        stake(client, worker)
    offers = {w.user_id: next_offer(client, w) for w in workers}
    (writer,) = [w for w in workers if offers[w.user_id] is not None]
    write = offers[writer.user_id]
    assert write is not None
    path = f"/work/offers/{write['id']}/query"

    refused = send(client, writer, path, {"text": "lights on"}, "q-1")
    assert refused.status_code == 422  # refused by the checks: the key is not spent
    first = send(client, writer, path, {"text": GOOD_QUERY}, "q-1")
    assert first.status_code == 201, first.text
    again = send(client, writer, path, {"text": GOOD_QUERY}, "q-1")
    assert_replayed(first, again, 200)
    assert count(ctx, Query, Query.campaign_id == campaign_id) == 1
    assert_conflict(send(client, writer, path, {"text": GOOD_QUERY + " now"}, "q-1"))
    without = send(client, writer, path, {"text": GOOD_QUERY}, None)
    assert without.status_code == 409 and without.json()["code"] == "conflict"  # offer done

    voter = next(w for w in workers if w is not writer)
    offer = next_offer(client, voter)
    assert offer is not None and offer["kind"] == "vote"
    vote_path = f"/work/offers/{offer['id']}/vote"
    first = send(client, voter, vote_path, VOTE, "v-1")
    assert first.status_code == 204, first.text
    paid = pending(client, voter)
    again = send(client, voter, vote_path, VOTE, "v-1")
    assert_replayed(first, again, 204)
    assert count(ctx, Vote, Vote.worker_id == voter.user_id) == 1
    assert pending(client, voter) == paid > 0  # paid once, into pending
    assert_conflict(send(client, voter, vote_path, VOTE | {"values_ok": False}, "v-1"))
    # keys are the caller's own: another worker's same key is a new key
    other = next(w for w in workers if w not in (writer, voter))
    mine = next_offer(client, other)
    assert mine is not None
    assert send(client, other, f"/work/offers/{mine['id']}/vote", VOTE, "v-1").status_code == 204


def test_a_label_is_applied_once_per_key(
    client: TestClient,
    ctx: Context,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    launched(client, callers["requester"], with_items(SIMPLE))
    worker = make_caller("labeler")
    stake(client, worker)
    offer = next_offer_of(client, worker)
    path = f"/work/offers/{offer['id']}/label"
    first = send(client, worker, path, {"answer": "pos"}, "l-1")
    assert first.status_code == 204, first.text
    again = send(client, worker, path, {"answer": "pos"}, "l-1")
    assert_replayed(first, again, 204)
    assert count(ctx, Judgment, Judgment.worker_id == worker.user_id) == 1
    settled = count(ctx, LabelItem, LabelItem.status == "settled")
    assert settled == 1  # overlap 1: the one answer settled it, once
    assert_conflict(send(client, worker, path, {"answer": "neg"}, "l-1"))
    too_long = send(client, worker, path, {"answer": "pos"}, "k" * 151)
    assert too_long.status_code == 422 and too_long.json()["field"] == "Idempotency-Key"


def next_offer_of(client: TestClient, worker: Caller, **query: int) -> dict[str, Any]:
    for _ in range(200):  # an ask is a draw: ask until admitted
        params = "&".join(f"{k}={v}" for k, v in query.items())
        response = client.get(f"{API}/work/next?{params}", headers=worker.headers)
        if response.status_code == 200:
            offer: dict[str, Any] = response.json()
            return offer
        assert response.status_code == 204, response.text
    raise AssertionError("no offer in 200 asks")


REVIEW: dict[str, Any] = {
    "name": "Review en-de",
    "type": "review",
    "instructions": "Rate how much the translation needs to change.",
    "gold": {"share": 0},
    "review": {
        "reviewers": 1,
        "package_size": 2,
        "min_references": 1,
        "keep_share": 0.5,
        "revision_band": 4,
        "minutes_per_revision": "0.01",
    },
}


def test_a_package_a_rating_and_a_revision_are_applied_once_per_key(
    client: TestClient,
    ctx: Context,
    callers: dict[str, Caller],
) -> None:
    requester, reviewer = callers["requester"], callers["worker"]
    assert requester.user_id is not None and reviewer.user_id is not None
    made = send(
        client,
        requester,
        "/campaigns",
        REVIEW | {"corpus_id": corpus_of(ctx, requester.user_id)},
        None,
    )
    assert made.status_code == 201, made.text
    campaign_id = made.json()["id"]
    assert send(client, requester, f"/campaigns/{campaign_id}/launch", None, None).is_success
    stake(client, reviewer, 1_000)  # revisions are drawn by stake

    take = f"/work/campaigns/{campaign_id}/packages"
    before = available(client, reviewer)
    first = send(client, reviewer, take, None, "p-1")
    assert first.status_code == 201, first.text
    again = send(client, reviewer, take, None, "p-1")
    assert_replayed(first, again, 200)
    assert count(ctx, ReviewPackage, ReviewPackage.worker_id == reviewer.user_id) == 1
    assert before - available(client, reviewer) == first.json()["deposit"]  # held once
    assert_conflict(send(client, reviewer, "/work/campaigns/999/packages", None, "p-1"))

    keys = iter(range(100))
    rating: tuple[httpx.Response, str, int] | None = None
    while True:  # rate every pair (the first package's first rating is replayed below)
        while (offer := client.get(f"{API}/work/next", headers=reviewer.headers)).is_success:
            if offer.status_code == 204:
                break
            path = f"/work/offers/{offer.json()['id']}/label"
            rated = send(client, reviewer, path, {"answer": 5}, f"r-{next(keys)}")
            assert rated.status_code == 204, rated.text
            rating = rating or (rated, path, offer.json()["id"])
        if send(client, reviewer, take, None, None).status_code != 201:
            break
    assert rating is not None
    first_rating, path, offer_id = rating
    rated_pairs = count(ctx, Judgment, Judgment.worker_id == reviewer.user_id)
    assert_replayed(first_rating, send(client, reviewer, path, {"answer": 5}, "r-0"), 204)
    assert count(ctx, Judgment, Judgment.worker_id == reviewer.user_id) == rated_pairs
    assert count(ctx, Offer, Offer.id == offer_id, Offer.status == "done") == 1
    assert_conflict(send(client, reviewer, path, {"answer": 4}, "r-0"))

    sent = send(client, requester, f"/campaigns/{campaign_id}/revision", None, None)
    assert sent.status_code == 200 and sent.json()["sent"] >= 1, sent.text
    revise = next_offer_of(client, reviewer, campaign_id=campaign_id)
    assert revise["kind"] == "revise"
    path = f"/work/offers/{revise['id']}/revision"
    first = send(client, reviewer, path, {"target": "Neu übersetzt."}, "x-1")
    assert first.status_code == 204, first.text
    paid = available(client, reviewer)
    again = send(client, reviewer, path, {"target": "Neu übersetzt."}, "x-1")
    assert_replayed(first, again, 204)
    assert available(client, reviewer) == paid  # the reviser was paid once
    assert count(ctx, LabelItem, LabelItem.revisions == 1) == 1
    assert_conflict(send(client, reviewer, path, {"target": "Anders."}, "x-1"))
