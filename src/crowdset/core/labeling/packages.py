"""Review packages, their deposits, their references and the pool payout (SPEC §1 "Deposits",
"pool"; SPEC §4; SPEC §6.5).

- A package's **nominal reward** is its share of the pool: ``pool × size / ratings`` (ratings =
  every rating the review plans, challenges included), rounded down. Taking it holds a
  **deposit** of ``deposit_factor`` (1.5) × that reward.
- A package's **error** is the RMS distance, in stars, between its ratings and their
  **references** (SPEC §6.5): the known stars of a challenge pair, else the weighted mean of
  the *other* reviewers' ratings of the pair, counting only reviewers established on
  challenges (:func:`reference_weight`): a reviewer with no challenge evidence, or whose
  challenge posterior is below the bar, is no reference, so spammers cannot skew the error of
  honest packages. Above ``max_package_error`` (1.5) the deposit is forfeited to fines and the
  package's pairs go back for review.
- At close the **pool** is split over the passed workload by weight ``a_n · W_n`` (``W_n``
  the reviewer's ratings in passed packages × minutes per pair). A forfeited package's ratings
  are not in it: its pairs were rated again, and the re-raters' workload takes its share of
  the pool, so a forfeited reward pays whoever re-rated its pairs (SPEC §6.5). When the passed
  workload is worth more than the pool at the price (ratings beyond the plan), the reserve
  tops the pool up: :func:`pool_due`. Shares are apportioned exactly (largest remainder), so
  ``paid == distributable`` to the minor unit whenever anyone passed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

from crowdset.core.quality import WorkerQuality
from crowdset.errors import InvalidInput


def nominal_reward(pool: int, size: int, planned_ratings: int) -> int:
    if planned_ratings <= 0:
        raise InvalidInput("a review plans at least one rating", field="planned_ratings")
    return pool * size // planned_ratings


def deposit_for(reward: int, deposit_factor: Decimal) -> int:
    """``deposit_factor × reward``, rounded down to the minor unit."""
    return int((Decimal(reward) * deposit_factor).to_integral_value(rounding=ROUND_FLOOR))


def package_challenges(
    size: int, share: float, *, on_probation: bool, probation_share: float
) -> int:
    """Challenge pairs in a package of ``size`` (SPEC §6.1, §6.5): ``share`` of it, or
    ``probation_share`` while the reviewer is on probation — not yet a reference on their
    challenge answers (:func:`reference_weight`). A spammer then shows what they are in their
    first package, and an honest reviewer becomes a reference after about two (seven right
    challenges at the defaults), so few packages are judged against unvetted ratings. At
    least one pair of every package is real work.

    ``package_challenges(10, 0.1, on_probation=True, probation_share=0.5) == 5``."""
    if size < 1:
        raise InvalidInput("a package holds at least one pair", field="size")
    wanted = max(share, probation_share) if on_probation else share
    return max(0, min(size - 1, round(size * wanted)))


def rests_on_one_reviewer(
    rows: Sequence[tuple[float, Sequence[tuple[int, float, float]], float | None]],
    suspects: set[int],
    max_error: float,
) -> bool:
    """Would the package pass without the ratings of any one of ``suspects``, still judged on
    some of its real pairs? ``rows`` per rated pair: (the package's rating, the others'
    (reviewer, stars, weight), the known stars of a challenge or ``None``). A package is not
    forfeited on the word of one reviewer whose own quality is not yet established (SPEC §6.5):
    a control oracle who answers challenges right and rates the rest at random is a reference
    until its decided work shows otherwise, and must not cost honest reviewers their deposits
    meanwhile. Leaving a package with challenges alone would spare exactly that oracle's own
    packages, so the real pairs must keep a reference."""
    for suspect in sorted(suspects):
        pairs: list[tuple[float, float | None]] = []
        real = 0
        for rating, others, known in rows:
            if known is not None:
                pairs.append((rating, known))
                continue
            rest = [(stars, weight) for reviewer, stars, weight in others if reviewer != suspect]
            reference = weighted_reference(rest)
            real += reference is not None
            pairs.append((rating, reference))
        found = package_error(pairs)
        if real > 0 and found.rms is not None and found.rms <= max_error:
            return True
    return False


def rating_within(rating: float, reference: float, tolerance: float) -> bool:
    """A rating is right when it lies within ``tolerance`` stars of its reference (the
    campaign's ``quality.rating_tolerance``, default 1: honest raters with half a star of noise
    are right 99.7% of the time on challenges; uniform random stars 52%; constant 3 stars 60%
    when the truth is spread evenly over 1–5)."""
    return abs(rating - reference) <= tolerance + 1e-9


def reference_weight(
    controls: int,
    controls_failed: int,
    bar: float,
    confidence: float,
    track_mean: float | None = None,
) -> float | None:
    """A reviewer's weight as a reference (SPEC §6.5): the posterior mean accuracy from their
    challenge answers alone (``Beta(2 + right, 1 + wrong)``, the mechanism's prior), once that
    posterior's lower bound at ``confidence`` clears the ``bar`` — the rule that releases
    pending pay (§6.3), on challenges alone; otherwise ``None``, no reference. A reviewer with
    no challenge answer is never one.

    Why the lower bound and not the mean: a rater of constant 3 stars is right within a star
    on 60% of challenges spread evenly over 1–5, and the mean of ``Beta(2, 1)`` after two lucky
    answers is 0.8; at the default bar 0.7 and confidence 0.95 the lower bound asks for seven
    right answers in a row (2.8% for that rater, 98% for an honest one with half a star of
    noise). ``track_mean``, the whole RATE-track posterior (challenges and decisions), may
    only take a reference away, when below the bar; decisions never make one.

    ``reference_weight(7, 0, 0.7, 0.95) == 0.9`` (Beta(9, 1)); ``reference_weight(6, 0, 0.7,
    0.95) is None``."""
    if controls < 1:
        return None
    challenges = WorkerQuality(controls - controls_failed, controls_failed)
    if challenges.quantile(1.0 - confidence) < bar:
        return None
    if track_mean is not None and track_mean < bar:
        return None
    return challenges.posterior_mean()


def weighted_reference(ratings: Sequence[tuple[float, float]]) -> float | None:
    """``Σ w·s / Σ w`` over (stars, reference weight) pairs; ``None`` without any."""
    total = sum(weight for _, weight in ratings)
    if total <= 0:
        return None
    return sum(stars * weight for stars, weight in ratings) / total


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
class PoolDue:
    amount: int  # what the reviewers of passed packages share
    topped_up: int  # the part of it that comes from the reserve


def pool_due(
    pool: int, reserve_left: int, passed_minutes: Fraction, price_per_minute: Fraction
) -> PoolDue:
    """The pool, topped up from what is left of the reserve when the passed workload at the
    price is worth more (more challenge ratings or re-ratings than planned), so reviewers are
    paid at least the price per minute while the reserve lasts.

    ``pool_due(100, 10, Fraction(105), Fraction(1)) == PoolDue(105, 5)``."""
    if pool < 0 or reserve_left < 0:
        raise InvalidInput("pool and reserve are amounts ≥ 0", field="pool")
    worth = math.ceil(passed_minutes * price_per_minute)
    topped_up = min(reserve_left, max(0, worth - pool))
    return PoolDue(pool + topped_up, topped_up)


@dataclass(frozen=True)
class PoolPayout:
    payouts: dict[int, int]  # worker → minor units
    paid: int
    withheld: int  # nothing once anyone has workload; the whole amount otherwise


def split_pool(amount: int, weighted_workload: Mapping[int, Fraction | float]) -> PoolPayout:
    """Split ``amount`` by weighted workload, exactly: each share rounded down, then the minor
    units left go one each to the largest remainders (ties to the lower worker id)."""
    if amount < 0:
        raise InvalidInput("the pool is an amount ≥ 0", field="pool")
    weights = {w: Fraction(v) for w, v in weighted_workload.items() if v > 0}
    total = sum(weights.values(), Fraction(0))
    if total == 0:
        return PoolPayout({}, 0, amount)
    exact = {w: amount * v / total for w, v in weights.items()}
    payouts = {w: math.floor(share) for w, share in exact.items()}
    left = amount - sum(payouts.values())
    for worker in sorted(exact, key=lambda w: (payouts[w] - exact[w], w))[:left]:
        payouts[worker] += 1
    paid = sum(payouts.values())
    return PoolPayout({w: a for w, a in payouts.items() if a > 0}, paid, amount - paid)
