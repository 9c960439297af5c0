"""SPEC §4: exact and near duplicates, decided in input order so that the first copy is kept.

Scoring computes a key per pair anywhere (in a worker process); deciding needs every key seen
so far, so :class:`SeenKeys` lives in one place (the process that reads the input) and checks
pairs in input order. Keys are Python ``hash()`` values of the pair: fast (cached on the
string) and equal across processes *forked* from the one that decides, which share its hash
seed. Whoever runs workers must fork them, or score duplicates in the deciding process.
Memory grows with the distinct pairs kept (about 100 bytes each).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from crowdset.core.filtering.chunk import PairChunk, SideText
from crowdset.core.filtering.rule import BoolArray, Rule, Scores
from crowdset.core.filtering.unicode_tables import to_lower

_NEWLINE = np.uint32(ord("\n"))


def exact_keys(chunk: PairChunk) -> NDArray[np.int64]:
    """One key per pair; equal pairs have equal keys."""
    return np.fromiter(
        map(hash, zip(chunk.src, chunk.tgt, strict=True)), dtype=np.int64, count=len(chunk)
    )


def normalise_all(side: SideText) -> list[str]:
    """Lower-cased letters only: ``"Hello, World 2!"`` → ``"helloworld"``.

    Done on the chunk's code-point array at once: keep letters (and combining marks), lower
    them, put a newline after each segment, decode once and split.
    """
    n = len(side.texts)
    if n == 0:
        return []
    keep = side.letters
    kept_lengths = side.count_per_segment(keep)
    out = np.empty(int(kept_lengths.sum()) + n, dtype=np.uint32)
    ends = np.cumsum(kept_lengths + 1) - 1  # where each segment's newline goes
    is_text = np.ones(len(out), dtype=np.bool_)
    is_text[ends] = False
    out[ends] = _NEWLINE
    out[is_text] = to_lower(side.codes[keep])
    # surrogatepass: a lone surrogate is a "letter" nowhere, but be safe with any code point
    return out.tobytes().decode("utf-32-le", "surrogatepass").split("\n")[:n]


def near_keys(chunk: PairChunk) -> NDArray[np.int64]:
    """Keys equal for pairs that differ only in case, digits, punctuation or whitespace.

    A pair with a side that has no letters at all keeps its exact key, so that symbol-only
    pairs are not all near duplicates of each other.
    """
    src = normalise_all(chunk.src_side)
    tgt = normalise_all(chunk.tgt_side)
    keys = [
        hash((s, t)) if s and t else hash((raw_s, raw_t))
        for s, t, raw_s, raw_t in zip(src, tgt, chunk.src, chunk.tgt, strict=True)
    ]
    return np.asarray(keys, dtype=np.int64)


class SeenKeys:
    """Keys of the pairs already kept by one duplicate rule, with the line of their first copy."""

    def __init__(self) -> None:
        self._first_line: dict[int, int] = {}

    def check(self, key: int, line: int, *, register: bool) -> int:
        """The line of an earlier copy, or 0 when ``key`` is new (then remembered if asked)."""
        earlier = self._first_line.get(key, 0)
        if not earlier and register:
            self._first_line[key] = line
        return earlier

    def __len__(self) -> int:
        return len(self._first_line)


class _DuplicateRule(Rule):
    stateful: ClassVar[bool] = True
    label: ClassVar[str]

    def accept(self, scores: Scores) -> BoolArray:
        # "duplicate_of" is filled in by the deciding process (see SeenKeys)
        accepted: BoolArray = scores["duplicate_of"] == 0
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        return f"{self.label} of line {int(scores['duplicate_of'][i])}"


class Duplicate(_DuplicateRule):
    """Reject a pair identical to an earlier pair (both sides, character for character)."""

    name: ClassVar[str] = "duplicate"
    label: ClassVar[str] = "duplicate"

    def score(self, chunk: PairChunk) -> Scores:
        return {"key": exact_keys(chunk)}


class NearDuplicate(_DuplicateRule):
    """Reject a pair equal to an earlier one once lower-cased and reduced to its letters."""

    name: ClassVar[str] = "near_duplicate"
    label: ClassVar[str] = "near duplicate"

    def score(self, chunk: PairChunk) -> Scores:
        return {"key": near_keys(chunk)}
