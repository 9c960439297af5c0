"""Crowd-BT: Bradley–Terry with one reliability per worker, who may answer against the order.

Worker ``w`` reports the Bradley–Terry order with probability ``η_w`` and the reverse with
``1 − η_w``:

    P(w says i beats j) = η_w σ(θ_i − θ_j) + (1 − η_w) σ(θ_j − θ_i).

``η_w = 1``: a perfect Bradley–Terry judge; ``η_w = 1/2``: a coin (a spammer: their judgments
carry nothing); ``η_w < 1/2``: an adversary or a worker who read the question backwards, whose
judgments count *reversed*. The posterior mode of ``(θ, η)`` under the items' virtual-comparison
prior (see :mod:`crowdset.core.aggregation.bradley_terry`) and a Beta prior on each ``η_w`` is
found by L-BFGS-B over both at once, starting from plain Bradley–Terry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import optimize
from scipy.special import expit, log_expit

from crowdset.core.aggregation._comparisons import (
    ComparisonData,
    Comparisons,
    PairwiseAggregator,
    encode_comparisons,
)
from crowdset.core.aggregation._frames import FloatArray, sum_by
from crowdset.core.aggregation.bradley_terry import (
    check_strength,
    fit_log_strengths,
    information_stderr,
    pair_totals,
    score_prior,
)
from crowdset.errors import InvalidInput

ETA_FLOOR = 1e-6  # η stays in [1e-6, 1 − 1e-6], where log η and log(1 − η) are finite


@dataclass(eq=False)
class CrowdBT(PairwiseAggregator):
    """**Crowd-BT**: item strengths and worker reliabilities from crowd pairwise comparisons.

    X. Chen, P. N. Bennett, K. Collins-Thompson and E. Horvitz, *Pairwise Ranking Aggregation in
    a Crowdsourced Setting*, WSDM 2013 (the model and its offline, regularised maximum
    likelihood estimate; see the module docstring for the model).

    Maximises ``Σ_k log P(judgment k) + c Σ_i [log σ(θ_i) + log σ(−θ_i)] + Σ_w [(a − 1) log η_w +
    (b − 1) log(1 − η_w)]`` with ``c = prior_comparisons`` and ``(a, b) = reliability_prior``.
    The defaults are not tuned to a benchmark (docs/benchmarks.md shows how one responds to
    others): one virtual win and one virtual loss per item (as in :class:`BradleyTerry`) and
    ``Beta(2, 1)``, a weak prior leaning towards reliable workers: one virtual judgment
    in agreement with the model per worker, so that workers start as mostly reliable
    (``η_w = (agreements + 1) / (judgments + 1)`` if the agreements were known) while a worker
    whose judgments mostly go against the consensus still gets ``η_w < 1/2`` and their
    judgments are read reversed. The model is symmetric under ``(θ, η) → (−θ, 1 − η)``; the
    start (plain Bradley–Terry, every ``η_w`` at the prior's mean) and ``a > b`` pick the
    solution in which most workers are more right than wrong.

    L-BFGS-B runs on all ``θ_i`` and ``η_w`` together, each step O(comparisons); it stops when
    the objective (per comparison) changes by less than ``tol`` relative, or after ``n_iter``
    steps. The likelihood is not concave, so this is a local maximum next to the
    Bradley–Terry start.

    Fitted: ``scores_``, ``stderr_`` (from the expected Fisher information of every judgment
    plus the priors' curvature, with the reliabilities profiled out: the Schur complement of
    their block, so that not knowing ``η`` widens the interval; see
    :func:`~crowdset.core.aggregation.bradley_terry.information_stderr`), ``ranks_``,
    ``worker_reliability_`` (``η_w`` per worker), ``loss_history_``, ``n_iter_``,
    ``converged_``.
    """

    prior_comparisons: float = 1.0
    reliability_prior: tuple[float, float] = (2.0, 1.0)
    n_iter: int = 2_000
    tol: float = 1e-10

    worker_reliability_: pd.Series[float] = field(init=False, repr=False)
    loss_history_: list[float] = field(init=False, repr=False)
    n_iter_: int = field(init=False, repr=False)
    converged_: bool = field(init=False, repr=False)

    def fit(self, data: ComparisonData) -> Self:
        """Fit strengths and reliabilities to a ``winner, loser, worker`` frame (or codes)."""
        check_strength(self.prior_comparisons)
        a, b = self._beta()
        comparisons = encode_comparisons(data)
        pairs = pair_totals(comparisons.winner, comparisons.loser)
        start_theta = fit_log_strengths(pairs, comparisons.n_items, self.prior_comparisons)[0]
        start_eta = np.full(comparisons.n_workers, a / (a + b))
        theta, eta = self._optimise(comparisons, start_theta, start_eta, a, b)
        stderr = self._stderr(comparisons, theta, eta, a, b)
        self._set_scores(comparisons.items, theta, stderr)
        self.worker_reliability_ = pd.Series(eta, index=comparisons.workers, name="reliability")
        return self

    def _beta(self) -> tuple[float, float]:
        a, b = (float(value) for value in self.reliability_prior)
        if not (np.isfinite(a) and np.isfinite(b) and a >= 1.0 and b >= 1.0):
            raise InvalidInput(
                "reliability_prior must be the (a, b) of a Beta prior with a ≥ 1 and b ≥ 1 "
                f"(e.g. (2.0, 1.0)); got {self.reliability_prior!r}."
            )
        return a, b

    def _optimise(
        self,
        comparisons: Comparisons,
        theta: FloatArray,
        eta: FloatArray,
        a: float,
        b: float,
    ) -> tuple[FloatArray, FloatArray]:
        winner, loser, worker = comparisons.winner, comparisons.loser, comparisons.worker
        n_items, n_workers = comparisons.n_items, comparisons.n_workers
        scale = 1.0 / comparisons.n_comparisons
        strength = self.prior_comparisons

        def objective(z: FloatArray) -> tuple[float, FloatArray]:
            theta, eta = z[:n_items], z[n_items:]
            d = theta[winner] - theta[loser]
            e = eta[worker]
            # log(η σ(d) + (1 − η) σ(−d)) without underflow when |d| is large
            log_p = np.logaddexp(np.log(e) + log_expit(d), np.log1p(-e) + log_expit(-d))
            up = expit(d)
            p = np.exp(log_p)
            prior, prior_grad, _ = score_prior(theta, strength)
            value = float(log_p.sum()) + prior
            value += float(((a - 1.0) * np.log(eta) + (b - 1.0) * np.log1p(-eta)).sum())
            slope = (2.0 * e - 1.0) * up * (1.0 - up) / p  # ∂ log p / ∂d
            grad_theta = sum_by(winner, slope, n_items) - sum_by(loser, slope, n_items)
            grad_eta = sum_by(worker, (2.0 * up - 1.0) / p, n_workers)
            grad_eta += (a - 1.0) / eta - (b - 1.0) / (1.0 - eta)
            grad = np.concatenate([grad_theta + prior_grad, grad_eta])
            return -value * scale, -grad * scale

        history: list[float] = []

        def record(intermediate_result: optimize.OptimizeResult) -> None:
            history.append(float(intermediate_result.fun))

        bounds = [(None, None)] * n_items + [(ETA_FLOOR, 1.0 - ETA_FLOOR)] * n_workers
        result = optimize.minimize(
            objective,
            np.concatenate([theta, eta]),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            callback=record,
            options={"maxiter": self.n_iter, "ftol": self.tol, "gtol": 1e-9},
        )
        self.loss_history_ = history
        self.n_iter_ = len(history)
        self.converged_ = bool(result.success)
        z = np.asarray(result.x, dtype=np.float64)
        return z[:n_items], z[n_items:]

    def _stderr(
        self, comparisons: Comparisons, theta: FloatArray, eta: FloatArray, a: float, b: float
    ) -> FloatArray:
        """Expected Fisher information of each judgment, ``∇p ∇pᵀ / (p (1 − p))`` in
        ``(θ_winner − θ_loser, η_w)``, summed, plus the priors' curvature; ``η`` profiled out."""
        winner, loser, worker = comparisons.winner, comparisons.loser, comparisons.worker
        d = theta[winner] - theta[loser]
        e = eta[worker]
        up = expit(d)
        p = e * up + (1.0 - e) * (1.0 - up)
        variance = np.maximum(p * (1.0 - p), 1e-300)
        p_d = (2.0 * e - 1.0) * up * (1.0 - up)
        p_eta = 2.0 * up - 1.0
        cross = p_d * p_eta / variance
        u = sp.coo_matrix(
            (
                np.concatenate([cross, -cross]),
                (np.concatenate([winner, loser]), np.concatenate([worker, worker])),
            ),
            shape=(comparisons.n_items, comparisons.n_workers),
        ).tocsr()
        j = sum_by(worker, p_eta**2 / variance, comparisons.n_workers)
        j += (a - 1.0) / eta**2 + (b - 1.0) / (1.0 - eta) ** 2
        j = np.maximum(j, 1e-12)
        return information_stderr(
            winner,
            loser,
            p_d**2 / variance,
            score_prior(theta, self.prior_comparisons)[2],
            coupling=(u, j),
        )
