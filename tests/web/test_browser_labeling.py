"""A labeling campaign (SPEC §3) in a real browser: Debian's chromium through Playwright, against
the real app with the demo data (its own server: the campaign made here stays out of the other
browser tests).

The requester uploads a spec and an items file (a bad file first), checks the cost, creates and
launches the campaign; a worker takes the tutorial (a wrong answer, its feedback, a repeat),
passes the qualifier and labels two items; the requester's dashboard shows the work and the
results download. Screenshots go to ``$CROWDSET_SCREENSHOTS`` like the other browser tests'.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect

from crowdset.core.permissions import Role
from crowdset.services import accounts, labeling, ledger, offers
from crowdset.services.demo import DEMO_PASSWORD, seed_demo
from tests.web.browser import DESKTOP, PHONE, LiveServer, log_in, serve, shoot

pytestmark = pytest.mark.browser

SPEC: dict[str, Any] = {
    "name": "Kettle reviews",
    "type": "classify",
    "instructions": "Read the product review. Is the customer happy (pos) or unhappy (neg)?",
    "labels": [
        {"name": "pos", "description": "The customer is happy"},
        {"name": "neg", "description": "The customer is unhappy"},
    ],
    "price_per_judgment": "0.25",
    "seconds_per_judgment": 10,
    "overlap": {"min": 1, "max": 2, "confidence": 0.6},
    "gold": {"share": 0.2},
    "guarantee": {"target": 0.9},
    "tutorial": [
        {"text": "I love this kettle", "answer": "pos", "explanation": "Love means happy."},
        {"text": "It leaks everywhere", "answer": "neg", "explanation": "A leak is a defect."},
    ],
    "qualifier": {
        "pass_mark": 0.5,
        "questions": [{"text": "Great value", "answer": "pos"}, {"text": "Awful", "answer": "neg"}],
    },
}
ITEMS = [
    ("k1", "Boils fast and looks great", ""),
    ("k2", "The lid broke on day two", ""),
    ("k3", "Quiet and easy to clean", ""),
    ("k4", "Smells of plastic, sent it back", ""),
    ("k5", "My favourite kitchen gadget", "pos"),
    ("k6", "Stopped working within a month", "neg"),
    ("k7", "Pours without spilling", ""),
    ("k8", "The handle gets too hot to hold", ""),
    ("k9", "Worth every penny", ""),
    ("k10", "Limescale after one week", ""),
]
POSITIVE = ("k1", "k3", "k5", "k7", "k9")
TRUTH = {text: "pos" if key in POSITIVE else "neg" for key, text, _ in ITEMS} | {
    "Great value": "pos",
    "Awful": "neg",
}
REQUESTER = "requester@demo.crowdset"
WORKER = "worker@demo.crowdset"


@pytest.fixture(scope="module")
def live(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    for server in serve(tmp_path_factory.mktemp("live") / "crowdset.db", sqlite_template):
        seed_demo(server.ctx)
        yield server


def _items_file(folder: Path, rows: list[tuple[str, str, str]], name: str = "reviews.csv") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "text", "gold"])
    writer.writerows(rows)
    path = folder / name
    path.write_text(buffer.getvalue())
    return path


def _fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways on a phone: {width}px"
    page.set_viewport_size(DESKTOP)


def _crowd_worker(live: LiveServer, campaign_id: int, email: str) -> None:
    """A staked worker who passes the onboarding and answers every offer they get, rightly."""
    ctx = live.ctx
    user = accounts.create_user(ctx, email=email, password=DEMO_PASSWORD, role=Role.WORKER.value)
    ledger.issue_credits(ctx, None, user.id, 10_000)
    ledger.stake(ctx, user.id, 5_000)
    for index, question in enumerate(SPEC["tutorial"]):
        labeling.answer_tutorial(ctx, user.id, campaign_id, index, question["answer"])
    answers = [q["answer"] for q in SPEC["qualifier"]["questions"]]
    labeling.take_qualifier(ctx, user.id, campaign_id, answers)
    while (offer := offers.next_offer(ctx, user.id, campaign_id)) is not None:
        labeling.submit_label(ctx, user.id, offer.id, TRUTH[offer.item_text or ""])


def test_a_requester_launches_a_labeling_campaign_and_a_worker_labels_for_it(
    person: Callable[..., Page], live: LiveServer, shots: Path, tmp_path: Path
) -> None:
    # the requester: a bad items file first, then the cost, the draft and the launch
    requester = person()
    log_in(requester, REQUESTER)
    requester.get_by_role("navigation").get_by_role("link", name="New campaign").click()
    form = requester.locator("#labeling-form")
    spec_box = form.get_by_label("Or paste the labeling spec")
    spec_box.fill(yaml.safe_dump(SPEC, sort_keys=False))
    bad = _items_file(tmp_path, [*ITEMS[:5], ("k6", "Stopped working", "meh")], "bad.csv")
    form.get_by_label("Items file").set_input_files(bad)
    form.get_by_role("button", name="Check the cost").click()
    expect(requester.locator("#items_file-error")).to_contain_text(
        "bad.csv: row 6, column 'gold': 'meh' is not one of pos, neg"
    )
    expect(requester.get_by_label("Items file")).to_be_focused()
    expect(requester.get_by_label("Or paste the labeling spec")).to_contain_text("Kettle reviews")
    items = _items_file(tmp_path, ITEMS)
    form = requester.locator("#labeling-form")
    form.get_by_label("Items file").set_input_files(items)
    form.get_by_role("button", name="Check the cost").click()
    expect(requester.locator("#labeling-cost-source")).to_contain_text(
        "8 items to label and 2 gold items"
    )
    expect(requester.locator("#labeling-wage-floor")).to_contain_text("against a floor of 0.17")
    form = requester.locator("#labeling-form")
    form.get_by_label("Items file").set_input_files(items)
    form.get_by_role("button", name="Create draft").click()
    expect(requester.locator("#campaign-status")).to_have_text("draft")
    expect(requester.locator(".notice-ok")).to_contain_text("with 10 items (2 gold)")
    requester.get_by_role("button", name="Launch").click()
    expect(requester.locator("#campaign-status")).to_have_text("running")
    dashboard = requester.url

    # the worker: the labeling list, the tutorial with feedback, the qualifier
    worker = person()
    log_in(worker, WORKER)
    worker.get_by_role("navigation").get_by_role("link", name="Labeling").click()
    row = worker.locator("#labeling-campaigns tr", has_text="Kettle reviews")
    expect(row).to_contain_text("Tutorial to do")
    row.get_by_role("link", name="Kettle reviews").click()
    expect(worker.locator("#instructions")).to_contain_text("Read the product review")
    worker.get_by_role("link", name="Start the tutorial").click()
    expect(worker.locator("#item")).to_have_text("I love this kettle")
    worker.get_by_label("neg").check()
    worker.get_by_role("button", name="Check my answer").click()
    feedback = worker.locator("#feedback")
    expect(feedback.get_by_role("heading")).to_have_text("Not quite")
    expect(feedback).to_contain_text("The expected answer: pos")
    expect(worker.locator("#explanation")).to_have_text("Love means happy.")
    shoot(worker, shots, "labeling-tutorial-feedback")
    worker.get_by_role("link", name="Try this question again").click()
    worker.get_by_label("pos").check()
    worker.get_by_role("button", name="Check my answer").click()
    expect(worker.locator("#feedback").get_by_role("heading")).to_have_text("Right")
    worker.get_by_role("link", name="Next question").click()
    expect(worker.locator("#item")).to_have_text("It leaks everywhere")
    worker.get_by_label("neg").check()
    worker.get_by_role("button", name="Check my answer").click()
    worker.get_by_role("link", name="Tutorial done: take the qualifier").click()
    worker.get_by_role("button", name="Send my answers").click()  # nothing chosen yet
    expect(worker.locator("#qualifier-error")).to_contain_text("You answered 0 of the 2 questions")
    for number, question in enumerate(SPEC["qualifier"]["questions"], start=1):
        group = worker.get_by_role("group", name=f"Your answer to question {number}")
        group.get_by_label(question["answer"]).check()
    worker.get_by_role("button", name="Send my answers").click()
    result = worker.locator("#qualifier-result")
    expect(result.get_by_role("heading")).to_have_text("Passed")
    expect(worker.locator("#qualifier-score")).to_have_text("100%")

    # two items labeled, one after the other
    worker.get_by_role("button", name="Start working").click()
    for number in range(2):
        expect(worker.get_by_role("heading", name="Label an item")).to_be_visible()
        text = worker.locator("#item").inner_text()
        expect(worker.get_by_text("gold", exact=False)).to_have_count(0)
        worker.get_by_label(TRUTH[text]).check()
        if number == 0:
            shoot(worker, shots, "labeling-task")
            _fits_a_phone(worker)
        worker.get_by_role("button", name="Send my answer").click()
        expect(worker.locator(".notice").first).to_contain_text("Answer recorded")

    # two more workers, through the services, so that the dashboard has a crowd to show
    campaign_id = int(dashboard.rsplit("/", 1)[1])
    for number in range(3):
        _crowd_worker(live, campaign_id, f"crowd{number}@example.org")

    # the requester's dashboard: the work, the worker, the results
    requester.goto(dashboard)
    expect(requester.locator("#workers tbody tr")).to_have_count(4)
    pseudonym = accounts.find_user(live.ctx, WORKER).pseudonym
    worker_row = requester.locator("#workers tr", has_text=pseudonym)
    expect(worker_row.locator("td").nth(1)).to_have_text("2")
    expect(worker_row.locator("svg.interval")).to_have_count(1)
    expect(requester.locator("#guarantee-status")).to_be_visible()
    expect(requester.locator("#events")).to_contain_text("Launched")
    shoot(requester, shots, "labeling-dashboard")
    _fits_a_phone(requester)
    with requester.expect_download() as download_info:
        requester.locator("#results-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert {r["item"] for r in rows} == {key for key, _, gold in ITEMS if not gold}
    answered = [r for r in rows if r["answer"]]
    assert answered and all(r["answer"] == TRUTH[r["text"]] for r in answered)
    expect(requester).to_have_url(re.compile(r"/campaigns/\d+$"))
