"""What a generation campaign asks for and what it costs (SPEC §1–§2, §6).

Tasks read "Formulate: <description>. Include: <values>". The slot combination of the next task
is the least-used one of the intent, and each slot's value the least-used value of that slot, so
values and combinations are covered evenly; ties are broken at random.

Escrow (:func:`estimate`) pays every vote, the extra votes that undecided queries get (dynamic
overlap, SPEC §6.2) and the control votes (``control_share`` of all vote offers, §6.1). The
stake a worker needs (:func:`required_stake`) covers the largest fines reachable before the
mechanism can revoke them (§6.4).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

import numpy as np

from crowdset.core.economics import fee_for, require_fair_price
from crowdset.core.generation.annotation import parse_inline
from crowdset.core.generation.model import SlotValue
from crowdset.core.generation.spec import CampaignSpec, IntentSpec, to_minor
from crowdset.core.mechanism import CONTROL_WEIGHT, required_bond

T = TypeVar("T")


@dataclass(frozen=True)
class Coverage:
    """How often each combination and each value has been asked for, per intent."""

    combinations: Mapping[tuple[str, ...], int]
    values: Mapping[tuple[str, str], int]  # (slot, value) → times asked

    @classmethod
    def of(cls, asked: Iterable[tuple[SlotValue, ...]]) -> Coverage:
        combinations: Counter[tuple[str, ...]] = Counter()
        values: Counter[tuple[str, str]] = Counter()
        for task in asked:
            combinations[tuple(sorted(v.slot for v in task))] += 1
            values.update((v.slot, v.value) for v in task)
        return cls(combinations, values)


def _least_used(options: Sequence[T], uses: Sequence[int], rng: np.random.Generator) -> T:
    fewest = min(uses)
    ties = [option for option, used in zip(options, uses, strict=True) if used == fewest]
    return ties[int(rng.integers(len(ties)))]


def next_task(
    intent: IntentSpec, coverage: Coverage, max_slots: int, rng: np.random.Generator
) -> tuple[SlotValue, ...]:
    """The values the next task of ``intent`` asks the worker to include."""
    combinations = intent.slot_combinations(max_slots)
    combination = _least_used(
        combinations, [coverage.combinations.get(c, 0) for c in combinations], rng
    )
    chosen = []
    for slot_name in combination:
        slot = intent.slot(slot_name)
        value = _least_used(
            slot.values, [coverage.values.get((slot_name, v), 0) for v in slot.values], rng
        )
        chosen.append(SlotValue(slot=slot_name, entity=slot.entity_name, value=value))
    return tuple(chosen)


def task_prompt(intent: IntentSpec, values: Iterable[SlotValue]) -> str:
    """The instruction a worker reads."""
    include = ", ".join(f"“{v.value}”" for v in values)
    return f"Formulate: {intent.description}." + (f" Include: {include}." if include else "")


def seed_texts(intent: IntentSpec) -> list[str]:
    """Seeds as plain text (inline annotation removed): examples and near-duplicate references."""
    return [parse_inline(seed)[0] for seed in intent.seeds]


@dataclass(frozen=True)
class Pricing:
    """A campaign's prices in minor units, checked against the fair-wage floor."""

    per_query: int
    per_vote: int
    validators: int
    fee_share: Decimal

    @property
    def query_exposure(self) -> int:
        """The most one submitted query can still cost: its price and every vote, with fees."""
        work = self.per_query + self.validators * self.per_vote
        return (
            work
            + fee_for(self.per_query, self.fee_share)
            + self.validators * fee_for(self.per_vote, self.fee_share)
        )

    def vote_exposure(self, remaining_votes: int) -> int:
        return remaining_votes * (self.per_vote + fee_for(self.per_vote, self.fee_share))

    @property
    def writer_exposure(self) -> int:
        """What paying one accepted query's writer costs, fee included."""
        return self.per_query + fee_for(self.per_query, self.fee_share)


