"""Sides made mostly of symbols, digits or punctuation ("*** 12.50 € ***", "--", "| | |")."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from crowdset.core.filtering.chunk import PairChunk, SideText
from crowdset.core.filtering.rule import BoolArray, Rule, Scores, fmt


def letter_share(side: SideText) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    """Letters among the non-space characters of each segment (0 for a blank segment)."""
    letters = side.letter_counts.astype(np.float64)
    visible = side.count_per_segment(~side.spaces).astype(np.float64)
    return np.divide(letters, visible, out=np.zeros_like(letters), where=visible > 0)


class Alphabetic(Rule):
    """Reject a pair when letters are fewer than ``min_share`` of either side's characters."""

    name: ClassVar[str] = "alphabetic"
    whole_chunk: ClassVar[bool] = True
    min_share: float = Field(default=0.5, ge=0.0, le=1.0)

    def score(self, chunk: PairChunk) -> Scores:
        return {"src": letter_share(chunk.src_side), "tgt": letter_share(chunk.tgt_side)}

    def accept(self, scores: Scores) -> BoolArray:
        accepted: BoolArray = (scores["src"] >= self.min_share) & (scores["tgt"] >= self.min_share)
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        bad = [
            f"{side}={fmt(scores[side][i])}"
            for side in ("src", "tgt")
            if scores[side][i] < self.min_share
        ]
        return f"alphabetic share {', '.join(bad)} < {self.min_share:g}"
