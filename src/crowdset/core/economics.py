"""Money rules shared by every campaign type (SPEC §1): the fair-wage floor and the platform fee.

Integer minor units throughout; rounding is stated where it happens.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from crowdset.errors import UnderPriced


def wage_floor(seconds_per_task: float, fair_hourly_wage: int, minor_per_unit: int) -> int:
    """``seconds × fair_hourly_wage / 3600`` credits, in minor units, rounded up (in the
    worker's favour)."""
    exact = Decimal(str(seconds_per_task)) * fair_hourly_wage * minor_per_unit / 3600
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def require_fair_price(
    price: int,
    *,
    seconds_per_task: float,
    fair_hourly_wage: int,
    minor_per_unit: int,
    field: str,
    display: str,
) -> None:
    """Refuse a price below the fair-wage floor, naming the floor (``display`` formats it)."""
    floor = wage_floor(seconds_per_task, fair_hourly_wage, minor_per_unit)
    if price < floor:
        raise UnderPriced(
            f"{field} is {display_amount(price, minor_per_unit)} {display}, below the fair-wage "
            f"floor of {display_amount(floor, minor_per_unit)} {display} "
            f"({seconds_per_task:g} s per task at {fair_hourly_wage} {display}/hour); "
            f"raise it to at least the floor",
            field=field,
            price=price,
            floor=floor,
        )


def display_amount(minor: int, minor_per_unit: int) -> str:
    decimals = len(str(minor_per_unit)) - 1
    return f"{Decimal(minor) / minor_per_unit:.{decimals}f}"


def fee_for(amount: int, fee_share: Decimal) -> int:
    """The platform fee on a payment, half-up to the minor unit."""
    return int((Decimal(amount) * fee_share).to_integral_value(rounding=ROUND_HALF_UP))


def with_fee(amount: int, fee_share: Decimal) -> int:
    return amount + fee_for(amount, fee_share)
