"""Majority vote and weighted majority vote."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from crowdset.core.aggregation._frames import (
    LABEL,
    WORKER,
    Answers,
    FloatArray,
    IntArray,
    best_codes,
    encode_answers,
    per_worker,
    probas_frame,
    resolve_rng,
)
from crowdset.core.aggregation.base import ClassificationAggregator
from crowdset.errors import InvalidInput

TieBreak = Literal["smallest", "random"]


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

    ``probas_`` holds each label's share of the votes. Ties go to the smallest label (the first
    in sort order, as in crowd-kit's ``MajorityVote``) or, with ``tie_break="random"``, to a
    tied label drawn with ``rng``. ``skills_`` is each worker's agreement with the result.

    Reference: the baseline "MV" of Y. Zheng, G. Li, Y. Li, C. Shan, R. Cheng, *Truth Inference
    in Crowdsourcing: Is the Problem Solved?* PVLDB 10(5), 2017.
    """

    tie_break: TieBreak = "smallest"
    rng: np.random.Generator | int | None = None

    skills_: pd.Series[float] = field(init=False, repr=False)

    def fit(self, data: pd.DataFrame) -> Self:
        """Count the votes of an answer frame with columns ``task, worker, label``."""
        answers = encode_answers(data)
        return self._fit(answers, vote_shares(answers))

    def _fit(self, answers: Answers, shares: FloatArray) -> Self:
        rng = resolve_rng(self.rng) if self.tie_break == "random" else None
        codes = best_codes(shares, rng)
        self.probas_ = probas_frame(shares, answers)
        self.labels_ = pd.Series(
            answers.labels.take(codes).to_numpy(), index=answers.tasks, name=LABEL
        )
        self.skills_ = agreement(answers, codes)
        return self


@dataclass(eq=False)
class WeightedMajorityVote(MajorityVote):
    """**Weighted majority vote**: each answer counts with its worker's weight.

    ``fit(data, weights)`` takes a Series worker → weight (≥ 0; e.g. skills estimated by
    ``DawidSkene().skills_`` or accuracies on gold tasks). Workers missing from ``weights`` get
    ``default_weight``, or raise ``InvalidInput`` when it is ``None``. A task whose workers all
    weigh 0 falls back to its plain vote. Equivalent to crowd-kit's
    ``MajorityVote().fit(data, skills)``.

    Reference: weighted voting as in Zheng et al., PVLDB 10(5), 2017, and L. I. Kuncheva,
    *Combining Pattern Classifiers*, Wiley 2004, §4.2 (weighted majority vote).
    """

    default_weight: float | None = None

    def fit(self, data: pd.DataFrame, weights: pd.Series[Any] | None = None) -> Self:
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
        self, data: pd.DataFrame, weights: pd.Series[Any] | None = None
    ) -> pd.Series[Any]:
        """Fit with ``weights``, then return ``labels_``."""
        return self.fit(data, weights).labels_

    def fit_predict_proba(
        self, data: pd.DataFrame, weights: pd.Series[Any] | None = None
    ) -> pd.DataFrame:
        """Fit with ``weights``, then return ``probas_``."""
        return self.fit(data, weights).probas_
