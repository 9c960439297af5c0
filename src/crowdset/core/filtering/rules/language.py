"""SPEC §4: language identification of each side, with CLD2 (model compiled into pycld2).

CLD2 was the fastest identifier measured here (≈88k sentences/s on one core, see NOTES) and
needs no download. Each call has a fixed cost (≈2.6 µs) that dominates short texts, so results
for short texts are memoised per process: web corpora repeat many ("Home", "Add to cart").
Long sentences rarely repeat once duplicate pairs are gone, and memoising them costs about
0.6 µs each (hashing, storing) against ≈8 µs of CLD2: they are not memoised.
"""

from __future__ import annotations

import difflib
from functools import cache
from typing import ClassVar

import numpy as np
import pycld2
from numpy.typing import NDArray
from pydantic import field_validator

from crowdset.core.filtering.chunk import PairChunk
from crowdset.core.filtering.rule import BoolArray, Rule, Scores
from crowdset.core.filtering.unicode_tables import primary_subtag

UNKNOWN = "un"
# CLD2 still uses some withdrawn ISO 639 codes; compare with the current ones.
_CLD2_ALIASES = {"iw": "he", "jw": "jv", "in": "id", "nb": "no", "tl": "fil", "zh-hant": "zh"}
_CACHE_LIMIT = 200_000
_CACHED_UP_TO = 64
"""Texts of at most this many characters are memoised."""
_cache: dict[str, tuple[str, int]] = {}


@cache
def _canonical(code: str) -> str:
    code = code.lower()
    code = _CLD2_ALIASES.get(code, code)
    return _CLD2_ALIASES.get(primary_subtag(code), primary_subtag(code))


@cache
def _identifiable() -> dict[str, str]:
    """Code → name of every language CLD2 can report (not its internal pseudo-languages)."""
    detected = set(pycld2.DETECTED_LANGUAGES)
    return {
        _canonical(code): name.title()
        for name, code in pycld2.LANGUAGES
        if name in detected and not code.startswith(("xx", "zz"))
    }


def _cld2(text: str) -> tuple[str, int]:
    try:
        reliable, _, details = pycld2.detect(text)
    except (pycld2.error, UnicodeError, ValueError):
        # invalid UTF-8 (lone surrogates) or text CLD2 refuses: unknown, not a crash
        return UNKNOWN, 0
    if not reliable:
        return UNKNOWN, 0
    return _canonical(details[0][1]), int(details[0][2])


def detect(text: str) -> tuple[str, int]:
    """``(language code, percent of the text in it)``; ``("un", 0)`` when CLD2 cannot tell."""
    codes, percents = _detect_all([text])
    return str(codes[0]), int(percents[0])


def _detect_all(texts: list[str]) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    cache = _cache
    if len(cache) + len(texts) > _CACHE_LIMIT:
        cache.clear()
    found = []
    for text in texts:  # the hot loop: ~10 µs of CLD2 per sentence, keep Python work minimal
        if len(text) > _CACHED_UP_TO:
            found.append(_cld2(text))
            continue
        hit = cache.get(text)
        if hit is None:
            hit = cache[text] = _cld2(text)
        found.append(hit)
    codes = np.empty(len(found), dtype=object)
    codes[:] = [code for code, _ in found]
    percents = np.fromiter((pct for _, pct in found), dtype=np.int64, count=len(found))
    return codes, percents


class LanguageId(Rule):
    """Reject a side identified as another language than the expected ``src`` / ``tgt`` one.

    A side CLD2 cannot identify reliably (short, mixed, names only) passes when
    ``accept_unknown`` is true. With no expected language at all, the rule rejects pairs whose
    two sides are reliably identified as the same language (untranslated text).
    """

    name: ClassVar[str] = "language"
    src: str | None = None
    tgt: str | None = None
    accept_unknown: bool = True

    @field_validator("src", "tgt")
    @classmethod
    def _known_to_cld2(cls, language: str | None) -> str | None:
        # a code CLD2 never reports would silently reject every pair of that side
        if language is None or _canonical(language) in _identifiable():
            return language
        known = _identifiable()
        # suggest from names only: a close code ('deu' → 'eu', Basque) would mislead
        by_name = {name.lower(): code for code, name in known.items()}
        close = difflib.get_close_matches(language.lower(), by_name, n=1, cutoff=0.8)
        hint = f"did you mean '{by_name[close[0]]}' ({close[0].title()})? " if close else ""
        raise ValueError(
            f"CLD2 cannot identify language {language!r}; {hint}use an ISO 639 code it knows "
            f"({', '.join(sorted(known))}), or leave the language out to skip that side"
        )

    def score(self, chunk: PairChunk) -> Scores:
        scores: Scores = {}
        for side_name, texts, language in (
            ("src", chunk.src, self.src),
            ("tgt", chunk.tgt, self.tgt),
        ):
            if language is None and (self.src or self.tgt):
                # only this side is unchecked: skip CLD2 on it, it is the expensive part
                scores[side_name] = np.full(len(texts), UNKNOWN, dtype=object)
                scores[f"{side_name}_percent"] = np.zeros(len(texts), dtype=np.int64)
            else:
                scores[side_name], scores[f"{side_name}_percent"] = _detect_all(texts)
        return scores

    def _side_ok(self, detected: NDArray[np.object_], expected: str | None) -> BoolArray:
        if expected is None:
            return np.ones(len(detected), dtype=np.bool_)
        ok: BoolArray = detected == _canonical(expected)
        if self.accept_unknown:
            ok |= detected == UNKNOWN
        return ok

    def accept(self, scores: Scores) -> BoolArray:
        src, tgt = scores["src"], scores["tgt"]
        if self.src is None and self.tgt is None:
            same: BoolArray = (src == tgt) & (src != UNKNOWN)
            return ~same
        accepted: BoolArray = self._side_ok(src, self.src) & self._side_ok(tgt, self.tgt)
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        if self.src is None and self.tgt is None:
            return f"language src=tgt={scores['src'][i]} (untranslated)"
        bad = [
            f"{side}={scores[side][i]} (expected {expected})"
            for side, expected in (("src", self.src), ("tgt", self.tgt))
            if expected is not None and not self._side_ok(scores[side][i : i + 1], expected)[0]
        ]
        return f"language {', '.join(bad)}"
