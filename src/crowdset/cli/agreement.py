"""``crowdset agreement``: inter-annotator agreement of an answer file (Krippendorff's α, κ)."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crowdset.cli.common import console
from crowdset.errors import InvalidInput

if TYPE_CHECKING:
    from crowdset.core.agreement import AgreementReport

# NumPy, pandas and pyarrow load when the command runs, not for `crowdset agreement --help`.


class LevelOption(StrEnum):
    """Krippendorff's level of measurement, as typed on the command line."""

    NOMINAL = "nominal"
    ORDINAL = "ordinal"
    INTERVAL = "interval"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


WORST_WORKERS = 10  # workers listed in the table (--format json lists them all)

HELP = "\n\n".join(
    [
        "Inter-annotator agreement of an answer file: Krippendorff's alpha, Fleiss' and "
        "Cohen's kappa.",
        "ANSWERS is a .csv, .tsv, .jsonl or .parquet file with one answer per row (task, "
        "worker, label), read as `crowdset aggregate` reads it. Krippendorff's alpha at "
        "--level (ordinal and interval need numeric labels) with a bootstrap interval over "
        "tasks; Fleiss' kappa; Cohen's kappa for every pair of workers sharing --min-shared "
        "tasks; alpha per label (that label against the rest); per worker, alpha without the "
        "worker and its mean Cohen's kappa with the others. The kappas and the per-label "
        "alphas treat labels as categories. Tasks with a single answer are not pairable and "
        "count for nothing; a worker's repeated answers to a task are ignored (the first "
        "counts).",
    ]
)

EXAMPLE = (
    "Example: crowdset agreement ratings.csv --columns task=item,worker=rater,label=score "
    "--level ordinal --format json"
)


def register(app: typer.Typer) -> None:
    """Add the ``agreement`` command to ``app``."""
    app.command("agreement", help=HELP, epilog=EXAMPLE)(agreement)


def agreement(
    answers: Annotated[
        Path,
        typer.Argument(
            metavar="ANSWERS",
            help="Answer file: .csv, .tsv, .jsonl or .parquet.",
            show_default=False,
        ),
    ],
    columns: Annotated[
        str | None,
        typer.Option(
            help="Your column names, e.g. task=question,worker=worker,label=answer.",
            show_default=False,
        ),
    ] = None,
    level: Annotated[
        LevelOption, typer.Option(help="Level of measurement of the labels.")
    ] = LevelOption.NOMINAL,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="A table, or JSON (every worker).")
    ] = OutputFormat.TABLE,
    bootstrap: Annotated[
        int,
        typer.Option(help="Bootstrap resamples of the tasks for alpha's 95% interval; 0: none."),
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap.")] = 0,
    min_shared: Annotated[
        int, typer.Option(help="Tasks two workers must share for their Cohen's kappa.")
    ] = 10,
) -> None:
    from crowdset.core.agreement import Level, agreement_report, reliability_data
    from crowdset.formats.answer_codes import read_answer_codes
    from crowdset.formats.answers import parse_column_mapping

    if bootstrap < 0:
        raise InvalidInput(f"--bootstrap must be 0 (none) or more; got {bootstrap}.")
    if min_shared < 1:
        raise InvalidInput(f"--min-shared must be at least 1; got {min_shared}.")
    codes = read_answer_codes(answers, parse_column_mapping(columns))
    chosen = Level(level.value)
    values = None if chosen is Level.NOMINAL else _numeric_labels(codes.labels, answers, chosen)
    data = reliability_data(
        codes.task,
        codes.worker,
        codes.label,
        values=values,
        n_units=codes.n_tasks,
        n_workers=codes.n_workers,
        n_labels=codes.n_labels,
    )
    report = agreement_report(data, chosen, min_shared=min_shared, resamples=bootstrap, rng=seed)
    if data.values is None:
        labels = [str(label) for label in codes.labels]
    else:
        labels = [f"{value:g}" for value in data.values]
    workers = [str(worker) for worker in codes.workers]
    result = _as_dict(report, labels, workers, seed)
    if output is OutputFormat.JSON:
        import json

        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    _print_tables(result, answers)


