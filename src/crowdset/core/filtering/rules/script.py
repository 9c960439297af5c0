"""Letters in the wrong writing system for the declared language (Latin text on a Greek side)."""

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
    primary_subtag,
    scripts_of,
)


def script_share(side: SideText, scripts: frozenset[Script]) -> NDArray[np.float64]:
    """Share of each segment's letters written in ``scripts`` (1 when it has no letters)."""
    letters = side.letters
    wanted = np.zeros(256, dtype=np.bool_)  # script id → allowed, so one more look-up
    wanted[[int(script) for script in scripts]] = True
    allowed = wanted[scripts_of(side.codes)]
    in_script = side.count_per_segment(letters & allowed).astype(np.float64)
    total = side.count_per_segment(letters).astype(np.float64)
    return np.divide(in_script, total, out=np.ones_like(total), where=total > 0)


class ScriptMatch(Rule):
    """Reject a pair when under ``min_share`` of a side's letters are in its language's script.

    ``src`` and ``tgt`` are ISO 639-1 codes (``en``, ``el``, ``zh``); a side without a language
    is not checked. ``crowdset corpus filter --src-lang/--tgt-lang`` fill them in.
    """

    name: ClassVar[str] = "script"
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
