"""Reading user-written YAML/JSON documents (campaign specs, filter pipelines) with errors that
name the path of the bad field, the value and the fix.

Pure: parses text; reading the file is the caller's job.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from crowdset.errors import SpecInvalid


def load_document(text: str, *, source: str, example: str = "") -> Any:
    """Parse YAML (JSON is a subset of it); a syntax error names its line."""
    try:
        return yaml.safe_load(text)
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