def _numeric_labels(labels: Any, path: Path, level: Any) -> Any:
    """The number each label stands for; ``InvalidInput`` naming the first that is none."""
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(pd.Series(labels, dtype=object), errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        first = labels[int(np.flatnonzero(bad)[0])]
        raise InvalidInput(
            f"the {level} level needs numeric labels; {str(path)!r} has label {first!r} "
            f"({int(bad.sum())} of {len(labels)} distinct labels are not finite numbers). "
            "Use --level nominal for categories, or map the labels to numbers.",
            label=str(first),
        )
    return numbers.to_numpy()


def _number(value: float) -> float | None:
    """A float for JSON: NaN (undefined) becomes null."""
    return None if math.isnan(value) else float(value)


def _as_dict(
    report: AgreementReport, labels: list[str], workers: list[str], seed: int
) -> dict[str, Any]:
    interval = report.interval
    pairwise = report.pairwise
    return {
        "level": str(report.level),
        "krippendorff_alpha": report.alpha,
        "alpha_interval": None
        if interval is None
        else [_number(interval.low), _number(interval.high)],
        "bootstrap": None
        if interval is None
        else {
            "resamples": interval.resamples,
            "confidence": interval.confidence,
            "seed": seed,
            "undefined": interval.undefined,
        },
        "fleiss_kappa": _number(report.fleiss_kappa),
        "pairwise_cohen_kappa": {
            "pairs": pairwise.n_pairs,
            "undefined": pairwise.n_undefined,
            "min_shared": pairwise.min_shared,
            "mean": _number(pairwise.mean()),
            "median": _number(pairwise.median()),
        },
        "per_label": [
            {
                "label": label,
                "pairable_answers": int(report.label_answers[code]),
                "alpha": _number(report.label_alpha[code]),
            }
            for code, label in enumerate(labels)
        ],
        "per_worker": [
            {
                "worker": worker,
                "answers": int(report.worker_answers[code]),
                "alpha_without": _number(report.worker_alpha_without[code]),
                "mean_cohen_kappa": _number(report.worker_mean_kappa[code]),
                "kappa_pairs": int(report.worker_pairs[code]),
            }
            for code, worker in enumerate(workers)
        ],
        "counts": {
            "items": report.units,
            "workers": report.workers,
            "answers": report.answers,
            "pairable_items": report.pairable_units,
            "pairable_answers": report.pairable_answers,
            "repeated_answers": report.repeated,
        },
    }


def _shown(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _print_tables(result: dict[str, Any], path: Path) -> None:
    from rich.table import Table

    alpha = result["krippendorff_alpha"]
    summary = Table(
        title=f"crowdset agreement {path.name} --level {result['level']}", show_header=False
    )
    summary.add_row("Krippendorff's alpha", _shown(alpha))
    if result["alpha_interval"] is not None:
        low, high = result["alpha_interval"]
        boot = result["bootstrap"]
        summary.add_row(
            f"{boot['confidence']:.0%} interval",
            f"{_shown(low)} – {_shown(high)} ({boot['resamples']:,} resamples of the items, "
            f"seed {boot['seed']})",
        )
    summary.add_row("Fleiss' kappa", _shown(result["fleiss_kappa"]))
    cohen = result["pairwise_cohen_kappa"]
    summary.add_row(
        "Cohen's kappa, pairs",
        f"mean {_shown(cohen['mean'])}, median {_shown(cohen['median'])} over "
        f"{cohen['pairs']:,} pairs sharing ≥ {cohen['min_shared']} items",
    )
    for name, count in result["counts"].items():
        summary.add_row(name.replace("_", " "), f"{count:,}")
    console.print(summary)

    labels = Table("label", "pairable answers", "alpha (label vs rest)", title="Per label")
    for row in result["per_label"]:
        labels.add_row(row["label"], f"{row['pairable_answers']:,}", _shown(row["alpha"]))
    console.print(labels)

    def gain(row: dict[str, Any]) -> float:
        without = row["alpha_without"]
        return -math.inf if without is None else float(without) - alpha

    worst = sorted(result["per_worker"], key=gain, reverse=True)[:WORST_WORKERS]
    workers = Table(
        "worker", "answers", "alpha without", "change", "mean Cohen's kappa", "pairs",
        title="Workers whose leaving out raises alpha most",
        caption="every worker: --format json",
    )  # fmt: skip
    for row in worst:
        without = row["alpha_without"]
        workers.add_row(
            row["worker"],
            f"{row['answers']:,}",
            _shown(without),
            "–" if without is None else f"{without - alpha:+.3f}",
            _shown(row["mean_cohen_kappa"]),
            str(row["kappa_pairs"]),
        )
    console.print(workers)
