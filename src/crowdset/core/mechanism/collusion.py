"""Collusion flags (SPEC §6.8): pairs of workers whose agreement on shared items exceeds what
their control accuracy explains, with the evidence (a κ table) for the operator.

Honest workers agree a lot — both are usually right — so agreement alone, or Cohen's κ alone,
accuses every good pair. What a ring cannot hide is that its members agree with *each other*
more than their accuracy *on controls* (tasks with a known answer, whose truth no peer decides)
allows. For each pair of workers ``i, j`` with at least ``min_shared`` items judged by both:

- ``observed``: the share of shared items on which they gave the same answer (``agreed`` of
  ``shared``);
- ``chance``: the agreement their own answer frequencies give by chance, as in Cohen's κ,
  ``Σ_l p_i(l) p_j(l)`` over the labels ``l``, with ``p_i`` worker ``i``'s share of answers
  ``l`` on the shared items; ``kappa = (observed − chance) / (1 − chance)`` (0 when
  ``chance`` is 1: two workers who only ever gave one and the same answer show nothing beyond
  chance);
- ``expected``: the agreement their control accuracies explain, :func:`explained_agreement`
  ``(a_i, a_j) = a_i a_j + (1 − a_i)(1 − a_j)`` at their posterior means. Two independent
  workers right with probabilities ``a_i, a_j`` agree when both are right, or both wrong *on
  the same wrong answer*. Spreading errors evenly over ``k`` labels would make the second term
  ``(1 − a_i)(1 − a_j)/(k − 1)``, but real errors gather on the one confusable label; both
  workers putting all of their errors on the same wrong answer is the most agreement that
  independent workers of these accuracies can reach, on any kind of answer (labels, stars,
  verdicts). The test never assumes errors are scattered, so honest workers who confuse the
  same two labels are not accused;
- ``p_value``: how surprising ``agreed`` of ``shared`` is for independent workers, a
  **posterior predictive** tail probability ``P(X ≥ agreed)`` with ``X ~ Binomial(shared,
  explained_agreement(a_i, a_j))`` averaged over the two workers' posteriors of accuracy on
  controls, ``Beta(0.2 + right, 0.2 + failed)`` (:func:`accuracy_on_controls`). The prior
  ``COLLUSION_PRIOR`` puts its weight at the extremes, where independent workers agree most:
  the least favourable to an accusation. The track's own prior, ``Beta(2, 1)``, pulls a 0.99
  worker down to 0.97 after 30 controls; two such honest workers then agree "too much", and
  their p-value fell below 0.01 for 8% of such pairs at 400 shared items. Under
  ``COLLUSION_PRIOR`` it is roughly calibrated for honest pairs: below 0.01 for at most about
  1% of them and below 0.001 for about 0.1%, over accuracies 0.1–0.999, 5–50 controls and
  15–1,000 shared items (``test_p_values_of_independent_workers_are_calibrated``). A worker
  with no controls has the prior alone, and so little to be accused on. The average is
  bounded from above (an upper Riemann sum over cells of known posterior probability, each at
  its corner of highest agreement), so the p-value reported is never smaller than the exact
  one;
- ``p_adjusted``: the p-value corrected for testing every pair, by Holm's step-down method
  by default: where nobody colludes, the chance that any pair of the campaign is flagged stays
  below ``alpha`` (0.05), and it stays there for the honest pairs when a ring is present.
  Benjamini–Hochberg (``Correction.BH``) bounds the share of false flags among the flags
  instead: it lets the ``r(r − 1)/2`` unusual pairs of a ring of ``r`` count together and
  finds whole rings more often, at the price of more honest pairs flagged beside a ring
  (figures in ``docs/concepts/mechanism.md``).

A pair is **flagged** when ``p_adjusted ≤ alpha``, ``kappa ≥ min_kappa`` and ``observed >
expected``: far more agreement than accuracy explains, and agreement well beyond chance (two
lazy workers who both answer "no" to everything agree fully, but their κ is 0).

A pair's test gets about one bit of evidence from each item both answered, however many others
of a ring answered it too; :mod:`.collusion_groups` tests three to five workers together on
the items two or more of them answered (``k − 1`` bits from an item ``k`` of them agreed on),
counting every group of that size that could have been tested. Flagged pairs and flagged
group tests joined by a worker form a **group** (connected components): the unit an operator
excludes.

What it cannot see: a ring that answers honestly except on its own junk agrees with itself
only on those few items; a ring whose members never meet on an item; controls much harder
than the real items (honest workers then agree more than their control accuracy says).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.special import betainc, betaincinv

from crowdset.core.mechanism.collusion_groups import GroupEvidence, group_tests
from crowdset.core.mechanism.evidence import TrackRecord
from crowdset.core.quality import WorkerQuality
from crowdset.errors import InvalidInput

W = TypeVar("W", bound=Hashable)
FloatArray = NDArray[np.float64]

COLLUSION_PRIOR = (0.2, 0.2)  # Beta prior of accuracy for the test: weight at the extremes
MIN_SHARED = 8  # shared items before a pair is tested: fewer cannot make a p-value small
EDGE_SHARED = 4  # shared items before a pair may join a cluster of group candidates
ALPHA = 0.05  # the family-wise error (Holm) or false discovery rate (BH) of the flags
MIN_KAPPA = 0.6  # "substantial" agreement beyond chance (Landis & Koch 1977)
PAIRS_PER_CHUNK = 256  # pairs evaluated together in the p-value's grid (bounds memory)
REFINE_BELOW = 0.05  # pairs whose coarse bound is below this get the fine grid

# Cells of the accuracy posteriors for the p-value: edges at these quantiles. Thin cells in the
# tails, where a pair that agrees on everything gets its only chance of being innocent.
_TAILS = np.array([1e-15, 1e-12, 1e-9, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 4e-3])
FINE_EDGES: FloatArray = np.concatenate(
    [[0.0], _TAILS, np.linspace(0.01, 0.99, 50), 1.0 - _TAILS[::-1], [1.0]]
)
COARSE_EDGES: FloatArray = np.concatenate(
    [[0.0], _TAILS[::2], np.linspace(0.01, 0.99, 8), 1.0 - _TAILS[::-2], [1.0]]
)

UNKNOWN = WorkerQuality(0.0, 0.0, COLLUSION_PRIOR)  # a worker without controls


class Correction(StrEnum):
    """How the pairs' p-values are corrected for testing many pairs."""

    HOLM = "holm"  # family-wise error: P(any false flag) ≤ alpha
    BH = "bh"  # Benjamini–Hochberg: expected share of false flags among flags ≤ alpha


