"""Dawid–Skene: one confusion matrix per worker, fitted by EM, fully vectorised."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd

from crowdset.core.aggregation._design import AnswerDesign
from crowdset.core.aggregation._frames import (
    LABEL,
    WORKER,
    AnswerData,
    FloatArray,
    IntArray,
    check_gold,
    encode_answers,
    gold_codes,
    most_probable,
    normalize_log_rows,
    probas_frame,
)
from crowdset.core.aggregation.base import ClassificationAggregator
from crowdset.core.aggregation.majority_vote import vote_shares

EPS = 1e-10  # floor of probabilities before a log, as in crowd-kit


def clamp_gold(probas: FloatArray, gold: tuple[IntArray, IntArray]) -> None:
    """Set the posterior of each gold task to its known label (in place)."""
    rows, cols = gold
    if rows.size:
        probas[rows] = 0.0
        probas[rows, cols] = 1.0


def evidence_lower_bound(
    counts: FloatArray,
    log_errors: FloatArray,
    priors: FloatArray,
    probas: FloatArray,
    scratch: tuple[FloatArray, FloatArray] | None = None,
) -> float:
    """crowd-kit's Dawid–Skene objective: expected complete log-likelihood plus entropy.

    ``Σ_answers Σ_c q_tc (log e_w[l, c] + log p_c) − Σ_tc q_tc log q_tc``, where the first sum
    is taken over pairs: ``Σ_pc counts_pc (log e_pc + log p_c)`` with the expected
    ``counts = Σ_{answers in pair p} q_t``. As in crowd-kit 1.4.2 the prior term is counted once
    per *answer*; it is kept so that the convergence test (and so the iteration count) agrees
    with crowd-kit's. ``scratch``: two arrays shaped like ``probas`` to compute the entropy in
    (a fit calls this once per iteration, and at a million tasks a new array costs more than
    the arithmetic).
    """
    joint = float((counts * log_errors).sum())
    joint += float(counts.sum(axis=0) @ np.log(np.maximum(priors, EPS)))
    clipped, terms = (
        scratch if scratch is not None else (np.empty_like(probas), np.empty_like(probas))
    )
    np.maximum(probas, EPS, out=clipped)
    np.log(clipped, out=terms)
    terms *= clipped
    return joint - float(terms.sum())


@dataclass(eq=False)
class DawidSkene(ClassificationAggregator):
    """**Dawid–Skene**: each worker has a confusion matrix ``e_w[answered, true]``; EM fits them.

    A. P. Dawid and A. M. Skene, *Maximum Likelihood Estimation of Observer Error-Rates Using
    the EM Algorithm*, Journal of the Royal Statistical Society C 28(1), 20–28, 1979.

    Initialisation, updates and stopping follow crowd-kit 1.4.2's ``DawidSkene`` so that labels
    and iteration counts agree: the posteriors start at the majority-vote shares; each
    iteration runs the E-step (posterior ``q_tc ∝ p_c Π_answers e_w[l, c]``, in log space),
    the priors ``p = mean_t q_t`` and the M-step (expected confusion counts, floored at 1e-10,
    normalised per worker and true label). It stops after ``n_iter`` iterations or as soon as
    the objective (per answer, see :func:`evidence_lower_bound`) gains less than ``tol``;
    ``loss_history_`` holds the objective per iteration and ``n_iter_`` their number.

    ``fit(data, true_labels)`` accepts gold labels (a Series task → true label): their
    posteriors are clamped to the known label after every E-step. Gold tasks absent from
    ``data`` are ignored.

    A limit of the model, shared with crowd-kit: a worker who has only ever given one label
    ``l`` gets ``e_w[l, c] = 1`` for every true ``c`` (the maximum-likelihood estimate), so
    their answers carry no information, and a task answered only by such workers gets the
    prior's favourite label even when its answers agree. :class:`OneCoinDawidSkene` does not
    have this blind spot.

    Fitted: ``labels_``, ``probas_``, ``priors_`` (Series label → prior), ``errors_``
    (DataFrame indexed by (worker, answered label) for observed pairs, one column per true
    label, columns summing to 1 per worker), ``skills_`` (per worker, expected accuracy
    ``Σ_c p_c e_w[c, c]``), ``loss_history_``, ``n_iter_``.
    """

    n_iter: int = 100
    tol: float = 1e-5

    priors_: pd.Series[float] = field(init=False, repr=False)
    errors_: pd.DataFrame = field(init=False, repr=False)
    skills_: pd.Series[float] = field(init=False, repr=False)
    loss_history_: list[float] = field(init=False, repr=False)
    n_iter_: int = field(init=False, repr=False)

    def fit(self, data: AnswerData, true_labels: pd.Series[Any] | None = None) -> Self:
        """Run EM on an answer frame; ``true_labels`` are optional gold labels per task."""
        gold_series = check_gold(true_labels)
        extra = () if gold_series is None else gold_series.unique()
        answers = encode_answers(data, extra_labels=extra)
        design = AnswerDesign.build(answers)
        gold = gold_codes(answers, gold_series)

        probas = vote_shares(answers)
        clamp_gold(probas, gold)
        priors = probas.mean(axis=0)
        errors = self._m_step(design, design.confusion_counts(probas))
        log_lik = design.log_likelihoods(np.log(errors))
        # n_tasks × K arrays are reused from one iteration to the next (see log_likelihoods)
        spare, scratch = np.empty_like(log_lik), (np.empty_like(log_lik), np.empty_like(log_lik))
        loss = -np.inf
        self.loss_history_ = []
        for _ in range(self.n_iter):
            log_lik += np.log(np.maximum(priors, EPS))  # log_lik is recomputed below
            probas = normalize_log_rows(log_lik, overwrite=True)
            clamp_gold(probas, gold)
            priors = probas.mean(axis=0)
            counts = design.confusion_counts(probas)
            errors = self._m_step(design, counts)
            log_errors = np.log(errors)
            new_loss = evidence_lower_bound(counts, log_errors, priors, probas, scratch)
            new_loss /= answers.n_answers
            self.loss_history_.append(new_loss)
            if new_loss - loss < self.tol:
                break
            loss = new_loss
            # the next E-step's sums, only when there is a next iteration: at a million tasks
            # one of these costs as much as the rest of the iteration
            log_lik = design.log_likelihoods(log_errors, out=spare)
            spare = probas

        self.n_iter_ = len(self.loss_history_)
        self.probas_ = probas_frame(probas, answers)
        self.labels_ = most_probable(probas, answers)
        self.priors_ = pd.Series(priors, index=answers.labels, name="prior")
        self.errors_ = pd.DataFrame(
            errors,
            index=pd.MultiIndex.from_arrays(
                [
                    answers.workers.take(design.pair_worker),
                    answers.labels.take(design.pair_label),
                ],
                names=[WORKER, LABEL],
            ),
            columns=answers.labels,
        )
        self.skills_ = self._skills(design, errors, priors)
        return self

    def _m_step(self, design: AnswerDesign, counts: FloatArray) -> FloatArray:
        """Confusion matrices from the expected ``counts`` of each (worker, answered label)
        pair per true label: ``e_w[l, c] ∝ max(counts, 1e-10)``, normalised per worker and
        ``c``."""
        floored = np.maximum(counts, EPS)
        totals = design.per_worker_totals(floored)
        errors: FloatArray = floored / totals[design.pair_worker]
        return errors

    def _skills(
        self, design: AnswerDesign, errors: FloatArray, priors: FloatArray
    ) -> pd.Series[float]:
        diagonal = errors[np.arange(design.pair_label.size), design.pair_label]
        skills = np.bincount(
            design.pair_worker,
            weights=priors[design.pair_label] * diagonal,
            minlength=design.answers.n_workers,
        )
        return pd.Series(skills, index=design.answers.workers, name="skill")

    def fit_predict(
        self, data: AnswerData, true_labels: pd.Series[Any] | None = None
    ) -> pd.Series[Any]:
        """Fit (with optional gold labels), then return ``labels_``."""
        return self.fit(data, true_labels).labels_

    def fit_predict_proba(
        self, data: AnswerData, true_labels: pd.Series[Any] | None = None
    ) -> pd.DataFrame:
        """Fit (with optional gold labels), then return ``probas_``."""
        return self.fit(data, true_labels).probas_
