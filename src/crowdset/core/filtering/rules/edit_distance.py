"""SPEC §4: the edit distance between source and target must exceed a minimum.

A "translation" that is a copy of its source, or nearly so (untranslated boilerplate, names
only), teaches a model nothing. The distance is Levenshtein's, normalised by the longer side
(0 = identical, 1 = nothing in common), on lower-cased text, computed by RapidFuzz in C++.

RapidFuzz is given the threshold as ``score_cutoff``, which lets it stop as soon as the distance
is known to exceed it (about twice as fast on the speed benchmark's corpus): distances up to
``min`` are exact, larger ones come back as 1.0, meaning "more than ``min``". When the scores
are written out (:meth:`with_exact_scores`), every distance is computed in full. The pairs of a
chunk go to RapidFuzz's ``cpdist`` in one call, so the loop over them runs in C++.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field, PrivateAttr
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cpdist

from crowdset.core.filtering.chunk import PairChunk
from crowdset.core.filtering.rule import BoolArray, Rule, Scores, fmt


class EditDistance(Rule):
    """Reject pairs whose normalised edit distance is ``<= min`` (default 0.1)."""

    name: ClassVar[str] = "edit_distance"
    min: float = Field(default=0.1, ge=0.0, lt=1.0)
    _exact: bool = PrivateAttr(default=False)

    def with_exact_scores(self) -> EditDistance:
        exact = self.model_copy()
        exact._exact = True
        return exact

    def score(self, chunk: PairChunk) -> Scores:
        if not len(chunk):
            return {"distance": np.zeros(0, dtype=np.float64)}
        # cpdist: pair i against pair i, the loop in C++
        values = cpdist(
            list(map(str.lower, chunk.src)),
            list(map(str.lower, chunk.tgt)),
            scorer=Levenshtein.normalized_distance,
            score_cutoff=None if self._exact else self.min,
            dtype=np.float64,
        )
        return {"distance": values}

    def accept(self, scores: Scores) -> BoolArray:
        accepted: BoolArray = scores["distance"] > self.min
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        return f"edit_distance={fmt(scores['distance'][i])} <= {self.min:g} (near copy)"
