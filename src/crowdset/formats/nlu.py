"""NLU training sets (SPEC §2 export): Snips NLU dataset JSON, Rasa NLU YAML and JSONL.

:func:`write_dataset` is the one entry point for exports and :func:`read_dataset` reads them
back; the per-format functions live in ``nlu_snips`` and ``nlu_rasa`` and are re-exported here,
JSONL is here. The text rules every format shares (a query is one line) are in ``nlu_text``.
JSONL holds everything an :class:`~crowdset.core.generation.model.AnnotatedQuery` holds; Snips
and Rasa keep text, intent and spans only.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, TextIO, TypeGuard, get_args

from crowdset.core.generation.model import AnnotatedQuery, Span
from crowdset.errors import ImportFailed, InvalidInput
from crowdset.formats.nlu_rasa import read_rasa, write_rasa
from crowdset.formats.nlu_snips import load_json_lenient, read_snips, snips_dataset, write_snips
from crowdset.formats.nlu_text import Source, clean_read, writable
from crowdset.formats.parallel import iter_lines

__all__ = [
    "NLU_FORMATS",
    "NluFormat",
    "load_json_lenient",
    "read_dataset",
    "read_jsonl",
    "read_rasa",
    "read_snips",
    "snips_dataset",
    "write_dataset",
    "write_jsonl",
    "write_rasa",
    "write_snips",
]

NluFormat = Literal["snips", "rasa", "jsonl"]
NLU_FORMATS: tuple[NluFormat, ...] = get_args(NluFormat)


def _jsonl_record(query: AnnotatedQuery) -> dict[str, Any]:
    return {
        "text": query.text,
        "intent": query.intent,
        "spans": [
            {
                "start": span.start,
                "end": span.end,
                "slot": span.slot,
                "entity": span.entity,
                "value": query.value_of(span),
            }
            for span in query.spans
        ],
        "worker": query.worker,
        "votes": {"for": query.votes_for, "against": query.votes_against},
        "id": query.query_id,
        "answer_flags": list(query.answer_flags),  # what its signals raised (SPEC §6.7)
    }


def write_jsonl(queries: Iterable[AnnotatedQuery], out: TextIO) -> int:
    """One JSON object a line, streamed; Hugging Face ``load_dataset("json", ...)`` reads it."""
    count = 0
    for position, raw in enumerate(queries):
        out.write(json.dumps(_jsonl_record(writable(raw, position)), ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _jsonl_span(record: Any, text: str, where: str) -> Span:
    if not isinstance(record, dict):
        raise ImportFailed(f"{where}: a span is an object with start, end, slot and entity")
    start, end, slot = record.get("start"), record.get("end"), record.get("slot")
    entity = record.get("entity", slot)
    if not (_is_int(start) and _is_int(end) and 0 <= start < end <= len(text)):
        raise ImportFailed(
            f"{where}: start {start!r} and end {end!r} must be integers with "
            f"0 <= start < end <= {len(text)} (the text's length in code points)"
        )
    if not isinstance(slot, str) or not isinstance(entity, str) or not slot or not entity:
        raise ImportFailed(f"{where}: 'slot' and 'entity' must be non-empty strings")
    value = record.get("value")
    if value is not None and value != text[start:end]:
        raise ImportFailed(
            f"{where}: value {value!r} differs from the text at [{start}, {end}): "
            f"{text[start:end]!r}; offsets count code points, end exclusive"
        )
    return Span(start, end, slot, entity)


def _jsonl_query(line: str, where: str) -> AnnotatedQuery:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ImportFailed(f"{where}: not valid JSON ({error.msg})") from None
    if not isinstance(record, dict):
        raise ImportFailed(f"{where}: a JSON {type(record).__name__}, not an object")
    text, intent = record.get("text"), record.get("intent")
    if not isinstance(text, str) or not isinstance(intent, str) or not intent:
        raise ImportFailed(f"{where}: 'text' and 'intent' must be strings ('intent' non-empty)")
    raw_spans = record.get("spans")
    raw_spans = [] if raw_spans is None else raw_spans
    if not isinstance(raw_spans, list):
        raise ImportFailed(f"{where}: 'spans' must be a list")
    spans = [_jsonl_span(span, text, f"{where}, spans[{i}]") for i, span in enumerate(raw_spans)]
    ordered = sorted(spans, key=lambda span: (span.start, span.end))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise ImportFailed(f"{where}: spans of {before.slot!r} and {after.slot!r} overlap")
    votes = record.get("votes") or {}
    worker, query_id = record.get("worker") or "", record.get("id")
    votes_for, votes_against = (
        (votes.get("for", 0), votes.get("against", 0)) if isinstance(votes, dict) else (None, None)
    )
    if not (_is_int(votes_for) and _is_int(votes_against) and isinstance(worker, str)):
        raise ImportFailed(
            f"{where}: 'votes' must be {{'for': int, 'against': int}}, 'worker' text"
        )
    if query_id is not None and not _is_int(query_id):
        raise ImportFailed(f"{where}: 'id' must be an integer or null")
    text, cleaned = clean_read(text, ordered)
    if not text:
        raise ImportFailed(f"{where}: 'text' is empty")
    return AnnotatedQuery(text, intent, cleaned, worker, votes_for, votes_against, query_id)


def read_jsonl(source: Source) -> Iterator[AnnotatedQuery]:
    """Queries of a JSONL export, streamed; errors name the line. Blank lines are skipped.

    Only ``text`` and ``intent`` are required; a span's ``value``, when present, must match the
    text at its offsets.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        for first, lines in iter_lines(path):
            for k, line in enumerate(lines):
                if line.strip():
                    yield _jsonl_query(line, f"{path}:{first + k}")
        return
    for number, line in enumerate(source, start=1):
        if line.strip():
            yield _jsonl_query(line, f"line {number}")


# ------------------------------------------------------------------------------ entry points


def _check_format(fmt: str) -> None:
    if fmt not in NLU_FORMATS:
        raise InvalidInput(
            f"unknown NLU format {fmt!r}; choose one of {', '.join(NLU_FORMATS)}", field="format"
        )


def _write(queries: Iterable[AnnotatedQuery], fmt: NluFormat, out: TextIO, language: str) -> int:
    if fmt == "snips":
        return write_snips(queries, out, language=language)
    if fmt == "rasa":
        return write_rasa(queries, out)
    return write_jsonl(queries, out)


def write_dataset(
    queries: Iterable[AnnotatedQuery],
    fmt: NluFormat,
    out: TextIO | Path,
    *,
    language: str,
) -> int:
    """Write ``queries`` in ``fmt`` and return how many were written.

    A path is written aside (``<name>.part``) and renamed only when every query was written,
    so a refused query never leaves half a file. ``language`` goes into the Snips dataset;
    Rasa and JSONL files do not store it.
    """
    _check_format(fmt)
    if not isinstance(out, Path):
        return _write(queries, fmt, out, language)
    part = out.with_name(out.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="\n") as handle:
            count = _write(queries, fmt, handle, language)
        part.replace(out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count


def read_dataset(source: Source, fmt: NluFormat) -> list[AnnotatedQuery]:
    """Read a file written by :func:`write_dataset` (or by Snips / Rasa tools)."""
    _check_format(fmt)
    if fmt == "snips":
        return read_snips(source)
    if fmt == "rasa":
        return read_rasa(source)
    return list(read_jsonl(source))
