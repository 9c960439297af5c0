"""Letters in the wrong writing system for the declared language (Latin text on a Greek side).

The score is the share of a side's letters written in its language's script. Digits,
punctuation and symbols are not letters and do not count either way. On a side whose language
is not written in Latin (Greek, Bulgarian, Chinese…), Latin is also the script of brand and
product names, model numbers, URLs and e-mail addresses, which valid text carries verbatim
("νέες θήκες Trexta για το BlackBerry PlayBook", "Газов котел Auer Lelia", "CB500X"): the Latin
letters of *name-like* words — a word (whitespace-separated) with an upper-case letter, a digit,
``@``, ``/`` or a dot followed by a letter — are left out of the share there, provided the side
has at least one letter in its own script. A side written wholly in Latin ("The Rods - Wild
Dogs" as Greek) and lower-case Latin words ("web developers") still count against it. Without
this, 0.8 rejected 193 of 512 valid en–el pairs and 171 of 768 valid en–bg pairs of the ParaCrawl
human evaluations (docs/benchmarks.md).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from crowdset.core.filtering.chunk import PairChunk, SideText
from crowdset.core.filtering.rule import BoolArray, Rule, Scores, fmt
from crowdset.core.filtering.unicode_tables import (
    LANGUAGE_SCRIPTS,
    Script,
    in_scripts_table,
    primary_subtag,
)

_LATIN = frozenset({Script.LATIN})
_AT, _SLASH, _DOT = (np.uint32(ord(c)) for c in "@/.")


def in_names(side: SideText) -> NDArray[np.bool_]:
    """Which characters belong to a name-like word: a whitespace-separated token with an
    upper-case letter, a digit, ``@``, ``/`` or a dot followed by a letter."""
    codes, spaces = side.codes, side.spaces
    marked = side.upper | side.digits | (codes == _AT) | (codes == _SLASH)
    marked[:-1] |= (codes[:-1] == _DOT) & side.letters[1:]
    previous_space = np.empty_like(spaces)
    previous_space[:1] = True
    previous_space[1:] = spaces[:-1]
    token_starts = previous_space > spaces
    starts = np.flatnonzero(token_starts)
    if len(starts) == 0:
        return np.zeros(len(codes), dtype=np.bool_)
    # a token runs from its start to the next one's; the spaces in between are never marked
    named = np.add.reduceat(marked, starts, dtype=np.int32) > 0
    token = np.cumsum(token_starts) - 1  # -1 before the first token: spaces, masked below
    in_named: NDArray[np.bool_] = named[token] & ~spaces
    return in_named


def script_share(side: SideText, scripts: frozenset[Script]) -> NDArray[np.float64]:
    """Share of each segment's letters written in ``scripts`` (1 when it has no letters), the
    Latin letters of name-like words left out when ``scripts`` is not Latin (see above)."""
    letters = side.letters
    native = side.count_per_segment(letters & in_scripts_table(scripts).take(side.codes))
    total = side.letter_counts
    if Script.LATIN not in scripts:
        names = letters & in_scripts_table(_LATIN).take(side.codes) & in_names(side)
        total = total - np.where(native > 0, side.count_per_segment(names), 0)
    share = native.astype(np.float64)
    return np.divide(share, total, out=np.ones_like(share), where=total > 0)


class ScriptMatch(Rule):
    """Reject a pair when under ``min_share`` of a side's letters are in its language's script.

    ``src`` and ``tgt`` are ISO 639-1 codes (``en``, ``el``, ``zh``); a side without a language
    is not checked. ``crowdset corpus filter --src-lang/--tgt-lang`` fill them in. Latin names
    on a side in another script are not counted (see the module's docstring).
    """

    name: ClassVar[str] = "script"
    whole_chunk: ClassVar[bool] = True
    src: str | None = None
    tgt: str | None = None
    min_share: float = Field(default=0.8, ge=0.0, le=1.0)

    @field_validator("src", "tgt")
    @classmethod
    def _known(cls, language: str | None) -> str | None:
        if language is not None and primary_subtag(language) not in LANGUAGE_SCRIPTS:
            known = ", ".join(sorted(LANGUAGE_SCRIPTS))
            raise ValueError(
                f"no script known for language {language!r}; use one of {known}, "
                "or leave the language out to skip that side"
            )
        return language

    def _scripts(self, language: str) -> frozenset[Script]:
        return LANGUAGE_SCRIPTS[primary_subtag(language)]

    def score(self, chunk: PairChunk) -> Scores:
        n = len(chunk)
        scores: Scores = {}
        for side_name, side, language in (
            ("src", chunk.src_side, self.src),
            ("tgt", chunk.tgt_side, self.tgt),
        ):
            if language is None:
                scores[side_name] = np.ones(n, dtype=np.float64)
            else:
                scores[side_name] = script_share(side, self._scripts(language))
        return scores

    def accept(self, scores: Scores) -> BoolArray:
        accepted: BoolArray = (scores["src"] >= self.min_share) & (scores["tgt"] >= self.min_share)
        return accepted

    def reason(self, scores: Scores, i: int) -> str:
        bad = [
            f"{side}={fmt(scores[side][i])} of letters in {self._expected(side)}"
            for side in ("src", "tgt")
            if scores[side][i] < self.min_share
        ]
        return f"script {', '.join(bad)} < {self.min_share:g}"

    def _expected(self, side: str) -> str:
        language = self.src if side == "src" else self.tgt
        scripts = self._scripts(language) if language else frozenset()
        return "/".join(sorted(s.name.title() for s in scripts))
