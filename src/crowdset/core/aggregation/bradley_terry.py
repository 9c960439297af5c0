"""Bradley–Terry: one strength per item from pairwise comparisons, fitted by Newton's method.

``P(i beats j) = s_i / (s_i + s_j) = σ(θ_i − θ_j)`` with the log-strength ``θ_i = log s_i`` and
the logistic function ``σ``. The maximum-likelihood ``θ`` is infinite for an item that never
lost (or never won) and undefined between parts of the comparison graph that never met, so a
prior is added: Chen et al. 2013's regulariser, each item plays ``prior_comparisons`` virtual
comparisons won and as many lost against a virtual item of strength ``θ_0 = 0``,

    log prior(θ) = c Σ_i [log σ(θ_i) + log σ(−θ_i)],

log-concave, so the penalised likelihood keeps one finite maximum for any data. It is the
add-one smoothing of win rates (``c = 1``: one virtual win and one virtual loss per item) and
pulls ``θ`` towards 0 like a Gaussian prior of variance ``2 / c`` near 0, with tails only
linear in ``|θ|``, so a strong item is not squeezed as hard as by an L2 penalty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sp_linalg
from scipy import linalg
from scipy.special import expit, log_expit

from crowdset.core.aggregation._comparisons import (
    ComparisonData,
    PairwiseAggregator,
    encode_comparisons,
)
from crowdset.core.aggregation._frames import FloatArray, IntArray, sum_by
from crowdset.errors import InvalidInput

DENSE_STDERR_MAX_ITEMS = 2_000
"""Up to this many items the standard errors come from the exact inverse of the information
matrix (a dense Cholesky factorisation: O(n³) time, 8·n² bytes); above it from its diagonal."""


@dataclass(frozen=True)
class PairTotals:
    """Comparisons summed per unordered pair ``first < second`` of item codes.

    ``total[p]`` judgments (or their weights) compared the pair, ``wins[p]`` of them went to
    ``first``. Newton's method then costs O(distinct pairs) per step, not O(comparisons).
    """

    first: IntArray
    second: IntArray
    total: FloatArray
    wins: FloatArray


def pair_totals(winner: IntArray, loser: IntArray, weight: FloatArray | None = None) -> PairTotals:
    """Sum comparisons per unordered pair; ``weight[k]``: how much comparison ``k`` counts as
    a win of ``winner[k]`` (the rest, ``1 − weight[k]``, counts as a win of ``loser[k]``)."""
    won = np.ones(winner.size) if weight is None else weight
    first, second = np.minimum(winner, loser), np.maximum(winner, loser)
    key = first.astype(np.int64) * (int(max(winner.max(), loser.max())) + 1) + second
    keys, pair = np.unique(key, return_inverse=True)
    size = keys.size
    total = sum_by(pair, np.ones(winner.size), size)
    wins = sum_by(pair, np.where(winner == first, won, 1.0 - won), size)
    head = np.zeros(size, dtype=np.intp)
    head[pair] = np.arange(winner.size)  # any comparison of each pair names its two items
    return PairTotals(first=first[head], second=second[head], total=total, wins=wins)


def score_prior(theta: FloatArray, strength: float) -> tuple[float, FloatArray, FloatArray]:
    """Chen et al.'s virtual comparisons: log-prior, its gradient and minus its curvature.

    ``c Σ_i [log σ(θ_i) + log σ(−θ_i)]``; gradient ``c (1 − 2σ(θ_i))``; minus the second
    derivative ``2c σ(θ_i) σ(−θ_i)`` (> 0: the prior is strictly log-concave).
    """
    up = expit(theta)
    value = strength * float((log_expit(theta) + log_expit(-theta)).sum())
    return value, strength * (1.0 - 2.0 * up), 2.0 * strength * up * (1.0 - up)


def comparison_matrix(
    first: IntArray, second: IntArray, weight: FloatArray, diagonal: FloatArray
) -> sp.csr_matrix:
    """``Σ_p w_p (e_first − e_second)(e_first − e_second)ᵀ + diag(diagonal)``, sparse.

    The Hessian of minus the Bradley–Terry log-likelihood has this shape (``w_p = total_p
    σ(d_p) σ(−d_p)``), and so has the information matrix; repeated pairs are summed.
    """
    n = diagonal.size
    rows = np.concatenate([first, second, first, second, np.arange(n)])
    cols = np.concatenate([first, second, second, first, np.arange(n)])
    values = np.concatenate([weight, weight, -weight, -weight, diagonal])
    return sp.coo_matrix((values, (rows, cols)), shape=(n, n)).tocsr()


def fit_log_strengths(
    pairs: PairTotals,
    n_items: int,
    strength: float,
    *,
    n_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[FloatArray, list[float], bool]:
    """Maximise the penalised Bradley–Terry likelihood by Newton's method.

    Objective: minus ``Σ_p [wins_p log σ(d_p) + (total_p − wins_p) log σ(−d_p)] + log prior``
    with ``d_p = θ_first − θ_second``, divided by the number of judgments so that ``tol`` does
    not depend on the data size. It is strictly convex, so Newton's method with step halving
    converges from ``θ = 0``, quadratically near the end (a handful of steps). Each step solves
    ``H Δ = −g`` by conjugate gradients on the sparse Hessian (Jacobi-preconditioned, to a
    relative residual of ``min(0.01, sqrt(max |g|))``), so a step costs O(distinct pairs) per CG
    iteration, never a dense n × n matrix. It stops when every entry of the gradient is below
    ``tol``. Returns ``θ``, the objective after each step and whether ``tol`` was reached
    within ``n_iter`` steps.
    """
    first, second, total, wins = pairs.first, pairs.second, pairs.total, pairs.wins
    scale = 1.0 / max(float(total.sum()), 1.0)

    def objective(theta: FloatArray) -> float:
        d = theta[first] - theta[second]
        log_lik = float((wins * log_expit(d) + (total - wins) * log_expit(-d)).sum())
        return -(log_lik + score_prior(theta, strength)[0]) * scale

    theta = np.zeros(n_items)
    history: list[float] = []
    converged = False
    loss = objective(theta)
    for _ in range(n_iter):
        d = theta[first] - theta[second]
        up = expit(d)
        _, prior_grad, prior_curvature = score_prior(theta, strength)
        residual = wins - total * up  # ∂ log-likelihood / ∂d
        grad = sum_by(first, residual, n_items) - sum_by(second, residual, n_items)
        grad = -(grad + prior_grad) * scale
        if np.abs(grad).max() < tol:
            converged = True
            break
        hessian = comparison_matrix(first, second, total * up * (1.0 - up), prior_curvature)
        hessian *= scale
        inverse_diagonal = sp.diags(1.0 / hessian.diagonal())
        # inexact Newton: the solve only needs to be as exact as the step is small (the forcing
        # term of Eisenstat and Walker); the line search and the gradient test keep it honest
        forcing = min(1e-2, float(np.sqrt(np.abs(grad).max())))
        step, _ = sp_linalg.cg(
            hessian, -grad, rtol=forcing, maxiter=10 * n_items, M=inverse_diagonal
        )
        slope = float(grad @ step)
        length = 1.0
        for _ in range(40):  # step halving: Armijo's sufficient decrease
            trial = objective(theta + length * step)
            if trial <= loss + 1e-4 * length * slope:
                break
            length /= 2.0
        else:
            break  # no decrease left at machine precision: as converged as it gets
        theta = theta + length * step
        loss = trial
        history.append(loss)
    return theta, history, converged


def information_stderr(
    first: IntArray,
    second: IntArray,
    pair_information: FloatArray,
    diagonal: FloatArray,
    coupling: tuple[sp.csr_matrix, FloatArray] | None = None,
) -> FloatArray:
    """Standard errors of ``θ``: square roots of the diagonal of the inverse information.

    The information matrix is ``Σ_p w_p (e_first − e_second)(e_first − e_second)ᵀ +
    diag(diagonal)`` (``w_p = pair_information``; ``diagonal``: the prior's curvature). With
    ``coupling = (U, J)`` other parameters ``φ`` (one per column of ``U``, the information
    between ``θ`` and ``φ``; ``J`` the diagonal information of ``φ``) are profiled out: the
    information of ``θ`` alone is the Schur complement ``I − U diag(1/J) Uᵀ``, so their
    uncertainty widens ``θ``'s. Exact up to :data:`DENSE_STDERR_MAX_ITEMS` items; above, the
    diagonal approximation ``1 / sqrt(I_ii)``, which ignores the uncertainty of the opponents'
    scores and so errs on the small side.
    """
    n = diagonal.size
    info = comparison_matrix(first, second, pair_information, diagonal)
    if coupling is not None:
        u, j = coupling
        info = info - (u @ sp.diags(1.0 / j) @ u.T)
    if n > DENSE_STDERR_MAX_ITEMS:
        variance = 1.0 / np.maximum(info.diagonal(), 1e-300)
    else:
        factor = linalg.cholesky(info.toarray(), lower=True, check_finite=False)
        inverse, status = linalg.lapack.dpotri(factor, lower=True)  # from the factor: n³/3
        if status != 0:
            raise ArithmeticError(f"information matrix not positive definite (LAPACK {status})")
        variance = np.diag(inverse)
    stderr: FloatArray = np.sqrt(variance)
    return stderr


def check_strength(prior_comparisons: float) -> None:
    """``prior_comparisons`` must be a positive, finite number of virtual comparisons."""
    if not (np.isfinite(prior_comparisons) and prior_comparisons > 0):
        raise InvalidInput(
            "prior_comparisons must be a positive number of virtual comparisons per item "
            f"(e.g. 1.0); got {prior_comparisons!r}. Without it an undefeated item's score "
            "is infinite."
        )


@dataclass(eq=False)
class BradleyTerry(PairwiseAggregator):
    """**Bradley–Terry** with Chen et al.'s virtual-comparison prior, fitted by Newton's method.

    R. A. Bradley and M. E. Terry, *Rank Analysis of Incomplete Block Designs: I. The Method of
    Paired Comparisons*, Biometrika 39(3/4), 324–345, 1952. D. R. Hunter, *MM Algorithms for
    Generalized Bradley–Terry Models*, Annals of Statistics 32(1), 384–406, 2004 (the MM
    algorithm; here Newton steps, each solved by conjugate gradients, reach the same maximum in
    a few iterations). The prior is the regulariser of X. Chen, P. N. Bennett,
    K. Collins-Thompson and E. Horvitz, *Pairwise Ranking Aggregation in a Crowdsourced
    Setting*, WSDM 2013: see the module docstring. ``prior_comparisons = 1`` (one virtual win
    and one virtual loss per item) is a default chosen before running any benchmark, not
    tuned.

    ``fit(data)`` takes ``winner, loser`` (``worker`` is optional and ignored: every judgment
    counts the same). It stops when every entry of the gradient of the objective (per
    comparison) is below ``tol``, or after ``n_iter`` Newton steps.

    Fitted: ``scores_`` (log-strength ``θ_i`` per item; ``P(i beats j) = σ(θ_i − θ_j)``),
    ``stderr_`` (standard error of ``θ_i`` from the inverse of the information matrix, i.e.
    the Hessian of the negative log-posterior, at the estimate: see
    :func:`information_stderr`), ``ranks_``, ``loss_history_`` (objective after each Newton
    step), ``n_iter_`` (steps taken), ``converged_``.
    """

    prior_comparisons: float = 1.0
    n_iter: int = 100
    tol: float = 1e-10

    loss_history_: list[float] = field(init=False, repr=False)
    n_iter_: int = field(init=False, repr=False)
    converged_: bool = field(init=False, repr=False)

    def fit(self, data: ComparisonData) -> Self:
        """Fit the item strengths to a ``winner, loser`` frame (or encoded comparisons)."""
        check_strength(self.prior_comparisons)
        comparisons = encode_comparisons(data, need_worker=False)
        pairs = pair_totals(comparisons.winner, comparisons.loser)
        theta, self.loss_history_, self.converged_ = fit_log_strengths(
            pairs, comparisons.n_items, self.prior_comparisons, n_iter=self.n_iter, tol=self.tol
        )
        self.n_iter_ = len(self.loss_history_)
        d = theta[pairs.first] - theta[pairs.second]
        stderr = information_stderr(
            pairs.first,
            pairs.second,
            pairs.total * expit(d) * expit(-d),
            score_prior(theta, self.prior_comparisons)[2],
        )
        self._set_scores(comparisons.items, theta, stderr)
        return self
