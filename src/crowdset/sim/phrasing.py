"""Where simulated writers get their phrasing from.

Honest agents answer from a pool of real utterances: for a task asking for values of slots
``{a, b}``, they pick an utterance of the intent whose slots are exactly ``{a, b}`` and put the
required values in place of the original ones, so the query reads like a person wrote it. With
no such utterance, they take one with the most shared slots and add the remaining values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from crowdset.core.generation.annotation import parse_inline
from crowdset.core.generation.copies import seed_template
from crowdset.core.generation.model import AnnotatedQuery, SlotValue, Span
from crowdset.core.generation.spec import CampaignSpec

_PREFIXES = ("", "", "please ", "hey, ", "could you ", "i want to ", "can you ")
_SUFFIXES = ("", "", " please", " now", " thanks", " for me", " right away")


@dataclass(frozen=True)
class Template:
    """An utterance split into carrier text and slots: ``(text, slot or None)`` chunks."""

    chunks: tuple[tuple[str, str | None], ...]

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(sorted(slot for _, slot in self.chunks if slot is not None))

    @classmethod
    def of(cls, query: AnnotatedQuery) -> Template:
        chunks: list[tuple[str, str | None]] = []
        at = 0
        for span in sorted(query.spans):
            if span.start > at:
                chunks.append((query.text[at : span.start], None))
            chunks.append((query.text[span.start : span.end], span.slot))
            at = span.end
        if at < len(query.text):
            chunks.append((query.text[at:], None))
        return cls(tuple(chunks))

    def fill(self, values: Sequence[SlotValue]) -> str:
        """The utterance with the required values in place; slots not asked for are dropped
        and values without a place are appended."""
        remaining = {v.slot: v.value for v in values}
        parts = []
        for text, slot in self.chunks:
            if slot is None:
                parts.append(text)
            elif slot in remaining:
                parts.append(remaining.pop(slot))
        text = " ".join("".join(parts).split())
        for value in remaining.values():
            text += f" {value}"
        return text


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


class PhrasingPool:
    """Real utterances by intent, indexed by their slot set."""

    def __init__(
        self, queries: Iterable[AnnotatedQuery], *, seed_templates: tuple[str, ...] = ()
    ) -> None:
        # the campaign's seeds delexicalised, when the pool is made of them: what an honest
        # writer does not copy (SPEC §6.7)
        self.seed_templates = seed_templates
        self._by_slots: dict[tuple[str, tuple[str, ...]], list[Template]] = defaultdict(list)
        self._by_intent: dict[str, list[Template]] = defaultdict(list)
        self._texts: dict[str, set[str]] = defaultdict(set)
        for query in queries:
            self._texts[query.intent].add(_plain(query.text))
            template = Template.of(query)
            self._by_slots[(query.intent, template.slots)].append(template)
            self._by_intent[query.intent].append(template)

    @classmethod
    def from_spec(cls, spec: CampaignSpec) -> PhrasingPool:
        """The seeds alone: enough for a demo; real pools make better simulations."""
        queries = []
        for intent in spec.intents:
            for seed in intent.seeds:
                text, spans = parse_inline(seed)
                queries.append(
                    AnnotatedQuery(
                        text=text,
                        intent=intent.name,
                        spans=tuple(Span(s, e, slot, slot) for s, e, slot in spans),
                    )
                )
        seeds = tuple(seed_template(seed) for intent in spec.intents for seed in intent.seeds)
        return cls(queries, seed_templates=seeds)

    def intents(self) -> list[str]:
        return sorted(self._by_intent)

    def templates(self, intent: str) -> list[Template]:
        return list(self._by_intent.get(intent, ()))

    def is_utterance_of(self, intent: str, text: str) -> bool:
        """Is ``text`` one of the pool's own utterances of ``intent`` (a seed, say)?"""
        return _plain(text) in self._texts.get(intent, set())

    def write(
        self, intent: str, values: Sequence[SlotValue], rng: np.random.Generator, *, vary: bool
    ) -> str | None:
        """A natural query for ``intent`` with ``values``; ``None`` when the pool has no
        utterance of the intent."""
        wanted = tuple(sorted(v.slot for v in values))
        exact = self._by_slots.get((intent, wanted))
        if exact:
            template = exact[int(rng.integers(len(exact)))]
        else:
            candidates = self._by_intent.get(intent)
            if not candidates:
                return None

            # prefer templates without slots the task did not ask for: a leftover value would
            # sit in the query unannotated
            def score(t: Template) -> tuple[bool, int]:
                return set(t.slots) <= set(wanted), len(set(t.slots) & set(wanted))

            best = max(score(t) for t in candidates)
            ties = [t for t in candidates if score(t) == best]
            template = ties[int(rng.integers(len(ties)))]
        text = template.fill(values)
        if vary:
            text = (
                _PREFIXES[int(rng.integers(len(_PREFIXES)))]
                + text
                + _SUFFIXES[int(rng.integers(len(_SUFFIXES)))]
            )
        return text
