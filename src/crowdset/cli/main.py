"""The ``crowdset`` command: a thin shell over the services. Domain errors are mapped once, in
``CrowdsetGroup.invoke``, to a red message on stderr and the error's exit code."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crowdset.cli import aggregate, campaign, corpus, db, ledger, server, sim, users
from crowdset.cli.common import err_console
from crowdset.errors import DomainError


class CrowdsetGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:  # Any: typer's click Context type is private
        try:
            return super().invoke(ctx)
        except DomainError as error:
            err_console.print(f"[bold red]error[/] [dim]({error.code})[/]: {error.message}")
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    name="crowdset",
    cls=CrowdsetGroup,
    no_args_is_help=True,
    add_completion=False,
    help="crowdset: crowd-made, validated, fairly paid training data.\n\n"
    "Example: crowdset init --demo && crowdset serve",
)


@app.callback()
def main(
    typer_ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", envvar="CROWDSET_DATABASE_URL", help="Overrides the setting."
        ),
    ] = None,
) -> None:
    """crowdset: crowd-made, validated, fairly paid training data.

    Example: crowdset init --demo && crowdset serve
    """
    typer_ctx.obj = {"database_url": database_url}


server.register(app)
app.add_typer(db.app, name="db")
app.add_typer(users.user_app, name="user")
app.add_typer(users.token_app, name="token")
app.add_typer(ledger.app, name="ledger")
campaign.register(app)
sim.register(app)
aggregate.register(app)
corpus.register(app)


def run() -> None:
    app()
