"""The lock rule of SPEC §1 as a state machine: lock on failure, unlock after 3 successes in a row
on the same track once no track is locked. A withdrawal block only: nothing is ever forfeited
(the penalty is revocation with a fine, SPEC §6.4)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdset.core.standing import (
    UNLOCK_STREAK,
    Outcome,
    StakeMove,
    Standing,
    Track,
    record_failure,
    record_success,
)

GEN, VAL = Track.GENERATION, Track.VALIDATION


def run(
    events: list[tuple[Track, bool]], *, start: Standing | None = None
) -> tuple[Standing, list[StakeMove]]:
    """Apply (track, success) events in order; the final standing and every move."""
    standing = start or Standing()
    moves: list[StakeMove] = []
    for track, success in events:
        outcome: Outcome = (
            record_success(standing, track) if success else record_failure(standing, track)
        )
        standing = outcome.standing
        moves.append(outcome.move)
    return standing, moves


def test_a_new_worker_is_unlocked() -> None:
    standing = Standing()
    assert not standing.locked
    assert standing.successes_to_unlock(GEN) == standing.successes_to_unlock(VAL) == 0


@pytest.mark.parametrize("track", list(Track), ids=str)
def test_a_failure_locks_the_stake(track: Track) -> None:
    outcome = record_failure(Standing(), track)
    assert outcome.move is StakeMove.LOCK
    assert outcome.standing.is_locked(track)
    assert outcome.standing.locked
    assert outcome.standing.successes_to_unlock(track) == UNLOCK_STREAK == 3


@pytest.mark.parametrize("track", list(Track), ids=str)
def test_three_successes_in_a_row_unlock(track: Track) -> None:
    standing, moves = run([(track, False), (track, True), (track, True), (track, True)])
    assert moves == [StakeMove.LOCK, StakeMove.NONE, StakeMove.NONE, StakeMove.UNLOCK]
    assert standing == Standing()


def test_the_streak_counts_down_to_unlock() -> None:
    standing, _ = run([(GEN, False), (GEN, True)])
    assert standing.streak(GEN) == 1
    assert standing.successes_to_unlock(GEN) == 2
    standing, _ = run([(GEN, True)], start=standing)
    assert standing.successes_to_unlock(GEN) == 1


def test_a_failure_resets_the_streak() -> None:
    standing, moves = run([(GEN, False), (GEN, True), (GEN, True), (GEN, False), (GEN, True)])
    assert moves == [StakeMove.LOCK] + [StakeMove.NONE] * 4
    assert standing.generation_locked
    assert standing.successes_to_unlock(GEN) == 2
    standing, moves = run([(GEN, True), (GEN, True)], start=standing)
    assert moves == [StakeMove.NONE, StakeMove.UNLOCK]
    assert not standing.locked


def test_successes_on_the_other_track_do_not_count() -> None:
    standing, moves = run([(GEN, False), (VAL, True), (VAL, True), (VAL, True)])
    assert moves == [StakeMove.LOCK] + [StakeMove.NONE] * 3
    assert standing.generation_locked
    assert standing.successes_to_unlock(GEN) == 3


def test_unlock_waits_until_the_other_track_is_unlocked_too() -> None:
    events = [(GEN, False), (VAL, False), (GEN, True), (GEN, True), (GEN, True)]
    standing, moves = run(events)
    # the second lock moves nothing: the stake is already locked
    assert moves == [StakeMove.LOCK] + [StakeMove.NONE] * 4
    assert not standing.generation_locked
    assert standing.validation_locked and standing.locked
    standing, moves = run([(VAL, True)] * 3, start=standing)
    assert moves == [StakeMove.NONE, StakeMove.NONE, StakeMove.UNLOCK]
    assert standing == Standing()


@pytest.mark.parametrize("track", list(Track), ids=str)
def test_successes_while_unlocked_change_nothing(track: Track) -> None:
    for start in (Standing(), Standing(validation_locked=True, validation_streak=1)):
        if start.is_locked(track):
            continue
        outcome = record_success(start, track)
        assert outcome == Outcome(start, StakeMove.NONE)


def test_a_repeat_failure_while_locked_only_resets_the_streak() -> None:
    standing, moves = run([(GEN, False), (GEN, True), (GEN, False)])
    assert moves == [StakeMove.LOCK, StakeMove.NONE, StakeMove.NONE]
    assert standing.generation_locked
    assert standing.streak(GEN) == 0


def test_a_failure_on_the_other_track_moves_nothing_more() -> None:
    _, moves = run([(GEN, False), (VAL, False)])
    assert moves == [StakeMove.LOCK, StakeMove.NONE]


def test_no_move_takes_stake_away() -> None:
    assert {move.value for move in StakeMove} == {"none", "lock", "unlock"}


# --- property: the rule against a reference model written from SPEC §1 ------------------------


@dataclass
class Reference:
    """The lock rule, written plainly: per track a lock and a streak of successes."""

    locked: dict[Track, bool] = field(default_factory=lambda: dict.fromkeys(Track, False))
    streak: dict[Track, int] = field(default_factory=lambda: dict.fromkeys(Track, 0))

    def apply(self, track: Track, success: bool) -> StakeMove:
        any_locked_before = any(self.locked.values())
        if success:
            if not self.locked[track]:
                return StakeMove.NONE
            self.streak[track] += 1
            if self.streak[track] < 3:
                return StakeMove.NONE
            self.locked[track], self.streak[track] = False, 0
            return StakeMove.NONE if any(self.locked.values()) else StakeMove.UNLOCK
        self.locked[track], self.streak[track] = True, 0
        return StakeMove.NONE if any_locked_before else StakeMove.LOCK

    def standing(self) -> Standing:
        return Standing(
            generation_locked=self.locked[GEN],
            generation_streak=self.streak[GEN],
            validation_locked=self.locked[VAL],
            validation_streak=self.streak[VAL],
        )


events = st.lists(st.tuples(st.sampled_from(list(Track)), st.booleans()), max_size=60)


@given(events=events)
def test_the_rule_matches_the_reference_model(events: list[tuple[Track, bool]]) -> None:
    model = Reference()
    standing = Standing()
    for track, success in events:
        outcome = record_success(standing, track) if success else record_failure(standing, track)
        assert outcome.move is model.apply(track, success), (track, success)
        standing = outcome.standing
        assert standing == model.standing()
        for each in Track:
            assert 0 <= standing.streak(each) < UNLOCK_STREAK
            assert standing.streak(each) == 0 or standing.is_locked(each)


@given(events=events)
def test_stake_moves_keep_the_stake_where_the_standing_says(
    events: list[tuple[Track, bool]],
) -> None:
    """Following only the moves, the stake is in `locked` exactly when the standing is locked:
    never locked twice, never unlocked while a track still holds it."""
    in_locked = False
    standing = Standing()
    for track, success in events:
        outcome = record_success(standing, track) if success else record_failure(standing, track)
        if outcome.move is StakeMove.LOCK:
            assert not in_locked
            in_locked = True
        elif outcome.move is StakeMove.UNLOCK:
            assert in_locked
            in_locked = False
        standing = outcome.standing
        assert in_locked == standing.locked
