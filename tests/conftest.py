"""Shared fixtures: a migrated database per test on SQLite and on PostgreSQL.

SQLite: the schema is migrated once into a template file, copied for each test.
PostgreSQL: one throw-away database per test session (``crowdset_test_<pid>``), migrated once,
emptied between tests. Off CI it is skipped when no server answers; with
``CROWDSET_REQUIRE_POSTGRES=1`` (set by .ci/run) an unreachable server fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crowdset.core.ledger import GENESIS_HASH
from crowdset.services.context import Context, open_context
from crowdset.settings import Settings
from crowdset.storage import migrate
from crowdset.storage.models import Base

POSTGRES_ADMIN_URL = os.environ.get(
    "CROWDSET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("CROWDSET_REQUIRE_POSTGRES") == "1"


class FakeClock:
    """A clock tests move by hand: ``clock.advance(days=91)``."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)  # strictly increasing, like a real clock
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "crowdset.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _postgres_unavailable(reason: str) -> None:
    message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is not usable: {reason}"
    if REQUIRE_POSTGRES:
        pytest.fail(message + " (CROWDSET_REQUIRE_POSTGRES=1 forbids skipping)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"crowdset_test_{os.getpid()}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any connection failure means: no usable server
        admin.dispose()
        _postgres_unavailable(str(error).splitlines()[0])
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(
        f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "ledger_head"
    )
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(
            text("UPDATE ledger_head SET last_seq = 0, last_hash = :h"), {"h": GENESIS_HASH}
        )
    engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "crowdset.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    # A cheap password hash keeps tests fast; production keeps the argon2id defaults.
    return Settings(
        database_url=database_url,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        payments_rail="simulated",  # the tests deposit; production's default is "disabled"
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(settings: Settings, clock: FakeClock) -> Iterator[Context]:
    context = open_context(settings)
    context.clock = clock
    context.rng = np.random.default_rng(20261123)  # offers and task plans repeat run to run
    yield context
    context.db.dispose()


@pytest.fixture
def make_user(ctx: Context) -> Callable[..., int]:
    """Factory: ``make_user("worker", credits=100)`` returns a new user's id."""
    from crowdset.services import accounts, ledger

    counter = iter(range(1, 10_000))

    def make(role: str = "worker", *, credits: int = 0, email: str | None = None) -> int:
        address = email or f"{role}{next(counter)}@test.crowdset"
        user = accounts.create_user(ctx, email=address, password="correct horse", role=role)
        if credits:
            ledger.issue_credits(ctx, None, user.id, credits)
        return user.id

    return make
