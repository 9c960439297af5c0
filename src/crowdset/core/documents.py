"""Reading user-written YAML/JSON documents (campaign specs, filter pipelines) with errors that
name the path of the bad field, the value and the fix.

Pure: parses text; reading the file is the caller's job.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from crowdset.errors import SpecInvalid

MAX_DEPTH = 64
"""How deeply a user's JSON or YAML document may nest lists and mappings (specs need ~6)."""

_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nesting_depth(text: str | bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` outside double-quoted strings: a linear scan at C
    speed, run before a parser that recurses (``json``, PyYAML) sees the text."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return 0  # cannot be deeper than the limit: skip the scan
    brackets = _QUOTED.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(_STEP[b] for b in brackets), default=0)


def data_depth(data: Any) -> int:
    """The nesting of parsed data, walked without recursion; shared parts (YAML aliases) are
    walked once."""
    deepest, seen, stack = 0, set(), [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list) or id(node) in seen:
            continue
        seen.add(id(node))
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)
    return deepest


def too_deep(source: str) -> SpecInvalid:
    return SpecInvalid(
        f"{source}: the document nests lists or mappings deeper than the limit of {MAX_DEPTH} "
        "levels: flatten it",
        field="(document)",
        limit=MAX_DEPTH,
        source=source,
    )


def load_document(text: str, *, source: str, example: str = "") -> Any:
    """Parse YAML (JSON is a subset of it); a syntax error names its line. Nesting deeper than
    ``MAX_DEPTH`` is refused before and after parsing."""
    if nesting_depth(text) > MAX_DEPTH:
        raise too_deep(source)
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise too_deep(source) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f"line {line}" if line else "(document)"
        hint = f"; fix the syntax, e.g. `{example}`" if example else "; fix the syntax"
        raise SpecInvalid(
            f"{source}: {where}: not valid YAML or JSON "
            f"({getattr(error, 'problem', None) or error}){hint}",
            field=where,
            line=line,
            source=source,
        ) from None
    if data_depth(data) > MAX_DEPTH:
        raise too_deep(source)
    return data


def validation_message(item: Mapping[str, Any]) -> str:
    """One Pydantic error's message for people: without the "Value error, " that Pydantic puts
    before the message of a ``ValueError`` raised by our own validators."""
    return str(item["msg"]).removeprefix("Value error, ")


def field_path(loc: Sequence[int | str], prefix: str = "") -> str:
    """``("intents", 0, "slots")`` → ``intents[0].slots``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _known_fields(model: type[BaseModel], loc: Sequence[int | str]) -> Iterable[str]:
    """The field names allowed beside the unknown key at ``loc`` (best effort)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return ()
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return ()
    return getattr(current, "model_fields", {}).keys()


def spec_error(
    error: ValidationError, model: type[BaseModel], *, source: str, prefix: str = ""
) -> SpecInvalid:
    """One ``SpecInvalid`` naming every bad field; the message leads with the first."""
    problems: list[dict[str, Any]] = []
    for item in error.errors():
        loc = [part for part in item["loc"] if not str(part).startswith("function-")]
        path = field_path(loc, prefix)
        if item["type"] == "extra_forbidden":
            known = list(_known_fields(model, loc))
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            allowed = f"known fields here: {', '.join(known)}" if known else ""
            message = f"unknown field {loc[-1]!r}; {hint}{allowed}".rstrip("; ")
        elif item["type"] == "missing":
            message = "this field is required"
        else:
            message = validation_message(item)
            if "input" in item and not isinstance(item["input"], dict | list):
                message += f" (got {item['input']!r})"
        problems.append({"field": path, "message": message})
    first = problems[0]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return SpecInvalid(
        f"{source}: {first['field']}: {first['message']}{more}",
        field=first["field"],
        errors=problems,
        source=source,
    )
