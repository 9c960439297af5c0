"""Workload, pool, reserve and budget of a review (SPEC §4, §6.5): worked values, rounding,
errors and properties."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdset.core.review_budget import (
    days_to_finish,
    estimate_review,
    price_per_minute_at,
    reserve_for,
    review_pool,
    review_workload,
)
from crowdset.errors import InvalidInput


@pytest.mark.parametrize(
    ("pairs", "reviewers", "minutes", "c", "workload"),
    [
        (1000, 3, 0.5, 0.05, Fraction(30000, 19)),  # 1,500 rating-minutes / 0.95
        (1000, 3, 0.5, 0, Fraction(1500)),  # no challenge pairs
        (19, 1, 1, Decimal("0.05"), Fraction(20)),  # 19 real pairs + 1 challenge
        (10, 5, Fraction(1, 3), 0.5, Fraction(100, 3)),  # half the ratings are challenges
        (0, 3, 0.5, 0.05, Fraction(0)),
    ],
    ids=["spec-default", "no-challenge", "one-in-twenty", "half-challenge", "no-pairs"],
)
def test_review_workload(
    pairs: int, reviewers: int, minutes: float, c: float, workload: Fraction
) -> None:
    assert review_workload(pairs, reviewers, minutes, c) == workload


def test_review_workload_default_challenge_share_is_five_percent() -> None:
    assert review_workload(1000, 3, 0.5) == Fraction(30000, 19)


@pytest.mark.parametrize(
    ("workload", "price", "pool"),
    [
        (Fraction(1500), 100, 150_000),  # 1,500 min at 1 credit/min = 1,500.00 credits
        (Fraction(30000, 19), 100, 157_895),  # 157,894.7… → up
        (Fraction(1, 1000), 100, 1),  # any work costs at least one minor unit
        (Fraction(60), Fraction(5000, 60), 5000),  # an hour at 50 credits/h
        (Fraction(0), 100, 0),
    ],
    ids=["exact", "up", "tiny", "fractional-price", "zero"],
)
def test_review_pool(workload: Fraction, price: Fraction, pool: int) -> None:
    assert review_pool(workload, price) == pool


@pytest.mark.parametrize(
    ("pool", "share", "reserve"),
    [
        (150_000, Decimal("0.05"), 7894),  # 7,894.7… → down; 5% of the budget 157,894 at most
        (190, Decimal("0.05"), 10),  # exact: 10 is 5% of 200
        (99, 0, 0),
        (100, Decimal("0.5"), 100),  # half the budget
    ],
    ids=["down", "exact", "none", "half"],
)
def test_reserve_for(pool: int, share: Decimal, reserve: int) -> None:
    """The reserve comes on top of the pool and is at most ``reserve_share`` of the budget."""
    assert reserve_for(pool, share) == reserve


def test_days_to_finish() -> None:
    # 2,400 minutes of work, 10 reviewers × 2 h/day = 1,200 minutes a day.
    assert days_to_finish(Fraction(2400), 10, 2) == 2
    assert days_to_finish(Fraction(2400), 1, 0.5) == 80


def test_price_per_minute_at_fair_wage() -> None:
    assert price_per_minute_at(60, 100) == 100  # SPEC §1: 1 credit pays a minute at 60/h
    assert price_per_minute_at(50, 100) == Fraction(250, 3)


def test_estimate_review_worked_example() -> None:
    estimate = estimate_review(
        pairs=1000,
        reviewers=3,
        minutes_per_pair=Fraction(1, 2),
        price_per_minute=100,
        reserve_share=Decimal("0.05"),
        crowd=10,
        hours_per_day=2,
    )
    assert estimate.workload_minutes == Fraction(30000, 19)
    assert estimate.workload_hours == Fraction(500, 19)
    assert estimate.ratings == 3158  # 3,000 ratings + 158 challenge ratings
    # the pool pays W at 1 credit a minute (157,894.7… → up); the reserve comes on top
    assert (estimate.pool, estimate.reserve, estimate.budget) == (157_895, 8310, 166_205)
    assert estimate.days == Fraction(25, 19)
    assert estimate.challenge_share == Fraction(1, 20)


def test_probation_minutes_are_priced_into_the_reserve() -> None:
    """Extra challenge ratings of reviewers on probation (SPEC §6.1) come on top of the
    reserve at the price: 70 ratings × ½ minute × 100 = 3,500."""
    common = {
        "pairs": 1000,
        "reviewers": 3,
        "minutes_per_pair": Fraction(1, 2),
        "price_per_minute": 100,
        "reserve_share": Decimal("0.05"),
        "crowd": 10,
        "hours_per_day": 2,
    }
    plain = estimate_review(**common)  # type: ignore[arg-type]
    with_probation = estimate_review(**common, probation_minutes=Fraction(35))  # type: ignore[arg-type]
    assert with_probation.pool == plain.pool
    assert with_probation.reserve == plain.reserve + 3500
    assert with_probation.budget == with_probation.pool + with_probation.reserve
    with pytest.raises(InvalidInput, match="probation_minutes"):
        estimate_review(**common, probation_minutes=-1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"reviewers": 0}, "reviewers", "reviewers must be a whole number ≥ 1"),
        ({"pairs": -1}, "pairs", "pairs must be a whole number ≥ 0, got -1"),
        ({"challenge_share": 1}, "challenge_share", "e.g. 0.05 for 5% challenge pairs, got 1"),
        ({"challenge_share": -0.1}, "challenge_share", "got -0.1"),
        ({"challenge_share": float("nan")}, "challenge_share", "finite number"),
        ({"minutes_per_pair": 0}, "minutes_per_pair", "minutes_per_pair must be > 0"),
        ({"price_per_minute": 0}, "price_per_minute", "price_per_minute must be > 0"),
        ({"reserve_share": 1}, "reserve_share", "reserve_share must be in [0, 1)"),
        ({"crowd": 0}, "crowd", "crowd must be a whole number ≥ 1"),
        ({"hours_per_day": 25}, "hours_per_day", "hours_per_day must be in (0, 24], got 25"),
        ({"hours_per_day": 0}, "hours_per_day", "hours_per_day must be in (0, 24]"),
    ],
    ids=["reviewers", "pairs", "c-one", "c-negative", "c-nan", "minutes", "price", "reserve",
         "crowd", "hours-over", "hours-zero"],
)  # fmt: skip
def test_estimate_review_names_the_bad_parameter(
    kwargs: dict[str, object], field: str, message: str
) -> None:
    arguments: dict[str, object] = {
        "pairs": 10,
        "reviewers": 3,
        "minutes_per_pair": 0.5,
        "price_per_minute": 100,
        "reserve_share": 0.05,
        "crowd": 2,
        "hours_per_day": 2,
        **kwargs,
    }
    with pytest.raises(InvalidInput, match=re.escape(message)) as info:
        estimate_review(**arguments)  # type: ignore[arg-type]
    assert info.value.fields["field"] == field


pairs_st = st.integers(0, 10**7)
reviewers_st = st.integers(1, 9)
minutes_st = st.fractions(Fraction(1, 60), 30)
share_st = st.fractions(0, Fraction(99, 100))
price_st = st.fractions(Fraction(1, 100), 10_000)


@given(pairs_st, reviewers_st, minutes_st, share_st, price_st, share_st)
def test_pool_plus_reserve_is_the_budget(
    pairs: int, reviewers: int, minutes: Fraction, c: Fraction, price: Fraction, reserve: Fraction
) -> None:
    """The pool alone pays the planned work at the price (SPEC §6.5); the reserve is on top."""
    estimate = estimate_review(
        pairs=pairs,
        reviewers=reviewers,
        minutes_per_pair=minutes,
        challenge_share=c,
        price_per_minute=price,
        reserve_share=reserve,
        crowd=1,
        hours_per_day=8,
    )
    assert estimate.pool + estimate.reserve == estimate.budget
    assert 0 <= estimate.reserve <= estimate.budget * reserve
    assert estimate.pool >= estimate.workload_minutes * price  # never rounded down
    assert estimate.pool - estimate.workload_minutes * price < 1


@given(pairs_st, reviewers_st, minutes_st, share_st, share_st)
def test_workload_grows_with_reviewers_and_challenge_share(
    pairs: int, reviewers: int, minutes: Fraction, c1: Fraction, c2: Fraction
) -> None:
    low, high = sorted((c1, c2))
    assert review_workload(pairs, reviewers + 1, minutes, low) >= review_workload(
        pairs, reviewers, minutes, low
    )
    assert review_workload(pairs, reviewers, minutes, high) >= review_workload(
        pairs, reviewers, minutes, low
    )
    if pairs and high > low:
        assert review_workload(pairs, reviewers, minutes, high) > review_workload(
            pairs, reviewers, minutes, low
        )
        assert review_workload(pairs, reviewers + 1, minutes, low) > review_workload(
            pairs, reviewers, minutes, low
        )


@given(st.fractions(1, 10**6), st.integers(1, 10_000), st.fractions(Fraction(1, 4), 24))
def test_time_shrinks_with_crowd_size(workload: Fraction, crowd: int, hours: Fraction) -> None:
    assert days_to_finish(workload, crowd + 1, hours) < days_to_finish(workload, crowd, hours)
    assert days_to_finish(workload, 2 * crowd, hours) == days_to_finish(workload, crowd, hours) / 2
