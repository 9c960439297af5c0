"""Workload and budget of a review campaign over sentence pairs (SPEC §4, payout from SPEC §1,
reserve on top of the pool from SPEC §6.5).

``W = R · P_R · W_n / (1 − c)`` minutes of work: ``R`` reviewers rate each of the ``P_R`` pairs,
a rating takes ``W_n`` minutes, and a share ``c`` of all ratings are challenge pairs with known
answers. The **pool** paid out at close is ``W`` × the price per minute, so at the default price
(the fair wage) the planned work is paid at least the fair wage. The **reserve** (revisions, and
re-ratings beyond the plan) is priced **on top** of the pool: ``reserve = pool · s / (1 − s)``
for ``s = reserve_share``, so that it is ``s`` of the **budget** ``pool + reserve`` — the seed
carved it out of a budget priced at the fair wage, which paid honest reviewers 56.9 credits/h
instead of 60 (issue 14). The escrow funded at launch covers the whole budget (plus the fee).

Arithmetic is exact (``Fraction``); money comes out in integer minor units. The pool is rounded
**up** to the minor unit (in the workers' favour), the reserve **down** (so it never exceeds
``reserve_share`` of the budget), and ``budget = pool + reserve`` holds exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from crowdset.errors import InvalidInput, UnderPriced

Number = int | float | Decimal | Fraction

DEFAULT_CHALLENGE_SHARE = Fraction(1, 20)
MINUTES_PER_HOUR = 60


def _exact(value: Number, name: str) -> Fraction:
    """``value`` as an exact fraction; a float is read as its shortest decimal (0.05 → 1/20)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{name} must be a finite number, got {value!r}", field=name)
        return Fraction(str(value))
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidInput(f"{name} must be a finite number, got {value}", field=name)
    return Fraction(value)


def _show(value: Fraction) -> str:
    return f"{float(value):g}"


def _check(ok: bool, name: str, value: Fraction | int, rule: str) -> None:
    if not ok:
        shown = value if isinstance(value, int) else _show(value)
        raise InvalidInput(f"{name} must be {rule}, got {shown}", field=name, value=str(value))


def review_workload(
    pairs: int,
    reviewers: int,
    minutes_per_pair: Number,
    challenge_share: Number = DEFAULT_CHALLENGE_SHARE,
) -> Fraction:
    """``W = R · P_R · W_n / (1 − c)`` minutes (SPEC §4), exact.

    ``pairs`` is ``P_R``, ``reviewers`` is ``R``, ``minutes_per_pair`` is ``W_n`` and
    ``challenge_share`` is ``c``: ``review_workload(1000, 3, 0.5, 0.05) == 1578 + 18/19``.
    """
    _check(pairs >= 0, "pairs", pairs, "a whole number ≥ 0")
    _check(reviewers >= 1, "reviewers", reviewers, "a whole number ≥ 1 (R ratings per pair)")
    w_n = _exact(minutes_per_pair, "minutes_per_pair")
    _check(w_n > 0, "minutes_per_pair", w_n, "> 0 (the time one rating takes)")
    c = _exact(challenge_share, "challenge_share")
    _check(0 <= c < 1, "challenge_share", c, "in [0, 1), e.g. 0.05 for 5% challenge pairs")
    return reviewers * pairs * w_n / (1 - c)


def review_pool(workload_minutes: Fraction, price_per_minute: Number) -> int:
    """The pool: ``W`` minutes × price per minute (in minor units), rounded **up** to the minor
    unit, so the planned work is never paid below the price."""
    price = _exact(price_per_minute, "price_per_minute")
    _check(price > 0, "price_per_minute", price, "> 0 (minor units per minute of work)")
    return math.ceil(workload_minutes * price)


def reserve_for(pool: int, reserve_share: Number) -> int:
    """The reserve on top of ``pool``: ``pool · s / (1 − s)`` for ``s = reserve_share``,
    rounded **down**, so it is at most ``s`` of the budget ``pool + reserve`` (SPEC §6.5):
    ``reserve_for(150_000, 0.05) == 7894`` (7,894.7…)."""
    share = _exact(reserve_share, "reserve_share")
    _check(0 <= share < 1, "reserve_share", share, "in [0, 1)")
    return math.floor(pool * share / (1 - share))


