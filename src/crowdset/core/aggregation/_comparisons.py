"""Comparison frames and the shape every pairwise aggregator shares.

A comparison frame has one row per judgment with the columns ``winner`` (the item the worker
preferred), ``loser`` (the other item) and ``worker``. Items and workers may be any hashable
values; they are factorised once (items over both columns together) into integer codes, so the
models work on NumPy arrays and never loop over comparisons in Python.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.special import ndtri

from crowdset.core.aggregation._frames import FloatArray, IntArray, factorize, require_columns
from crowdset.errors import InvalidInput

WINNER = "winner"
LOSER = "loser"
WORKER = "worker"
ITEM = "item"
COMPARISON_COLUMNS: tuple[str, str, str] = (WINNER, LOSER, WORKER)
ANY_WORKER = "(any)"  # the one worker of a frame without a worker column (Bradley–Terry only)


@dataclass(frozen=True)
class Comparisons:
    """A comparison frame as integer codes: ``winner[k]`` beat ``loser[k]`` for ``worker[k]``.

    ``items`` are sorted when they can be (both columns together); ``workers`` keep the order
    of first appearance.
    """

    winner: IntArray
    loser: IntArray
    worker: IntArray
    items: pd.Index[Any]
    workers: pd.Index[Any]

    @property
    def n_comparisons(self) -> int:
        return int(self.winner.size)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_workers(self) -> int:
        return len(self.workers)


ComparisonData = pd.DataFrame | Comparisons
"""What a pairwise model fits on: a ``winner, loser, worker`` frame, or its codes."""


def encode_comparisons(data: object, *, need_worker: bool = True) -> Comparisons:
    """Validate a comparison frame and factorise it.

    Raises ``InvalidInput`` for a missing column (naming those present), an empty frame, an
    empty cell, or a row whose winner is also its loser. Without ``need_worker`` the ``worker``
    column may be absent: every comparison is then one anonymous worker's.
    """
    if isinstance(data, Comparisons):
        if data.n_comparisons == 0:
            raise InvalidInput("comparisons have no rows: there is nothing to aggregate.")
        return data
    has_worker = isinstance(data, pd.DataFrame) and WORKER in data.columns
    columns = COMPARISON_COLUMNS if need_worker or has_worker else (WINNER, LOSER)
    frame = require_columns(data, columns, what="comparisons")
    both = pd.concat([frame[WINNER], frame[LOSER]], ignore_index=True)
    codes, items = factorize(both, sort=True)
    n = len(frame)
    winner, loser = codes[:n], codes[n:]
    same = winner == loser
    if same.any():
        first = int(np.flatnonzero(same)[0])
        raise InvalidInput(
            f"comparisons frame has {int(same.sum())} row(s) whose winner is also the loser; "
            f"the first is at index {frame.index[first]!r} (item {items[winner[first]]!r}). "
            "A comparison needs two different items: drop those rows.",
            rows=int(same.sum()),
        )
    if WORKER in columns:
        worker, workers = factorize(frame[WORKER], sort=False)
    else:
        worker, workers = np.zeros(n, dtype=np.intp), pd.Index([ANY_WORKER])
    return Comparisons(
        winner=winner,
        loser=loser,
        worker=worker,
        items=items.rename(ITEM),
        workers=workers.rename(WORKER),
    )


class PairwiseAggregator(ABC):
    """Infers one score per item from ``winner, loser, worker`` comparisons.

    Fitted attributes: ``scores_`` (Series, index ``item``: the log-strength ``θ_i`` of the
    Bradley–Terry model, ``P(i beats j) = σ(θ_i − θ_j)``), ``stderr_`` (its standard error) and
    ``ranks_`` (1 = the strongest item; tied scores share the best rank).
    """

    scores_: pd.Series[float]
    stderr_: pd.Series[float]
    ranks_: pd.Series[int]

    @abstractmethod
    def fit(self, data: ComparisonData) -> Self:
        """Learn from a comparison frame with columns ``winner, loser, worker``."""

    def fit_predict(self, data: ComparisonData) -> pd.Series[float]:
        """Fit, then return ``scores_``: the log-strength per item."""
        return self.fit(data).scores_

    def _set_scores(self, items: pd.Index[Any], theta: FloatArray, stderr: FloatArray) -> None:
        self.scores_ = pd.Series(theta, index=items, name="score")
        self.stderr_ = pd.Series(stderr, index=items, name="stderr")
        self.ranks_ = competition_ranks(self.scores_)

    def ranking(self, level: float = 0.95) -> pd.DataFrame:
        """Items from the strongest to the weakest: ``item, score, stderr, low, high, rank``.

        ``low, high`` is the normal-approximation interval ``score ± z · stderr`` of coverage
        ``level`` for each score on its own (not a simultaneous band).
        """
        if not 0.0 < level < 1.0:
            raise InvalidInput(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}.")
        z = float(ndtri(0.5 + level / 2.0))
        frame = pd.DataFrame(
            {
                ITEM: self.scores_.index,
                "score": self.scores_.to_numpy(),
                "stderr": self.stderr_.to_numpy(),
                "low": (self.scores_ - z * self.stderr_).to_numpy(),
                "high": (self.scores_ + z * self.stderr_).to_numpy(),
                "rank": self.ranks_.to_numpy(),
            }
        )
        # stable: tied items keep the order of ``scores_`` (sorted items, when they sort)
        return frame.sort_values("rank", kind="stable").reset_index(drop=True)


def competition_ranks(scores: pd.Series[float]) -> pd.Series[int]:
    """Rank 1 for the highest score; equal scores share the best rank ("1224" ranking)."""
    ranks = scores.rank(ascending=False, method="min").astype(np.int64)
    return ranks.rename("rank")
