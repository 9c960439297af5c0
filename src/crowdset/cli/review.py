"""``crowdset campaign packages | pairs | revise``: a review campaign's packages with their
deposits, its kept and removed pairs, and revision of the pairs near the cut (SPEC §4)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crowdset.cli.common import AsOption, CampaignId, console, context_from, money, principal_for
from crowdset.cli.corpus import output_format, output_paths
from crowdset.core.money import format_amount
from crowdset.formats.parallel import ParallelFormat
from crowdset.formats.parallel_run import atomic_outputs
from crowdset.formats.parallel_writers import OutputFormat
from crowdset.formats.review import write_reviewed, write_reviewed_jsonl
from crowdset.services import review_reports

STATUS_COLOURS = {"passed": "green", "forfeited": "red", "open": "yellow"}


def packages(typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None) -> None:
    """A review's packages: reviewer, status (open, submitted, passed, forfeited), pairs rated
    of the size, nominal reward, deposit held, error against the references and when due.

    Example: crowdset campaign packages 3
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    rows = review_reports.packages(ctx, viewer, campaign_id)
    settings = ctx.settings

    def amount(minor: int) -> str:
        return format_amount(minor, settings.currency_decimals)

    table = Table(
        title=f"Campaign {campaign_id}: {len(rows)} packages",
        caption=f"reward and deposit in {settings.currency_name}; due in UTC",
    )
    columns = ("id", "reviewer", "status", "rated", "reward", "deposit", "error", "refs", "due")
    for column in columns:
        right = column not in ("reviewer", "status", "due")
        table.add_column(column, justify="right" if right else "left", no_wrap=True)
    for row in rows:
        colour = STATUS_COLOURS.get(row.status)
        table.add_row(
            str(row.id),
            row.worker,
            f"[{colour}]{row.status}[/]" if colour else row.status,
            f"{row.rated}/{row.size}",
            amount(row.reward),
            amount(row.deposit),
            "–" if row.error is None else f"{row.error:.2f}",
            "–" if row.references is None else str(row.references),
            f"{row.due_at:%m-%d %H:%M}",
        )
    console.print(table)
    counts = {s: sum(r.status == s for r in rows) for s in ("open", "submitted", "passed")}
    forfeited = [r for r in rows if r.status == "forfeited"]
    console.print(
        f"{counts['passed']} passed, {len(forfeited)} forfeited, {counts['submitted']} "
        f"waiting for references, {counts['open']} open; deposits forfeited "
        f"{money(ctx, sum(r.deposit for r in forfeited))}"
    )


def pairs(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="Kept pairs: .tsv, .jsonl (with score, mean, rank, ratings) or .tmx; with "
            "--to moses, the prefix of OUTPUT.SRC_LANG and OUTPUT.TGT_LANG.",
        ),
    ],
    removed: Annotated[
        Path | None,
        typer.Option(help="Also write the removed pairs, each with its reason (JSONL)."),
    ] = None,
    to: Annotated[
        OutputFormat | None, typer.Option(help="Format of -o; guessed from its suffix, else TSV.")
    ] = None,
    src_lang: Annotated[str, typer.Option(help="Moses and TMX: the source language.")] = "src",
    tgt_lang: Annotated[str, typer.Option(help="Moses and TMX: the target language.")] = "tgt",
    as_user: AsOption = None,
) -> None:
    """Write a review's kept pairs, the top k·P by weighted score, and with --removed the
    others, each with its reason ("rank 31 of 35, score 2.33 below the cut score 4.05 (keep
    top 14)" or "not rated"). Written whole or not at all.

    Example: crowdset campaign pairs 3 -o kept.jsonl --removed removed.jsonl
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    found = review_reports.reviewed_pairs(ctx, viewer, campaign_id)
    fmt = output_format(output, to, ParallelFormat.TSV)
    paths = output_paths(output, fmt, src_lang, tgt_lang)
    kept_paths = len(paths)
    if removed is not None:
        paths.append(removed)
    with atomic_outputs(paths) as handles:
        kept = [asdict(p) for p in found.kept]
        write_reviewed(kept, fmt, handles[:kept_paths], src_lang=src_lang, tgt_lang=tgt_lang)
        if removed is not None:
            write_reviewed_jsonl([asdict(p) for p in found.removed], handles[-1])
    cut = found.cut
    score = "none" if cut.score is None else f"{cut.score:.2f}"
    where = " and ".join(str(p) for p in paths[:kept_paths])
    console.print(
        f"[green]✓[/] {len(kept)} kept pairs written to {where} (top {cut.keep} of "
        f"{len(found.pairs)}, {cut.ranked} rated; cut score {score})"
    )
    if removed is not None:
        console.print(
            f"[green]✓[/] {len(found.removed)} removed pairs with their reasons written to "
            f"{removed}"
        )


def revise(typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None) -> None:
    """Send the rated pairs within review.revision_band stars of the cut score to revision: a
    worker edits each translation (paid from the reserve), then it is rated again in new
    packages. Each pair goes once.

    Example: crowdset campaign revise 3
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    sent = review_reports.send_to_revision(ctx, viewer, campaign_id)
    console.print(
        f"[green]✓[/] {sent} pair(s) of campaign {campaign_id} sent to revision"
        + ("" if sent else " (none near the cut, or all revised once already)")
    )


def register(app: typer.Typer) -> None:
    """Add the review commands to ``crowdset campaign``."""
    app.command("packages")(packages)
    app.command("pairs")(pairs)
    app.command("revise")(revise)
