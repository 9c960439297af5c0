"""Length rules of SPEC §4: the length ratio and the token count of each side."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import model_validator

from crowdset.core.filtering.chunk import PairChunk, SideText
from crowdset.core.filtering.rule import BoolArray, Rule, Scores, fmt


class LengthRatio(Rule):
    """``min < |S|/|T| < max`` with lengths in characters (SPEC §4: ``0.4 < |S|/|T| < 2.5``).

    Characters rather than words so that languages written without spaces (Chinese, Japanese,
    Thai) get a meaningful ratio. An empty target gives an infinite ratio; both sides empty give
    a ratio of 1 (the ``token_count`` rule rejects those).
    """

    name: ClassVar[str] = "length_ratio"
    whole_chunk: ClassVar[bool] = True
    min: float = 0.4
    max: float = 2.5

    @model_validator(mode="after")
    def _ordered(self) -> LengthRatio:
        if not 0 <= self.min < self.max:
            raise ValueError(f"need 0 <= min < max, got min={self.min}, max={self.max}")
        return self

    def score(self, chunk: PairChunk) -> Scores:
        src = chunk.src_side.lengths.astype(np.float64)
        tgt = chunk.tgt_side.lengths.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(tgt > 0, src / np.where(tgt > 0, tgt, 1.0), np.inf)
        ratio[(src == 0) & (tgt == 0)] = 1.0
        return {"ratio": ratio}

    def accept(self, scores: Scores) -> BoolArray:
        ratio = scores["ratio"]
        accepted: BoolArray = (ratio > self.min) & (ratio < self.max)
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        return f"length_ratio={fmt(scores['ratio'][i])} not in ({self.min:g}, {self.max:g})"


def token_counts(side: SideText) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    """Whitespace-separated tokens per segment, as ``len(s.split())`` counts them."""
    spaces = side.spaces
    if len(spaces) == 0:
        return np.zeros(len(side.texts), dtype=np.int64)
    # a token starts at a non-space character that follows a space; segments are preceded by
    # the separator before them (a space), the first one by the start of the text
    previous_space = np.empty_like(spaces)
    previous_space[0] = True
    previous_space[1:] = spaces[:-1]
    return side.count_per_segment(previous_space > spaces)


class TokenCount(Rule):
    """``min < N < max`` whitespace tokens on each side (SPEC §4: ``2 < N < 80``)."""

    name: ClassVar[str] = "token_count"
    whole_chunk: ClassVar[bool] = True
    min: int = 2
    max: int = 80

    @model_validator(mode="after")
    def _ordered(self) -> TokenCount:
        if not 0 <= self.min < self.max:
            raise ValueError(f"need 0 <= min < max, got min={self.min}, max={self.max}")
        return self

    def score(self, chunk: PairChunk) -> Scores:
        return {"src": token_counts(chunk.src_side), "tgt": token_counts(chunk.tgt_side)}

    def accept(self, scores: Scores) -> BoolArray:
        src, tgt = scores["src"], scores["tgt"]
        accepted: BoolArray = (
            (src > self.min) & (src < self.max) & (tgt > self.min) & (tgt < self.max)
        )
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        bad = [
            f"{side}={int(scores[side][i])}"
            for side in ("src", "tgt")
            if not self.min < scores[side][i] < self.max
        ]
        return f"token_count {', '.join(bad)} not in ({self.min}, {self.max})"
