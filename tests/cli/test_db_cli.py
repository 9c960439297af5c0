"""Commands on a database without crowdset's newest schema say what to run, not an SQL error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url, text

from crowdset.storage import migrate
from tests.cli.test_campaign_cli import EXAMPLE, Cli
from tests.conftest import POSTGRES_ADMIN_URL

RULE_VIOLATION = 5


def _previous_revision() -> str:
    head = migrate.head_revision()
    assert head is not None
    down = ScriptDirectory(str(migrate.MIGRATIONS)).get_revision(head).down_revision
    assert isinstance(down, str)
    return down


def test_a_database_never_initialised_names_crowdset_init(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'fresh.db'}")
    refused = cli("user", "create", "ann@example.org", "--password", "correct horse", code=5)
    assert "has no crowdset tables yet: run `crowdset init`" in refused.output
    assert "Traceback" not in refused.output
    assert "no such table" not in refused.output
    assert "needs `crowdset db upgrade`" in cli("db", "current").output
    assert "database ready (sqlite)" in cli("init").output
    created = cli("user", "create", "ann@example.org", "--password", "correct horse").output
    assert "created worker" in created


def test_a_spec_is_priced_before_init_but_a_corpus_needs_the_database(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert "escrow at launch" in cli("campaign", "estimate", EXAMPLE).output
    review = Path(__file__).parents[2] / "examples" / "review.yaml"
    refused = cli("campaign", "estimate", review, "--corpus", "1", "--as", "a@b.org", code=5)
    assert "crowdset init" in refused.output


def test_a_schema_behind_this_crowdset_names_crowdset_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine, _previous_revision())
    engine.dispose()
    cli = Cli(url)
    refused = cli("ledger", "verify", code=RULE_VIOLATION)
    assert f"is at schema revision {_previous_revision()}" in refused.output
    assert f"expects {migrate.head_revision()}: run `crowdset db upgrade`" in refused.output
    refused = cli("serve", code=RULE_VIOLATION)  # refused before it binds a port
    assert "run `crowdset db upgrade`" in refused.output
    assert f"at revision {migrate.head_revision()}" in cli("db", "upgrade").output
    assert "ledger intact" in cli("ledger", "verify").output


@pytest.fixture
def fresh_postgres_with_password(postgres_url: str) -> Iterator[str]:
    """An empty PostgreSQL database; its URL carries a password (trust auth ignores it).

    ``postgres_url`` only makes the test skip (or fail on CI) where no server answers.
    """
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"crowdset_fresh_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name, password="s3cret-pw")
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_on_postgresql_the_message_and_init_hide_the_password(
    fresh_postgres_with_password: str,
) -> None:
    cli = Cli(fresh_postgres_with_password)
    refused = cli("ledger", "verify", code=RULE_VIOLATION)
    assert "has no crowdset tables yet: run `crowdset init`" in refused.output
    ready = cli("init").output
    assert "database ready (postgresql)" in ready
    for output in (refused.output, ready):
        assert "s3cret-pw" not in output
        assert "***" in output
    assert "ledger intact: 0 transactions" in cli("ledger", "verify").output