@dataclass(frozen=True)
class PairEvidence(Generic[W]):
    """One row of the κ table: what two workers did on the items both judged."""

    workers: tuple[W, W]
    shared: int
    agreed: int
    observed: float  # agreed / shared
    chance: float  # agreement by chance from the pair's own answer frequencies (Cohen)
    kappa: float  # Cohen's κ
    expected: float  # agreement their control accuracies explain (posterior means)
    accuracies: tuple[float, float]  # each worker's posterior mean accuracy on controls
    p_value: float  # P(≥ agreed | independent at their control accuracies), from above
    p_adjusted: float  # corrected for testing every pair
    flagged: bool


@dataclass(frozen=True)
class CollusionGroup(Generic[W]):
    """Workers joined by flagged pairs or flagged group tests, and those (the evidence)."""

    workers: tuple[W, ...]
    pairs: tuple[PairEvidence[W], ...]  # flagged pairs inside the group
    tests: tuple[GroupEvidence[W], ...] = ()  # flagged group tests inside the group


@dataclass(frozen=True)
class CollusionReport(Generic[W]):
    pairs: tuple[PairEvidence[W], ...]  # every pair tested, flagged first, then by p-value
    groups: tuple[CollusionGroup[W], ...]  # largest first
    min_shared: int
    alpha: float
    min_kappa: float
    correction: Correction
    group_tests: tuple[GroupEvidence[W], ...] = ()  # flagged first, then by p-value

    @property
    def flagged(self) -> tuple[PairEvidence[W], ...]:
        return tuple(p for p in self.pairs if p.flagged)


def accuracy_on_controls(record: TrackRecord) -> WorkerQuality:
    """The posterior of a worker's accuracy for the collusion test, from their controls alone:
    ``Beta(0.2 + right, 0.2 + failed)``. Agreement with decisions is left out (a ring that
    sways decisions would vouch for itself); the prior is ``COLLUSION_PRIOR`` (see the
    module's doc). ``10 controls, 4 failed → Beta(6.2, 4.2)``; none → ``Beta(0.2, 0.2)``."""
    right = record.controls - record.controls_failed
    return WorkerQuality(float(right), float(record.controls_failed), COLLUSION_PRIOR)


