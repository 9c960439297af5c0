"""Task planning and prices of a generation campaign (SPEC §1–§2): even coverage, the fair-wage
floor, the escrow estimate."""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdset.core.economics import display_amount, fee_for
from crowdset.core.generation.model import SlotValue
from crowdset.core.generation.plan import (
    Coverage,
    Pricing,
    control_votes_for,
    estimate,
    next_task,
    pricing,
    required_stake,
    seed_texts,
    task_prompt,
    votes_per_submission,
)
from crowdset.core.generation.spec import CampaignSpec, IntentSpec, load_spec, parse_spec
from crowdset.errors import SpecInvalid, UnderPriced

EXAMPLE = Path(__file__).parents[3] / "examples" / "smart-lights.yaml"


def make_intent(
    slots: dict[str, list[str]],
    *,
    combinations: list[list[str]] | None = None,
    description: str = "Switch the lights on",
) -> IntentSpec:
    data: dict[str, Any] = {
        "name": "TurnOn",
        "description": description,
        "target": 10,
        "slots": [{"name": name, "values": values} for name, values in slots.items()],
    }
    if combinations is not None:
        data["combinations"] = combinations
    return IntentSpec.model_validate(data)


def make_spec(**overrides: Any) -> CampaignSpec:
    data: dict[str, Any] = {
        "name": "Lights",
        "language": "en",
        "intents": [{"name": "TurnOn", "description": "Switch the lights on", "target": 10}],
        "prices": {"per_query": "0.80", "per_vote": "0.20"},
    }
    data.update(overrides)
    return parse_spec(data)


def plan(intent: IntentSpec, tasks: int, max_slots: int, seed: int) -> list[tuple[SlotValue, ...]]:
    """Ask for ``tasks`` tasks, feeding each one back into the coverage like the service does."""
    rng = np.random.default_rng(seed)
    asked: list[tuple[SlotValue, ...]] = []
    for _ in range(tasks):
        asked.append(next_task(intent, Coverage.of(asked), max_slots, rng))
    return asked


def spread(counts: Counter[Any], keys: list[Any]) -> int:
    """Largest minus smallest count over ``keys`` (missing keys count 0)."""
    values = [counts[key] for key in keys]
    return max(values) - min(values)


# --- even coverage -----------------------------------------------------------------------------

