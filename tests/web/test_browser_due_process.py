"""Due process in a real browser (issue #14): Debian's chromium through Playwright, against the
real app (its own server). A revoked worker sees the sanction with its reason and evidence and
appeals; the requester reads the appeal with the evidence on screen and upholds it; the
worker's wallet shows the fine and the pay back. Screenshots go to ``$CROWDSET_SCREENSHOTS``
like the other browser tests'."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crowdset.core.permissions import Role
from crowdset.services import accounts, ledger
from crowdset.services.accounts import Principal
from crowdset.services.demo import DEMO_PASSWORD
from tests.services.test_due_process import earn, launched, revoke
from tests.web.browser import DESKTOP, PHONE, LiveServer, log_in, serve, shoot

pytestmark = pytest.mark.browser

REQUESTER = "ria@appeal.test"
WORKER = "wes@appeal.test"


@pytest.fixture(scope="module")
def live(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    for server in serve(tmp_path_factory.mktemp("live") / "crowdset.db", sqlite_template):
        ctx = server.ctx
        owner = accounts.create_user(ctx, email=REQUESTER, password=DEMO_PASSWORD, role="requester")
        ledger.issue_credits(ctx, None, owner.id, 100_000)
        worker = accounts.create_user(ctx, email=WORKER, password=DEMO_PASSWORD, role="worker")
        ledger.issue_credits(ctx, None, worker.id, 5_000)
        ledger.stake(ctx, worker.id, 1_000)
        campaign = launched(ctx, Principal(owner.id, Role.REQUESTER, owner.email))
        earn(ctx, campaign, worker.id)
        revoke(ctx, campaign, worker.id)
        yield server


def test_a_revoked_worker_appeals_and_the_requester_upholds(
    person: Callable[..., Page], live: LiveServer, shots: Path
) -> None:
    worker = person()
    log_in(worker, WORKER)
    worker.goto("/wallet")
    expect(worker.locator("#balance-available")).to_have_text("40.00\u00a0credit")
    expect(worker.locator("#balance-staked")).to_have_text("8.50\u00a0credit")  # 1.50 fined
    expect(worker.locator("#balance-pending")).to_have_text("0.00\u00a0credit")  # clawed back

    worker.get_by_role("navigation").get_by_role("link", name="Quality").click()
    expect(worker.locator("#quality-table")).to_contain_text("revoked")
    worker.locator("#my-sanctions").get_by_role("link").first.click()
    expect(worker).to_have_url(re.compile(r"/sanctions/\d+$"))
    expect(worker.locator("#sanction-reason")).to_contain_text("below the bar of 80%")
    expect(worker.locator("#sanction-evidence")).to_contain_text("0 passed, 10 failed")
    worker.get_by_role("button", name="Send my appeal").click()  # empty first
    expect(worker.locator("#text-error")).to_contain_text("the appeal is empty")
    worker.get_by_label("Why is this wrong?").fill(
        "Those checks asked about a room I was never shown."
    )
    worker.get_by_role("button", name="Send my appeal").click()
    expect(worker.locator(".notice-ok")).to_contain_text("Your appeal is sent")
    expect(worker.locator("#appeal-status")).to_contain_text("open")
    expect(worker.get_by_role("button", name="Send my appeal")).to_have_count(0)
    shoot(worker, shots, "sanction-appealed")

    requester = person()
    log_in(requester, REQUESTER)
    requester.get_by_role("navigation").get_by_role("link", name="Appeals").click()
    requester.locator("#open-heading + .table-scroll").get_by_role("link").first.click()
    expect(requester.locator("#appeal-text")).to_have_text(
        "Those checks asked about a room I was never shown."
    )
    expect(requester.locator("#sanction-evidence")).to_contain_text("0 passed, 10 failed")
    requester.get_by_role("radio", name=re.compile("Uphold")).check()
    requester.get_by_label("Reason for your decision").fill("The checks were unfair.")
    shoot(requester, shots, "appeal-decision")
    requester.get_by_role("button", name="Decide").click()
    expect(requester.locator(".notice-ok")).to_contain_text("Appeal upheld")
    expect(requester.locator("#appeal-status")).to_contain_text("upheld")

    worker.goto("/wallet")
    expect(worker.locator("#balance-available")).to_have_text("42.50\u00a0credit")  # +1.50 +1.00
    expect(worker.locator("table")).to_contain_text("reverse")
    worker.set_viewport_size(PHONE)
    width = worker.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the wallet scrolls sideways on a phone: {width}px"
    worker.set_viewport_size(DESKTOP)
    worker.goto(worker.url.replace("/wallet", "/quality"))
    expect(worker.locator("#quality-table")).to_contain_text("settled")
