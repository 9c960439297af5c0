"""The ``crowdset`` command: a thin shell over the services. Domain errors are mapped once, in
``CrowdsetGroup.invoke``, to a red message on stderr and the error's exit code."""

from __future__ import annotations

import importlib
import os
import sys
from functools import cache
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from crowdset.cli.common import err_console
from crowdset.errors import DomainError

# Command name → the module under crowdset.cli whose ``register(app)`` adds it, in the order
# of ``crowdset --help``. A module is imported only when one of its commands runs: the
# campaign and server commands pull in pandas, SciPy and FastAPI, over a second of start-up
# that ``corpus filter`` or ``ledger verify`` should not wait for.
#
# To add a command: one line here, and its one-line summary in COMMAND_SUMMARIES below (the
# first paragraph of its help). tests/cli/test_main.py fails, printing the line to add, when
# a module registers a command missing here or a summary differs from the command's own help.
COMMAND_MODULES = {
    "init": "server",
    "serve": "server",
    "db": "db",
    "user": "users",
    "token": "users",
    "ledger": "ledger",
    "campaign": "campaign",
    "quality": "quality",
    "sanctions": "quality",
    "sim": "sim",
    "aggregate": "aggregate",
    "agreement": "agreement",
    "bias": "bias",
    "corpus": "corpus",
}

# What ``crowdset --help`` lists beside each command, so that listing them imports none of
# their modules (2.4 CPU-s and 225 MiB when it imported them all, the web app included).
# A command without a summary here still works; only ``crowdset --help`` loads its module.
COMMAND_SUMMARIES = {
    "init": "Create the database (SQLite file by default), migrate it, optionally add demo data.",
    "serve": "Serve the web app and the REST API (/api/v1, docs at /docs).",
    "db": "Database schema.",
    "user": "Accounts.",
    "token": "API tokens.",
    "ledger": "The token ledger.",
    "campaign": "Campaigns: create from a spec, launch, watch, close; export a generation "
    "campaign's dataset, a labeling campaign's report and results.",
    "quality": "A worker's quality estimates (SPEC §6).",
    "sanctions": "Revocations with fines, their evidence, appeals and decisions (SPEC §6).",
    "sim": "Simulated crowds: honest, careless and spamming agents on the real code path "
    "(sim work: generation campaigns; sim label: classify and rate campaigns; sim review: "
    "review campaigns).",
    "aggregate": "Infer one label per task from crowd answers (truth inference).",
    "agreement": "Inter-annotator agreement of an answer file: Krippendorff's alpha, Fleiss' "
    "and Cohen's kappa.",
    "bias": "Bias report of an answer file: do groups of workers (a worker attribute such as "
    "gender or age) answer differently on the same items?",
    "corpus": "Parallel corpora: machine filtering and review estimates (SPEC §4).",
}

_LISTING = "crowdset.listing_commands"  # ctx.meta key: only summaries are needed


@cache
def _commands_of(module: str) -> TyperGroup:
    """The click commands that ``crowdset.cli.<module>`` registers, imported on first use."""
    holder = typer.Typer()
    importlib.import_module(f"crowdset.cli.{module}").register(holder)
    return typer.main.get_group(holder)


class CrowdsetGroup(TyperGroup):
    """The root group: commands load lazily, domain errors become a message and exit code.

    While it formats its own help, a command with a summary in ``COMMAND_SUMMARIES`` is a
    stand-in carrying that summary; everything else (running, a command's own ``--help``,
    ``docs/cli.md``) gets the real command from its module.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *COMMAND_MODULES]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:  # typer's click types are private
        module = COMMAND_MODULES.get(cmd_name)
        if module is None:
            return super().get_command(ctx, cmd_name)
        summary = COMMAND_SUMMARIES.get(cmd_name)
        if summary is not None and ctx is not None and ctx.meta.get(_LISTING):
            return TyperCommand(cmd_name, help=summary)
        return _commands_of(module).get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            del ctx.meta[_LISTING]

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


def run() -> None:
    """The ``crowdset`` executable: run the command, then end the process at once.

    Python's own teardown frees every object one by one, 0.05–0.1 s after a large corpus filter
    that the user would wait for with nothing left to do: commands close their outputs
    themselves, so only the standard streams and logging are flushed before ``os._exit``.
    """
    try:
        app()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if isinstance(code, str):  # sys.exit("message"), as Python itself would show it
        print(code, file=sys.stderr)
    if (logging := sys.modules.get("logging")) is not None:  # not imported just to shut down
        logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
