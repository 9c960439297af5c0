"""SPEC §4: the same e-mail addresses, URLs and large numbers on both sides of a pair.

A translation keeps these verbatim (numbers up to their digit grouping), so an entity present
on one side only points to a misalignment or a truncated sentence. Entities are found with one
regular-expression pass over the whole chunk and attributed to pairs by offset, which keeps the
per-pair Python work proportional to the entities found, not to the pairs.
"""

from __future__ import annotations

import re
from collections import defaultdict
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
_SEPARATORS = str.maketrans("", "", ".,' \u00a0\u202f\u2009")
_TRAILING = ".,;:!?)]}'\""

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


class SameEntities(Rule):
    """Reject a pair when an e-mail, URL or number of ``min_digits``+ digits is on one side only.

    Numbers are compared by their digits alone (``1,000.5`` = ``1.000,5``), URLs and e-mails
    lower-cased without trailing punctuation. The score is the count of unmatched entities.
    """

    name: ClassVar[str] = "same_entities"
    emails: bool = True
    urls: bool = True
    numbers: bool = True
    min_digits: int = 3
    max_unmatched: int = 0

    def _entities(self, side: SideText) -> dict[int, set[Entity]]:
        found: dict[int, set[Entity]] = defaultdict(set)
        texts = side.texts
        if not texts:
            return found
        # offsets in "\n".join(texts): each segment is followed by one separator character
        offsets = side.starts + np.arange(len(texts), dtype=np.int64)
        joined = "\n".join(texts)
        spans: list[tuple[int, int, str]] = []
        if self.numbers:
            spans += [(m.start(), m.end(), "number") for m in _NUMBER.finditer(joined)]
        if self.emails:
            spans += _emails(joined)
        if self.urls:
            for pattern in _URLS:
                spans += [(m.start(), m.end(), "url") for m in pattern.finditer(joined)]
        if not spans:
            return found
        owners = np.searchsorted(offsets, [start for start, _, _ in spans], side="right") - 1
        for (start, end, kind), owner in zip(spans, owners.tolist(), strict=True):
            value = joined[start:end]
            if kind == "number":
                value = value.translate(_SEPARATORS).lstrip("0")
                if len(value) < self.min_digits:
                    continue
            elif kind == "url":
                # "http://www.x.org/" and "www.x.org" are the same address
                value = _URL_PREFIX.sub("", value.rstrip(_TRAILING).lower())
            else:
                value = value.rstrip(_TRAILING).lower()
            found[owner].add((kind, value))
        return found

    def score(self, chunk: PairChunk) -> Scores:
        src = self._entities(chunk.src_side)
        tgt = self._entities(chunk.tgt_side)
        unmatched = np.zeros(len(chunk), dtype=np.int64)
        only_src: NDArray[np.object_] = np.full(len(chunk), None, dtype=object)
        only_tgt: NDArray[np.object_] = np.full(len(chunk), None, dtype=object)
        for i in src.keys() | tgt.keys():
            left, right = src.get(i, set()), tgt.get(i, set())
            if left != right:
                only_src[i] = sorted(left - right)
                only_tgt[i] = sorted(right - left)
                unmatched[i] = len(left ^ right)
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
