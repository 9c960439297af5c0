"""Fleiss' κ over all units and Cohen's κ for each pair of workers, on nominal labels.

Both compare the observed agreement ``P_o`` with the agreement expected by chance ``P_e``:
``κ = (P_o − P_e) / (1 − P_e)``, undefined (NaN) when ``P_e = 1``.

- **Fleiss' κ** (J. L. Fleiss, *Measuring nominal scale agreement among many raters*,
  Psychological Bulletin 76(5), 1971): ``P_o`` is the mean over units of the share of
  agreeing pairs of answers, ``P_u = (Σ_c n_uc² − m_u) / (m_u (m_u − 1))``, and ``P_e =
  Σ_c p_c²`` with ``p_c`` the share of value ``c`` among the answers. Fleiss defined it for a
  fixed number of raters per unit; with varying numbers, as here, ``P_o`` averages ``P_u``
  over the units with two or more answers (each unit weighing the same) and ``p_c`` pools
  their answers (each answer weighing the same). With a fixed number it is Fleiss' κ
  exactly. The same generalisation as ``crowdset.core.mechanism.collusion_groups``.
- **Cohen's κ** (J. Cohen, *A coefficient of agreement for nominal scales*, Educational and
  Psychological Measurement 20(1), 1960) for two workers on the units both answered:
  ``P_o`` the share of those units where they agree, ``P_e = Σ_c a_c b_c`` from each one's own
  label frequencies there. Computed for every pair sharing at least ``min_shared`` units,
  from the pairs of answers within each unit (``Σ_u m_u (m_u − 1) / 2`` of them), never a
  loop over workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crowdset.core.agreement.data import FloatArray, IntArray, ReliabilityData
from crowdset.errors import InvalidInput

MIN_SHARED = 10  # units two workers must share before their Cohen's κ is reported


@dataclass(frozen=True, eq=False)
class PairwiseKappa:
    """Cohen's κ of each pair of workers ``(worker_a[i], worker_b[i])``, ``worker_a <
    worker_b``, over the ``shared[i]`` units both answered (pairs with at least
    ``min_shared``); NaN for a pair whose answers use one and the same label throughout."""

    worker_a: IntArray
    worker_b: IntArray
    shared: IntArray
    kappa: FloatArray
    min_shared: int

    @property
    def n_pairs(self) -> int:
        return int(self.kappa.size)

    @property
    def n_undefined(self) -> int:
        return int(np.isnan(self.kappa).sum())

    def mean(self) -> float:
        """Mean κ over the pairs where it is defined (NaN when there are none)."""
        defined = self.kappa[~np.isnan(self.kappa)]
        return float(defined.mean()) if defined.size else float("nan")

    def median(self) -> float:
        """Median κ over the pairs where it is defined (NaN when there are none)."""
        defined = self.kappa[~np.isnan(self.kappa)]
        return float(np.median(defined)) if defined.size else float("nan")

    def per_worker(self, n_workers: int) -> tuple[FloatArray, IntArray]:
        """Each worker's mean κ with the others (NaN without a defined pair) and how many
        defined pairs it is the mean of."""
        defined = ~np.isnan(self.kappa)
        ends = np.concatenate([self.worker_a[defined], self.worker_b[defined]])
        kappas = np.concatenate([self.kappa[defined], self.kappa[defined]])
        pairs = np.bincount(ends, minlength=n_workers)
        total = np.bincount(ends, weights=kappas, minlength=n_workers)
        mean: FloatArray = np.where(pairs > 0, total / np.maximum(pairs, 1), np.nan)
        return mean, pairs.astype(np.intp)


def fleiss_kappa(data: ReliabilityData) -> float:
    """Fleiss' κ (Fleiss 1971) over the units with two or more answers, their numbers of
    answers free to vary (see the module docstring); NaN when one label is all there is."""
    units = data.pairable
    if units.n_units == 0:
        raise InvalidInput("no unit has answers from two or more workers: Fleiss' κ needs some.")
    m = units.size
    observed = float(((units.squares - m) / (m * (m - 1.0))).mean())
    shares = units.marginals / units.n
    chance = float((shares**2).sum())
    if units.n_values < 2:
        return float("nan")
    return (observed - chance) / (1.0 - chance)


def pairwise_cohen_kappa(data: ReliabilityData, *, min_shared: int = MIN_SHARED) -> PairwiseKappa:
    """Cohen's κ (Cohen 1960) for every pair of workers sharing ``min_shared`` or more units."""
    if min_shared < 1:
        raise InvalidInput(f"min_shared must be at least 1; got {min_shared}.")
    first, second = _answer_pairs(data.unit)
    worker_1, worker_2 = data.worker[first], data.worker[second]
    label_1, label_2 = data.label[first], data.label[second]
    swap = worker_1 > worker_2
    worker_a, worker_b = np.where(swap, worker_2, worker_1), np.where(swap, worker_1, worker_2)
    label_a, label_b = np.where(swap, label_2, label_1), np.where(swap, label_1, label_2)

    key = worker_a.astype(np.int64) * max(data.n_workers, 1) + worker_b
    pair_keys, pair_of, shared = np.unique(key, return_inverse=True, return_counts=True)
    kept = shared >= min_shared
    on_kept = kept[pair_of]
    rank = np.cumsum(kept) - 1
    pair = rank[pair_of[on_kept]]
    label_a, label_b = label_a[on_kept], label_b[on_kept]
    n_pairs = int(kept.sum())
    size = shared[kept].astype(np.float64)

    agreed = np.bincount(pair, weights=(label_a == label_b), minlength=n_pairs)
    chance = _chance_agreement(pair, label_a, label_b, data.n_labels, n_pairs) / size**2
    observed = agreed / size
    defined = chance < 1.0
    kappa = np.where(defined, (observed - chance) / np.where(defined, 1.0 - chance, 1.0), np.nan)
    width = max(data.n_workers, 1)
    return PairwiseKappa(
        worker_a=(pair_keys[kept] // width).astype(np.intp),
        worker_b=(pair_keys[kept] % width).astype(np.intp),
        shared=shared[kept].astype(np.intp),
        kappa=kappa,
        min_shared=min_shared,
    )


def _answer_pairs(unit: IntArray) -> tuple[IntArray, IntArray]:
    """Every unordered pair of answers ``(i, j)`` to the same unit, as two index arrays."""
    order = np.argsort(unit, kind="stable")
    sorted_units = unit[order]
    starts = np.flatnonzero(np.r_[True, sorted_units[1:] != sorted_units[:-1]])
    ends = np.r_[starts[1:], sorted_units.size]
    group_end = np.repeat(ends, ends - starts)
    later = group_end - np.arange(sorted_units.size) - 1  # answers after each in its unit
    first = np.repeat(np.arange(sorted_units.size), later)
    step = np.arange(int(later.sum())) - np.repeat(np.cumsum(later) - later, later)
    second = first + 1 + step
    return order[first].astype(np.intp), order[second].astype(np.intp)


def _chance_agreement(
    pair: IntArray, label_a: IntArray, label_b: IntArray, n_labels: int, n_pairs: int
) -> FloatArray:
    """``Σ_c A_c B_c`` per pair, with ``A_c`` and ``B_c`` each worker's count of label ``c``
    on their shared units (sparse: only the labels a pair uses are counted)."""
    width = max(n_labels, 1)
    key_a = pair.astype(np.int64) * width + label_a
    key_b = pair.astype(np.int64) * width + label_b
    keys, inverse = np.unique(np.concatenate([key_a, key_b]), return_inverse=True)
    count_a = np.bincount(inverse[: key_a.size], minlength=keys.size)
    count_b = np.bincount(inverse[key_a.size :], minlength=keys.size)
    product = np.bincount(keys // width, weights=count_a * count_b, minlength=n_pairs)
    return product.astype(np.float64)
