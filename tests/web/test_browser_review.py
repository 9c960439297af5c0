"""A review of a parallel corpus (SPEC §4) in a real browser: Debian's chromium through
Playwright, against the real app with the demo data (its own server, like the labeling one).

The requester uploads a corpus (a file with a bad line first), creates a review from it with
challenge pairs (the cost first) and launches it; a reviewer takes a package, seeing its size,
reward and deposit first, and rates two pairs shown side by side; the requester's dashboard
shows the package. Another corpus goes through the machine filters on import (a bad pipeline
first), and the list shows what each rule removed. Screenshots go to ``$CROWDSET_SCREENSHOTS``
like the other browser tests'.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect

from crowdset.services import accounts
from crowdset.services.demo import seed_demo
from tests.web.browser import DESKTOP, PHONE, LiveServer, log_in, serve, shoot

pytestmark = pytest.mark.browser

PAIRS = {  # (source, target) → the stars a careful reviewer gives
    ("The train leaves at eight.", "Der Zug fährt um acht ab."): 5,
    ("The museum is closed today.", "Das Museum ist heute geschlossen."): 5,
    ("We need more time.", "Wir brauchen mehr Zeit."): 5,
    ("The soup is too salty.", "Die Suppe ist zu süß."): 4,
    ("Turn left at the light.", "Biegen Sie an der Kreuzung rechts ab."): 3,
    ("The concert starts at nine.", "Das Konzert. Wir gehen essen."): 2,
    ("The bank is closed.", "Meine Katze schläft."): 1,
    ("Fill in the form.", "Das Spiel endete unentschieden."): 1,
}
CHALLENGES: list[dict[str, Any]] = [
    {"id": "chk-1", "source": "I would like tea.", "target": "Ich hätte gern Tee.", "gold": 5},
    {"id": "chk-2", "source": "My phone is new.", "target": "Der Hund bellt.", "gold": 1},
]
STARS = PAIRS | {(c["source"], c["target"]): int(c["gold"]) for c in CHALLENGES}
SPEC: dict[str, Any] = {
    "name": "Review en-de news",
    "type": "review",
    "instructions": "Rate how much the German translation would need to change.",
    "gold": {"share": 0.25},
    "review": {"reviewers": 2, "package_size": 4, "min_references": 2, "keep_share": 0.5},
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


def _fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways on a phone: {width}px"
    page.set_viewport_size(DESKTOP)


def test_a_requester_reviews_a_corpus_and_a_reviewer_rates_a_package(
    person: Callable[..., Page], live: LiveServer, shots: Path, tmp_path: Path
) -> None:
    # the requester: a corpus file with a bad line, then the good one
    requester = person()
    log_in(requester, REQUESTER)
    requester.get_by_role("navigation").get_by_role("link", name="Corpora").click()
    bad = tmp_path / "bad.tsv"
    bad.write_text("One.\tEins.\nTwo.\tZwei.\nno tab here\n")
    form = requester.locator("#corpus-form")
    form.get_by_label("Corpus name").fill("news-en-de")
    form.get_by_label("Corpus file").set_input_files(bad)
    form.get_by_role("button", name="Import").click()
    expect(requester.locator("#file-error")).to_contain_text(
        "bad.tsv:3: 1 tab-separated column(s), expected 2"
    )
    expect(requester.get_by_label("Corpus file")).to_be_focused()
    expect(requester.get_by_label("Corpus name")).to_have_value("news-en-de")
    good = tmp_path / "news.tsv"
    good.write_text("".join(f"{source}\t{target}\n" for source, target in PAIRS))
    form = requester.locator("#corpus-form")
    form.get_by_label("Corpus file").set_input_files(good)
    form.get_by_label("Source language").fill("en")
    form.get_by_label("Target language").fill("de")
    form.get_by_role("button", name="Import").click()
    expect(requester.locator(".notice-ok")).to_contain_text("“news-en-de”: 8 pairs imported")
    row = requester.locator("#corpora tr", has_text="news-en-de")
    expect(row).to_contain_text("en → de")
    shoot(requester, shots, "review-corpora")
    _fits_a_phone(requester)

    # a review of it: the cost first, then the draft and the launch
    row.get_by_role("link", name="Review it").click()
    chosen = requester.get_by_label("Corpus", exact=True).locator("option:checked")
    expect(chosen).to_contain_text("news-en-de")
    challenges = tmp_path / "challenges.jsonl"
    challenges.write_text("".join(json.dumps(c) + "\n" for c in CHALLENGES))
    form = requester.locator("#review-form")
    form.get_by_label("Or paste the review spec").fill(yaml.safe_dump(SPEC, sort_keys=False))
    form.get_by_role("button", name="Check the cost").click()  # no challenge pairs yet
    expect(requester.locator("#challenges_file-error")).to_contain_text(
        "gold.share is 0.25 but no item has a gold answer"
    )
    form = requester.locator("#review-form")
    form.get_by_label("Challenge pairs").set_input_files(challenges)
    form.get_by_role("button", name="Check the cost").click()
    expect(requester.locator("#review-cost-source")).to_contain_text(
        "8 pairs to review and 2 challenge pairs"
    )
    expect(requester.locator("#review-package")).to_contain_text("4 pairs")
    shoot(requester, shots, "review-cost")
    form = requester.locator("#review-form")
    form.get_by_label("Challenge pairs").set_input_files(challenges)
    form.get_by_role("button", name="Create draft").click()
    expect(requester.locator("#campaign-status")).to_have_text("draft")
    expect(requester.locator(".notice-ok")).to_contain_text("with 2 challenge pairs")
    requester.get_by_role("button", name="Launch").click()
    expect(requester.locator("#campaign-status")).to_have_text("running")
    dashboard = requester.url

    # the reviewer: the package's terms, then two pairs rated side by side
    worker = person()
    log_in(worker, WORKER)
    worker.get_by_role("navigation").get_by_role("link", name="Labeling").click()
    worker.locator("#labeling-campaigns tr", has_text="Review en-de news").get_by_role(
        "link"
    ).click()
    terms = worker.locator("#package-terms")
    expect(terms).to_contain_text("up to 4 pairs")
    expect(terms).to_contain_text("Deposit held")
    shoot(worker, shots, "review-package")
    _fits_a_phone(worker)
    worker.get_by_role("button", name="Take a package").click()
    expect(worker.locator(".notice-ok")).to_contain_text("4 pairs to rate within 24 hours")
    for number in range(2):
        expect(worker.get_by_role("heading", name="Rate a translation")).to_be_visible()
        expect(worker.locator("#package-progress")).to_have_text(f"{number} of 4 pairs rated")
        pair = (
            worker.locator("#item-source").inner_text(),
            worker.locator("#item-target").inner_text(),
        )
        for word in ("gold", "challenge"):
            expect(worker.get_by_text(word, exact=False)).to_have_count(0)
        stars = STARS[pair]
        worker.get_by_label(f"{stars} star{'s' if stars > 1 else ''}:", exact=False).check()
        if number == 0:
            shoot(worker, shots, "review-task")
            _fits_a_phone(worker)
        worker.get_by_role("button", name="Send my rating").click()
        expect(worker.locator(".notice").first).to_contain_text("Answer recorded")
    worker.get_by_role("navigation").get_by_role("link", name="Labeling").click()
    expect(worker.locator("#my-packages")).to_contain_text("2 / 4")

    # the requester's dashboard: the package with the reviewer and the pairs rated
    requester.goto(dashboard)
    pseudonym = accounts.find_user(live.ctx, WORKER).pseudonym
    package = requester.locator("#packages tr", has_text=pseudonym)
    expect(package).to_contain_text("2 / 4")
    expect(package).to_contain_text("open")
    expect(requester.locator("#pair-downloads")).to_contain_text("Removed pairs")
    shoot(requester, shots, "review-dashboard")
    _fits_a_phone(requester)


def test_a_requester_imports_a_corpus_through_the_machine_filters(
    person: Callable[..., Page], live: LiveServer, shots: Path, tmp_path: Path
) -> None:
    requester = person()
    log_in(requester, REQUESTER)
    requester.goto("/corpora")
    first, second, third = list(PAIRS)[:3]
    pairs = [first, second, third, first, ("Hello.", "Hallo.")]  # a copy, one word a side
    news = tmp_path / "news-filtered.tsv"
    news.write_text("".join(f"{source}\t{target}\n" for source, target in pairs))
    form = requester.locator("#corpus-form")
    form.get_by_label("Corpus name").fill("news-filtered")
    form.get_by_label("Corpus file").set_input_files(news)
    form.get_by_label("Run the machine filters on import").check()
    form.get_by_label("Filter pipeline (YAML)").fill("- length_ratio: {maxx: 3}\n")
    form.get_by_role("button", name="Import").click()
    expect(requester.locator("#filters-error")).to_contain_text(
        "filters: [0].length_ratio.maxx: unknown setting 'maxx'"
    )
    expect(requester.get_by_label("Filter pipeline (YAML)")).to_be_focused()
    expect(requester.get_by_label("Run the machine filters on import")).to_be_checked()

    form = requester.locator("#corpus-form")  # blank and ticked: the default pipeline
    form.get_by_label("Filter pipeline (YAML)").fill("")
    form.get_by_label("Corpus file").set_input_files(news)
    form.get_by_role("button", name="Import").click()
    expect(requester.locator(".notice-ok")).to_contain_text(
        "“news-filtered”: 3 of 5 pairs kept by the machine filters and imported"
    )
    row = requester.locator("#corpora tr.filtered", has_text="news-filtered")
    expect(row).to_contain_text("kept 3 of 5")
    report = row.locator("xpath=following-sibling::tr[1]").locator("details.filter-report")
    expect(report.locator("summary")).to_have_text("Machine filters: 2 of 5 pairs removed")
    rules = report.locator("tbody tr")
    expect(rules.first).to_be_hidden()  # closed until asked for
    report.locator("summary").click()
    expect(rules).to_have_count(2)
    expect(rules.nth(0)).to_contain_text("duplicate")
    expect(rules.nth(0)).to_contain_text("line 4: duplicate of line 1")
    expect(rules.nth(1)).to_contain_text("token_count")
    expect(rules.nth(1)).to_contain_text("20.0%")
    # the bar is drawn (no inline style for the CSP to block): a fifth of its 120px track
    track, fill = (rules.nth(0).locator(f"rect.share-{part}") for part in ("track", "fill"))
    width = fill.evaluate("e => e.getBoundingClientRect().width")
    assert width == pytest.approx(track.evaluate("e => e.getBoundingClientRect().width") / 5)
    assert width > 10
    shoot(requester, shots, "review-corpus-filters")
    _fits_a_phone(requester)
