"""Any campaign spec, told apart by its ``type`` (SPEC §2–§3): ``generate`` (the default: a
generation spec, ``core.generation.spec``) or ``classify`` / ``rate`` (a labeling spec,
``core.labeling.spec``). Adapters that take "a campaign spec" parse it here, once."""

from __future__ import annotations

from typing import Any

from crowdset.core.documents import load_document
from crowdset.core.generation.spec import CampaignSpec, parse_spec
from crowdset.core.labeling.spec import LABELING_TYPES, LabelingSpec, parse_labeling_spec
from crowdset.errors import SpecInvalid

AnySpec = CampaignSpec | LabelingSpec
SPEC_TYPES = ("generate", *LABELING_TYPES)
_EXAMPLE = "name: Sentiment, type: classify, labels: [{name: pos}, {name: neg}]"


def spec_type(data: Any, *, source: str = "spec") -> str:
    """The document's ``type`` (``generate`` when absent); ``SpecInvalid`` for any other."""
    kind = data.get("type", "generate") if isinstance(data, dict) else "generate"
    if kind not in SPEC_TYPES:
        message = f"unknown campaign type {kind!r}; use one of {', '.join(SPEC_TYPES)}"
        raise SpecInvalid(
            f"{source}: type: {message}",
            field="type",
            errors=[{"field": "type", "message": message}],
            source=source,
        )
    return str(kind)


def parse_any_spec(data: Any, *, source: str = "spec") -> AnySpec:
    """Validate an already-parsed spec document of any type."""
    if spec_type(data, source=source) in LABELING_TYPES:
        return parse_labeling_spec(data, source=source)
    return parse_spec(data, source=source)


def load_any_spec(text: str, *, source: str = "spec.yaml") -> AnySpec:
    """Parse and validate spec text, YAML or JSON, of any type."""
    return parse_any_spec(load_document(text, source=source, example=_EXAMPLE), source=source)
