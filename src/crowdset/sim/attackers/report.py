"""The dry-run's arithmetic: per-account outcomes summed into one row per strategy.

A **person** is one account, except a sybil person (k accounts, one stake; their
``sybil_baseline`` twin holds the same stake in one account and works the same way). Money is in
minor units until the row is rendered; rates are per hour of *modelled* work (each strategy's
seconds per task, onboarding included), so a fast cheat is compared with an honest worker on
the same clock.

- ``net_per_hour`` = Σ net / Σ hours over the strategy's accounts (credits per hour);
- ``net_per_person`` = Σ net / persons;
- ``offer_share_per_person`` = (the strategy's offers / all offers made in the run) / persons:
  the share of the run's offers that went to one person's accounts, together;
- ``fined_or_revoked_share`` = persons with any account fined, revoked or forfeiting a
  deposit / persons;
- ``accepted_share`` = accepted / (accepted + rejected) units of work;
- ``meets_target``: the strategy's target of SPEC §6 (:func:`target_of`) holds in this run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from crowdset.sim.attackers.strategies import CATALOGUE, Strategy


@dataclass(frozen=True)
class Outcome:
    """One account at the end of the run."""

    strategy: Strategy
    person: int
    offers: int
    accepted: int
    rejected: int
    revoked: bool
    fines: int  # minor units
    net: int  # minor units: worth at the end less what was granted
    seconds: float
    written_accepted: int = 0
    written_rejected: int = 0
    refused: int = 0


@dataclass(frozen=True)
class StrategyRow:
    strategy: str
    honest: bool
    persons: int
    workers: int  # accounts
    offers: int
    accepted: int
    rejected: int
    refused: int  # answers sent back by the automatic checks (generation)
    revoked: int  # accounts
    fined_or_revoked: int  # persons
    fines: float  # credits
    net: float  # credits, all the strategy's accounts together
    hours: float
    net_per_hour: float
    net_per_person: float
    offer_share_per_person: float
    fair_wage_per_hour: float
    fined_or_revoked_share: float
    accepted_share: float | None
    queries_accepted_share: float | None  # generation: of its own decided queries
    target: str
    meets_target: bool | None = None

    def as_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


HONEST_PUNISHED_SHARE = 0.01  # SPEC §6: no honest worker fined or revoked more than 1 %
SYBIL_TOLERANCE = 0.05  # issue #15: a sybil within 5 % of its one-account twin


def target_of(strategy: Strategy) -> str:
    """What the mechanism promises about a strategy (SPEC §6's targets)."""
    if strategy is Strategy.HONEST:
        return "net_per_hour ≥ fair_wage_per_hour; fined_or_revoked_share ≤ 1%"
    if strategy is Strategy.SYBIL:
        return (
            "net_per_person and offer_share_per_person no more than sybil_baseline's "
            f"+ {SYBIL_TOLERANCE:.0%}"
        )
    if strategy is Strategy.SYBIL_BASELINE:
        return "none: the sybil's yardstick (one account, the same stake and work)"
    return "net_per_hour < 0"


def at_least_the_wage(net_per_hour: float, fair_wage_per_hour: float) -> bool:
    """``net_per_hour ≥ fair_wage_per_hour``, where pay of exactly the wage counts: a review's
    pool pays passed work at exactly the fair wage to the minor unit, and 1,389.50 credits over
    23.158 3 hours comes out as 59.999 999 999 999 99 in floating point."""
    return net_per_hour >= fair_wage_per_hour or math.isclose(
        net_per_hour, fair_wage_per_hour, rel_tol=1e-9
    )


def no_more_than(value: float, baseline: float, tolerance: float = SYBIL_TOLERANCE) -> bool:
    """``value ≤ baseline + tolerance × |baseline|``: no more than the baseline, within the
    tolerance whatever the baseline's sign (``10.4 ≤ 10 → True``, ``10.6 → False``; ``-9.6 ≤
    -10 → True``)."""
    return value <= baseline + tolerance * abs(baseline) + 1e-12


def meets_target(row: StrategyRow, baseline: StrategyRow | None) -> bool | None:
    """Does the row meet :func:`target_of`? A sybil is measured against ``baseline``, its
    ``sybil_baseline`` row (``None`` without one); the baseline itself has no target.

    The sybil's target is one-sided, as SPEC §6 states it ("k accounts earn no more than one
    account with the same total stake"): a sybil below its twin gains nothing from splitting.
    Within one run the two see the same campaign at the same time, but not the same draws:
    read the ratio over several seeds before calling a single run's 5 % a gain."""
    if row.strategy == Strategy.HONEST.value:
        return (
            at_least_the_wage(row.net_per_hour, row.fair_wage_per_hour)
            and row.fined_or_revoked_share <= HONEST_PUNISHED_SHARE
        )
    if row.strategy == Strategy.SYBIL.value:
        if baseline is None:
            return None
        return no_more_than(row.net_per_person, baseline.net_per_person) and no_more_than(
            row.offer_share_per_person, baseline.offer_share_per_person
        )
    if row.strategy == Strategy.SYBIL_BASELINE.value:
        return None
    return row.net_per_hour < 0


def strategy_rows(
    outcomes: Sequence[Outcome], *, minor_per_unit: int, fair_wage_per_hour: float
) -> list[StrategyRow]:
    """One row per strategy present, in the catalogue's order."""
    all_offers = sum(o.offers for o in outcomes)
    rows = []
    for strategy in CATALOGUE:
        mine = [o for o in outcomes if o.strategy is strategy]
        if not mine:
            continue
        persons = len({o.person for o in mine})
        punished = {o.person for o in mine if o.revoked or o.fines > 0}
        net = sum(o.net for o in mine) / minor_per_unit
        hours = sum(o.seconds for o in mine) / 3600
        offers = sum(o.offers for o in mine)
        accepted = sum(o.accepted for o in mine)
        rejected = sum(o.rejected for o in mine)
        written = sum(o.written_accepted + o.written_rejected for o in mine)
        rows.append(
            StrategyRow(
                strategy=strategy.value,
                honest=CATALOGUE[strategy].honest,
                persons=persons,
                workers=len(mine),
                offers=offers,
                accepted=accepted,
                rejected=rejected,
                refused=sum(o.refused for o in mine),
                revoked=sum(o.revoked for o in mine),
                fined_or_revoked=len(punished),
                fines=sum(o.fines for o in mine) / minor_per_unit,
                net=net,
                hours=hours,
                net_per_hour=net / hours if hours else 0.0,
                net_per_person=net / persons,
                offer_share_per_person=(offers / all_offers / persons) if all_offers else 0.0,
                fair_wage_per_hour=fair_wage_per_hour,
                fined_or_revoked_share=len(punished) / persons,
                accepted_share=_share(accepted, accepted + rejected),
                queries_accepted_share=_share(sum(o.written_accepted for o in mine), written),
                target=target_of(strategy),
            )
        )
    twin = next((r for r in rows if r.strategy == Strategy.SYBIL_BASELINE.value), None)
    return [replace(r, meets_target=meets_target(r, twin)) for r in rows]


def rejection_rate(outcomes: Sequence[Outcome], strategy: Strategy) -> float | None:
    """Share of the strategy's decided work that was rejected: its own queries in generation
    (``written_*``), else every unit."""
    mine = [o for o in outcomes if o.strategy is strategy]
    written = sum(o.written_accepted + o.written_rejected for o in mine)
    if written:
        return sum(o.written_rejected for o in mine) / written
    rejected = sum(o.rejected for o in mine)
    return _share(rejected, rejected + sum(o.accepted for o in mine))
