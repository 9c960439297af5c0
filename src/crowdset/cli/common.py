"""What every command shares: settings from the global options, the context, the console."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from crowdset.core.money import format_amount, parse_amount
from crowdset.core.permissions import Role
from crowdset.errors import InvalidInput, RuleViolation

if TYPE_CHECKING:
    from crowdset.services.accounts import Principal
    from crowdset.services.context import Context
    from crowdset.settings import Settings

# The services are imported by the helpers that use them, when a command calls them: they
# pull in SQLAlchemy, pandas and SciPy, which commands without a database (corpus filter,
# aggregate) should not wait for. Settings too: pydantic-settings alone takes 70 ms to import.

console = Console()
err_console = Console(stderr=True)


def settings_from(typer_ctx: typer.Context) -> Settings:
    from crowdset.settings import load_settings

    obj = typer_ctx.find_root().obj or {}
    overrides = {k: v for k, v in obj.items() if v is not None}
    return load_settings(**overrides)


def context_from(typer_ctx: typer.Context, *, schema_required: bool = True) -> Context:
    """The use-case context for one command; its connections close when the command ends.

    Unless ``schema_required`` is False (the commands that create or migrate the schema), the
    database must be at this crowdset's newest schema: a user who skipped `crowdset init`, or
    upgraded crowdset without `crowdset db upgrade`, is told so instead of getting SQL errors.
    """
    from crowdset.services.context import open_context

    ctx = open_context(settings_from(typer_ctx))
    typer_ctx.call_on_close(ctx.db.dispose)
    if schema_required:
        require_current_schema(ctx)
    return ctx


def require_current_schema(ctx: Context) -> None:
    from crowdset.storage import migrate

    engine = ctx.db.engine
    have, head = migrate.current_revision(engine), migrate.head_revision()
    if have == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if have is None:
        raise RuleViolation(
            f"the database {where} has no crowdset tables yet: run `crowdset init` "
            "(`crowdset init --demo` adds demo data) or `crowdset db upgrade`",
            database=where,
        )
    raise RuleViolation(
        f"the database {where} is at schema revision {have}, this crowdset expects {head}: "
        "run `crowdset db upgrade` (or, if the database was migrated by a newer crowdset, "
        "upgrade crowdset)",
        database=where,
        revision=have,
        expected=head,
    )


def money(ctx: Context, minor: int) -> str:
    return format_amount(minor, ctx.settings.currency_decimals, ctx.settings.currency_name)


def parse_money(ctx: Context, text: str) -> int:
    return parse_amount(text, ctx.settings.currency_decimals)


AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="CROWDSET_USER",
        help="Act as this requester (email). Defaults to the campaign's owner.",
    ),
]
CampaignId = Annotated[
    int, typer.Argument(help="The campaign's id (see `crowdset campaign list`).")
]


def principal_for(ctx: Context, email: str | None, campaign_id: int | None = None) -> Principal:
    """Who a campaign command acts as: ``--as EMAIL``, else the campaign's owner."""
    from crowdset.services import accounts, campaigns
    from crowdset.services.accounts import Principal

    if email is not None:
        user = accounts.find_user(ctx, email)
        return Principal(user_id=user.id, role=Role(user.role), email=user.email)
    if campaign_id is not None:
        return campaigns.owner_of(ctx, campaign_id)
    raise InvalidInput("say whose campaign this is: pass --as EMAIL", field="--as")


def read_text(path: Path, argument: str) -> str:
    """A UTF-8 text file named on the command line, or ``InvalidInput`` naming ``argument``."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file", field=argument) from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text", field=argument) from None
