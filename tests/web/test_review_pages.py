"""Corpora and review campaigns (SPEC §4) on the pages: a corpus uploaded (TSV, JSONL, Moses)
or refused at its bad line with nothing kept; a review created from a corpus with its
challenge pairs and the cost first, each problem at its field; a reviewer taking a package
(its terms shown first; none left; a deposit not covered) and rating its pairs side by side
with the stars; the requester's packages (a forfeited one marked), the pool payout at close
and the kept and removed pairs; and nothing on a reviewer's pages that tells a challenge pair
apart."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.errors import Conflict
from crowdset.services import (
    accounts,
    campaigns,
    corpora,
    labeling,
    ledger,
    offers,
    review,
    review_reports,
)
from crowdset.services.context import Context
from crowdset.services.review_reports import package_terms
from crowdset.web.routes.labeling import PACKAGE_DONE
from tests.web.conftest import (
    REVIEW_CHALLENGES,
    REVIEW_SPEC,
    REVIEW_STARS,
    REVIEW_TRUTH,
    Browser,
    People,
    corpus_of,
    labeling_campaign,
    principal,
    review_campaign,
)
from tests.web.html import Element, error_at, field_value, parse

RATE_SPEC = {k: v for k, v in REVIEW_SPEC.items() if k != "review"} | {
    "type": "rate",
    "rubric": list("abcde"),
    "price_per_judgment": "0.50",
    "seconds_per_judgment": 10,
}
TSV = "".join(f"{s}\t{t}\n" for s, t in REVIEW_TRUTH).encode()
CHALLENGES_JSONL = "".join(json.dumps(c) + "\n" for c in REVIEW_CHALLENGES).encode()


def _upload(requester: Browser, files: dict[str, tuple[str, bytes]], **form: str) -> Any:
    sent = {name: (file, data, "application/octet-stream") for name, (file, data) in files.items()}
    return requester.post("/corpora", form, token_from="/corpora", files=sent)


def _review_form(
    requester: Browser,
    corpus: int | str,
    spec: dict[str, Any] | str = REVIEW_SPEC,
    challenges: tuple[str, bytes] | None = ("challenges.jsonl", CHALLENGES_JSONL),
    action: str = "create",
) -> Any:
    text = spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False)
    files = (
        {"challenges_file": (challenges[0], challenges[1], "application/octet-stream")}
        if challenges
        else None
    )
    return requester.post(
        "/corpora/review",
        {"corpus": str(corpus), "review_spec": text, "action": action},
        token_from="/corpora/review",
        files=files,
    )


def _stars(page: Element) -> int:
    return REVIEW_STARS[page.by_id("item-source").text, page.by_id("item-target").text]


# --- corpora ----------------------------------------------------------------------------------


def test_corpora_are_uploaded_as_tsv_jsonl_tmx_or_moses_and_listed(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    nav = requester.page("/campaigns").find_all("nav")[0]
    assert nav.find_all("a", href="/corpora")
    page = requester.page("/corpora")
    assert "No corpus yet" in page.text
    form = page.by_id("corpus-form")
    assert form.attrs["enctype"] == "multipart/form-data"

    made = _upload(
        requester, {"file": ("news.tsv", TSV)}, name="news", source_lang="en", target_lang="de"
    )
    assert (made.status_code, made.headers["location"]) == (303, "/corpora")
    assert "“news”: 8 pairs imported" in requester.get("/corpora").text
    moses = _upload(
        requester,
        {
            "file": ("news.en", "".join(f"{s}\n" for s, _ in REVIEW_TRUTH).encode()),
            "file2": ("news.de", "".join(f"{t}\n" for _, t in REVIEW_TRUTH).encode()),
        },
        name="news moses",
    )
    assert moses.status_code == 303, moses.text
    jsonl = "".join(json.dumps({"src": s, "tgt": t}) + "\n" for s, t in REVIEW_TRUTH).encode()
    assert _upload(requester, {"file": ("n.jsonl", jsonl)}, name="n jsonl").status_code == 303
    tmx = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="en"/><body>\n'
        + "".join(
            f'<tu><tuv xml:lang="en"><seg>{s}</seg></tuv>'
            f'<tuv xml:lang="de"><seg>{t}</seg></tuv></tu>\n'
            for s, t in REVIEW_TRUTH
        )
        + "</body></tmx>\n"
    ).encode()
    as_tmx = _upload(
        requester, {"file": ("n.tmx", tmx)}, name="n tmx", source_lang="en", target_lang="de"
    )
    assert as_tmx.status_code == 303, as_tmx.text[:500]
    header = b"source\ttarget\n" + TSV
    as_header = _upload(requester, {"file": ("h.tsv", header)}, name="with header", header="yes")
    assert as_header.status_code == 303

    listed = requester.page("/corpora").by_id("corpora")
    rows = [[cell.text for cell in row.find_all("td")] for row in listed.find_all("tr")[1:]]
    assert [(row[0], row[2], row[3]) for row in rows] == [
        ("news (1)", "8", "news.tsv"),
        ("news moses (2)", "8", "news.en news.de"),
        ("n jsonl (3)", "8", "n.jsonl"),
        ("n tmx (4)", "8", "n.tmx"),
        ("with header (5)", "8", "h.tsv"),
    ]
    assert rows[0][1] == "en → de"
    assert listed.by_id("review-corpus-1").attrs["href"] == "/corpora/review?corpus=1"
    other = as_role("requester_b").page("/corpora")
    assert not other.has_id("corpora")
    assert len(corpora.list_corpora(ctx, principal(ctx, people.operator))) == 5


@pytest.mark.parametrize(
    ("files", "form", "field", "words"),
    [
        pytest.param(
            {"file": ("news.tsv", b"One.\tEins.\nTwo.\tZwei.\nno tab\n")},
            {},
            "file",
            "news.tsv:3: 1 tab-separated column(s), expected 2",
            id="tsv-missing-tab",
        ),
        pytest.param(
            {"file": ("news.tsv", "One.\tEins.\nZwei\tÜber\n".encode("latin-1"))},
            {},
            "file",
            "news.tsv:2: not valid UTF-8",
            id="tsv-latin-1",
        ),
        pytest.param(
            {"file": ("a.en", b"One.\nTwo.\nThree.\n"), "file2": ("a.de", b"Eins.\nZwei.\n")},
            {},
            "file",
            "a.en:3: no partner line, a.de has only 2 lines",
            id="moses-unequal",
        ),
        pytest.param(
            {"file": ("a.en", b"One.\n")},
            {},
            "format",
            "a.en does not end in .tsv, .jsonl or .tmx",
            id="moses-one-file",
        ),
        pytest.param(
            {"file": ("a.en", b"One.\n")},
            {"format": "moses"},
            "file2",
            "Moses files come in two",
            id="moses-no-target",
        ),
        pytest.param({}, {}, "file", "Choose the corpus file", id="no-file"),
        pytest.param(
            {"file": ("news.tsv", TSV)}, {"name": " "}, "name", "Name the corpus", id="no-name"
        ),
    ],
)
def test_a_bad_corpus_file_is_shown_at_its_field_with_the_line_and_nothing_is_kept(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    files: dict[str, tuple[str, bytes]],
    form: dict[str, str],
    field: str,
    words: str,
) -> None:
    requester = as_role("requester")
    response = _upload(requester, files, **({"name": "bad", "source_lang": "en"} | form))
    assert response.status_code == 422, response.text[:300]
    page = parse(response.text)
    assert words in error_at(page, field)
    assert page.by_id(field).attrs.get("autofocus") == ""
    assert "crowdset-corpus-" not in response.text  # the spooled file's path stays private
    assert field_value(page, "source_lang") == "en"  # what was typed comes back
    assert corpora.list_corpora(ctx, principal(ctx, people.requester)) == []


# --- a review from a corpus -------------------------------------------------------------------


def test_a_review_from_a_corpus_with_its_cost_before_the_draft(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    assert requester.page("/campaigns/new").by_id("to-corpora").attrs["href"] == "/corpora"
    corpus = corpus_of(ctx, people.requester)
    page = requester.page(f"/corpora/review?corpus={corpus}")
    assert field_value(page, "corpus") == str(corpus)
    assert "type: review" in field_value(page, "review_spec")  # an example to start from

    checked = _review_form(requester, corpus, action="estimate")
    assert checked.status_code == 200, checked.text[:500]
    page = parse(checked.text)
    parsed = parse_labeling_spec(REVIEW_SPEC)  # the figures the page shows are the services'
    budget = review.review_estimate(ctx, parsed, 8)
    estimate = campaigns.estimate_labeling_cost(ctx, parsed, 8)
    assert (
        "8 pairs to review and 2 challenge pairs (from challenges.jsonl)"
        in page.by_id("review-cost-source").text
    )
    money = ctx.settings.currency_name
    assert page.by_id("review-estimate-total").text == f"{estimate.total / 100:.2f} {money}"
    assert page.by_id("review-pool").text == f"{budget.pool / 100:.2f} {money}"
    assert page.by_id("review-reserve").text == f"{budget.reserve / 100:.2f} {money}"
    assert "2 · 8 · 0.5 / (1 − 0.25) = 10.67 minutes" in page.by_id("review-workload").text
    assert "4 pairs" in page.by_id("review-package").text
    assert field_value(page, "corpus") == str(corpus)
    assert campaigns.list_campaigns(ctx, principal(ctx, people.requester)) == []

    made = _review_form(requester, corpus)
    assert made.status_code == 303, made.text[:500]
    dashboard = requester.page(made.headers["location"])
    assert "over the 8 pairs of corpus “news” with 2 challenge pairs" in dashboard.text
    assert dashboard.by_id("campaign-status").text == "draft"
    assert dashboard.by_id("review-estimate-total").text == f"{estimate.total / 100:.2f} {money}"
    [view] = campaigns.list_campaigns(ctx, principal(ctx, people.requester))
    assert (view.kind, view.status) == ("review", "draft")
    events = campaigns.events(ctx, principal(ctx, people.requester), view.id)
    assert events[0].detail == {"items": 10, "gold": 2}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        pytest.param({"corpus": ""}, "corpus", "Choose the corpus to review", id="no-corpus"),
        pytest.param(
            {"spec": REVIEW_SPEC | {"review": {"package_size": 1}}},
            "review_spec",
            "review.package_size: ",
            id="spec-path",
        ),
        pytest.param(
            {"spec": RATE_SPEC},
            "review_spec",
            "a review of a corpus needs type: review",
            id="not-a-review",
        ),
        pytest.param({"spec": "  "}, "review_spec", "Paste a review spec", id="empty-spec"),
        pytest.param(
            {"challenges": None},
            "challenges_file",
            "gold.share is 0.25 but no item has a gold answer",
            id="no-challenges",
        ),
        pytest.param(
            {
                "challenges": (
                    "chk.jsonl",
                    b'{"id": "c", "source": "a", "target": "b", "gold": 7}\n',
                )
            },
            "challenges_file",
            "chk.jsonl",
            id="bad-stars",
        ),
        pytest.param(
            {
                "challenges": (
                    "chk.jsonl",
                    b'{"id": "1", "source": "a", "target": "b", "gold": 5}\n',
                )
            },
            "challenges_file",
            "id '1' is also a pair's id",
            id="id-taken",
        ),
    ],
)
@pytest.mark.parametrize("action", ["estimate", "create"])
def test_a_review_forms_problems_are_shown_at_their_fields(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    change: dict[str, Any],
    field: str,
    words: str,
    action: str,
) -> None:
    requester = as_role("requester")
    corpus = corpus_of(ctx, people.requester)
    sent: dict[str, Any] = {
        "corpus": corpus,
        "spec": REVIEW_SPEC,
        "challenges": ("challenges.jsonl", CHALLENGES_JSONL),
    } | change
    response = _review_form(
        requester, sent["corpus"], sent["spec"], sent["challenges"], action=action
    )
    assert response.status_code == 422, response.text[:500]
    page = parse(response.text)
    assert words in error_at(page, field), error_at(page, field)
    assert "crowdset-challenges-" not in response.text
    assert campaigns.list_campaigns(ctx, principal(ctx, people.requester)) == []


def test_another_requesters_corpus_cannot_be_reviewed(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    corpus = corpus_of(ctx, people.requester)
    other = as_role("requester_b")
    assert not other.page("/corpora/review").has_id("review-form")  # they have no corpus
    response = _review_form(other, corpus)
    assert response.status_code == 404
    assert f"no corpus has id {corpus}" in response.text
    assert campaigns.list_campaigns(ctx, principal(ctx, people.requester_b)) == []


# --- a reviewer -------------------------------------------------------------------------------


def test_a_reviewer_takes_a_package_and_rates_its_pairs_side_by_side(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = review_campaign(ctx, people.requester)
    worker = as_role("worker")
    listed = worker.page("/labeling").by_id("labeling-campaigns")
    assert "Review translations" in listed.text and "a share of the pool" in listed.text
    page = worker.page(f"/labeling/{campaign}")
    terms = package_terms(ctx, campaign)
    assert terms is not None and terms.size == 4 and terms.deposit == terms.reward * 3 // 2
    shown = page.by_id("package-terms").text
    money = ctx.settings.currency_name
    assert "up to 4 pairs" in shown
    assert f"{terms.reward / 100:.2f} {money} nominal" in shown
    assert f"{terms.deposit / 100:.2f} {money} from your available 100.00 {money}" in shown
    assert not page.has_id("deposit-short")
    assert page.by_id("take-package").text == "Take a package"
    assert not page.has_id("start-working")  # a review's work comes in packages

    taken = worker.post(f"/labeling/{campaign}/packages")
    assert taken.status_code == 303, taken.text[:500]
    first = taken.headers["location"]
    assert first.startswith("/work/offers/")
    [package] = review_reports.my_packages(ctx, people.worker)
    assert (package.size, package.reward, package.deposit) == (4, terms.reward, terms.deposit)
    assert ledger.balances(ctx, people.worker).available == 10_000 - terms.deposit

    page = worker.page(first)
    assert f"Package {package.id} is yours: 4 pairs to rate within 24 hours" in page.text
    again = worker.post(f"/labeling/{campaign}/packages")
    assert again.status_code == 422
    held = parse(again.text)
    assert f"you already hold package {package.id}: finish it first" in (
        held.by_id("take-package-error").text
    )
    assert held.by_id("held-package").text.startswith("0 of 4 pairs rated")
    assert held.by_id("continue-package").text == "Rate the next pair"
    assert page.find_all("h1")[0].text == "Rate a translation"
    pair = page.by_id("item")
    assert "item-pair" in pair.attrs["class"]
    assert [f.find_all("figcaption")[0].text for f in pair.find_all("figure")] == [
        "Source",
        "Translation",
    ]
    assert page.by_id("package-progress").text == "0 of 4 pairs rated"
    form = page.by_id("label-form")
    assert [r.attrs["value"] for r in form.find_all("input", type="radio")] == list("12345")
    assert "5 stars: no change needed" in form.text.replace(" :", ":")
    assert "1 star: wrong translation" in form.text.replace(" :", ":")
    assert not page.find_all("form", action=f"{first}/skip")  # rated, not skipped
    missing = worker.post(f"{first}/label", {})
    assert "Choose one answer." in parse(missing.text).by_id("answer-error").text

    address = first
    for number in range(4):
        page = worker.page(address)
        assert page.by_id("package-progress").text == f"{number} of 4 pairs rated"
        sent = worker.post(f"{address}/label", {"answer": str(_stars(page))})
        assert sent.status_code == 303
        address = sent.headers["location"]
        if number < 3:
            assert address.startswith("/work/offers/") and "next pair" in worker.get(address).text
    assert address == f"/labeling/{campaign}"
    page = worker.page(address)
    assert PACKAGE_DONE in page.text
    mine = page.by_id("my-packages")
    assert [c.text for c in mine.find_all("td")][:4] == [
        str(package.id),
        "passed",  # a first package on probation is half challenge pairs: judged at once
        "4 / 4",
        f"{terms.reward / 100:.2f} {money}",
    ]
    assert "returned" in mine.text  # the deposit, once the package passed
    assert page.by_id("take-package")  # the next one
    everywhere = worker.page("/labeling").by_id("my-packages")
    assert "Review en-de" in everywhere.text


def test_no_package_left_is_said_at_the_button(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = review_campaign(ctx, people.requester)
    crowd = []
    for number in range(8):  # 8 pairs × 2 reviewers, 3 pairs a package: 6 packages hold them
        email = f"rev{number}@web.test"
        user = accounts.create_user(
            ctx, email=email, password="correct horse battery", role="worker"
        )
        ledger.issue_credits(ctx, None, user.id, 10_000)
        crowd.append(user.id)
    for reviewer in crowd:
        try:
            labeling.take_package(ctx, reviewer, campaign)
        except Conflict:
            break
    worker = as_role("worker")
    refused = worker.post(f"/labeling/{campaign}/packages")
    assert refused.status_code == 422
    page = parse(refused.text)
    message = page.by_id("take-package-error").text
    assert "You cannot take a package now: no pairs need review right now; try again later" in (
        message
    )
    assert page.by_id("take-package").attrs["aria-describedby"] == "take-package-error"
    assert review_reports.my_packages(ctx, people.worker) == []
    assert ledger.balances(ctx, people.worker).available == 10_000


def test_a_deposit_the_reviewer_cannot_cover_is_said_before_and_after(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = review_campaign(ctx, people.requester)
    ledger.stake(ctx, people.worker, 10_000)  # nothing left available
    worker = as_role("worker")
    page = worker.page(f"/labeling/{campaign}")
    assert "do not cover the deposit" in page.by_id("deposit-short").text
    refused = worker.post(f"/labeling/{campaign}/packages")
    assert refused.status_code == 422
    message = parse(refused.text).by_id("take-package-error").text
    terms = package_terms(ctx, campaign)
    assert terms is not None
    money = ctx.settings.currency_name
    assert message.startswith("Error: Taking a package holds its deposit from your available")
    assert f"Your available balance is 0.00 {money} but this needs" in message
    assert f"short by {terms.deposit / 100:.2f} {money}" in message
    assert review_reports.my_packages(ctx, people.worker) == []


def _skeleton(html: str, offer: int, pair: tuple[str, str]) -> str:
    """The page with what differs between two pairs taken out: the pair, the offer id and
    address, the progress, and the form token."""
    html = html.replace(pair[0], "SOURCE").replace(pair[1], "TARGET")
    html = html.replace(f"/work/offers/{offer}/", "/work/offers/ID/").replace(
        f"offer {offer}", "offer ID"
    )
    html = re.sub(r"\d of 4 pairs rated", "N of 4 pairs rated", html)
    html = re.sub(r'value="[A-Za-z0-9_\-]{30,}"', 'value="TOKEN"', html)
    return re.sub(r'content="[A-Za-z0-9_\-]{30,}"', 'content="TOKEN"', html)


def test_a_challenge_pair_looks_like_any_other_on_a_reviewers_pages(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = review_campaign(ctx, people.requester)
    worker = as_role("worker")
    assert worker.post(f"/labeling/{campaign}/packages").status_code == 303
    pages = [worker.get("/labeling").text]  # with the notice "Package … is yours"
    challenge_pairs = {(c["source"], c["target"]) for c in REVIEW_CHALLENGES}
    seen: dict[bool, str] = {}
    while (offer := offers.next_offer(ctx, people.worker, campaign)) is not None:
        html = worker.get(f"/work/offers/{offer.id}").text
        pages.append(html)
        pair = (offer.item_text or "", offer.item_target or "")
        seen.setdefault(pair in challenge_pairs, _skeleton(html, offer.id, pair))
        labeling.submit_label(ctx, people.worker, offer.id, str(REVIEW_STARS[pair]))
    assert set(seen) == {True, False}, "the package had no challenge pair, or only those"
    assert seen[True] == seen[False]
    pages += [worker.get(a).text for a in ("/labeling", f"/labeling/{campaign}", "/wallet")]
    for html in pages:
        text = html.lower()
        assert "gold" not in text and "challenge" not in text and "chk-" not in text


# --- the requester's dashboard ----------------------------------------------------------------


def _rate_all(ctx: Context, worker: int, campaign: int, stars: Callable[[int], int]) -> bool:
    try:
        labeling.take_package(ctx, worker, campaign)
    except Conflict:
        return False
    while (offer := offers.next_offer(ctx, worker, campaign)) is not None:
        truth = REVIEW_STARS[offer.item_text or "", offer.item_target or ""]
        labeling.submit_label(ctx, worker, offer.id, str(stars(truth)))
    return True


def test_the_review_dashboard_packages_pool_payout_and_pairs(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = review_campaign(ctx, people.requester)
    owner = principal(ctx, people.requester)
    spammer = people.worker_b
    assert _rate_all(ctx, spammer, campaign, lambda truth: 1 if truth >= 3 else 5)
    honest = [people.worker]
    for number in range(4):
        user = accounts.create_user(
            ctx, email=f"honest{number}@web.test", password="correct horse battery", role="worker"
        )
        ledger.issue_credits(ctx, None, user.id, 10_000)
        honest.append(user.id)
    for _ in range(6):
        if not any([_rate_all(ctx, w, campaign, lambda truth: truth) for w in honest]):  # noqa: C419 (every reviewer, every round)
            break

    requester = as_role("requester")
    page = requester.page(f"/campaigns/{campaign}")
    rows = page.by_id("packages").find_all("tr")[1:]
    packages = review_reports.packages(ctx, owner, campaign)
    assert len(rows) == len(packages) >= 3
    spammer_name = accounts.get_user(ctx, spammer).pseudonym
    first = [cell.text for cell in rows[0].find_all("td")]
    assert first[1] == spammer_name and first[3] == "4 / 4"
    assert page.by_id("pairs-kept-tsv").attrs["href"] == f"/campaigns/{campaign}/pairs/kept/tsv"
    assert not page.has_id("pool-payout")  # not before close

    campaigns.close(ctx, owner, campaign)
    page = requester.page(f"/campaigns/{campaign}")
    judged = review_reports.packages(ctx, owner, campaign)
    forfeited = [p for p in judged if p.status == "forfeited"]
    assert forfeited and all(p.worker == spammer_name for p in forfeited)
    marked = [
        r for r in page.by_id("packages").find_all("tr") if r.attrs.get("class") == "forfeited"
    ]
    assert len(marked) == len(forfeited)
    assert "forfeited" in marked[0].text and f"{forfeited[0].error:.2f}" in marked[0].text
    summary = page.by_id("packages-summary").text
    assert f"{len(forfeited)} forfeited" in summary
    [paid] = [e.detail for e in campaigns.events(ctx, owner, campaign) if e.kind == "pool_paid"]
    money = ctx.settings.currency_name

    def shown(minor: object) -> str:
        return f"{int(str(minor)) / 100:.2f} {money}"

    for key in ("paid", "reserve", "withheld", "budget"):
        assert page.by_id(f"pool-{key}").text == shown(paid[key]), key
    assert int(str(paid["paid"])) + int(str(paid["reserve"])) + int(str(paid["withheld"])) == int(
        str(paid["budget"])
    )
    events = page.by_id("events").text
    assert "forfeited" in events and "Pool paid" in events

    found = review_reports.reviewed_pairs(ctx, owner, campaign)
    tsv = requester.get(f"/campaigns/{campaign}/pairs/kept/tsv")
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert tsv.headers["content-disposition"] == (
        f'attachment; filename="campaign-{campaign}-kept.tsv"'
    )
    assert tsv.text.splitlines() == [f"{p.source}\t{p.target}" for p in found.kept]
    kept = [
        json.loads(line)
        for line in requester.get(f"/campaigns/{campaign}/pairs/kept/jsonl").text.splitlines()
    ]
    assert [r["rank"] for r in kept] == [1, 2, 3, 4] and "reason" not in kept[0]
    assert {"id", "src", "tgt", "score", "mean", "rank", "ratings"} == set(kept[0])
    removed = requester.get(f"/campaigns/{campaign}/pairs/removed/jsonl")
    assert removed.headers["content-type"].startswith("application/jsonl")
    reasons = [json.loads(line)["reason"] for line in removed.text.splitlines()]
    assert reasons == [p.reason for p in found.removed] and len(reasons) == 4
    assert all("below the cut score" in r or "ties the cut score" in r for r in reasons)
    assert "chk-" not in tsv.text + removed.text
    assert requester.get(f"/campaigns/{campaign}/pairs/removed/tsv").status_code == 404


def test_pairs_downloads_belong_to_reviews_and_their_owners(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = review_campaign(ctx, people.requester)
    other = as_role("requester_b")
    for address in (
        f"/campaigns/{campaign}",
        f"/campaigns/{campaign}/pairs/kept/jsonl",
        f"/campaigns/{campaign}/pairs/removed/jsonl",
    ):
        response = other.get(address)
        assert response.status_code == 404, address
        assert f"no campaign has id {campaign}" in response.text
    classify = labeling_campaign(ctx, people.requester, tutorial=[], qualifier=None)
    worker = as_role("worker")
    refused = worker.post(f"/labeling/{classify}/packages")
    assert refused.headers["location"] == f"/labeling/{classify}"
    assert "its work comes as offers, not packages" in worker.get(f"/labeling/{classify}").text
    assert review_reports.my_packages(ctx, people.worker) == []
    response = as_role("requester").get(f"/campaigns/{classify}/pairs/kept/tsv")
    assert response.status_code == 422
    assert "packages and reviewed pairs belong to review campaigns" in response.text


def test_a_pair_near_the_cut_is_revised_on_its_page(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    """After the requester sends the band around the cut to revision, the reviser sees the
    pair and the current translation in an editable box; an unchanged one is refused at the
    field, an edited one is taken and the pair goes back to be rated."""
    owner = principal(ctx, people.requester)
    review = REVIEW_SPEC["review"] | {"revision_band": 4, "minutes_per_revision": "0.01"}
    spec = parse_labeling_spec(REVIEW_SPEC | {"gold": {"share": 0}, "review": review})
    view = corpora.create_review(ctx, owner, spec, corpus_of(ctx, people.requester), [])
    campaigns.launch(ctx, owner, view.id)
    for worker in (people.worker, people.worker_b):
        while _rate_all(ctx, worker, view.id, lambda truth: truth):
            pass
    ledger.stake(ctx, people.worker, 1_000)  # only this reviewer is drawn for revisions
    assert review_reports.send_to_revision(ctx, owner, view.id) > 0
    offer = offers.next_offer(ctx, people.worker, view.id)
    assert offer is not None and offer.kind == "revise"
    browser = as_role("worker")
    page = browser.page(f"/work/offers/{offer.id}")
    assert page.find_all("h1")[0].text == "Revise a translation"
    box = page.by_id("target")
    assert box.text == offer.item_target
    same = browser.post(f"/work/offers/{offer.id}/revision", {"target": offer.item_target or ""})
    assert same.status_code == 422
    assert "current translation" in parse(same.text).by_id("target-error").text
    done = browser.post(f"/work/offers/{offer.id}/revision", {"target": "Ganz neu übersetzt."})
    assert done.status_code == 303 and done.headers["location"] == f"/labeling/{view.id}"
    pairs = review_reports.reviewed_pairs(ctx, owner, view.id).pairs
    assert any(p.target == "Ganz neu übersetzt." and p.ratings == 0 for p in pairs)
