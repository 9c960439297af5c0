"""Automatic slot annotation (SPEC §2): spans come from the values a task asked to include.

A worker who was asked to include *living room* writes free text; the accepted query then needs
no manual annotation because the value is located in it. The same matcher decides whether a
required value is present (the ``missing_value`` check), so "present" and "annotatable" can never
disagree.

Matching is case-insensitive (Unicode casefold: ``STRASSE`` matches ``Straße``) and
whitespace-insensitive (any run of whitespace matches any other run; a value's leading and
trailing whitespace is ignored). Offsets always index the original text.

An occurrence on word boundaries is preferred: ``art`` is found as the word in "art party", not
inside "party". Only when no whole-word occurrence is free does an occurrence inside a word count
("artworks" contains ``art``). That fallback keeps scripts written without spaces (Chinese,
Japanese, Thai), where every value sits inside a "word", annotatable, and tolerates inflections
the task did not foresee ("lights" for ``light``). Text is not Unicode-normalised: a decomposed
``é`` (e + combining accent) does not match a composed one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crowdset.core.generation.model import SlotValue, Span
from crowdset.errors import InvalidInput

__all__ = ["annotate", "find_value", "missing_values", "parse_inline"]


def _is_word_char(char: str) -> bool:
    """Letters, digits, ``_`` and combining marks continue a word."""
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


@dataclass(frozen=True)
class _Folded:
    """Casefolded, whitespace-collapsed text with a map back to the original offsets.

    ``origin[k]`` is the original index the folded character ``k`` comes from;
    ``starts[k]`` / ``ends[k]`` tell whether a match may begin / end at folded offset ``k``
    (not in the middle of one character's expansion, like the second ``s`` of ``ß`` → ``ss``).
    ``stop[k]`` is the original end offset of a match ending at folded offset ``k``.
    """

    text: str
    origin: tuple[int, ...]
    starts: tuple[bool, ...]
    stop: tuple[int, ...]


def _fold(text: str) -> _Folded:
    chars: list[str] = []
    origin: list[int] = []
    starts: list[bool] = []
    stop: list[int] = [0]
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            chars.append(" ")
            origin.append(i)
            starts.append(True)
            stop.append(j)
            i = j
            continue
        folded = char.casefold()
        for k, piece in enumerate(folded):
            chars.append(piece)
            origin.append(i)
            starts.append(k == 0)
            # a match may only end after the last piece of a character's expansion
            stop.append(i + 1 if k == len(folded) - 1 else -1)
        i += 1
    starts.append(True)  # the end of the text
    return _Folded("".join(chars), tuple(origin), tuple(starts), tuple(stop))


def _fold_value(value: str) -> str:
    return " ".join(value.split()).casefold()


def _overlaps(start: int, end: int, taken: Iterable[tuple[int, int]]) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def _is_whole_word(text: str, start: int, end: int) -> bool:
    """No word character on both sides of either edge of ``text[start:end]``."""
    if start > 0 and _is_word_char(text[start - 1]) and _is_word_char(text[start]):
        return False
    return not (end < len(text) and _is_word_char(text[end - 1]) and _is_word_char(text[end]))


def _find_folded(
    text: str, folded: _Folded, needle: str, taken: Sequence[tuple[int, int]]
) -> tuple[int, int] | None:
    if not needle:
        return None
    inside_word: tuple[int, int] | None = None
    at = folded.text.find(needle)
    while at != -1:
        end_at = at + len(needle)
        stop = folded.stop[end_at]
        if folded.starts[at] and stop != -1:
            start = folded.origin[at]
            if not _overlaps(start, stop, taken):
                if _is_whole_word(text, start, stop):
                    return start, stop
                if inside_word is None:
                    inside_word = (start, stop)
        at = folded.text.find(needle, at + 1)
    return inside_word


def find_value(
    text: str, value: str, *, taken: Sequence[tuple[int, int]] = ()
) -> tuple[int, int] | None:
    """``(start, end)`` of the first free occurrence of ``value`` in ``text``, or ``None``.

    Case- and whitespace-insensitive; a whole-word occurrence wins over an earlier one inside a
    word; occurrences overlapping a ``taken`` span are skipped. A value that is empty or only
    whitespace is never found.
    """
    return _find_folded(text, _fold(text), _fold_value(value), taken)


def _place(text: str, values: Sequence[SlotValue]) -> dict[int, tuple[int, int]]:
    """Where each value lands, by index in ``values``; longer values are placed first.

    Longest first so that "New York" claims its words before "York" looks for a free one; equal
    lengths keep the given order, so two identical values take the first two occurrences.
    """
    folded = _fold(text)
    needles = [_fold_value(value.value) for value in values]
    order = sorted(range(len(values)), key=lambda i: -len(needles[i]))
    placed: dict[int, tuple[int, int]] = {}
    for i in order:
        found = _find_folded(text, folded, needles[i], list(placed.values()))
        if found is not None:
            placed[i] = found
    return placed


def annotate(text: str, values: Sequence[SlotValue]) -> tuple[Span, ...]:
    """One span per value found in ``text``, non-overlapping and sorted by start.

    Values that cannot be placed are left out (see :func:`missing_values`); nothing is raised,
    because a query that lacks a value is the checks' business, not an annotation error.
    """
    placed = _place(text, values)
    spans = [
        Span(start, end, values[i].slot, values[i].entity) for i, (start, end) in placed.items()
    ]
    return tuple(sorted(spans, key=lambda span: (span.start, span.end)))


def missing_values(text: str, values: Sequence[SlotValue]) -> list[SlotValue]:
    """The values :func:`annotate` cannot place in ``text``, in the given order."""
    placed = _place(text, values)
    return [value for i, value in enumerate(values) if i not in placed]


def _excerpt(example: str) -> str:
    return example if len(example) <= 80 else example[:77] + "..."


def _inline_error(example: str, offset: int, problem: str, fix: str) -> InvalidInput:
    return InvalidInput(
        f"{problem} at offset {offset} of the example {_excerpt(example)!r}; {fix}",
        offset=offset,
        example=example,
    )


_ESCAPABLE = "[]\\"


def parse_inline(example: str) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """Plain text and ``(start, end, slot)`` triples of a seed like ``lights in the [room:hall]``.

    ``[slot:value]`` marks a value; the slot name ends at the first ``:``, so a value may hold
    colons (``[time:10:30]``). Slot name and value are stripped of surrounding whitespace.
    ``\\[``, ``\\]`` and ``\\\\`` write a literal ``[``, ``]`` and ``\\``; any other backslash
    is kept as it is. Offsets in errors are 0-based positions in ``example``.
    """
    out: list[str] = []
    triples: list[tuple[int, int, str]] = []
    opened: int | None = None  # offset of the '[' of the annotation being read
    inner: list[str] = []
    i, n = 0, len(example)
    while i < n:
        char = example[i]
        if char == "\\" and i + 1 < n and example[i + 1] in _ESCAPABLE:
            (inner if opened is not None else out).append(example[i + 1])
            i += 2
            continue
        if char == "[":
            if opened is not None:
                raise _inline_error(
                    example,
                    i,
                    "nested '['",
                    f"annotations cannot nest and the one opened at offset {opened} is still "
                    "open: close it with ']' first, or write '\\[' for a literal bracket",
                )
            opened, inner = i, []
        elif char == "]":
            if opened is None:
                raise _inline_error(
                    example,
                    i,
                    "']' without a matching '['",
                    "write '\\]' for a literal bracket",
                )
            body = "".join(inner)
            slot, colon, value = body.partition(":")
            slot, value = slot.strip(), value.strip()
            if not colon:
                raise _inline_error(
                    example,
                    opened,
                    "annotation without ':' between slot name and value",
                    "write [slot:value], e.g. [room:living room], or '\\[' for a literal bracket",
                )
            if not slot:
                raise _inline_error(
                    example,
                    opened,
                    "annotation without a slot name",
                    "write the slot name before the colon, e.g. [room:living room]",
                )
            if not value:
                raise _inline_error(
                    example,
                    opened,
                    f"empty value for slot {slot!r}",
                    f"write the value after the colon, e.g. [{slot}:living room]",
                )
            start = sum(map(len, out))
            out.append(value)
            triples.append((start, start + len(value), slot))
            opened = None
        else:
            (inner if opened is not None else out).append(char)
        i += 1
    if opened is not None:
        raise _inline_error(
            example,
            opened,
            "'[' never closed",
            "close the annotation with ']' or write '\\[' for a literal bracket",
        )
    return "".join(out), tuple(triples)
