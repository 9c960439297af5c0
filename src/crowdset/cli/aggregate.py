"""``crowdset aggregate``: truth inference on an answer file, written as task, label, confidence
(or, for pairwise comparisons, as item, score, stderr, rank; for spans, one JSON line per
text)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crowdset.cli.common import console
from crowdset.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from crowdset.core.aggregation import Answers, ClassificationAggregator, SpanAggregator
    from crowdset.formats.spans import SpanFile

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
    span_mv = "span-mv"
    token_ds = "token-ds"
    hmm = "hmm"


class Tokens(StrEnum):
    """How span texts are cut into tokens (see crowdset.core.aggregation.sequences)."""

    words = "words"
    whitespace = "whitespace"


RATING_METHODS = frozenset({Method.mean, Method.zmean})
PAIRWISE_METHODS = frozenset({Method.bt, Method.crowdbt})
PAIRWISE_COLUMNS = ("winner", "loser", "worker")
SPAN_METHODS = frozenset({Method.span_mv, Method.token_ds, Method.hmm})
SPAN_COLUMNS = ("text", "worker", "spans")
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
        "Spans (a .jsonl file, one worker's annotation of one text per line: text, worker, "
        "spans = a list of {start, end, label} character offsets, end exclusive): span-mv "
        "majority vote per token; token-ds Dawid-Skene per token; hmm HMM-Crowd (Nguyen et al. "
        "2017), which also learns which tag follows which. Texts are cut into tokens (--tokens "
        "words: words and punctuation; whitespace: runs of non-spaces), spans are widened to "
        "whole tokens and read as BIO tags. --output (.jsonl) gets one line per text: text, "
        "spans with a confidence each, and tokens with their tag and confidence.",
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
            "(bt, crowdbt: winner=…,loser=…,worker=…; spans: text=…,worker=…,spans=…).",
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
    tokens: Annotated[
        Tokens | None,
        typer.Option(
            help="Span methods: how texts are cut into tokens (default: words).",
            show_default=False,
        ),
    ] = None,
    merge_overlaps: Annotated[
        bool,
        typer.Option(
            "--merge-overlaps",
            help="Span methods: unite overlapping spans of one label within an annotation "
            "(else they are an error).",
        ),
    ] = False,
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
    elif method in SPAN_METHODS:
        mapping = parse_column_mapping(columns, SPAN_COLUMNS)
    else:
        mapping = parse_column_mapping(columns)
    if gold is not None and method not in GOLD_METHODS:
        raise InvalidInput(f"--gold works with {', '.join(sorted(GOLD_METHODS))}, not {method}.")
    if weights is not None and method not in WEIGHT_METHODS:
        raise InvalidInput(
            f"--weights works with {', '.join(sorted(WEIGHT_METHODS))}, not {method}."
        )

    if (tokens is not None or merge_overlaps) and method not in SPAN_METHODS:
        option = "--tokens" if tokens is not None else "--merge-overlaps"
        raise InvalidInput(
            f"{option} works with the span methods ({', '.join(sorted(SPAN_METHODS))}), "
            f"not {method}."
        )

    if method in PAIRWISE_METHODS:
        _rank_items(answers, method, mapping, output)
        return
    if method in SPAN_METHODS:
        _aggregate_spans(answers, method, mapping, output, tokens or Tokens.words, merge_overlaps)
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


def _aggregate_spans(
    path: Path,
    method: Method,
    mapping: dict[str, str],
    output: Path,
    tokens: Tokens,
    merge_overlaps: bool,
) -> None:
    """``span-mv``, ``token-ds`` and ``hmm``: one JSON line of aggregated spans per text."""
    from crowdset.core.aggregation import HMMCrowd, SpanMajorityVote, TokenDawidSkene
    from crowdset.formats.spans import read_span_annotations, write_span_results

    if output.suffix.lower() != ".jsonl":  # before the fit, not after it
        raise InvalidInput(
            f"span results are written as JSON Lines: give --output a .jsonl name; got "
            f"{str(output)!r}.",
            path=str(output),
        )
    found = read_span_annotations(path, mapping)
    frame, words, bounds = _tag_frame(found, path, tokens, merge_overlaps)
    models: dict[Method, SpanAggregator] = {
        Method.span_mv: SpanMajorityVote(),
        Method.token_ds: TokenDawidSkene(),
        Method.hmm: HMMCrowd(),
    }
    model = models[method]
    model.fit(frame, words)  # only hmm reads the words
    write_span_results(_span_rows(model, found.texts, bounds), output)
    counts = {
        "annotations": len(found.annotations),
        "texts": len(found.texts),
        "workers": len({annotation.worker for annotation in found.annotations}),
        "tokens": sum(len(text_bounds) for text_bounds in bounds),
        "spans written": int(model.spans_.map(len).sum()),
    }
    _report(method, counts, getattr(model, "n_iter_", None), output)


def _tag_frame(
    found: SpanFile, path: Path, tokens: Tokens, merge_overlaps: bool
) -> tuple[pd.DataFrame, pd.Series[Any], list[list[tuple[int, int]]]]:
    """The ``sequence, worker, tags`` frame of a span file (sequence = text number), each
    text's words and its token bounds."""
    import pandas as pd

    from crowdset.core.aggregation import spans_to_tags, tokenize

    bounds = [tokenize(text, tokens.value) for text in found.texts]
    for number, text_bounds in enumerate(bounds):
        if not text_bounds:
            line = next(a.line for a in found.annotations if a.text == number)
            raise InvalidInput(
                f"{str(path)!r} line {line}: the text {found.texts[number]!r} has no tokens "
                f"(--tokens {tokens.value}); there is nothing to tag.",
                path=str(path),
                line=line,
            )
    rows = []
    for annotation in found.annotations:
        try:
            tags = spans_to_tags(
                annotation.spans, bounds[annotation.text], merge_overlaps=merge_overlaps
            )
        except InvalidInput as error:
            hint = "" if merge_overlaps else " (--merge-overlaps unites spans of one label)"
            raise InvalidInput(
                f"{str(path)!r} line {annotation.line}: {error.message}{hint}",
                path=str(path),
                line=annotation.line,
            ) from None
        rows.append((annotation.text, annotation.worker, tags))
    frame = pd.DataFrame(rows, columns=["sequence", "worker", "tags"])
    words = pd.Series(
        [[text[start:end] for start, end in b] for text, b in zip(found.texts, bounds, strict=True)]
    )
    return frame, words, bounds


