"""Corpora and review campaigns over HTTP (SPEC §4): importing a corpus as JSON or as a file,
a review created from it with challenge pairs beside, packages taken and rated by reviewers,
the requester's packages and kept and removed pairs; and nothing a reviewer receives tells a
challenge pair apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from crowdset.api.app import create_app
from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.formats.review import pairs_from_json
from crowdset.services import campaigns, corpora, ledger
from crowdset.services.context import Context
from tests.api.conftest import Caller
from tests.api.test_campaigns_api import API, OFFER_FIELDS, PROBLEM, available, requester_of
from tests.api.test_labeling_api import SIMPLE, get, launched, post, with_items

# Four pairs a package (one a challenge), two reviewers a pair, half the pairs kept.
REVIEW: dict[str, Any] = {
    "name": "Review en-de",
    "type": "review",
    "instructions": "Rate how much the translation needs to change.",
    "gold": {"share": 0.25},
    "review": {"reviewers": 2, "package_size": 4, "min_references": 2, "keep_share": 0.5},
}
TRUTH = {
    ("The train leaves at eight.", "Der Zug fährt um acht ab."): 5,
    ("The museum is closed today.", "Das Museum ist heute geschlossen."): 5,
    ("We need more time.", "Wir brauchen mehr Zeit."): 5,
    ("The soup is too salty.", "Die Suppe ist zu süß."): 4,
    ("Turn left at the light.", "Biegen Sie an der Kreuzung rechts ab."): 3,
    ("The concert starts at nine.", "Das Konzert. Wir gehen essen."): 2,
    ("The bank is closed.", "Meine Katze schläft."): 1,
    ("Fill in the form.", "Das Spiel endete unentschieden."): 1,
}
PAIRS = [{"source": s, "target": t} for s, t in TRUTH]
CHALLENGES: list[dict[str, Any]] = [
    {"id": "chk-1", "source": "I would like tea.", "target": "Ich hätte gern Tee.", "gold": 5},
    {"id": "chk-2", "source": "My phone is new.", "target": "Der Hund bellt.", "gold": 1},
]
STARS = TRUTH | {(c["source"], c["target"]): int(c["gold"]) for c in CHALLENGES}
PACKAGE_FIELDS = {"id", "campaign_id", "status", "size", "reward", "deposit", "due_at"}
MY_PACKAGE_FIELDS = PACKAGE_FIELDS | {
    "campaign_name", "rated", "error", "created_at", "judged_at"
}  # fmt: skip


# --- factories (the authorization table uses them too) ---------------------------------------


def corpus_of(ctx: Context, requester_id: int) -> int:
    """An imported corpus of the requester's: the eight pairs."""
    owner = requester_of(ctx, requester_id)
    return corpora.import_corpus(ctx, owner, pairs_from_json(PAIRS), name="news", origin="t").id


def review_campaign(ctx: Context, requester_id: int) -> int:
    """A running review of the requester's corpus, with the two challenge pairs."""
    owner = requester_of(ctx, requester_id)
    spec = parse_labeling_spec(REVIEW)
    challenges = parse_items(CHALLENGES, spec, complete=False)
    view = corpora.create_review(ctx, owner, spec, corpus_of(ctx, requester_id), challenges)
    campaigns.launch(ctx, owner, view.id)
    return view.id


def upload(
    client: TestClient, caller: Caller, files: dict[str, tuple[str, bytes]], **form: str
) -> httpx.Response:
    return client.post(f"{API}/corpora", files=files, data=form, headers=caller.headers)


# --- corpora ----------------------------------------------------------------------------------


