"""Rasa NLU training data YAML (``version: "3.1"``), written and read (SPEC §2 export).

Rasa's markup (``[value](entity)``) has no escape character: brackets in a text are written as
they are, which Rasa reads back unchanged unless they look like an annotation
(``[a](b)``, ``[a]{b}``, ``[a][b]``) or unbalance one. The writer parses each line it produces
the way Rasa does and refuses a query whose text or spans would come back different; such a
query can still be exported as JSONL or Snips.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import yaml

from crowdset.core.generation.model import AnnotatedQuery, Span
from crowdset.errors import ImportFailed, InvalidInput
from crowdset.formats.nlu_text import Source, clean_read, excerpt, name_query, writable

RASA_VERSION = "3.1"

# Rasa 3's own pattern: `[text](entity)`, `[text](entity:synonym)`, `[text]{json}`, `[text][list]`
_RASA_ENTITY = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\]"
    r"(\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}"
    r"|\[(?P<list_entity_dicts>.*?)\])"
)
_RASA_PLAIN_NAME = re.compile(r"[^\s:()\[\]{}\"]+")
_YAML_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# libyaml's parser when PyYAML was built with it: about 5 times faster on large files
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _rasa_label(span: Span) -> str:
    if span.slot == span.entity and _RASA_PLAIN_NAME.fullmatch(span.slot):
        return f"({span.slot})"
    fields = {"entity": span.entity}
    if span.slot != span.entity:
        fields["role"] = span.slot
    return json.dumps(fields, ensure_ascii=False)


def _rasa_example(query: AnnotatedQuery) -> str:
    parts: list[str] = []
    position = 0
    for span in query.spans:
        parts += [query.text[position : span.start], f"[{query.value_of(span)}]", _rasa_label(span)]
        position = span.end
    parts.append(query.text[position:])
    return "".join(parts)


def _rasa_entity(match: re.Match[str], where: str) -> tuple[str, str]:
    """``(slot, entity)`` of one annotation: a role names the slot, else the entity does."""
    groups = match.groupdict()
    if groups["entity"] is not None:
        entity = groups["entity"]
        return entity, entity
    try:
        if groups["entity_dict"] is not None:
            fields = json.loads("{" + groups["entity_dict"] + "}")
        else:
            listed = json.loads("[" + groups["list_entity_dicts"] + "]")
            if not isinstance(listed, list) or len(listed) != 1:
                raise ImportFailed(
                    f"{where}: {match.group(0)!r} gives a value several entities; crowdset "
                    "spans hold one slot each"
                )
            fields = listed[0]
    except json.JSONDecodeError as error:
        raise ImportFailed(
            f"{where}: {match.group(0)!r} is not a valid entity annotation ({error.msg})"
        ) from None
    entity = fields.get("entity") if isinstance(fields, dict) else None
    role = fields.get("role", entity) if isinstance(fields, dict) else None
    if not isinstance(entity, str) or not isinstance(role, str) or not entity or not role:
        raise ImportFailed(f'{where}: {match.group(0)!r} needs a non-empty "entity" string')
    return role, entity


def _parse_rasa_example(example: str, where: str) -> tuple[str, list[Span]]:
    """Plain text and spans of one example, with the offsets Rasa computes."""
    parts: list[str] = []
    spans: list[Span] = []
    position = length = 0
    for match in _RASA_ENTITY.finditer(example):
        before = example[position : match.start()]
        value = match.group("entity_text")
        slot, entity = _rasa_entity(match, where)
        start = length + len(before)
        spans.append(Span(start, start + len(value), slot, entity))
        parts += [before, value]
        length = start + len(value)
        position = match.end()
    parts.append(example[position:])
    return "".join(parts), spans


def _yaml_key(name: str) -> str:
    if _YAML_PLAIN_KEY.fullmatch(name) and name.lower() not in _YAML_WORDS:
        return name
    return json.dumps(name, ensure_ascii=False)


def write_rasa(queries: Iterable[AnnotatedQuery], out: TextIO) -> int:
    """Write Rasa NLU YAML (``version: "3.1"``), one ``- intent:`` block per intent.

    A slot named like its entity is written ``[value](slot)``; otherwise
    ``[value]{"entity": "<entity>", "role": "<slot>"}``, which Rasa reads as the entity with
    that role. Every line is parsed back as Rasa would before anything is written.
    """
    by_intent: dict[str, list[str]] = {}
    for position, raw in enumerate(queries):
        query = writable(raw, position)
        example = _rasa_example(query)
        try:
            back = _parse_rasa_example(example, "")
        except ImportFailed:
            back = None
        if back != (query.text, list(query.spans)):
            raise InvalidInput(
                f"{name_query(query, position)}: Rasa would read {example!r} back as a different "
                "text or different spans (its markup has no escape for brackets such as "
                "'[a](b)' or for ']' inside a value); export as JSONL or Snips, or edit the query",
                field="text",
            )
        by_intent.setdefault(query.intent, []).append(example)
    out.write(f'version: "{RASA_VERSION}"\n')
    out.write("nlu:\n" if by_intent else "nlu: []\n")
    for intent, examples in by_intent.items():
        out.write(f"- intent: {_yaml_key(intent)}\n  examples: |\n")
        out.writelines(f"    - {example}\n" for example in examples)
    return sum(map(len, by_intent.values()))


def _mapping_get(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node  # type: ignore[no-any-return]
    return None


def read_rasa(source: Source) -> list[AnnotatedQuery]:
    """Queries of a Rasa NLU YAML file (``nlu:`` items with ``intent`` and ``examples``).

    Items without ``intent`` (synonyms, regexes, lookup tables) are skipped; example lines are
    parsed like Rasa does (each starts with ``-``, annotations ``[value](entity)``,
    ``[value](entity:synonym)``, ``[value]{"entity": ..., "role": ...}``); a role names the
    slot, otherwise the entity does.
    """
    label = str(source) if isinstance(source, str | Path) else "Rasa data"
    try:
        if isinstance(source, str | Path):
            with Path(source).open(encoding="utf-8") as handle:
                root = yaml.compose(handle, Loader=_LOADER)
        else:
            root = yaml.compose(source, Loader=_LOADER)
    except OSError as error:
        raise ImportFailed(f"{label}: cannot open ({error.strerror}); check the path") from None
    except UnicodeDecodeError as error:
        raise ImportFailed(f"{label}: not valid UTF-8 ({error.reason}); convert it") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        at = f"{label}:{line}" if line is not None else label
        raise ImportFailed(
            f"{at}: not valid YAML ({getattr(error, 'problem', None) or error})", line=line
        ) from None
    nlu = _mapping_get(root, "nlu") if root is not None else None
    if nlu is None or not isinstance(nlu, yaml.SequenceNode):
        raise ImportFailed(f"{label}: no 'nlu:' list; is this a Rasa NLU training data file?")
    queries: list[AnnotatedQuery] = []
    for item in nlu.value:
        intent_node = _mapping_get(item, "intent")
        if intent_node is None:
            continue
        examples_node = _mapping_get(item, "examples")
        item_line = item.start_mark.line + 1
        if (
            not isinstance(intent_node, yaml.ScalarNode)
            or not intent_node.value
            or not isinstance(examples_node, yaml.ScalarNode)
        ):
            raise ImportFailed(
                f"{label}:{item_line}: an intent item needs an 'intent' name and an 'examples' "
                "block of '- ' lines",
                line=item_line,
            )
        intent: str = intent_node.value
        block = examples_node.style == "|"  # content starts on the line after '|'
        for k, raw in enumerate(str(examples_node.value).splitlines()):
            line = examples_node.start_mark.line + 2 + k if block else item_line
            where = f"{label}:{line}"
            if not raw.strip():
                continue
            if not raw.startswith("-"):
                raise ImportFailed(
                    f"{where}: example lines start with '- ', got {excerpt(raw)}", line=line
                )
            text, spans = _parse_rasa_example(raw[1:].strip(" \n\r"), where)
            text, cleaned = clean_read(text, spans)
            if not text:
                raise ImportFailed(f"{where}: empty example", line=line)
            queries.append(AnnotatedQuery(text, intent, cleaned))
    return queries
