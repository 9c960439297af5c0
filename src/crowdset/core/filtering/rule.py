"""What every machine filter is: a name, scores for a chunk, a vectorised accept, a reason.

A rule is also its own configuration: a frozen Pydantic model whose fields are the rule's
thresholds, so that the pipeline YAML validates against the rule itself (unknown keys refused).
Rules score whole chunks (see :mod:`.chunk`) and return one NumPy array per score field, one
value per pair; ``accept`` turns those arrays into one boolean per pair, and ``reason`` writes
the sentence a user reads for one rejected pair, with the offending value and the threshold.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from crowdset.core.filtering.chunk import PairChunk

Scores = dict[str, NDArray[Any]]
"""Score field name → one value per pair of the chunk."""

BoolArray = NDArray[np.bool_]


class Rule(BaseModel, ABC):
    """Base of the machine filters of SPEC §4."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClassVar[str]
    """The rule's name in pipeline YAML, reports and reasons."""

    stateful: ClassVar[bool] = False
    """True for rules whose verdict depends on earlier pairs (duplicates): the pipeline scores
    them in any process but decides them in one place, in input order."""

    whole_chunk: ClassVar[bool] = False
    """True for rules whose cost hardly depends on how many pairs they score (NumPy over the
    chunk's shared arrays, one regular-expression pass): the pipeline then scores the whole
    chunk and keeps the rows of the pairs still alive, instead of building a subset chunk whose
    arrays would be computed again. Pure per-pair rules leave it False."""

    @abstractmethod
    def score(self, chunk: PairChunk) -> Scores:
        """Score every pair of ``chunk``."""

    @abstractmethod
    def accept(self, scores: Scores) -> BoolArray:
        """One boolean per pair: does the pair pass this rule's thresholds?"""

    @abstractmethod
    def reason(self, scores: Scores, i: int) -> str:
        """Why pair ``i`` was rejected, e.g. ``length_ratio=3.10 not in (0.4, 2.5)``."""

    def with_exact_scores(self) -> Rule:
        """This rule as it must score when its scores are written out (JSONL, ``--scores``).

        Rules may stop computing a score once the verdict is known; such a rule returns a copy
        that computes every score in full. Most rules always do, and return themselves.
        """
        return self

    def explain(self, scores: Scores) -> dict[int, str]:
        """Reasons for every rejected pair of a chunk, keyed by the pair's index."""
        rejected = np.flatnonzero(~self.accept(scores))
        return {int(i): self.reason(scores, int(i)) for i in rejected}


def fmt(value: float) -> str:
    """Numbers in reasons: two decimals, no trailing noise (``3.1`` → ``3.10``)."""
    return f"{value:.2f}"
