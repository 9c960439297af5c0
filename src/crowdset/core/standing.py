"""The lock rule of SPEC §1, as a pure state machine: a withdrawal block, never a penalty.

A generator whose query is rejected, or a validator who disagrees with a confident decision, has
their stake moved to ``locked`` until they complete 3 consecutive successes of the same kind
(accepted queries, or votes not contradicted). Generation and validation locks are tracked apart;
the stake comes back once neither is held. Locked stake cannot be withdrawn, so nobody unstakes
ahead of a fine; the penalty itself is revocation with a fine on evidence (SPEC §6.4,
``core.mechanism``), which replaced the seed's forfeit of locked stake.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

UNLOCK_STREAK = 3


class Track(StrEnum):
    GENERATION = "generation"
    VALIDATION = "validation"


@dataclass(frozen=True)
class Standing:
    generation_locked: bool = False
    generation_streak: int = 0
    validation_locked: bool = False
    validation_streak: int = 0

    @property
    def locked(self) -> bool:
        return self.generation_locked or self.validation_locked

    def is_locked(self, track: Track) -> bool:
        return self.generation_locked if track is Track.GENERATION else self.validation_locked

    def streak(self, track: Track) -> int:
        return self.generation_streak if track is Track.GENERATION else self.validation_streak

    def successes_to_unlock(self, track: Track) -> int:
        return UNLOCK_STREAK - self.streak(track) if self.is_locked(track) else 0


class StakeMove(StrEnum):
    NONE = "none"
    LOCK = "lock"  # staked → locked
    UNLOCK = "unlock"  # locked → staked


@dataclass(frozen=True)
class Outcome:
    standing: Standing
    move: StakeMove


def _set(standing: Standing, track: Track, *, locked: bool, streak: int) -> Standing:
    if track is Track.GENERATION:
        return replace(standing, generation_locked=locked, generation_streak=streak)
    return replace(standing, validation_locked=locked, validation_streak=streak)


def record_success(standing: Standing, track: Track) -> Outcome:
    if not standing.is_locked(track):
        return Outcome(standing, StakeMove.NONE)
    streak = standing.streak(track) + 1
    if streak < UNLOCK_STREAK:
        return Outcome(_set(standing, track, locked=True, streak=streak), StakeMove.NONE)
    after = _set(standing, track, locked=False, streak=0)
    return Outcome(after, StakeMove.NONE if after.locked else StakeMove.UNLOCK)


def record_failure(standing: Standing, track: Track) -> Outcome:
    was_locked = standing.locked
    after = _set(standing, track, locked=True, streak=0)
    # stake already locked (by either track) stays where it is: a repeat failure only resets
    # the streak
    return Outcome(after, StakeMove.NONE if was_locked else StakeMove.LOCK)
