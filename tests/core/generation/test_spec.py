"""The generation campaign spec (SPEC §2): the example loads; errors name the bad field's path."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from crowdset.core.generation.spec import CampaignSpec, load_spec, parse_spec, to_minor
from crowdset.errors import InvalidInput, SpecInvalid

EXAMPLE = Path(__file__).parents[3] / "examples" / "smart-lights.yaml"


def spec_data(**overrides: Any) -> dict[str, Any]:
    """A minimal valid spec as a document, with top-level keys replaced."""
    data: dict[str, Any] = {
        "name": "Lights",
        "language": "en",
        "intents": [
            {
                "name": "TurnOn",
                "description": "Switch the lights on",
                "target": 10,
                "slots": [{"name": "room", "entity": "room", "values": ["kitchen", "hall"]}],
                "seeds": ["turn on the [room:kitchen] lights"],
            }
        ],
        "prices": {"per_query": "0.80", "per_vote": "0.20"},
    }
    data.update(overrides)
    return data


def with_intent(**changes: Any) -> dict[str, Any]:
    """A valid spec whose one intent has some keys replaced."""
    data = spec_data()
    data["intents"][0].update(changes)
    return data


def refused(data: Any) -> SpecInvalid:
    with pytest.raises(SpecInvalid) as caught:
        load_spec(yaml.safe_dump(data, sort_keys=False))
    return caught.value


def refused_text(text: str) -> SpecInvalid:
    with pytest.raises(SpecInvalid) as caught:
        load_spec(text)
    return caught.value


# --- valid documents ---------------------------------------------------------------------------


def test_the_smart_lights_example_loads() -> None:
    spec = load_spec(EXAMPLE.read_text(encoding="utf-8"), source=str(EXAMPLE))
    assert spec.name == "Smart lights"
    assert spec.language == "en"
    assert [intent.name for intent in spec.intents] == [
        "SwitchLightOn",
        "SwitchLightOff",
        "SetLightBrightness",
    ]
    assert spec.total_target == 120
    assert spec.prices.per_query == Decimal("0.80")
    assert spec.prices.per_vote == Decimal("0.20")
    assert spec.validators_per_query == 3
    assert spec.min_stake == Decimal(10)
    assert (spec.checks.min_words, spec.checks.max_words) == (2, 30)
    brightness = spec.intent("SetLightBrightness").slot("brightness")
    assert brightness.entity_name == "snips/percentage"
    assert "ten percent" in brightness.values


def test_defaults_follow_the_spec() -> None:
    spec = parse_spec(spec_data())
    assert spec.validators_per_query == 3
    assert spec.min_stake == Decimal(0)
    assert spec.type == "generate"
    assert spec.payout == "per_task"
    assert spec.mechanism.fine_multiplier == Decimal("1.5")
    assert (spec.mechanism.decision_confidence, spec.mechanism.max_votes) == (0.95, 7)
    assert not hasattr(spec, "forfeit_on_repeat_failure")


@pytest.mark.parametrize("value", [True, False], ids=["on", "off"])
def test_forfeit_on_repeat_failure_is_refused_naming_what_replaced_it(value: bool) -> None:
    with pytest.raises(SpecInvalid) as refused:
        parse_spec({**spec_data(), "forfeit_on_repeat_failure": value})
    message = str(refused.value)
    assert "forfeit_on_repeat_failure was replaced by mechanism.fine_multiplier" in message
    assert "SPEC §6.4" in message and "remove forfeit_on_repeat_failure" in message


def test_max_votes_below_the_validators_is_refused() -> None:
    data = {**spec_data(), "validators_per_query": 5, "mechanism": {"max_votes": 3}}
    with pytest.raises(SpecInvalid, match="raise max_votes to at least 5"):
        parse_spec(data)


def test_json_text_is_accepted_too() -> None:
    data = spec_data()
    from_json = load_spec(json.dumps(data), source="spec.json")
    assert from_json == parse_spec(data)


def test_slot_values_are_space_normalised_and_entity_defaults_to_the_name() -> None:
    spec = parse_spec(
        with_intent(slots=[{"name": "room", "values": ["  living   room "]}], seeds=[])
    )
    slot = spec.intents[0].slot("room")
    assert slot.values == ["living room"]
    assert slot.entity_name == "room"


def test_unknown_intent_is_an_invalid_input_naming_it() -> None:
    spec = parse_spec(spec_data())
    with pytest.raises(InvalidInput, match="campaign has no intent 'Nope'") as caught:
        spec.intent("Nope")
    assert caught.value.fields == {"field": "intent", "value": "Nope"}


# --- errors name the field path ----------------------------------------------------------------


def test_a_blank_slot_value_names_the_values_path() -> None:
    error = refused(with_intent(slots=[{"name": "room", "values": ["kitchen", "   "]}], seeds=[]))
    assert error.fields["field"] == "intents[0].slots[0].values"
    assert error.message == "spec.yaml: intents[0].slots[0].values: a slot value cannot be blank"


def test_an_empty_slot_value_names_its_index() -> None:
    error = refused(with_intent(slots=[{"name": "room", "values": ["kitchen", ""]}], seeds=[]))
    assert error.fields["field"] == "intents[0].slots[0].values[1]"
    assert "at least 1 character" in error.message


def test_a_repeated_slot_value_is_refused_case_insensitively() -> None:
    error = refused(with_intent(slots=[{"name": "room", "values": ["Kitchen", "kitchen"]}]))
    assert error.fields["field"] == "intents[0].slots[0].values"
    assert "value 'kitchen' is listed twice" in error.message


def test_a_seed_annotating_an_undeclared_slot_names_the_seed_and_the_declared_slots() -> None:
    error = refused(with_intent(seeds=["fine", "fly to [city:paris]"]))
    assert error.fields["field"] == "intents[0]"
    assert "seeds[1] annotates slot 'city', which is not declared" in error.message
    assert "declared slots: room" in error.message


def test_a_seed_with_broken_annotation_names_the_seed() -> None:
    error = refused(with_intent(seeds=["turn on the [room:kitchen lights"]))
    assert error.fields["field"] == "intents[0]"
    assert "seeds[0]" in error.message


def test_duplicate_intent_names_are_refused() -> None:
    intent = spec_data()["intents"][0]
    second = {**intent, "description": "again"}
    error = refused(spec_data(intents=[intent, second]))
    assert error.fields["field"] == "intents"
    assert "intent 'TurnOn' is declared twice" in error.message


def test_duplicate_slot_names_are_refused() -> None:
    slots = [{"name": "room", "values": ["a"]}, {"name": "room", "values": ["b"]}]
    error = refused(with_intent(slots=slots, seeds=[]))
    assert error.fields["field"] == "intents[0].slots"
    assert "slot 'room' is declared twice; slot names must be unique" in error.message


def test_a_combination_naming_an_unknown_slot_is_refused() -> None:
    error = refused(with_intent(combinations=[["room"], ["colour"]]))
    assert error.fields["field"] == "intents[0]"
    assert "combinations[1] names unknown slot(s) colour" in error.message


@pytest.mark.parametrize("validators", [2, 4], ids=["two", "four"])
def test_an_even_number_of_validators_is_refused(validators: int) -> None:
    error = refused(spec_data(validators_per_query=validators))
    assert error.fields["field"] == "validators_per_query"
    assert error.message == (
        "spec.yaml: validators_per_query: validators_per_query must be odd so a majority "
        f"exists; use 3 or 5 (got {validators})"
    )


@pytest.mark.parametrize(
    ("data", "field", "suggestion"),
    [
        (spec_data(validators_per_qery=3), "validators_per_qery", "validators_per_query"),
        (with_intent(slotz=[]), "intents[0].slotz", "slots"),
        (
            spec_data(prices={"per_query": 1, "per_vote": 1, "per_vot": 1}),
            "prices.per_vot",
            "per_vote",
        ),
    ],
    ids=["top-level", "in-an-intent", "in-prices"],
)
def test_an_unknown_key_suggests_the_closest_known_one(
    data: dict[str, Any], field: str, suggestion: str
) -> None:
    error = refused(data)
    assert error.fields["field"] == field
    assert f"did you mean '{suggestion}'?" in error.message
    assert "known fields here:" in error.message


def test_an_unknown_key_far_from_any_field_lists_the_known_fields() -> None:
    error = refused(spec_data(zzzzzz=1))
    assert error.fields["field"] == "zzzzzz"
    assert "did you mean" not in error.message
    assert "known fields here: name, type, language, intents, prices" in error.message


def test_a_yaml_syntax_error_names_the_line() -> None:
    text = "name: Lights\nlanguage: en\nintents: [\n  {name: A\nprices: {"
    error = refused_text(text)
    assert error.fields["line"] == 5
    assert error.fields["field"] == "line 5"
    assert error.message.startswith("spec.yaml: line 5: not valid YAML or JSON")
    assert "fix the syntax" in error.message


@pytest.mark.parametrize(
    ("text", "kind"),
    [("- a\n- b\n", "list"), ("just words\n", "str"), ("", "NoneType")],
    ids=["list", "scalar", "empty"],
)
def test_a_top_level_that_is_not_a_mapping_is_refused(text: str, kind: str) -> None:
    error = refused_text(text)
    assert error.fields["field"] == "(top level)"
    assert error.message == (
        "spec.yaml: (top level): a spec is a mapping with name, language, intents and prices, "
        f"got {kind}"
    )


def test_missing_prices_is_required() -> None:
    data = spec_data()
    del data["prices"]
    error = refused(data)
    assert error.fields["field"] == "prices"
    assert error.message == "spec.yaml: prices: this field is required"


def test_min_words_above_max_words_is_refused() -> None:
    error = refused(spec_data(checks={"min_words": 10, "max_words": 5}))
    assert error.fields["field"] == "checks"
    assert "min_words 10 is above max_words 5" in error.message


def test_several_problems_are_all_listed_and_the_first_leads() -> None:
    data = spec_data(validators_per_query=4, language="English")
    del data["prices"]
    error = refused(data)
    fields = [problem["field"] for problem in error.fields["errors"]]
    assert set(fields) == {"language", "prices", "validators_per_query"}
    assert error.fields["field"] == fields[0]
    assert error.message.endswith("(and 2 more problem(s))")


def test_a_scalar_bad_value_is_quoted_in_the_message() -> None:
    error = refused(spec_data(language="English"))
    assert error.fields["field"] == "language"
    assert "(got 'English')" in error.message


def test_the_source_names_the_file() -> None:
    with pytest.raises(SpecInvalid) as caught:
        load_spec("[]", source="lights.json")
    assert caught.value.message.startswith("lights.json: ")
    assert caught.value.fields["source"] == "lights.json"


# --- the spec's own helpers --------------------------------------------------------------------


def test_slot_combinations_default_to_every_combination_up_to_max_slots() -> None:
    slots = [{"name": n, "values": ["x"]} for n in ("b", "a", "c")]
    intent = parse_spec(with_intent(slots=slots, seeds=[])).intents[0]
    assert intent.slot_combinations(2) == [
        (),
        ("a",),
        ("b",),
        ("c",),
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
    ]
    assert intent.slot_combinations(0) == [()]
    assert len(intent.slot_combinations(9)) == 8  # capped by the number of slots


def test_explicit_combinations_are_used_as_given_with_sorted_slots() -> None:
    slots = [{"name": n, "values": ["x"]} for n in ("a", "b")]
    intent = parse_spec(with_intent(slots=slots, seeds=[], combinations=[["b", "a"]])).intents[0]
    assert intent.slot_combinations(2) == [("a", "b")]


def test_to_minor_converts_and_refuses_finer_fractions() -> None:
    assert to_minor(Decimal("0.80"), 2, "prices.per_query") == 80
    with pytest.raises(SpecInvalid, match=r"^prices\.per_vote: amount '0\.005'") as caught:
        to_minor(Decimal("0.005"), 2, "prices.per_vote")
    assert caught.value.fields == {"field": "prices.per_vote", "value": "0.005"}


def test_campaign_spec_is_frozen() -> None:
    spec = parse_spec(spec_data())
    assert isinstance(spec, CampaignSpec)
    with pytest.raises(ValueError, match="frozen"):
        spec.name = "other"  # type: ignore[misc]  # the point: assignment is refused
