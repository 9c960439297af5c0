"""The bias tab in a real browser (issue #21): Debian's chromium through Playwright against the
real app. The requester goes from the dashboard to the Bias tab, sees the plot and the group that
rates higher, the small group named and not shown, and switches to a demographic nobody varies
on: the page says why there is nothing to compare."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crowdset.core.permissions import Role
from crowdset.services import accounts, ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.demo import DEMO_PASSWORD
from tests.services.test_campaign_bias import crowd_of
from tests.web.browser import LiveServer, log_in, serve, shoot

pytestmark = pytest.mark.browser

REQUESTER = "rhea@bias.test"


def worker_maker(ctx: Context) -> Callable[[], int]:
    """Workers with a password and nothing else (their answers are stored directly)."""
    numbers = count(1)

    def new_worker() -> int:
        email = f"w{next(numbers)}@bias.test"
        return accounts.create_user(ctx, email=email, password=DEMO_PASSWORD, role="worker").id

    return new_worker


@pytest.fixture(scope="module")
def campaign_and_live(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[LiveServer, int]]:
    for server in serve(tmp_path_factory.mktemp("live") / "crowdset.db", sqlite_template):
        ctx = server.ctx
        owner = accounts.create_user(ctx, email=REQUESTER, password=DEMO_PASSWORD, role="requester")
        ledger.issue_credits(ctx, None, owner.id, 1_000_000)
        campaign_id, _ = crowd_of(
            ctx, Principal(owner.id, Role.REQUESTER, owner.email), worker_maker(ctx)
        )
        yield server, campaign_id


@pytest.fixture(scope="module")
def live(campaign_and_live: tuple[LiveServer, int]) -> LiveServer:
    return campaign_and_live[0]


def test_the_requester_sees_the_plot_and_the_group_that_differs(
    person: Callable[..., Page], campaign_and_live: tuple[LiveServer, int], shots: Path
) -> None:
    _, campaign_id = campaign_and_live
    requester = person()
    log_in(requester, REQUESTER)
    requester.goto(f"/campaigns/{campaign_id}")
    requester.locator("#bias-tab").get_by_role("link", name="Bias").click()
    expect(requester.get_by_role("heading", name="Bias across worker groups")).to_be_visible()
    plot = requester.locator("#bias-plot svg")
    expect(plot).to_be_visible()
    expect(plot).to_contain_text("woman *")  # the significant group is marked on the plot
    expect(requester.locator("#bias-comparisons tbody tr")).to_have_count(2)
    expect(requester.locator("#bias-comparisons tr.significant").first).to_contain_text("woman")
    expect(requester.locator("#bias-suppressed")).to_contain_text("non-binary")
    expect(requester.locator("#bias-comparisons")).not_to_contain_text("non-binary")
    shoot(requester, shots, "bias-by-gender")

    requester.get_by_label("Group workers by").select_option("age_band")
    requester.get_by_role("button", name="Show").click()
    expect(requester.locator("#bias-problem")).to_contain_text("group")
    expect(requester.locator("#bias-plot")).to_have_count(0)