def days_to_finish(workload_minutes: Fraction, crowd: int, hours_per_day: Number) -> Fraction:
    """``W / (N · H · 60)`` days for ``crowd`` = N reviewers working ``hours_per_day`` = H each."""
    _check(crowd >= 1, "crowd", crowd, "a whole number ≥ 1 (reviewers working in parallel)")
    hours = _exact(hours_per_day, "hours_per_day")
    _check(0 < hours <= 24, "hours_per_day", hours, "in (0, 24]")
    return workload_minutes / (crowd * hours * MINUTES_PER_HOUR)


@dataclass(frozen=True)
class ReviewEstimate:
    """Everything ``crowdset corpus estimate`` reports; money in minor units."""

    pairs: int
    reviewers: int
    minutes_per_pair: Fraction
    challenge_share: Fraction
    price_per_minute: Fraction
    """Minor units per minute of work (may be fractional: 50 credits/h = 5000/60 per minute)."""
    workload_minutes: Fraction
    budget: int
    """``pool + reserve``: what the review costs before the fee."""
    reserve: int
    """On top of the pool: pays revisions and re-ratings beyond the plan; the rest is refunded."""
    pool: int
    """``W`` × the price per minute: paid out at close by weighted workload."""
    crowd: int
    hours_per_day: Fraction
    days: Fraction

    @property
    def workload_hours(self) -> Fraction:
        return self.workload_minutes / MINUTES_PER_HOUR

    @property
    def ratings(self) -> int:
        """Ratings to collect, challenge ratings included: ``⌈R · P_R / (1 − c)⌉``."""
        return math.ceil(self.reviewers * self.pairs / (1 - self.challenge_share))


def price_per_minute_at(fair_hourly_wage: int, minor_per_unit: int) -> Fraction:
    """The default price: ``fair_hourly_wage / 60`` credits per minute, in minor units."""
    return Fraction(fair_hourly_wage * minor_per_unit, MINUTES_PER_HOUR)


def require_fair_price_per_minute(
    price_per_minute: Number, fair_hourly_wage: int, minor_per_unit: int
) -> None:
    """Refuse a review priced below the fair-wage floor (SPEC §1), naming the floor."""
    price = _exact(price_per_minute, "price_per_minute")
    floor = price_per_minute_at(fair_hourly_wage, minor_per_unit)
    if price < floor:
        raise UnderPriced(
            f"price per minute is {_show(price / minor_per_unit)} credits, below the fair-wage "
            f"floor of {_show(floor / minor_per_unit)} credits per minute ({fair_hourly_wage} "
            "credits/hour); raise it to at least the floor",
            field="price_per_minute",
            price=_show(price),
            floor=_show(floor),
        )


def estimate_review(
    *,
    pairs: int,
    reviewers: int,
    minutes_per_pair: Number,
    price_per_minute: Number,
    reserve_share: Number,
    crowd: int,
    hours_per_day: Number,
    challenge_share: Number = DEFAULT_CHALLENGE_SHARE,
    probation_minutes: Number = 0,
) -> ReviewEstimate:
    """Workload, pool, reserve, budget and days to finish of a review, before anything is spent:
    the pool pays ``W`` at ``price_per_minute``; the reserve comes on top, and with it
    ``probation_minutes`` at the price: the extra challenge pairs of reviewers on probation
    (SPEC §6.1), paid from the reserve at close like any rating beyond the plan."""
    workload = review_workload(pairs, reviewers, minutes_per_pair, challenge_share)
    pool = review_pool(workload, price_per_minute)
    probation = _exact(probation_minutes, "probation_minutes")
    _check(probation >= 0, "probation_minutes", probation, "≥ 0")
    reserve = reserve_for(pool, reserve_share) + math.ceil(
        probation * _exact(price_per_minute, "price_per_minute")
    )
    return ReviewEstimate(
        pairs=pairs,
        reviewers=reviewers,
        minutes_per_pair=_exact(minutes_per_pair, "minutes_per_pair"),
        challenge_share=_exact(challenge_share, "challenge_share"),
        price_per_minute=_exact(price_per_minute, "price_per_minute"),
        workload_minutes=workload,
        budget=pool + reserve,
        reserve=reserve,
        pool=pool,
        crowd=crowd,
        hours_per_day=_exact(hours_per_day, "hours_per_day"),
        days=days_to_finish(workload, crowd, hours_per_day),
    )
