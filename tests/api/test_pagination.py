"""Paging and filters on every list route (issue #18): walking the ``Link: <…>; rel="next"``
pages gives every row once, in order, ``limit`` at a time; a cursor that is not one the API
gave is a 422 problem; the filters (``status``, ``q``, ``role``) narrow the rows; and no page
shows a caller what the whole list would not."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from crowdset.api.pagination import decode_cursor, encode_cursor
from crowdset.core.generation.spec import parse_spec
from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.errors import InvalidInput
from crowdset.formats.review import pairs_from_json
from crowdset.services import accounts, campaigns, corpora, ledger
from crowdset.services.context import Context
from crowdset.storage.models import ReviewPackage
from tests.api.conftest import Caller
from tests.api.test_campaigns_api import API, PROBLEM, TINY_SPEC, requester_of
from tests.api.test_labeling_api import SIMPLE
from tests.api.test_review_api import PAIRS, review_campaign
from tests.services.test_due_process import launched, revoke

NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def walk(client: TestClient, caller: Caller, path: str, limit: int, **params: Any) -> list[Any]:
    """Every row of a list route, following ``Link: rel="next"`` from the first page; checks
    each page's size and that ``X-Next-Cursor`` is the cursor of the ``Link``."""
    rows: list[Any] = []
    response = client.get(f"{API}{path}", params={"limit": limit, **params}, headers=caller.headers)
    for _ in range(1000):
        assert response.status_code == 200, response.text
        page = response.json()
        assert isinstance(page, list) and len(page) <= limit
        rows += page
        link = response.headers.get("link")
        if link is None:
            assert "x-next-cursor" not in response.headers
            return rows
        assert len(page) == limit  # a page is short only when it is the last
        match = NEXT.match(link)
        assert match is not None, link
        url = match["url"]
        assert url.startswith(f"{API}{path}?") and f"limit={limit}" in url
        assert f"cursor={response.headers['x-next-cursor']}" in url
        response = client.get(url, headers=caller.headers)
    raise AssertionError("the pages never end")


def whole(client: TestClient, caller: Caller, path: str, **params: Any) -> list[Any]:
    """The list in one page (it fits): no next page."""
    response = client.get(f"{API}{path}", params={"limit": 500, **params}, headers=caller.headers)
    assert response.status_code == 200, response.text
    assert "link" not in response.headers and "x-next-cursor" not in response.headers
    rows: list[Any] = response.json()
    return rows


def assert_pages(client: TestClient, caller: Caller, path: str, n: int, **params: Any) -> None:
    """The list has ``n`` rows; walking it 1, 2 and 3 at a time gives them all once, in order."""
    everything = whole(client, caller, path, **params)
    assert len(everything) == n, everything
    for limit in (1, 2, 3):
        assert walk(client, caller, path, limit, **params) == everything, limit


def draft(ctx: Context, requester_id: int, name: str) -> int:
    spec = parse_spec(TINY_SPEC | {"name": name})
    return campaigns.create_campaign(ctx, requester_of(ctx, requester_id), spec).id


# --- the cursor -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [0, 1, 2**31 - 1, 2**63 - 1, "r1", "", "ünï/+=?&"], ids=repr)
def test_a_cursor_reads_back_as_its_key(key: int | str) -> None:
    cursor = encode_cursor(key)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)  # safe in a URL as it is
    assert decode_cursor(cursor) == key


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "%%%",
        "a",  # base64 of nothing whole
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
        base64.urlsafe_b64encode(b"12").decode(),  # JSON, not a list
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b"[true]").decode(),
        base64.urlsafe_b64encode(b"[1.5]").decode(),
        base64.urlsafe_b64encode(b"[-1]").decode(),
        base64.urlsafe_b64encode(b"[9223372036854775808]").decode(),  # past BIGINT
    ],
)
def test_a_cursor_the_api_did_not_give_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidInput, match="not one this API gave out"):
        decode_cursor(cursor)


BAD_CURSORS = ["garbage!", "eyJpZCI6IDF9", encode_cursor("r1"), "x" * 201]


