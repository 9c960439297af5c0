"""The text rules shared by the NLU formats (SPEC §2 export).

A query text is one line: not empty, no surrounding whitespace, no control character (tab and
line breaks included), no Unicode line or paragraph separator, no noncharacter. Writers refuse
any other text with :class:`~crowdset.errors.InvalidInput` naming the query, because Rasa's
one-example-a-line YAML cannot hold it and a line break in a training query is always a copy
accident. Readers turn tabs and line breaks into spaces and strip the ends (shifting spans), so
whatever they return can be written again. Spans must lie inside the text, hold at least one
character and not overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from crowdset.core.generation.model import AnnotatedQuery, Span
from crowdset.errors import InvalidInput

Source = Path | str | TextIO  # what readers accept: a path or an open text file

_SEPARATORS = "\u2028\u2029"
_NONCHARACTERS = "\ufffe\uffff"


def bad_char(text: str) -> str | None:
    """The first character a one-line query text may not hold, or ``None``."""
    for char in text:
        code = ord(char)
        if (
            code < 0x20
            or 0x7F <= code <= 0x9F
            or 0xD800 <= code <= 0xDFFF
            or char in _SEPARATORS
            or char in _NONCHARACTERS
        ):
            return char
    return None


def excerpt(text: str) -> str:
    """A short ``repr`` of a text for error messages."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def name_query(query: AnnotatedQuery, position: int) -> str:
    """How errors name a query: its 1-based position, its id when it has one, its text."""
    ident = f" (id {query.query_id})" if query.query_id is not None else ""
    return f"query {position + 1}{ident} {excerpt(query.text)}"


def _check_line(what: str, value: str, where: str) -> None:
    if not value:
        raise InvalidInput(f"{where}: {what} is empty; give it a value", field=what)
    bad = bad_char(value)
    if bad is not None:
        raise InvalidInput(
            f"{where}: {what} holds the control character U+{ord(bad):04X}; a {what} is a "
            "single line of text: replace line breaks and tabs by spaces",
            field=what,
        )
    if value != value.strip():
        raise InvalidInput(f"{where}: {what} starts or ends with whitespace; strip it", field=what)


def _sorted_spans(query: AnnotatedQuery, where: str) -> tuple[Span, ...]:
    spans = tuple(sorted(query.spans, key=lambda span: (span.start, span.end)))
    previous_end = 0
    for span in spans:
        if not 0 <= span.start < span.end <= len(query.text):
            raise InvalidInput(
                f"{where}: span [{span.start}, {span.end}) of slot {span.slot!r} is empty or "
                f"outside the text (length {len(query.text)}); offsets count code points, end "
                "exclusive",
                field="spans",
            )
        if span.start < previous_end:
            raise InvalidInput(
                f"{where}: span [{span.start}, {span.end}) of slot {span.slot!r} overlaps the "
                "previous span; a character belongs to one slot at most",
                field="spans",
            )
        previous_end = span.end
        _check_line("slot", span.slot, where)
        _check_line("entity", span.entity, where)
    return spans


def writable(query: AnnotatedQuery, position: int) -> AnnotatedQuery:
    """``query`` with sorted spans, after checking it follows the text rules of this module."""
    where = name_query(query, position)
    _check_line("text", query.text, where)
    _check_line("intent", query.intent, where)
    spans = _sorted_spans(query, where)
    if spans == query.spans:
        return query
    return AnnotatedQuery(
        query.text,
        query.intent,
        spans,
        query.worker,
        query.votes_for,
        query.votes_against,
        query.query_id,
    )


def clean_read(text: str, spans: Sequence[Span]) -> tuple[str, tuple[Span, ...]]:
    """Tabs and line breaks as spaces, ends stripped, spans shifted and clipped (empty: gone)."""
    text = "".join(" " if char.isspace() and bad_char(char) else char for char in text)
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    kept = []
    for span in spans:
        start = min(max(span.start - lead, 0), len(stripped))
        end = min(max(span.end - lead, 0), len(stripped))
        if start < end:
            kept.append(Span(start, end, span.slot, span.entity))
    return stripped, tuple(sorted(kept, key=lambda span: (span.start, span.end)))
