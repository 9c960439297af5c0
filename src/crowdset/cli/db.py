from __future__ import annotations

import typer

from crowdset.cli.common import console, context_from
from crowdset.storage import migrate

app = typer.Typer(no_args_is_help=True, help="Database schema.\n\nExample: crowdset db upgrade")


@app.command("upgrade")
def upgrade(typer_ctx: typer.Context) -> None:
    """Migrate the database to the newest schema (safe to run again).

    Example: CROWDSET_DATABASE_URL=postgresql+psycopg://crowd@db/crowd crowdset db upgrade
    """
    ctx = context_from(typer_ctx, schema_required=False)
    migrate.upgrade(ctx.db.engine)
    console.print(
        f"database ({ctx.db.kind}) at revision [bold]{migrate.current_revision(ctx.db.engine)}[/]"
    )


@app.command("current")
def current(typer_ctx: typer.Context) -> None:
    """Show the database's schema revision and the newest one.

    Example: crowdset db current
    """
    ctx = context_from(typer_ctx, schema_required=False)
    have, head = migrate.current_revision(ctx.db.engine), migrate.head_revision()
    state = "up to date" if have == head else "needs `crowdset db upgrade`"
    console.print(f"revision {have or 'none'} (newest {head}): {state}")


def register(root: typer.Typer) -> None:
    """Add these commands to the main application."""
    root.add_typer(app, name="db")
