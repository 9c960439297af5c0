"""``crowdset sim …``: a simulated crowd works a campaign through the real services."""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from crowdset.cli.common import (
    console,
    context_from,
    money,
    read_text,
    require_current_schema,
    settings_from,
)
from crowdset.cli.labeling import items_for
from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.errors import InvalidInput
from crowdset.formats.answers import read_table
from crowdset.formats.nlu import NluFormat, read_dataset
from crowdset.services import campaigns, labeling_reports, ledger, review_reports
from crowdset.sim import Crowd, CrowdMix, PhrasingPool, run_generation
from crowdset.sim.attackers.strategies import Strategy
from crowdset.sim.labelers import (
    LabelerMix,
    LabelingCrowd,
    items_by_content,
    run_labeling,
    simulated_truth,
)
from crowdset.sim.reviewers import net_income, pairs_by_content, reviewer_mix, run_review

if TYPE_CHECKING:
    from crowdset.services.context import Context
    from crowdset.settings import Settings
    from crowdset.sim.attack import AttackReport

app = typer.Typer(
    no_args_is_help=True,
    help="Simulated crowds: honest, careless and spamming agents on the real code path "
    "(sim work: generation campaigns; sim label: classify and rate campaigns; sim review: "
    "review campaigns).\n\n"
    "Example: crowdset sim work 1 --workers 12",
)


def _progress(what: str) -> Progress:
    """The bar every simulation shows: what is counted, done of total, time elapsed."""
    return Progress(
        TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


@app.command("work")
def work(
    typer_ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="A running campaign.")],
    workers: Annotated[int, typer.Option(min=4, max=500, help="Simulated workers.")] = 12,
    careless: Annotated[float, typer.Option(min=0, max=1, help="Share of careless.")] = 0.15,
    spammers: Annotated[float, typer.Option(min=0, max=1, help="Share of spammers.")] = 0.10,
    phrasings: Annotated[
        Path | None,
        typer.Option(help="Real utterances to phrase from (Snips JSON, Rasa YAML or JSONL)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the crowd.")] = 0,
) -> None:
    """Create simulated workers (credits issued, stake staked) and let them work until the
    campaign reaches its targets.

    Example: crowdset sim work 1 --workers 12 --careless 0.2 --spammers 0.1
    """
    if careless + spammers > 1:
        raise InvalidInput("--careless plus --spammers cannot exceed 1", field="--careless")
    ctx = context_from(typer_ctx)
    ctx.rng = np.random.default_rng(seed)  # offers and task plans repeat with the seed too
    owner = campaigns.owner_of(ctx, campaign_id)
    view = campaigns.get_campaign(ctx, owner, campaign_id)
    if isinstance(view.spec, LabelingSpec):
        raise InvalidInput(
            f"campaign {campaign_id} is a {view.kind} campaign: simulate it with "
            f"`crowdset sim label {campaign_id}`",
            field="CAMPAIGN_ID",
        )
    if view.status != "running":
        raise InvalidInput(
            f"campaign {campaign_id} is {view.status}: launch or resume it first",
            field="CAMPAIGN_ID",
        )
    spec = campaigns.generation_spec(view, "simulation")
    pool = PhrasingPool.from_spec(spec)
    if phrasings is not None:
        suffix = phrasings.suffix.lower()
        fmt: NluFormat = (
            "jsonl" if suffix == ".jsonl" else "rasa" if suffix in (".yml", ".yaml") else "snips"
        )
        pool = PhrasingPool(read_dataset(phrasings, fmt))
    mix = CrowdMix(workers=workers, careless=careless, spammers=spammers)
    crowd = Crowd.create(ctx, mix, pool, seed=seed)
    target = spec.total_target
    with _progress("accepted") as bar:
        task = bar.add_task("accepted", total=target)
        report = run_generation(
            ctx,
            owner,
            campaign_id,
            crowd,
            on_round=lambda _round, accepted: bar.update(task, completed=accepted),
        )
    table = Table("strategy", "workers", "mean net income", title="Income by strategy")
    for strategy, incomes in report.income.items():
        table.add_row(
            strategy.value, str(len(incomes)), money(ctx, round(sum(incomes) / len(incomes)))
        )
    console.print(table)
    good = sum(n for (_, ok), n in report.submitted.items() if ok)
    bad = sum(n for (_, ok), n in report.submitted.items() if not ok)
    console.print(
        f"{report.actions} actions in {report.rounds} rounds; submitted {good} good and {bad} "
        f"bad queries; automatic checks refused {sum(report.refused.values())} answers"
    )
    console.print(f"next: crowdset campaign status {campaign_id}")


