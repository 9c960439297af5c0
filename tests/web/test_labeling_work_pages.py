"""A worker's labeling on the pages (SPEC §3): the labeling campaigns with the worker's gate,
the tutorial with feedback, the qualifier with a score only, label offers of each kind one after
another, and gold items that look like any other."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from crowdset.core.labeling.spec import STARS
from crowdset.services import campaigns, labeling, labeling_reports, ledger, offers
from crowdset.services.context import Context
from crowdset.storage.models import LabelItem, Offer
from tests.web.conftest import (
    LABELING_SPEC,
    LABELING_STAKE,
    LABELING_TRUTH,
    NO_ONBOARDING,
    Browser,
    People,
    label_offer,
    labeling_campaign,
    principal,
)
from tests.web.html import parse

RUBRIC = ["unusable", "poor", "fair", "good", "perfect"]


def _onboard(ctx: Context, worker: int, campaign: int) -> None:
    """The worker passes the tutorial and the qualifier through the services."""
    for index, question in enumerate(LABELING_SPEC["tutorial"]):
        labeling.answer_tutorial(ctx, worker, campaign, index, question["answer"])
    answers = [q["answer"] for q in LABELING_SPEC["qualifier"]["questions"]]
    assert labeling.take_qualifier(ctx, worker, campaign, answers).passed


# --- the worker's way in: labeling list, tutorial, qualifier ----------------------------------


def test_the_tutorial_one_question_at_a_time_with_feedback_and_repeats(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = labeling_campaign(ctx, people.requester)
    worker = as_role("worker")
    assert worker.page("/work").find_all("a", href="/labeling")
    listed = worker.page("/labeling").by_id("labeling-campaigns")
    assert "Sentiment" in listed.text and "Tutorial to do" in listed.text
    page = worker.page(f"/labeling/{campaign}")
    assert page.by_id("instructions").text == "Is the review positive or negative?"
    assert "A happy customer" in page.by_id("choices").text
    assert page.by_id("start-tutorial").attrs["href"] == f"/labeling/{campaign}/tutorial/0"

    page = worker.page(f"/labeling/{campaign}/tutorial/0")
    assert page.by_id("item").text == "I love it"
    radios = page.by_id("tutorial-form").find_all("input", type="radio")
    assert [r.attrs["value"] for r in radios] == ["pos", "neg"]
    missing = worker.post(f"/labeling/{campaign}/tutorial/0", {})
    assert missing.status_code == 422
    assert "Choose one answer." in parse(missing.text).by_id("answer-error").text
    early = worker.post(f"/labeling/{campaign}/tutorial/1", {"answer": "neg"})
    assert early.status_code == 422
    assert "answer the tutorial in order: question 0 comes next" in early.text

    wrong = parse(worker.post(f"/labeling/{campaign}/tutorial/0", {"answer": "neg"}).text)
    feedback = wrong.by_id("feedback")
    assert feedback.find_all("h2")[0].text == "Not quite"
    assert "The expected answer: pos (A happy customer)." in feedback.text
    assert wrong.by_id("explanation").text == "Love is positive."
    assert wrong.by_id("try-again").attrs["href"] == f"/labeling/{campaign}/tutorial/0"
    right = parse(worker.post(f"/labeling/{campaign}/tutorial/0", {"answer": "pos"}).text)
    assert right.by_id("feedback").find_all("h2")[0].text == "Right"
    assert right.by_id("next-question").attrs["href"] == f"/labeling/{campaign}/tutorial/1"
    page = worker.page(f"/labeling/{campaign}")
    assert page.by_id("start-tutorial").text == "Continue the tutorial"
    assert page.by_id("start-tutorial").attrs["href"].endswith("/tutorial/1")
    last = parse(worker.post(f"/labeling/{campaign}/tutorial/1", {"answer": "neg"}).text)
    assert last.by_id("to-qualifier").attrs["href"] == f"/labeling/{campaign}/qualifier"
    assert labeling.onboarding(ctx, people.worker, campaign).gate == "qualifier"
    assert worker.get(f"/labeling/{campaign}/tutorial/2").status_code == 404


def test_the_qualifier_in_one_form_shows_only_the_score(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = labeling_campaign(ctx, people.requester)
    worker = as_role("worker")
    closed = worker.page(f"/labeling/{campaign}/qualifier")
    assert "Finish the tutorial first" in closed.by_id("qualifier-closed").text
    for index, question in enumerate(LABELING_SPEC["tutorial"]):
        labeling.answer_tutorial(ctx, people.worker, campaign, index, question["answer"])

    page = worker.page(f"/labeling/{campaign}/qualifier")
    form = page.by_id("qualifier-form")
    assert [q.text for q in form.find_all("blockquote")] == ["Great value", "Awful"]
    assert {i.attrs["name"] for i in form.find_all("input", type="radio")} == {
        "answer-0",
        "answer-1",
    }
    assert "2 attempts left" in page.text

    short = worker.post(f"/labeling/{campaign}/qualifier", {"answer-0": "pos"})
    assert short.status_code == 422
    page = parse(short.text)
    assert "You answered 1 of the 2 questions" in page.by_id("qualifier-error").text
    assert "Choose one answer." in page.by_id("answer-1-error").text
    assert [i.attrs["value"] for i in page.find_all("input", checked="")] == ["pos"]
    assert labeling.onboarding(ctx, people.worker, campaign).attempts_left == 2  # not graded

    failed = parse(
        worker.post(f"/labeling/{campaign}/qualifier", {"answer-0": "neg", "answer-1": "pos"}).text
    )
    result = failed.by_id("qualifier-result")
    assert result.find_all("h2")[0].text == "Not passed"
    assert failed.by_id("qualifier-score").text == "0%"
    assert "1 attempt left" in result.text
    assert "expected" not in result.text.lower()  # no per-question feedback
    passed = parse(
        worker.post(f"/labeling/{campaign}/qualifier", {"answer-0": "pos", "answer-1": "pos"}).text
    )
    assert passed.by_id("qualifier-result").find_all("h2")[0].text == "Passed"
    assert passed.by_id("qualifier-score").text == "50%"
    assert passed.has_id("start-working")
    again = worker.post(f"/labeling/{campaign}/qualifier", {"answer-0": "pos", "answer-1": "neg"})
    assert again.status_code == 422
    assert "you cannot take this qualifier now (open)" in again.text


def test_a_failed_qualifier_closes_the_campaign_to_the_worker(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    qualifier = LABELING_SPEC["qualifier"] | {"attempts": 1}
    campaign = labeling_campaign(ctx, people.requester, tutorial=[], qualifier=qualifier)
    worker = as_role("worker")
    failed = worker.post(f"/labeling/{campaign}/qualifier", {"answer-0": "neg", "answer-1": "pos"})
    assert "No attempt left" in parse(failed.text).by_id("qualifier-result").text
    page = worker.page(f"/labeling/{campaign}")
    assert page.by_id("gate").text == "Qualifier not passed"
    assert not page.has_id("start-working")
    refused = worker.post(f"/labeling/{campaign}/next")
    assert refused.headers["location"] == f"/labeling/{campaign}"
    assert "You cannot work on this campaign yet" in worker.get(f"/labeling/{campaign}").text


# --- label offers -----------------------------------------------------------------------------


def test_start_working_labels_offers_one_after_another(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = labeling_campaign(ctx, people.requester, **NO_ONBOARDING, gold={"share": 0})
    worker = as_role("worker")
    page = worker.page(f"/labeling/{campaign}")
    assert "stake credits in your wallet" in page.text
    nothing = worker.post(f"/labeling/{campaign}/next")
    assert nothing.headers["location"] == f"/labeling/{campaign}"
    assert "No offer for you right now" in worker.get(f"/labeling/{campaign}").text

    ledger.stake(ctx, people.worker, LABELING_STAKE)
    started = worker.post(f"/labeling/{campaign}/next")
    first = started.headers["location"]
    assert first.startswith("/work/offers/")
    page = worker.page(first)
    assert page.find_all("h1")[0].text == "Label an item"
    assert page.by_id("item").text in LABELING_TRUTH
    form = page.by_id("label-form")
    assert [r.attrs["value"] for r in form.find_all("input", type="radio")] == ["pos", "neg"]
    assert "An unhappy customer" in form.text
    assert form.find_all("input", name="seconds_on_task")

    offer_id = int(first.rsplit("/", 1)[1])
    refused = worker.post(f"{first}/label", {"answer": "maybe"})
    assert refused.status_code == 422
    assert "'maybe' is not one of pos, neg" in parse(refused.text).by_id("answer-error").text
    empty = worker.post(f"{first}/label", {})
    assert "Choose one answer." in parse(empty.text).by_id("answer-error").text
    before = ledger.balances(ctx, people.worker)
    text = page.by_id("item").text
    sent = worker.post(f"{first}/label", {"answer": LABELING_TRUTH[text], "seconds_on_task": "4.5"})
    second = sent.headers["location"]
    assert second.startswith("/work/offers/") and second != first
    assert "Answer recorded. Here is your next item." in worker.get(second).text
    after = ledger.balances(ctx, people.worker)  # paid into pending (SPEC §6.3)
    assert (after.available, after.pending) == (before.available, before.pending + 20)
    assert "This offer is done." in worker.page(first).text
    assert offers.get_offer(ctx, people.worker, offer_id).status == "done"

    skipped = worker.post(f"{second}/skip")
    assert skipped.headers["location"] == f"/labeling/{campaign}"


def test_multi_label_offers_have_checkboxes_and_ratings_have_stars_with_the_rubric(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    labels = [{"name": "fast"}, {"name": "cheap"}, {"name": "good"}]
    multi = labeling_campaign(
        ctx,
        people.requester,
        [{"id": "a", "text": "A fine shop"}, {"id": "b", "text": "Another"}],
        **NO_ONBOARDING,
        labels=labels,
        multi_label=True,
        gold={"share": 0},
    )
    worker = as_role("worker")
    offer = label_offer(ctx, multi, people.worker)
    form = worker.page(f"/work/offers/{offer}").by_id("label-form")
    assert [c.attrs["value"] for c in form.find_all("input", type="checkbox")] == [
        "fast",
        "cheap",
        "good",
    ]
    assert not form.find_all("input", type="radio")
    client = worker.client
    token = worker.token(f"/work/offers/{offer}")
    sent = client.post(
        f"/work/offers/{offer}/label",
        data={"csrf_token": token, "answer": ["good", "fast"]},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    report = labeling_reports.report(ctx, principal(ctx, people.requester), multi)
    assert [row.answers for row in report.workers] == [1]

    rate = labeling_campaign(
        ctx,
        people.requester,
        [{"id": "a", "text": "A photo"}, {"id": "b", "text": "Another"}],
        **NO_ONBOARDING,
        type="rate",
        labels=[],
        rubric=RUBRIC,
        gold={"share": 0},
    )
    offer = label_offer(ctx, rate, people.worker_b)
    other = as_role("worker_b")
    page = other.page(f"/work/offers/{offer}")
    radios = page.by_id("label-form").find_all("input", type="radio")
    assert tuple(r.attrs["value"] for r in radios) == STARS
    choices = page.by_id("answer").text.replace(" :", ":")
    assert "1 star: unusable" in choices and "5 stars: perfect" in choices
    assert other.post(f"/work/offers/{offer}/label", {"answer": "4"}).status_code == 303


def _label_page(worker: Browser, offer: int) -> str:
    return worker.get(f"/work/offers/{offer}").text


def _skeleton(html: str, offer: int, item_text: str) -> str:
    """The page with what differs between two offers taken out: the item, the offer id and
    address, and the form token."""
    html = html.replace(item_text, "ITEM").replace(f"/work/offers/{offer}/", "/work/offers/ID/")
    html = html.replace(f"offer {offer}", "offer ID")
    html = re.sub(r'value="[A-Za-z0-9_\-]{30,}"', 'value="TOKEN"', html)
    return re.sub(r'content="[A-Za-z0-9_\-]{30,}"', 'content="TOKEN"', html)


def test_a_gold_item_looks_like_any_other_on_the_workers_pages(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = labeling_campaign(ctx, people.requester, gold={"share": 0.5})
    _onboard(ctx, people.worker, campaign)
    ledger.stake(ctx, people.worker, 500)
    worker = as_role("worker")
    worker.page("/labeling")  # the welcome notice goes here, not on a page compared below

    def is_gold(offer_id: int) -> bool:
        def work(session: Any) -> bool:
            item = session.execute(
                select(LabelItem)
                .join(Offer, Offer.item_id == LabelItem.id)
                .where(Offer.id == offer_id)
            ).scalar_one()
            return item.gold is not None

        return bool(ctx.db.run(work, readonly=True))

    seen: dict[bool, tuple[int, str, str]] = {}
    for _ in range(30):
        offer = offers.next_offer(ctx, people.worker, campaign)
        if offer is None or len(seen) == 2:
            break
        html = _label_page(worker, offer.id)
        seen.setdefault(is_gold(offer.id), (offer.id, html, offer.item_text or ""))
        labeling.submit_label(ctx, people.worker, offer.id, "pos")
    assert set(seen) == {True, False}, "the worker saw no gold item, or only gold items"
    skeletons = []
    for offer_id, html, text in seen.values():
        assert "gold" not in html.lower()
        skeletons.append(_skeleton(html, offer_id, text))
    assert skeletons[0] == skeletons[1]
    for address in ("/labeling", f"/labeling/{campaign}", f"/labeling/{campaign}/tutorial/0"):
        assert "gold" not in worker.get(address).text.lower(), address
    gold_page = worker.get(f"/labeling/{campaign}/qualifier").text.lower()
    assert "gold" not in gold_page


def test_pages_of_a_closed_labeling_campaign_are_gone_for_workers(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = labeling_campaign(ctx, people.requester)
    campaigns.close(ctx, principal(ctx, people.requester), campaign)
    worker = as_role("worker")
    assert "Sentiment" not in worker.page("/labeling").text
    response = worker.get(f"/labeling/{campaign}")
    assert response.status_code == 404
    assert f"no open labeling campaign has id {campaign}" in response.text
