"""Review packages, their deposits and the pool payout (SPEC §1 "Deposits", "pool"; SPEC §4).

- A package's **nominal reward** is its share of the pool: ``pool × size / ratings`` (ratings =
  every rating the review plans, challenges included), rounded down. Taking it holds a
  **deposit** of ``deposit_factor`` (1.5) × that reward.
- A package's **error** is the RMS distance, in stars, between its ratings and their
  references: the known answer of a challenge pair, or the mean of the other reviewers'
  ratings of the pair. Above ``max_package_error`` (1.5) the deposit is forfeited to fines, the
  reward withheld and the package's pairs go back for review.
- At close the **pool** ``budget − reserve`` less the withheld rewards is split over the
  reviewers of passed packages by weighted workload ``a_n · W_n`` (``W_n`` their passed
  ratings × minutes per pair), rounded down; what rounding leaves is withheld too, so
  ``paid + withheld + reserve == budget`` to the minor unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

from crowdset.errors import InvalidInput


def nominal_reward(pool: int, size: int, planned_ratings: int) -> int:
    if planned_ratings <= 0:
        raise InvalidInput("a review plans at least one rating", field="planned_ratings")
    return pool * size // planned_ratings


def deposit_for(reward: int, deposit_factor: Decimal) -> int:
    """``deposit_factor × reward``, rounded down to the minor unit."""
    return int((Decimal(reward) * deposit_factor).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class PackageError:
    rms: float | None  # None without any reference
    references: int


def package_error(pairs: Sequence[tuple[float, float | None]]) -> PackageError:
    """``pairs``: (the package's rating, its reference or ``None``) per rated pair."""
    diffs = [rating - reference for rating, reference in pairs if reference is not None]
    if not diffs:
        return PackageError(None, 0)
    return PackageError(math.sqrt(sum(d * d for d in diffs) / len(diffs)), len(diffs))


@dataclass(frozen=True)
class PoolPayout:
    payouts: dict[int, int]  # worker → minor units
    paid: int
    withheld: int  # forfeited rewards plus what rounding left


def split_pool(
    pool: int, withheld_rewards: int, weighted_workload: Mapping[int, Fraction | float]
) -> PoolPayout:
    """Split ``pool − withheld_rewards`` by weighted workload, rounding each share down."""
    if pool < 0 or withheld_rewards < 0:
        raise InvalidInput("pool and withheld rewards are amounts ≥ 0", field="pool")
    distributable = max(0, pool - withheld_rewards)
    weights = {w: Fraction(v) for w, v in weighted_workload.items() if v > 0}
    total = sum(weights.values(), Fraction(0))
    if total == 0:
        return PoolPayout({}, 0, pool)
    payouts = {w: math.floor(distributable * v / total) for w, v in weights.items()}
    paid = sum(payouts.values())
    return PoolPayout({w: a for w, a in payouts.items() if a > 0}, paid, pool - paid)
