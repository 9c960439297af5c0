"""Issue 17 in Debian's chromium: log in from two browsers, log out everywhere from one, and
the other is logged out at its next request."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crowdset.core.permissions import Role
from crowdset.services import accounts
from crowdset.services.demo import DEMO_PASSWORD
from tests.web.browser import LiveServer, log_in, serve

pytestmark = pytest.mark.browser
EMAIL = "two.browsers@example.org"


@pytest.fixture(scope="module")
def live(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    for server in serve(tmp_path_factory.mktemp("live") / "crowdset.db", sqlite_template):
        accounts.create_user(
            server.ctx, email=EMAIL, password=DEMO_PASSWORD, role=Role.WORKER.value
        )
        yield server


def test_log_out_everywhere_from_one_browser_logs_out_the_other(
    person: Callable[..., Page],
) -> None:
    laptop, phone = person(), person()
    log_in(laptop, EMAIL)
    log_in(phone, EMAIL)
    laptop.goto("/profile")
    expect(laptop.locator("#sessions tbody tr")).to_have_count(2)
    expect(laptop.locator("#sessions")).to_contain_text("(this browser)")
    laptop.get_by_role("button", name="Log out everywhere").click()
    expect(laptop.locator(".notice")).to_contain_text("You are logged out everywhere.")
    phone.goto("/wallet")  # its next request
    expect(phone).to_have_url(re.compile(r"/login\?next=%2Fwallet$"))
    expect(phone.locator("body")).to_contain_text("You were logged out")
    laptop.goto("/wallet")
    expect(laptop.get_by_role("button", name="Log in")).to_be_visible()
