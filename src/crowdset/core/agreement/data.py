"""Reliability data: answers as integer codes, one per worker and unit, counted per unit.

Krippendorff (2011) calls the items *units*, the workers *coders* and the labels *values*. A
unit with fewer than two answers is not *pairable*: it says nothing about agreement, and none
of its values enters the coincidences. Everything the statistics of this package need is
counted here once: for each pairable unit ``u`` its number of answers ``m_u`` and its value
counts ``n_uc`` (a sparse unit × value matrix, so that thousands of labels cost nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from crowdset.core.coded_answers import checked_codes, code_count, first_answers
from crowdset.errors import InvalidInput

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


class Level(StrEnum):
    """Krippendorff's levels of measurement: what a difference between two values means."""

    NOMINAL = "nominal"  # categories: two values agree or not
    ORDINAL = "ordinal"  # ranks: how many answers lie between two values
    INTERVAL = "interval"  # numbers: the squared difference


NUMERIC_LEVELS = frozenset({Level.ORDINAL, Level.INTERVAL})


@dataclass(frozen=True, eq=False)
class PairableUnits:
    """The units with two or more answers, as Krippendorff's coincidences need them.

    ``counts[r, c]`` is ``n_uc``, how many answers of unit ``unit[r]`` have value ``c`` (a
    SciPy CSR matrix); ``size[r]`` is ``m_u``; ``marginals[c]`` is ``n_c = Σ_u n_uc``, the
    pairable values of ``c``; ``n`` is their total.
    """

    unit: IntArray
    counts: Any  # scipy.sparse.csr_array, float64: SciPy ships no type hints
    size: FloatArray
    marginals: FloatArray

    @property
    def n(self) -> float:
        return float(self.size.sum())

    @property
    def n_units(self) -> int:
        return int(self.unit.size)

    @property
    def n_values(self) -> int:
        """How many distinct values the pairable answers use."""
        return int(np.count_nonzero(self.marginals))

    @cached_property
    def squares(self) -> FloatArray:
        """``Σ_c n_uc²`` per pairable unit."""
        return _dense(self.counts.multiply(self.counts).sum(axis=1))


@dataclass(frozen=True, eq=False)
class ReliabilityData:
    """Answers as codes: ``unit[i]``, ``worker[i]``, ``label[i]``, at most one per worker and
    unit. ``values[c]`` is the number label ``c`` stands for (ordinal and interval levels), in
    increasing order; ``repeated`` counts the answers dropped because their worker had
    already answered the unit. Build it with :func:`reliability_data`."""

    unit: IntArray
    worker: IntArray
    label: IntArray
    n_units: int
    n_workers: int
    n_labels: int
    values: FloatArray | None
    repeated: int

    @property
    def n_answers(self) -> int:
        return int(self.unit.size)

    @cached_property
    def unit_size(self) -> IntArray:
        """``m_u``, answers per unit (pairable or not)."""
        return np.bincount(self.unit, minlength=self.n_units).astype(np.intp)

    @cached_property
    def pairable_answer(self) -> BoolArray:
        """Which answers belong to a pairable unit (two or more answers)."""
        mask: BoolArray = self.unit_size[self.unit] >= 2
        return mask

    @cached_property
    def pairable(self) -> PairableUnits:
        """The pairable units and their value counts."""
        size = self.unit_size
        keep = size >= 2
        row_of_unit = np.cumsum(keep) - 1
        mask = self.pairable_answer
        rows = row_of_unit[self.unit[mask]]
        shape = (int(keep.sum()), self.n_labels)
        counts = sparse.csr_array(
            (np.ones(rows.size), (rows, self.label[mask])), shape=shape, dtype=np.float64
        )
        counts.sum_duplicates()
        return PairableUnits(
            unit=np.flatnonzero(keep).astype(np.intp),
            counts=counts,
            size=size[keep].astype(np.float64),
            marginals=np.bincount(self.label[mask], minlength=self.n_labels).astype(np.float64),
        )

    def require_values(self, level: Level) -> FloatArray:
        """The numeric value of each label; ``InvalidInput`` when ``level`` needs them and
        there are none."""
        if self.values is None:
            raise InvalidInput(
                f"the {level} level needs the number each label stands for: pass values= to "
                "reliability_data, or use the nominal level.",
                level=str(level),
            )
        return self.values


def reliability_data(
    unit: ArrayLike,
    worker: ArrayLike,
    label: ArrayLike,
    *,
    values: ArrayLike | None = None,
    n_units: int | None = None,
    n_workers: int | None = None,
    n_labels: int | None = None,
) -> ReliabilityData:
    """Check and prepare integer-coded answers (codes from 0, one array entry per answer).

    ``values`` gives the number each label code stands for (needed for the ordinal and
    interval levels); codes with the same number become one value. A worker's second and
    later answers to the same unit are dropped (the first counts): Krippendorff's
    reliability data hold one value per coder and unit, and Cohen's κ pairs one answer of
    each worker. ``n_units``, ``n_workers`` and ``n_labels`` default to the largest code + 1.
    """
    unit_codes, worker_codes, label_codes = (
        checked_codes(unit, "unit"),
        checked_codes(worker, "worker"),
        checked_codes(label, "label"),
    )
    if not unit_codes.size == worker_codes.size == label_codes.size:
        raise InvalidInput(
            "unit, worker and label must have one entry per answer; got "
            f"{unit_codes.size}, {worker_codes.size} and {label_codes.size}."
        )
    sizes = [
        code_count(given, codes, name)
        for given, codes, name in (
            (n_units, unit_codes, "n_units"),
            (n_workers, worker_codes, "n_workers"),
            (n_labels, label_codes, "n_labels"),
        )
    ]
    numbers: FloatArray | None = None
    if values is not None:
        numbers = np.asarray(values, dtype=np.float64).ravel()
        if numbers.size < sizes[2] or not np.isfinite(numbers).all():
            raise InvalidInput(
                f"values must give a finite number for each of the {sizes[2]} label codes; "
                f"got {numbers.size} value(s)"
                + ("" if np.isfinite(numbers).all() else ", not all finite")
                + "."
            )
        numbers, recode = np.unique(numbers, return_inverse=True)
        label_codes = recode.astype(np.intp)[label_codes]
        sizes[2] = int(numbers.size)
    first = first_answers(unit_codes, worker_codes, sizes[1])
    return ReliabilityData(
        unit=unit_codes[first],
        worker=worker_codes[first],
        label=label_codes[first],
        n_units=sizes[0],
        n_workers=sizes[1],
        n_labels=sizes[2],
        values=numbers,
        repeated=int(unit_codes.size - first.size),
    )


def _dense(values: Any) -> FloatArray:
    """A SciPy result (sparse, matrix or array) as a flat float array."""
    if sparse.issparse(values):
        values = values.toarray()
    return np.asarray(values, dtype=np.float64).ravel()
