"""Pipeline configuration: an OpusFilter-like YAML list of rules, validated strictly.

::

    - duplicate: {}
    - length_ratio: {min: 0.4, max: 2.5}
    - language: {src: en, tgt: de}

Each item names one rule and its settings. Unknown rule names and unknown settings are refused
(OpusFilter only warns, and a misspelt threshold then silently keeps its default), and every
error names the path of the bad field, the value and the fix. Parsing YAML text is pure; reading
the file is the caller's job.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from crowdset.core.documents import load_document, validation_message
from crowdset.core.filtering.rule import Rule
from crowdset.core.filtering.rules.alphabetic import Alphabetic
from crowdset.core.filtering.rules.duplicates import Duplicate, NearDuplicate
from crowdset.core.filtering.rules.edit_distance import EditDistance
from crowdset.core.filtering.rules.entities import SameEntities
from crowdset.core.filtering.rules.language import LanguageId
from crowdset.core.filtering.rules.length import LengthRatio, TokenCount
from crowdset.core.filtering.rules.markup import Markup
from crowdset.core.filtering.rules.script import ScriptMatch
from crowdset.errors import SpecInvalid

RULES: dict[str, type[Rule]] = {
    cls.name: cls
    for cls in (
        Duplicate,
        NearDuplicate,
        TokenCount,
        LengthRatio,
        Alphabetic,
        Markup,
        SameEntities,
        EditDistance,
        ScriptMatch,
        LanguageId,
    )
}
"""Every rule by its YAML name, in the default order: cheap first, language id last."""

_EXAMPLE = "- length_ratio: {min: 0.4, max: 2.5}"


def default_rules() -> list[Rule]:
    """The default pipeline: every rule with SPEC §4's thresholds, cheapest first."""
    return [cls() for cls in RULES.values()]


def _fail(path: str, message: str, value: Any, source: str) -> SpecInvalid:
    return SpecInvalid(f"{source}: {path}: {message}", field=path, value=value, source=source)


def _rule_name(item: Any, path: str, source: str) -> tuple[str, Any]:
    if not isinstance(item, dict) or len(item) != 1:
        raise _fail(
            path,
            f"each rule must be a mapping with exactly one key, the rule's name, got {item!r}; "
            f"write it like `{_EXAMPLE}`",
            item,
            source,
        )
    ((name, settings),) = item.items()
    if name not in RULES:
        close = difflib.get_close_matches(str(name), RULES, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise _fail(
            path,
            f"unknown rule {name!r}; {hint}known rules: {', '.join(RULES)}",
            name,
            source,
        )
    return str(name), settings


def _validation_error(
    error: ValidationError, cls: type[Rule], path: str, source: str
) -> SpecInvalid:
    first = error.errors()[0]
    where = ".".join([path, *(str(part) for part in first["loc"])])
    known = ", ".join(cls.model_fields) or "none"
    if first["type"] == "extra_forbidden":
        key = first["loc"][-1]
        close = difflib.get_close_matches(str(key), cls.model_fields, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        message = f"unknown setting {key!r} for rule '{cls.name}'; {hint}known settings: {known}"
    else:
        message = (
            f"{validation_message(first)} (got {first['input']!r}); "
            f"fix the value, settings of '{cls.name}': {known}"
        )
    return _fail(where, message, first["input"], source)


def parse_rules(data: Any, *, source: str = "filters") -> list[Rule]:
    """Validate an already-parsed YAML/JSON list of rules."""
    if data is None:
        return default_rules()
    if not isinstance(data, list):
        raise _fail(
            "(top level)",
            f"expected a list of rules, got {type(data).__name__}; start each rule with `- `, "
            f"e.g. `{_EXAMPLE}`",
            data,
            source,
        )
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for position, item in enumerate(data):
        path = f"[{position}]"
        name, settings = _rule_name(item, path, source)
        if name in seen:
            raise _fail(
                path,
                f"rule '{name}' is listed twice (also at {seen[name]}); keep one and merge "
                "their settings",
                name,
                source,
            )
        seen[name] = path
        if settings is None:
            settings = {}
        cls = RULES[name]
        if not isinstance(settings, dict):
            raise _fail(
                f"{path}.{name}",
                f"settings must be a mapping like {{min: 0.4}} or empty, got {settings!r}",
                settings,
                source,
            )
        try:
            rules.append(cls.model_validate(settings))
        except ValidationError as error:
            raise _validation_error(error, cls, f"{path}.{name}", source) from None
    return rules


def load_rules(text: str, *, source: str = "filters.yaml") -> list[Rule]:
    """Parse and validate pipeline YAML text (an empty document means the defaults)."""
    data = load_document(text, source=source, example=_EXAMPLE)
    return parse_rules(data, source=source)


def requested_rules(text: str | None, *, source: str = "filters") -> list[Rule] | None:
    """What an import's ``filters`` setting (REST, web) asks for: nothing when empty, the
    default pipeline for ``default``, else the pipeline it holds as YAML."""
    if text is None or not text.strip():
        return None
    if text.strip() == "default":
        return default_rules()
    return load_rules(text, source=source)


def with_languages(
    rules: Sequence[Rule],
    src: str | None,
    tgt: str | None,
    *,
    source: str = "--src-lang/--tgt-lang",
) -> list[Rule]:
    """Fill the expected languages of ``language`` and ``script`` rules where they have none;
    a language they do not know is refused, the message starting with ``source``."""
    out: list[Rule] = []
    for rule in rules:
        if isinstance(rule, LanguageId | ScriptMatch):
            update = {
                key: value
                for key, value in (("src", src), ("tgt", tgt))
                if value is not None and getattr(rule, key) is None
            }
            if update:
                # re-validate so that an unknown language is refused like in YAML
                try:
                    rule = type(rule).model_validate(rule.model_dump() | update)
                except ValidationError as error:
                    raise _validation_error(error, type(rule), rule.name, source) from None
        out.append(rule)
    return out
