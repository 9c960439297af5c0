"""``crowdset sim …``: a simulated crowd works a campaign through the real services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crowdset.cli.common import console, context_from, money
from crowdset.errors import InvalidInput
from crowdset.formats.nlu import NluFormat, read_dataset
from crowdset.services import campaigns
from crowdset.sim import Crowd, CrowdMix, PhrasingPool, run_generation

app = typer.Typer(
    no_args_is_help=True,
    help="Simulated crowds: honest, careless and spamming agents on the real code path.\n\n"
    "Example: crowdset sim work 1 --workers 12",
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
    if view.status != "running":
        raise InvalidInput(
            f"campaign {campaign_id} is {view.status}: launch or resume it first",
            field="CAMPAIGN_ID",
        )
    spec = campaigns.generation_spec(view, "simulation (sim label)")
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
    with Progress(
        TextColumn("accepted"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
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


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sim")
