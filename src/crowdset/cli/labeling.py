"""``crowdset campaign report | results | audit | accept-pilot``: labeling campaigns (SPEC §3),
and what ``campaign create | estimate | status`` show for them."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crowdset.cli.common import AsOption, CampaignId, console, context_from, money, principal_for
from crowdset.core.labeling.items import ItemRow, with_challenges
from crowdset.core.labeling.judging import LabelingEstimate
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.errors import InvalidInput
from crowdset.formats.items import read_items, write_results
from crowdset.formats.review import read_review_items
from crowdset.services import campaigns, labeling_reports
from crowdset.services.campaign_bias import BiasAttribute
from crowdset.services.context import Context
from crowdset.services.labeling_reports import LabelingReport


class BiasFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


ItemsOption = Annotated[
    Path | None,
    typer.Option(
        "--items",
        help="A labeling campaign's items: CSV, TSV, JSONL or Parquet with id, text or image, "
        "and gold. A review's: the same with source and target, or a parallel corpus file "
        "(TSV without header, JSONL with src and tgt, TMX).",
    ),
]
ChallengesOption = Annotated[
    Path | None,
    typer.Option(
        "--challenges",
        help="A review's challenge pairs, added to its --items or --corpus: a table (CSV, TSV, "
        "JSONL, Parquet) with id, source, target and gold (the known stars).",
    ),
]


def challenges_for(spec: LabelingSpec, path: Path | None) -> list[ItemRow]:
    """A review's challenge pairs file, read and checked row by row (none without a path)."""
    if path is None:
        return []
    if spec.type != "review":
        raise InvalidInput(
            f"--challenges is for review campaigns (type: review); a {spec.type} campaign's "
            "gold items are rows of its --items with a gold answer",
            field="--challenges",
        )
    return read_review_items(path, spec, complete=False)


def items_for(
    spec: LabelingSpec, path: Path | None, challenges: Path | None = None
) -> list[ItemRow]:
    """The items file of a labeling spec, read and validated (errors name row and column); a
    review's may be a parallel corpus file, with its challenge pairs in another."""
    if path is None:
        if spec.type == "review":
            raise InvalidInput(
                "a review campaign needs its sentence pairs: pass --corpus ID (an imported "
                "corpus) or --items FILE (a parallel corpus file, or a table with source and "
                "target)",
                field="--items",
            )
        raise InvalidInput(
            f"a {spec.type} campaign needs its items: pass --items FILE (CSV, TSV, JSONL or "
            "Parquet)",
            field="--items",
        )
    extra = challenges_for(spec, challenges)
    if spec.type != "review":
        return read_items(path, spec)
    if challenges is None:
        return read_review_items(path, spec)
    pairs = read_review_items(path, spec, complete=False)
    return with_challenges(pairs, extra, spec, source=str(path))


def print_estimate(ctx: Context, spec: LabelingSpec, cost: LabelingEstimate) -> None:
    table = Table("item", "amount", title=f"Estimate for “{spec.name}”")
    table.add_row("pairs to review" if spec.review else "items to label", f"{cost.items:,}")
    table.add_row("judgments (at the maximum overlap)", f"{cost.judgments:,}")
    table.add_row("gold judgments", f"{cost.gold_judgments:,}")
    table.add_row("work", money(ctx, cost.work))
    if cost.onboarding:
        table.add_row(
            f"  of which onboarding time ({spec.onboarding.workers} workers at most)",
            money(ctx, cost.onboarding),
        )
    table.add_row("platform fee", money(ctx, cost.fee))
    table.add_row("[bold]escrow at launch[/]", money(ctx, cost.total))
    table.add_row("worker time", f"{cost.worker_minutes:,.0f} minutes")
    console.print(table)


def print_report(ctx: Context, report: LabelingReport) -> None:
    """The workers' live quality as a table, then the campaign's figures."""
    table = Table(
        "worker",
        "answers",
        "gold right",
        "accuracy",
        "95 % interval",
        "gate",
        "revoked",
        title=f"Campaign {report.campaign_id} ({report.kind}): {report.status}",
    )
    for row in report.workers:
        table.add_row(
            row.worker,
            str(row.answers),
            f"{row.gold_correct}/{row.gold_answers}",
            f"{row.accuracy_mean:.2f}",
            f"{row.accuracy_low:.2f}–{row.accuracy_high:.2f}",
            row.gate,
            "[red]revoked[/]" if row.revoked else "–",
        )
    console.print(table)
    console.print(
        f"items settled {report.settled}/{report.items} (plus {report.gold_items} gold); "
        f"judgments {report.judgments} ({report.gold_judgments} gold, {report.kept_judgments} "
        "kept)"
    )
    fixed = report.fixed_overlap_judgments
    console.print(
        f"dynamic overlap: settled items took {fixed - report.judgments_saved} judgments where "
        f"a fixed overlap takes {fixed}: {report.judgments_saved} saved"
    )
    if report.pilot_units is not None:
        line = f"pilot: {report.pilot_done}/{report.pilot_units} judgments"
        if report.status == "pilot":
            line += f"; scale up with `crowdset campaign accept-pilot {report.campaign_id}`"
        console.print(line)
    agreement = report.agreement
    if agreement is None:
        console.print("agreement: not yet (two items need two answers each)")
    else:
        console.print(
            f"agreement: Krippendorff's α {agreement.alpha:.3f} ({agreement.level}), 95 % "
            f"interval {agreement.low:.3f}–{agreement.high:.3f}, over {agreement.items} items "
            f"and {agreement.workers} workers"
        )
    check = report.guarantee
    if check is None:
        console.print("guarantee: none set (add `guarantee: {target: 0.95}` to the spec)")
    else:
        colour = {"met": "green", "at_risk": "red"}.get(check.status.value, "yellow")
        console.print(
            f"guarantee: {check.target:.0%} correct — [{colour}]{check.status.value}[/]: "
            f"{check.correct}/{check.checked} checked labels correct, Wilson "
            f"{check.confidence:.0%} interval {check.low:.3f}–{check.high:.3f} "
            f"({report.audits} audits)"
        )