slot_sets = st.dictionaries(
    keys=st.sampled_from(["room", "brightness", "colour", "time"]),
    values=st.lists(
        st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=5, unique=True
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(
    slots=slot_sets,
    max_slots=st.integers(0, 3),
    tasks=st.integers(1, 80),
    seed=st.integers(0, 2**32 - 1),
)
def test_next_task_covers_combinations_and_values_evenly(
    slots: dict[str, list[str]], max_slots: int, tasks: int, seed: int
) -> None:
    intent = make_intent(slots)
    asked = plan(intent, tasks, max_slots, seed)
    coverage = Coverage.of(asked)
    combinations = intent.slot_combinations(max_slots)

    assert set(coverage.combinations) <= set(combinations)
    assert spread(Counter(coverage.combinations), combinations) <= 1
    for slot in intent.slots:
        values = [(slot.name, value) for value in slot.values]
        assert spread(Counter(coverage.values), values) <= 1, slot.name
    for task in asked:
        assert [v.slot for v in task] == sorted(v.slot for v in task)
        for value in task:
            assert value.value in intent.slot(value.slot).values
            assert value.entity == intent.slot(value.slot).entity_name


def test_every_combination_is_asked_once_before_any_is_asked_twice() -> None:
    intent = make_intent({"room": ["kitchen", "hall"], "level": ["50%", "80%"]})
    combinations = intent.slot_combinations(2)
    asked = plan(intent, len(combinations), max_slots=2, seed=7)
    assert sorted(tuple(v.slot for v in task) for task in asked) == sorted(combinations)


def test_the_zero_slot_combination_is_included_by_default() -> None:
    intent = make_intent({"room": ["kitchen", "hall"]})
    assert () in intent.slot_combinations(1)
    asked = plan(intent, 4, max_slots=1, seed=1)
    assert sum(1 for task in asked if task == ()) == 2


def test_max_slots_zero_asks_for_no_values() -> None:
    intent = make_intent({"room": ["kitchen", "hall"]})
    assert plan(intent, 5, max_slots=0, seed=3) == [()] * 5


def test_explicit_combinations_are_respected() -> None:
    intent = make_intent(
        {"room": ["kitchen", "hall"], "level": ["50%", "80%", "100%"], "colour": ["red"]},
        combinations=[["room", "level"], ["colour"]],
    )
    asked = plan(intent, 30, max_slots=1, seed=11)  # max_slots does not cut explicit ones
    combos = Counter(tuple(v.slot for v in task) for task in asked)
    assert combos == {("level", "room"): 15, ("colour",): 15}
    levels = Counter(v.value for task in asked for v in task if v.slot == "level")
    assert levels == {"50%": 5, "80%": 5, "100%": 5}


def test_the_least_used_value_is_chosen_given_prior_coverage() -> None:
    intent = make_intent({"room": ["kitchen", "hall", "attic"]}, combinations=[["room"]])
    coverage = Coverage(
        combinations={("room",): 5},
        values={("room", "kitchen"): 2, ("room", "hall"): 3, ("room", "attic"): 0},
    )
    task = next_task(intent, coverage, 2, np.random.default_rng(0))
    assert task == (SlotValue("room", "room", "attic"),)


def test_ties_are_broken_at_random_but_reproducibly_with_the_same_seed() -> None:
    intent = make_intent({"room": [f"room {i}" for i in range(10)]}, combinations=[["room"]])
    empty = Coverage.of([])
    firsts = {
        next_task(intent, empty, 1, np.random.default_rng(seed))[0].value for seed in range(40)
    }
    assert len(firsts) > 1
    assert plan(intent, 12, 1, seed=5) == plan(intent, 12, 1, seed=5)


def test_coverage_counts_combinations_sorted_and_values_per_slot() -> None:
    kitchen = SlotValue("room", "room", "kitchen")
    half = SlotValue("level", "percentage", "50%")
    coverage = Coverage.of([(kitchen, half), (half, kitchen), (kitchen,), ()])
    assert coverage.combinations == {("level", "room"): 2, ("room",): 1, (): 1}
    assert coverage.values == {("room", "kitchen"): 3, ("level", "50%"): 2}


# --- prompts and seeds -------------------------------------------------------------------------


def test_task_prompt_names_the_description_and_the_values() -> None:
    intent = make_intent({})
    values = [SlotValue("room", "room", "living room"), SlotValue("level", "pct", "50%")]
    assert task_prompt(intent, values) == (
        "Formulate: Switch the lights on. Include: “living room”, “50%”."
    )


def test_task_prompt_without_values_has_no_include() -> None:
    assert task_prompt(make_intent({}), []) == "Formulate: Switch the lights on."


def test_seed_texts_drop_the_inline_annotation() -> None:
    spec = load_spec(EXAMPLE.read_text(encoding="utf-8"))
    assert seed_texts(spec.intent("SwitchLightOn"))[:2] == [
        "turn on the lights in the living room",
        "switch the kitchen light on please",
    ]


# --- pricing and the fair-wage floor -----------------------------------------------------------


def test_the_example_is_priced_above_the_floor() -> None:
    spec = load_spec(EXAMPLE.read_text(encoding="utf-8"))
    prices = pricing(spec, fair_hourly_wage=60, minor_per_unit=100, fee_share=Decimal("0.1"))
    assert prices == Pricing(per_query=80, per_vote=20, validators=3, fee_share=Decimal("0.1"))


def test_an_under_priced_query_is_refused_with_the_floor() -> None:
    spec = make_spec(prices={"per_query": "0.70", "per_vote": "0.20"}, seconds_per_query=45)
    with pytest.raises(UnderPriced) as caught:
        pricing(spec, fair_hourly_wage=60, minor_per_unit=100, fee_share=Decimal("0.1"))
    error = caught.value
    assert error.fields == {"field": "prices.per_query", "price": 70, "floor": 75}
    assert error.message == (
        "prices.per_query is 0.70 credits, below the fair-wage floor of 0.75 credits "
        "(45 s per task at 60 credits/hour); raise it to at least the floor"
    )


def test_an_under_priced_vote_is_refused_rounding_the_floor_up() -> None:
    spec = make_spec(prices={"per_query": "1", "per_vote": "0.16"}, seconds_per_vote=10)
    with pytest.raises(UnderPriced) as caught:
        pricing(spec, fair_hourly_wage=60, minor_per_unit=100, fee_share=Decimal(0))
    assert caught.value.fields["field"] == "prices.per_vote"
    assert caught.value.fields["floor"] == 17  # 16.67 rounded up in the worker's favour
    assert "floor of 0.17 credits" in caught.value.message


@settings(max_examples=80, deadline=None)
@given(
    seconds=st.integers(1, 3600),
    wage=st.integers(1, 600),
    decimals=st.integers(0, 3),
)
def test_under_priced_names_the_exact_floor(seconds: int, wage: int, decimals: int) -> None:
    minor = 10**decimals
    floor = math.ceil(Fraction(seconds * wage * minor, 3600))
    at_floor = str(Decimal(floor).scaleb(-decimals))
    below = str(Decimal(floor - 1).scaleb(-decimals))
    common: dict[str, Any] = {"seconds_per_query": seconds, "seconds_per_vote": seconds}

    fair = make_spec(prices={"per_query": at_floor, "per_vote": at_floor}, **common)
    prices = pricing(fair, fair_hourly_wage=wage, minor_per_unit=minor, fee_share=Decimal(0))
    assert (prices.per_query, prices.per_vote) == (floor, floor)

    cheap = make_spec(prices={"per_query": below, "per_vote": at_floor}, **common)
    with pytest.raises(UnderPriced) as caught:
        pricing(cheap, fair_hourly_wage=wage, minor_per_unit=minor, fee_share=Decimal(0))
    assert caught.value.fields["floor"] == floor
    assert caught.value.fields["field"] == "prices.per_query"
    assert f"floor of {display_amount(floor, minor)} credits" in caught.value.message


def test_a_price_finer_than_the_minor_unit_is_a_spec_error() -> None:
    spec = make_spec(prices={"per_query": "0.805", "per_vote": "0.20"})
    with pytest.raises(SpecInvalid) as caught:
        pricing(spec, fair_hourly_wage=60, minor_per_unit=100, fee_share=Decimal(0))
    assert caught.value.fields["field"] == "prices.per_query"
    assert "more than 2 decimals" in caught.value.message


def test_query_exposure_is_the_price_every_vote_and_their_fees() -> None:
    prices = Pricing(per_query=80, per_vote=20, validators=3, fee_share=Decimal("0.05"))
    # 80 + 3·20 of work; fees: 4 on the query, 1 on each vote
    assert prices.query_exposure == 80 + 60 + 4 + 3 * 1
    assert prices.vote_exposure(2) == 2 * (20 + 1)
    assert prices.vote_exposure(0) == 0


def test_query_exposure_rounds_each_fee_separately() -> None:
    prices = Pricing(per_query=15, per_vote=5, validators=5, fee_share=Decimal("0.1"))
    # fee_for(15) = 1.5 → 2; fee_for(5) = 0.5 → 1, five times (not 2.5 → 3 once)
    assert prices.query_exposure == 15 + 25 + 2 + 5
    assert prices.query_exposure == (
        15 + 5 * 5 + fee_for(15, prices.fee_share) + 5 * fee_for(5, prices.fee_share)
    )


# --- the escrow estimate -----------------------------------------------------------------------


def test_estimate_of_the_example() -> None:
    spec = load_spec(EXAMPLE.read_text(encoding="utf-8"))
    prices = pricing(spec, fair_hourly_wage=60, minor_per_unit=100, fee_share=Decimal("0.1"))
    result = estimate(spec, prices)
    assert result.queries == 120
    assert result.expected_submissions == 3 * 50  # ceil(40 / 0.8) per intent
    # 3 votes each, up to 7 for the 20% refused: 3.8 per submission; 10% of offers controls
    assert result.votes == 570 + 64  # ceil(570 × 0.1 / 0.9) = 64 control votes
    assert result.control_votes == 64
    assert result.work == 120 * 80
    assert result.validation == 634 * 20
    assert result.fee == 120 * 8 + 634 * 2
    assert result.total == result.work + result.validation + result.fee == 24_508
    assert result.worker_minutes == pytest.approx((150 * 45 + 634 * 10) / 60)


def test_estimate_rounds_submissions_up_per_intent() -> None:
    intents = [{"name": name, "description": "d", "target": 40} for name in ("One", "Two", "Three")]
    spec = make_spec(
        intents=intents,
        expected_acceptance=0.7,
        validators_per_query=5,
        mechanism={"max_votes": 5, "control_share": 0},
    )
    prices = Pricing(per_query=100, per_vote=30, validators=5, fee_share=Decimal("0.05"))
    result = estimate(spec, prices)
    per_intent = math.ceil(40 / 0.7)  # 58, so 174 — not ceil(120 / 0.7) = 172
    assert result.expected_submissions == 3 * per_intent == 174
    assert result.votes == 174 * 5
    assert result.fee == 120 * fee_for(100, Decimal("0.05")) + 870 * fee_for(30, Decimal("0.05"))
    assert result.total == 120 * 100 + 870 * 30 + result.fee


def test_estimate_with_no_fee_is_work_plus_validation() -> None:
    spec = make_spec(expected_acceptance=1.0, mechanism={"control_share": 0})
    prices = Pricing(per_query=80, per_vote=20, validators=3, fee_share=Decimal(0))
    result = estimate(spec, prices)
    assert (result.expected_submissions, result.votes, result.fee) == (10, 30, 0)
    assert result.total == 10 * 80 + 30 * 20


@pytest.mark.parametrize(
    ("acceptance", "max_votes", "expected"),
    [(1.0, 7, 3), (0.8, 7, Fraction(19, 5)), (0.5, 7, 5), (0.5, 3, 3)],
    ids=["all-pass", "default", "half", "no-extra-votes"],
)
def test_votes_per_submission(acceptance: float, max_votes: int, expected: Fraction) -> None:
    spec = make_spec(expected_acceptance=acceptance, mechanism={"max_votes": max_votes})
    assert votes_per_submission(spec) == expected


@pytest.mark.parametrize(
    ("real", "share", "expected"),
    [(90, 0.1, 10), (91, 0.1, 11), (100, 0.0, 0), (10, 0.5, 10)],
    ids=["exact", "rounds-up", "none", "half"],
)
def test_control_votes_are_their_share_of_all_vote_offers(
    real: int, share: float, expected: int
) -> None:
    assert control_votes_for(real, share) == expected


def test_required_stake_covers_both_tracks_fines_before_revocation() -> None:
    spec = make_spec()
    prices = Pricing(per_query=80, per_vote=20, validators=3, fee_share=Decimal("0.1"))
    # vote: 10 controls at 10% = 100 votes × 20 × 1.5 = 3,000
    # write: 10 queries: max(10 × 80 × 1.5 = 1,200, 10 × 7 votes × 20 = 1,400) = 1,400
    assert required_stake(spec, prices) == 3_000 + 1_400


def test_required_stake_without_controls_is_the_write_bond() -> None:
    spec = make_spec(mechanism={"control_share": 0, "fine_multiplier": "2"})
    prices = Pricing(per_query=80, per_vote=20, validators=3, fee_share=Decimal(0))
    assert required_stake(spec, prices) == max(10 * 80 * 2, 10 * 7 * 20)
