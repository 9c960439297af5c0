"""The real app in a thread and Debian's chromium driven by Playwright, for the browser tests.

Playwright's own browser download does not work here: the tests drive the system chromium by
its path (``CROWDSET_CHROMIUM``, default ``/usr/bin/chromium``). Without it they skip, unless
``CROWDSET_REQUIRE_BROWSER=1`` (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from playwright.sync_api import Page, ViewportSize, expect

from crowdset.api.app import create_app
from crowdset.services.context import Context, open_context
from crowdset.services.demo import DEMO_PASSWORD
from crowdset.settings import Settings

CHROMIUM = os.environ.get("CROWDSET_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CROWDSET_REQUIRE_BROWSER") == "1"
SCREENSHOTS = os.environ.get("CROWDSET_SCREENSHOTS")  # a folder, e.g. docs/screenshots
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


class ShiftedClock:
    """The real time plus an offset a test can move (``clock.offset = timedelta(hours=9)``)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class LiveServer:
    url: str
    ctx: Context
    clock: ShiftedClock


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists():
        message = (
            f"no chromium at {CHROMIUM}: apt-get install -y chromium (or set CROWDSET_CHROMIUM)"
        )
        if REQUIRE_BROWSER:
            pytest.fail(message + " (CROWDSET_REQUIRE_BROWSER=1 forbids skipping)")
        pytest.skip(message)
    return CHROMIUM


def serve(database: Path, template: Path) -> Iterator[LiveServer]:
    """Run the app with uvicorn on a free port of 127.0.0.1 until the generator is closed."""
    shutil.copy(template, database)
    settings = Settings(
        database_url=f"sqlite:///{database}",
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        payments_rail="simulated",
    )
    clock = ShiftedClock()
    ctx = open_context(settings)
    ctx.clock = clock
    ctx.rng = np.random.default_rng(4)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, ctx), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", ctx, clock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        ctx.db.dispose()


def screenshot_folder(fallback: Path) -> Path:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else fallback
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".logout")).to_be_visible()


def shoot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
