"""Automatic checks of a written query before validators see it (SPEC §2).

Each failure carries a stable ``reason`` and a message written for the worker, who gets the
answer back to fix it. All failures are reported at once so a worker fixes everything in one
round; an empty answer reports only ``empty``.

Near-duplicates are judged on the plain normalised texts (casefold, punctuation removed,
whitespace collapsed) with rapidfuzz's ``fuzz.ratio``. Required values are *not* replaced by a
placeholder: references arrive as plain strings whose own values are unknown here, and
masking only the candidate would make every query look less like its references than it is.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz, process

from crowdset.core.filtering.rules.language import UNKNOWN, detect

# the one place that maps CLD2's withdrawn codes (nb, iw, ...) to current ones
from crowdset.core.filtering.rules.language import _canonical as canonical_language
from crowdset.core.generation.annotation import missing_values
from crowdset.core.generation.model import CheckFailure, SlotValue
from crowdset.errors import InvalidInput

__all__ = ["CheckReason", "CheckRules", "check_query", "count_words", "normalise_for_comparison"]


class CheckReason(StrEnum):
    """The stable codes of ``CheckFailure.reason``."""

    EMPTY = "empty"
    MISSING_VALUE = "missing_value"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NEAR_DUPLICATE = "near_duplicate"
    WRONG_LANGUAGE = "wrong_language"
    BLOCKED = "blocked"  # pasted or implausibly fast, where the campaign blocks those (§6.7)


@dataclass(frozen=True)
class CheckRules:
    """Thresholds of the checks; ``language=None`` skips the language check.

    ``near_duplicate_similarity`` is a 0–100 ``fuzz.ratio`` score: a query scoring at least
    this against any reference is a near-duplicate (identical texts score 100).
    """

    min_words: int = 3
    max_words: int = 40
    near_duplicate_similarity: float = 90.0
    language: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.min_words <= self.max_words:
            raise InvalidInput(
                f"need 1 <= min_words <= max_words, got min_words={self.min_words}, "
                f"max_words={self.max_words}",
                field="min_words",
            )
        if not 0 < self.near_duplicate_similarity <= 100:
            raise InvalidInput(
                "near_duplicate_similarity is a 0–100 score above 0, got "
                f"{self.near_duplicate_similarity}",
                field="near_duplicate_similarity",
            )
        if self.language is not None and not self.language.strip():
            raise InvalidInput(
                "language must be an ISO 639-1 code such as 'en', or None to skip the check",
                field="language",
            )


def count_words(text: str) -> int:
    """Whitespace-separated tokens holding a letter or digit ("," alone is no word).

    Languages written without spaces count as few words: set ``min_words`` to 1 for them.
    """
    return sum(1 for token in text.split() if any(char.isalnum() for char in token))


@lru_cache(maxsize=65_536)
def normalise_for_comparison(text: str) -> str:
    """Casefolded text with punctuation and symbols as spaces and whitespace collapsed.

    Cached because the same references are compared with every new query of their intent.
    """
    kept = [" " if unicodedata.category(char)[0] in "PSZC" else char for char in text.casefold()]
    return " ".join("".join(kept).split())


def _quote(text: str, limit: int = 120) -> str:
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _length_failures(words: int, rules: CheckRules) -> list[CheckFailure]:
    details: dict[str, object] = {
        "words": words,
        "min_words": rules.min_words,
        "max_words": rules.max_words,
    }
    if words < rules.min_words:
        return [
            CheckFailure(
                CheckReason.TOO_SHORT.value,
                f"Too short: write at least {rules.min_words} words (you wrote {words})",
                details,
            )
        ]
    if words > rules.max_words:
        return [
            CheckFailure(
                CheckReason.TOO_LONG.value,
                f"Too long: write at most {rules.max_words} words (you wrote {words})",
                details,
            )
        ]
    return []


NEAR_DUPLICATE_MESSAGE = "Too close to an existing query: write it in your own words"


def _near_duplicate(text: str, references: Sequence[str], rules: CheckRules) -> CheckFailure | None:
    candidate = normalise_for_comparison(text)
    if not references or not candidate:
        return None  # punctuation alone resembles nothing (two empty strings would score 100)
    choices = [normalise_for_comparison(reference) for reference in references]
    best = process.extractOne(
        candidate, choices, scorer=fuzz.ratio, score_cutoff=rules.near_duplicate_similarity
    )
    if best is None:
        return None
    # which query, and how close, stay unsaid: they would tell a paraphraser how little to
    # change (SPEC §6.7)
    return CheckFailure(CheckReason.NEAR_DUPLICATE.value, NEAR_DUPLICATE_MESSAGE)


def _wrong_language(text: str, expected: str) -> CheckFailure | None:
    """Refuse only a reliable identification of another language; unsure CLD2 ("un") passes."""
    detected, percent = detect(text)
    wanted = canonical_language(expected)
    if detected in (UNKNOWN, wanted):
        return None
    return CheckFailure(
        CheckReason.WRONG_LANGUAGE.value,
        f"Write your query in the campaign's language ({wanted}); it looks like {detected}",
        {"detected": detected, "expected": wanted, "percent": percent},
    )


def check_query(
    text: str,
    required: Sequence[SlotValue],
    references: Sequence[str],
    rules: CheckRules,
) -> list[CheckFailure]:
    """Every reason to refuse ``text``; an empty list means it goes to validation.

    ``references`` are the campaign's seeds and its queries accepted or in validation, of
    every intent (plain text). Failures come in a
    fixed order: missing values (one per value, in the order required), length, near-duplicate,
    language. An empty or blank text gives ``empty`` alone.
    """
    if not text.strip():
        return [CheckFailure(CheckReason.EMPTY.value, "Write a query: the answer is empty")]
    failures = [
        CheckFailure(
            CheckReason.MISSING_VALUE.value,
            f"Include {_quote(value.value)} in your query",
            {"slot": value.slot, "entity": value.entity, "value": value.value},
        )
        for value in missing_values(text, required)
    ]
    failures += _length_failures(count_words(text), rules)
    duplicate = _near_duplicate(text, references, rules)
    if duplicate is not None:
        failures.append(duplicate)
    if rules.language is not None:
        language = _wrong_language(text, rules.language)
        if language is not None:
            failures.append(language)
    return failures
