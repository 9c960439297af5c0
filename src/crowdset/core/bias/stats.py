"""The statistics the bias report is made of: Cliff's δ, Holm's correction, and the worker
permutations and worker resamples behind its p-values and intervals.

Answers of one worker are not independent (a harsh rater is harsh on every item), so the
random draws move whole workers: a permutation shuffles the group codes among the workers
(group sizes stay as they are), a bootstrap resample draws workers with replacement within
each side of a comparison. Both are drawn a block of rows at a time, each row one
permutation or resample, so that the work is a few matrix products per block.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

from crowdset.core.bias.data import FloatArray, IntArray
from crowdset.errors import InvalidInput

MAX_BLOCK = 1 << 22  # entries of one block of permutations or resamples (32 MiB of floats)
SIGNIFICANCE = 0.05  # family-wise error rate of the Holm-corrected tests
TIE = 1e-12  # |T*| within this of |T| counts as a tie: the same sum added in another order


def cliffs_delta(
    x: ArrayLike,
    y: ArrayLike,
    *,
    x_strata: ArrayLike | None = None,
    y_strata: ArrayLike | None = None,
) -> float:
    """Cliff's δ = P(X > Y) − P(X < Y) over pairs of one ``x`` and one ``y`` (Cliff 1993).

    With strata (item codes), only pairs in the same stratum count, each pair once: δ then
    compares two groups' answers to the same items. NaN when there is no pair. Sorting and
    binary search, ``O((m + n) log n)``, not the ``m · n`` pairs.
    """
    xs, ys = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if (x_strata is None) != (y_strata is None):
        raise InvalidInput("cliffs_delta needs strata for both x and y, or for neither.")
    if x_strata is None or y_strata is None:
        sx, sy = np.zeros(xs.size, dtype=np.intp), np.zeros(ys.size, dtype=np.intp)
    else:
        sx = np.asarray(x_strata).ravel().astype(np.intp)
        sy = np.asarray(y_strata).ravel().astype(np.intp)
        if sx.size != xs.size or sy.size != ys.size:
            raise InvalidInput("cliffs_delta needs one stratum per value.")
    # (stratum, rank) as one sortable integer: ranks of the values over both samples
    _, rank = np.unique(np.concatenate([xs, ys]), return_inverse=True)
    width = int(rank.max()) + 2 if rank.size else 1
    kx = sx.astype(np.int64) * width + rank[: xs.size] + 1
    ky = np.sort(sy.astype(np.int64) * width + rank[xs.size :] + 1)
    stratum_start = np.searchsorted(ky, sx.astype(np.int64) * width, side="left")
    stratum_stop = np.searchsorted(ky, (sx.astype(np.int64) + 1) * width, side="left")
    below = np.searchsorted(ky, kx, side="left") - stratum_start
    above = stratum_stop - np.searchsorted(ky, kx, side="right")
    pairs = int((stratum_stop - stratum_start).sum())
    if pairs == 0:
        return float("nan")
    return float((below.sum() - above.sum()) / pairs)


def holm(p_values: ArrayLike) -> FloatArray:
    """Holm's step-down adjusted p-values (Holm 1979); NaN stays NaN and does not count.

    Sorted ascending, the ``j``-th of ``m`` becomes ``max_{i ≤ j} min(1, (m − i + 1) p_(i))``:
    rejecting where the adjusted value is below α keeps the family-wise error rate at α.
    """
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(p.shape, np.nan)
    defined = np.flatnonzero(~np.isnan(p.ravel()))
    if defined.size == 0:
        return adjusted
    flat = p.ravel()[defined]
    order = np.argsort(flat, kind="stable")
    m = flat.size
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * flat[order]))
    out = adjusted.ravel()
    out[defined[order]] = stepped
    return out.reshape(p.shape)


def interval(samples: FloatArray, confidence: float) -> tuple[float, float]:
    """Percentile interval of bootstrap ``samples`` (NaN ones left out; NaN if none)."""
    defined = samples[~np.isnan(samples)]
    if defined.size == 0:
        return (float("nan"), float("nan"))
    tail = (1.0 - confidence) / 2.0
    if np.isfinite(defined).all():
        low, high = np.quantile(defined, [tail, 1.0 - tail])
    else:  # an infinite odds ratio: no interpolating between infinities
        low = np.quantile(defined, tail, method="lower")
        high = np.quantile(defined, 1.0 - tail, method="higher")
    return (float(low), float(high))


def blocks(rows: int, width: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of blocks of ``rows`` rows of ``width`` entries, at most
    ``MAX_BLOCK`` entries a block."""
    step = max(1, MAX_BLOCK // max(width, 1))
    for start in range(0, rows, step):
        yield start, min(start + step, rows)


def permuted_groups(worker_group: IntArray, rows: int, generator: np.random.Generator) -> IntArray:
    """``rows`` shuffles of ``worker_group``, one per row."""
    shuffled: IntArray = generator.permuted(np.tile(worker_group, (rows, 1)), axis=1)
    return shuffled


def resample_counts(size: int, rows: int, generator: np.random.Generator) -> FloatArray:
    """How often each of ``size`` workers is drawn in ``rows`` resamples of ``size`` draws
    with replacement, one resample per row."""
    draws = generator.integers(0, size, size=(rows, size))
    offsets = (np.arange(rows) * size)[:, np.newaxis]
    counts = np.bincount((draws + offsets).ravel(), minlength=rows * size)
    return counts.reshape(rows, size).astype(np.float64)


def check_draws(permutations: int, resamples: int, confidence: float) -> None:
    """``InvalidInput`` for a number of permutations or resamples, or a confidence, that
    cannot be used."""
    if permutations < 1:
        raise InvalidInput(f"permutations must be at least 1; got {permutations}.")
    if resamples < 0:
        raise InvalidInput(f"resamples must be 0 (no intervals) or more; got {resamples}.")
    if not 0.0 < confidence < 1.0:
        raise InvalidInput(f"confidence must lie strictly between 0 and 1; got {confidence}.")


def mean_differences(member: FloatArray, sums: FloatArray, counts: FloatArray) -> FloatArray:
    """Per row of ``member`` (1 for the workers inside, 0 outside), the mean per answer of
    each column of ``sums`` inside minus outside: ``S_in / n_in − S_out / n_out``.

    ``sums`` holds per worker the sums of its answers' values (workers × columns), ``counts``
    its number of answers; NaN where a side has no answer.
    """
    inside, n_in = member @ sums, member @ counts
    outside, n_out = sums.sum(axis=0) - inside, counts.sum() - n_in
    with np.errstate(invalid="ignore", divide="ignore"):
        gap: FloatArray = inside / n_in[:, np.newaxis] - outside / n_out[:, np.newaxis]
    return gap


def permutation_test(
    worker_group: IntArray,
    groups: IntArray,
    sums: FloatArray,
    counts: FloatArray,
    permutations: int,
    generator: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """Observed group-vs-rest differences of means and their permutation p-values.

    For each group ``g`` and each column of ``sums`` (workers × columns, see
    :func:`mean_differences`): ``T_g`` = mean of the group's answers − mean of the other
    workers' answers; then ``permutations`` shuffles of the group codes among the workers,
    the same shuffles for every group and column. A shuffle that leaves a side without
    answers does not count. Returns two ``groups × columns`` arrays.
    """
    n_workers, n_columns = sums.shape
    observed = np.stack(
        [
            mean_differences((worker_group == g).astype(np.float64)[np.newaxis], sums, counts)[0]
            for g in groups
        ]
    )
    extreme = np.zeros(observed.shape)
    defined = np.zeros(observed.shape)
    size = np.abs(observed)
    for start, stop in blocks(permutations, max(n_workers, n_columns)):
        shuffled = permuted_groups(worker_group, stop - start, generator)
        for row, g in enumerate(groups):
            permuted = mean_differences((shuffled == g).astype(np.float64), sums, counts)
            ok = ~np.isnan(permuted)
            defined[row] += ok.sum(axis=0)
            extreme[row] += (ok & (np.abs(permuted) >= size[row] - TIE)).sum(axis=0)
    # two-sided, (1 + #{|T*| ≥ |T|}) / (1 + #T*) (Phipson & Smyth 2010): never 0
    p: FloatArray = (1.0 + extreme) / (1.0 + defined)
    return observed, np.where(np.isnan(observed), np.nan, p)
