"""Collusion flags in a real browser (SPEC §6.8, issue #15): Debian's chromium through
Playwright against the real app. The requester goes from the dashboard to the Collusion tab,
reads the flagged group and its κ table, is stopped until they confirm, and excludes the group
in one action; the operator's workers page lists the group, now excluded. Screenshots go to
``$CROWDSET_SCREENSHOTS`` like the other browser tests'."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crowdset.core.permissions import Role
from crowdset.services import accounts, ledger
from crowdset.services.accounts import Principal
from crowdset.services.demo import DEMO_PASSWORD
from tests.api.test_collusion_api import staked_workers
from tests.services.test_collusion import Crowd, voted_crowd
from tests.web.browser import LiveServer, log_in, serve, shoot

pytestmark = pytest.mark.browser

REQUESTER = "rena@ring.test"
OPERATOR = "otto@ring.test"


@pytest.fixture(scope="module")
def crowd_and_live(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[LiveServer, Crowd]]:
    for server in serve(tmp_path_factory.mktemp("live") / "crowdset.db", sqlite_template):
        ctx = server.ctx
        owner = accounts.create_user(ctx, email=REQUESTER, password=DEMO_PASSWORD, role="requester")
        ledger.issue_credits(ctx, None, owner.id, 1_000_000)
        accounts.create_user(ctx, email=OPERATOR, password=DEMO_PASSWORD, role="operator")
        principal = Principal(owner.id, Role.REQUESTER, owner.email)
        yield server, voted_crowd(ctx, principal, staked_workers(ctx))


@pytest.fixture(scope="module")
def live(crowd_and_live: tuple[LiveServer, Crowd]) -> LiveServer:
    return crowd_and_live[0]


def test_the_requester_excludes_a_flagged_ring_in_one_confirmed_action(
    person: Callable[..., Page], crowd_and_live: tuple[LiveServer, Crowd], shots: Path
) -> None:
    _, crowd = crowd_and_live
    ring = sorted(crowd.pseudonyms(crowd.ring))
    requester = person()
    log_in(requester, REQUESTER)
    requester.goto(f"/campaigns/{crowd.campaign_id}")
    requester.locator("#collusion-tab").get_by_role("link", name="Collusion").click()
    expect(requester.get_by_role("heading", name="Collusion", exact=True)).to_be_visible()
    group = requester.locator("#group-1")
    for worker in ring:
        expect(group.get_by_role("heading")).to_contain_text(worker)
    expect(requester.locator("#group-1-pairs tbody tr")).to_have_count(3)
    expect(requester.locator("#group-1-pairs")).to_contain_text("(100%)")
    expect(requester.locator("#kappa-table tbody tr")).to_have_count(36)
    expect(requester.locator("#kappa-table tbody tr.flagged")).to_have_count(3)
    shoot(requester, shots, "collusion-flagged")

    group.get_by_text("Exclude this group…").click()
    group.get_by_role("button", name="Exclude the group").click()  # not confirmed yet
    expect(requester.locator("#group-1-confirm-error")).to_contain_text("Tick the box")
    group = requester.locator("#group-1")
    group.get_by_label("Note for the sanctions (optional)").fill("They back each other.")
    group.get_by_label("I have read the evidence: exclude these 3 workers").check()
    group.get_by_role("button", name="Exclude the group").click()
    expect(requester.locator(".notice-ok")).to_contain_text("Excluded 3 workers")
    expect(requester.locator("#group-1")).to_contain_text("excluded")
    expect(requester.get_by_role("button", name="Exclude the group")).to_have_count(0)
    shoot(requester, shots, "collusion-excluded")

    operator = person()
    log_in(operator, OPERATOR)
    operator.goto("/operator/workers")
    row = operator.locator("#collusion-groups tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("excluded")
    for worker in ring:
        expect(row).to_contain_text(worker)
    row.get_by_role("link").first.click()
    expect(operator.locator("#group-1")).to_contain_text("excluded")
