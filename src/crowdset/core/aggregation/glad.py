"""GLAD: worker abilities and task difficulties, fitted by EM with a conjugate-gradient M-step."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd

from crowdset.core.aggregation._frames import (
    LABEL,
    AnswerData,
    Answers,
    FloatArray,
    encode_answers,
    most_probable,
    normalize_log_rows,
    probas_frame,
)
from crowdset.core.aggregation.base import ClassificationAggregator
from crowdset.errors import InvalidInput

_LOG_2PI = math.log(2.0 * math.pi)


def log_sigmoid(x: FloatArray) -> FloatArray:
    """``log σ(x) = min(x, 0) − log(1 + e^{−|x|})``: no overflow and no ``log 0`` for any
    ``x``. (``log`` rather than ``log1p``: several times faster here, and ``1 + e^{−|x|}``
    loses at most 2e-16 in absolute terms.)"""
    result: FloatArray = np.minimum(x, 0.0) - np.log(1.0 + np.exp(-np.abs(x)))
    return result


@dataclass
class _State:
    """Parameters of one GLAD fit: abilities ``alpha`` (per worker), log inverse
    difficulties ``beta`` (per task; the inverse difficulty is ``exp(beta) > 0``)."""

    answers: Answers
    log_priors: FloatArray
    alpha_mean: float
    beta_mean: float

    def agreement_logs(self, alpha: FloatArray, beta: FloatArray) -> tuple[FloatArray, ...]:
        """Per answer, with ``x = α_w·exp(β_t)``: ``exp(β_t)``, ``log σ(x)`` and
        ``log((1 − σ(x))/(K − 1))``, using ``log(1 − σ(x)) = log σ(x) − x``."""
        a = self.answers
        inverse_difficulty = np.exp(beta)[a.task]
        x = alpha[a.worker] * inverse_difficulty
        right = log_sigmoid(x)
        return inverse_difficulty, right, right - x - math.log(a.n_labels - 1)

    def e_step(self, alpha: FloatArray, beta: FloatArray) -> FloatArray:
        """Posterior of each label per task, accumulated in log space (products underflow)."""
        a = self.answers
        _, right, wrong = self.agreement_logs(alpha, beta)
        log_post = np.bincount(a.task, weights=wrong, minlength=a.n_tasks)[:, np.newaxis]
        log_post = log_post + np.bincount(
            a.task * a.n_labels + a.label,
            weights=right - wrong,
            minlength=a.n_tasks * a.n_labels,
        ).reshape(a.n_tasks, a.n_labels)
        return normalize_log_rows(log_post + self.log_priors)

    def q_and_grad(self, point: FloatArray, given: FloatArray) -> tuple[float, FloatArray]:
        """The M-step objective ``Q`` (expected log-likelihood plus N(mean, 1) priors on α and
        β) and its gradient; ``given`` is the posterior of the label each answer gave."""
        a = self.answers
        alpha, beta = point[: a.n_workers], point[a.n_workers :]
        inverse_difficulty, right, wrong = self.agreement_logs(alpha, beta)
        q = float(given @ right + (1.0 - given) @ wrong)
        q -= 0.5 * float((alpha - self.alpha_mean) @ (alpha - self.alpha_mean))
        q -= 0.5 * float((beta - self.beta_mean) @ (beta - self.beta_mean))
        q -= 0.5 * (a.n_workers + a.n_tasks) * _LOG_2PI
        # dQ/dx = q − σ(x); dx/dα = exp(β); dx/dβ = α·exp(β)
        slope = (given - np.exp(right)) * inverse_difficulty
        d_alpha = np.bincount(a.worker, weights=slope, minlength=a.n_workers)
        d_beta = np.bincount(a.task, weights=slope * alpha[a.worker], minlength=a.n_tasks)
        grad = np.concatenate(
            [d_alpha - (alpha - self.alpha_mean), d_beta - (beta - self.beta_mean)]
        )
        return q, grad


@dataclass(eq=False)
class GLAD(ClassificationAggregator):
    """**GLAD** (Generative model of Labels, Abilities and Difficulties): worker ``w`` answers
    task ``t`` correctly with probability ``σ(α_w·exp(β_t))``, otherwise picks one of the
    ``K − 1`` wrong labels uniformly.

    J. Whitehill, P. Ruvolo, T. Wu, J. Bergsma and J. Movellan, *Whose Vote Should Count More:
    Optimal Integration of Labels from Labelers of Unknown Expertise*, NIPS 2009.

    The fit follows crowd-kit 1.4.2's ``GLAD`` (same parametrisation ``β → exp(β)``, priors
    ``α ~ N(alpha_prior_mean, 1)``, ``β ~ N(beta_prior_mean, 1)``, fixed label priors, start at
    ``α = β = 1``). Each EM iteration runs the E-step (posteriors, in log space), then
    maximises ``Q`` with SciPy's conjugate gradient (at most ``m_step_max_iter`` iterations,
    tolerance ``m_step_tol``). ``loss_history_`` holds ``Q`` divided by ``answers × K`` (as in
    crowd-kit); EM stops after ``n_iter`` iterations or when ``Q`` gains less than ``tol``.

    Fitted: ``labels_``, ``probas_``, ``alphas_`` (Series worker → ability α), ``betas_``
    (Series task → β; inverse difficulty ``exp(β)``), ``priors_``, ``loss_history_``,
    ``n_iter_``.
    """

    n_iter: int = 100
    tol: float = 1e-5
    m_step_max_iter: int = 25
    m_step_tol: float = 1e-2
    alpha_prior_mean: float = 1.0
    beta_prior_mean: float = 1.0
    label_priors: pd.Series[float] | None = None

    alphas_: pd.Series[float] = field(init=False, repr=False)
    betas_: pd.Series[float] = field(init=False, repr=False)
    priors_: pd.Series[float] = field(init=False, repr=False)
    loss_history_: list[float] = field(init=False, repr=False)
    n_iter_: int = field(init=False, repr=False)

    def fit(self, data: AnswerData) -> Self:
        """Run EM on an answer frame with columns ``task, worker, label``."""
        answers = encode_answers(data)
        priors = self._priors(answers)
        alpha = np.ones(answers.n_workers)
        beta = np.ones(answers.n_tasks)
        self.loss_history_ = []
        if answers.n_labels == 1:  # nothing to infer: log(K − 1) is undefined
            probas = np.ones((answers.n_tasks, 1))
        else:
            state = _State(answers, np.log(priors), self.alpha_prior_mean, self.beta_prior_mean)
            probas = state.e_step(alpha, beta)
            scale = answers.n_answers * answers.n_labels
            # imported here: scipy.optimize alone costs every user of the other models
            # (``crowdset aggregate --method ds``) a third of a second at start-up
            from scipy.optimize import minimize

            loss = -np.inf
            for _ in range(self.n_iter):
                probas = state.e_step(alpha, beta)
                given = probas[answers.task, answers.label]

                def objective(point: FloatArray, given: FloatArray = given) -> tuple[float, Any]:
                    q, grad = state.q_and_grad(point, given)
                    return -q, -grad

                result = minimize(
                    objective,
                    np.concatenate([alpha, beta]),
                    method="CG",
                    jac=True,
                    tol=self.m_step_tol,
                    options={"maxiter": self.m_step_max_iter},
                )
                alpha, beta = result.x[: answers.n_workers], result.x[answers.n_workers :]
                new_loss = -float(result.fun) / scale
                self.loss_history_.append(new_loss)
                if new_loss - loss < self.tol:
                    break
                loss = new_loss

        self.n_iter_ = len(self.loss_history_)
        self.probas_ = probas_frame(probas, answers)
        self.labels_ = most_probable(probas, answers)
        self.alphas_ = pd.Series(alpha, index=answers.workers, name="alpha")
        self.betas_ = pd.Series(beta, index=answers.tasks, name="beta")
        self.priors_ = pd.Series(priors, index=answers.labels, name="prior")
        return self

    def _priors(self, answers: Answers) -> FloatArray:
        if self.label_priors is None:
            return np.full(answers.n_labels, 1.0 / answers.n_labels)
        priors = self.label_priors.reindex(answers.labels).to_numpy(dtype=np.float64)
        if np.isnan(priors).any() or (priors <= 0).any():
            raise InvalidInput(
                f"label_priors must give a positive prior to every {LABEL} in the data "
                f"({answers.labels.tolist()[:10]}); got {self.label_priors.to_dict()}."
            )
        normalized: FloatArray = priors / priors.sum()
        return normalized
