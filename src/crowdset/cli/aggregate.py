"""``crowdset aggregate``: truth inference on an answer file, written as task, label, confidence
(or, for pairwise comparisons, as item, score, stderr, rank)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crowdset.cli.common import console
from crowdset.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from crowdset.core.aggregation import Answers, ClassificationAggregator

# NumPy, pandas, SciPy and pyarrow load when the command runs, not for `crowdset aggregate
# --help` (0.6 s of imports).


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
    bt = "bt"
    crowdbt = "crowdbt"


RATING_METHODS = frozenset({Method.mean, Method.zmean})
PAIRWISE_METHODS = frozenset({Method.bt, Method.crowdbt})
PAIRWISE_COLUMNS = ("winner", "loser", "worker")
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
        "Pairwise comparisons (one judgment per row: winner, loser, worker): bt Bradley-Terry; "
        "crowdbt Crowd-BT, which also learns each worker's reliability and reads the judgments "
        "of workers who mostly contradict the consensus reversed. --output gets one row per "
        "item, strongest first: item, score (log-strength), stderr, rank.",
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
            help="Your column names, e.g. task=question,worker=worker,label=answer "
            "(bt, crowdbt: winner=…,loser=…,worker=…).",
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
    import numpy as np
    import pandas as pd

    from crowdset.core.aggregation import (
        DawidSkene,
        RaterNormalisedMean,
        WeightedMajorityVote,
        WeightedMeanRating,
    )
    from crowdset.formats.answer_codes import read_answer_codes, write_results
    from crowdset.formats.answers import parse_column_mapping, read_answers

    if method in PAIRWISE_METHODS:
        mapping = parse_column_mapping(columns, PAIRWISE_COLUMNS)
    else:
        mapping = parse_column_mapping(columns)
    if gold is not None and method not in GOLD_METHODS:
        raise InvalidInput(f"--gold works with {', '.join(sorted(GOLD_METHODS))}, not {method}.")
    if weights is not None and method not in WEIGHT_METHODS:
        raise InvalidInput(
            f"--weights works with {', '.join(sorted(WEIGHT_METHODS))}, not {method}."
        )

    if method in PAIRWISE_METHODS:
        _rank_items(answers, method, mapping, output)
        return
    if method in RATING_METHODS:
        frame = read_answers(answers, mapping)
        worker_weights = None if weights is None else _read_weights(weights, mapping)
        frame["label"] = _numeric_labels(frame["label"], answers)
        scores = (
            WeightedMeanRating().fit_predict(frame, worker_weights)
            if method is Method.mean
            else RaterNormalisedMean().fit_predict(frame)
        )
        result = pd.DataFrame(
            {"task": scores.index, "label": scores.to_numpy(), "confidence": np.nan}
        )
        counts = _counts(frame["task"].nunique(), frame["worker"].nunique(), len(frame), None)
        iterations: int | None = None
    else:
        # read and factorised once: every model below fits on these codes
        codes = read_answer_codes(answers, mapping)
        worker_weights = None if weights is None else _read_weights(weights, mapping)
        model = _classifier(method, seed)
        if isinstance(model, WeightedMajorityVote):
            if worker_weights is None:
                worker_weights = DawidSkene().fit(codes).skills_
            model.fit(codes, worker_weights)
        elif isinstance(model, DawidSkene) and gold is not None:
            model.fit(codes, _read_gold(gold, gold_columns, mapping, codes))
        else:
            model.fit(codes)
        result = pd.DataFrame(
            {
                "task": model.labels_.index,
                "label": model.labels_.array,
                "confidence": model.probas_.max(axis=1).to_numpy(),
            }
        )
        counts = _counts(codes.n_tasks, codes.n_workers, codes.n_answers, codes.n_labels)
        iterations = getattr(model, "n_iter_", None)
    write_results(result, output)
    _report(method, counts, iterations, output)


def _rank_items(path: Path, method: Method, mapping: dict[str, str], output: Path) -> None:
    """``bt`` and ``crowdbt``: rank the items of a ``winner, loser, worker`` file."""
    from crowdset.core.aggregation import BradleyTerry, CrowdBT, PairwiseAggregator
    from crowdset.formats.answer_codes import write_results

    frame = _read_comparisons(path, mapping, need_worker=method is Method.crowdbt)
    model: PairwiseAggregator = BradleyTerry() if method is Method.bt else CrowdBT()
    model.fit(frame)
    ranking = model.ranking()[["item", "score", "stderr", "rank"]]
    write_results(ranking, output)
    counts = {"comparisons": len(frame), "items": len(ranking)}
    if "worker" in frame.columns:
        counts["workers"] = int(frame["worker"].nunique())
    if isinstance(model, CrowdBT):
        counts["workers read reversed (reliability < 0.5)"] = int(
            (model.worker_reliability_ < 0.5).sum()
        )
    _report(method, counts, getattr(model, "n_iter_", None), output)


def _read_comparisons(path: Path, mapping: dict[str, str], *, need_worker: bool) -> pd.DataFrame:
    """The ``winner, loser[, worker]`` columns of ``path``, checked: present, not empty, and no
    item compared with itself (named with its line)."""
    import numpy as np

    from crowdset.formats.answers import file_format, read_answers

    if path.is_file() and path.stat().st_size == 0:
        raise InvalidInput(
            f"{str(path)!r} is empty: a comparison file needs a header row with winner, loser, "
            "worker and one judgment per row.",
            path=str(path),
        )
    wanted = PAIRWISE_COLUMNS if need_worker else PAIRWISE_COLUMNS[:2]
    try:
        frame = read_answers(path, mapping, wanted)
    except InvalidInput as error:
        if "missing" not in error.fields:
            raise
        present = ", ".join(error.fields["present"]) or "none"
        looked = ", ".join(
            name if mapping.get(name, name) == name else f"{name} (as {mapping[name]!r})"
            for name in error.fields["missing"]
        )
        raise InvalidInput(
            f"{str(path)!r} has no column for {looked}; columns "
            f"present: {present}. bt and crowdbt read one comparison per row ({', '.join(wanted)}"
            "): map yours with --columns, e.g. --columns winner=chosen,loser=other,worker=user.",
            **error.fields,
        ) from None
    if frame.empty:
        raise InvalidInput(f"{str(path)!r} has no comparisons: there is nothing to aggregate.")
    for role in ("winner", "loser"):  # item ids are text, as task ids are
        frame[role] = frame[role].astype(str)
    same = (frame["winner"] == frame["loser"]).to_numpy()
    if same.any():
        first = int(np.flatnonzero(same)[0])
        line = first + (2 if file_format(path) in ("csv", "tsv") else 1)
        raise InvalidInput(
            f"{str(path)!r} line {line} compares item {frame['winner'].iloc[first]!r} with "
            f"itself ({int(same.sum())} row(s) like it): winner and loser must be two different "
            "items; drop those rows.",
            path=str(path),
            line=line,
        )
    return frame


def _counts(tasks: int, workers: int, answers: int, labels: int | None) -> dict[str, int]:
    found = {"answers": answers, "tasks": tasks, "workers": workers}
    return found if labels is None else found | {"labels": labels}


def _classifier(method: Method, seed: int) -> ClassificationAggregator:
    from crowdset.core.aggregation import (
        GLAD,
        MACE,
        DawidSkene,
        MajorityVote,
        OneCoinDawidSkene,
        WeightedMajorityVote,
    )

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
    import numpy as np
    import pandas as pd

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
    import pandas as pd

    from crowdset.formats.answers import read_answers

    table = read_answers(path, {"worker": mapping.get("worker", "worker")}, ("worker", "weight"))
    weights = pd.to_numeric(table["weight"], errors="coerce")
    if weights.isna().any():
        raise InvalidInput(f"{str(path)!r}: every weight must be a number.", path=str(path))
    return pd.Series(weights.to_numpy(), index=table["worker"], name="weight")


def _read_gold(
    path: Path, text: str | None, mapping: dict[str, str], answers: Answers
) -> pd.Series[Any]:
    import pandas as pd

    from crowdset.formats.answers import match_labels, parse_column_mapping, read_answers

    gold_mapping = (
        parse_column_mapping(text, ("task", "label"), option="--gold-columns")
        if text
        else {key: value for key, value in mapping.items() if key in ("task", "label")}
    )
    table = read_answers(path, gold_mapping, ("task", "label"), option="--gold-columns")
    like = pd.Series(answers.labels)
    values = match_labels(table["label"], like, what=f"labels in {str(path)!r}")
    return pd.Series(values.to_numpy(), index=table["task"], name="gold")


def _report(method: Method, counts: dict[str, int], iterations: int | None, output: Path) -> None:
    from rich.table import Table

    table = Table(title=f"crowdset aggregate --method {method}", show_header=False)
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    if iterations is not None:
        table.add_row("iterations", str(iterations))
    table.add_row("written to", str(output))
    console.print(table)
