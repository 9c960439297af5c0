"""Due process on the command line (SPEC §6, issue #14): a worker's quality per campaign track,
sanctions with their evidence, appeals and decisions. Commands act for the person named with
``--as``; without it, ``appeal`` acts for the sanctioned worker and ``decide`` for the
campaign's requester (the instance's operator runs these tools)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from crowdset.cli.common import console, context_from, money
from crowdset.core.mechanism.appeals import AppealStatus
from crowdset.core.permissions import Role

if TYPE_CHECKING:
    from crowdset.services.accounts import Principal
    from crowdset.services.context import Context
    from crowdset.services.due_process import SanctionView

quality_app = typer.Typer(
    no_args_is_help=True,
    help="A worker's quality estimates (SPEC §6).\n\n"
    "Example: crowdset quality show worker@demo.crowdset",
)
sanctions_app = typer.Typer(
    no_args_is_help=True,
    help="Revocations with fines, their evidence, appeals and decisions (SPEC §6).\n\n"
    "Example: crowdset sanctions list --status open",
)

As = Annotated[
    str | None,
    typer.Option("--as", envvar="CROWDSET_USER", help="Act as this user (email)."),
]
SanctionId = Annotated[
    int, typer.Argument(help="The sanction's id (see `crowdset sanctions list`).")
]


def _person(ctx: Context, email: str) -> Principal:
    from crowdset.services import accounts
    from crowdset.services.accounts import Principal

    user = accounts.find_user(ctx, email)
    return Principal(user_id=user.id, role=user.role, email=user.email)


def _instance() -> Principal:
    """The instance's operator at the console: reads every sanction, decides none."""
    from crowdset.services.accounts import Principal

    return Principal(user_id=0, role=Role.OPERATOR, email="")


@quality_app.command("show")
def show(
    typer_ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The worker.")],
) -> None:
    """A worker's quality on every campaign track: the posterior mean and bounds against the
    bar, the evidence, pending pay and when it settles.

    Example: crowdset quality show worker@demo.crowdset
    """
    from crowdset.services import due_process

    ctx = context_from(typer_ctx)
    table = Table(
        "campaign",
        "track",
        "status",
        "mean",
        "bounds",
        "bar",
        "checks",
        "decisions",
        "pending",
        "settles",
    )
    for t in due_process.my_quality(ctx, _person(ctx, email)):
        table.add_row(
            f"{t.campaign_id} {t.campaign_name}",
            t.track,
            t.status,
            f"{t.mean:.0%}",
            f"{t.lower:.0%}–{t.upper:.0%}",
            f"{t.bar:.0%}",
            f"{t.controls_passed}/{t.controls} passed",
            f"{t.decisions_agreed}/{t.decisions} agreed",
            money(ctx, t.pending),
            t.when_settles,
        )
    console.print(table)


def _print(ctx: Context, found: SanctionView) -> None:
    console.print(
        f"[bold]sanction {found.id}[/] campaign {found.campaign_id} ({found.campaign_name}), "
        f"{found.track} track, worker {found.worker}, {found.at:%Y-%m-%d %H:%M}"
    )
    console.print(found.reason)
    console.print(
        f"fine {money(ctx, found.fine)}, pending pay returned to escrow "
        f"{money(ctx, found.clawed_back)}; appeal: {found.appeal_status.value}"
    )
    for key, value in found.evidence.items():
        console.print(f"  {key}: {value}")
    for control in found.failed_controls:
        if control.retired:
            console.print(
                f"  failed {control.kind}: {control.content} — known answer "
                f"{control.known_answer}, yours {control.your_answer}"
            )
    if found.live_controls_hidden:
        console.print(
            f"  {found.live_controls_hidden} failed check(s) still in use: shown once retired"
        )
    if found.appeal_text:
        console.print(f"appeal: {found.appeal_text}")
    if found.decision_note:
        console.print(f"decision: {found.decision_note}")


