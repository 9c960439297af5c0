"""Majority vote and weighted majority vote: worked examples."""

from __future__ import annotations

import pandas as pd
import pytest

from crowdset.aggregation import MajorityVote, WeightedMajorityVote
from crowdset.errors import InvalidInput

VOTES = pd.DataFrame(
    {
        "task": ["t1", "t1", "t1", "t2", "t2", "t3", "t3"],
        "worker": ["ann", "bob", "cy", "ann", "bob", "ann", "cy"],
        "label": [1, 1, 0, 0, 1, 2, 2],
    }
)


def test_majority_vote_shares_and_labels() -> None:
    model = MajorityVote().fit(VOTES)
    # t2 ties 0 against 1: 1 is the label of the frame's first row, so it wins
    assert model.labels_.to_dict() == {"t1": 1, "t2": 1, "t3": 2}
    assert list(model.probas_.loc["t1"]) == pytest.approx([1 / 3, 2 / 3, 0.0])
    assert list(model.probas_.loc["t2"]) == pytest.approx([0.5, 0.5, 0.0])
    # agreement with the result: ann t1 and t3 (2 of 3), bob 2 of 2, cy t3 only (1 of 2)
    assert model.skills_.to_dict() == pytest.approx({"ann": 2 / 3, "bob": 1.0, "cy": 0.5})


def test_majority_vote_smallest_tie_break() -> None:
    model = MajorityVote(tie_break="smallest").fit(VOTES)
    assert model.labels_.to_dict() == {"t1": 1, "t2": 0, "t3": 2}  # t2 ties: smallest label
    # agreement with the result: ann 3 of 3, bob t1 only (1 of 2), cy t3 only (1 of 2)
    assert model.skills_.to_dict() == pytest.approx({"ann": 1.0, "bob": 0.5, "cy": 0.5})


def test_first_seen_ties_follow_the_whole_frame_not_the_task() -> None:
    # "b" comes first in the frame, although "a" is answered first within t2
    data = pd.DataFrame(
        {"task": ["t1", "t2", "t2"], "worker": ["w1", "w1", "w2"], "label": ["b", "a", "b"]}
    )
    assert MajorityVote().fit_predict(data)["t2"] == "b"
    assert MajorityVote(tie_break="smallest").fit_predict(data)["t2"] == "a"
    # the same answers in another row order: first_seen follows the rows, smallest does not
    reordered = data.iloc[[1, 2, 0]]
    assert MajorityVote().fit_predict(reordered)["t2"] == "a"
    assert MajorityVote(tie_break="smallest").fit_predict(reordered)["t2"] == "a"


def test_unknown_tie_break_is_refused() -> None:
    with pytest.raises(InvalidInput, match="tie_break must be"):
        MajorityVote(tie_break="largest").fit(VOTES)  # type: ignore[arg-type]


def test_majority_vote_random_tie_break_is_reproducible() -> None:
    ties = pd.DataFrame(
        {"task": [f"t{i}" for i in range(40) for _ in (0, 1)], "worker": ["a", "b"] * 40,
         "label": ["x", "y"] * 40}
    )  # fmt: skip
    first = MajorityVote(tie_break="random", rng=7).fit_predict(ties)
    again = MajorityVote(tie_break="random", rng=7).fit_predict(ties)
    assert first.equals(again)
    assert set(first) == {"x", "y"}
    assert set(MajorityVote().fit_predict(ties)) == {"x"}
    assert set(MajorityVote(tie_break="smallest").fit_predict(ties)) == {"x"}


@pytest.mark.parametrize(
    ("weights", "expected_t2"),
    [
        (pd.Series({"ann": 2.0, "bob": 1.0, "cy": 1.0}), 0),
        (pd.Series({"ann": 1.0, "bob": 3.0, "cy": 1.0}), 1),
    ],
    ids=["ann-weighs-more", "bob-weighs-more"],
)
def test_weighted_majority_vote(weights: pd.Series, expected_t2: int) -> None:
    model = WeightedMajorityVote().fit(VOTES, weights)
    assert model.labels_["t2"] == expected_t2
    total = weights["ann"] + weights["bob"]
    assert model.probas_.loc["t2", 0] == pytest.approx(weights["ann"] / total)


def test_weighted_majority_vote_ties_go_to_the_smallest_label() -> None:
    # crowd-kit sums weights with a sorted groupby: a weighted tie goes to the smallest label
    equal = pd.Series({"ann": 1.0, "bob": 1.0, "cy": 1.0})
    assert WeightedMajorityVote().fit_predict(VOTES, equal)["t2"] == 0
    first_seen = WeightedMajorityVote(tie_break="first_seen").fit_predict(VOTES, equal)
    assert first_seen["t2"] == 1


def test_weighted_majority_vote_missing_weight() -> None:
    with pytest.raises(InvalidInput, match=r"1 worker\(s\) have no weight, e\.g\. \[.cy.\]"):
        WeightedMajorityVote().fit(VOTES, pd.Series({"ann": 1.0, "bob": 1.0}))
    model = WeightedMajorityVote(default_weight=0.0).fit(VOTES, pd.Series({"ann": 1.0, "bob": 1.0}))
    # cy weighs 0; t3 still has ann
    assert model.labels_["t3"] == 2


def test_weighted_majority_vote_all_zero_weights_fall_back_to_counts() -> None:
    model = WeightedMajorityVote().fit(VOTES, pd.Series({"ann": 0.0, "bob": 0.0, "cy": 0.0}))
    assert list(model.probas_.loc["t1"]) == pytest.approx([1 / 3, 2 / 3, 0.0])


def test_weighted_majority_vote_refuses_negative_weights() -> None:
    with pytest.raises(InvalidInput, match="finite and ≥ 0"):
        WeightedMajorityVote().fit(VOTES, pd.Series({"ann": -1.0, "bob": 1.0, "cy": 1.0}))


def test_weighted_majority_vote_requires_weights() -> None:
    with pytest.raises(InvalidInput, match="weights are required"):
        WeightedMajorityVote().fit(VOTES)
