"""Any campaign spec, told apart by its ``type``."""

from __future__ import annotations

import pytest

from crowdset.core.generation.spec import CampaignSpec
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.specs import load_any_spec, parse_any_spec
from crowdset.errors import SpecInvalid

GENERATE = """\
name: Lights
language: en
intents: [{name: LightsOn, description: Lights on, target: 1}]
prices: {per_query: 0.80, per_vote: 0.20}
"""
CLASSIFY = """\
name: Sentiment
type: classify
instructions: Positive or negative?
labels: [{name: pos}, {name: neg}]
price_per_judgment: 0.20
"""


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param(GENERATE, CampaignSpec, id="no-type-is-generate"),
        pytest.param(GENERATE + "type: generate\n", CampaignSpec, id="generate"),
        pytest.param(CLASSIFY, LabelingSpec, id="classify"),
    ],
)
def test_the_type_picks_the_spec(text: str, kind: type) -> None:
    assert isinstance(load_any_spec(text), kind)


def test_an_unknown_type_is_named_with_the_known_ones() -> None:
    with pytest.raises(SpecInvalid, match="type: unknown campaign type 'clasify'") as caught:
        parse_any_spec({"name": "x", "type": "clasify"}, source="body")
    assert caught.value.fields["field"] == "type"
    assert "use one of generate, classify, rate" in caught.value.message


def test_errors_name_the_field_of_the_right_spec() -> None:
    with pytest.raises(SpecInvalid, match="labels") as caught:
        load_any_spec(CLASSIFY.replace("labels: [{name: pos}, {name: neg}]", "labels: 3"))
    assert caught.value.fields["field"] == "labels"


LABELING = (
    "name: Sentiment\ntype: classify\ninstructions: Pick one.\n"
    "labels: [{name: pos}, {name: neg}]\nprice_per_judgment: 0.05\nseconds_per_judgment: 3\n"
)


@pytest.mark.parametrize(
    ("key", "home"),
    [
        ("control_share: 0.2", "gold.share"),
        ("bar: 0.8", "quality.bar"),
        ("confidence: 0.9", "quality.confidence"),
        ("min_evidence: 20", "quality.min_answers"),
    ],
    ids=["control_share", "bar", "confidence", "min_evidence"],
)
def test_a_labeling_spec_sets_quality_in_one_place(key: str, home: str) -> None:
    with pytest.raises(SpecInvalid) as refused:
        load_any_spec(LABELING + f"mechanism: {{{key}}}\n")
    assert home in str(refused.value)


def test_a_stored_labeling_spec_with_the_mechanism_defaults_loads_again() -> None:
    spec = load_any_spec(LABELING)
    assert isinstance(spec, LabelingSpec)
    assert LabelingSpec.model_validate(spec.model_dump(mode="json")) == spec
