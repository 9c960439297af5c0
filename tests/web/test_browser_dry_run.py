"""The mechanism dry-run in a real browser (SPEC §6.9, issue #14): Debian's chromium through
Playwright against the real app. A requester pastes a spec on the new-campaign page, sets the
dry-run's options, clicks Dry-run, watches the progress and sees the table per strategy and its
chart. Screenshots go to ``$CROWDSET_SCREENSHOTS`` like the other browser tests'."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crowdset.services import accounts, ledger
from crowdset.services.demo import DEMO_PASSWORD
from tests.services.test_dry_runs import TINY
from tests.web.browser import LiveServer, log_in, serve, shoot

pytestmark = pytest.mark.browser

REQUESTER = "rae@dry-run.test"


@pytest.fixture(scope="module")
def live(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    for server in serve(tmp_path_factory.mktemp("live") / "crowdset.db", sqlite_template):
        owner = accounts.create_user(
            server.ctx, email=REQUESTER, password=DEMO_PASSWORD, role="requester"
        )
        ledger.issue_credits(server.ctx, None, owner.id, 100_000)
        yield server


def test_a_requester_dry_runs_a_spec_before_launch(
    person: Callable[..., Page], live: LiveServer, shots: Path
) -> None:
    requester = person()
    log_in(requester, REQUESTER)
    requester.goto("/campaigns/new")
    form = requester.locator("#spec-form")
    form.get_by_label("Or paste the spec").fill(TINY)
    form.get_by_text("Dry-run options").click()
    form.get_by_label("Mix of strategies").fill("spammer=0.25,always_yes=0.25")
    form.get_by_label("Workers").fill("4")
    form.get_by_role("button", name="Dry-run").click()

    expect(requester).to_have_url(re.compile(r"/dry-runs/[0-9a-f]+$"))
    expect(requester.get_by_role("heading", level=1)).to_have_text("Dry-run of “Tiny lights”")
    table = requester.locator("#dry-run-table")
    expect(table).to_be_visible(timeout=180_000)  # htmx swaps it in when the run ends
    expect(table).to_contain_text("fair wage of 60.00")
    for strategy in ("honest", "spammer", "always_yes"):
        expect(requester.locator(f"#dry-run-{strategy}")).to_be_visible()
    expect(requester.locator("#dry-run-summary")).to_contain_text("verified")
    expect(requester.locator("#dry-run-chart")).to_be_visible()
    drawn = requester.evaluate(
        "() => Boolean(Chart.getChart(document.getElementById('dry-run-chart')))"
    )
    assert drawn, "the chart was not drawn"
    shoot(requester, shots, "dry-run")
