"""What every command shares: settings from the global options, the context, the console."""

from __future__ import annotations

import typer
from rich.console import Console

from crowdset.core.money import format_amount, parse_amount
from crowdset.services.context import Context, open_context
from crowdset.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)


def settings_from(typer_ctx: typer.Context) -> Settings:
    obj = typer_ctx.find_root().obj or {}
    overrides = {k: v for k, v in obj.items() if v is not None}
    return load_settings(**overrides)


def context_from(typer_ctx: typer.Context) -> Context:
    """The use-case context for one command; its connections close when the command ends."""
    ctx = open_context(settings_from(typer_ctx))
    typer_ctx.call_on_close(ctx.db.dispose)
    return ctx


def money(ctx: Context, minor: int) -> str:
    return format_amount(minor, ctx.settings.currency_decimals, ctx.settings.currency_name)


def parse_money(ctx: Context, text: str) -> int:
    return parse_amount(text, ctx.settings.currency_decimals)
