"""Krippendorff's alpha: point estimate, bootstrap interval over units, per label, per worker.

    α = 1 − D_o / D_e = 1 − (n − 1) · Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck

with the coincidences ``o_ck = Σ_u (n_uc n_uk − [c = k] n_uc) / (m_u − 1)`` over the pairable
units, ``n_c = Σ_k o_ck`` and ``n = Σ_c n_c`` (K. Krippendorff, *Computing Krippendorff's
Alpha-Reliability*, 2011, §§ C–E). The metric ``δ²`` is the level's:

- nominal: ``δ²_ck = [c ≠ k]``;
- interval: ``δ²_ck = (v_c − v_k)²``;
- ordinal: ``δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²``, which is ``(p_k − p_c)²`` for the
  midranks ``p_c = Σ_{g<c} n_g + n_c/2`` (values in increasing order): the interval metric on
  midranks. The midranks follow the marginals, so they are recomputed whenever a resample or a
  left-out worker changes them.

A unit's part of ``Σ o δ²`` is ``d_u = Σ_ck n_uc n_uk δ²_ck / (m_u − 1)``: nominal
``(m_u² − Σ_c n_uc²) / (m_u − 1)``, interval ``2 (m_u Σ_c n_uc p_c² − (Σ_c n_uc p_c)²) /
(m_u − 1)``. Those per-unit sums are computed once; the bootstrap then resamples units by
weights and each left-out worker changes only the units it answered, so neither recomputes
alpha from the answers.

α is undefined (NaN here) when the pairable answers use fewer than two values: nothing varies,
and ``D_o = D_e = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from crowdset.core.agreement.data import (
    NUMERIC_LEVELS,
    FloatArray,
    IntArray,
    Level,
    PairableUnits,
    ReliabilityData,
    _dense,
)
from crowdset.errors import InvalidInput

MAX_BLOCK = 1 << 22  # numbers held per block of bootstrap resamples (32 MiB of float64)


@dataclass(frozen=True, eq=False)
class BootstrapInterval:
    """A percentile interval of α over ``resamples`` bootstrap samples of the units.

    ``alphas`` holds every resample's α; ``undefined`` counts those with a single value (NaN),
    left out of the percentiles.
    """

    low: float
    high: float
    confidence: float
    resamples: int
    undefined: int
    alphas: FloatArray


def krippendorff_alpha(data: ReliabilityData, level: Level = Level.NOMINAL) -> float:
    """Krippendorff's α at ``level`` (Krippendorff 2011); NaN when only one value is used.

    Raises ``InvalidInput`` when no unit has two answers.
    """
    units = _require_pairable(data, level)
    observed, expected = _disagreement(units, Level(level), data)
    return float(_alpha(units.n, observed, expected, units.n_values))


def alpha_bootstrap(
    data: ReliabilityData,
    level: Level = Level.NOMINAL,
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> BootstrapInterval:
    """Percentile bootstrap interval of α, resampling the pairable units with replacement.

    Each resample weighs unit ``u`` by how often it was drawn, ``w_u``: ``Σ o δ²`` becomes
    ``Σ_u w_u d_u`` and ``n_c`` becomes ``Σ_u w_u n_uc``, matrix products over all resamples
    of a block at once (for the ordinal level the midranks, hence ``d_u``, follow each
    resample's marginals). The same data, ``resamples`` and seed give the same interval.
    """
    if resamples < 1:
        raise InvalidInput(f"resamples must be at least 1; got {resamples}.")
    if not 0.0 < confidence < 1.0:
        raise InvalidInput(f"confidence must lie strictly between 0 and 1; got {confidence}.")
    level = Level(level)
    units = _require_pairable(data, level)
    generator = np.random.default_rng(rng)
    count = units.n_units
    block = max(1, MAX_BLOCK // max(count, data.n_labels))
    alphas = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, block):
        stop = min(start + block, resamples)
        draws = generator.integers(0, count, size=(stop - start, count))
        offsets = (np.arange(stop - start) * count)[:, np.newaxis]
        weights = np.bincount((draws + offsets).ravel(), minlength=(stop - start) * count)
        alphas[start:stop] = _weighted_alphas(
            units, level, data, weights.reshape(stop - start, count).astype(np.float64)
        )
    defined = alphas[~np.isnan(alphas)]
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail]) if defined.size else (np.nan, np.nan)
    return BootstrapInterval(
        low=float(low),
        high=float(high),
        confidence=confidence,
        resamples=resamples,
        undefined=int(resamples - defined.size),
        alphas=alphas,
    )


def label_alpha(data: ReliabilityData) -> FloatArray:
    """Per label code, nominal α of "this label or not" (each label against the rest).

    With ``a = n_uc`` answers of the label in a unit of ``m_u``: ``D_o ∝ Σ_u 2 a (m_u − a) /
    (m_u − 1)``, ``D_e ∝ 2 n_c (n − n_c)``. NaN for a label no pairable answer uses, or that
    every one uses.
    """
    units = _require_pairable(data)
    counts, m = units.counts, units.size
    inside = _dense(counts.T @ (m / (m - 1.0))) - _dense(
        counts.multiply(counts).T @ (1.0 / (m - 1.0))
    )
    n, n_c = units.n, units.marginals
    expected = 2.0 * n_c * (n - n_c)
    values_used = np.where((n_c > 0) & (n_c < n), 2, 1)
    return _alpha(n, 2.0 * inside, expected, values_used)


def alpha_without_each_worker(data: ReliabilityData, level: Level = Level.NOMINAL) -> FloatArray:
    """Per worker code, α of the same data without that worker's answers.

    Leaving worker ``w`` out takes one value from each unit it answered: a unit of ``m_u``
    answers keeps ``m_u − 1`` (with ``n_uc − 1`` of the worker's value ``c``), or stops being
    pairable when ``m_u = 2``, taking its other value out of the marginals too. Only those
    units' ``d_u`` change; everything else is the full data's. A worker in no pairable unit
    gets the full α; NaN where fewer than two values remain.
    """
    level = Level(level)
    units = _require_pairable(data, level)
    mask = data.pairable_answer
    row = np.cumsum(data.unit_size >= 2)[data.unit[mask]] - 1
    worker, label = data.worker[mask], data.label[mask]
    m = units.size[row]
    n_workers, n_labels = data.n_workers, data.n_labels

    # values leaving the marginals: the worker's own, and the partner's in a unit of two
    partner_sum = np.bincount(row, weights=label, minlength=units.n_units)
    pair = m == 2
    partner = (partner_sum[row[pair]] - label[pair]).astype(np.intp)
    key, amount = np.unique(
        np.concatenate([worker, worker[pair]]).astype(np.int64) * n_labels
        + np.concatenate([label, partner]),
        return_counts=True,
    )
    gone_worker, gone_label = (key // n_labels).astype(np.intp), (key % n_labels).astype(np.intp)
    gone = amount.astype(np.float64)
    n_left = units.n - np.bincount(gone_worker, weights=gone, minlength=n_workers)
    emptied = (gone == units.marginals[gone_label]).astype(np.float64)
    values_left = units.n_values - np.bincount(gone_worker, weights=emptied, minlength=n_workers)

    if level is Level.NOMINAL:
        squares = units.squares[row]
        own = _dense(units.counts[row, label])
        before = (m**2 - squares) / (m - 1.0)
        after = ((m - 1.0) ** 2 - (squares - 2.0 * own + 1.0)) / np.maximum(m - 2.0, 1.0)
        change = np.where(pair, -before, after - before)
        observed = _disagreement(units, level, data)[0] + np.bincount(
            worker, weights=change, minlength=n_workers
        )
        n_c = units.marginals[gone_label]
        squares_left = (units.marginals**2).sum() - np.bincount(
            gone_worker, weights=2.0 * n_c * gone - gone**2, minlength=n_workers
        )
        expected = n_left**2 - squares_left
        return _alpha(n_left, observed, expected, values_left)

    if level is Level.INTERVAL:
        p = _centred(data.require_values(level), units.marginals)
        positions = np.broadcast_to(p, (n_workers, n_labels))
        s1, s2 = _dense(units.counts @ p)[row], _dense(units.counts @ p**2)[row]
        total = np.full(n_workers, _disagreement(units, level, data)[0])
    else:
        left = np.broadcast_to(units.marginals, (n_workers, n_labels)).copy()
        left[gone_worker, gone_label] -= gone
        positions = _centred_rows(_midranks(left), left)
        s1, s2 = _gather_dots(units, row, worker, positions)
        coincidences = _coincidences(units)
        total = 2.0 * (positions**2 @ units.marginals) - 2.0 * np.einsum(
            "wc,ck,wk->w", positions, coincidences, positions
        )
    own_p = positions[worker, label]
    before = _spread(m, s1, s2)
    after = _spread(m - 1.0, s1 - own_p, s2 - own_p**2)
    change = np.where(pair, -before, after - before)
    observed = total + np.bincount(worker, weights=change, minlength=n_workers)
    if level is Level.INTERVAL:
        n_c = units.marginals
        sum1 = n_c @ p - np.bincount(gone_worker, weights=gone * p[gone_label], minlength=n_workers)
        sum2 = n_c @ p**2 - np.bincount(
            gone_worker, weights=gone * p[gone_label] ** 2, minlength=n_workers
        )
    else:
        sum1 = (left * positions).sum(axis=1)
        sum2 = (left * positions**2).sum(axis=1)
    expected = 2.0 * (n_left * sum2 - sum1**2)
    return _alpha(n_left, observed, expected, values_left)


def _require_pairable(data: ReliabilityData, level: Level = Level.NOMINAL) -> PairableUnits:
    """The pairable units; ``InvalidInput`` when there are none, or when ``level`` needs
    numbers and the labels have none (label codes need not be in the order of the values)."""
    if Level(level) in NUMERIC_LEVELS:
        data.require_values(Level(level))
    units = data.pairable
    if units.n_units == 0:
        raise InvalidInput(
            f"no unit has answers from two or more workers ({data.n_answers} answer(s) on "
            f"{data.n_units} unit(s)): agreement needs units answered more than once.",
            answers=data.n_answers,
        )
    return units


def _alpha(
    n: ArrayLike, observed: ArrayLike, expected: ArrayLike, values_used: ArrayLike
) -> FloatArray:
    """``1 − (n − 1) · observed / expected``; NaN where fewer than two values are used."""
    defined = (np.asarray(values_used) >= 2) & (np.asarray(expected) > 0)
    safe = np.where(defined, expected, 1.0)
    alpha: FloatArray = np.where(
        defined, 1.0 - (np.asarray(n) - 1.0) * np.asarray(observed) / safe, np.nan
    )
    return alpha


def _disagreement(units: PairableUnits, level: Level, data: ReliabilityData) -> tuple[float, float]:
    """``Σ_ck o_ck δ²_ck`` (observed) and ``Σ_ck n_c n_k δ²_ck`` (expected)."""
    m, n, n_c = units.size, units.n, units.marginals
    if level is Level.NOMINAL:
        observed = float(((m**2 - units.squares) / (m - 1.0)).sum())
        return observed, float(n**2 - (n_c**2).sum())
    p = _positions(level, data, n_c)
    s1, s2 = _dense(units.counts @ p), _dense(units.counts @ p**2)
    observed = float(_spread(m, s1, s2).sum())
    return observed, float(2.0 * (n * (n_c @ p**2) - (n_c @ p) ** 2))


def _weighted_alphas(
    units: PairableUnits, level: Level, data: ReliabilityData, weights: FloatArray
) -> FloatArray:
    """α of each row of ``weights`` (resample × unit: how often each unit was drawn)."""
    m = units.size
    n = weights @ m
    n_c = _dense_matrix(units.counts.T @ weights.T).T  # resample × value
    values_used = np.count_nonzero(n_c, axis=1)
    if level is Level.NOMINAL:
        observed = weights @ ((m**2 - units.squares) / (m - 1.0))
        return _alpha(n, observed, n**2 - (n_c**2).sum(axis=1), values_used)
    if level is Level.INTERVAL:
        p = _positions(level, data, units.marginals)
        s1, s2 = _dense(units.counts @ p), _dense(units.counts @ p**2)
        observed = weights @ _spread(m, s1, s2)
        sum1, sum2 = weights @ s1, weights @ s2
        return _alpha(n, observed, 2.0 * (n * sum2 - sum1**2), values_used)
    positions = _centred_rows(_midranks(n_c), n_c)  # resample × value
    # Σ_u w_u 2 (m_u Σ_c n_uc p_c² − (Σ_c n_uc p_c)²) / (m_u − 1), with p the resample's
    squares_part = _dense_matrix(units.counts.T @ (weights * (m / (m - 1.0))).T).T
    dots = _dense_matrix(units.counts @ positions.T)  # unit × resample: Σ_c n_uc p_c
    observed = 2.0 * (
        (squares_part * positions**2).sum(axis=1)
        - ((dots**2) * (1.0 / (m - 1.0))[:, np.newaxis] * weights.T).sum(axis=0)
    )
    sum1, sum2 = (n_c * positions).sum(axis=1), (n_c * positions**2).sum(axis=1)
    return _alpha(n, observed, 2.0 * (n * sum2 - sum1**2), values_used)


def _spread(m: FloatArray, s1: FloatArray, s2: FloatArray) -> FloatArray:
    """``Σ_ck n_uc n_uk (p_c − p_k)² / (m_u − 1) = 2 (m_u s2 − s1²) / (m_u − 1)`` per unit,
    from ``s1 = Σ_c n_uc p_c`` and ``s2 = Σ_c n_uc p_c²``; 0 below two answers."""
    spread: FloatArray = np.where(m >= 2, 2.0 * (m * s2 - s1**2) / np.maximum(m - 1.0, 1.0), 0.0)
    return spread


def _positions(level: Level, data: ReliabilityData, marginals: FloatArray) -> FloatArray:
    """Where each value lies on the level's line: the numbers (interval) or the midranks
    (ordinal), centred on their mean so that squared differences lose no precision."""
    if level is Level.ORDINAL:
        return _centred(_midranks(marginals), marginals)
    return _centred(data.require_values(level), marginals)


def _midranks(marginals: FloatArray) -> FloatArray:
    """``p_c = Σ_{g<c} n_g + n_c / 2`` along the last axis (Krippendorff's ordinal metric)."""
    midranks: FloatArray = np.cumsum(marginals, axis=-1) - marginals / 2.0
    return midranks


def _centred(p: FloatArray, marginals: FloatArray) -> FloatArray:
    total = marginals.sum()
    centre = (marginals @ p) / total if total > 0 else 0.0
    centred: FloatArray = p - centre
    return centred


def _centred_rows(positions: FloatArray, marginals: FloatArray) -> FloatArray:
    """Each row of ``positions`` minus its mean under the same row of ``marginals``."""
    totals = marginals.sum(axis=1, keepdims=True)
    centre = (marginals * positions).sum(axis=1, keepdims=True) / np.where(totals > 0, totals, 1)
    centred: FloatArray = positions - centre
    return centred


def _coincidences(units: PairableUnits) -> FloatArray:
    """Krippendorff's coincidence matrix ``o_ck`` (value × value, dense)."""
    scale = 1.0 / (units.size - 1.0)
    counts = units.counts
    pairs = _dense_matrix(counts.T @ counts.multiply(scale[:, np.newaxis]))
    diagonal = _dense(counts.T @ scale)
    return pairs - np.diag(diagonal)


def _gather_dots(
    units: PairableUnits, row: IntArray, worker: IntArray, positions: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per answer, ``Σ_c n_uc p_c`` and ``Σ_c n_uc p_c²`` of its unit, with its own worker's
    positions ``p = positions[worker]``: a walk over the values each unit uses."""
    indptr, indices, counts = units.counts.indptr, units.counts.indices, units.counts.data
    starts = indptr[row]
    lengths = indptr[row + 1] - starts
    owner = np.repeat(np.arange(row.size), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    cell = np.repeat(starts, lengths) + offsets
    p = positions[worker[owner], indices[cell]]
    s1 = np.bincount(owner, weights=counts[cell] * p, minlength=row.size)
    s2 = np.bincount(owner, weights=counts[cell] * p**2, minlength=row.size)
    return s1.astype(np.float64), s2.astype(np.float64)


def _dense_matrix(values: object) -> FloatArray:
    """A SciPy product as a 2-D float array."""
    if hasattr(values, "toarray"):
        values = values.toarray()
    return np.asarray(values, dtype=np.float64)
