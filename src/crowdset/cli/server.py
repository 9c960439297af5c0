from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from rich.table import Table

from crowdset.api.app import create_app
from crowdset.cli.common import console, context_from
from crowdset.services.demo import seed_demo
from crowdset.storage import migrate


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


def serve(
    typer_ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (setting: host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (setting: port).")] = None,
) -> None:
    """Serve the web app and the REST API (/api/v1, docs at /docs).

    Example: crowdset serve --port 8080
    """
    ctx = context_from(typer_ctx)  # refuses a database without this crowdset's schema
    bind_host, bind_port = host or ctx.settings.host, port or ctx.settings.port
    console.print(f"crowdset on [bold]http://{bind_host}:{bind_port}[/] (API docs: /docs)")
    uvicorn.run(create_app(ctx.settings, ctx), host=bind_host, port=bind_port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
