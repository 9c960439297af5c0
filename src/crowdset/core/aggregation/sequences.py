"""Sequence labels: spans ↔ BIO tags over tokens, and CoNLL entity-level scores.

A *span* is ``(start, end, label)`` with ``end`` exclusive, over characters (a worker's
highlight in a text) or over tokens (an entity of a tag sequence). BIO tags label each token
``O`` (outside), ``B-X`` (first token of a span of type ``X``) or ``I-X`` (inside it).

Spans are read from tags as CoNLL's ``conlleval`` reads them: an ``I-X`` after ``O`` or after a
tag of another type starts a new span, as ``B-X`` would. :func:`repair_bio` writes that reading
back as valid BIO, so every aggregator's output is valid: no ``I-X`` without a ``B-X`` or
``I-X`` before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from crowdset.errors import InvalidInput

OUTSIDE = "O"
BEGIN = "B-"
INSIDE = "I-"

Tokenizer = Literal["whitespace", "words"]
"""``whitespace``: runs of non-space characters; ``words``: runs of word characters, and each
other non-space character on its own (``"York,"`` is ``York`` and ``,``)."""

_TOKEN_PATTERNS: dict[Tokenizer, re.Pattern[str]] = {
    "whitespace": re.compile(r"\S+"),
    "words": re.compile(r"\w+|[^\w\s]"),
}

BoolArray = NDArray[np.bool_]


class Span(NamedTuple):
    """``[start, end)`` with a label, over characters or over tokens."""

    start: int
    end: int
    label: str


def tokenize(text: str, tokenizer: Tokenizer = "whitespace") -> list[tuple[int, int]]:
    """Character bounds ``(start, end)`` of each token of ``text``."""
    return [match.span() for match in _TOKEN_PATTERNS[tokenizer].finditer(text)]


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` → ``("B-", "PER")``; ``"O"`` → ``("O", "")``; ``InvalidInput`` otherwise."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, kind = tag[:2], tag[2:]
    if prefix not in (BEGIN, INSIDE) or not kind:
        raise InvalidInput(
            f"{tag!r} is not a BIO tag: use O, B-TYPE or I-TYPE (e.g. B-PER, I-PER).", tag=tag
        )
    return prefix, kind


def bio_tags(types: Iterable[str]) -> list[str]:
    """The tag set of span ``types``: ``O``, then ``B-X, I-X`` for each type in sorted order."""
    tags = [OUTSIDE]
    for kind in sorted(set(types)):
        tags += [BEGIN + kind, INSIDE + kind]
    return tags


def repair_bio(tags: Sequence[str]) -> list[str]:
    """Valid BIO with the same spans (as :func:`tags_to_spans` reads them): an ``I-X`` that
    follows neither ``B-X`` nor ``I-X`` becomes ``B-X``."""
    repaired: list[str] = []
    previous = ""
    for tag in tags:
        prefix, kind = split_tag(tag)
        if prefix == INSIDE and previous != kind:
            tag = BEGIN + kind
        repaired.append(tag)
        previous = kind
    return repaired


def is_valid_bio(tags: Sequence[str]) -> bool:
    """Whether every ``I-X`` follows a ``B-X`` or an ``I-X``."""
    return list(tags) == repair_bio(tags)


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Token spans of a tag sequence, read as ``conlleval`` reads them (see the module)."""
    spans: list[Span] = []
    start, current = -1, ""
    for position, tag in enumerate([*tags, OUTSIDE]):
        prefix, kind = split_tag(tag)
        if current and (prefix != INSIDE or kind != current):
            spans.append(Span(start, position, current))
            current = ""
        if prefix != OUTSIDE and not current:
            start, current = position, kind
    return spans