@pytest.mark.parametrize("cursor", BAD_CURSORS, ids=["garbage", "not-a-list", "text", "long"])
@pytest.mark.parametrize(
    "path",
    ["/campaigns", "/corpora", "/tokens", "/sanctions", "/ledger/history", "/operator/users"],
)
def test_a_bad_cursor_is_a_422_problem(
    client: TestClient, callers: dict[str, Caller], path: str, cursor: str
) -> None:
    who = callers["operator"] if path.startswith("/operator") else callers["requester"]
    response = client.get(f"{API}{path}", params={"cursor": cursor}, headers=who.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert "cursor" in problem["detail"]


@pytest.mark.parametrize("limit", [0, 501, -1])
def test_limit_is_1_to_500(client: TestClient, callers: dict[str, Caller], limit: int) -> None:
    caller = callers["requester"]
    response = client.get(f"{API}/campaigns", params={"limit": limit}, headers=caller.headers)
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert "limit" in response.json()["detail"]


# --- campaigns --------------------------------------------------------------------------------


def test_campaigns_page_filter_and_stay_the_requesters_own(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    requester, operator = callers["requester"], callers["operator"]
    other = make_caller("other", role="requester")
    assert requester.user_id is not None and other.user_id is not None
    names = ["Sentiment one", "Lights", "SENTIMENT two", "Weather", "sentiment 3", "Kitchen"]
    mine = []
    for n, name in enumerate(names):
        mine.append(draft(ctx, requester.user_id, name))
        draft(ctx, other.user_id, f"{name} (other)")  # interleaved ids: other's between mine
        if n % 2:
            campaigns.launch(ctx, requester_of(ctx, requester.user_id), mine[-1])

    assert_pages(client, requester, "/campaigns", 6)
    assert [c["id"] for c in whole(client, requester, "/campaigns")] == mine
    for limit in (1, 4):
        walked = walk(client, requester, "/campaigns", limit)
        assert {c["requester_id"] for c in walked} == {requester.user_id}
    assert_pages(client, operator, "/campaigns", 12)

    assert_pages(client, requester, "/campaigns", 3, q="sentiment")
    by_name = whole(client, requester, "/campaigns", q="sentiment")
    assert [c["name"] for c in by_name] == ["Sentiment one", "SENTIMENT two", "sentiment 3"]
    running = whole(client, requester, "/campaigns", status="running")
    assert [c["id"] for c in running] == mine[1::2]
    both = whole(client, requester, "/campaigns", status="running", q="E")
    assert [c["name"] for c in both] == ["Weather", "Kitchen"]
    assert whole(client, requester, "/campaigns", status="running", q="senti") == []
    assert whole(client, requester, "/campaigns", q="50%_") == []  # LIKE's wildcards are text
    assert len(whole(client, operator, "/campaigns", q="(other)")) == 6
    refused = client.get(
        f"{API}/campaigns", params={"status": "finished"}, headers=requester.headers
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM

    # a cursor only says where to start: another requester's pages stay theirs
    cursor = encode_cursor(mine[0])
    theirs = client.get(f"{API}/campaigns", params={"cursor": cursor}, headers=other.headers)
    assert {c["requester_id"] for c in theirs.json()} == {other.user_id}


def test_events_page(ctx: Context, client: TestClient, callers: dict[str, Caller]) -> None:
    requester, other = callers["requester"], callers["operator"]
    assert requester.user_id is not None
    owner = requester_of(ctx, requester.user_id)
    campaign_id = draft(ctx, requester.user_id, "Eventful")
    campaigns.launch(ctx, owner, campaign_id)
    for _ in range(3):
        campaigns.pause(ctx, owner, campaign_id)
        campaigns.resume(ctx, owner, campaign_id)
    path = f"/campaigns/{campaign_id}/events"
    n = len(campaigns.events(ctx, owner, campaign_id))
    assert n >= 7
    assert_pages(client, requester, path, n)
    assert [e["kind"] for e in whole(client, requester, path)][-2:] == ["paused", "running"]
    assert_pages(client, other, path, n)  # the operator sees every campaign


def test_labeling_results_page_in_the_order_of_the_items(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    requester = callers["requester"]
    assert requester.user_id is not None
    spec = parse_labeling_spec(SIMPLE)
    items = [{"id": f"item-{n}", "text": f"review {n}"} for n in (5, 3, 9, 1, 7, 2, 8)]
    owner = requester_of(ctx, requester.user_id)
    campaign_id = campaigns.create_campaign(ctx, owner, spec, parse_items(items, spec)).id
    path = f"/campaigns/{campaign_id}/results"
    assert_pages(client, requester, path, 7)
    assert [r["item"] for r in whole(client, requester, path)] == [i["id"] for i in items]
    stranger = make_caller("stranger", role="requester")
    hidden = client.get(f"{API}{path}", params={"limit": 2}, headers=stranger.headers)
    assert hidden.status_code == 404
    unknown = client.get(
        f"{API}{path}", params={"cursor": encode_cursor("item-4")}, headers=requester.headers
    )
    assert unknown.status_code == 422 and "points at no row" in unknown.json()["detail"]
    as_id = client.get(
        f"{API}{path}", params={"cursor": encode_cursor(1)}, headers=requester.headers
    )
    assert as_id.status_code == 422 and as_id.json()["code"] == "invalid_input"
    download: dict[str, str | int] = {"format": "csv", "limit": 2}
    csv = client.get(f"{API}{path}", params=download, headers=requester.headers)
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 1 + 7  # files: all
    assert "link" not in csv.headers


# --- corpora, a review's pairs and packages ---------------------------------------------------


def test_corpora_page_and_filter_by_name(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    requester, operator = callers["requester"], callers["operator"]
    other = make_caller("other", role="requester")
    assert requester.user_id is not None and other.user_id is not None
    names = ["News en-de", "Forum", "news fr-de", "Subtitles", "NEWSWIRE"]
    for name in names:
        for who in (requester.user_id, other.user_id):
            owner = requester_of(ctx, who)
            corpora.import_corpus(ctx, owner, pairs_from_json(PAIRS), name=name, origin="t")
    assert_pages(client, requester, "/corpora", 5)
    listed = whole(client, requester, "/corpora")
    assert [c["name"] for c in listed] == names
    assert_pages(client, operator, "/corpora", 10)
    assert_pages(client, requester, "/corpora", 3, q="news")
    assert [c["name"] for c in whole(client, requester, "/corpora", q="NEWS")] == [
        "News en-de",
        "news fr-de",
        "NEWSWIRE",
    ]
    assert whole(client, requester, "/corpora", q="%") == []


def test_a_reviews_pairs_and_packages_page(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    requester = callers["requester"]
    assert requester.user_id is not None
    campaign_id = review_campaign(ctx, requester.user_id)
    path = f"/campaigns/{campaign_id}/pairs"
    assert_pages(client, requester, path, len(PAIRS))
    assert [p["source"] for p in whole(client, requester, path)] == [p["source"] for p in PAIRS]
    assert_pages(client, requester, path, len(PAIRS), keep="false")
    assert whole(client, requester, path, keep="true") == []

    # packages are written as rows: taking them for real needs a reviewer to finish each one
    reviewers = [make_caller(f"reviewer{k}") for k in range(3)]
    other_campaign = review_campaign(ctx, make_caller("other", role="requester").user_id or 0)

    def add_packages(session: Session) -> None:
        now = ctx.now()
        for n in range(7):
            for campaign in (campaign_id, other_campaign):
                session.add(
                    ReviewPackage(
                        campaign_id=campaign,
                        worker_id=reviewers[n % 3].user_id,
                        status="open" if n == 6 else "submitted",
                        size=4,
                        reward=80,
                        deposit=120,
                        created_at=now,
                        due_at=now + timedelta(hours=1),
                    )
                )

    ctx.db.run(add_packages)
    packages = f"/campaigns/{campaign_id}/packages"
    assert_pages(client, requester, packages, 7)
    ids = [p["id"] for p in whole(client, requester, packages)]
    assert ids == sorted(ids)
    first = reviewers[0]
    assert_pages(client, first, "/work/packages", 6)  # packages 0, 3 and 6 in both campaigns
    mine = whole(client, first, "/work/packages")
    assert [p["id"] for p in mine] == sorted((p["id"] for p in mine), reverse=True)
    assert {p["campaign_id"] for p in mine} == {campaign_id, other_campaign}
    assert_pages(client, reviewers[1], "/work/packages", 4)


# --- sanctions --------------------------------------------------------------------------------


def test_sanctions_page_and_each_sees_only_theirs(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    requester, operator = callers["requester"], callers["operator"]
    other = make_caller("other", role="requester")
    assert requester.user_id is not None and other.user_id is not None
    for who in (requester.user_id, other.user_id):
        ledger.issue_credits(ctx, None, who, 1_000_000)
    workers = [make_caller(f"sanctioned{k}") for k in range(3)]
    # ids interleave: the other requester's sanctions fall between this one's
    ours = [launched(ctx, requester_of(ctx, requester.user_id)) for _ in range(2)]
    theirs = launched(ctx, requester_of(ctx, other.user_id))
    for worker in workers:
        assert worker.user_id is not None
        for campaign_id in (ours[0], theirs, ours[1]):
            revoke(ctx, campaign_id, worker.user_id)

    assert_pages(client, operator, "/sanctions", 9)
    assert_pages(client, requester, "/sanctions", 6)
    for limit in (1, 4):
        seen = walk(client, requester, "/sanctions", limit)
        assert {s["campaign_id"] for s in seen} == set(ours)
    assert_pages(client, other, "/sanctions", 3)
    assert_pages(client, workers[0], "/sanctions", 3)
    first = {s["worker"] for s in walk(client, workers[0], "/sanctions", 2)}
    second = {s["worker"] for s in walk(client, workers[1], "/sanctions", 2)}
    assert len(first) == len(second) == 1 and first != second  # each worker their own
    assert_pages(client, requester, "/sanctions", 3, campaign_id=ours[1])
    assert_pages(client, other, "/sanctions", 0, campaign_id=ours[1])


# --- users, tokens, the ledger ----------------------------------------------------------------


def test_users_page_and_filter_by_role_and_name(
    ctx: Context, client: TestClient, callers: dict[str, Caller]
) -> None:
    operator = callers["operator"]
    for n, name in enumerate(["Ada Lovelace", "Alan Turing", "Grace Hopper", "Ada Byron"]):
        accounts.create_user(
            ctx,
            email=f"person{n}@example.org",
            password="correct horse",
            role="worker" if n % 2 else "requester",
            display_name=name,
        )
    assert_pages(client, operator, "/operator/users", 7)
    assert_pages(client, operator, "/operator/users", 3, role="worker")
    assert_pages(client, operator, "/operator/users", 2, q="ada")
    found = whole(client, operator, "/operator/users", q="ADA")
    assert [u["display_name"] for u in found] == ["Ada Lovelace", "Ada Byron"]
    by_mail = whole(client, operator, "/operator/users", q="@EXAMPLE.org", role="worker")
    assert [u["email"] for u in by_mail] == ["person1@example.org", "person3@example.org"]
    only = whole(client, operator, "/operator/users", q="api.test", role="operator")
    assert [u["email"] for u in only] == ["operator@api.test"]
    refused = client.get(f"{API}/operator/users", headers=callers["requester"].headers)
    assert refused.status_code == 403


def test_tokens_page_and_stay_the_callers(
    ctx: Context, client: TestClient, callers: dict[str, Caller]
) -> None:
    worker, requester = callers["worker"], callers["requester"]
    assert worker.user_id is not None and requester.user_id is not None
    for n in range(4):
        accounts.create_token(ctx, worker.user_id, name=f"laptop {n}")
        accounts.create_token(ctx, requester.user_id, name=f"server {n}")
    assert_pages(client, worker, "/tokens", 5)
    names = [t["name"] for t in whole(client, worker, "/tokens")]
    assert names == ["api"] + [f"laptop {n}" for n in range(4)]
    assert all(not t["name"].startswith("server") for t in walk(client, worker, "/tokens", 2))


def test_ledger_history_pages_with_the_cursor_or_before_seq(
    ctx: Context, client: TestClient, callers: dict[str, Caller]
) -> None:
    worker = callers["worker"]
    assert worker.user_id is not None
    for amount in range(1, 6):
        ledger.stake(ctx, worker.user_id, amount)
    assert_pages(client, worker, "/ledger/history", 6)
    seqs = [tx["seq"] for tx in whole(client, worker, "/ledger/history")]
    assert seqs == sorted(seqs, reverse=True)
    old = client.get(
        f"{API}/ledger/history", params={"before_seq": seqs[1]}, headers=worker.headers
    )
    assert [tx["seq"] for tx in old.json()] == seqs[2:]
    full = client.get(f"{API}/ledger/history", params={"limit": 6}, headers=worker.headers)
    assert "link" not in full.headers  # exactly one page: no empty page after it
