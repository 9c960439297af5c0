"""Validation controls made automatically (SPEC §6.1): known-good from seeds, known-bad as
another intent's query, shuffled words with the values kept, or a required value removed."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdset.core.generation.annotation import annotate, missing_values
from crowdset.core.generation.controls import (
    BAD_KINDS,
    ControlKind,
    Source,
    make_bad_control,
    other_intent,
    seed_sources,
    shuffled,
    value_removed,
)
from crowdset.core.generation.model import SlotValue
from crowdset.core.generation.spec import IntentSpec, SlotSpec

KITCHEN = SlotValue("room", "room", "living room")
SOURCE = Source("turn on the lights in the living room please", "LightsOn", (KITCHEN,))
SLOTS = {"LightsOn": ["room"], "LightsOff": ["room"], "PlayMusic": ["artist"]}


def test_seed_sources_are_plain_text_with_their_values() -> None:
    intent = IntentSpec(
        name="LightsOn",
        description="Switch the lights on",
        target=5,
        slots=[SlotSpec(name="room", entity="room_type", values=["living room"])],
        seeds=["turn on the [room:living room] lights", "lights on"],
    )
    found = seed_sources(intent)
    assert found == [
        Source(
            "turn on the living room lights",
            "LightsOn",
            (SlotValue("room", "room_type", "living room"),),
        ),
        Source("lights on", "LightsOn", ()),
    ]


def test_other_intent_shows_the_query_under_another_intent_keeping_shared_slots() -> None:
    rng = np.random.default_rng(0)
    shown = {other_intent(SOURCE, SLOTS, rng) for _ in range(40)}
    assert {c.intent for c in shown if c is not None} == {"LightsOff", "PlayMusic"}
    for control in shown:
        assert control is not None and control.kind is ControlKind.OTHER_INTENT
        assert control.text == SOURCE.text and not control.good
        # PlayMusic has no room slot: its control asks for no value it does not declare
        assert control.values == ((KITCHEN,) if control.intent == "LightsOff" else ())


def test_other_intent_needs_another_intent() -> None:
    assert other_intent(SOURCE, {"LightsOn": ["room"]}, np.random.default_rng(0)) is None


def test_shuffled_keeps_every_word_and_each_value_whole() -> None:
    control = shuffled(SOURCE, np.random.default_rng(3))
    assert control is not None and control.kind is ControlKind.SHUFFLED
    assert control.text != SOURCE.text
    assert control.values == SOURCE.values and control.intent == SOURCE.intent
    assert "living room" in control.text  # not split into "living … room"
    words = Counter(SOURCE.text.split())
    assert Counter(control.text.split()) == words
    assert annotate(control.text, control.values)


@pytest.mark.parametrize("text", ["living room", "the living room"], ids=["one-piece", "two"])
def test_shuffled_needs_three_pieces(text: str) -> None:
    source = Source(text, "LightsOn", (KITCHEN,))
    assert shuffled(source, np.random.default_rng(0)) is None


def test_value_removed_leaves_a_required_value_missing() -> None:
    control = value_removed(SOURCE, np.random.default_rng(0))
    assert control is not None and control.kind is ControlKind.VALUE_REMOVED
    assert control.text == "turn on the lights in the please"
    assert missing_values(control.text, control.values) == [KITCHEN]


def test_value_removed_needs_a_value() -> None:
    source = Source("turn the lights on", "LightsOn", ())
    assert value_removed(source, np.random.default_rng(0)) is None


def test_bad_controls_follow_the_kind_weights_and_repeat_with_the_seed() -> None:
    sources = [
        SOURCE,
        Source("please switch off every lamp in the living room", "LightsOff", (KITCHEN,)),
    ]
    made = [make_bad_control(sources, SLOTS, np.random.default_rng(seed)) for seed in range(600)]
    assert made[:20] == [
        make_bad_control(sources, SLOTS, np.random.default_rng(s)) for s in range(20)
    ]
    kinds = Counter(found[1].kind for found in made if found is not None)
    for kind, weight in BAD_KINDS:
        assert kinds[kind] / 600 == pytest.approx(weight, abs=0.06), kind
    assert all(found is not None and not found[1].good for found in made)


def test_no_bad_control_without_sources() -> None:
    assert make_bad_control([], SLOTS, np.random.default_rng(0)) is None


@given(seed=st.integers(0, 2**32 - 1))
def test_a_bad_control_is_never_the_query_it_was_made_from(seed: int) -> None:
    found = make_bad_control([SOURCE], SLOTS, np.random.default_rng(seed))
    assert found is not None
    index, control = found
    assert index == 0
    assert (control.intent, control.text) != (SOURCE.intent, SOURCE.text)
