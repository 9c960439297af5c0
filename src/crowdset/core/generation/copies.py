"""Copies (SPEC §6.7): queries judged on their template, the query with its values delexicalised.

A paraphraser swaps the values of an existing query and adds a word ("please"): on the plain
text that reads as new (the values differ), on the template it is the same query. A
**template** is the normalised text with each slot value replaced by ``<slot>``; two templates
are **near-copies** when one becomes the other by at most ``max(1, ⌊0.15 × words⌋)`` word
edits (inserted, deleted or replaced words; ``words`` of the longer one): one added "please"
on a short query, two on a long one. Templates of fewer than ``SHORT_WORDS`` words are copies
only when equal ("lights on" and "lights off" are different queries).

What a campaign refuses (:func:`judge_copy`):
- a near-copy of a **seed** (any intent) or of the worker's **own** earlier queries: copying,
  which counts as a failure on the writer's record (SPEC §6.7);
- a template that already recurs ``max_template_repeats`` times in the campaign (equal
  templates; near-copies are marked instead, below): real data repeats templates too (46 % of
  the original Snips queries share one at 1,000 per intent), so this is a cap on repetition,
  refused but not held against the writer.

Below the cap, a near-copy of another worker's query goes to validation marked ``copied`` (the
answer-quality model's flag): a value swap of someone else's query is a paraphraser's whole
trade, a coincidence for an honest writer, and validators tell them apart.

The refusal never says which query is close, nor how close: a precise answer would tell a
paraphraser exactly how little to change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from crowdset.core.generation.annotation import parse_inline
from crowdset.core.generation.checks import NEAR_DUPLICATE_MESSAGE, normalise_for_comparison
from crowdset.core.generation.model import Span

EDIT_SHARE = 0.15  # word edits, as a share of the longer template, that still make a copy
SHORT_WORDS = 4
_FIRST_CODE = 0x4E00  # a large block of letters: no code point here is a separator


def template_of(text: str, spans: Iterable[Span]) -> str:
    """``text`` normalised with each span's value replaced by ``<slot>``."""
    parts: list[str] = []
    at = 0
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if span.start < at:
            continue  # overlapping spans: the first one stands for the text
        parts.append(normalise_for_comparison(text[at : span.start]))
        parts.append(f"<{span.slot}>")
        at = span.end
    parts.append(normalise_for_comparison(text[at:]))
    return " ".join(part for part in parts if part)


def seed_template(seed: str) -> str:
    """The template of a seed written with inline values (``lights in the [room:hall]``)."""
    text, spans = parse_inline(seed)
    return template_of(text, (Span(start, end, slot, slot) for start, end, slot in spans))


def _encoder() -> Callable[[str], str]:
    """Templates as one character per word, so that word edits are character edits; one
    vocabulary per comparison (no state shared between threads)."""
    codes: dict[str, str] = {}

    def encode(template: str) -> str:
        return "".join(
            codes.setdefault(word, chr(_FIRST_CODE + len(codes))) for word in template.split()
        )

    return encode


def _allowed_edits(words: int) -> int:
    """Word edits that still make a copy, for templates of at most ``words`` words."""
    return 0 if words < SHORT_WORDS else max(1, int(EDIT_SHARE * words))


def near_copies(template: str, others: Sequence[str]) -> list[int]:
    """Indices of ``others`` that are near-copies of ``template``."""
    if not others or not template:
        return []
    encode = _encoder()
    mine = encode(template)
    encoded = [encode(other) for other in others]
    widest = _allowed_edits(max(len(mine), max(len(e) for e in encoded)))
    found = process.extract(
        mine, encoded, scorer=Levenshtein.distance, score_cutoff=widest, limit=None
    )
    return [
        index
        for _, distance, index in found
        if distance <= _allowed_edits(max(len(mine), len(encoded[index])))
    ]


def is_near_copy(a: str, b: str) -> bool:
    return bool(near_copies(a, [b]))


class CopyKind(StrEnum):
    SEED = "copies_seed"
    OWN = "repeats_own"
    REPEATED = "template_full"

    @property
    def is_copying(self) -> bool:
        """Held against the writer as a failure (the cap on repetition is not)."""
        return self is not CopyKind.REPEATED


@dataclass(frozen=True)
class CopyRules:
    max_template_repeats: int = 3


def copies_seed_or_own(template: str, *, seeds: Sequence[str], own: Sequence[str]) -> bool:
    """Is ``template`` copying (a near-copy of a seed or of the writer's own): what an honest
    writer avoids, and what counts against a writer who does not."""
    return bool(near_copies(template, seeds) or near_copies(template, own))


def judge_copy(
    template: str,
    *,
    seeds: Sequence[str],
    own: Sequence[str],
    others: Sequence[str],
    rules: CopyRules,
) -> CopyKind | None:
    """Why ``template`` is refused as a copy, or ``None``. ``seeds`` are every intent's seed
    templates, ``own`` the worker's earlier ones, ``others`` the campaign's other queries'
    (accepted and in validation)."""
    if near_copies(template, seeds):
        return CopyKind.SEED
    if near_copies(template, own):
        return CopyKind.OWN
    if sum(other == template for other in others) >= rules.max_template_repeats:
        return CopyKind.REPEATED
    return None


REFUSAL = NEAR_DUPLICATE_MESSAGE  # one message for every copy: the reason stays unsaid
