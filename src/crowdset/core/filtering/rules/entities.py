"""SPEC §4: the same e-mail addresses, URLs and large numbers on both sides of a pair.

A translation keeps these verbatim (numbers up to their digit grouping), so an entity present
on one side only points to a misalignment or a truncated sentence. Entities are found over the
whole chunk at once and attributed to pairs by offset, which keeps the per-pair Python work
proportional to the rare entities, not to the pairs.

E-mails and URLs start with a literal ("@", "http", "www.") that the regular-expression engine
skips ahead to. Numbers start with a digit, which the engine would test at every position (about
20 ns a character, most of this rule's time), so numbers are read from the chunk's digit mask in
NumPy instead, with exactly the pattern's semantics (see :func:`_numbers`), as integers: the sets
of both sides are compared in NumPy, and only pairs with an e-mail, a URL or an unusual number
(non-ASCII digits, more than 18 digits), or with a difference to report, are compared in Python.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from crowdset.core.filtering.chunk import PairChunk, SideText
from crowdset.core.filtering.rule import BoolArray, Rule, Scores

# Patterns start with a literal ("@", "http", "www.") so that the regex engine skips ahead to
# candidates instead of trying every position; an e-mail's local part is then read backwards.
_EMAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_EMAIL_LOCAL_REVERSED = re.compile(r"[\w.+-]{1,64}")
_URLS = (re.compile(r"https?://[^\s<>\"']+"), re.compile(r"www\.[^\s<>\"']+"))
_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?")
_NUMBER = re.compile(r"\d+(?:[.,'\u00a0\u202f\u2009]\d+| \d{3}(?!\d))*")
"""What a number is; :func:`_numbers` finds the same matches without running it."""
_SEPARATORS = str.maketrans("", "", ".,' \u00a0\u202f\u2009")
_TRAILING = ".,;:!?)]}'\""
_SEPARATOR_CODES = np.array([ord(c) for c in ".,'\u00a0\u202f\u2009"], dtype=np.uint32)
_SPACE_CODE = np.uint32(ord(" "))
_NINE = np.uint32(ord("9"))  # ASCII digits are the decimal digits up to "9"
_MAX_DIGITS = 18  # numbers of up to 18 digits are exact in int64
_POW10 = 10 ** np.arange(_MAX_DIGITS + 1, dtype=np.int64)

Entity = tuple[str, str]
"""``(kind, normalised value)``, e.g. ``("number", "1000")``."""


def _emails(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for match in _EMAIL_DOMAIN.finditer(text):
        at = match.start()
        local = _EMAIL_LOCAL_REVERSED.match(text[max(0, at - 64) : at][::-1])
        if local:
            spans.append((at - local.end(), match.end(), "email"))
    return spans


def _number_text(value: int) -> str:
    """A number's normalised value: its digits without leading zeros ("" for zero)."""
    return str(value) if value else ""


@dataclass
class _SideEntities:
    """The entities of one side of a chunk."""

    owners: NDArray[np.int64]
    """Segment of each number held as an integer (ASCII digits, at most 18 of them)."""
    values: NDArray[np.int64]
    """Those numbers' values: the digits without separators, read as an integer."""
    other: dict[int, set[Entity]] = field(default_factory=lambda: defaultdict(set))
    """Segment → its e-mails, URLs and other numbers, compared as text."""

    def texts(self, segments: set[int]) -> dict[int, set[Entity]]:
        """Every entity of ``segments`` as ``(kind, text)``, the integers written out."""
        found: dict[int, set[Entity]] = {i: set(self.other.get(i, ())) for i in segments}
        pick = np.flatnonzero(np.isin(self.owners, list(segments)))
        for owner, value in zip(
            self.owners[pick].tolist(), self.values[pick].tolist(), strict=True
        ):
            found[owner].add(("number", _number_text(value)))
        return found


def _numbers(side: SideText, min_digits: int, found: _SideEntities) -> None:
    """Every match of ``_NUMBER`` in ``side.joined`` with ``min_digits`` digits or more.

    The pattern is a run of digits extended while a separator and more digits, or a space and
    a run of exactly three digits, follow: so each match is a chain of whole runs of digits,
    and which run extends to the next one depends only on the characters between them. Runs
    and chains come from the digit mask, values from the digits' positions. A chain with a
    non-ASCII digit or more than 18 digits goes to the regular expression and to ``other``.
    """
    digits, codes = side.digits, side.codes
    positions = np.flatnonzero(digits)
    if len(positions) == 0:
        return
    # runs of consecutive digits: [starts, ends) in the text, first/last index in positions
    breaks = np.flatnonzero(np.diff(positions) != 1)
    first = np.concatenate(([0], breaks + 1))
    last = np.concatenate((breaks, [len(positions) - 1]))
    starts, ends = positions[first], positions[last] + 1
    # the joined text ends with a separator, never a digit: ends and ends + 1 stay in range
    after = codes[ends]
    extended = np.isin(after, _SEPARATOR_CODES) & digits[np.minimum(ends + 1, len(codes) - 1)]
    lengths = ends - starts
    extended[:-1] |= (
        (after[:-1] == _SPACE_CODE) & (starts[1:] == ends[:-1] + 1) & (lengths[1:] == 3)
    )
    # chains: a run not extended by the one before starts a match
    opens = np.concatenate(([True], ~extended[:-1]))
    chain_of_run = np.cumsum(opens) - 1
    chain_runs = np.flatnonzero(opens)
    chain_start = starts[chain_runs]
    chain_end = ends[np.concatenate((chain_runs[1:] - 1, [len(starts) - 1]))]
    chain_first = first[chain_runs]  # index in positions of each chain's first digit
    digit_count = np.add.reduceat(lengths, chain_runs)
    # per digit: its chain and how many of the chain's digits follow it
    marks = np.zeros(len(positions), dtype=np.int64)
    marks[first] = 1
    chain_of_digit = chain_of_run[np.cumsum(marks) - 1]
    rank = np.arange(len(positions), dtype=np.int64) - chain_first[chain_of_digit]
    exponent = np.minimum(digit_count[chain_of_digit] - 1 - rank, _MAX_DIGITS)
    digit_codes = codes[positions]
    unusual = (digit_count > _MAX_DIGITS) | np.logical_or.reduceat(digit_codes > _NINE, chain_first)
    values = np.add.reduceat(
        (digit_codes.astype(np.int64) - ord("0")) * _POW10[exponent], chain_first
    )
    # digits left once leading zeros are dropped: 10**(k-1) <= value < 10**k has k of them
    significant = np.searchsorted(_POW10, values, side="right")
    keep = ~unusual & (significant >= min_digits)
    found.owners = side.owners(chain_start[keep])
    found.values = values[keep]
    if unusual.any():
        joined = side.joined
        rare = np.flatnonzero(unusual)
        owners = side.owners(chain_start[rare])
        for start, end, owner in zip(
            chain_start[rare].tolist(), chain_end[rare].tolist(), owners.tolist(), strict=True
        ):
            value = joined[start:end].translate(_SEPARATORS).lstrip("0")
            if len(value) >= min_digits:
                found.other[owner].add(("number", value))


