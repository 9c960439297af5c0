"""``crowdset campaign …``: campaigns from spec file to exported dataset. Generation campaigns
(SPEC §2) are here; labeling campaigns (SPEC §3) share create, estimate, launch, status and close,
and have their own commands in ``cli.labeling``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from crowdset.cli import labeling, review
from crowdset.cli.common import (
    AsOption,
    CampaignId,
    console,
    context_from,
    money,
    parse_money,
    principal_for,
    read_text,
)
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.specs import load_any_spec
from crowdset.errors import InvalidInput
from crowdset.formats.nlu import NluFormat, write_dataset
from crowdset.services import campaigns, corpora, labeling_reports

app = typer.Typer(
    no_args_is_help=True,
    help="Campaigns: create from a spec, launch, watch, close; export a generation campaign's "
    "dataset, a labeling campaign's report and results.\n\n"
    "Example: crowdset campaign create examples/smart-lights.yaml --as requester@demo.crowdset",
)


CorpusOption = Annotated[
    int | None,
    typer.Option(help="A review's pairs: an imported corpus (see `crowdset corpus list`)."),
]


def _one_source_of_pairs(items: Path | None, corpus: int | None) -> None:
    if corpus is not None and items is not None:
        raise InvalidInput(
            "give a review's pairs once: --corpus ID or --items FILE, not both", field="--corpus"
        )


def _no_labeling_options(**given: object) -> None:
    """Refuse the options of labeling campaigns on a generation spec, naming the first one."""
    for name, value in given.items():
        if value is not None:
            option = f"--{name}"
            raise InvalidInput(
                f"{option} is for labeling campaigns (type: classify, rate or review); a "
                "generation campaign takes none",
                field=option,
            )


@app.command("create")
def create(
    typer_ctx: typer.Context,
    spec_file: Annotated[Path, typer.Argument(metavar="SPEC", help="YAML or JSON spec.")],
    items: labeling.ItemsOption = None,
    corpus: CorpusOption = None,
    challenges: labeling.ChallengesOption = None,
    as_user: AsOption = None,
    launch: Annotated[bool, typer.Option(help="Launch right away.")] = False,
) -> None:
    """Create a draft campaign from a spec; a bad field is named by its path. The spec's `type`
    says the kind: `generate` (the default), `classify` / `rate`, which need --items, or
    `review`, whose sentence pairs come from --corpus or --items, with --challenges beside.

    Example: crowdset campaign create examples/sentiment.yaml --items examples/sentiment-items.csv
    """
    ctx = context_from(typer_ctx)
    spec = load_any_spec(read_text(spec_file, "SPEC"), source=str(spec_file))
    viewer = principal_for(ctx, as_user)
    if isinstance(spec, LabelingSpec):
        _one_source_of_pairs(items, corpus)
        if corpus is not None:
            extra = labeling.challenges_for(spec, challenges)
            view = corpora.create_review(ctx, viewer, spec, corpus, extra)
            regular = corpora.get_corpus(ctx, viewer, corpus).pairs
            gold = sum(row.gold is not None for row in extra)
        else:
            rows = labeling.items_for(spec, items, challenges)
            view = campaigns.create_campaign(ctx, viewer, spec, rows)
            regular = sum(row.gold is None for row in rows)
            gold = len(rows) - regular
        total = campaigns.estimate_labeling_cost(ctx, spec, regular).total
        noun, gold_noun = ("pairs", "challenge pairs") if spec.review else ("items", "gold items")
        what = f"{regular} {noun} and {gold} {gold_noun}"
    else:
        _no_labeling_options(items=items, corpus=corpus, challenges=challenges)
        view = campaigns.create_campaign(ctx, viewer, spec)
        total = campaigns.estimate_cost(ctx, spec).total
        what = ""
    console.print(
        f"[green]✓[/] campaign {view.id} “{view.name}” created (draft"
        + (f", {view.kind}, {what}" if what else "")
        + f"); launching moves {money(ctx, total)} into escrow"
    )
    if launch:
        launched = campaigns.launch(ctx, viewer, view.id)
        console.print(f"[green]✓[/] campaign {view.id} is {launched.status}")


@app.command("estimate")
def estimate(
    typer_ctx: typer.Context,
    spec_file: Annotated[Path, typer.Argument(metavar="SPEC", help="YAML or JSON spec.")],
    items: labeling.ItemsOption = None,
    corpus: CorpusOption = None,
    challenges: labeling.ChallengesOption = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", envvar="CROWDSET_USER", help="With --corpus: whose corpus (email)."),
    ] = None,
) -> None:
    """What a spec would cost: work, validation, fees, escrow, worker time. A labeling spec
    needs its --items (gold items are not counted as items to label); a review's pairs may be
    an imported corpus, --corpus ID with --as its owner, or a parallel corpus file as --items,
    with its --challenges beside.

    Example: crowdset campaign estimate examples/smart-lights.yaml
    """
    # only a corpus is read from the database: a spec alone can be priced before `crowdset init`
    ctx = context_from(typer_ctx, schema_required=corpus is not None)
    spec = load_any_spec(read_text(spec_file, "SPEC"), source=str(spec_file))
    if isinstance(spec, LabelingSpec):
        _one_source_of_pairs(items, corpus)
        if corpus is not None:
            regular = corpora.get_corpus(ctx, principal_for(ctx, as_user), corpus).pairs
        else:
            rows = labeling.items_for(spec, items, challenges)
            regular = sum(row.gold is None for row in rows)
        labeling.print_estimate(ctx, spec, campaigns.estimate_labeling_cost(ctx, spec, regular))
        return
    _no_labeling_options(items=items, corpus=corpus, challenges=challenges)
    cost = campaigns.estimate_cost(ctx, spec)
    table = Table("item", "amount", title=f"Estimate for “{spec.name}”")
    table.add_row("accepted queries", f"{cost.queries:,}")
    table.add_row("expected submissions", f"{cost.expected_submissions:,}")
    table.add_row("validation votes", f"{cost.votes:,}")
    table.add_row("writing", money(ctx, cost.work))
    table.add_row("validation", money(ctx, cost.validation))
    table.add_row("platform fee", money(ctx, cost.fee))
    table.add_row("[bold]escrow at launch[/]", money(ctx, cost.total))
    table.add_row("worker time", f"{cost.worker_minutes:,.0f} minutes")
    console.print(table)


@app.command("list")
def list_(typer_ctx: typer.Context, as_user: AsOption = None) -> None:
    """Campaigns of a requester (an operator sees all).

    Example: crowdset campaign list --as requester@demo.crowdset
    """
    ctx = context_from(typer_ctx)
    table = Table("id", "name", "kind", "status", "escrow", "created")
    for view in campaigns.list_campaigns(ctx, principal_for(ctx, as_user)):
        table.add_row(
            str(view.id),
            view.name,
            view.kind,
            view.status,
            money(ctx, view.escrow_funded),
            f"{view.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


def _lifecycle(
    typer_ctx: typer.Context, campaign_id: int, as_user: str | None, action: str
) -> None:
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    operations = {
        "launch": campaigns.launch,
        "pause": campaigns.pause,
        "resume": campaigns.resume,
        "close": campaigns.close,
    }
    view = operations[action](ctx, viewer, campaign_id)
    detail = ""
    if action == "launch":
        detail = f"; {money(ctx, view.escrow_funded)} moved into escrow"
    if action == "close":
        closing = [e for e in campaigns.events(ctx, viewer, campaign_id) if e.kind == "closed"]
        refund = closing[-1].detail.get("refund", 0) if closing else 0
        detail = f"; {money(ctx, int(str(refund)))} refunded"
    console.print(f"[green]✓[/] campaign {campaign_id} is {view.status}{detail}")


@app.command("launch")
def launch_(typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None) -> None:
    """Check the fair-wage floor, fund escrow, start offering work.

    Example: crowdset campaign launch 1
    """
    _lifecycle(typer_ctx, campaign_id, as_user, "launch")


@app.command("pause")
def pause(typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None) -> None:
    """Stop offering work (answers to work already taken still count).

    Example: crowdset campaign pause 1
    """
    _lifecycle(typer_ctx, campaign_id, as_user, "pause")


@app.command("resume")
def resume(typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None) -> None:
    """Offer work again.

    Example: crowdset campaign resume 1
    """
    _lifecycle(typer_ctx, campaign_id, as_user, "resume")


@app.command("close")
def close(typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None) -> None:
    """Settle queries still in validation and refund what is left in escrow.

    Example: crowdset campaign close 1
    """
    _lifecycle(typer_ctx, campaign_id, as_user, "close")


@app.command("fund")
def fund(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    amount: Annotated[str, typer.Argument(help="Credits to add, e.g. 50 or 12.50.")],
    as_user: AsOption = None,
) -> None:
    """Add credits to a campaign's escrow when acceptance runs below the estimate.

    Example: crowdset campaign fund 1 50
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    view = campaigns.top_up(ctx, viewer, campaign_id, parse_money(ctx, amount))
    console.print(
        f"[green]✓[/] campaign {campaign_id}: escrow funded {money(ctx, view.escrow_funded)} in all"
    )


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = min(width, round(width * done / total)) if total else 0
    return "█" * filled + "░" * (width - filled)


