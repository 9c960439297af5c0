"""Who gets an offer (SPEC §1, §6.6): among active eligible workers, shares ∝ offer weight.

The default weight is **sybil-neutral**: ``min(stake, stake_cap) × quality``. Below the cap,
splitting one stake over k accounts leaves the total weight unchanged, so k accounts get no
more offers than one. The seed's ``ln(1 + stake)`` (it wrote ``log(stake_w) / Σ log(stake_j)``)
stays a campaign option (``mechanism.selection: ln1p``): it dampens wealth, but being concave
it pays a person for splitting (10 accounts got 5.2× the weight of one with the same stake).

Stake counts in credits (locked stake included), so the weight does not depend on the
currency's decimals. A campaign may multiply the weight by a predicted quality.

Shares hold also when work is plentiful: a worker who asks is admitted to new work with
probability ``weight / largest weight`` among the active candidates (:func:`admits`); workers
asking equally often then receive offers in proportion to their weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

SelectionRule = Literal["stake_cap", "ln1p"]
DEFAULT_STAKE_CAP = 1000.0


@dataclass(frozen=True)
class Candidate:
    worker_id: int
    stake: float  # credits, staked + locked
    quality: float = 1.0  # predicted quality in (0, 1], 1 when the campaign does not weight


def offer_weight(
    stake: float,
    quality: float = 1.0,
    *,
    rule: SelectionRule = "stake_cap",
    cap: float = DEFAULT_STAKE_CAP,
) -> float:
    """``min(stake, cap) × quality`` (sybil-neutral below the cap) or ``ln(1 + stake) ×
    quality`` (the seed's rule)."""
    stake = max(stake, 0.0)
    base = math.log1p(stake) if rule == "ln1p" else min(stake, cap)
    return base * max(quality, 0.0)


def offer_shares(
    candidates: Sequence[Candidate],
    *,
    rule: SelectionRule = "stake_cap",
    cap: float = DEFAULT_STAKE_CAP,
) -> list[float]:
    """Each candidate's probability of getting the next offer."""
    weights = [offer_weight(c.stake, c.quality, rule=rule, cap=cap) for c in candidates]
    total = sum(weights)
    if total <= 0:
        return [0.0 for _ in candidates]
    return [weight / total for weight in weights]


def draw(
    candidates: Sequence[Candidate],
    rng: np.random.Generator,
    *,
    rule: SelectionRule = "stake_cap",
    cap: float = DEFAULT_STAKE_CAP,
) -> Candidate | None:
    """One worker drawn with probability ∝ weight; ``None`` when nobody has any weight."""
    shares = offer_shares(candidates, rule=rule, cap=cap)
    if not candidates or sum(shares) <= 0:
        return None
    return candidates[int(rng.choice(len(candidates), p=np.asarray(shares) / sum(shares)))]


def admission_chance(
    asker_id: int,
    candidates: Sequence[Candidate],
    *,
    rule: SelectionRule = "stake_cap",
    cap: float = DEFAULT_STAKE_CAP,
) -> float:
    """The asker's chance of new work on this ask: their weight over the largest weight among
    the active candidates. Workers asking equally often then receive offers in proportion to
    their weights (the same shares as one draw per offer), while the heaviest worker is always
    admitted, so a campaign is never held below its crowd's pace: with ten equal workers each
    ask is admitted (a draw of one per ask would admit a tenth of them and leave 90% idle)."""
    weights = {
        c.worker_id: offer_weight(c.stake, c.quality, rule=rule, cap=cap) for c in candidates
    }
    top = max(weights.values(), default=0.0)
    if top <= 0 or weights.get(asker_id, 0.0) <= 0:
        return 0.0
    return weights[asker_id] / top


def admits(
    asker_id: int,
    candidates: Sequence[Candidate],
    rng: np.random.Generator,
    *,
    rule: SelectionRule = "stake_cap",
    cap: float = DEFAULT_STAKE_CAP,
) -> bool:
    """Does the asking worker get new work now? Yes with :func:`admission_chance`. A worker not
    among the candidates (no stake, not eligible) is never admitted; the heaviest always is."""
    chance = admission_chance(asker_id, candidates, rule=rule, cap=cap)
    return chance >= 1.0 or (chance > 0.0 and bool(rng.random() < chance))


def predicted_quality(successes: int, failures: int) -> float:
    """Posterior mean of a Beta(1, 1) prior: a new worker starts at 0.5, not at zero."""
    return (1 + successes) / (2 + successes + failures)