def _unique_pairs(owners: NDArray[np.int64], values: NDArray[np.int64]) -> NDArray[np.int64]:
    """The distinct ``(owner, value)`` rows, sorted."""
    order = np.lexsort((values, owners))
    owners, values = owners[order], values[order]
    new = np.ones(len(order), dtype=np.bool_)
    new[1:] = (owners[1:] != owners[:-1]) | (values[1:] != values[:-1])
    return np.stack((owners[new], values[new]), axis=1)


class SameEntities(Rule):
    """Reject a pair when an e-mail, URL or number of ``min_digits``+ digits is on one side only.

    Numbers are compared by their digits alone (``1,000.5`` = ``1.000,5``), URLs and e-mails
    lower-cased without trailing punctuation. The score is the count of unmatched entities.
    """

    name: ClassVar[str] = "same_entities"
    whole_chunk: ClassVar[bool] = True
    emails: bool = True
    urls: bool = True
    numbers: bool = True
    min_digits: int = 3
    max_unmatched: int = 0

    def _entities(self, side: SideText) -> _SideEntities:
        found = _SideEntities(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if not side.texts:
            return found
        if self.numbers:
            _numbers(side, self.min_digits, found)
        joined = side.joined
        spans: list[tuple[int, int, str]] = []
        # ``in`` finds a literal faster than the regular-expression engine skips to it
        if self.emails and "@" in joined:
            spans += _emails(joined)
        if self.urls:
            for literal, pattern in zip(("http", "www."), _URLS, strict=True):
                if literal in joined:
                    spans += [(m.start(), m.end(), "url") for m in pattern.finditer(joined)]
        if not spans:
            return found
        owners = side.owners([start for start, _, _ in spans])
        for (start, end, kind), owner in zip(spans, owners.tolist(), strict=True):
            value = joined[start:end].rstrip(_TRAILING).lower()
            if kind == "url":
                # "http://www.x.org/" and "www.x.org" are the same address
                value = _URL_PREFIX.sub("", value)
            found.other[owner].add((kind, value))
        return found

    def score(self, chunk: PairChunk) -> Scores:
        n = len(chunk)
        src = self._entities(chunk.src_side)
        tgt = self._entities(chunk.tgt_side)
        # numbers: each distinct (pair, value) of a side once; those found once over both
        # sides are on one side only
        both = np.concatenate(
            (_unique_pairs(src.owners, src.values), _unique_pairs(tgt.owners, tgt.values))
        )
        rows = _unique_pairs(both[:, 0], both[:, 1])  # rows found on both sides collapse
        found_on = np.bincount(rows[:, 0], minlength=n) if len(rows) else np.zeros(n)
        # per pair: distinct numbers over both sides, less those on each side, is how many
        # are on one side only: |L ∪ R| - (|L| + |R| - |L ∪ R|) = 2|L ∪ R| - |L| - |R|
        sides = np.bincount(both[:, 0], minlength=n) if len(both) else np.zeros(n)
        unmatched = (2 * found_on - sides).astype(np.int64)
        # pairs with text entities, and pairs with a difference to report: sets of text
        as_text = src.other.keys() | tgt.other.keys()
        differing = as_text | set(np.flatnonzero(unmatched).tolist())
        only_src: NDArray[np.object_] = np.full(n, None, dtype=object)
        only_tgt: NDArray[np.object_] = np.full(n, None, dtype=object)
        if differing:
            left_all, right_all = src.texts(differing), tgt.texts(differing)
            for i in differing:
                left, right = left_all[i], right_all[i]
                unmatched[i] = len(left ^ right)
                if left != right:
                    only_src[i] = sorted(left - right)
                    only_tgt[i] = sorted(right - left)
        return {"unmatched": unmatched, "only_src": only_src, "only_tgt": only_tgt}

    def accept(self, scores: Scores) -> BoolArray:
        accepted: BoolArray = scores["unmatched"] <= self.max_unmatched
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        parts = [
            f"{kind} {value} only in {side}"
            for side in ("src", "tgt")
            for kind, value in (scores[f"only_{side}"][i] or [])[:3]
        ]
        return "same_entities: " + "; ".join(parts)