@app.command("status")
def status(typer_ctx: typer.Context, campaign_id: CampaignId, as_user: AsOption = None) -> None:
    """Progress per intent, acceptance, money spent and left; for a labeling campaign, its
    report (as `crowdset campaign report`).

    Example: crowdset campaign status 1
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    if campaigns.get_campaign(ctx, viewer, campaign_id).kind != "generate":
        labeling.print_report(ctx, labeling_reports.report(ctx, viewer, campaign_id))
        return
    state = campaigns.progress(ctx, viewer, campaign_id)
    table = Table(
        "intent",
        "progress",
        "accepted",
        "in validation",
        "rejected",
        "refused by checks",
        "acceptance",
        title=f"Campaign {campaign_id}: {state.status}",
    )
    for intent in state.intents:
        rate = intent.acceptance_rate
        table.add_row(
            intent.intent,
            _bar(intent.accepted, intent.target),
            f"{intent.accepted}/{intent.target}",
            str(intent.validating),
            str(intent.rejected),
            str(intent.refused_by_checks),
            f"{rate:.0%}" if rate is not None else "–",
        )
    console.print(table)
    per_query = state.cost_per_accepted
    console.print(
        f"escrow {money(ctx, state.escrow_funded)} funded, {money(ctx, state.escrow_left)} left; "
        f"paid {money(ctx, state.paid_to_workers)} to workers + {money(ctx, state.fees)} fees; "
        f"refunded {money(ctx, state.refunded)}"
        + (f"; {money(ctx, round(per_query))} per accepted query" if per_query else "")
    )
    if state.funds_short:
        console.print(
            "[yellow]escrow cannot pay for more work[/]: add credits with "
            f"`crowdset campaign fund {campaign_id} AMOUNT`"
        )


@app.command("export")
def export(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    format: Annotated[str, typer.Option("--format", "-f", help="snips, rasa or jsonl.")] = "jsonl",
    as_user: AsOption = None,
) -> None:
    """Write the accepted queries as a Snips dataset, Rasa NLU YAML or JSONL.

    Example: crowdset campaign export 1 --format rasa -o nlu.yml
    """
    if format not in ("snips", "rasa", "jsonl"):
        raise InvalidInput(f"unknown format {format!r}: use snips, rasa or jsonl", field="--format")
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    view = campaigns.get_campaign(ctx, viewer, campaign_id)
    queries = campaigns.accepted_queries(ctx, viewer, campaign_id)
    language = campaigns.generation_spec(view, "export").language
    count = write_dataset(queries, cast(NluFormat, format), output, language=language)
    console.print(f"[green]✓[/] {count} queries written to {output} ({format})")


@app.command("flags")
def flags(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    confidence: Annotated[
        float | None, typer.Option(min=0.01, max=1.0, help="Flag at this probability or more.")
    ] = None,
    as_user: AsOption = None,
) -> None:
    """Cross-validate accepted queries: intents a model disputes and workers to review.

    Example: crowdset campaign flags 1
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    report = campaigns.cross_validation(ctx, viewer, campaign_id, confidence=confidence)
    for note in report.notes:
        console.print(f"[yellow]note[/]: {note}")
    table = Table("query", "text", "intent", "model says", "p", title="Disputed queries")
    for flag in report.flagged[:100]:
        table.add_row(
            str(flag.query_id),
            flag.text,
            flag.intent,
            flag.predicted_intent,
            f"{flag.probability:.2f}",
        )
    console.print(table)
    console.print(
        f"{len(report.flagged)} of {report.scored} accepted queries flagged "
        f"({report.flag_rate:.1%})"
    )
    abnormal = report.abnormal_workers
    if abnormal:
        workers = Table("worker", "queries", "flagged", "share", "p-value", title="Review these")
        for w in abnormal:
            workers.add_row(
                w.worker, str(w.queries), str(w.flagged), f"{w.share:.0%}", f"{w.p_value:.1e}"
            )
        console.print(workers)
        console.print("blacklist with: crowdset campaign blacklist ID WORKER")


