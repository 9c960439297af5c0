"""A chunk of sentence pairs, the unit every rule scores at once (SPEC §4).

Rules work on whole chunks so that their arithmetic runs in NumPy rather than in a Python loop
per pair. Each side is held once as one string, its segments joined by ``"\\n"``, and as the
code points of that string; the class of every character (letter, space, digit, upper case) is
looked up once per chunk and shared by the rules that need it (lengths, tokens, scripts, hashes,
numbers). Offsets in the string and in the code-point array are the same, so a regular
expression run over the string and a NumPy mask over the code points can be combined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from crowdset.core.filtering.unicode_tables import (
    DIGIT,
    LETTER,
    SPACE,
    UPPER,
    char_classes,
    has_class,
)


@dataclass(eq=False)
class SideText:
    """One side of a chunk: its segments joined into one string, and its code points.

    Segment ``k`` is ``joined[starts[k] : ends[k]]``; ``joined[ends[k]]`` is the ``"\\n"`` that
    follows it (every segment, the last one included, is followed by one).
    """

    texts: list[str]

    @cached_property
    def lengths(self) -> NDArray[np.int64]:
        """Length of each segment in characters (code points)."""
        return np.fromiter(map(len, self.texts), dtype=np.int64, count=len(self.texts))

    @cached_property
    def starts(self) -> NDArray[np.int64]:
        """Offset of each segment's first character in :attr:`joined` and :attr:`codes`."""
        starts = np.zeros(len(self.texts), dtype=np.int64)
        if len(self.texts) > 1:
            np.cumsum(self.lengths[:-1] + 1, out=starts[1:])
        return starts

    @cached_property
    def ends(self) -> NDArray[np.int64]:
        """Offset of the ``"\\n"`` after each segment."""
        ends: NDArray[np.int64] = self.starts + self.lengths
        return ends

    @cached_property
    def joined(self) -> str:
        """Every segment followed by ``"\\n"``, as one string (for regular expressions)."""
        return "\n".join(self.texts) + "\n" if self.texts else ""

    @cached_property
    def codes(self) -> NDArray[np.uint32]:
        """The code points of :attr:`joined`."""
        # surrogatepass: a lone surrogate from a JSON escape must not crash scoring.
        raw = self.joined.encode("utf-32-le", "surrogatepass")
        return np.frombuffer(raw, dtype=np.uint32)

    @cached_property
    def classes(self) -> NDArray[np.uint8]:
        """Class bits of each character of :attr:`codes` (see :func:`char_classes`)."""
        return char_classes(self.codes)

    @cached_property
    def letters(self) -> NDArray[np.bool_]:
        """Which characters of :attr:`codes` are letters or combining marks."""
        return has_class(self.classes, LETTER)

    @cached_property
    def spaces(self) -> NDArray[np.bool_]:
        """Which characters of :attr:`codes` are whitespace (the separators included)."""
        return has_class(self.classes, SPACE)

    @cached_property
    def digits(self) -> NDArray[np.bool_]:
        """Which characters of :attr:`codes` are decimal digits."""
        return has_class(self.classes, DIGIT)

    @cached_property
    def upper(self) -> NDArray[np.bool_]:
        """Which characters of :attr:`codes` are upper- or title-case letters."""
        return has_class(self.classes, UPPER)

    @cached_property
    def letter_counts(self) -> NDArray[np.int64]:
        """Letters (and combining marks) in each segment."""
        return self.count_per_segment(self.letters)

    def count_per_segment(self, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        """How many characters of each segment have ``mask`` set (separators not counted)."""
        if not self.texts:
            return np.zeros(0, dtype=np.int64)
        # reduceat sums from each segment's start to the next one's, separator included: take
        # the separator back out so that any mask can be counted
        # (in int32, faster to add up: a segment holds fewer than 2**31 characters)
        counts = np.add.reduceat(mask, self.starts, dtype=np.int32)
        counts -= mask[self.ends]
        return counts.astype(np.int64)

    def owners(self, offsets: list[int] | NDArray[np.int64]) -> NDArray[np.int64]:
        """The segment each offset of :attr:`joined` falls in (a separator: the one before)."""
        owners: NDArray[np.int64] = np.searchsorted(self.starts, offsets, side="right") - 1
        return owners


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