def spans_to_tags(
    spans: Iterable[Span], bounds: Sequence[tuple[int, int]], *, merge_overlaps: bool = False
) -> list[str]:
    """BIO tags of the tokens ``bounds`` (from :func:`tokenize`) for character ``spans``.

    A token belongs to a span when they share a character, so a span is widened to whole
    tokens; a span that covers no token (only spaces) is dropped. Spans that share a character
    raise ``InvalidInput`` unless ``merge_overlaps`` (then spans of one label that overlap are
    united); spans of different labels, or of one label that touch the same token only after
    widening, are an error and merged respectively (BIO cannot hold a token in two spans).
    """
    ordered = sorted(spans)
    if not merge_overlaps:
        for first, second in pairwise(ordered):
            if second.start < first.end:
                raise InvalidInput(
                    f"spans {tuple(first)} and {tuple(second)} overlap; give each character "
                    "to at most one span, or let spans of one label be merged.",
                    spans=[tuple(first), tuple(second)],
                )
    starts = np.fromiter((start for start, _ in bounds), dtype=np.intp, count=len(bounds))
    ends = np.fromiter((end for _, end in bounds), dtype=np.intp, count=len(bounds))
    owner: list[Span | None] = [None] * len(bounds)
    tags = [OUTSIDE] * len(bounds)
    for span in ordered:
        first_token = int(np.searchsorted(ends, span.start, side="right"))
        last_token = int(np.searchsorted(starts, span.end, side="left"))  # exclusive
        if first_token >= last_token:
            continue
        previous = owner[first_token]
        if previous is not None and previous.label != span.label:
            raise InvalidInput(
                f"spans {tuple(previous)} and {tuple(span)} have different labels but share a "
                "token; a token can be in one span only.",
                spans=[tuple(previous), tuple(span)],
            )
        continuing = previous is not None
        for token in range(first_token, last_token):
            if owner[token] is None:
                tags[token] = INSIDE + span.label if continuing else BEGIN + span.label
            owner[token] = span
            continuing = True
    return tags


def token_spans_to_chars(spans: Iterable[Span], bounds: Sequence[tuple[int, int]]) -> list[Span]:
    """Token spans back to characters: from the first token's start to the last token's end."""
    return [Span(bounds[s.start][0], bounds[s.end - 1][1], s.label) for s in spans]


@dataclass(frozen=True)
class SpanScores:
    """Micro-averaged exact-match scores: a predicted span counts when a gold span has the same
    start, end and label in the same sequence."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int


def entity_f1(gold: Sequence[Iterable[Span]], predicted: Sequence[Iterable[Span]]) -> SpanScores:
    """CoNLL entity-level precision, recall and F1 over aligned sequences of spans.

    Tjong Kim Sang and De Meulder, *Introduction to the CoNLL-2003 Shared Task*, 2003: a span
    is correct only when both its boundaries and its type match. Empty totals score 0.
    """
    if len(gold) != len(predicted):
        raise InvalidInput(
            f"gold has {len(gold)} sequences but predicted has {len(predicted)}; "
            "pass one list of spans per sequence, in the same order."
        )
    tp = fp = fn = 0
    for truth, guess in zip(gold, predicted, strict=True):
        true_set, guess_set = set(truth), set(guess)
        hits = len(true_set & guess_set)
        tp += hits
        fp += len(guess_set) - hits
        fn += len(true_set) - hits
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SpanScores(precision, recall, f1, tp, fp, fn)


def allowed_transitions(tags: Sequence[str]) -> tuple[BoolArray, BoolArray]:
    """Which tag may follow which (``[previous, next]``), and which may start a sequence.

    ``I-X`` may follow only ``B-X`` or ``I-X`` and may not start; everything else is allowed.
    """
    parts = [split_tag(tag) for tag in tags]
    allowed = np.ones((len(tags), len(tags)), dtype=np.bool_)
    start = np.ones(len(tags), dtype=np.bool_)
    for j, (prefix, kind) in enumerate(parts):
        if prefix == INSIDE:
            start[j] = False
            allowed[:, j] = [other == kind for _, other in parts]
    return allowed, start
