"""The values that flow through a generation campaign (SPEC §2), shared by its rules.

Offsets are Python string indices into ``text`` (code points), end exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class SlotValue:
    """A value a worker must include: ``room=living room`` (entity ``room_type``)."""

    slot: str
    entity: str
    value: str


@dataclass(frozen=True, order=True)
class Span:
    """A slot annotated in a query's text: ``text[start:end]`` is the value."""

    start: int
    end: int
    slot: str
    entity: str


@dataclass(frozen=True)
class AnnotatedQuery:
    """One query of the training set, as the exports write it."""

    text: str
    intent: str
    spans: tuple[Span, ...] = ()
    worker: str = ""  # pseudonymous worker id, never an email or a user id
    votes_for: int = 0
    votes_against: int = 0
    query_id: int | None = None
    answer_flags: tuple[str, ...] = ()  # what the answer-quality model saw (SPEC §6.7)

    def value_of(self, span: Span) -> str:
        return self.text[span.start : span.end]


@dataclass(frozen=True)
class CheckFailure:
    """Why an automatic check refused an answer; ``reason`` is a stable code shown to workers."""

    reason: str  # a CheckReason: missing_value, near_duplicate, too_short, blocked, ...
    message: str
    details: dict[str, object] = field(default_factory=dict)
