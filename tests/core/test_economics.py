"""Money rules of SPEC §1: the fair-wage floor (rounded up) and the platform fee (half-up)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdset.core.economics import (
    display_amount,
    fee_for,
    require_fair_price,
    wage_floor,
    with_fee,
)
from crowdset.errors import RuleViolation, UnderPriced


@pytest.mark.parametrize(
    ("seconds", "wage", "minor", "floor"),
    [
        (45, 60, 100, 75),  # 0.75 credits exactly
        (10, 60, 100, 17),  # 16.67 → 17
        (60, 60, 1, 1),  # one minute is one credit
        (61, 60, 1, 2),  # a second over rounds up a whole credit
        (1, 60, 100, 2),  # 1.67 → 2
        (0.5, 60, 100, 1),  # fractional seconds: 0.83 → 1
        (3600, 60, 100, 6000),
        (0, 60, 100, 0),
    ],
    ids=["exact", "up", "minute", "second-over", "one-second", "half-second", "hour", "zero"],
)
def test_wage_floor(seconds: float, wage: int, minor: int, floor: int) -> None:
    assert wage_floor(seconds, wage, minor) == floor


@given(seconds=st.integers(0, 100_000), wage=st.integers(0, 10_000), decimals=st.integers(0, 4))
def test_wage_floor_is_the_exact_ceiling(seconds: int, wage: int, decimals: int) -> None:
    minor = 10**decimals
    assert wage_floor(seconds, wage, minor) == math.ceil(Fraction(seconds * wage * minor, 3600))


@pytest.mark.parametrize(
    ("amount", "share", "fee"),
    [
        (100, "0.1", 10),
        (5, "0.1", 1),  # 0.5 → 1
        (25, "0.1", 3),  # 2.5 → 3 (half-up, not half-even)
        (4, "0.1", 0),  # 0.4 → 0
        (15, "0.1", 2),
        (80, "0.05", 4),
        (20, "0.05", 1),
        (0, "0.1", 0),
        (999, "0", 0),
        (7, "1", 7),
    ],
    ids=["exact", "half", "half-up-not-even", "below-half", "1.5", "5pct", "5pct-of-20", "zero",
         "no-fee", "all"],
)  # fmt: skip
def test_fee_for(amount: int, share: str, fee: int) -> None:
    assert fee_for(amount, Decimal(share)) == fee
    assert with_fee(amount, Decimal(share)) == amount + fee


shares = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)


@given(amount=st.integers(0, 10**12), share=shares)
def test_fee_is_never_negative_nor_above_the_amount(amount: int, share: Decimal) -> None:
    fee = fee_for(amount, share)
    assert 0 <= fee <= amount
    assert abs(fee - amount * share) <= Decimal("0.5")


@given(amount=st.integers(0, 10**12), share=shares)
def test_with_fee_is_at_least_the_amount(amount: int, share: Decimal) -> None:
    assert with_fee(amount, share) >= amount


def test_require_fair_price_accepts_the_floor_itself() -> None:
    require_fair_price(
        75,
        seconds_per_task=45,
        fair_hourly_wage=60,
        minor_per_unit=100,
        field="price",
        display="credits",
    )


def test_require_fair_price_refuses_one_minor_unit_below_naming_the_floor() -> None:
    with pytest.raises(UnderPriced) as caught:
        require_fair_price(
            74,
            seconds_per_task=45,
            fair_hourly_wage=60,
            minor_per_unit=100,
            field="price_per_item",
            display="EUR",
        )
    error = caught.value
    assert isinstance(error, RuleViolation)
    assert error.code == "under_priced"
    assert error.fields == {"field": "price_per_item", "price": 74, "floor": 75}
    assert error.message == (
        "price_per_item is 0.74 EUR, below the fair-wage floor of 0.75 EUR "
        "(45 s per task at 60 EUR/hour); raise it to at least the floor"
    )


@pytest.mark.parametrize(
    ("minor", "per_unit", "text"),
    [(75, 100, "0.75"), (5, 100, "0.05"), (12345, 100, "123.45"), (7, 1, "7"), (5, 1000, "0.005")],
    ids=["cents", "leading-zero", "large", "no-decimals", "three-decimals"],
)
def test_display_amount(minor: int, per_unit: int, text: str) -> None:
    assert display_amount(minor, per_unit) == text