def explained_agreement(a_i: float | FloatArray, a_j: float | FloatArray) -> FloatArray:
    """``a_i a_j + (1 − a_i)(1 − a_j)``: the most that two independent workers right with
    probabilities ``a_i`` and ``a_j`` agree (both right, or both on the same wrong answer).
    ``(0.95, 0.95) → 0.905``; ``(0.5, a) → 0.5``; ``(0.6, 0.6) → 0.52``."""
    a = np.asarray(a_i, dtype=np.float64)
    b = np.asarray(a_j, dtype=np.float64)
    return np.asarray(a * b + (1.0 - a) * (1.0 - b))


def cohen_kappa(observed: float, chance: float) -> float:
    """``(observed − chance) / (1 − chance)``; 0 when ``chance`` is 1 (nothing to measure)."""
    if chance >= 1.0 - 1e-12:
        return 0.0
    return (observed - chance) / (1.0 - chance)


def _tail(agreed: NDArray[np.int64], shared: NDArray[np.int64], p: FloatArray) -> FloatArray:
    """``P(X ≥ agreed)`` for ``X ~ Binomial(shared, p)``: ``I_p(agreed, shared − agreed + 1)``,
    the regularised incomplete beta function (1 when ``agreed`` is 0)."""
    k = np.maximum(agreed, 1).astype(np.float64)
    tail = betainc(k, shared - k + 1.0, np.clip(p, 0.0, 1.0))
    return np.where(agreed <= 0, 1.0, tail)


def agreement_p_values(
    agreed: Sequence[int] | NDArray[np.int64],
    shared: Sequence[int] | NDArray[np.int64],
    quality_i: Sequence[WorkerQuality],
    quality_j: Sequence[WorkerQuality],
) -> FloatArray:
    """For each pair, an upper bound of the posterior predictive ``P(X ≥ agreed)``, ``X ~
    Binomial(shared, explained_agreement(a_i, a_j))``, ``a_i`` and ``a_j`` drawn from the two
    workers' posteriors of accuracy on controls (see the module's doc).

    Each posterior is cut at quantile edges into cells of known probability; in each pair of
    cells the tail is taken at the corner of highest agreement (``explained_agreement`` is
    bilinear, so its maximum over a cell is at a corner) and weighted by the cells'
    probabilities. The sum is never below the exact integral. Every pair gets the coarse grid
    (``COARSE_EDGES``, 19 cells a worker); those whose bound is below ``REFINE_BELOW`` get the
    fine one (``FINE_EDGES``, 69 cells), within about 1.4× of the exact value: a large campaign's
    thousands of unremarkable pairs cost little. A bound can only raise a corrected p-value, so
    the coarse bounds of the others never flag anyone."""
    agreed_a = np.asarray(agreed, dtype=np.int64)
    shared_a = np.asarray(shared, dtype=np.int64)
    if not (len(agreed_a) == len(shared_a) == len(quality_i) == len(quality_j)):
        raise InvalidInput("agreed, shared and the two quality lists must have one entry a pair")
    if np.any(agreed_a < 0) or np.any(agreed_a > shared_a):
        raise InvalidInput("each pair needs 0 ≤ agreed ≤ shared", field="agreed")
    alpha_i, beta_i = _shapes(quality_i)
    alpha_j, beta_j = _shapes(quality_j)
    found = _bound(agreed_a, shared_a, alpha_i, beta_i, alpha_j, beta_j, COARSE_EDGES)
    refine = np.flatnonzero(found < REFINE_BELOW)
    if len(refine):
        found[refine] = _bound(
            agreed_a[refine],
            shared_a[refine],
            alpha_i[refine],
            beta_i[refine],
            alpha_j[refine],
            beta_j[refine],
            FINE_EDGES,
        )
    return found


def _shapes(qualities: Sequence[WorkerQuality]) -> tuple[FloatArray, FloatArray]:
    return (
        np.array([q.alpha for q in qualities], dtype=np.float64),
        np.array([q.beta for q in qualities], dtype=np.float64),
    )


def _bound(
    agreed: NDArray[np.int64],
    shared: NDArray[np.int64],
    alpha_i: FloatArray,
    beta_i: FloatArray,
    alpha_j: FloatArray,
    beta_j: FloatArray,
    edges: FloatArray,
) -> FloatArray:
    mass = np.diff(edges)  # probability of each cell, the same for every worker
    weight = np.outer(mass, mass)
    found = np.empty(len(agreed), dtype=np.float64)
    for start in range(0, len(agreed), PAIRS_PER_CHUNK):
        part = slice(start, min(start + PAIRS_PER_CHUNK, len(agreed)))
        edges_i = betaincinv(alpha_i[part, None], beta_i[part, None], edges[None, :])
        edges_j = betaincinv(alpha_j[part, None], beta_j[part, None], edges[None, :])
        corner = explained_agreement(edges_i[:, :, None], edges_j[:, None, :])
        highest = np.maximum.reduce(
            [corner[:, :-1, :-1], corner[:, 1:, :-1], corner[:, :-1, 1:], corner[:, 1:, 1:]]
        )
        tails = _tail(agreed[part, None, None], shared[part, None, None], highest)
        found[part] = np.minimum(1.0, np.einsum("pab,ab->p", tails, weight))
    return found