def pricing(
    spec: CampaignSpec, *, fair_hourly_wage: int, minor_per_unit: int, fee_share: Decimal
) -> Pricing:
    """Prices in minor units; an under-priced campaign is refused with the computed floor."""
    decimals = len(str(minor_per_unit)) - 1
    per_query = to_minor(spec.prices.per_query, decimals, "prices.per_query")
    per_vote = to_minor(spec.prices.per_vote, decimals, "prices.per_vote")
    for price, seconds, field in (
        (per_query, spec.seconds_per_query, "prices.per_query"),
        (per_vote, spec.seconds_per_vote, "prices.per_vote"),
    ):
        require_fair_price(
            price,
            seconds_per_task=seconds,
            fair_hourly_wage=fair_hourly_wage,
            minor_per_unit=minor_per_unit,
            field=field,
            display="credits",
        )
    return Pricing(per_query, per_vote, spec.validators_per_query, fee_share)


def votes_per_submission(spec: CampaignSpec) -> Fraction:
    """Votes a submitted query is expected to get: ``validators_per_query``, and up to
    ``mechanism.max_votes`` for the share ``1 − expected_acceptance`` that is refused or
    contested (rejections by validators of little known quality take the most votes)."""
    extra = spec.mechanism.max_votes - spec.validators_per_query
    refused = 1 - Fraction(str(spec.expected_acceptance))
    return spec.validators_per_query + extra * refused


def control_votes_for(real_votes: int, control_share: float) -> int:
    """Control votes that come with ``real_votes``: controls are ``control_share`` of all vote
    offers, so ``real × share / (1 − share)``, rounded up."""
    share = Fraction(str(control_share))
    return math.ceil(real_votes * share / (1 - share))


def required_stake(spec: CampaignSpec, prices: Pricing) -> int:
    """The stake (minor units) that covers the largest fines a worker can reach before the
    mechanism can revoke them (SPEC §6.4), on both tracks since one worker may do both:

    - **vote**: revocation needs ``min_evidence`` control answers, i.e. about
      ``min_evidence / control_share`` votes, each paid ``per_vote``; the fine is
      ``fine_multiplier ×`` that pay (a failed control costs the campaign nothing more);
    - **write**: ``min_evidence`` decided queries, each paid ``per_query``; a refused one cost
      the campaign up to ``max_votes`` votes to catch, and the fine is never less than that.

    With the defaults and 0.80 / 0.20 credits: 30 + 14 = 44 credits.
    """
    mechanism = spec.mechanism
    share = mechanism.control_share
    votes_to_revoke = mechanism.min_evidence / (share * CONTROL_WEIGHT) if share > 0 else 0.0
    vote_bond = required_bond(prices.per_vote, 0, votes_to_revoke, mechanism.fine_multiplier)
    write_bond = required_bond(
        prices.per_query,
        mechanism.max_votes * prices.per_vote,
        mechanism.min_evidence / CONTROL_WEIGHT,
        mechanism.fine_multiplier,
    )
    return vote_bond + write_bond


@dataclass(frozen=True)
class Estimate:
    """What launching costs: the amount moved into escrow."""

    queries: int
    expected_submissions: int
    votes: int  # every vote paid: the submissions' votes and the control votes
    control_votes: int  # of ``votes``: answers to controls (SPEC §6.1)
    work: int  # accepted queries × price
    validation: int  # votes × price
    fee: int
    total: int
    worker_minutes: float


def estimate(spec: CampaignSpec, prices: Pricing) -> Estimate:
    """Escrow for a campaign: the target at the expected acceptance rate, every vote paid —
    :func:`votes_per_submission` for each submission, and the control votes on top."""
    queries = spec.total_target
    submissions = sum(
        math.ceil(intent.target / spec.expected_acceptance) for intent in spec.intents
    )
    real_votes = math.ceil(submissions * votes_per_submission(spec))
    control_votes = control_votes_for(real_votes, spec.mechanism.control_share)
    votes = real_votes + control_votes
    work = queries * prices.per_query
    validation = votes * prices.per_vote
    fee = queries * fee_for(prices.per_query, prices.fee_share) + votes * fee_for(
        prices.per_vote, prices.fee_share
    )
    minutes = (submissions * spec.seconds_per_query + votes * spec.seconds_per_vote) / 60
    return Estimate(
        queries=queries,
        expected_submissions=submissions,
        votes=votes,
        control_votes=control_votes,
        work=work,
        validation=validation,
        fee=fee,
        total=work + validation + fee,
        worker_minutes=minutes,
    )
