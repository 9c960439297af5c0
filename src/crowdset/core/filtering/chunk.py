"""A chunk of sentence pairs, the unit every rule scores at once (SPEC §4).

Rules work on whole chunks so that their arithmetic runs in NumPy rather than in a Python loop
per pair. The code-point arrays of each side are built once per chunk and shared by the rules
that need them (lengths, tokens, scripts, hashes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from crowdset.core.filtering.unicode_tables import is_letter, is_space


@dataclass(eq=False)
class SideText:
    """One side of a chunk as one flat array of code points plus per-segment offsets."""

    texts: list[str]

    @cached_property
    def lengths(self) -> NDArray[np.int64]:
        """Length of each segment in characters (code points)."""
        return np.fromiter(map(len, self.texts), dtype=np.int64, count=len(self.texts))

    @cached_property
    def starts(self) -> NDArray[np.int64]:
        """Offset of each segment's first character in :attr:`codes`."""
        starts = np.zeros(len(self.texts), dtype=np.int64)
        if len(self.texts) > 1:
            np.cumsum(self.lengths[:-1], out=starts[1:])
        return starts

    @cached_property
    def codes(self) -> NDArray[np.uint32]:
        """Every code point of every segment, concatenated."""
        # surrogatepass: a lone surrogate from a JSON escape must not crash scoring.
        raw = "".join(self.texts).encode("utf-32-le", "surrogatepass")
        return np.frombuffer(raw, dtype=np.uint32)

    @cached_property
    def letters(self) -> NDArray[np.bool_]:
        """Which characters of :attr:`codes` are letters or combining marks."""
        return is_letter(self.codes)

    @cached_property
    def spaces(self) -> NDArray[np.bool_]:
        """Which characters of :attr:`codes` are whitespace."""
        return is_space(self.codes)

    def count_per_segment(self, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        """How many characters of each segment have ``mask`` set."""
        counts = np.zeros(len(self.texts), dtype=np.int64)
        nonempty = self.lengths > 0
        if len(mask):
            # reduceat sums each segment in one pass; empty segments are left out because
            # reduceat would return the next element for them instead of 0
            counts[nonempty] = np.add.reduceat(mask, self.starts[nonempty], dtype=np.int64)
        return counts


@dataclass(eq=False)
class PairChunk:
    """Sentence pairs with the input line on which each one starts (1-based).

    ``src[i]``, ``tgt[i]`` and ``lines[i]`` describe pair ``i``; the three have equal length.
    """

    src: list[str]
    tgt: list[str]
    lines: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        if len(self.lines) != len(self.src):
            # Readers always pass line numbers; tests and the Python API may not.
            if len(self.lines) == 0:
                self.lines = np.arange(1, len(self.src) + 1, dtype=np.int64)
            else:
                raise ValueError("src, tgt and lines must have the same length")
        if len(self.src) != len(self.tgt):
            raise ValueError("src and tgt must have the same length")

    def __len__(self) -> int:
        return len(self.src)

    @cached_property
    def src_side(self) -> SideText:
        return SideText(self.src)

    @cached_property
    def tgt_side(self) -> SideText:
        return SideText(self.tgt)

    def sides(self) -> tuple[SideText, SideText]:
        return self.src_side, self.tgt_side

    def take(self, index: NDArray[np.int64]) -> PairChunk:
        """The pairs at ``index``, in that order (used to score only the survivors)."""
        idx = index.tolist()
        src, tgt = self.src, self.tgt
        return PairChunk([src[i] for i in idx], [tgt[i] for i in idx], self.lines[index])

    @classmethod
    def of(cls, pairs: list[tuple[str, str]], first_line: int = 1) -> PairChunk:
        """A chunk from ``(src, tgt)`` tuples numbered from ``first_line``."""
        lines = np.arange(first_line, first_line + len(pairs), dtype=np.int64)
        return cls([s for s, _ in pairs], [t for _, t in pairs], lines)