def adjusted(p_values: FloatArray, correction: Correction) -> FloatArray:
    """The p-values corrected for testing them all: Holm's step-down (family-wise) or
    Benjamini–Hochberg's step-up (false discovery rate). ``holm([0.01, 0.04, 0.03]) →
    [0.03, 0.06, 0.06]``; ``bh([0.01, 0.04, 0.03]) → [0.03, 0.04, 0.04]``."""
    m = len(p_values)
    if m == 0:
        return np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p_values, kind="stable")
    ranked = np.asarray(p_values, dtype=np.float64)[order]
    if correction is Correction.HOLM:
        scaled = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        scaled = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    result = np.empty(m, dtype=np.float64)
    result[order] = np.minimum(1.0, scaled)
    return result


def _check(min_shared: int, alpha: float, min_kappa: float) -> None:
    if min_shared < 2:
        raise InvalidInput(
            f"min_shared must be at least 2 (items both workers judged), got {min_shared}",
            field="min_shared",
        )
    if not 0.0 < alpha < 1.0:
        raise InvalidInput(f"alpha must lie strictly between 0 and 1, got {alpha}", field="alpha")
    if not -1.0 <= min_kappa <= 1.0:
        raise InvalidInput(f"min_kappa must lie in [-1, 1], got {min_kappa}", field="min_kappa")


