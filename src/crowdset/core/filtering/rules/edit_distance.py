"""SPEC §4: the edit distance between source and target must exceed a minimum.

A "translation" that is a copy of its source, or nearly so (untranslated boilerplate, names
only), teaches a model nothing. The distance is Levenshtein's, normalised by the longer side
(0 = identical, 1 = nothing in common), on lower-cased text, computed by RapidFuzz in C++.

RapidFuzz is given the threshold as ``score_cutoff``, which lets it stop as soon as the distance
is known to exceed it (about 4× faster here): distances up to ``min`` are exact, larger ones are
reported as 1.0, meaning "more than ``min``".
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field
from rapidfuzz.distance import Levenshtein

from crowdset.core.filtering.chunk import PairChunk
from crowdset.core.filtering.rule import BoolArray, Rule, Scores, fmt


class EditDistance(Rule):
    """Reject pairs whose normalised edit distance is ``<= min`` (default 0.1)."""

    name: ClassVar[str] = "edit_distance"
    min: float = Field(default=0.1, ge=0.0, lt=1.0)

    def score(self, chunk: PairChunk) -> Scores:
        distance = Levenshtein.normalized_distance
        values = [distance(s.lower(), t.lower()) for s, t in zip(chunk.src, chunk.tgt, strict=True)]
        return {"distance": np.asarray(values, dtype=np.float64)}

    def accept(self, scores: Scores) -> BoolArray:
        accepted: BoolArray = scores["distance"] > self.min
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        return f"edit_distance={fmt(scores['distance'][i])} <= {self.min:g} (near copy)"
