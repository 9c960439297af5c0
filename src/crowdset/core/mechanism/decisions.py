"""Quality-weighted decisions (SPEC §6.2): votes and labels weighted by each worker's
posterior accuracy, in log-odds, with one more judgment until the decision is confident.

Under the one-coin model a binary vote from a worker of accuracy ``p`` multiplies the odds of
its side by ``p / (1 − p)``; summing ``±log(p / (1 − p))`` over the votes (plus the prior's
log-odds) gives the posterior log-odds that the query is good. A worker at 0.5 carries no
weight; one below 0.5 counts against the side they chose. Accuracies are clipped to
``[0.05, 0.99]`` so that no single vote, however trusted, decides alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from crowdset.errors import InvalidInput

ACCURACY_CLIP = (0.05, 0.99)


class Verdict(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    UNDECIDED = "undecided"  # needs one more judgment
    UNSETTLED = "unsettled"  # reached the maximum without confidence


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    prob_good: float  # posterior probability that the unit is good

    @property
    def confidence(self) -> float:
        return max(self.prob_good, 1.0 - self.prob_good)


def log_odds(accuracy: float) -> float:
    low, high = ACCURACY_CLIP
    p = min(max(accuracy, low), high)
    return math.log(p / (1.0 - p))


def weighted_verdict(
    votes: Sequence[tuple[bool, float]],
    *,
    prior_good: float,
    target: float,
    min_votes: int,
    max_votes: int,
) -> Decision:
    """Decide from ``votes`` = (says good?, voter accuracy) pairs.

    ``ACCEPT``/``REJECT`` once ``min_votes`` are in and the posterior of the winning side
    reaches ``target``; ``UNDECIDED`` while fewer than ``max_votes`` are in; ``UNSETTLED`` at
    ``max_votes`` without confidence (the caller decides what that means: at close such a
    unit is paid but kept out of the data).
    """
    if not 0.0 < prior_good < 1.0:
        raise InvalidInput(f"prior_good must lie in (0, 1), got {prior_good!r}", field="prior")
    if not 0.5 < target < 1.0:
        raise InvalidInput(f"target must lie in (0.5, 1), got {target!r}", field="target")
    if not 1 <= min_votes <= max_votes:
        raise InvalidInput(
            f"need 1 ≤ min_votes ≤ max_votes, got {min_votes}, {max_votes}", field="min_votes"
        )
    total = math.log(prior_good / (1.0 - prior_good))
    for good, accuracy in votes:
        weight = log_odds(accuracy)
        total += weight if good else -weight
    prob_good = 1.0 / (1.0 + math.exp(-total))
    if len(votes) >= min_votes:
        if prob_good >= target:
            return Decision(Verdict.ACCEPT, prob_good)
        if 1.0 - prob_good >= target:
            return Decision(Verdict.REJECT, prob_good)
    if len(votes) < max_votes:
        return Decision(Verdict.UNDECIDED, prob_good)
    return Decision(Verdict.UNSETTLED, prob_good)
