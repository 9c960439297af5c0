"""Who gets an offer (SPEC §1, §6.6): among active eligible workers, shares ∝ offer weight.

The default weight is **sybil-neutral**: ``min(stake, stake_cap) × quality``. Below the cap,
splitting one stake over k accounts leaves the total weight unchanged, so k accounts get no
more offers than one. The seed's ``ln(1 + stake)`` (it wrote ``log(stake_w) / Σ log(stake_j)``)
stays a campaign option (``mechanism.selection: ln1p``): it dampens wealth, but being concave
it pays a person for splitting (10 accounts got 5.2× the weight of one with the same stake).

Stake counts in credits (locked stake included), so the weight does not depend on the
currency's decimals. A campaign may multiply the weight by a predicted quality.

Shares hold also when work is plentiful, and however often a worker asks, through **admission
tickets** (:func:`tickets_won`). Time is cut into slots of one pacing interval (one task's
modelled time, :func:`pacing_seconds`: the wait a refused worker is told). Each account holds
one ticket per slot, a number in [0, 1) fixed by a keyed hash of (campaign, account, slot)
(:func:`ticket`); it wins when it is below the account's :func:`admission_chance`, ``weight /
largest weight`` among the active candidates. An ask is admitted when a ticket it may use wins,
and gets at most one new offer per winning ticket; the heaviest worker's asks are always
admitted, up to their open-offer limit, so the crowd's pace is never held back. The tickets an
ask may use are the current slot's, and, on the first asks after the account's offers are all
done, every slot it spent holding them (:func:`ticket_slots`): a worker busy on a task keeps the
draws of the slots it spent working, an idle one must ask in the slot to use its ticket.

So a person's new work is bounded by their weight, not by how they ask: k accounts holding
``stake / k`` each have k tickets a slot winning with ``1 / k`` of one account's chance. Asking
again within a slot draws nothing new (a refused ask writes nothing: the hash is the record);
asking from k browsers at once, or holding offers on one account while the others ask, wins no
more than one account that asks whenever it is free, because that account keeps its tickets
while it works. What accounts cannot share is the open-offer limit: k accounts may hold
``k × max_open_offers`` offers at once, but they receive them no faster.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
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
    """The chance that each of the asker's tickets wins (:func:`tickets_won`): their weight
    over the largest weight among the active candidates. Workers then receive new work in
    proportion to their weights (the same shares as one draw per offer), while the heaviest
    worker's every ticket wins, so a campaign is never held below its crowd's pace: ten equal
    workers are all admitted (a draw of one per ask would admit a tenth of them and leave 90%
    idle)."""
    weights = {
        c.worker_id: offer_weight(c.stake, c.quality, rule=rule, cap=cap) for c in candidates
    }
    top = max(weights.values(), default=0.0)
    if top <= 0 or weights.get(asker_id, 0.0) <= 0:
        return 0.0
    return weights[asker_id] / top


ASK_AGAIN_MIN_SECONDS = 2
ASK_AGAIN_MAX_SECONDS = 60
MAX_TICKET_SLOTS = 4096  # the most slots of a hold counted (2.3 hours at 2 s a slot)


def pacing_seconds(task_seconds: float) -> int:
    """The pacing interval, and the length of a ticket's slot: one task's modelled time in
    seconds, rounded up, within [2, 60] (``10 → 10``, ``5.2 → 6``, ``0.5 → 2``, ``600 → 60``)."""
    return min(ASK_AGAIN_MAX_SECONDS, max(ASK_AGAIN_MIN_SECONDS, math.ceil(task_seconds)))


def slot_of(seconds: float, pacing: int) -> int:
    """The slot a moment falls in, ``seconds`` after the campaign's launch: ``⌊seconds /
    pacing⌋``."""
    return math.floor(seconds / pacing)


def ticket(key: bytes, campaign_id: int, worker_id: int, slot: int) -> float:
    """The account's ticket for the slot: uniform in [0, 1), the first 8 bytes of
    ``BLAKE2b(key; campaign, worker, slot)`` over 2⁶⁴. Fixed by its inputs, so asking again
    in the slot draws nothing new; keyed, so nobody can read tickets ahead without the key."""
    digest = hashlib.blake2b(
        f"{campaign_id}:{worker_id}:{slot}".encode(), key=key[:64], digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2**64


def ticket_slots(now: int, hold: tuple[int, int | None] | None = None) -> range:
    """The slots whose tickets an ask in slot ``now`` may use: ``now``'s; and when the
    account's last offers, made in slot ``hold[0]``, were all done in slot ``hold[1]`` = ``now``
    or ``now - 1``, every slot after the one they were made in (a worker keeps the draws of
    the slots spent working). At most ``MAX_TICKET_SLOTS``, the latest. ``hold[1]`` is
    ``None`` while some of those offers are still held: then only a later slot's ticket.

    ``(12, None) → 12..12``; ``(12, (7, 11)) → 8..12``; ``(12, (7, 9)) → 12..12`` (the hold
    ended two slots ago: the ticket must be used in its slot); ``(12, (12, 12)) → empty`` and
    ``(12, (12, None)) → empty`` (the slot's ticket already made those offers)."""
    if hold is not None:
        made, done = hold
        if done is None:
            return range(max(made + 1, now), now + 1)
        if done >= now - 1:
            return range(max(made + 1, now + 1 - MAX_TICKET_SLOTS), now + 1)
    return range(now, now + 1)


def tickets_won(chance: float, slots: range, draw: Callable[[int], float], *, most: int) -> int:
    """How many of the slots' tickets win (``draw(slot) < chance``), counted up to ``most``
    (the offers the ask could take). ``chance`` is :func:`admission_chance`: 0 wins none; 1,
    the heaviest worker's, wins ``most`` on every ask, used tickets or not, so the heaviest
    never waits (nobody gains by splitting into the heaviest: splitting lowers the weight)."""
    if chance <= 0 or most <= 0:
        return 0
    if chance >= 1.0:
        return most
    won = 0
    for slot in slots:
        if draw(slot) < chance:
            won += 1
            if won >= most:
                break
    return won


def predicted_quality(successes: int, failures: int) -> float:
    """Posterior mean of a Beta(1, 1) prior: a new worker starts at 0.5, not at zero."""
    return (1 + successes) / (2 + successes + failures)