def report(typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None) -> None:
    """A labeling campaign's workers (answers, gold right/total, accuracy with its 95 % interval,
    revoked), items settled, judgments saved by dynamic overlap, the pilot, the workers'
    agreement (Krippendorff's α) and the guarantee.

    Example: crowdset campaign report 2
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    print_report(ctx, labeling_reports.report(ctx, viewer, campaign_id))


def results(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="File to write: .csv, .tsv, .jsonl, .parquet.")
    ],
    as_user: AsOption = None,
) -> None:
    """Write the delivered labels, one row per item: answer, confidence, judgments and, for
    ratings, the weighted score and the plain mean. Multi-label answers are joined by `|` in
    CSV and TSV.

    Example: crowdset campaign results 2 -o labels.csv
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    found = labeling_reports.results(ctx, viewer, campaign_id)
    count = write_results([asdict(row) for row in found], output)
    settled = sum(row.status == "settled" for row in found)
    console.print(f"[green]✓[/] {count} items written to {output} ({settled} settled)")


def audit(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    item: Annotated[str, typer.Argument(help="Your id of a settled item.")],
    correct: Annotated[
        bool, typer.Option("--correct/--wrong", help="Whether its delivered label is right.")
    ],
    as_user: AsOption = None,
) -> None:
    """Record that you checked one delivered label by hand; it counts toward the guarantee.

    Example: crowdset campaign audit 2 review-17 --wrong
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    labeling_reports.audit(ctx, viewer, campaign_id, item, correct)
    verdict = "correct" if correct else "wrong"
    console.print(f"[green]✓[/] item {item} audited: {verdict}")
    check = labeling_reports.report(ctx, viewer, campaign_id).guarantee
    if check is not None:
        console.print(
            f"guarantee: {check.status.value}, {check.correct}/{check.checked} correct "
            f"(interval {check.low:.3f}–{check.high:.3f}, target {check.target:.0%})"
        )


def accept_pilot(
    typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None
) -> None:
    """You have looked at the pilot's results: let the campaign scale up.

    Example: crowdset campaign accept-pilot 2
    """
    ctx = context_from(typer_ctx)
    view = campaigns.accept_pilot(ctx, principal_for(ctx, as_user, campaign_id), campaign_id)
    console.print(f"[green]✓[/] campaign {campaign_id} is {view.status}")


def bias(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    by: Annotated[
        BiasAttribute, typer.Option(help="The demographic the workers chose to share.")
    ] = BiasAttribute.GENDER,
    output: Annotated[
        BiasFormat, typer.Option("--format", help="Tables, or JSON (as the API answers).")
    ] = BiasFormat.TABLE,
    plot: Annotated[
        Path | None, typer.Option(help="Write a plot of the groups here (.svg).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the permutations and resamples.")] = 0,
    as_user: AsOption = None,
) -> None:
    """Bias report of a labeling campaign: do groups of its workers, by a demographic they
    chose to share, answer the same items differently? Groups smaller than the
    bias_min_group_size setting are suppressed; see `crowdset bias` for the statistics.

    Example: crowdset campaign bias 2 --by age_band --plot bias.svg
    """
    from crowdset.cli.bias import check_plot_path, print_bias_tables, write_bias_svg
    from crowdset.services.campaign_bias import campaign_bias

    if plot is not None:
        check_plot_path(plot)
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    result = campaign_bias(ctx, viewer, campaign_id, by, seed=seed)
    if plot is not None:
        write_bias_svg(plot, result, f"campaign {campaign_id}")
    if output is BiasFormat.JSON:
        import json

        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    print_bias_tables(result, f"crowdset campaign bias {campaign_id}", plot)


def register(app: typer.Typer) -> None:
    """Add the labeling commands to ``crowdset campaign``."""
    app.command("report")(report)
    app.command("results")(results)
    app.command("audit")(audit)
    app.command("bias")(bias)
    app.command("accept-pilot")(accept_pilot)
