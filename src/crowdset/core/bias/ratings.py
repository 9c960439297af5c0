"""Ratings: does a group of workers rate higher or lower than the others, on the same items?

For group ``g`` against the rest ``r`` (every other reported group's workers), over the
answers to items with two or more answers, with ``e_i = r_i − ȳ_k`` the item-centred rating:

- ``difference = mean_g(e) − mean_r(e)``, in rating points. Centring on an item mean that
  includes the group's own answers pulls it a little towards 0 where the group gives many of
  an item's answers (by about the group's mean share of an item's answers).
- Cohen's ``d = difference / s``, ``s² = (SS_g + SS_r) / (n_g + n_r − 2)`` the pooled
  variance of the centred ratings (Cohen 1988): a difference in within-item standard
  deviations.
- Cliff's ``δ = P(x > y) − P(x < y)`` over pairs of one answer of the group and one of the
  rest **to the same item** (Cliff 1993): ranks only, so a 1–5 scale need not be interval.

The p-value permutes the group codes among the workers (:func:`~.stats.permutation_test`
on the centred ratings); the intervals resample workers with replacement within ``g`` and
within ``r`` (the item means stay fixed). Cliff's δ under a resample weighs each pair of
workers by how often both were drawn: with ``D[w, v]`` = Σ sign(x − y) and ``P[w, v]`` =
the number of pairs over the items ``w`` and ``v`` share, ``δ = c_gᵀ D c_r / c_gᵀ P c_r``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from crowdset.core.bias.data import FloatArray, GroupedAnswers, IntArray
from crowdset.core.bias.results import GroupSummary, RatingComparison
from crowdset.core.bias.stats import (
    blocks,
    interval,
    permutation_test,
    resample_counts,
)


def rating_comparisons(
    data: GroupedAnswers,
    *,
    permutations: int,
    resamples: int,
    confidence: float,
    generator: np.random.Generator,
) -> tuple[list[GroupSummary], list[RatingComparison]]:
    """Each reported group's summary and its comparison with the rest (p-values uncorrected)."""
    n = data.n_workers
    pairable = data.pairable
    answers = np.bincount(data.worker, minlength=n).astype(np.float64)
    totals = np.bincount(data.worker, weights=data.rating, minlength=n)
    w, e = data.worker[pairable], data.centred[pairable]
    sums = np.stack(
        [
            np.bincount(w, minlength=n).astype(np.float64),
            np.bincount(w, weights=e, minlength=n),
            np.bincount(w, weights=e * e, minlength=n),
        ],
        axis=1,
    )  # per worker: pairable answers, Σ e, Σ e²
    observed, p_values = permutation_test(
        data.worker_group, data.groups, sums[:, 1:2], sums[:, 0], permutations, generator
    )
    signs, pairs = _pair_matrices(data)
    summaries: list[GroupSummary] = []
    comparisons: list[RatingComparison] = []
    for row, g in enumerate(data.groups):
        inside = data.worker_group == g
        members, others = np.flatnonzero(inside), np.flatnonzero(~inside)
        d_in, p_in = signs[members][:, others], pairs[members][:, others]
        point = _statistics(
            sums[members].sum(axis=0)[np.newaxis], sums[others].sum(axis=0)[np.newaxis]
        )
        delta = float(d_in.sum() / p_in.sum()) if p_in.sum() > 0 else float("nan")
        intervals: list[Any] = [None] * 4
        if resamples:
            samples = np.empty((resamples, 4))
            for start, stop in blocks(resamples, n):
                c_in = resample_counts(members.size, stop - start, generator)
                c_out = resample_counts(others.size, stop - start, generator)
                samples[start:stop, :2] = _statistics(c_in @ sums[members], c_out @ sums[others])
                samples[start:stop, 2] = _weighted_delta(d_in, p_in, c_in, c_out)
                with np.errstate(invalid="ignore", divide="ignore"):
                    samples[start:stop, 3] = (c_in @ totals[members]) / (c_in @ answers[members])
            intervals = [interval(samples[:, k], confidence) for k in range(4)]
        ratings = data.rating[data.group == g]
        summaries.append(
            GroupSummary(
                group=int(g),
                workers=int(members.size),
                answers=int(ratings.size),
                counts=np.bincount(data.label[data.group == g], minlength=data.n_labels).astype(
                    np.intp
                ),
                mean=float(ratings.mean()),
                sd=float(ratings.std(ddof=1)) if ratings.size > 1 else float("nan"),
                mean_interval=intervals[3],
            )
        )
        comparisons.append(
            RatingComparison(
                group=int(g),
                difference=float(observed[row, 0]),
                difference_interval=intervals[0],
                cohen_d=float(point[0, 1]),
                cohen_d_interval=intervals[1],
                cliffs_delta=delta,
                cliffs_delta_interval=intervals[2],
                p_value=float(p_values[row, 0]),
            )
        )
    return summaries, comparisons


def _statistics(inside: FloatArray, outside: FloatArray) -> FloatArray:
    """``difference`` and Cohen's ``d`` per row from the (count, Σ e, Σ e²) of each side."""
    n_in, s_in, q_in = inside.T
    n_out, s_out, q_out = outside.T
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = s_in / n_in - s_out / n_out
        pooled = (q_in - s_in**2 / n_in + q_out - s_out**2 / n_out) / (n_in + n_out - 2.0)
        d = np.where(pooled > 0, difference / np.sqrt(np.maximum(pooled, 0.0)), np.nan)
    return np.stack([difference, d], axis=1)


def _weighted_delta(signs: Any, pairs: Any, c_in: FloatArray, c_out: FloatArray) -> FloatArray:
    """Cliff's δ per resample: ``c_inᵀ D c_out / c_inᵀ P c_out`` (sparse D and P)."""
    wins = np.asarray((signs.T @ c_in.T).T) * c_out
    count = np.asarray((pairs.T @ c_in.T).T) * c_out
    with np.errstate(invalid="ignore", divide="ignore"):
        delta: FloatArray = wins.sum(axis=1) / count.sum(axis=1)
    return delta


def _pair_matrices(data: GroupedAnswers) -> tuple[Any, Any]:
    """``D[w, v]`` = Σ sign(x − y) and ``P[w, v]`` = the number of pairs, over every pair of
    an answer ``x`` of worker ``w`` and an answer ``y`` of worker ``v`` to the same item
    (sparse, workers × workers). ``Σ_k m_k (m_k − 1)`` pairs for items of ``m_k`` answers."""
    n = data.n_workers
    order = np.argsort(data.task, kind="stable")
    task, worker, rating = data.task[order], data.worker[order], data.rating[order]
    size = data.task_size[task]
    start = np.searchsorted(task, task, side="left")
    first: IntArray = np.repeat(np.arange(task.size), size)
    second = np.repeat(start, size) + (
        np.arange(first.size) - np.repeat(np.cumsum(size) - size, size)
    )
    other = first != second
    first, second = first[other], second[other]
    rows, columns = worker[first], worker[second]
    sign = np.sign(rating[first] - rating[second])
    signs = sparse.csr_array((sign, (rows, columns)), shape=(n, n))
    pairs = sparse.csr_array((np.ones(first.size), (rows, columns)), shape=(n, n))
    signs.sum_duplicates()
    pairs.sum_duplicates()
    return signs, pairs
