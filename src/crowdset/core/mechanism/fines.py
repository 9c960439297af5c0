"""The fine at revocation and the bond that must cover it (SPEC §6.4).

``fine = max(fine_multiplier × earned, cost_of_failures)``, in minor units, rounded up: a
cheat whose every answer was refused (earned = 0) still pays for the votes or judgments that
caught them. The stake or deposit a campaign requires must cover the largest fine a worker can
reach before the rule can revoke them: :func:`required_bond`.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal

from crowdset.errors import InvalidInput


def fine_for(earned: int, cost_of_failures: int, multiplier: Decimal) -> int:
    """``max(⌈multiplier × earned⌉, cost_of_failures)``; all amounts in minor units ≥ 0."""
    if earned < 0 or cost_of_failures < 0:
        raise InvalidInput(
            f"earned and cost_of_failures are amounts ≥ 0, got {earned!r}, {cost_of_failures!r}",
            field="earned",
        )
    if multiplier < 0:
        raise InvalidInput(
            f"fine_multiplier must be ≥ 0, got {multiplier}", field="fine_multiplier"
        )
    scaled = (Decimal(earned) * multiplier).to_integral_value(rounding=ROUND_CEILING)
    return max(int(scaled), cost_of_failures)


def required_bond(
    price_per_unit: int, cost_per_unit_caught: int, units_to_revoke: float, multiplier: Decimal
) -> int:
    """The stake that covers the largest fine reachable before revocation: a worker paid
    ``price_per_unit`` for each of ``units_to_revoke`` units (the evidence the rule needs)
    earns at most ``price × units``; the fine is the larger of its multiple and the cost of
    catching every unit."""
    units = math.ceil(units_to_revoke)
    return fine_for(price_per_unit * units, cost_per_unit_caught * units, multiplier)
