"""The group test of collusion flags (SPEC §6.8): do three to five workers agree together far
more than their accuracy on controls explains?

A pair's test (:mod:`.collusion`) gets about one bit of evidence from each item both workers
answered, however many others of their ring answered it too. A ring votes together: an item
answered by ``k`` of its members who all agree is ``k − 1`` such bits. In the dry-run a ring of
four is revoked by its controls after some 17 votes each; its pairs share 8–11 items (not
enough to pass the correction over ~60 pairs), while the ring as a whole agreed on all of the
~20 items two or more of them answered.

**The statistic.** For a group ``G`` and every item that at least two of its members answered
(``M_t`` those members), ``T`` counts the items on which the members who answered all gave the
same answer. Independent workers right with probabilities ``a_m`` all agree on an item with
probability at most ``q_t = Π_{m∈M_t} a_m + Π_{m∈M_t} (1 − a_m)`` (all right, or all wrong on
the same answer: see :func:`~.collusion.explained_agreement`), independently across items.

**The p-value** is the posterior predictive ``P(T ≥ T_obs)`` under the members' accuracy
posteriors on controls (:func:`~.collusion.accuracy_on_controls`), computed exactly where every
item agreed (``d = n − T_obs = 0``): ``E[Π_t q_t]`` expands, item by item, into "all right" or
"all wrong", so it depends on each member's number of right answers only, and a dynamic
programme over those counts sums ``Π_m B(α_m + r_m, β_m + n_m − r_m) / B(α_m, β_m)``. With
``d`` items on which they did not all agree, the union bound over which ``d`` items those were,
``Σ_{|S| = d} E[Π_{t∉S} q_t]``, bounds it from above; past ``MAX_DISAGREEMENTS`` (or
``MAX_TERMS`` terms, or a table past ``MAX_STATES``: members with hundreds of items each) the
test does not apply (p = 1) and the pairs' test remains, with evidence enough by then.

**Which groups.** A group test counts every group of its size that could have been chosen:
Bonferroni over the ``C(W, g)`` groups of ``g`` among the ``W`` workers, and over the sizes 3 to
``MAX_GROUP`` (the level split evenly), so the candidates may be picked from the data: the
subsets of the clusters of pairs whose own p-value is below ``CANDIDATE_P``. A group is
flagged when its corrected p-value is at most ``alpha`` and its agreement beyond chance
(Fleiss' κ over those items, raters varying by item) at least ``min_kappa``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, gammaln

from crowdset.core.quality import WorkerQuality

W = TypeVar("W", bound=Hashable)
FloatArray = NDArray[np.float64]

MAX_GROUP = 5  # largest group tested at once (a larger ring is found through its subsets)
MAX_DISAGREEMENTS = 2  # items a group may have disagreed on and still be tested
MAX_TERMS = 64  # terms of the union bound over which items they disagreed on, at most
CANDIDATE_P = 0.05  # pairs at or below this raw p-value make a cluster of candidates
MAX_CLUSTER = 6  # a cluster's most connected members whose subsets are tested
MAX_STATES = 4_000_000  # the dynamic programme's table, Π (n_m + 1), at most


@dataclass(frozen=True)
class GroupEvidence(Generic[W]):
    """One group test: the items at least two members answered, those all agreed on."""

    workers: tuple[W, ...]
    items: int
    agreed: int
    kappa: float  # Fleiss' κ over those items
    p_value: float  # P(≥ agreed | independent at their control accuracies), from above
    p_adjusted: float  # × C(W, g) × the number of sizes tested
    flagged: bool


def all_agree_p_value(
    items: Sequence[tuple[tuple[int, ...], bool]], quality: Sequence[WorkerQuality]
) -> float:
    """``P(T ≥ T_obs)`` for one group (see the module's doc). ``items`` are (the indices in
    ``quality`` of the members who answered, did they all agree?), one per item that two or
    more of them answered."""
    disagreed = sum(1 for _, agreed in items if not agreed)
    if disagreed > MAX_DISAGREEMENTS:
        return 1.0
    classes = Counter(tuple(sorted(members)) for members, _ in items)
    kinds = list(classes)
    drops = list(_compositions(disagreed, [classes[k] for k in kinds]))
    if len(drops) > MAX_TERMS:
        return 1.0
    total = 0.0
    for drop in drops:  # e items of each kind did not all agree, Σ e = d
        ways = math.prod(math.comb(classes[k], e) for k, e in zip(kinds, drop, strict=True))
        kept = {k: classes[k] - e for k, e in zip(kinds, drop, strict=True)}
        moment = _all_agree_moment(kept, quality)
        if moment is None:
            return 1.0
        total += ways * moment
    return min(1.0, total)


def _compositions(total: int, limits: Sequence[int]) -> list[tuple[int, ...]]:
    """Every way to write ``total`` as a sum of one part per limit, each part ≤ its limit."""
    if not limits:
        return [()] if total == 0 else []
    found = []
    for first in range(min(total, limits[0]) + 1):
        found += [(first, *rest) for rest in _compositions(total - first, limits[1:])]
    return found


def _all_agree_moment(
    kinds: Mapping[tuple[int, ...], int], quality: Sequence[WorkerQuality]
) -> float | None:
    """``E[Π_t q_t]`` over the items ``kinds`` counts (members → how many items); ``None``
    when the table would exceed ``MAX_STATES``."""
    g = len(quality)
    answered = [sum(c for k, c in kinds.items() if m in k) for m in range(g)]
    shape = tuple(n + 1 for n in answered)
    if math.prod(shape) > MAX_STATES:
        return None
    table = np.zeros(shape)
    table[(0,) * g] = 1.0
    for members, count in kinds.items():
        if count == 0:
            continue
        grown = np.zeros(shape)
        for right in range(count + 1):  # of these items, how many they all got right
            weight = math.comb(count, right)
            source = tuple(
                slice(0, shape[m] - right) if m in members else slice(None) for m in range(g)
            )
            target = tuple(
                slice(right, shape[m]) if m in members else slice(None) for m in range(g)
            )
            grown[target] += weight * table[source]
        table = grown
    log_terms = np.zeros(shape)
    for m, q in enumerate(quality):
        r = np.arange(shape[m], dtype=np.float64)
        term = betaln(q.alpha + r, q.beta + answered[m] - r) - betaln(q.alpha, q.beta)
        view = [1] * g
        view[m] = shape[m]
        log_terms = log_terms + term.reshape(view)
    return float(np.sum(table * np.exp(log_terms)))


def fleiss_kappa(items: Sequence[Sequence[Hashable]]) -> float:
    """Fleiss' κ for items with any number (≥ 2) of answers each: observed agreement, the
    share of agreeing pairs of answers averaged over items, against the chance agreement of the
    pooled answer frequencies; 0 when every answer is the same (nothing to measure)."""
    rated = [list(answers) for answers in items if len(answers) >= 2]
    if not rated:
        return 0.0
    observed = float(
        np.mean(
            [
                sum(c * (c - 1) for c in Counter(answers).values())
                / (len(answers) * (len(answers) - 1))
                for answers in rated
            ]
        )
    )
    pooled = Counter(a for answers in rated for a in answers)
    size = sum(pooled.values())
    chance = sum((c / size) ** 2 for c in pooled.values())
    if chance >= 1.0 - 1e-12:
        return 0.0
    return (observed - chance) / (1.0 - chance)


def group_tests(
    answers: Mapping[Hashable, Mapping[W, Hashable]],
    quality: Mapping[W, WorkerQuality],
    unknown: WorkerQuality,
    raw_p: Mapping[tuple[W, W], float],
    workers: int,
    *,
    alpha: float,
    min_kappa: float,
) -> list[GroupEvidence[W]]:
    """Test the subsets (3 to ``MAX_GROUP`` members) of each cluster of pairs with a raw
    p-value at or below ``CANDIDATE_P``. ``answers``: item → worker → answer; ``raw_p``: the
    pairs' uncorrected p-values; ``workers``: how many workers answered (the Bonferroni
    count)."""
    sizes = range(3, MAX_GROUP + 1)
    found: list[GroupEvidence[W]] = []
    for cluster in _clusters([pair for pair, p in raw_p.items() if p <= CANDIDATE_P], raw_p):
        for size in sizes:
            if size > len(cluster):
                break
            for group in combinations(cluster, size):
                found.append(
                    _test(group, answers, quality, unknown, workers, alpha, min_kappa, len(sizes))
                )
    return found


def _clusters(edges: Sequence[tuple[W, W]], raw_p: Mapping[tuple[W, W], float]) -> list[list[W]]:
    """Connected components of ``edges`` with three or more workers, each cut to its
    ``MAX_CLUSTER`` most connected members (then by their smallest p-value)."""
    neighbours: dict[W, set[W]] = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    seen: set[W] = set()
    clusters = []
    for start in neighbours:
        if start in seen:
            continue
        component, stack = [], [start]
        seen.add(start)
        while stack:
            w = stack.pop()
            component.append(w)
            for n in neighbours[w] - seen:
                seen.add(n)
                stack.append(n)
        if len(component) >= 3:

            def strength(w: W) -> tuple[int, float]:
                best = min(raw_p.get((w, n), raw_p.get((n, w), 1.0)) for n in neighbours[w])
                return (-len(neighbours[w]), best)

            clusters.append(sorted(component, key=strength)[:MAX_CLUSTER])
    return clusters


def _test(
    group: tuple[W, ...],
    answers: Mapping[Hashable, Mapping[W, Hashable]],
    quality: Mapping[W, WorkerQuality],
    unknown: WorkerQuality,
    workers: int,
    alpha: float,
    min_kappa: float,
    sizes: int,
) -> GroupEvidence[W]:
    index = {w: k for k, w in enumerate(group)}
    items: list[tuple[tuple[int, ...], bool]] = []
    rated: list[list[Hashable]] = []
    for given in answers.values():
        mine = [(index[w], a) for w, a in given.items() if w in index]
        if len(mine) >= 2:
            items.append((tuple(m for m, _ in mine), len({a for _, a in mine}) == 1))
            rated.append([a for _, a in mine])
    p = all_agree_p_value(items, [quality.get(w, unknown) for w in group]) if items else 1.0
    log_count = gammaln(workers + 1) - gammaln(len(group) + 1) - gammaln(workers - len(group) + 1)
    adjusted = min(1.0, p * math.exp(log_count) * sizes)
    kappa = fleiss_kappa(rated)
    agreed = sum(1 for _, a in items if a)
    return GroupEvidence(
        workers=group,
        items=len(items),
        agreed=agreed,
        kappa=kappa,
        p_value=p,
        p_adjusted=adjusted,
        flagged=bool(items) and adjusted <= alpha and kappa >= min_kappa,
    )
