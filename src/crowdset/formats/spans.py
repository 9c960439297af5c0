"""Span annotation files: JSON Lines of ``text, worker, spans`` in, one line per text out.

Each input line is one worker's annotation of one text::

    {"text": "Ann lives in New York.", "worker": "w1",
     "spans": [{"start": 0, "end": 3, "label": "PER"}, {"start": 13, "end": 21, "label": "LOC"}]}

``start`` and ``end`` are character offsets (Python ``str`` indices, ``end`` exclusive);
``label`` may be left out (it is then ``span``). A worker who found nothing gives
``"spans": []``. The keys may have other names (``--columns text=sentence,spans=entities``).
Lines with the same text are annotations of the same text. Errors name the line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crowdset.core.aggregation.sequences import Span
from crowdset.errors import ImportFailed, InvalidInput

SPAN_KEYS: tuple[str, str, str] = ("text", "worker", "spans")
DEFAULT_LABEL = "span"
SPANS_EXAMPLE = "text=sentence,worker=annotator,spans=entities"


@dataclass(frozen=True)
class SpanAnnotation:
    """One worker's spans (character offsets) on text number ``text`` of the file."""

    text: int
    worker: str
    spans: tuple[Span, ...]
    line: int


@dataclass(frozen=True)
class SpanFile:
    """The distinct texts of a span file (in order of first appearance) and every annotation."""

    texts: list[str]
    annotations: list[SpanAnnotation]


def read_span_annotations(path: Path, mapping: Mapping[str, str] | None = None) -> SpanFile:
    """Read and check a span JSONL file (see the module docstring for the format)."""
    if path.suffix.lower() != ".jsonl":
        raise InvalidInput(
            f"span annotations are read from JSON Lines (.jsonl), one annotation per line; "
            f"got {str(path)!r}.",
            path=str(path),
        )
    if not path.is_file():
        raise InvalidInput(f"file not found: {str(path)!r}.", path=str(path))
    keys = {name: (mapping or {}).get(name, name) for name in SPAN_KEYS}
    texts: dict[str, int] = {}
    seen: dict[tuple[int, str], int] = {}
    annotations: list[SpanAnnotation] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{str(path)!r} line {number}"
            record = _record(line, where, number, path)
            missing = [name for name in SPAN_KEYS if keys[name] not in record]
            if missing:
                looked = ", ".join(
                    name if keys[name] == name else f"{name} (as {keys[name]!r})"
                    for name in missing
                )
                raise InvalidInput(
                    f"{where} has no key for {looked}; keys present: "
                    f"{', '.join(map(str, record)) or 'none'}. Map yours with --columns, e.g. "
                    f"--columns {SPANS_EXAMPLE}.",
                    path=str(path),
                    line=number,
                    missing=missing,
                )
            text, worker = record[keys["text"]], record[keys["worker"]]
            if not isinstance(text, str) or not text:
                raise InvalidInput(
                    f"{where}: {keys['text']!r} must be a non-empty string; got {text!r}.",
                    path=str(path),
                    line=number,
                )
            if worker is None or isinstance(worker, dict | list) or worker == "":
                raise InvalidInput(
                    f"{where}: {keys['worker']!r} must be a worker id (text or number); got "
                    f"{worker!r}.",
                    path=str(path),
                    line=number,
                )
            spans = _spans(record[keys["spans"]], len(text), where, keys["spans"])
            index = texts.setdefault(text, len(texts))
            pair = (index, str(worker))
            if pair in seen:
                raise InvalidInput(
                    f"{where}: worker {str(worker)!r} already annotated this text on line "
                    f"{seen[pair]}; keep one line per text and worker.",
                    path=str(path),
                    line=number,
                )
            seen[pair] = number
            annotations.append(SpanAnnotation(index, str(worker), spans, number))
    if not annotations:
        raise InvalidInput(
            f"{str(path)!r} has no annotations: there is nothing to aggregate.", path=str(path)
        )
    return SpanFile(list(texts), annotations)


def _record(line: str, where: str, number: int, path: Path) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ImportFailed(
            f"{where} is not valid JSON: {error.msg}.", path=str(path), line=number
        ) from error
    if not isinstance(record, dict):
        raise ImportFailed(
            f"{where} must be a JSON object, not {type(record).__name__}.",
            path=str(path),
            line=number,
        )
    return record


def _spans(value: object, length: int, where: str, key: str) -> tuple[Span, ...]:
    """Check a ``spans`` list: objects with integer ``0 <= start < end <= len(text)``."""
    if not isinstance(value, list):
        raise InvalidInput(
            f"{where}: {key!r} must be a list of {{start, end, label}} objects; got "
            f"{type(value).__name__}."
        )
    spans: list[Span] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or "start" not in item or "end" not in item:
            raise InvalidInput(
                f"{where}: span {i} must be an object with start and end (character offsets) "
                f'and an optional label, e.g. {{"start": 0, "end": 3, "label": "PER"}}; got '
                f"{item!r}."
            )
        start, end = item["start"], item["end"]
        label = item.get("label", DEFAULT_LABEL)
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
            raise InvalidInput(
                f"{where}: span {i} needs integer start and end; got {start!r}, {end!r}."
            )
        if not 0 <= start < end <= length:
            raise InvalidInput(
                f"{where}: span {i} [{start}, {end}) is outside the text or empty; offsets "
                f"must satisfy 0 <= start < end <= {length} (the text's length).",
                start=start,
                end=end,
            )
        if not isinstance(label, str) or not label or any(c.isspace() for c in label):
            raise InvalidInput(
                f"{where}: span {i} has label {label!r}; a label is a non-empty word "
                "without spaces (e.g. PER)."
            )
        spans.append(Span(start, end, label))
    return tuple(spans)


def write_span_results(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Write one JSON object per line (UTF-8, keys in the given order)."""
    if path.suffix.lower() != ".jsonl":
        raise InvalidInput(
            f"span results are written as JSON Lines: give --output a .jsonl name; got "
            f"{str(path)!r}.",
            path=str(path),
        )
    if not path.parent.is_dir():
        raise InvalidInput(
            f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist.",
            path=str(path),
        )
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
