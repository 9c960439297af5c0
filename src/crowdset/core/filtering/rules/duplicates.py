"""SPEC §4: exact and near duplicates, decided in input order so that the first copy is kept.

Scoring computes a key per pair anywhere (in a worker process); deciding needs every key seen
so far, so :class:`SeenKeys` lives in one place (the process that reads the input) and checks
pairs in input order. Keys are Python ``hash()`` values of the pair: fast (cached on the
string) and equal across processes *forked* from the one that decides, which share its hash
seed. Whoever runs workers must fork them, or score duplicates in the deciding process.
Memory grows with the distinct pairs kept (about 100 bytes each).
"""

from __future__ import annotations

from itertools import repeat
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from crowdset.core.filtering.chunk import PairChunk, SideText
from crowdset.core.filtering.rule import BoolArray, Rule, Scores
from crowdset.core.filtering.unicode_tables import to_lower


def exact_keys(chunk: PairChunk) -> NDArray[np.int64]:
    """One key per pair; equal pairs have equal keys."""
    return np.fromiter(
        map(hash, zip(chunk.src, chunk.tgt, strict=True)), dtype=np.int64, count=len(chunk)
    )


def normalise_all(side: SideText) -> list[str]:
    """Lower-cased letters only: ``"Hello, World 2!"`` → ``"helloworld"``.

    Done on the chunk's code-point array at once: keep letters (and combining marks) and the
    separator after each segment, lower them, decode once and split.
    """
    n = len(side.texts)
    if n == 0:
        return []
    keep = side.letters.copy()
    keep[side.ends] = True  # the separators ("\\n", which lowers to itself)
    out = to_lower(np.compress(keep, side.codes))
    # the narrowest encoding that holds every code point decodes fastest; letters are never
    # surrogates, so below 0x10000 each one is a single UTF-16 unit
    top = int(out.max())
    if top < 0x100:
        text = out.astype(np.uint8).tobytes().decode("latin-1")
    elif top < 0x10000:
        text = out.astype(np.uint16).tobytes().decode("utf-16-le")
    else:
        text = out.tobytes().decode("utf-32-le")
    return text.split("\n")[:n]


def near_keys(chunk: PairChunk) -> NDArray[np.int64]:
    """Keys equal for pairs that differ only in case, digits, punctuation or whitespace.

    A pair with a side that has no letters at all keeps its exact key, so that symbol-only
    pairs are not all near duplicates of each other.
    """
    n = len(chunk)
    src = normalise_all(chunk.src_side)
    tgt = normalise_all(chunk.tgt_side)
    keys = np.fromiter(map(hash, zip(src, tgt, strict=True)), dtype=np.int64, count=n)
    letterless = (chunk.src_side.letter_counts == 0) | (chunk.tgt_side.letter_counts == 0)
    for i in np.flatnonzero(letterless).tolist():
        keys[i] = hash((chunk.src[i], chunk.tgt[i]))
    return keys


class SeenKeys:
    """Keys of the pairs already kept by one duplicate rule, with the line of their first copy."""

    def __init__(self) -> None:
        self._first_line: dict[int, int] = {}
        self._last_line = 0  # the highest line seen

    def check(self, key: int, line: int, *, register: bool) -> int:
        """The line of an earlier copy, or 0 when ``key`` is new (then remembered if asked)."""
        earlier = self._first_line.get(key, 0)
        if not earlier and register:
            self._first_line[key] = line
        self._last_line = max(self._last_line, line)
        return earlier

    def check_all(
        self, keys: NDArray[np.int64], lines: NDArray[np.int64], reached: NDArray[np.bool_]
    ) -> NDArray[np.int64]:
        """:meth:`check` for each pair of a chunk in order, registering the pairs ``reached``.

        Returns the line of each pair's earlier copy (0 for none) and remembers the first
        reached copy of every new key, as calling :meth:`check` pair by pair would, with one
        dictionary look-up per pair and the rest in NumPy.
        """
        n = len(keys)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        last, self._last_line = self._last_line, max(self._last_line, int(lines.max()))
        if reached.all() and lines[0] > last and bool(np.all(lines[1:] > lines[:-1])):
            # the usual case, every pair registered, lines rising: one setdefault per pair,
            # in C; it returns the pair's own line exactly when the key was new
            setdefault = self._first_line.setdefault
            found = np.fromiter(
                map(setdefault, keys.tolist(), lines.tolist()), dtype=np.int64, count=n
            )
            found[found == lines] = 0
            return found
        get = self._first_line.get
        earlier = np.fromiter(map(get, keys.tolist(), repeat(0, n)), dtype=np.int64, count=n)
        # within the chunk: a key not seen before belongs to its first reached pair
        order = np.argsort(keys, kind="stable")  # equal keys stay in input order
        ordered = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        rank = np.arange(n, dtype=np.int64)
        first = np.minimum.reduceat(np.where(reached[order], rank, n), starts)
        first_of = np.repeat(first, np.diff(np.append(starts, n)))  # per position in ``order``
        within = np.zeros(n, dtype=np.int64)
        later = rank > first_of  # after the group's first reached pair (none: first_of == n)
        within[order[later]] = lines[order[first_of[later]]]
        new = earlier == 0
        earlier[new] = within[new]
        register = order[first[first < n]]
        register = register[new[register]]
        self._first_line.update(zip(keys[register].tolist(), lines[register].tolist(), strict=True))
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
