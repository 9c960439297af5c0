"""The cut of a review (SPEC §4): pairs ranked by weighted score, the top ``k·P`` kept, and a
reason a person can check for every pair left out.

- ``keep_count(pairs, keep_share)``: ``k·P`` rounded half up, over every pair to review.
- The **revision band**: pairs scored within ``band`` stars of the cut score are the ones a
  better translation could move across the line; those may go to revision once.
- The **cut score** is the score of the last kept pair. A removed pair's reason names its rank,
  its score and the cut score: ``rank 140 of 200, score 2.33 below the cut score 3.10 (keep
  top 60)``; a pair no kept rating reached is ``not rated``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def keep_count(pairs: int, keep_share: float) -> int:
    """The ``k·P`` pairs a review keeps, rounded half up."""
    return math.floor(pairs * keep_share + 0.5)


@dataclass(frozen=True)
class Cut:
    keep: int  # k·P: the pairs kept at most
    ranked: int  # pairs with a score
    score: float | None  # the last kept pair's score; None when nothing is kept


def cut_of(kept_scores: Sequence[float], ranked: int, keep: int) -> Cut:
    """The cut from the scores of the kept pairs."""
    return Cut(keep, ranked, min(kept_scores) if kept_scores else None)


def removal_reason(rank: int | None, score: float | None, cut: Cut) -> str:
    """Why a pair is not among the kept ones, in words a requester can check."""
    if rank is None or score is None:
        return "not rated: no kept rating reached it"
    where = f"rank {rank} of {cut.ranked}, score {score:.2f}"
    keep = f"(keep top {cut.keep})"
    if cut.score is None:
        return f"{where}: the review keeps no pair {keep}"
    if f"{score:.2f}" == f"{cut.score:.2f}":
        return f"{where} ties the cut score {cut.score:.2f} but ranks below the kept pairs {keep}"
    return f"{where} below the cut score {cut.score:.2f} {keep}"


def revision_band(scores: Mapping[str, float], cut: Cut, band: float) -> list[str]:
    """The pairs (by id) whose score lies within ``band`` stars of the cut score."""
    if cut.score is None or band <= 0:
        return []
    return sorted(key for key, score in scores.items() if abs(score - cut.score) <= band)