def test_import_a_corpus_as_json_or_as_a_file(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    requester = callers["requester"]
    body = {"name": "news", "source_lang": "en", "target_lang": "de", "pairs": PAIRS}
    made = post(client, requester, "/corpora", body)
    assert made.status_code == 201, made.text
    assert made.json() | {"created_at": None} == {
        "id": 1,
        "name": "news",
        "source_lang": "en",
        "target_lang": "de",
        "origin": "request body",
        "pairs": 8,
        "created_at": None,
        "filter_report": None,
    }
    tsv = "".join(f"{s}\t{t}\n" for s, t in TRUTH).encode()
    as_file = upload(client, requester, {"file": ("news.tsv", tsv)}, name="news file")
    assert as_file.status_code == 201, as_file.text
    assert (as_file.json()["pairs"], as_file.json()["origin"]) == (8, "news.tsv")
    moses = upload(
        client,
        requester,
        {
            "file": ("news.en", "".join(f"{s}\n" for s, _ in TRUTH).encode()),
            "file2": ("news.de", "".join(f"{t}\n" for _, t in TRUTH).encode()),
        },
        name="news moses",
        source_lang="en",
        target_lang="de",
    )
    assert moses.status_code == 201, moses.text
    assert (moses.json()["pairs"], moses.json()["origin"]) == (8, "news.en news.de")
    jsonl = "".join(json.dumps({"src": s, "tgt": t}) + "\n" for s, t in TRUTH).encode()
    lines = upload(client, requester, {"file": ("news.jsonl", jsonl)}, name="news jsonl")
    assert (lines.status_code, lines.json()["pairs"]) == (201, 8)
    listed = get(client, requester, "/corpora").json()
    assert [(c["id"], c["name"], c["pairs"]) for c in listed] == [
        (1, "news", 8),
        (2, "news file", 8),
        (3, "news moses", 8),
        (4, "news jsonl", 8),
    ]
    assert get(client, make_caller("other", role="requester"), "/corpora").json() == []
    assert len(get(client, callers["operator"], "/corpora").json()) == 4


@pytest.mark.parametrize(
    ("send", "line", "words"),
    [
        pytest.param(
            {"json": {"name": "x", "pairs": [*PAIRS[:2], {"source": "only"}]}},
            3,
            "pairs[2]: target missing or not text",
            id="json-missing-target",
        ),
        pytest.param(
            {"json": {"name": "x", "pairs": [PAIRS[0], "text"]}},
            2,
            "pairs[1]: a JSON str, not an object",
            id="json-not-object",
        ),
        pytest.param(
            {"json": {"name": "x", "pairs": [PAIRS[0] | {"score": 3}]}},
            1,
            "pairs[0]: unknown field(s) score",
            id="json-unknown-field",
        ),
        pytest.param(
            {"json": {"name": "x", "pairs": []}}, None, "non-empty list of pairs", id="json-empty"
        ),
        pytest.param(
            {"files": {"file": ("news.tsv", b"One.\tEins.\nTwo.\tZwei.\nno tab\n")}},
            3,
            "news.tsv:3: 1 tab-separated column(s), expected 2",
            id="tsv-missing-tab",
        ),
        pytest.param(
            {"files": {"file": ("news.tsv", "One.\tEins.\nZwei\tÜber\n".encode("latin-1"))}},
            2,
            "news.tsv:2: not valid UTF-8",
            id="tsv-latin-1",
        ),
        pytest.param(
            {
                "files": {
                    "file": ("a.en", b"One.\nTwo.\nThree.\n"),
                    "file2": ("a.de", b"Eins.\nZwei.\n"),
                }
            },
            3,
            "a.en:3: no partner line, a.de has only 2 lines",
            id="moses-unequal",
        ),
    ],
)
def test_a_bad_corpus_is_a_422_naming_its_line_and_nothing_is_kept(
    client: TestClient,
    callers: dict[str, Caller],
    send: dict[str, Any],
    line: int | None,
    words: str,
) -> None:
    requester = callers["requester"]
    if "json" in send:
        response = post(client, requester, "/corpora", send["json"])
    else:
        response = upload(client, requester, send["files"], name="bad")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["line"]) == ("import_failed", line)
    assert words in problem["detail"]
    assert "crowdset-corpus-" not in response.text  # the spooled file's path stays private
    assert get(client, requester, "/corpora").json() == []


