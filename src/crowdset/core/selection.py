"""Who gets an offer (SPEC §1): among active eligible workers, shares ∝ ``ln(1 + stake)``.

The seed wrote ``log(stake_w) / Σ log(stake_j)``; ``1 +`` keeps a weight positive for any stake
and zero for none. Stake counts in whole credits (locked stake included), so the weight does not
depend on the currency's decimals. A campaign may multiply the weight by a predicted quality.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Candidate:
    worker_id: int
    stake: float  # credits, staked + locked
    quality: float = 1.0  # predicted quality in (0, 1], 1 when the campaign does not weight


def offer_weight(stake: float, quality: float = 1.0) -> float:
    return math.log1p(max(stake, 0.0)) * quality


def offer_shares(candidates: Sequence[Candidate]) -> list[float]:
    """Each candidate's probability of getting the next offer."""
    weights = [offer_weight(c.stake, c.quality) for c in candidates]
    total = sum(weights)
    if total <= 0:
        return [0.0 for _ in candidates]
    return [weight / total for weight in weights]


def draw(candidates: Sequence[Candidate], rng: np.random.Generator) -> Candidate | None:
    """One worker drawn with probability ∝ weight; ``None`` when nobody has any weight."""
    shares = offer_shares(candidates)
    if not candidates or sum(shares) <= 0:
        return None
    return candidates[int(rng.choice(len(candidates), p=np.asarray(shares) / sum(shares)))]


def predicted_quality(successes: int, failures: int) -> float:
    """Posterior mean of a Beta(1, 1) prior: a new worker starts at 0.5, not at zero."""
    return (1 + successes) / (2 + successes + failures)