def collusion_flags(
    judgments: Iterable[tuple[Hashable, W, Hashable]],
    quality: Mapping[W, WorkerQuality],
    *,
    min_shared: int = MIN_SHARED,
    alpha: float = ALPHA,
    min_kappa: float = MIN_KAPPA,
    correction: Correction = Correction.HOLM,
) -> CollusionReport[W]:
    """The κ table and the flagged groups (see the module's doc).

    ``judgments`` are ``(item, worker, answer)`` triples, one per worker and item; answers are
    any hashable labels (a vote's verdict, a label, a star). ``quality`` is each worker's
    posterior of accuracy **on controls only** (agreement with decisions is left out: a ring
    may sway those, see :func:`accuracy_on_controls`); a worker missing from it has
    ``COLLUSION_PRIOR`` alone."""
    _check(min_shared, alpha, min_kappa)
    workers: dict[W, int] = {}
    items: dict[Hashable, int] = {}
    labels: dict[Hashable, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    codes: list[int] = []
    seen: set[tuple[int, int]] = set()
    for item, worker, answer in judgments:
        row = items.setdefault(item, len(items))
        col = workers.setdefault(worker, len(workers))
        if (row, col) in seen:
            raise InvalidInput(
                f"worker {worker!r} judged item {item!r} twice; give one answer per worker and "
                "item",
                field="judgments",
            )
        seen.add((row, col))
        rows.append(row)
        cols.append(col)
        codes.append(labels.setdefault(answer, len(labels)))
    names = list(workers)
    candidates = _pairs(
        names, rows, cols, codes, len(items), len(labels), quality, min(min_shared, EDGE_SHARED)
    )
    every_p = agreement_p_values(
        [p[1] for p in candidates],
        [p[0] for p in candidates],
        [quality.get(names[i], UNKNOWN) for _, _, i, _, _, _ in candidates],
        [quality.get(names[j], UNKNOWN) for _, _, _, j, _, _ in candidates],
    )
    tested = [k for k, pair in enumerate(candidates) if pair[0] >= min_shared]
    pairs = [candidates[k] for k in tested]
    p_values = every_p[tested]
    corrected = adjusted(p_values, correction)
    evidence: list[PairEvidence[W]] = []
    for (shared, agreed, i, j, chance, means), p, p_adj in zip(
        pairs, p_values, corrected, strict=True
    ):
        observed = agreed / shared
        kappa = cohen_kappa(observed, chance)
        expected = float(explained_agreement(means[0], means[1]))
        evidence.append(
            PairEvidence(
                workers=(names[i], names[j]),
                shared=shared,
                agreed=agreed,
                observed=observed,
                chance=chance,
                kappa=kappa,
                expected=expected,
                accuracies=means,
                p_value=float(p),
                p_adjusted=float(p_adj),
                flagged=bool(p_adj <= alpha and kappa >= min_kappa and observed > expected),
            )
        )
    evidence.sort(key=lambda e: (not e.flagged, e.p_value, -e.kappa))
    answers: dict[Hashable, dict[W, Hashable]] = {}
    for row, col, code in zip(rows, cols, codes, strict=True):
        answers.setdefault(row, {})[names[col]] = code
    tests = group_tests(
        answers,
        quality,
        UNKNOWN,
        {
            (names[i], names[j]): float(p)
            for (_, _, i, j, _, _), p in zip(candidates, every_p, strict=True)
        },
        len(names),
        alpha=alpha,
        min_kappa=min_kappa,
    )
    tests.sort(key=lambda t: (not t.flagged, t.p_value, -len(t.workers)))
    return CollusionReport(
        pairs=tuple(evidence),
        groups=groups_of(evidence, names, tests),
        min_shared=min_shared,
        alpha=alpha,
        min_kappa=min_kappa,
        correction=correction,
        group_tests=tuple(tests),
    )


_Pair = tuple[int, int, int, int, float, tuple[float, float]]  # shared, agreed, i, j, chance, a


def _pairs(
    names: Sequence[W],
    rows: Sequence[int],
    cols: Sequence[int],
    codes: Sequence[int],
    n_items: int,
    n_labels: int,
    quality: Mapping[W, WorkerQuality],
    min_shared: int,
) -> list[_Pair]:
    """Shared and agreed counts and the chance agreement of every pair with enough shared
    items, from sparse item × worker indicator matrices: ``shared = PᵀP``, ``agreed = Σ_l
    M_lᵀM_l``, and ``C_l = M_lᵀP`` counts worker ``i``'s answers ``l`` on items ``j`` judged."""
    n_workers = len(names)
    if n_workers < 2:
        return []
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    code = np.asarray(codes, dtype=np.int64)
    shape = (n_items, n_workers)
    present = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=shape)
    shared = (present.T @ present).toarray()
    agreed = np.zeros((n_workers, n_workers))
    chance_num = np.zeros((n_workers, n_workers))
    for label in range(n_labels):
        take = code == label
        said = sparse.csr_matrix((np.ones(int(take.sum())), (r[take], c[take])), shape=shape)
        agreed += (said.T @ said).toarray()
        counts = (said.T @ present).toarray()  # [i, j]: i said label on items j judged
        chance_num += counts * counts.T
    means = [quality.get(name, UNKNOWN).posterior_mean() for name in names]
    found: list[_Pair] = []
    for i in range(n_workers):
        for j in range(i + 1, n_workers):
            n = int(np.rint(shared[i, j]))
            if n < min_shared:
                continue
            found.append(
                (
                    n,
                    int(np.rint(agreed[i, j])),
                    i,
                    j,
                    float(chance_num[i, j] / (n * n)),
                    (means[i], means[j]),
                )
            )
    return found


def groups_of(
    pairs: Iterable[PairEvidence[W]],
    order: Sequence[W],
    tests: Iterable[GroupEvidence[W]] = (),
) -> tuple[CollusionGroup[W], ...]:
    """The connected components of the flagged pairs and flagged group tests (each a clique),
    with the flagged evidence inside; workers in ``order``, groups largest first (then by
    their smallest p-value)."""
    parent: dict[W, W] = {}

    def root(w: W) -> W:
        while parent[w] != w:
            parent[w] = parent[parent[w]]
            w = parent[w]
        return w

    def join(a: W, b: W) -> None:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra

    flagged = [p for p in pairs if p.flagged]
    found_tests = [t for t in tests if t.flagged]
    for pair in flagged:
        join(*pair.workers)
    for test in found_tests:
        for other in test.workers[1:]:
            join(test.workers[0], other)
    rank = {w: k for k, w in enumerate(order)}
    members: dict[W, list[W]] = {}
    for w in parent:
        members.setdefault(root(w), []).append(w)
    groups = []
    for r, found in members.items():
        inside = tuple(p for p in flagged if root(p.workers[0]) == r)
        tested = tuple(t for t in found_tests if root(t.workers[0]) == r)
        groups.append(
            CollusionGroup(
                workers=tuple(sorted(found, key=lambda w: rank.get(w, len(rank)))),
                pairs=tuple(sorted(inside, key=lambda p: p.p_value)),
                tests=tuple(sorted(tested, key=lambda t: t.p_value)),
            )
        )
    groups.sort(
        key=lambda g: (
            -len(g.workers),
            min([p.p_value for p in g.pairs] + [t.p_value for t in g.tests]),
        )
    )
    return tuple(groups)
