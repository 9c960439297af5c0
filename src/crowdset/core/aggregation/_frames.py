"""Answer frames: up-front column checks and the factorisation every aggregator shares.

An answer frame has one row per worker answer with the columns ``task``, ``worker`` and
``label`` (for ratings, ``label`` is numeric). Tasks, workers and labels may be any hashable
values; they are factorised once into integer codes so that the algorithms work on NumPy arrays
and never loop over tasks in Python.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crowdset.errors import InvalidInput

TASK = "task"
WORKER = "worker"
LABEL = "label"
ANSWER_COLUMNS: tuple[str, str, str] = (TASK, WORKER, LABEL)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def require_columns(
    data: object, columns: Sequence[str] = ANSWER_COLUMNS, *, what: str = "answers"
) -> pd.DataFrame:
    """Check that ``data`` is a non-empty frame with ``columns`` and no empty cells in them.

    Raises ``InvalidInput`` naming the missing columns and the columns present (never a bare
    ``KeyError``), or the first row with an empty cell. Returns the frame restricted to
    ``columns``.
    """
    if not isinstance(data, pd.DataFrame):
        raise InvalidInput(
            f"{what} must be a pandas DataFrame with columns {', '.join(columns)}; "
            f"got {type(data).__name__}.",
            expected=list(columns),
        )
    present = [str(column) for column in data.columns]
    missing = [column for column in columns if column not in data.columns]
    if missing:
        raise InvalidInput(
            f"{what} frame is missing column(s) {', '.join(missing)}; columns present: "
            f"{', '.join(present) or 'none'}. Rename yours to {', '.join(columns)}, "
            f"e.g. data.rename(columns={{'question': 'task'}}).",
            missing=missing,
            present=present,
        )
    frame = data.loc[:, list(columns)]
    if frame.empty:
        raise InvalidInput(f"{what} frame has no rows: there is nothing to aggregate.")
    empty = frame.isna().to_numpy().any(axis=1)
    if empty.any():
        first = int(np.flatnonzero(empty)[0])
        row = frame.iloc[first]
        blank = [column for column in columns if pd.isna(row[column])]
        raise InvalidInput(
            f"{what} frame has {int(empty.sum())} row(s) with an empty "
            f"{' / '.join(blank)}; the first is at index {frame.index[first]!r}. "
            "Drop or fill those rows first.",
            rows=int(empty.sum()),
        )
    return frame


def factorize(values: pd.Series[Any], *, sort: bool) -> tuple[IntArray, pd.Index[Any]]:
    """Integer codes and unique values; sorted when ``sort`` and the values are comparable."""
    if sort:
        try:
            codes, uniques = pd.factorize(values, sort=True)
        except TypeError:  # mixed types (e.g. 1 and "a") cannot be ordered: keep appearance
            codes, uniques = pd.factorize(values, sort=False)
    else:
        codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.intp, copy=False), pd.Index(uniques)


@dataclass(frozen=True)
class Answers:
    """An answer frame as integer codes: ``task[i]``, ``worker[i]``, ``label[i]`` per answer.

    ``tasks`` and ``workers`` keep the order of first appearance; ``labels`` are sorted when
    they can be (so ties break towards the smallest label unless a model says otherwise).
    """

    task: IntArray
    worker: IntArray
    label: IntArray
    tasks: pd.Index[Any]
    workers: pd.Index[Any]
    labels: pd.Index[Any]

    @property
    def n_answers(self) -> int:
        return int(self.task.size)

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def n_workers(self) -> int:
        return len(self.workers)

    @property
    def n_labels(self) -> int:
        return len(self.labels)


AnswerData = pd.DataFrame | Answers
"""What a classification model fits on: a ``task, worker, label`` frame, or its codes."""


def encode_answers(data: object, *, extra_labels: Iterable[Hashable] = ()) -> Answers:
    """Validate an answer frame and factorise it; ``extra_labels`` join the label set.

    Answers already encoded (:class:`Answers`, e.g. read straight from a file by
    ``crowdset.formats.answer_codes``) are taken as they are: a caller that fits several
    models, or one that read millions of answers, factorises them once.
    """
    if isinstance(data, Answers):
        return _with_labels(data, extra_labels)
    frame = require_columns(data)
    task, tasks = factorize(frame[TASK], sort=False)
    worker, workers = factorize(frame[WORKER], sort=False)
    extra = pd.Series(list(extra_labels), dtype=object)
    if extra.empty:
        label, labels = factorize(frame[LABEL], sort=True)
    else:
        every = pd.concat([frame[LABEL].astype(object), extra], ignore_index=True)
        codes, labels = factorize(every, sort=True)
        label = codes[: len(frame)]
    return Answers(
        task=task,
        worker=worker,
        label=label,
        tasks=tasks.rename(TASK),
        workers=workers.rename(WORKER),
        labels=labels.rename(LABEL),
    )


def _with_labels(answers: Answers, extra_labels: Iterable[Hashable]) -> Answers:
    """``answers`` with ``extra_labels`` in its label set (sorted when they can be)."""
    if answers.n_answers == 0:
        raise InvalidInput("answers have no rows: there is nothing to aggregate.")
    known = answers.labels
    extra = pd.Index(list(extra_labels), dtype=object)
    new = extra[~extra.isin(known.astype(object))].unique()
    if new.empty:
        return answers
    _, labels = factorize(pd.Series([*known.astype(object), *new], dtype=object), sort=True)
    recode = labels.get_indexer(known).astype(np.intp)
    return replace(answers, label=recode[answers.label], labels=labels.rename(LABEL))


def numeric_ratings(data: object) -> tuple[Answers, FloatArray]:
    """Validate a rating frame: like :func:`encode_answers`, plus the ratings as floats."""
    frame = require_columns(data, what="ratings")
    label = frame[LABEL]
    if not pd.api.types.is_numeric_dtype(label) or pd.api.types.is_bool_dtype(label):
        sample = frame[LABEL].iloc[0]
        raise InvalidInput(
            f"ratings need a numeric label column; got dtype {frame[LABEL].dtype} "
            f"(first value {sample!r}). Convert it first, e.g. pd.to_numeric(data['label']).",
            dtype=str(frame[LABEL].dtype),
        )
    ratings = frame[LABEL].to_numpy(dtype=np.float64)
    if not np.isfinite(ratings).all():
        raise InvalidInput("ratings must be finite numbers; found inf.")
    task, tasks = factorize(frame[TASK], sort=False)
    worker, workers = factorize(frame[WORKER], sort=False)
    empty: pd.Index[Any] = pd.Index([], name=LABEL)
    answers = Answers(
        task=task,
        worker=worker,
        label=np.zeros_like(task),
        tasks=tasks.rename(TASK),
        workers=workers.rename(WORKER),
        labels=empty,
    )
    return answers, ratings


def per_worker(
    answers: Answers, values: pd.Series[Any] | None, *, name: str, default: float | None
) -> FloatArray:
    """A per-worker number (weight, skill) as an array aligned with ``answers.workers``.

    Workers missing from ``values`` get ``default``; with ``default=None`` they are an error
    that names how many are missing and a few of them.
    """
    if values is None:
        if default is None:
            raise InvalidInput(f"{name}s are required: pass a Series indexed by worker.")
        return np.full(answers.n_workers, float(default))
    if not isinstance(values, pd.Series):
        raise InvalidInput(
            f"{name}s must be a pandas Series indexed by worker; got {type(values).__name__}."
        )
    if values.index.has_duplicates:
        dupes = values.index[values.index.duplicated()].unique()[:3].tolist()
        raise InvalidInput(f"{name}s list some workers twice, e.g. {dupes}.", workers=dupes)
    try:
        numbers = pd.to_numeric(values)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{name}s must be numbers: {error}.") from error
    aligned = numbers.reindex(answers.workers).to_numpy(dtype=np.float64, copy=True)
    missing = np.isnan(aligned)
    if missing.any():
        if default is None:
            names = answers.workers[missing][:3].tolist()
            raise InvalidInput(
                f"{int(missing.sum())} worker(s) have no {name}, e.g. {names}; give every "
                f"worker a {name} or set default_{name}.",
                workers=names,
            )
        aligned[missing] = float(default)
    return aligned


def gold_codes(answers: Answers, true_labels: pd.Series[Any] | None) -> tuple[IntArray, IntArray]:
    """Task and label codes of the gold labels whose task is in ``answers`` (others ignored)."""
    if true_labels is None:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    rows = answers.tasks.get_indexer(true_labels.index)
    known = rows >= 0
    cols = answers.labels.get_indexer(pd.Index(true_labels.to_numpy()[known]))
    return rows[known].astype(np.intp), cols.astype(np.intp)


def check_gold(true_labels: object) -> pd.Series[Any] | None:
    """Validate gold labels: a Series task → true label with one label per task."""
    if true_labels is None:
        return None
    if not isinstance(true_labels, pd.Series):
        raise InvalidInput(
            "gold labels must be a pandas Series indexed by task with the true label as value; "
            f"got {type(true_labels).__name__}."
        )
    gold = true_labels.dropna()
    if gold.index.has_duplicates:
        dupes = gold.index[gold.index.duplicated()].unique()[:3].tolist()
        raise InvalidInput(f"gold labels list some tasks twice, e.g. {dupes}.", tasks=dupes)
    return gold


def probas_frame(probas: FloatArray, answers: Answers) -> pd.DataFrame:
    """Posterior matrix as a frame: index ``task``, one column per label."""
    return pd.DataFrame(probas, index=answers.tasks, columns=answers.labels)


def best_codes(
    probas: FloatArray,
    rng: np.random.Generator | None = None,
    *,
    preference: IntArray | None = None,
) -> IntArray:
    """Column of highest probability per row.

    Ties go to the first column (the smallest label, when labels sort); with ``preference``
    (one rank per column, lower wins) to the tied column of lowest rank; with ``rng`` they are
    broken uniformly at random instead.
    """
    if rng is not None:
        tied = probas >= probas.max(axis=1, keepdims=True) - 1e-12
        probas = np.where(tied, rng.random(probas.shape), -1.0)
    elif preference is not None:
        tied = probas == probas.max(axis=1, keepdims=True)
        ranks = np.where(tied, preference[np.newaxis, :], probas.shape[1])
        first: IntArray = np.asarray(ranks.argmin(axis=1), dtype=np.intp)
        return first
    codes: IntArray = np.asarray(probas.argmax(axis=1), dtype=np.intp)
    return codes


def first_seen_ranks(answers: Answers) -> IntArray:
    """Per label code, its rank in order of first appearance in the answer frame (0 = the
    label of the first row)."""
    ranks = np.full(answers.n_labels, answers.n_labels, dtype=np.intp)
    order = pd.unique(answers.label)
    ranks[order] = np.arange(order.size, dtype=np.intp)
    return ranks


def most_probable(
    probas: FloatArray, answers: Answers, rng: np.random.Generator | None = None
) -> pd.Series[Any]:
    """The label of highest probability per task (ties as in :func:`best_codes`)."""
    best = best_codes(probas, rng)
    return pd.Series(answers.labels.take(best).array, index=answers.tasks, name=LABEL)


def sum_by(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """``out[k] = Σ weights[index == k]`` for ``k < size`` (a typed ``np.bincount``)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64, copy=False)


def normalize_log_rows(log_scores: FloatArray, *, overwrite: bool = False) -> FloatArray:
    """Rows of log-scores to probabilities (a softmax per row).

    Likelihoods are products of many probabilities and underflow to 0 for tasks with many
    answers, so callers sum logs instead; shifting each row by its maximum before ``exp`` keeps
    the largest term at 1 and the normalisation exact. With ``overwrite`` the result takes the
    place of ``log_scores`` (no new array: at a million tasks each one costs more than the
    arithmetic).
    """
    shifted = log_scores if overwrite else log_scores.copy()
    shifted -= shifted.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def resolve_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """An explicit generator (never NumPy's global one) from a seed, a generator or None."""
    return np.random.default_rng(rng)
