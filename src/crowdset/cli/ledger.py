from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crowdset.cli.common import console, context_from, err_console, money, parse_money
from crowdset.services import accounts, campaign_stats, ledger, ledger_anchors

app = typer.Typer(no_args_is_help=True, help="The token ledger.\n\nExample: crowdset ledger verify")


@app.command("balance")
def balance(
    typer_ctx: typer.Context,
    email: Annotated[str | None, typer.Argument(help="A user; omit for platform accounts.")] = None,
) -> None:
    """Show a user's balances, or the platform accounts.

    Example: crowdset ledger balance worker@demo.crowdset
    """
    ctx = context_from(typer_ctx)
    table = Table("account", "balance")
    if email is None:
        for kind, amount in sorted(ledger.platform_balances(ctx).items()):
            table.add_row(f"platform:{kind}", money(ctx, amount))
    else:
        user = accounts.find_user(ctx, email)
        found = ledger.balances(ctx, user.id)
        for kind in ("available", "staked", "locked", "deposit", "pending"):
            table.add_row(kind, money(ctx, getattr(found, kind)))
        table.add_row("[bold]total[/] (without pending)", money(ctx, found.total))
    console.print(table)


@app.command("earnings")
def earnings(
    typer_ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="A worker.")],
) -> None:
    """Show what a worker earned and the hourly rate it makes over their task time and their
    onboarding time (tutorials and qualifiers, paid or not).

    Example: crowdset ledger earnings worker@demo.crowdset
    """
    ctx = context_from(typer_ctx)
    user = accounts.find_user(ctx, email)
    found = campaign_stats.worker_earnings(ctx, user.id)

    def rate(value: int | None) -> str:
        return "–" if value is None else f"{money(ctx, value)}/hour"

    table = Table("", "")
    table.add_row("earned, settled", money(ctx, found.earned))
    table.add_row("earned, pending", money(ctx, found.pending))
    table.add_row("time on tasks", f"{found.seconds_worked / 60:,.1f} minutes")
    table.add_row("onboarding time", f"{found.onboarding_seconds / 60:,.1f} minutes")
    table.add_row("onboarding paid", money(ctx, found.onboarding_paid))
    table.add_row("effective hourly rate", rate(found.hourly_rate))
    table.add_row("with pending pay", rate(found.hourly_rate_with_pending))
    table.add_row("fair-wage floor", f"{money(ctx, found.fair_hourly_wage)}/hour")
    console.print(table)


@app.command("verify")
def verify(
    typer_ctx: typer.Context,
    anchors: Annotated[
        bool,
        typer.Option(
            "--anchors",
            help="Also check that the chain still holds every head in the anchor file "
            "(a rewind fails here).",
        ),
    ] = False,
    anchor_path: Annotated[
        Path | None,
        typer.Option("--file", help="The anchor file; default: the ledger_anchor_file setting."),
    ] = None,
) -> None:
    """Recompute the hash chain and every balance; exit 7 naming the first bad transaction.

    Example: crowdset ledger verify --anchors
    """
    ctx = context_from(typer_ctx)
    report = ledger.verify(ctx)
    problems = list(report.problems)
    checked = ""
    if anchors:
        found = ledger_anchors.read_anchors(ledger_anchors.anchor_file(ctx, anchor_path))
        problems += ledger_anchors.verify_anchors(ctx, found)
        checked = f"; {len(found)} anchored heads held"
    if not problems:
        console.print(
            f"[green]✓ ledger intact[/]: {report.transactions} transactions, "
            f"{report.postings} postings, {report.accounts} accounts; head {report.head_hash}"
            f"{checked}"
        )
        return
    where = f" first bad transaction: {report.first_bad_seq}" if report.first_bad_seq else ""
    err_console.print(f"[bold red]✗ ledger verification failed[/]{where}")
    for problem in problems[:50]:
        err_console.print(f"  - {problem}")
    raise typer.Exit(7)


@app.command("anchor")
def anchor(
    typer_ctx: typer.Context,
    anchor_path: Annotated[
        Path | None,
        typer.Option("--file", help="The anchor file; default: the ledger_anchor_file setting."),
    ] = None,
) -> None:
    """Append the ledger's head (position, hash, time) to an append-only anchor file kept
    off the database host; `ledger verify --anchors` then catches a rewind.

    Example: crowdset ledger anchor --file /mnt/audit/crowdset-anchors.jsonl
    """
    ctx = context_from(typer_ctx)
    made = ledger_anchors.anchor(ctx, anchor_path)
    target = ledger_anchors.anchor_file(ctx, anchor_path)
    console.print(f"anchored head {made.seq} {made.hash} at {made.at} in {target}")


@app.command("issue")
def issue(
    typer_ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Who receives the credits.")],
    amount: Annotated[str, typer.Argument(help="In credits, e.g. 100 or 12.50.")],
    memo: Annotated[str, typer.Option(help="Why (kept in the ledger).")] = "",
) -> None:
    """Issue credits to a user (operator).

    Example: crowdset ledger issue ann@example.org 500 --memo "pilot budget"
    """
    ctx = context_from(typer_ctx)
    user = accounts.find_user(ctx, email)
    tx = ledger.issue_credits(ctx, None, user.id, parse_money(ctx, amount), memo=memo)
    console.print(
        f"[green]✓[/] transaction {tx.seq}: {money(ctx, parse_money(ctx, amount))} to {user.email}"
    )


@app.command("history")
def history(
    typer_ctx: typer.Context,
    email: str,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """A user's latest transactions.

    Example: crowdset ledger history worker@demo.crowdset --limit 5
    """
    ctx = context_from(typer_ctx)
    user = accounts.find_user(ctx, email)
    table = Table("seq", "when", "kind", "postings", "memo")
    for tx in ledger.history(ctx, user.id, limit=limit):
        lines = "\n".join(f"{key} {amount:+}" for key, amount in tx.postings)
        table.add_row(str(tx.seq), f"{tx.created_at:%Y-%m-%d %H:%M}", tx.kind, lines, tx.memo)
    console.print(table)


def register(root: typer.Typer) -> None:
    """Add these commands to the main application."""
    root.add_typer(app, name="ledger")