REVIEW_PAIRS = Path(__file__).parents[2] / "examples" / "review-pairs.tsv"


def test_an_import_may_run_the_machine_filters(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    filtered = upload(
        client,
        requester,
        {"file": ("news.tsv", REVIEW_PAIRS.read_bytes())},
        name="news",
        source_lang="en",
        target_lang="de",
        filters="default",
    )
    assert filtered.status_code == 201, filtered.text
    made = filtered.json()
    assert made["pairs"] == 35
    report = made["filter_report"]
    assert (report["total"], report["kept"], report["removed"]) == (40, 35, 5)
    removed = {rule["name"]: rule["removed"] for rule in report["rules"]}
    assert sum(removed.values()) == 5
    assert removed["duplicate"] == 1
    duplicate = next(rule for rule in report["rules"] if rule["name"] == "duplicate")
    assert duplicate["examples"] == [{"line": 23, "reason": "duplicate of line 6"}]
    # as JSON, with a pipeline of its own: only the duplicate rule
    body = {"name": "twice", "pairs": PAIRS + PAIRS[:2], "filters": "- duplicate: {}\n"}
    as_json = post(client, requester, "/corpora", body)
    assert as_json.status_code == 201, as_json.text
    assert as_json.json()["pairs"] == len(PAIRS)
    assert [rule["name"] for rule in as_json.json()["filter_report"]["rules"]] == ["duplicate"]
    listed = get(client, requester, "/corpora").json()
    assert [c["filter_report"]["kept"] for c in listed] == [35, len(PAIRS)]


def test_a_bad_filter_pipeline_is_refused_and_nothing_is_kept(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    requester = callers["requester"]
    body = {"name": "x", "pairs": PAIRS, "filters": "- length_ratio: {maxx: 3}\n"}
    response = post(client, requester, "/corpora", body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "spec_invalid"
    assert "[0].length_ratio.maxx: unknown setting 'maxx'" in problem["detail"]
    assert "did you mean 'max'" in problem["detail"]
    uploaded = upload(
        client, requester, {"file": ("x.tsv", b"a b c\td e f\n")}, name="x", filters="- nope: {}"
    )
    assert uploaded.status_code == 422, uploaded.text
    assert "nope" in uploaded.json()["detail"]
    assert get(client, requester, "/corpora").json() == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        pytest.param({"pairs": PAIRS}, "name", "name is required", id="no-name"),
        pytest.param(
            {"name": "x", "pairs": PAIRS, "lang": "en"}, "lang", "unknown field(s) lang", id="extra"
        ),
        pytest.param([PAIRS], "body", "the body is a JSON object", id="a-list"),
    ],
)
def test_a_corpus_body_names_the_bad_field(
    client: TestClient, callers: dict[str, Caller], body: object, field: str, words: str
) -> None:
    response = post(client, callers["requester"], "/corpora", body)
    assert (response.status_code, response.json()["field"]) == (422, field), response.text
    assert words in response.json()["detail"]


def test_a_corpus_larger_than_the_request_limit_is_a_413(
    ctx: Context, callers: dict[str, Caller]
) -> None:
    settings = ctx.settings.model_copy(update={"max_request_bytes": 2_000})
    with TestClient(create_app(settings, ctx)) as small:
        pairs = [{"source": f"Sentence {n}.", "target": f"Satz {n}."} for n in range(200)]
        response = post(small, callers["requester"], "/corpora", {"name": "big", "pairs": pairs})
        assert (response.status_code, response.json()["code"]) == (413, "too_large")
        assert "CROWDSET_MAX_REQUEST_BYTES" in response.json()["detail"]


# --- a review from launch to export -----------------------------------------------------------


def shape(value: object) -> object:
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def test_a_review_from_a_corpus_over_http(
    client: TestClient, callers: dict[str, Caller], make_caller: Callable[..., Caller]
) -> None:
    """Reviewers take packages and rate them over HTTP; the requester sees the packages and
    exports the kept and removed pairs. No reviewer-facing response mentions challenges or
    gold, and challenge offers look like the others."""
    requester = callers["requester"]
    corpus = post(client, requester, "/corpora", {"name": "news", "pairs": PAIRS}).json()["id"]
    estimate = post(client, requester, "/campaigns/estimate", REVIEW | {"corpus_id": corpus})
    assert (estimate.status_code, estimate.json()["items"]) == (200, 8), estimate.text
    made = post(
        client, requester, "/campaigns", REVIEW | {"corpus_id": corpus} | {"items": CHALLENGES}
    )
    assert made.status_code == 201, made.text
    campaign_id = made.json()["id"]
    assert (made.json()["kind"], made.json()["spec"]["review"]["package_size"]) == ("review", 4)
    events = get(client, requester, f"/campaigns/{campaign_id}/events").json()
    assert events[0]["detail"] == {"items": 10, "gold": 2}
    assert post(client, requester, f"/campaigns/{campaign_id}/launch").status_code == 200

    reviewers = [make_caller(f"rev{n}") for n in range(4)]
    seen: list[httpx.Response] = []
    offers: list[dict[str, Any]] = []

    def call(method: str, caller: Caller, path: str, body: object = None) -> httpx.Response:
        response = client.request(method, f"{API}{path}", json=body, headers=caller.headers)
        assert response.status_code < 500, response.text
        seen.append(response)
        return response

    take = f"/work/campaigns/{campaign_id}/packages"
    first = call("POST", reviewers[0], take)
    assert first.status_code == 201, first.text
    assert set(first.json()) == PACKAGE_FIELDS
    package = first.json()
    assert (package["status"], package["size"]) == ("open", 4)
    assert package["deposit"] == package["reward"] * 3 // 2
    assert available(client, reviewers[0]) == 10_000 - package["deposit"]
    again = call("POST", reviewers[0], take)
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    assert f"you already hold package {package['id']}: finish it first" in again.json()["detail"]

    taken = 0
    for _ in range(10):
        took = False
        for reviewer in reviewers:
            if reviewer is not reviewers[0] or taken:
                response = call("POST", reviewer, take)
                if response.status_code == 409:
                    continue
                assert response.status_code == 201, response.text
            taken += 1
            took = True
            while (offer := call("GET", reviewer, "/work/next")).status_code == 200:
                body = offer.json()
                offers.append(body)
                stars = STARS[body["item_text"], body["item_target"]]
                rated = call(
                    "POST", reviewer, f"/work/offers/{body['id']}/label", {"answer": stars}
                )
                assert rated.status_code == 204, rated.text
        if not took:
            break
    none_left = call("POST", make_caller("late"), take)
    assert none_left.status_code == 409
    assert "no pairs need review right now" in none_left.json()["detail"]
    mine = call("GET", reviewers[0], "/work/packages").json()
    assert mine and all(set(p) == MY_PACKAGE_FIELDS for p in mine)
    assert {p["status"] for p in mine} <= {"passed", "submitted"}
    assert all(p["rated"] == p["size"] for p in mine)

    listed = get(client, requester, f"/campaigns/{campaign_id}/packages").json()
    assert len(listed) == taken and sum(p["rated"] for p in listed) == len(offers)
    assert {p["worker"] for p in listed} == {
        get(client, r, "/me").json()["pseudonym"] for r in reviewers
    }
    assert post(client, requester, f"/campaigns/{campaign_id}/close").status_code == 200
    judged = get(client, requester, f"/campaigns/{campaign_id}/packages").json()
    assert {p["status"] for p in judged} == {"passed"}
    # two challenge pairs make nobody a reference (that takes seven right): packages of real
    # pairs only have nothing to be judged against, and pass at close
    assert all(p["error"] is None or p["error"] <= 1.5 for p in judged)
    assert any(p["error"] is not None for p in judged)  # the challenge pairs judged the first
    assert all(available(client, r) > 10_000 for r in reviewers)  # deposits back, pool paid

    # Nothing a reviewer got tells a challenge pair apart.
    for response in seen:
        text = response.text.lower()
        assert "gold" not in text and "challenge" not in text and "chk-" not in text, text
    challenge_offers = [o for o in offers if (o["item_text"], o["item_target"]) not in TRUTH]
    regular_offers = [o for o in offers if (o["item_text"], o["item_target"]) in TRUTH]
    assert challenge_offers and regular_offers
    assert all(set(o) == OFFER_FIELDS for o in offers)
    assert len({json.dumps(shape(o)) for o in offers}) == 1

    # The requester's pairs: the top k·P kept, the others with their reasons.
    url = f"/campaigns/{campaign_id}/pairs"
    every = get(client, requester, url).json()
    assert len(every) == 8 and {p["item"] for p in every} == {str(n) for n in range(1, 9)}
    kept = get(client, requester, f"{url}?keep=true").json()
    removed = get(client, requester, f"{url}?keep=false").json()
    assert [p["rank"] for p in kept] == [1, 2, 3, 4]  # round(8 × 0.5)
    assert {STARS[p["source"], p["target"]] for p in kept} <= {4, 5}
    assert all(p["keep"] and p["reason"] is None for p in kept)
    cut = min(p["score"] for p in kept)
    for pair in removed:
        assert not pair["keep"] and pair["score"] <= cut
        assert pair["reason"].startswith(f"rank {pair['rank']} of 8, score {pair['score']:.2f}")
        assert pair["reason"].endswith("(keep top 4)")
    as_jsonl = client.get(f"{API}{url}?keep=false&format=jsonl", headers=requester.headers)
    assert as_jsonl.headers["content-type"].startswith("application/jsonl")
    assert as_jsonl.headers["content-disposition"] == (
        f'attachment; filename="campaign-{campaign_id}-pairs-removed.jsonl"'
    )
    rows = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [r["reason"] for r in rows] == [p["reason"] for p in removed]
    assert set(rows[0]) == {"id", "src", "tgt", "score", "mean", "rank", "ratings", "reason"}
    as_tsv = client.get(f"{API}{url}?keep=true&format=tsv", headers=requester.headers)
    assert as_tsv.text.splitlines() == [f"{p['source']}\t{p['target']}" for p in kept]
    bad = client.get(f"{API}{url}?format=xlsx", headers=requester.headers)
    assert bad.status_code == 422


def test_review_routes_refuse_other_campaigns_and_other_owners(
    ctx: Context,
    client: TestClient,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    requester, worker = callers["requester"], callers["worker"]
    classify = launched(client, requester, with_items(SIMPLE))
    for path in ("packages", "pairs"):
        response = get(client, requester, f"/campaigns/{classify}/{path}")
        assert response.status_code == 422, path
        assert (
            "packages and reviewed pairs belong to review campaigns" in (response.json()["detail"])
        )
    refused = post(client, worker, f"/work/campaigns/{classify}/packages")
    assert refused.status_code == 409
    assert "its work comes as offers, not packages" in refused.json()["detail"]
    assert post(client, worker, "/work/campaigns/999/packages").status_code == 404

    assert requester.user_id is not None
    corpus = corpus_of(ctx, requester.user_id)
    review = review_campaign(ctx, requester.user_id)
    other = make_caller("other-req", role="requester")
    for path in ("packages", "pairs"):
        response = get(client, other, f"/campaigns/{review}/{path}")
        assert (response.status_code, response.json()["detail"]) == (
            404,
            f"no campaign has id {review}",
        )
    theirs = post(client, other, "/campaigns", REVIEW | {"corpus_id": corpus, "items": CHALLENGES})
    assert (theirs.status_code, theirs.json()["detail"]) == (404, f"no corpus has id {corpus}")
    on_classify = post(client, requester, "/campaigns", SIMPLE | {"corpus_id": corpus})
    assert on_classify.status_code == 422
    assert "reviewed by a review campaign (type: review)" in on_classify.json()["detail"]
    no_gold = post(client, requester, "/campaigns", REVIEW | {"corpus_id": corpus})
    assert (no_gold.status_code, no_gold.json()["code"]) == (422, "import_failed")
    assert "add challenge pairs" in no_gold.json()["detail"]
    bad_id = post(client, requester, "/campaigns", REVIEW | {"corpus_id": "one"})
    assert (bad_id.status_code, bad_id.json()["field"]) == (422, "corpus_id")
    clash = REVIEW | {"corpus_id": corpus, "items": [CHALLENGES[0] | {"id": "3"}]}
    clashed = post(client, requester, "/campaigns", clash)
    assert clashed.status_code == 422 and "id '3' is also a pair's id" in clashed.json()["detail"]


def test_pairs_near_the_cut_go_to_revision_over_http(
    client: TestClient,
    ctx: Context,
    callers: dict[str, Caller],
    make_caller: Callable[..., Caller],
) -> None:
    """The requester sends the band around the cut to revision; a worker's revise offer shows
    the pair, takes the edited translation, and the pair is open to be rated again."""
    requester = callers["requester"]
    assert requester.user_id is not None
    spec = REVIEW | {
        "gold": {"share": 0},
        "review": REVIEW["review"] | {"revision_band": 4, "minutes_per_revision": "0.01"},
    }
    made = post(
        client, requester, "/campaigns", spec | {"corpus_id": corpus_of(ctx, requester.user_id)}
    )
    assert made.status_code == 201, made.text
    campaign_id = made.json()["id"]
    assert post(client, requester, f"/campaigns/{campaign_id}/launch", None).status_code == 200
    raters = (callers["worker"], make_caller("second"))
    for rater in raters:  # two ratings a pair settle it
        assert rater.user_id is not None
        ledger.stake(ctx, rater.user_id, 1_000)  # revisions are drawn by stake
        rate_packages(client, rater, campaign_id)
    sent = post(client, requester, f"/campaigns/{campaign_id}/revision", None)
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent"] >= 1
    held = [(r, get(client, r, f"/work/next?campaign_id={campaign_id}")) for r in raters]
    worker, offer = next((r, o) for r, o in held if o.status_code == 200)
    assert offer.json()["kind"] == "revise"
    body = offer.json()
    bad = post(
        client, worker, f"/work/offers/{body['id']}/revision", {"target": body["item_target"]}
    )
    assert bad.status_code == 422 and "current translation" in bad.json()["detail"]
    done = post(client, worker, f"/work/offers/{body['id']}/revision", {"target": "Neu übersetzt."})
    assert done.status_code == 204
    pairs = get(client, requester, f"/campaigns/{campaign_id}/pairs").json()
    revised = [p for p in pairs if p["target"] == "Neu übersetzt."]
    assert revised and revised[0]["ratings"] == 0


def rate_packages(client: TestClient, reviewer: Caller, campaign_id: int) -> None:
    """Take packages until none is left for the reviewer, rating every pair truthfully."""
    while (
        post(client, reviewer, f"/work/campaigns/{campaign_id}/packages", None).status_code == 201
    ):
        while (
            offer := get(client, reviewer, f"/work/next?campaign_id={campaign_id}")
        ).status_code == 200:
            body = offer.json()
            stars = STARS[(body["item_text"], body["item_target"])]
            rated = post(client, reviewer, f"/work/offers/{body['id']}/label", {"answer": stars})
            assert rated.status_code == 204, rated.text
