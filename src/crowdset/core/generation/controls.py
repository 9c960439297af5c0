"""Validation controls (SPEC §6.1): vote offers whose right answer is known, made automatically.

A control looks like any vote offer (same intent, values, text, price); a validator's answer
to it is evidence of their accuracy that does not rest on their peers.

- **Known-good**: the intent's seeds, and queries accepted unanimously. Never shown to their
  author (the service keeps the author on the control row).
- **Known-bad**, made from an accepted or seed query (``source``):

  - ``other_intent``: the query shown under another intent (the values it contains are kept
    where that intent has a slot of the same name);
  - ``shuffled``: its words shuffled, each required value kept whole;
  - ``value_removed``: one required value deleted from the text but still listed as required.

Not every control is equally hidden: a real query always passed the automatic checks, so one
missing a required value, or equal to a seed shown as an example, can be spotted — but its
right answer is then the honest one anyway. What a *lazy* validator cannot spot is a query of
another intent or a unanimously accepted query, so :data:`BAD_KINDS` draws ``other_intent``
most often and the service prefers accepted queries to seeds as known-good controls; a worker
who answers only the spottable controls right stays near 0.5 on the rest, below the bar.

Pure functions with an explicit ``rng``; the service stores what they make.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from crowdset.core.generation.annotation import annotate, parse_inline
from crowdset.core.generation.model import SlotValue
from crowdset.core.generation.spec import IntentSpec


class ControlKind(StrEnum):
    SEED = "seed"  # known-good
    UNANIMOUS = "unanimous"  # known-good
    OTHER_INTENT = "other_intent"  # known-bad
    SHUFFLED = "shuffled"  # known-bad
    VALUE_REMOVED = "value_removed"  # known-bad


# How often each known-bad kind is drawn: the one a lazy validator cannot spot most often.
BAD_KINDS: tuple[tuple[ControlKind, float], ...] = (
    (ControlKind.OTHER_INTENT, 0.6),
    (ControlKind.SHUFFLED, 0.2),
    (ControlKind.VALUE_REMOVED, 0.2),
)


@dataclass(frozen=True)
class Source:
    """A query a control can be made from: an accepted query or a seed."""

    text: str
    intent: str
    values: tuple[SlotValue, ...]


@dataclass(frozen=True)
class Control:
    """A control as it will be shown: under ``intent``, requiring ``values``."""

    kind: ControlKind
    text: str
    intent: str
    values: tuple[SlotValue, ...]

    @property
    def good(self) -> bool:
        return self.kind in (ControlKind.SEED, ControlKind.UNANIMOUS)


def seed_sources(intent: IntentSpec) -> list[Source]:
    """The intent's seeds as plain text with the values they annotate."""
    found = []
    for seed in intent.seeds:
        text, spans = parse_inline(seed)
        values = tuple(
            SlotValue(slot, intent.slot(slot).entity_name, text[start:end])
            for start, end, slot in spans
        )
        found.append(Source(text, intent.name, values))
    return found


def other_intent(
    source: Source, slots_by_intent: Mapping[str, Sequence[str]], rng: np.random.Generator
) -> Control | None:
    """``source`` shown under another intent; ``None`` when the campaign has one intent."""
    others = sorted(name for name in slots_by_intent if name != source.intent)
    if not others:
        return None
    shown = others[int(rng.integers(len(others)))]
    kept = tuple(v for v in source.values if v.slot in slots_by_intent[shown])
    return Control(ControlKind.OTHER_INTENT, source.text, shown, kept)


def shuffled(source: Source, rng: np.random.Generator, tries: int = 8) -> Control | None:
    """The words of ``source`` in another order, each value kept whole; ``None`` when fewer
    than three pieces can move or every shuffle tried gives back the original."""
    text = source.text
    spans = sorted(annotate(text, source.values))
    pieces: list[str] = []
    at = 0
    for span in spans:
        pieces += text[at : span.start].split()
        pieces.append(text[span.start : span.end])
        at = span.end
    pieces += text[at:].split()
    if len(pieces) < 3:
        return None
    original = " ".join(pieces)
    for _ in range(tries):
        order = rng.permutation(len(pieces))
        candidate = " ".join(pieces[int(i)] for i in order)
        if candidate.casefold() != original.casefold():
            return Control(ControlKind.SHUFFLED, candidate, source.intent, source.values)
    return None


def value_removed(source: Source, rng: np.random.Generator) -> Control | None:
    """``source`` with one of its required values deleted from the text (still required);
    ``None`` without a value or when nothing would be left."""
    spans = annotate(source.text, source.values)
    if not spans:
        return None
    span = spans[int(rng.integers(len(spans)))]
    text = " ".join((source.text[: span.start] + " " + source.text[span.end :]).split())
    if not text:
        return None
    return Control(ControlKind.VALUE_REMOVED, text, source.intent, source.values)


def make_bad_control(
    sources: Sequence[Source],
    slots_by_intent: Mapping[str, Sequence[str]],
    rng: np.random.Generator,
    tries: int = 8,
) -> tuple[int, Control] | None:
    """A known-bad control from one of ``sources``, its kind drawn by :data:`BAD_KINDS`;
    returns ``(index of the source, control)``, or ``None`` when nothing could be made."""
    if not sources:
        return None
    kinds = [kind for kind, _ in BAD_KINDS]
    weights = np.array([weight for _, weight in BAD_KINDS])
    for _ in range(tries):
        index = int(rng.integers(len(sources)))
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        source = sources[index]
        if kind is ControlKind.OTHER_INTENT:
            made = other_intent(source, slots_by_intent, rng)
        elif kind is ControlKind.SHUFFLED:
            made = shuffled(source, rng)
        else:
            made = value_removed(source, rng)
        if made is not None:
            return index, made
    return None
