"""Newcomers (SPEC §3, §6.6): the bounty's size and draw, pay held until a first run, and
onboarding time measured and priced — worked values for each rule of
``core.mechanism.newcomers``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from crowdset.core.mechanism import Evidence, TrackRecord
from crowdset.core.mechanism.newcomers import (
    BOUNTY_STAKE,
    STEP_SECONDS_CAP,
    Bounty,
    OnboardingPay,
    bounty_tasks,
    bounty_tasks_left,
    bounty_weight,
    first_run_successes,
    held_released,
    held_released_at_close,
    onboarding_pay,
    onboarding_reserve,
    onboarding_seconds_paid,
    step_seconds,
)


def record(*answers: tuple[bool, Evidence]) -> TrackRecord:
    found = TrackRecord()
    for correct, evidence in answers:
        found = found.observed(correct, evidence)
    return found


def test_bounty_tasks_pay_the_required_stake_at_the_expected_acceptance() -> None:
    # 44 credits of stake, 0.80 per query, 80% accepted: 4400 / 64 = 68.75 → 69 tasks
    assert bounty_tasks(Bounty(), required_stake=4400, pay_per_task=80, acceptance=0.8) == 69
    assert bounty_tasks(Bounty(tasks=7), required_stake=4400, pay_per_task=80) == 7
    # never fewer than the first run, never more than 1000
    assert bounty_tasks(Bounty(), required_stake=1, pay_per_task=80) == 3
    assert bounty_tasks(Bounty(), required_stake=10**9, pay_per_task=1) == 1000


def test_a_short_bounty_asks_a_first_run_of_all_its_tasks() -> None:
    assert Bounty(tasks=2).release_after == 2
    assert Bounty(tasks=20).release_after == 3
    with pytest.raises(ValidationError, match="release_after 5 is above tasks 2"):
        Bounty(tasks=2, release_after=5)


@pytest.mark.parametrize(
    ("tasks", "staked", "used", "left"),
    [
        (None, 0, 0, 0),  # no bounty
        (10, 0, 0, 10),
        (10, 0, 4, 6),
        (10, 0, 12, 0),
        (10, 500, 0, 10),  # short of the 1000 required: still on the bounty
        (10, 1000, 0, 0),  # staked enough: ordinary offers instead
    ],
    ids=["no-bounty", "fresh", "some-used", "used-up", "partly-staked", "staked"],
)
def test_bounty_tasks_left(tasks: int | None, staked: int, used: int, left: int) -> None:
    assert bounty_tasks_left(tasks, staked=staked, required=1000, used=used) == left


def test_bounty_weight_is_one_credit_or_the_stake_if_more() -> None:
    assert bounty_weight(0.0) == BOUNTY_STAKE == 1.0
    assert bounty_weight(4.5) == 4.5


def test_first_run_counts_controls_right_and_decisions_agreed() -> None:
    found = record(
        (True, Evidence.CONTROL),
        (False, Evidence.CONTROL),
        (True, Evidence.DECISION),
        (True, Evidence.DECISION),
        (False, Evidence.DECISION),
    )
    assert first_run_successes(found) == 3


def test_held_pay_waits_for_the_first_run_and_the_bar() -> None:
    honest = record(*[(True, Evidence.CONTROL)] * 8)  # lower bound ≈ 0.74 > 0.7
    assert held_released(honest, bar=0.7, confidence=0.95, release_after=0)
    assert held_released(honest, bar=0.7, confidence=0.95, release_after=8)
    assert not held_released(honest, bar=0.7, confidence=0.95, release_after=9)
    # a first run on decisions alone is not the release rule: no control yet
    decided = record(*[(True, Evidence.DECISION)] * 10)
    assert not held_released(decided, bar=0.7, confidence=0.95, release_after=3)


def test_held_pay_at_close_needs_the_first_run_and_a_mean_at_the_bar() -> None:
    honest_writer = record(*[(True, Evidence.DECISION)] * 5)  # mean (2 + 2.5) / 5.5 = 0.82
    assert held_released_at_close(honest_writer, bar=0.7, release_after=3)
    junk_writer = record(*[(False, Evidence.DECISION)] * 5)  # nothing accepted
    assert not held_released_at_close(junk_writer, bar=0.7, release_after=3)
    random_voter = record(*[(True, Evidence.DECISION), (False, Evidence.DECISION)] * 5)
    assert first_run_successes(random_voter) == 5
    assert not held_released_at_close(random_voter, bar=0.8, release_after=3)  # mean 0.56
    assert held_released_at_close(junk_writer, bar=0.7, release_after=0)  # nothing held


@pytest.mark.parametrize(
    ("reported", "since", "seconds"),
    [(42.0, 600.0, 42.0), (None, 30.0, 30.0), (None, None, 8.0), (99_999.0, None, 1800.0)],
    ids=["page-timer", "server-gap", "modelled", "capped"],
)
def test_step_seconds(reported: float | None, since: float | None, seconds: float) -> None:
    assert step_seconds(reported, since, 8.0) == seconds
    assert STEP_SECONDS_CAP == 1800.0


def test_onboarding_paid_at_the_fair_wage_up_to_its_cap() -> None:
    settings = OnboardingPay(pay=True)
    # 5 questions at 10 s, twice: 100 s at most
    assert onboarding_seconds_paid(settings, questions=5, seconds_per_question=10) == 100
    assert (
        onboarding_seconds_paid(
            OnboardingPay(pay=True, seconds=240), questions=5, seconds_per_question=10
        )
        == 240
    )
    # 60 credits an hour = 1 credit a minute; 100 minor units per credit
    assert onboarding_pay(90, paid_at_most=100, fair_hourly_wage=60, minor_per_unit=100) == 150
    assert onboarding_pay(500, paid_at_most=100, fair_hourly_wage=60, minor_per_unit=100) == 167
    assert onboarding_pay(0, paid_at_most=100, fair_hourly_wage=60, minor_per_unit=100) == 0


def test_onboarding_reserve_holds_every_paid_worker_at_their_most() -> None:
    settings = OnboardingPay(pay=True, workers=10)
    work, fee = onboarding_reserve(
        settings,
        paid_at_most=120,
        fair_hourly_wage=60,
        minor_per_unit=100,
        fee_share=Decimal("0.1"),
    )
    assert (work, fee) == (10 * 200, 10 * 20)
    assert onboarding_reserve(
        OnboardingPay(),
        paid_at_most=120,
        fair_hourly_wage=60,
        minor_per_unit=100,
        fee_share=Decimal("0.1"),
    ) == (0, 0)
