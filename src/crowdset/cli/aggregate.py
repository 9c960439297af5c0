"""``crowdset aggregate``: truth inference on an answer file, written as task, label, confidence."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from crowdset.cli.common import console
from crowdset.core.aggregation import (
    GLAD,
    MACE,
    ClassificationAggregator,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    RaterNormalisedMean,
    WeightedMajorityVote,
    WeightedMeanRating,
)
from crowdset.errors import InvalidInput
from crowdset.formats.answers import (
    match_labels,
    parse_column_mapping,
    read_answers,
    write_table,
)


class Method(StrEnum):
    """Truth-inference methods, by their short name on the command line."""

    mv = "mv"
    wmv = "wmv"
    ds = "ds"
    ods = "ods"
    glad = "glad"
    mace = "mace"
    mean = "mean"
    zmean = "zmean"


RATING_METHODS = frozenset({Method.mean, Method.zmean})
GOLD_METHODS = frozenset({Method.ds, Method.ods})
WEIGHT_METHODS = frozenset({Method.wmv, Method.mean})

HELP = "\n\n".join(
    [
        "Infer one label per task from crowd answers (truth inference).",
        "ANSWERS is a .csv, .tsv, .jsonl or .parquet file with one answer per row; --output "
        "gets one row per task: task, label, confidence (the posterior probability of the "
        "label; empty for the rating methods).",
        "Methods: mv majority vote; wmv weighted majority vote (weights from --weights, else "
        "the skills Dawid-Skene estimates); ds Dawid-Skene; ods one-coin Dawid-Skene; glad "
        "GLAD; mace MACE; mean mean rating (weighted with --weights); zmean rater-normalised "
        "mean rating. --gold clamps known labels (ds, ods).",
    ]
)

EXAMPLE = (
    "Example: crowdset aggregate answers.csv --method ds "
    "--columns task=question,label=answer -o labels.csv"
)


def register(app: typer.Typer) -> None:
    """Add the ``aggregate`` command to ``app``."""
    app.command("aggregate", help=HELP, epilog=EXAMPLE)(aggregate)


def aggregate(
    answers: Annotated[
        Path,
        typer.Argument(
            metavar="ANSWERS",
            help="Answer file: .csv, .tsv, .jsonl or .parquet.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Result file; its extension picks the format.",
            show_default=False,
        ),
    ],
    method: Annotated[Method, typer.Option("--method", "-m", help="Inference method.")] = (
        Method.ds
    ),
    columns: Annotated[
        str | None,
        typer.Option(
            help="Your column names, e.g. task=question,worker=worker,label=answer.",
            show_default=False,
        ),
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option(help="Known labels (task, label) to clamp; ds and ods.", show_default=False),
    ] = None,
    gold_columns: Annotated[
        str | None,
        typer.Option(
            help="Column names of --gold, e.g. task=question,label=truth.", show_default=False
        ),
    ] = None,
    weights: Annotated[
        Path | None,
        typer.Option(help="Per-worker weights (worker, weight); wmv and mean.", show_default=False),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (MACE restarts).")] = 0,
) -> None:
    mapping = parse_column_mapping(columns)
    frame = read_answers(answers, mapping)
    if gold is not None and method not in GOLD_METHODS:
        raise InvalidInput(f"--gold works with {', '.join(sorted(GOLD_METHODS))}, not {method}.")
    if weights is not None and method not in WEIGHT_METHODS:
        raise InvalidInput(
            f"--weights works with {', '.join(sorted(WEIGHT_METHODS))}, not {method}."
        )
    worker_weights = None if weights is None else _read_weights(weights, mapping)

    if method in RATING_METHODS:
        frame["label"] = _numeric_labels(frame["label"], answers)
        scores = (
            WeightedMeanRating().fit_predict(frame, worker_weights)
            if method is Method.mean
            else RaterNormalisedMean().fit_predict(frame)
        )
        result = pd.DataFrame(
            {"task": scores.index, "label": scores.to_numpy(), "confidence": np.nan}
        )
        iterations: int | None = None
    else:
        model = _classifier(method, seed)
        if isinstance(model, WeightedMajorityVote):
            if worker_weights is None:
                worker_weights = DawidSkene().fit(frame).skills_
            model.fit(frame, worker_weights)
        elif isinstance(model, DawidSkene) and gold is not None:
            model.fit(frame, _read_gold(gold, gold_columns, mapping, frame["label"]))
        else:
            model.fit(frame)
        result = pd.DataFrame(
            {
                "task": model.labels_.index,
                "label": model.labels_.to_numpy(),
                "confidence": model.probas_.max(axis=1).to_numpy(),
            }
        )
        iterations = getattr(model, "n_iter_", None)
    write_table(result, output)
    _report(method, frame, iterations, output)


def _classifier(method: Method, seed: int) -> ClassificationAggregator:
    models: dict[Method, ClassificationAggregator] = {
        Method.mv: MajorityVote(),
        Method.wmv: WeightedMajorityVote(),
        Method.ds: DawidSkene(),
        Method.ods: OneCoinDawidSkene(),
        Method.glad: GLAD(),
        Method.mace: MACE(rng=seed),
    }
    return models[method]


def _numeric_labels(labels: pd.Series[Any], path: Path) -> pd.Series[Any]:
    numbers = pd.to_numeric(labels, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidInput(
            f"ratings must be numbers; {str(path)!r} has label {labels.iloc[first]!r} "
            f"(answer {first + 1}). Use a label method (mv, ds, …) for categories.",
        )
    return numbers


def _read_weights(path: Path, mapping: dict[str, str]) -> pd.Series[Any]:
    table = read_answers(path, {"worker": mapping.get("worker", "worker")}, ("worker", "weight"))
    weights = pd.to_numeric(table["weight"], errors="coerce")
    if weights.isna().any():
        raise InvalidInput(f"{str(path)!r}: every weight must be a number.", path=str(path))
    return pd.Series(weights.to_numpy(), index=table["worker"], name="weight")


def _read_gold(
    path: Path, text: str | None, mapping: dict[str, str], labels: pd.Series[Any]
) -> pd.Series[Any]:
    gold_mapping = (
        parse_column_mapping(text, ("task", "label"), option="--gold-columns")
        if text
        else {key: value for key, value in mapping.items() if key in ("task", "label")}
    )
    table = read_answers(path, gold_mapping, ("task", "label"), option="--gold-columns")
    values = match_labels(table["label"], labels, what=f"labels in {str(path)!r}")
    return pd.Series(values.to_numpy(), index=table["task"], name="gold")


def _report(method: Method, frame: pd.DataFrame, iterations: int | None, output: Path) -> None:
    table = Table(title=f"crowdset aggregate --method {method}", show_header=False)
    table.add_row("answers", f"{len(frame):,}")
    table.add_row("tasks", f"{frame['task'].nunique():,}")
    table.add_row("workers", f"{frame['worker'].nunique():,}")
    if method not in RATING_METHODS:
        table.add_row("labels", f"{frame['label'].nunique():,}")
    if iterations is not None:
        table.add_row("iterations", str(iterations))
    table.add_row("written to", str(output))
    console.print(table)