@app.command("blacklist")
def blacklist(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    worker: Annotated[str, typer.Argument(help="The pseudonymous worker id.")],
    as_user: AsOption = None,
) -> None:
    """Bar a worker and send their accepted queries back to validation.

    Example: crowdset campaign blacklist 1 w3f9a2c41d07be815
    """
    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    returned = campaigns.blacklist(ctx, viewer, campaign_id, worker)
    console.print(f"[green]✓[/] {worker} blacklisted; {returned} queries back in validation")


class CollusionFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@app.command("collusion")
def collusion_flags(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    output: Annotated[
        CollusionFormat,
        typer.Option("--format", help="The κ table and groups, or JSON (as the API answers)."),
    ] = CollusionFormat.TABLE,
    as_user: AsOption = None,
) -> None:
    """Collusion flags (SPEC §6.8): pairs of workers whose agreement on shared items exceeds
    what their accuracy on controls explains, with the κ table, and the flagged groups.

    Example: crowdset campaign collusion 1 --format json
    """
    from crowdset.services import collusion

    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    view = collusion.collusion_report(ctx, viewer, campaign_id)
    if output is CollusionFormat.JSON:
        import json

        from crowdset.api.schemas_collusion import collusion_public

        typer.echo(json.dumps(collusion_public(view).model_dump(mode="json"), indent=2))
        return
    table = Table(
        "worker", "worker", "shared", "agreed", "expected", "chance", "κ", "p", "p adj.", "flag",
        title=f"κ table: {view.track} answers of {view.workers} workers on {view.items} items",
    )  # fmt: skip
    for pair in view.pairs[:100]:
        table.add_row(
            *pair.workers,
            str(pair.shared),
            f"{pair.observed:.0%}",
            f"{pair.expected:.0%}",
            f"{pair.chance:.0%}",
            f"{pair.kappa:.2f}",
            f"{pair.p_value:.1e}",
            f"{pair.p_adjusted:.1e}",
            "[red]flagged[/]" if pair.flagged else "",
        )
    console.print(table)
    console.print(
        f"{len(view.pairs)} pairs with at least {view.min_shared} shared items tested; "
        f"flagged at p ≤ {view.alpha:g} after {view.correction} and κ ≥ {view.min_kappa:g}"
    )
    if not view.groups:
        console.print("no flagged group")
        return
    for group in view.groups:
        state = " (excluded)" if group.excluded else ""
        console.print(f"[red]flagged group[/]{state}: {' '.join(group.workers)}")
        for test in group.tests:
            console.print(
                f"  together: {' '.join(test.workers)} agreed on {test.agreed} of "
                f"{test.items} items, κ {test.kappa:.2f}, p {test.p_adjusted:.1e} "
                "(every group of that size counted)"
            )
    console.print("exclude a group with: crowdset campaign exclude-group ID WORKER...")