def _known_truth(path: Path | None) -> dict[str, object]:
    """A truth file's ``id`` → ``truth`` (any table with those columns, such as the items file
    with a truth column added)."""
    if path is None:
        return {}
    table = read_table(path)
    missing = [c for c in ("id", "truth") if c not in table.columns]
    if missing:
        present = ", ".join(str(c) for c in table.columns) or "none"
        raise InvalidInput(
            f"{path}: no {' or '.join(missing)} column; a truth file has id and truth columns "
            f"(columns present: {present})",
            field="--truth",
        )
    return {
        str(key): value
        for key, value in zip(table["id"], table["truth"], strict=True)
        if value is not None and value == value  # NaN: no truth given
    }


@app.command("label")
def label(
    typer_ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="A running (or piloting) labeling campaign.")],
    workers: Annotated[int, typer.Option(min=2, max=500, help="Simulated labelers.")] = 12,
    spammers: Annotated[float, typer.Option(min=0, max=1, help="Share of spammers.")] = 0.3,
    truth: Annotated[
        Path | None,
        typer.Option(
            help="Each item's true answer: a CSV, TSV, JSONL or Parquet file with id and truth "
            "columns. Gold items use their gold answer; items with neither get a random one."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the crowd.")] = 0,
) -> None:
    """Create simulated labelers (credits issued, stake staked): honest ones answer the truth
    most of the time, spammers at random after passing the tutorial and qualifier honestly.
    They work until no more offers come (the campaign is done, or its pilot is). Labelers of
    an earlier run still count as active for a while and may be drawn for offers they never
    answer: one run per campaign is the simple way.

    Example: crowdset sim label 2 --workers 12 --truth examples/sentiment-truth.csv
    """
    ctx = context_from(typer_ctx)
    ctx.rng = np.random.default_rng(seed)
    owner = campaigns.owner_of(ctx, campaign_id)
    view = campaigns.get_campaign(ctx, owner, campaign_id)
    spec = view.spec
    if not isinstance(spec, LabelingSpec) or spec.type not in ("classify", "rate"):
        raise InvalidInput(
            f"campaign {campaign_id} is a {view.kind} campaign: sim label simulates classify "
            "and rate campaigns"
            + (f"; use `crowdset sim work {campaign_id}`" if view.kind == "generate" else ""),
            field="CAMPAIGN_ID",
        )
    if view.status not in ("running", "pilot"):
        raise InvalidInput(
            f"campaign {campaign_id} is {view.status}: launch or resume it first",
            field="CAMPAIGN_ID",
        )
    items = labeling_reports.uploaded_items(ctx, owner, campaign_id)
    answers = simulated_truth(items, spec, _known_truth(truth), np.random.default_rng(seed))
    crowd = LabelingCrowd.create(
        ctx, LabelerMix(workers=workers, spammers=spammers), answers, seed=seed
    )
    crowd.by_text = items_by_content(items)
    crowd.onboard(ctx, campaign_id, spec)
    regular = sum(item.gold is None for item in items)
    cost = campaigns.estimate_labeling_cost(ctx, spec, regular)
    with _progress("answers") as bar:
        task = bar.add_task("answers", total=cost.judgments + cost.gold_judgments)
        run = run_labeling(
            ctx,
            campaign_id,
            crowd,
            spec,
            on_round=lambda _round, done: bar.update(task, completed=done),
        )
        bar.update(task, total=run.answers, completed=run.answers)
    table = Table("labelers", "workers", "mean net income", title="Income by kind")
    for kind, incomes in run.income.items():
        table.add_row(kind, str(len(incomes)), money(ctx, round(sum(incomes) / len(incomes))))
    console.print(table)
    report = labeling_reports.report(ctx, owner, campaign_id)
    revoked = sum(row.revoked for row in report.workers)
    console.print(
        f"{run.answers} answers in {run.rounds} rounds; {report.settled}/{report.items} items "
        f"settled; {revoked} labelers revoked"
    )
    console.print(f"next: crowdset campaign report {campaign_id}")


def _review_truth(path: Path | None, items: list[ItemRow]) -> dict[str, object]:
    """A review's truth file: ``source, target, truth`` columns (pairs found by their text,
    whatever their ids), or ``id, truth`` like any labeling campaign's."""
    if path is None:
        return {}
    table = read_table(path)
    columns = {str(c) for c in table.columns}
    if not {"source", "target", "truth"} <= columns:
        if {"id", "truth"} <= columns:
            return _known_truth(path)
        raise InvalidInput(
            f"{path}: a review's truth file has source, target and truth columns (or id and "
            f"truth); columns present: {', '.join(sorted(columns)) or 'none'}",
            field="--truth",
        )
    ids = pairs_by_content(items)
    found: dict[str, object] = {}
    for source, target, value in zip(table["source"], table["target"], table["truth"], strict=True):
        key = ids.get((str(source), str(target)))
        if key is not None and value is not None and value == value:  # NaN: no truth given
            found[key] = value
    return found


@app.command("review")
def review(
    typer_ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="A running review campaign.")],
    workers: Annotated[int, typer.Option(min=2, max=500, help="Simulated reviewers.")] = 10,
    spammers: Annotated[float, typer.Option(min=0, max=1, help="Share of spammers.")] = 0.2,
    truth: Annotated[
        Path | None,
        typer.Option(
            help="Each pair's true stars: a table with source, target and truth columns (or id "
            "and truth). Challenge pairs use their gold stars; pairs with neither get random "
            "ones."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the crowd.")] = 0,
    close: Annotated[
        bool, typer.Option(help="Then close the campaign: judge every package, pay the pool.")
    ] = False,
) -> None:
    """Create simulated reviewers (credits issued for their deposits): honest ones rate each
    pair's true stars with noise, spammers at random. Each takes a package, holding its
    deposit, rates its pairs and takes another, until nobody can take one. Prints each kind's
    net income and the forfeited packages; with --close, closes the campaign and prints the
    pool payout (paid + reserve + withheld = budget) and the ledger's verification.

    Example: crowdset sim review 1 --workers 10 --truth examples/review-truth.csv --close
    """
    ctx = context_from(typer_ctx)
    ctx.rng = np.random.default_rng(seed)
    owner = campaigns.owner_of(ctx, campaign_id)
    view = campaigns.get_campaign(ctx, owner, campaign_id)
    spec = view.spec
    if not isinstance(spec, LabelingSpec) or spec.review is None:
        hint = "sim work" if view.kind == "generate" else "sim label"
        raise InvalidInput(
            f"campaign {campaign_id} is a {view.kind} campaign: sim review simulates review "
            f"campaigns; use `crowdset {hint} {campaign_id}`",
            field="CAMPAIGN_ID",
        )
    if view.status not in ("running", "pilot"):
        raise InvalidInput(
            f"campaign {campaign_id} is {view.status}: launch or resume it first",
            field="CAMPAIGN_ID",
        )
    items = labeling_reports.uploaded_items(ctx, owner, campaign_id)
    stars = simulated_truth(items, spec, _review_truth(truth, items), np.random.default_rng(seed))
    crowd = LabelingCrowd.create(
        ctx, reviewer_mix(workers, spammers), stars, seed=seed, role="reviewer"
    )
    crowd.onboard(ctx, campaign_id, spec)
    cost = campaigns.estimate_labeling_cost(ctx, spec, sum(i.gold is None for i in items))
    with _progress("ratings") as bar:
        task = bar.add_task("ratings", total=cost.judgments + cost.gold_judgments)
        run = run_review(
            ctx,
            campaign_id,
            crowd,
            spec,
            pairs_by_content(items),
            on_rating=lambda done: bar.update(task, completed=done),
        )
        bar.update(task, total=run.ratings, completed=run.ratings)
    if close:
        campaigns.close(ctx, owner, campaign_id)
    packages = review_reports.packages(ctx, owner, campaign_id)
    table = Table(
        "reviewers",
        "workers",
        "packages",
        "forfeited",
        "mean net income",
        "lowest",
        "highest",
        title="Net income by kind" + ("" if close else " (the pool is paid at close)"),
    )
    incomes = net_income(ctx, crowd)
    for kind in sorted({reviewer.kind for reviewer, _ in incomes}):
        names = {r.pseudonym for r, _ in incomes if r.kind is kind}
        nets = [net for r, net in incomes if r.kind is kind]
        taken = [p for p in packages if p.worker in names]
        table.add_row(
            kind.value,
            str(len(nets)),
            str(len(taken)),
            str(sum(p.status == "forfeited" for p in taken)),
            money(ctx, round(sum(nets) / len(nets))),
            money(ctx, min(nets)),
            money(ctx, max(nets)),
        )
    console.print(table)
    forfeited = [p for p in packages if p.status == "forfeited"]
    console.print(
        f"{run.ratings} ratings in {run.packages} packages over {run.rounds} rounds; "
        f"{len(forfeited)} packages forfeited their deposits "
        f"({money(ctx, sum(p.deposit for p in forfeited))})"
    )
    for package in forfeited:
        console.print(
            f"  package {package.id} of {package.worker}: error {package.error or 0:.2f} stars "
            f"over {package.references} references; deposit {money(ctx, package.deposit)} "
            f"forfeited, reward {money(ctx, package.reward)} withheld"
        )
    if not close:
        console.print(
            f"the pool is paid at close: crowdset campaign close {campaign_id}, then "
            f"crowdset campaign pairs {campaign_id} -o kept.jsonl --removed removed.jsonl"
        )
        return
    paid = [e.detail for e in campaigns.events(ctx, owner, campaign_id) if e.kind == "pool_paid"]
    figures = {key: int(str(value)) for key, value in paid[-1].items()}
    balanced = figures["paid"] + figures["reserve"] + figures["withheld"] == figures["budget"]
    console.print(
        f"pool paid to {figures['reviewers_paid']} reviewers: paid "
        f"{money(ctx, figures['paid'])} + reserve {money(ctx, figures['reserve'])} + withheld "
        f"{money(ctx, figures['withheld'])} "
        + ("=" if balanced else "[red]≠[/]")
        + f" budget {money(ctx, figures['budget'])}"
    )
    report = ledger.verify(ctx)
    if report.ok:
        console.print(
            f"[green]✓ ledger intact[/]: {report.transactions} transactions, "
            f"{report.postings} postings"
        )
    else:
        console.print(f"[red]ledger broken[/]: {'; '.join(report.problems[:3])}")
    console.print(
        f"next: crowdset campaign pairs {campaign_id} -o kept.jsonl --removed removed.jsonl"
    )


class AttackFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _credits(value: float) -> str:
    return f"{value:,.2f}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


@app.command("attack")
def attack(
    typer_ctx: typer.Context,
    spec_file: Annotated[
        Path, typer.Argument(metavar="SPEC", help="The campaign spec to try (YAML or JSON).")
    ],
    items: Annotated[
        Path | None,
        typer.Option(help="A labeling or review campaign's items (CSV, TSV, JSONL, Parquet)."),
    ] = None,
    challenges: Annotated[
        Path | None, typer.Option(help="A review's challenge pairs (JSONL), beside --items.")
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            help="Each item's true answer (id and truth columns; a review's may have source, "
            "target and truth). Gold items use their gold; others get a random one."
        ),
    ] = None,
    mix: Annotated[
        str | None,
        typer.Option(
            help="Shares of the crowd by strategy, STRATEGY=SHARE,... (the rest is honest); "
            "default: every strategy of the campaign's kind, 60 % honest."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the crowd and the offers.")] = 0,
    workers: Annotated[
        int | None,
        typer.Option(min=2, max=500, help="Persons in the crowd (a sybil has several accounts)."),
    ] = None,
    baseline: Annotated[
        bool,
        typer.Option(help="Also run the same crowd size all honest, to show what attackers cost."),
    ] = True,
    max_hours: Annotated[
        float,
        typer.Option(min=0.1, max=10_000, help="Stop a campaign after this much modelled time."),
    ] = 24.0,
    scale: Annotated[
        int,
        typer.Option(
            min=1,
            max=1000,
            help="Run the campaign at this many times its volume (targets × N; items repeated "
            "N times): a small file at the size of the real campaign.",
        ),
    ] = 1,
    sybil_k: Annotated[
        int | None,
        typer.Option(
            "--sybil-k",
            help="Accounts per sybil person, 1 to 50 (default 3): the person's stake and grant "
            "split over them. Each sybil person has a sybil_baseline twin, one account with the "
            "same stake and work, to compare with.",
        ),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            help="Run on this database URL (at crowdset's schema) instead of a throw-away "
            "SQLite file."
        ),
    ] = None,
    output: Annotated[
        AttackFormat, typer.Option("--format", help="A table, or JSON (one object per strategy).")
    ] = AttackFormat.TABLE,
) -> None:
    """The mechanism dry-run (SPEC §6.9): a fresh requester launches the spec's campaign, a
    crowd with a mix of strategies works it through the real services until done, and each
    strategy's net income per hour of modelled work is set against the fair wage. Runs on a
    throw-away database: try a spec before launch without touching your data. Strategies:
    honest, careless, spammer, slot_stuffer, intent_drifter, always_yes, random_voter, ring,
    control_oracle, paraphraser, paster, sybil (generation); honest, careless, ring,
    control_oracle, same_label,
    random_label, sleeper, sybil (classify, rate); honest, careless, control_oracle,
    review_constant, review_random, review_near_mean (review). A run with a sybil has a
    sybil_baseline row: one account per sybil person holding its whole stake.

    Example: crowdset sim attack examples/smart-lights.yaml --mix ring=0.33 --seed 1
    """
    import json

    from crowdset.core.specs import load_any_spec
    from crowdset.services.context import open_context
    from crowdset.sim.attack import run_attack

    text = read_text(spec_file, "SPEC")
    spec = load_any_spec(text, source=str(spec_file))
    rows: list[ItemRow] | None = None
    known: dict[str, object] = {}
    if isinstance(spec, LabelingSpec):
        rows = items_for(spec, items, challenges)
        known = _review_truth(truth, rows) if spec.review else _known_truth(truth)
    elif items is not None or truth is not None or challenges is not None:
        raise InvalidInput(
            "--items, --challenges and --truth are for labeling and review specs; a generation "
            "spec takes none",
            field="--items",
        )
    settings = settings_from(typer_ctx)
    target: Settings | Context = settings
    if database is not None:
        ctx = open_context(settings.model_copy(update={"database_url": database}))
        typer_ctx.call_on_close(ctx.db.dispose)
        require_current_schema(ctx)
        target = ctx
    run = partial(
        run_attack,
        target,
        text,
        rows,
        known,
        mix,
        seed,
        workers=workers,
        baseline=baseline,
        max_hours=max_hours,
        scale=scale,
        sybil_k=sybil_k,
        source=str(spec_file),
    )
    if output is AttackFormat.JSON:
        typer.echo(json.dumps(run().rows(), indent=2, ensure_ascii=False))
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def on_progress(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        report = run(on_progress=on_progress)
    _print_attack(report)


def _print_attack(report: AttackReport) -> None:
    table = Table(
        "strategy",
        "workers",
        "accepted",
        "rejected",
        "revoked",
        "fined or revoked",
        "fines",
        "net",
        "hours",
        "net / hour",
        "net / person",
        "offers / person",
        "target",
        title=f"Dry-run of “{report.spec_name}” ({report.workflow}, seed {report.seed}"
        + (f", × {report.scale}" if report.scale != 1 else "")
        + "): credits by strategy",
    )
    for row in report.strategies:
        met = {True: "[green]met[/]", False: "[red]missed[/]", None: "–"}[row.meets_target]
        table.add_row(
            row.strategy,
            str(row.persons) + (f" ({row.workers})" if row.workers != row.persons else ""),
            str(row.accepted),
            str(row.rejected),
            str(row.revoked),
            _share(row.fined_or_revoked_share),
            _credits(row.fines),
            _credits(row.net),
            f"{row.hours:.2f}",
            _credits(row.net_per_hour),
            _credits(row.net_per_person),
            f"{row.offer_share_per_person:.1%}",
            met,
        )
    console.print(table)
    fair = report.strategies[0].fair_wage_per_hour if report.strategies else 0.0
    console.print(
        f"targets: honest ≥ the fair wage of {fair:,.0f} credits per hour of work, fined or "
        "revoked ≤ 1%; every other strategy below zero; a sybil (its accounts in brackets) "
        "no better per person than its sybil_baseline twin (one account, the same stake), "
        "within 5%"
    )
    honest = report.row(Strategy.HONEST)
    if honest is not None:
        without = report.honest_net_per_hour_without_attackers
        console.print(
            f"honest workers: {_credits(honest.net_per_hour)} per hour with the attackers"
            + (f", {_credits(without)} without" if without is not None else "")
            + f"; rejection rate {_share(report.honest_rejection_rate)}"
            + (
                f" ({_share(report.honest_rejection_rate_without_attackers)} without)"
                if report.baseline
                else ""
            )
        )
    if report.ring_junk_accepted_share is not None:
        console.print(f"the ring's junk accepted: {_share(report.ring_junk_accepted_share)}")
    sybil, twin = report.row(Strategy.SYBIL), report.row(Strategy.SYBIL_BASELINE)
    if sybil is not None and twin is not None:
        net, offers = report.sybil_ratios()
        console.print(
            f"a sybil person with {report.sybil_k} accounts against one account with the same "
            f"stake: net per person {_credits(sybil.net_per_person)} against "
            f"{_credits(twin.net_per_person)}"
            + (f" (× {net:.3f})" if net is not None else "")
            + f", offers per person {sybil.offer_share_per_person:.2%} against "
            f"{twin.offer_share_per_person:.2%}"
            + (f" (× {offers:.3f})" if offers is not None else "")
        )
    for note in report.notes:
        console.print(f"[yellow]note[/]: {note}")
    state = "[green]✓ ledger intact[/]" if report.ledger_ok else "[red]ledger broken[/]"
    console.print(f"{state}; {report.hours_modelled:.1f} hours of modelled time")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sim")