def _span_rows(
    model: SpanAggregator, texts: list[str], bounds: list[list[tuple[int, int]]]
) -> list[dict[str, Any]]:
    """One output object per text: its spans (characters) and its tokens, with confidences."""
    from crowdset.core.aggregation import token_spans_to_chars

    sure_by_text: dict[Any, Any] = {}
    values, position = model.confidences_.to_numpy(), 0
    for number, tags in model.tags_.items():  # confidences_ follow the order of tags_
        sure_by_text[number] = values[position : position + len(tags)]
        position += len(tags)
    rows = []
    for number, text in enumerate(texts):
        tags, sure = model.tags_[number], sure_by_text[number]
        spans = [
            {
                "start": chars.start,
                "end": chars.end,
                "label": chars.label,
                "confidence": round(float(sure[span.start : span.end].mean()), 4),
            }
            for span, chars in zip(
                model.spans_[number],
                token_spans_to_chars(model.spans_[number], bounds[number]),
                strict=True,
            )
        ]
        token_rows = [
            {"start": start, "end": end, "tag": tag, "confidence": round(float(p), 4)}
            for (start, end), tag, p in zip(bounds[number], tags, sure, strict=True)
        ]
        rows.append({"text": text, "spans": spans, "tokens": token_rows})
    return rows


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