@sanctions_app.command("list")
def list_sanctions(
    typer_ctx: typer.Context,
    as_email: As = None,
    campaign: Annotated[int | None, typer.Option(help="Only this campaign.")] = None,
    status: Annotated[
        AppealStatus | None, typer.Option(help="Only this appeal status (open: to decide).")
    ] = None,
) -> None:
    """List sanctions: a worker's own, a requester's campaigns', or (without --as) all.

    Example: crowdset sanctions list --status open
    """
    from crowdset.services import due_process

    ctx = context_from(typer_ctx)
    viewer = _person(ctx, as_email) if as_email else _instance()
    table = Table("id", "campaign", "track", "worker", "when", "fine", "clawed back", "appeal")
    for s in due_process.list_sanctions(ctx, viewer, campaign_id=campaign, appeal_status=status):
        table.add_row(
            str(s.id),
            str(s.campaign_id),
            s.track,
            s.worker,
            f"{s.at:%Y-%m-%d %H:%M}",
            money(ctx, s.fine),
            money(ctx, s.clawed_back),
            s.appeal_status.value,
        )
    console.print(table)


@sanctions_app.command("show")
def show_sanction(typer_ctx: typer.Context, sanction_id: SanctionId, as_email: As = None) -> None:
    """One sanction with its reason and evidence (a failed check's content once retired).

    Example: crowdset sanctions show 3 --as worker@demo.crowdset
    """
    from crowdset.services import due_process

    ctx = context_from(typer_ctx)
    viewer = _person(ctx, as_email) if as_email else _instance()
    _print(ctx, due_process.get_sanction(ctx, viewer, sanction_id))


@sanctions_app.command("appeal")
def appeal(
    typer_ctx: typer.Context,
    sanction_id: SanctionId,
    text: Annotated[str, typer.Option(help="Why the sanction is wrong (at most 2000 characters).")],
    as_email: As = None,
) -> None:
    """Appeal a sanction, once, for the sanctioned worker (or the worker named with --as).

    Example: crowdset sanctions appeal 3 --text "The check about kitchens was ambiguous"
    """
    from crowdset.services import accounts, due_process

    ctx = context_from(typer_ctx)
    if as_email:
        viewer = _person(ctx, as_email)
    else:
        worker = due_process.get_sanction(ctx, _instance(), sanction_id).worker_id
        viewer = _person(ctx, accounts.get_user(ctx, worker).email)
    found = due_process.appeal(ctx, viewer, sanction_id, text)
    console.print(f"[green]✓[/] sanction {found.id} appealed: the requester decides")


@sanctions_app.command("decide")
def decide(
    typer_ctx: typer.Context,
    sanction_id: SanctionId,
    uphold: Annotated[
        bool,
        typer.Option(
            "--uphold/--deny",
            help="Uphold: the fine and the clawed-back pay go back and the worker is "
            "reinstated. Deny: final.",
        ),
    ],
    note: Annotated[str, typer.Option(help="Why (shown to the worker).")],
    as_email: As = None,
) -> None:
    """Decide an open appeal as the campaign's requester (or the operator named with --as).

    Example: crowdset sanctions decide 3 --uphold --note "That check had a wrong answer"
    """
    from crowdset.services import campaigns, due_process

    ctx = context_from(typer_ctx)
    if as_email:
        viewer = _person(ctx, as_email)
    else:
        campaign_id = due_process.get_sanction(ctx, _instance(), sanction_id).campaign_id
        viewer = campaigns.owner_of(ctx, campaign_id)
    found = due_process.decide(ctx, viewer, sanction_id, uphold=uphold, note=note)
    moved = money(ctx, found.fine + found.clawed_back)
    outcome = f"upheld: {moved} back to the worker" if uphold else "denied (final)"
    console.print(f"[green]✓[/] appeal of sanction {found.id} {outcome}")


def register(root: typer.Typer) -> None:
    """Add these commands to the main application."""
    root.add_typer(quality_app, name="quality")
    root.add_typer(sanctions_app, name="sanctions")
