"""How a labeling campaign judges answers (SPEC §3): correctness against a known answer, an
item's consensus and whether it needs another judgment, and what the campaign costs.

Pure: the services pass in the answers and the workers' accuracies and store what comes out.

- **Correct.** Classify: the answer equals the truth (for multi-label, the same set). Rate:
  within ``quality.rating_tolerance`` stars (default 1) of the truth.
- **Consensus, classify.** The one-coin posterior of ``core.quality.item_posterior`` with each
  worker's live posterior-mean accuracy; the label is its argmax and the confidence its
  maximum. Multi-label runs it per label (present / absent) and the confidence is the least
  confident label's. Another judgment is needed while the confidence is below
  ``overlap.confidence`` (``core.quality.needs_more_judgments``).
- **Consensus, rate.** The mean star; another judgment is needed while the standard error of
  the mean (sample standard deviation / √n) is above ``overlap.rating_tolerance``. The
  delivered score is the reviewer-weighted score of SPEC §4, computed over the whole campaign
  (``core.aggregation.ReviewerWeightedScore``).
- **Confident decision** (:func:`is_confident`): a settled item whose consensus reached the
  campaign's target — ``overlap.confidence`` (classify), a standard error within
  ``overlap.rating_tolerance`` (rate). Agreement with it is DECISION evidence (SPEC §6.2);
  an item settled at the maximum overlap without agreement is evidence about nobody.
- **Controls** (SPEC §6.1): gold items and **consensus gold** (:func:`is_consensus_gold`),
  served so that each worker's controls stay close to ``share ×`` their offers
  (:func:`wants_control`), never in bursts.
- **The mechanism of a labeling spec** (:func:`mechanism_of`) and the stake that covers the
  largest fine reachable before revocation (:func:`required_stake`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import numpy as np

from crowdset.core.economics import fee_for, require_fair_price
from crowdset.core.generation.spec import to_minor
from crowdset.core.labeling.spec import Answer, LabelingSpec
from crowdset.core.mechanism import (
    CONTROL_WEIGHT,
    DECISION_WEIGHT,
    MechanismSettings,
    Track,
    controls_to_leave_probation,
    required_bond,
)
from crowdset.core.quality import item_posterior, needs_more_judgments


def is_correct(spec: LabelingSpec, answer: Answer, truth: Answer) -> bool:
    if spec.rating:
        return abs(int(str(answer)) - int(str(truth))) <= spec.quality.rating_tolerance
    return answer == truth


@dataclass(frozen=True)
class Consensus:
    answer: Answer
    confidence: float  # classify: posterior of the answer; rate: 1 / (1 + standard error)
    needs_more: bool
    mean: float | None = None  # rate: the plain mean star


def consensus(
    spec: LabelingSpec, answers: Sequence[Answer], accuracies: Sequence[float]
) -> Consensus:
    """The item's consensus from its (kept) answers; ``accuracies`` pairs with ``answers``."""
    if not answers:
        raise ValueError("consensus needs at least one answer")
    overlap = spec.overlap
    n = len(answers)
    if spec.rating:
        stars = np.array([int(str(a)) for a in answers], dtype=np.float64)
        mean = float(stars.mean())
        error = float(stars.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
        needs = n < overlap.min or (n < overlap.max and error > overlap.rating_tolerance)
        rounded = str(int(min(5, max(1, math.floor(mean + 0.5)))))
        return Consensus(rounded, 1.0 / (1.0 + error), needs, mean)
    names = spec.label_names
    if spec.multi_label:
        chosen: list[str] = []
        confidence = 1.0
        for name in names:
            present = np.array([int(name in a) for a in answers])
            posterior = item_posterior(present, accuracies, 2)
            if posterior[1] >= 0.5:
                chosen.append(name)
            confidence = min(confidence, float(posterior.max()))
        needs = n < overlap.min or (n < overlap.max and confidence < overlap.confidence)
        return Consensus(tuple(chosen), confidence, needs)
    codes = np.array([names.index(str(a)) for a in answers])
    posterior = item_posterior(codes, accuracies, len(names))
    best = int(posterior.argmax())
    needs = needs_more_judgments(posterior, n, overlap.confidence, overlap.max, overlap.min)
    return Consensus(names[best], float(posterior[best]), needs)


def is_confident(spec: LabelingSpec, found: Consensus) -> bool:
    """Did the settled consensus reach the campaign's target? Classify: its posterior is at
    least ``overlap.confidence``. Rate: its standard error is within
    ``overlap.rating_tolerance`` stars (``confidence = 1 / (1 + error)``)."""
    if spec.rating:
        return found.confidence >= 1.0 / (1.0 + spec.overlap.rating_tolerance)
    return found.confidence >= spec.overlap.confidence


# --- controls and the mechanism (SPEC §6) -------------------------------------------------------


def track_of(spec: LabelingSpec) -> Track:
    """Classify work is the ``label`` track; rate and review work the ``rate`` track."""
    return Track.RATE if spec.rating else Track.LABEL


def mechanism_of(spec: LabelingSpec) -> MechanismSettings:
    """The mechanism a labeling campaign runs: its ``mechanism:`` block, with the share of
    controls, the bar, its confidence and the evidence before revocation taken from the
    spec's documented ``gold.share`` and ``quality`` blocks (one knob each, never two)."""
    return spec.mechanism.model_copy(
        update={
            "control_share": spec.gold.share,
            "bar": spec.quality.bar,
            "confidence": spec.quality.confidence,
            "min_evidence": max(1.0, spec.quality.min_answers),
        }
    )


def wants_control(offers_seen: int, controls_seen: int, share: float, draw: float) -> bool:
    """Is the worker's next offer a control? Yes with probability
    ``share × (offers_seen + 1) − controls_seen`` (clipped to [0, 1]), ``draw`` being uniform
    on [0, 1).

    A worker's controls therefore stay within one of ``share ×`` their offers — no burst of
    controls, no long run without one — while where the next one falls stays random: right
    after a control the chance is small, and it grows with every regular offer until a control
    is certain.

    A worker more than one control ahead of ``share`` — one who left probation's higher share
    (``core.mechanism.control_share_for``) — meets controls at plain ``share``: counting the
    surplus down first would give them a long run without any, which a cheat could learn."""
    if share <= 0:
        return False
    due = share * (offers_seen + 1) - controls_seen
    return draw < (share if due < -1.0 else due)


def is_consensus_gold(
    spec: LabelingSpec,
    trusted: Sequence[tuple[Answer, float]],
    found: Consensus,
    *,
    min_confidence: float,
) -> bool:
    """Does a settled item become a control (SPEC §6.1)? Only when the consensus of the
    ``trusted`` judgments alone — (answer, accuracy) of the workers whose control record puts
    them above the bar — reaches ``min_confidence`` (``mechanism.consensus_gold_confidence``)
    and gives the item's answer: workers nobody has checked cannot make a control."""
    if len(trusted) < 2:
        return False
    own = consensus(spec, [a for a, _ in trusted], [q for _, q in trusted])
    return own.answer == found.answer and own.confidence >= min_confidence


# Consensus gold kept in service: while fewer are, an item decided by trusted workers alone
# short of consensus_gold_confidence takes one more judgment (within the overlap the escrow
# holds). Enough that a worker who knows the requester's gold list meets consensus gold at
# about half of their controls (``services.labeling`` serves either kind with even odds).
CONSENSUS_POOL = 20

# Evidence per answer assumed for the bond: every control counts 1, and about half of the
# regular answers land on items decided with confidence (DECISION weight 0.5).
DECIDED_SHARE = 0.5


def answers_to_revoke(settings: MechanismSettings) -> float:
    """Answers a worker gives before the rule can revoke them: ``min_evidence`` over the
    evidence an answer brings, ``share × 1 + (1 − share) × 0.5 × DECIDED_SHARE``."""
    share = settings.control_share
    per_answer = share * CONTROL_WEIGHT + (1 - share) * DECISION_WEIGHT * DECIDED_SHARE
    return settings.min_evidence / per_answer


def required_stake(spec: LabelingSpec, per_judgment: int) -> int:
    """The stake (minor units) that covers the fine a worker reaches before the rule can
    revoke them (SPEC §6.4): ``fine_multiplier ×`` the pay of :func:`answers_to_revoke`
    judgments, never less than their price. A campaign's ``min_stake`` is raised to it."""
    settings = mechanism_of(spec)
    return required_bond(
        per_judgment, per_judgment, answers_to_revoke(settings), settings.fine_multiplier
    )


# --- cost ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelingPricing:
    per_judgment: int  # minor units
    fee_share: Decimal

    @property
    def exposure(self) -> int:
        """One judgment with its fee: what escrow must hold for it."""
        return self.per_judgment + fee_for(self.per_judgment, self.fee_share)


def labeling_pricing(
    spec: LabelingSpec, *, fair_hourly_wage: int, minor_per_unit: int, fee_share: Decimal
) -> LabelingPricing:
    """The price in minor units; refused with the computed floor when below the fair wage."""
    decimals = len(str(minor_per_unit)) - 1
    if spec.review is not None:  # a review: a rating is worth its minutes at the fair wage
        exact = spec.review.minutes_per_pair * fair_hourly_wage * minor_per_unit / 60
        return LabelingPricing(int(exact.to_integral_value(rounding=ROUND_CEILING)), fee_share)
    assert spec.price_per_judgment is not None  # the spec's validator requires it
    price = to_minor(spec.price_per_judgment, decimals, "price_per_judgment")
    require_fair_price(
        price,
        seconds_per_task=spec.seconds_per_judgment,
        fair_hourly_wage=fair_hourly_wage,
        minor_per_unit=minor_per_unit,
        field="price_per_judgment",
        display="credits",
    )
    return LabelingPricing(price, fee_share)


@dataclass(frozen=True)
class LabelingEstimate:
    """What launching moves into escrow: every item at its maximum overlap, plus gold."""

    items: int
    judgments: int  # items × max overlap
    gold_judgments: int
    work: int
    fee: int
    total: int
    worker_minutes: float
    onboarding: int = 0  # of ``work``: paid onboarding time, ``onboarding.workers`` at most


# Workers assumed at launch for the controls of probation (SPEC §6.1): each answers about
# ``controls_to_leave_probation`` controls at ``probation_share`` before their share falls back
# to ``gold.share``; what is not spent is refunded at close.
PROBATION_CROWD = 10


def probation_controls(spec: LabelingSpec, judgments: int) -> int:
    """Controls beyond ``gold.share`` that probation asks of ``PROBATION_CROWD`` workers, and
    never more than if every one of the ``judgments`` were made on probation."""
    settings = mechanism_of(spec)
    share, probation = settings.control_share, settings.probation_share
    if share <= 0 or probation <= share or probation >= 1:
        return 0
    needed = controls_to_leave_probation(settings.bar_on(track_of(spec).value), settings.confidence)
    offers = needed / probation  # offers a worker takes to meet them
    per_worker = math.ceil(needed - share * offers)
    at_most = math.ceil(judgments * (probation / (1 - probation) - share / (1 - share)))
    return min(PROBATION_CROWD * per_worker, at_most)


def labeling_estimate(
    spec: LabelingSpec,
    items: int,
    prices: LabelingPricing,
    *,
    onboarding: tuple[int, int] = (0, 0),
) -> LabelingEstimate:
    """Every item at its maximum overlap, the gold at ``gold.share`` of all judgments, the
    controls of probation (:func:`probation_controls`), and ``onboarding`` = (work, fee) for
    paid onboarding time (``core.mechanism.newcomers.onboarding_reserve``)."""
    judgments = items * spec.overlap.max
    share = spec.gold.share
    gold = math.ceil(judgments * share / (1 - share)) if share else 0
    gold += probation_controls(spec, judgments)
    count = judgments + gold
    onboarding_work, onboarding_fee = onboarding
    work = count * prices.per_judgment + onboarding_work
    fee = count * (prices.exposure - prices.per_judgment) + onboarding_fee
    return LabelingEstimate(
        items=items,
        judgments=judgments,
        gold_judgments=gold,
        work=work,
        fee=fee,
        total=work + fee,
        worker_minutes=count * spec.seconds_per_judgment / 60,
        onboarding=onboarding_work,
    )
