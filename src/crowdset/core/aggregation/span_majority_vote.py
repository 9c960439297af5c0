"""Span majority vote: each token gets the tag most of its workers gave, repaired to valid BIO."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import pandas as pd

from crowdset.core.aggregation._tag_frames import (
    SpanAggregator,
    TagData,
    encode_tags,
    normalize,
    vote_counts,
)


@dataclass(eq=False)
class SpanMajorityVote(SpanAggregator):
    """**Token majority vote** over BIO tags, the usual baseline of crowd sequence labelling
    (e.g. Rodrigues et al., *Sequence labeling with multiple annotators*, Machine Learning
    95(2), 2014; Nguyen et al., ACL 2017).

    Each token gets the tag of most votes; a tie goes to ``O``, then to the first tag in the
    tag order (``B-X`` before ``I-X``, types sorted), so an entity needs more votes than any
    other reading. The result is repaired to valid BIO (an ``I-X`` after anything but ``X``
    starts a span, as ``B-X``). ``probas_`` are the vote shares.
    """

    def fit(self, data: TagData, tokens: pd.Series[Any] | None = None) -> Self:
        """Count the votes of a ``sequence, worker, tags`` frame (``tokens`` is unused)."""
        answers = encode_tags(data)
        shares = normalize(vote_counts(answers))
        self._set_result(answers, shares.argmax(axis=1), shares)
        return self
