"""Numeric ratings: weighted mean, rater-normalised mean, and the reviewer weight of SPEC §4."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Self, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from crowdset.core.aggregation._frames import (
    Answers,
    FloatArray,
    numeric_ratings,
    per_worker,
)
from crowdset.core.aggregation.base import RatingAggregator
from crowdset.errors import InvalidInput

CHALLENGE_PENALTY = 0.05  # SPEC §4: error added per wrong challenge answer
WEIGHT_FLOOR = 0.8  # SPEC §4: a(x) = 0.8 + 0.4·exp(−x²/2σ²) lies in [0.8, 1.2]
WEIGHT_SPAN = 0.4
WEIGHT_CEILING = 1.2
ZERO_ERROR = 1e-9  # errors up to this count as 0: rounding noise of the weighted mean


def weighted_task_means(answers: Answers, ratings: FloatArray, weights: FloatArray) -> FloatArray:
    """``Σ a·s / Σ a`` per task, with one weight per rating; a task whose weights are all 0
    falls back to its plain mean."""
    total = np.bincount(answers.task, weights=weights * ratings, minlength=answers.n_tasks)
    mass = np.bincount(answers.task, weights=weights, minlength=answers.n_tasks)
    plain_total = np.bincount(answers.task, weights=ratings, minlength=answers.n_tasks)
    count = np.bincount(answers.task, minlength=answers.n_tasks)
    means: FloatArray = np.where(
        mass > 0, total / np.where(mass > 0, mass, 1.0), plain_total / count
    )
    return means


@dataclass(eq=False)
class WeightedMeanRating(RatingAggregator):
    """**Weighted mean rating**: ``score_t = Σ_w a_w·s_wt / Σ_w a_w`` over the raters of ``t``.

    ``fit(data, weights)`` takes a Series worker → weight ≥ 0; without ``weights`` every rater
    weighs 1 (the plain mean, the "Mean" baseline of Zheng et al.). Raters missing from
    ``weights`` get ``default_weight`` or raise ``InvalidInput`` when it is ``None``. A task
    whose raters all weigh 0 gets its plain mean.

    Reference: "Mean" in Y. Zheng, G. Li, Y. Li, C. Shan, R. Cheng, *Truth Inference in
    Crowdsourcing: Is the Problem Solved?* PVLDB 10(5), 2017 (numeric tasks).
    """

    default_weight: float | None = None

    def fit(self, data: pd.DataFrame, weights: pd.Series[Any] | None = None) -> Self:
        """Average the ratings of a frame with columns ``task, worker, label`` (numeric)."""
        answers, ratings = numeric_ratings(data)
        if weights is None:
            per = np.ones(answers.n_workers)
        else:
            per = per_worker(answers, weights, name="weight", default=self.default_weight)
        if (per < 0).any() or not np.isfinite(per).all():
            raise InvalidInput("weights must be finite numbers ≥ 0.")
        means = weighted_task_means(answers, ratings, per[answers.worker])
        self.scores_ = pd.Series(means, index=answers.tasks, name="score")
        return self

    def fit_predict(
        self, data: pd.DataFrame, weights: pd.Series[Any] | None = None
    ) -> pd.Series[float]:
        """Fit with ``weights``, then return ``scores_``."""
        return self.fit(data, weights).scores_


@dataclass(eq=False)
class RaterNormalisedMean(RatingAggregator):
    """**Rater-normalised mean** ("zmean"): z-score each rater's ratings, average the z-scores
    per task, and map the average back to the rating scale.

    ``z_wt = (s_wt − μ_w) / σ_w`` with the rater's own mean and standard deviation;
    ``score_t = μ + σ · mean_w z_wt`` with the mean and standard deviation of all ratings. A
    rater whose ratings are all equal (``σ_w = 0``, e.g. a single rating) tells nothing about
    relative quality: their z-scores are 0. This removes harsh/lenient offsets and differing
    use of the scale.

    Reference: per-annotator standardisation as in Y. Graham, T. Baldwin, A. Moffat and
    J. Zobel, *Can Machine Translation Systems Be Evaluated by the Crowd Alone?* Natural
    Language Engineering 23(1), 3–30, 2017.

    Fitted: ``scores_``, ``rater_means_`` (μ_w), ``rater_scales_`` (σ_w).
    """

    rater_means_: pd.Series[float] = field(init=False, repr=False)
    rater_scales_: pd.Series[float] = field(init=False, repr=False)

    def fit(self, data: pd.DataFrame) -> Self:
        """Normalise and average the ratings of a frame with columns ``task, worker, label``."""
        answers, ratings = numeric_ratings(data)
        count = np.bincount(answers.worker, minlength=answers.n_workers)
        mean = np.bincount(answers.worker, weights=ratings, minlength=answers.n_workers) / count
        deviation = ratings - mean[answers.worker]
        spread = np.sqrt(
            np.bincount(answers.worker, weights=deviation**2, minlength=answers.n_workers) / count
        )
        scale = spread[answers.worker]
        z = np.divide(deviation, scale, out=np.zeros_like(deviation), where=scale > 1e-12)
        mean_z = np.bincount(answers.task, weights=z, minlength=answers.n_tasks) / np.bincount(
            answers.task, minlength=answers.n_tasks
        )
        scores = ratings.mean() + ratings.std() * mean_z
        self.scores_ = pd.Series(scores, index=answers.tasks, name="score")
        self.rater_means_ = pd.Series(mean, index=answers.workers, name="mean")
        self.rater_scales_ = pd.Series(spread, index=answers.workers, name="scale")
        return self


@overload
def reviewer_error(
    ratings: ArrayLike,
    final_scores: ArrayLike,
    wrong_challenges: float = 0,
    *,
    reviewer: None = None,
) -> float: ...
@overload
def reviewer_error(
    ratings: ArrayLike,
    final_scores: ArrayLike,
    wrong_challenges: ArrayLike = 0,
    *,
    reviewer: ArrayLike,
) -> FloatArray: ...
def reviewer_error(
    ratings: ArrayLike,
    final_scores: ArrayLike,
    wrong_challenges: ArrayLike = 0,
    *,
    reviewer: ArrayLike | None = None,
) -> float | FloatArray:
    """SPEC §4 reviewer error: ``x_n = sqrt(mean((s_n − Score)²)) + 0.05 · wrong_challenges``.

    The RMS deviation of a reviewer's scores ``ratings`` from the final scores of the same
    pairs, plus 0.05 for every wrong challenge answer. With ``reviewer`` (one integer code
    ``0..n−1`` per rating) every reviewer's error is computed at once and
    ``wrong_challenges`` is one count per code; a reviewer with no rating then has the
    challenge part only.
    """
    s = np.asarray(ratings, dtype=np.float64)
    final = np.asarray(final_scores, dtype=np.float64)
    if s.shape != final.shape:
        raise InvalidInput(
            f"ratings and final_scores must pair up; got {s.size} and {final.size} values."
        )
    wrong = np.asarray(wrong_challenges, dtype=np.float64)
    if (wrong < 0).any():
        raise InvalidInput("wrong_challenges must be counts ≥ 0.")
    if reviewer is None:
        rms = math.sqrt(float(np.mean((s - final) ** 2))) if s.size else 0.0
        return rms + CHALLENGE_PENALTY * float(wrong)
    codes = np.asarray(reviewer, dtype=np.intp)
    n = max(int(codes.max(initial=-1)) + 1, wrong.size)
    count = np.bincount(codes, minlength=n)
    squares = np.bincount(codes, weights=(s - final) ** 2, minlength=n)
    rms_each = np.sqrt(np.divide(squares, count, out=np.zeros(n), where=count > 0))
    errors: FloatArray = rms_each + CHALLENGE_PENALTY * np.broadcast_to(wrong, (n,))
    return errors


@overload
def reviewer_weight(x: float, sigma: float) -> float: ...
@overload
def reviewer_weight(x: FloatArray, sigma: float) -> FloatArray: ...
def reviewer_weight(x: float | FloatArray, sigma: float) -> float | FloatArray:
    """SPEC §4 reviewer weight: ``a(x) = 0.8 + 0.4·exp(−x² / 2σ²)``, so ``x = 0 → 1.2`` and
    ``a`` lies in ``[0.8, 1.2]``.

    ``sigma = 0`` is the limit ``σ → 0``: 1.2 for ``x = 0`` (up to ``ZERO_ERROR``), 0.8
    otherwise;
    ``sigma = inf`` gives 1.2 to everyone.
    """
    if not sigma >= 0:
        raise InvalidInput(f"sigma must be ≥ 0; got {sigma}.")
    errors = np.asarray(x, dtype=np.float64)
    if sigma == 0:
        closeness = (errors <= ZERO_ERROR).astype(np.float64)
    else:  # (x/σ)² rather than x²/σ²: σ² underflows to 0 for tiny σ
        with np.errstate(over="ignore"):
            closeness = np.exp(-0.5 * (errors / sigma) ** 2)
    # clipped only against rounding: 0.8 + 0.4 is 1.2000000000000002 in floating point
    weights = np.clip(WEIGHT_FLOOR + WEIGHT_SPAN * closeness, WEIGHT_FLOOR, WEIGHT_CEILING)
    if np.ndim(x) == 0:
        return float(weights)
    result: FloatArray = weights
    return result


def calibrate_sigma(errors: ArrayLike) -> float | None:
    """SPEC §4: the ``σ`` for which the mean :func:`reviewer_weight` of the active reviewers
    (one error ``x_n`` each) is 1, i.e. ``mean_n exp(−x_n² / 2σ²) = 1/2``.

    The mean weight grows with ``σ`` from ``0.8 + 0.4·f₀`` (``σ → 0``; ``f₀`` is the share of
    reviewers with error 0 — errors up to ``ZERO_ERROR`` = 1e-9 count as 0, being rounding
    noise) to 1.2 (``σ → ∞``), so:

    - ``f₀ < 1/2``: one root, found by ``scipy.optimize.brentq`` on ``log σ`` between
      ``log(min x/1000)`` (mean weight below 1) and ``log(1000·max x)`` (above 1);
    - ``f₀ = 1/2``: returns 0.0 (the limit; weights 1.2 and 0.8, mean exactly 1);
    - ``f₀ > 1/2`` (for example every error 0): no ``σ`` can bring the mean down to 1; returns
      ``None``, and :func:`reviewer_weights` then gives everyone 1.0.
    """
    x = np.asarray(errors, dtype=np.float64).ravel()
    if x.size == 0:
        raise InvalidInput("calibrate_sigma needs the error of at least one active reviewer.")
    if not np.isfinite(x).all() or (x < 0).any():
        raise InvalidInput("reviewer errors must be finite numbers ≥ 0.")
    x = _rounded_errors(x)
    zero_share = float(np.mean(x == 0))
    if zero_share > 0.5:
        return None
    if zero_share == 0.5:
        return 0.0
    log_x = np.log(x[x > 0])

    def excess(log_sigma: float) -> float:
        # (x/σ)² as exp(2(log x − log σ)): no overflow or division for any scale of errors
        with np.errstate(over="ignore"):
            closeness = np.exp(-0.5 * np.exp(2.0 * (log_x - log_sigma)))
        return (float(closeness.sum()) + x.size - log_x.size) / x.size - 0.5

    # solved for log σ, so the tolerance is relative whatever the scale of the errors; the
    # bracket runs from 1000× below the smallest positive error to 1000× above the largest
    spread = math.log(1e3)
    low, high = float(log_x.min()) - spread, float(log_x.max()) + spread
    from scipy.optimize import brentq  # here, not at import: see glad.py

    return math.exp(brentq(excess, low, high, xtol=1e-14, rtol=1e-14))


def _rounded_errors(x: FloatArray) -> FloatArray:
    rounded: FloatArray = np.where(x <= ZERO_ERROR, 0.0, x)
    return rounded


def reviewer_weights(errors: ArrayLike) -> FloatArray:
    """SPEC §4 weights of all active reviewers: ``reviewer_weight(x_n, calibrate_sigma(x))``,
    whose mean is 1; every reviewer gets 1.0 when no ``σ`` can make the mean 1 (more than half
    of them have error 0)."""
    x = np.asarray(errors, dtype=np.float64).ravel()
    sigma = calibrate_sigma(x)
    x = _rounded_errors(x)
    if sigma is None:
        return np.ones_like(x)
    return reviewer_weight(x, sigma)


@dataclass(eq=False)
class ReviewerWeightedScore(RatingAggregator):
    """SPEC §4 final score of reviewed pairs: ``Score = Σ a_n·s_n / Σ a_n`` with reviewer
    weights ``a_n`` from :func:`reviewer_weights`, iterated to a fixed point.

    Start: weights from the challenge answers alone (``x_n = 0.05 · wrong_challenges``; all 1.0
    when nobody failed one). Each iteration computes the scores with the current weights, each
    reviewer's error (:func:`reviewer_error`) against them, and new calibrated weights. It stops
    when no weight moves by more than ``tol`` or after ``n_iter`` iterations;
    ``loss_history_`` holds the largest weight change per iteration, ``n_iter_`` their count.

    ``fit(data, wrong_challenges)``: ``data`` has ``task, worker, label`` (the 1–5 stars; worker
    = reviewer); ``wrong_challenges`` is an optional Series reviewer → count (missing: 0).

    Fitted: ``scores_`` (per task), ``weights_``, ``errors_`` (per reviewer), ``sigma_`` (the
    calibrated σ, ``None`` when every weight is 1.0), ``loss_history_``, ``n_iter_``.
    """

    n_iter: int = 100
    tol: float = 1e-6

    weights_: pd.Series[float] = field(init=False, repr=False)
    errors_: pd.Series[float] = field(init=False, repr=False)
    sigma_: float | None = field(init=False, repr=False)
    loss_history_: list[float] = field(init=False, repr=False)
    n_iter_: int = field(init=False, repr=False)

    def fit(self, data: pd.DataFrame, wrong_challenges: pd.Series[Any] | None = None) -> Self:
        """Iterate scores and reviewer weights to their fixed point."""
        answers, ratings = numeric_ratings(data)
        wrong = per_worker(answers, wrong_challenges, name="wrong challenge count", default=0.0)
        errors = CHALLENGE_PENALTY * wrong
        weights = reviewer_weights(errors)
        self.loss_history_ = []
        for _ in range(self.n_iter):
            scores = weighted_task_means(answers, ratings, weights[answers.worker])
            errors = reviewer_error(ratings, scores[answers.task], wrong, reviewer=answers.worker)
            new_weights = reviewer_weights(errors)
            change = float(np.abs(new_weights - weights).max())
            weights = new_weights
            self.loss_history_.append(change)
            if change < self.tol:
                break
        scores = weighted_task_means(answers, ratings, weights[answers.worker])
        self.n_iter_ = len(self.loss_history_)
        self.sigma_ = calibrate_sigma(errors)
        self.scores_ = pd.Series(scores, index=answers.tasks, name="score")
        self.weights_ = pd.Series(weights, index=answers.workers, name="weight")
        self.errors_ = pd.Series(errors, index=answers.workers, name="error")
        return self

    def fit_predict(
        self, data: pd.DataFrame, wrong_challenges: pd.Series[Any] | None = None
    ) -> pd.Series[float]:
        """Fit with ``wrong_challenges``, then return ``scores_``."""
        return self.fit(data, wrong_challenges).scores_
