"""``crowdset serve --workers N`` (issue 16): several processes need one shared session secret,
and every process gets exactly the settings of the command that started it."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from crowdset.cli.server import settings_environment
from crowdset.settings import Settings, load_settings
from tests.cli.test_campaign_cli import Cli

RULE_VIOLATION = 5
SECRET = "a-shared-secret-of-more-than-32-characters"


def test_several_processes_need_a_shared_session_secret(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'crowdset.db'}")
    cli("init")
    refused = cli("serve", "--workers", "2", code=RULE_VIOLATION)  # before it binds a port
    assert "--workers 2 needs one session secret shared by every process" in refused.output
    assert "CROWDSET_SESSION_SECRET" in refused.output
    assert "Traceback" not in refused.output


def test_several_processes_start_from_the_commands_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: dict[str, Any] = {}

    def run(app: object, **options: Any) -> None:
        handed = {k: v for k, v in os.environ.items() if k.startswith("CROWDSET_")}
        started.update(options, app=app, environment=handed)

    monkeypatch.setattr("uvicorn.run", run)
    url = f"sqlite:///{tmp_path / 'crowdset.db'}"
    cli = Cli(url)
    cli.env["CROWDSET_SESSION_SECRET"] = SECRET
    cli("init")
    before = dict(os.environ)
    try:
        served = cli("serve", "--workers", "3", "--port", "8123")
    finally:  # serve exports the settings for its processes: not for the tests after this one
        os.environ.clear()
        os.environ.update(before)
    handed = started["environment"]  # what the processes inherit
    assert handed["CROWDSET_SESSION_SECRET"] == SECRET
    assert handed["CROWDSET_DATABASE_URL"] == url
    assert "3 processes" in served.output
    assert started["app"] == "crowdset.api.app:app_from_environment"
    assert (started["factory"], started["workers"], started["port"]) == (True, 3, 8123)
    from crowdset.api.app import app_from_environment

    monkeypatch.setenv("CROWDSET_DATABASE_URL", url)
    monkeypatch.setenv("CROWDSET_SESSION_SECRET", SECRET)
    assert isinstance(app_from_environment(), FastAPI)


def test_the_environment_of_a_process_gives_back_every_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://crowdset@db/crowdset",
        session_secret=SECRET,
        platform_fee_share=Decimal("0.2"),
        session_cookie_secure=False,
        database_pool_size=7,
    )
    for name, value in settings_environment(settings).items():
        monkeypatch.setenv(name, value)
    assert load_settings() == settings
