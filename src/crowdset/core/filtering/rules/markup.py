"""HTML/XML markup left in a sentence by a careless crawl or extraction (tags or entities)."""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from crowdset.core.filtering.chunk import PairChunk, SideText
from crowdset.core.filtering.rule import BoolArray, Rule, Scores

# A tag needs a name right after "<" or "</", so "a < b > c" and "<3" are not markup.
_MARKUP = re.compile(
    r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|&(?:[A-Za-z]{2,8}|#\d{1,6}|#x[0-9A-Fa-f]{1,6});"
)
_LT, _AMP = np.uint32(ord("<")), np.uint32(ord("&"))


def _markup_counts(side: SideText) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    counts = np.zeros(len(side.texts), dtype=np.int64)
    # every match starts with "<" or "&": try the pattern there only, in order, past the end
    # of the previous match, which is what finditer does (and fewer characters to step over)
    codes = side.codes
    candidates = np.flatnonzero((codes == _LT) | (codes == _AMP)).tolist()
    joined, match = side.joined, _MARKUP.match
    positions: list[int] = []
    end = 0
    for start in candidates:
        if start < end:
            continue
        found = match(joined, start)
        if found is not None:
            positions.append(start)
            end = found.end()
    if positions:
        np.add.at(counts, side.owners(positions), 1)
    return counts


class Markup(Rule):
    """Reject pairs with more than ``max_tags`` HTML/XML tags or entities on a side."""

    name: ClassVar[str] = "markup"
    whole_chunk: ClassVar[bool] = True
    max_tags: int = 0

    def score(self, chunk: PairChunk) -> Scores:
        return {"src": _markup_counts(chunk.src_side), "tgt": _markup_counts(chunk.tgt_side)}

    def accept(self, scores: Scores) -> BoolArray:
        accepted: BoolArray = (scores["src"] <= self.max_tags) & (scores["tgt"] <= self.max_tags)
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        return f"markup src={int(scores['src'][i])}, tgt={int(scores['tgt'][i])} > {self.max_tags}"
