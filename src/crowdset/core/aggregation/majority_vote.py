"""Majority vote and weighted majority vote."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from crowdset.core.aggregation._frames import (
    LABEL,
    WORKER,
    AnswerData,
    Answers,
    FloatArray,
    IntArray,
    best_codes,
    encode_answers,
    first_seen_ranks,
    per_worker,
    probas_frame,
    resolve_rng,
)
from crowdset.core.aggregation.base import ClassificationAggregator
from crowdset.errors import InvalidInput

TieBreak = Literal["first_seen", "smallest", "random"]


def vote_shares(answers: Answers, weights: FloatArray | None = None) -> FloatArray:
    """Each label's share of a task's (weighted) votes: a ``n_tasks × n_labels`` matrix.

    ``weights`` is one weight per answer; a task whose answers all weigh 0 falls back to its
    plain vote counts, so every row sums to 1.
    """
    cell = answers.task * answers.n_labels + answers.label
    size = answers.n_tasks * answers.n_labels
    shape = (answers.n_tasks, answers.n_labels)
    counts = np.bincount(cell, minlength=size).astype(np.float64).reshape(shape)
    if weights is not None:
        weighted = np.bincount(cell, weights=weights, minlength=size).reshape(shape)
        counts = np.where(weighted.sum(axis=1, keepdims=True) > 0, weighted, counts)
    shares: FloatArray = counts / counts.sum(axis=1, keepdims=True)
    return shares


def agreement(answers: Answers, labels: IntArray) -> pd.Series[float]:
    """Per worker, the share of their answers equal to the aggregated label of the task."""
    agree = (answers.label == labels[answers.task]).astype(np.float64)
    done = np.bincount(answers.worker, minlength=answers.n_workers)
    skills = np.bincount(answers.worker, weights=agree, minlength=answers.n_workers) / done
    return pd.Series(skills, index=answers.workers, name="skill")


@dataclass(eq=False)
class MajorityVote(ClassificationAggregator):
    """**Majority vote**: each task gets the label most of its workers gave.

    ``probas_`` holds each label's share of the votes; ``skills_`` is each worker's agreement
    with the result. ``tie_break`` decides a task whose top labels have the same number of
    votes:

    - ``"first_seen"`` (default): the tied label that appears first in the frame (the label of
      the earliest row anywhere in ``data``, not only in that task's rows). This is what
      crowd-kit 1.4.2's ``MajorityVote().fit(data)`` gives under pandas ≥ 3.0: it counts with
      ``data[["task", "label"]].value_counts()``, whose label level keeps the order of
      appearance, unstacks the labels as columns in that order and takes ``idxmax``, the first
      column of highest share. The result depends on row order, not only on the answers.
    - ``"smallest"``: the smallest tied label (sort order; order of appearance for labels that
      cannot be sorted). Independent of row order; what the same crowd-kit code gives under
      pandas < 3.0, whose ``value_counts`` sorts the labels.
    - ``"random"``: a tied label drawn uniformly with ``rng``.

    Reference: the baseline "MV" of Y. Zheng, G. Li, Y. Li, C. Shan, R. Cheng, *Truth Inference
    in Crowdsourcing: Is the Problem Solved?* PVLDB 10(5), 2017.
    """

    tie_break: TieBreak = "first_seen"
    rng: np.random.Generator | int | None = None

    skills_: pd.Series[float] = field(init=False, repr=False)

    def fit(self, data: AnswerData) -> Self:
        """Count the votes of an answer frame with columns ``task, worker, label``."""
        answers = encode_answers(data)
        return self._fit(answers, vote_shares(answers))

    def _fit(self, answers: Answers, shares: FloatArray) -> Self:
        if self.tie_break == "random":
            codes = best_codes(shares, resolve_rng(self.rng))
        elif self.tie_break == "first_seen":
            codes = best_codes(shares, preference=first_seen_ranks(answers))
        elif self.tie_break == "smallest":
            codes = best_codes(shares)
        else:
            raise InvalidInput(
                f"tie_break must be 'first_seen', 'smallest' or 'random'; got {self.tie_break!r}."
            )
        self.probas_ = probas_frame(shares, answers)
        self.labels_ = pd.Series(answers.labels.take(codes).array, index=answers.tasks, name=LABEL)
        self.skills_ = agreement(answers, codes)
        return self


@dataclass(eq=False)
class WeightedMajorityVote(MajorityVote):
    """**Weighted majority vote**: each answer counts with its worker's weight.

    ``fit(data, weights)`` takes a Series worker → weight (≥ 0; e.g. skills estimated by
    ``DawidSkene().skills_`` or accuracies on gold tasks). Workers missing from ``weights`` get
    ``default_weight``, or raise ``InvalidInput`` when it is ``None``. A task whose workers all
    weigh 0 falls back to its plain vote. Equivalent to crowd-kit's
    ``MajorityVote().fit(data, skills)``, ties included: crowd-kit sums the weights with a
    sorted ``groupby``, so a tie goes to the smallest label, hence ``tie_break="smallest"`` by
    default here (``"first_seen"`` and ``"random"`` as in :class:`MajorityVote`).

    Reference: weighted voting as in Zheng et al., PVLDB 10(5), 2017, and L. I. Kuncheva,
    *Combining Pattern Classifiers*, Wiley 2004, §4.2 (weighted majority vote).
    """

    tie_break: TieBreak = "smallest"
    default_weight: float | None = None

    def fit(self, data: AnswerData, weights: pd.Series[Any] | None = None) -> Self:
        """Sum each label's weights per task; ``weights`` is a Series indexed by worker."""
        answers = encode_answers(data)
        per = per_worker(answers, weights, name="weight", default=self.default_weight)
        if (per < 0).any() or not np.isfinite(per).all():
            bad = answers.workers[(per < 0) | ~np.isfinite(per)][:3].tolist()
            raise InvalidInput(
                f"weights must be finite and ≥ 0; {WORKER}s {bad} have others.", workers=bad
            )
        return self._fit(answers, vote_shares(answers, per[answers.worker]))

    def fit_predict(
        self, data: AnswerData, weights: pd.Series[Any] | None = None
    ) -> pd.Series[Any]:
        """Fit with ``weights``, then return ``labels_``."""
        return self.fit(data, weights).labels_

    def fit_predict_proba(
        self, data: AnswerData, weights: pd.Series[Any] | None = None
    ) -> pd.DataFrame:
        """Fit with ``weights``, then return ``probas_``."""
        return self.fit(data, weights).probas_
