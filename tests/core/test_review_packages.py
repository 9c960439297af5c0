"""Review packages under probation and the forfeiture guard (SPEC §6.1, §6.5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdset.core.labeling.packages import package_challenges, rests_on_one_reviewer
from crowdset.errors import InvalidInput


@pytest.mark.parametrize(
    ("size", "share", "probation", "challenges"),
    [
        (10, 0.1, False, 1),
        (10, 0.1, True, 5),  # probation: half the package
        (2, 0.1, True, 1),  # always one real pair
        (50, 0.05, False, 2),
        (10, 0.0, False, 0),
    ],
)
def test_package_challenges(size: int, share: float, probation: bool, challenges: int) -> None:
    found = package_challenges(size, share, on_probation=probation, probation_share=0.5)
    assert found == challenges


@given(
    size=st.integers(1, 5000),
    share=st.floats(0, 0.5),
    probation=st.booleans(),
    probation_share=st.floats(0, 1),
)
def test_a_package_always_holds_real_work(
    size: int, share: float, probation: bool, probation_share: float
) -> None:
    found = package_challenges(size, share, on_probation=probation, probation_share=probation_share)
    assert 0 <= found <= max(0, size - 1)


def test_an_empty_package_is_refused() -> None:
    with pytest.raises(InvalidInput, match="at least one pair"):
        package_challenges(0, 0.1, on_probation=False, probation_share=0.5)


HONEST = [4.0, 2.0, 5.0, 1.0, 3.0, 4.0]


def _rows(randoms: list[float]) -> list[tuple[float, list[tuple[int, float, float]], None]]:
    """An honest package (ratings ``HONEST``), judged against another honest reviewer (1,
    agreeing) and reviewer 2 rating at random; reviewer 2 weighs 3× as much."""
    return [
        (stars, [(1, stars, 1.0), (2, noise, 3.0)], None)
        for stars, noise in zip(HONEST, randoms, strict=True)
    ]


def test_a_package_failed_only_because_of_one_unestablished_reviewer_is_spared() -> None:
    rows = _rows([1.0, 5.0, 1.0, 5.0, 1.0, 1.0])
    assert rests_on_one_reviewer(rows, {2}, max_error=1.5)


def test_a_package_failed_by_established_references_is_not_spared() -> None:
    rows = _rows([1.0, 5.0, 1.0, 5.0, 1.0, 1.0])
    assert not rests_on_one_reviewer(rows, set(), max_error=1.5)  # reviewer 2 established


def test_a_package_far_from_every_reference_is_not_spared() -> None:
    """A spammer's package: constant 5 stars against two agreeing honest references."""
    rows = [(5.0, [(1, stars, 1.0), (2, stars, 1.0)], None) for stars in [1.0, 2.0, 1.0, 2.0]]
    assert not rests_on_one_reviewer(rows, {1, 2}, max_error=1.5)


def test_challenges_stay_in_the_error_whoever_is_left_out() -> None:
    rows = [(5.0, [], 1.0), (5.0, [], 1.0), (3.0, [(2, 3.0, 1.0)], None)]
    assert not rests_on_one_reviewer(rows, {2}, max_error=1.5)


def test_an_oracles_package_is_not_spared_by_leaving_out_its_only_real_reference() -> None:
    """Challenges right, real pairs at random, each real pair rated by one other reviewer:
    without that reviewer only the challenges are left, which would pass it."""
    rows = [
        (5.0, [], 5.0),
        (1.0, [], 1.0),
        (1.0, [(2, 5.0, 1.0)], None),
        (5.0, [(2, 1.0, 1.0)], None),
    ]
    assert not rests_on_one_reviewer(rows, {2}, max_error=1.5)
