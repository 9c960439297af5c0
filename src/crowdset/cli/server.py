from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn
from pydantic import SecretStr
from rich.table import Table

from crowdset.api.app import create_app
from crowdset.cli.common import console, context_from
from crowdset.errors import RuleViolation
from crowdset.services.demo import seed_demo
from crowdset.settings import Settings
from crowdset.storage import migrate

MAX_WORKERS = 64


def init(
    typer_ctx: typer.Context,
    demo: Annotated[bool, typer.Option(help="Also create demo accounts and print tokens.")] = False,
) -> None:
    """Create the database (SQLite file by default), migrate it, optionally add demo data.

    Example: crowdset init --demo
    """
    ctx = context_from(typer_ctx, schema_required=False)
    migrate.upgrade(ctx.db.engine)
    where = ctx.db.engine.url.render_as_string(hide_password=True)
    console.print(f"[green]✓[/] database ready ({ctx.db.kind}): {where}")
    if not demo:
        return
    table = Table(title="Demo logins (demo instance only)")
    for column in ("role", "email", "password"):
        table.add_column(column)
    logins = seed_demo(ctx)
    for login in logins:
        table.add_row(login.user.role.value, login.user.email, login.password)
    console.print(table)
    console.print("API tokens (shown once; send as `Authorization: Bearer <token>`):")
    for login in logins:
        console.print(f"  {login.user.email:<26} {login.token}", markup=False, highlight=False)
    console.print(
        "A demo campaign “Smart lights (demo)” is running: log in as a worker on the web app "
        "(`crowdset serve`, then http://127.0.0.1:8000) and choose “Get work”, or try "
        "`crowdset sim work 1` for a simulated crowd."
    )


def settings_environment(settings: Settings) -> dict[str, str]:
    """Every setting as the ``CROWDSET_*`` variable that gives it, secrets included: how the
    processes of ``serve --workers`` get exactly the settings of the command that started
    them (options, config file and environment alike)."""
    found: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        text = str(value).lower() if isinstance(value, bool) else str(value)
        found[f"CROWDSET_{name.upper()}"] = text
    return found


def require_shared_secret(settings: Settings, workers: int) -> None:
    """Several processes must sign web logins with one key: each would otherwise make up its
    own, and a login made on one process would be refused by the others."""
    if workers > 1 and settings.session_secret is None:
        raise RuleViolation(
            f"--workers {workers} needs one session secret shared by every process: set "
            "CROWDSET_SESSION_SECRET (or session_secret in crowdset.toml) to a random key of "
            "32 characters or more, e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`, or serve with --workers 1",
            field="session_secret",
        )


def serve(
    typer_ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (setting: host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (setting: port).")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_WORKERS,
            help="Processes serving requests. More than 1 needs the session_secret setting, "
            "shared by all; see docs/settings.md for the connections each process opens.",
        ),
    ] = 1,
) -> None:
    """Serve the web app and the REST API (/api/v1, docs at /docs).

    Production: PostgreSQL, several processes (--workers, one session_secret), behind a
    reverse proxy that terminates HTTPS.

    Example: crowdset serve --port 8080 --workers 4
    """
    ctx = context_from(typer_ctx)  # refuses a database without this crowdset's schema
    require_shared_secret(ctx.settings, workers)
    bind_host, bind_port = host or ctx.settings.host, port or ctx.settings.port
    console.print(
        f"crowdset on [bold]http://{bind_host}:{bind_port}[/] (API docs: /docs)"
        + (f", {workers} processes" if workers > 1 else "")
    )
    if workers == 1:
        app = create_app(ctx.settings, ctx)
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="info")
        return
    ctx.db.dispose()  # each process opens its own connections
    os.environ.update(settings_environment(ctx.settings))
    uvicorn.run(
        "crowdset.api.app:app_from_environment",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
