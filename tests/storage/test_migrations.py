"""One linear Alembic history that runs on both databases and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from crowdset.services.context import Context
from crowdset.storage import migrate
from crowdset.storage.models import NAMING_CONVENTION, Base


def test_history_is_linear_with_one_head() -> None:
    engine = create_engine("sqlite://")
    scripts = ScriptDirectory.from_config(migrate.alembic_config(engine))
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        assert not isinstance(revision.down_revision, tuple | list), "no merge revisions"


def test_database_is_at_head_and_matches_the_models(ctx: Context) -> None:
    """Runs on SQLite and PostgreSQL: the fixtures migrated them with `upgrade`."""
    engine = ctx.db.engine
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = compare_metadata(context, Base.metadata)
    assert drift == []


def test_upgrade_twice_is_harmless(ctx: Context) -> None:
    migrate.upgrade(ctx.db.engine)
    assert migrate.current_revision(ctx.db.engine) == migrate.head_revision()


def test_constraints_follow_the_naming_convention() -> None:
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"{table.name} has an unnamed constraint"
    assert set(NAMING_CONVENTION) == {"ix", "uq", "ck", "fk", "pk"}