@app.command("exclude-group")
def exclude_group(
    typer_ctx: typer.Context,
    campaign_id: CampaignId,
    workers: Annotated[
        list[str], typer.Argument(help="Pseudonymous ids of members of one flagged group.")
    ],
    reason: Annotated[str, typer.Option(help="Added to each sanction's reason.")] = "",
    as_user: AsOption = None,
) -> None:
    """Exclude a flagged collusion group in one action: each member is barred from the
    campaign and revoked on every track (fine, pending pay back to the escrow, an appealable
    sanction citing the κ table).

    Example: crowdset campaign exclude-group 1 w3f9a2c41d07be815 w81c0d2e9f4a7b6c3
    """
    from crowdset.services import collusion

    ctx = context_from(typer_ctx)
    viewer = principal_for(ctx, as_user, campaign_id)
    done = collusion.exclude_group(ctx, viewer, campaign_id, workers, reason)
    console.print(
        f"[green]✓[/] {' '.join(done.workers)} excluded: {len(done.sanctions)} tracks revoked, "
        f"{money(ctx, done.fined)} fined, {money(ctx, done.clawed_back)} pending pay back to "
        f"escrow, {done.queries_returned} queries back in validation"
    )


def register(root: typer.Typer) -> None:
    labeling.register(app)
    review.register(app)
    root.add_typer(app, name="campaign")
