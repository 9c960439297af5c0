"""SPEC §4 reviewer weight: one test per formula, named after it, with worked values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crowdset.aggregation import (
    ReviewerWeightedScore,
    calibrate_sigma,
    reviewer_error,
    reviewer_weight,
    reviewer_weights,
)
from crowdset.errors import InvalidInput


@pytest.mark.parametrize(
    ("ratings", "final", "wrong", "expected"),
    [
        ([5, 4, 3], [5, 4, 3], 0, 0.0),
        ([5, 4, 3], [4.5, 4, 2.5], 0, math.sqrt(1 / 6)),
        ([5, 4, 3], [4.5, 4, 2.5], 2, math.sqrt(1 / 6) + 0.1),
        ([], [], 3, 0.15),
    ],
    ids=["exact", "rms-only", "rms-plus-2-wrong-challenges", "challenges-only"],
)
def test_reviewer_error(
    ratings: list[float], final: list[float], wrong: int, expected: float
) -> None:
    assert reviewer_error(ratings, final, wrong) == pytest.approx(expected)


def test_reviewer_error_for_every_reviewer_at_once() -> None:
    errors = reviewer_error(
        [5, 4, 3, 1], [4.5, 4, 2.5, 2], np.array([2, 0, 1]), reviewer=np.array([0, 0, 0, 1])
    )
    assert errors.tolist() == pytest.approx([math.sqrt(1 / 6) + 0.1, 1.0, 0.05])


def test_reviewer_error_refuses_unpaired_scores() -> None:
    with pytest.raises(InvalidInput, match="must pair up"):
        reviewer_error([5, 4], [5], 0)


@pytest.mark.parametrize(
    ("x", "sigma", "expected"),
    [
        (0.0, 0.5, 1.2),
        (0.5, 0.5, 0.8 + 0.4 * math.exp(-0.5)),
        (1.0, 0.5, 0.8 + 0.4 * math.exp(-2.0)),
        (50.0, 0.5, 0.8),
        (0.0, 0.0, 1.2),
        (0.3, 0.0, 0.8),
        (3.0, math.inf, 1.2),
    ],
    ids=["x0-gives-1.2", "x-equals-sigma", "x-twice-sigma", "far-gives-0.8", "sigma0-x0",
         "sigma0-x-positive", "sigma-inf"],
)  # fmt: skip
def test_reviewer_weight(x: float, sigma: float, expected: float) -> None:
    assert reviewer_weight(x, sigma) == pytest.approx(expected)


def test_reviewer_weight_vectorised_and_checked() -> None:
    weights = reviewer_weight(np.array([0.0, 0.5]), 0.5)
    assert weights.tolist() == pytest.approx([1.2, 0.8 + 0.4 * math.exp(-0.5)])
    with pytest.raises(InvalidInput, match="sigma must be ≥ 0"):
        reviewer_weight(0.1, -1.0)


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ([1.0, 1.0], 1 / math.sqrt(2 * math.log(2))),  # exp(−1/2σ²) = 1/2
        ([0.0, 1.0, 1.0, 1.0], 1 / math.sqrt(2 * math.log(3))),  # (1 + 3e)/4 = 1/2
        ([0.0, 2.0], 0.0),  # half at 0: the σ → 0 limit gives 1.2 and 0.8
        ([0.0, 0.0, 1.0], None),  # most at 0: no σ brings the mean down to 1
        ([0.0, 0.0], None),  # everyone perfect: every weight would be 1.2
    ],
    ids=["two-equal", "one-perfect-of-four", "half-perfect", "most-perfect", "all-perfect"],
)
def test_calibrate_sigma(errors: list[float], expected: float | None) -> None:
    sigma = calibrate_sigma(errors)
    if expected is None:
        assert sigma is None
    else:
        assert sigma == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("errors", [[], [0.1, -0.2], [math.nan]], ids=["none", "negative", "nan"])
def test_calibrate_sigma_refuses_bad_errors(errors: list[float]) -> None:
    with pytest.raises(InvalidInput):
        calibrate_sigma(errors)


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ([0.0, 1.0, 1.0, 1.0], [1.2, 0.8 + 0.4 / 3, 0.8 + 0.4 / 3, 0.8 + 0.4 / 3]),
        ([0.0, 2.0], [1.2, 0.8]),
        ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]),
        ([0.0, 0.0, 0.4], [1.0, 1.0, 1.0]),
        ([0.7], [1.0]),
    ],
    ids=["one-perfect-of-four", "half-perfect", "all-perfect", "most-perfect", "alone"],
)
def test_reviewer_weights(errors: list[float], expected: list[float]) -> None:
    weights = reviewer_weights(errors)
    assert weights.tolist() == pytest.approx(expected)
    assert weights.mean() == pytest.approx(1.0)


def _reviews(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def test_ReviewerWeightedScore_two_reviewers_one_pair() -> None:
    # weights start at 1: Score = 4; both are 1 off, so σ = 1/sqrt(2 ln 2) and weights stay 1
    model = ReviewerWeightedScore().fit(_reviews([("p1", "a", 5), ("p1", "b", 3)]))
    assert model.scores_["p1"] == pytest.approx(4.0)
    assert model.weights_.tolist() == pytest.approx([1.0, 1.0])
    assert model.errors_.tolist() == pytest.approx([1.0, 1.0])
    assert model.sigma_ == pytest.approx(1 / math.sqrt(2 * math.log(2)))
    assert model.n_iter_ == 1


def test_ReviewerWeightedScore_reaches_a_fixed_point() -> None:
    rows: list[tuple[str, str, float]] = [
        ("p1", "a", 5), ("p1", "b", 5), ("p1", "c", 2),
        ("p2", "a", 4), ("p2", "b", 3), ("p2", "c", 1),
        ("p3", "a", 2), ("p3", "b", 2), ("p3", "c", 5),
    ]  # fmt: skip
    data = _reviews(rows)
    model = ReviewerWeightedScore(tol=1e-12).fit(data)
    assert model.weights_.idxmin() == "c"
    assert model.weights_.mean() == pytest.approx(1.0)
    assert ((model.weights_ >= 0.8) & (model.weights_ <= 1.2)).all()
    # the scores are Σ a·s / Σ a with the fitted weights ...
    a = data["worker"].map(model.weights_)
    expected = (a * data["label"]).groupby(data["task"]).sum() / a.groupby(data["task"]).sum()
    assert model.scores_.to_dict() == pytest.approx(expected.to_dict())
    # ... and the weights are those of the errors against these scores
    final = data["task"].map(model.scores_)
    for reviewer, group in data.groupby("worker"):
        assert model.errors_[reviewer] == pytest.approx(
            reviewer_error(group["label"], final[group.index])
        )
    np.testing.assert_allclose(model.weights_, reviewer_weights(model.errors_), atol=1e-9)


def test_ReviewerWeightedScore_unanimous_reviewers_weigh_one() -> None:
    data = _reviews([("p1", "a", 4), ("p1", "b", 4), ("p2", "a", 2), ("p2", "b", 2)])
    model = ReviewerWeightedScore().fit(data)
    assert model.scores_.to_dict() == {"p1": 4.0, "p2": 2.0}
    assert model.weights_.tolist() == [1.0, 1.0]
    assert model.sigma_ is None


def test_ReviewerWeightedScore_wrong_challenges_cost_weight() -> None:
    data = _reviews(
        [("p1", "a", 5), ("p1", "b", 5), ("p1", "c", 3), ("p2", "a", 4), ("p2", "b", 4),
         ("p2", "c", 4)]
    )  # fmt: skip
    model = ReviewerWeightedScore().fit(data, pd.Series({"b": 3}))
    assert model.weights_["b"] < model.weights_["a"]
    assert model.errors_["b"] == pytest.approx(model.errors_["a"] + 0.15)
