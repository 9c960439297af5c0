"""Snips NLU dataset JSON, and the Snips benchmark files' own layout (SPEC §2 export)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from crowdset.core.generation.model import AnnotatedQuery, Span
from crowdset.errors import ImportFailed, InvalidInput
from crowdset.formats.nlu_text import Source, clean_read, writable

_BUILTIN_PREFIX = "snips/"


def _snips_chunks(query: AnnotatedQuery) -> list[dict[str, str]]:
    chunks: list[dict[str, str]] = []
    position = 0
    for span in query.spans:
        if span.start > position:
            chunks.append({"text": query.text[position : span.start]})
        chunks.append({"text": query.value_of(span), "entity": span.entity, "slot_name": span.slot})
        position = span.end
    if position < len(query.text):
        chunks.append({"text": query.text[position:]})
    return chunks


def snips_dataset(queries: Iterable[AnnotatedQuery], *, language: str) -> dict[str, Any]:
    """The snips-nlu dataset object: intents' utterances and each custom entity's values.

    Entities named ``snips/...`` are builtin and get no entry in ``entities``. Values are the
    distinct texts annotated with the entity, in order of first appearance.
    """
    if not language.strip():
        raise InvalidInput("language is empty; pass an ISO 639-1 code such as 'en'")
    intents: dict[str, dict[str, list[dict[str, Any]]]] = {}
    values: dict[str, dict[str, None]] = {}
    for position, raw in enumerate(queries):
        query = writable(raw, position)
        intents.setdefault(query.intent, {"utterances": []})["utterances"].append(
            {"data": _snips_chunks(query)}
        )
        for span in query.spans:
            if not span.entity.startswith(_BUILTIN_PREFIX):
                values.setdefault(span.entity, {})[query.value_of(span)] = None
    entities = {
        entity: {
            "data": [{"value": value, "synonyms": []} for value in found],
            "use_synonyms": True,
            "automatically_extensible": True,
            "matching_strictness": 1.0,
        }
        for entity, found in values.items()
    }
    return {"language": language, "intents": intents, "entities": entities}


def write_snips(queries: Iterable[AnnotatedQuery], out: TextIO, *, language: str) -> int:
    """Write a snips-nlu dataset JSON; returns the number of queries (all checked first)."""
    dataset = snips_dataset(queries, language=language)
    json.dump(dataset, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return sum(len(intent["utterances"]) for intent in dataset["intents"].values())


def load_json_lenient(path: Path | str) -> Any:
    """Parse a JSON file, also when it stores characters outside the BMP as CESU-8.

    The Snips benchmark's ``train_PlayMusic_full.json`` writes emoji as two UTF-8-encoded
    surrogates: decoded with ``surrogatepass`` and re-encoded through UTF-16, each pair becomes
    the real character. Anything else that is not UTF-8 is refused with its line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFailed(
            f"{path}: cannot open ({error.strerror}); check the path", file=str(path)
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = (
                raw.decode("utf-8", "surrogatepass")
                .encode("utf-16", "surrogatepass")
                .decode("utf-16")
            )
        except UnicodeError as error:
            offset = error.start if isinstance(error, UnicodeDecodeError) else 0
            line = raw.count(b"\n", 0, offset) + 1
            raise ImportFailed(
                f"{path}:{line}: not valid UTF-8 (nor CESU-8 surrogate pairs); convert the file "
                "to UTF-8",
                file=str(path),
                line=line,
            ) from None
    try:
        return json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise ImportFailed(
            f"{path}:{error.lineno}: not valid JSON ({error.msg} at column {error.colno})",
            file=str(path),
            line=error.lineno,
        ) from None


def _snips_utterance(data: Any, intent: str, where: str) -> AnnotatedQuery:
    if not isinstance(data, list):
        raise ImportFailed(f"{where}: 'data' must be a list of chunks", intent=intent)
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    for number, chunk in enumerate(data, start=1):
        if not isinstance(chunk, dict) or not isinstance(chunk.get("text"), str):
            raise ImportFailed(
                f"{where}, chunk {number}: a chunk is an object with a 'text' string",
                intent=intent,
            )
        text = chunk["text"]
        entity = chunk.get("entity")
        if entity is not None:
            slot = chunk.get("slot_name", entity)  # the benchmark files name the slot 'entity'
            if not isinstance(entity, str) or not isinstance(slot, str) or not entity or not slot:
                raise ImportFailed(
                    f"{where}, chunk {number}: 'entity' and 'slot_name' must be non-empty strings",
                    intent=intent,
                )
            if text:
                spans.append(Span(length, length + len(text), slot, entity))
        parts.append(text)
        length += len(text)
    plain, cleaned = clean_read("".join(parts), spans)
    if not plain:
        raise ImportFailed(f"{where}: the utterance has no text", intent=intent)
    return AnnotatedQuery(plain, intent, cleaned)


def _load_source(source: Source) -> Any:
    if isinstance(source, str | Path):
        return load_json_lenient(source)
    try:
        return json.load(source)
    except json.JSONDecodeError as error:
        raise ImportFailed(
            f"line {error.lineno}: not valid JSON ({error.msg} at column {error.colno})",
            line=error.lineno,
        ) from None


def read_snips(source: Source | Mapping[str, Any]) -> list[AnnotatedQuery]:
    """Queries of a snips-nlu dataset, or of a Snips benchmark file.

    The dataset is ``{"language", "intents": {name: {"utterances": [{"data": chunks}]}}}``;
    a benchmark file is ``{name: [{"data": chunks}]}``, where a chunk's ``entity`` names the
    slot (so slot and entity are the same). A chunk without ``slot_name`` takes its entity's
    name as slot. ``source`` is a path, an open text file or the already-parsed object.
    """
    label = str(source) if isinstance(source, str | Path) else "Snips data"
    obj: Any = source
    if not isinstance(source, Mapping) and (
        isinstance(source, str | Path) or hasattr(source, "read")
    ):
        obj = _load_source(source)
    if not isinstance(obj, Mapping):
        raise ImportFailed(f"{label}: expected a JSON object at the top")
    if isinstance(obj.get("intents"), Mapping):
        groups = {
            name: intent.get("utterances") if isinstance(intent, Mapping) else None
            for name, intent in obj["intents"].items()
        }
        shape = "intents.<name>.utterances"
    else:
        groups = dict(obj)
        shape = "<intent>"
    queries: list[AnnotatedQuery] = []
    for intent, utterances in groups.items():
        if not isinstance(utterances, list):
            raise ImportFailed(
                f"{label}: {shape} of intent {intent!r} must be a list of "
                "{'data': [chunks]} objects; is this a Snips dataset or benchmark file?",
                intent=intent,
            )
        for number, utterance in enumerate(utterances, start=1):
            where = f"{label}: intent {intent!r}, utterance {number}"
            if not isinstance(utterance, Mapping) or "data" not in utterance:
                raise ImportFailed(f"{where}: an utterance is an object with 'data'", intent=intent)
            queries.append(_snips_utterance(utterance["data"], intent, where))
    return queries
