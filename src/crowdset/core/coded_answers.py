"""Integer-coded answers (task or unit, worker, label), shared by the agreement and bias
cores: the checks of the codes and one answer per worker and item."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crowdset.errors import InvalidInput

IntArray = NDArray[np.intp]


def checked_codes(values: ArrayLike, name: str) -> IntArray:
    codes = np.asarray(values).ravel()
    if codes.size and (not np.issubdtype(codes.dtype, np.integer) or codes.min() < 0):
        raise InvalidInput(
            f"{name} must be integer codes from 0 (factorise the column first); got dtype "
            f"{codes.dtype}" + (f", minimum {codes.min()}" if codes.size else "") + ".",
        )
    return codes.astype(np.intp, copy=False)


def code_count(given: int | None, codes: IntArray, name: str) -> int:
    found = int(codes.max()) + 1 if codes.size else 0
    if given is None:
        return found
    if given < found:
        raise InvalidInput(f"{name}={given} but the codes go up to {found - 1}.")
    return given


def first_answers(unit: IntArray, worker: IntArray, n_workers: int) -> IntArray:
    """Positions of each (unit, worker) pair's first answer, in their original order."""
    key = unit.astype(np.int64) * max(n_workers, 1) + worker
    _, first = np.unique(key, return_index=True)
    if first.size == key.size:
        return np.arange(key.size, dtype=np.intp)
    return np.sort(first).astype(np.intp)
