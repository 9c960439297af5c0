"""Properties every aggregator keeps (STYLE habit 9), checked with Hypothesis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdset.aggregation import (
    GLAD,
    MACE,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    RaterNormalisedMean,
    ReviewerWeightedScore,
    WeightedMajorityVote,
    WeightedMeanRating,
    reviewer_weight,
    reviewer_weights,
)

FAST = settings(max_examples=25, deadline=None)

Fit = Callable[[pd.DataFrame], Any]


def _weights(data: pd.DataFrame) -> pd.Series:
    workers = pd.unique(data["worker"])
    return pd.Series(np.linspace(1.0, 2.0, len(workers)), index=workers)


CLASSIFIERS: dict[str, Fit] = {
    "MajorityVote": lambda d: MajorityVote().fit(d),
    "WeightedMajorityVote": lambda d: WeightedMajorityVote().fit(d, _weights(d)),
    "DawidSkene": lambda d: DawidSkene().fit(d),
    "OneCoinDawidSkene": lambda d: OneCoinDawidSkene().fit(d),
    "GLAD": lambda d: GLAD().fit(d),
    "MACE": lambda d: MACE(n_restarts=3, n_iter=30, rng=1).fit(d),
}
RATERS: dict[str, Fit] = {
    "WeightedMeanRating": lambda d: WeightedMeanRating().fit(d, _weights(d)),
    "RaterNormalisedMean": lambda d: RaterNormalisedMean().fit(d),
    "ReviewerWeightedScore": lambda d: ReviewerWeightedScore().fit(d),
}

LABEL_SETS = [[0, 1], ["no", "yes"], [1, 2, 3], ["a", "b", "c", "d"]]


@st.composite
def answer_frames(
    draw: st.DrawFn, unanimous: bool = False, ratings: bool = False, full_overlap: bool = False
) -> pd.DataFrame:
    """Small frames: every task answered by 1–5 distinct workers (all of them with
    ``full_overlap``)."""
    pool: list[Any] = [1, 2, 3, 4, 5] if ratings else draw(st.sampled_from(LABEL_SETS))
    n_workers = draw(st.integers(1, 5))
    rows = []
    for task in range(draw(st.integers(1, 7))):
        workers = (
            list(range(n_workers))
            if full_overlap
            else draw(
                st.lists(st.integers(0, n_workers - 1), min_size=1, max_size=n_workers, unique=True)
            )
        )
        agreed = draw(st.sampled_from(pool))
        for worker in workers:
            label = agreed if unanimous else draw(st.sampled_from(pool))
            rows.append((task, worker, label))
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def _rename(data: pd.DataFrame) -> pd.DataFrame:
    return data.assign(
        task=[f"task-{t * 7919 % 10007}" for t in data["task"]],
        worker=[f"worker-{w}-x" for w in data["worker"]],
    )


def _task_names(data: pd.DataFrame) -> dict[Any, str]:
    return dict(zip(data["task"], _rename(data)["task"], strict=True))


@FAST
@given(data=answer_frames())
def test_renaming_workers_or_tasks_changes_nothing(data: pd.DataFrame) -> None:
    names = _task_names(data)
    renamed = _rename(data)
    for name, fit in CLASSIFIERS.items():
        before, after = fit(data), fit(renamed)
        assert before.labels_.rename(names).to_dict() == after.labels_.to_dict(), name
        np.testing.assert_allclose(
            before.probas_.rename(index=names).loc[after.probas_.index].to_numpy(),
            after.probas_.to_numpy(),
            atol=1e-9,
            err_msg=name,
        )


@FAST
@given(data=answer_frames(ratings=True))
def test_renaming_raters_or_tasks_changes_no_score(data: pd.DataFrame) -> None:
    names = _task_names(data)
    for name, fit in RATERS.items():
        before, after = fit(data).scores_, fit(_rename(data)).scores_
        assert before.rename(names).to_dict() == after.to_dict(), name


def _crowdkit_majority_vote(data: pd.DataFrame, label_order: list[Any]) -> dict[Any, Any]:
    """crowd-kit 1.4.2's MajorityVote, spelled out: vote counts with the labels as columns in
    ``label_order``, then ``idxmax`` (the first column of highest count)."""
    counts = data.groupby(["task", "label"]).size().unstack("label", fill_value=0)
    return counts[label_order].idxmax(axis="columns").to_dict()


@FAST
@given(data=answer_frames(), seed=st.integers(0, 2**16))
def test_majority_vote_ties_follow_crowdkit(data: pd.DataFrame, seed: int) -> None:
    shuffled = data.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    smallest = MajorityVote(tie_break="smallest")
    for frame in (data, shuffled):
        appearance = list(pd.unique(frame["label"]))
        # pandas >= 3: value_counts keeps the labels in order of appearance
        expected = _crowdkit_majority_vote(frame, appearance)
        assert MajorityVote().fit_predict(frame).to_dict() == expected
        # pandas < 3: value_counts sorts them; also crowd-kit's weighted form (sorted groupby)
        expected = _crowdkit_majority_vote(frame, sorted(appearance))
        assert smallest.fit_predict(frame).to_dict() == expected
    assert smallest.fit_predict(data).to_dict() == smallest.fit_predict(shuffled).to_dict()


@FAST
@given(data=answer_frames(unanimous=True))
def test_unanimous_answers_give_the_unanimous_label(data: pd.DataFrame) -> None:
    agreed = data.groupby("task")["label"].first()
    for name, fit in CLASSIFIERS.items():
        if name == "DawidSkene":
            continue  # see the next two tests
        assert fit(data).labels_.sort_index().to_dict() == agreed.to_dict(), name


@FAST
@given(data=answer_frames(unanimous=True, full_overlap=True))
def test_unanimous_answers_give_the_unanimous_label_dawid_skene(data: pd.DataFrame) -> None:
    # With full overlap every worker has seen every true label, so each confusion matrix is
    # identified; with partial overlap it need not be (next test).
    agreed = data.groupby("task")["label"].first()
    assert DawidSkene().fit_predict(data).sort_index().to_dict() == agreed.to_dict()


def test_dawid_skene_single_label_workers_are_uninformative() -> None:
    # A documented limit of the model (crowd-kit 1.4.2 gives the same labels): each worker
    # gave one label only, so e_w[l, c] = 1 for every c and the priors decide.
    data = pd.DataFrame(
        [(0, "w0", 0), (1, "w0", 0), (2, "w1", 1)], columns=["task", "worker", "label"]
    )
    assert DawidSkene().fit_predict(data).to_dict() == {0: 0, 1: 0, 2: 0}
    assert OneCoinDawidSkene().fit_predict(data).to_dict() == {0: 0, 1: 0, 2: 1}


@FAST
@given(data=answer_frames(unanimous=True, ratings=True))
def test_unanimous_ratings_give_the_unanimous_score(data: pd.DataFrame) -> None:
    # RaterNormalisedMean is left out on purpose: z-scores are relative to each rater's own
    # ratings, so raters who saw different tasks map the same rating to different z-scores.
    agreed = data.groupby("task")["label"].first().astype(float)
    for name in ("WeightedMeanRating", "ReviewerWeightedScore"):
        scores = RATERS[name](data).scores_.sort_index()
        np.testing.assert_allclose(scores.to_numpy(), agreed.to_numpy(), err_msg=name)


@FAST
@given(data=answer_frames())
def test_probabilities_sum_to_one(data: pd.DataFrame) -> None:
    for name, fit in CLASSIFIERS.items():
        probas = fit(data).probas_
        assert probas.index.is_unique, name
        assert ((probas.to_numpy() >= 0) & (probas.to_numpy() <= 1)).all(), name
        np.testing.assert_allclose(probas.sum(axis=1), 1.0, atol=1e-9, err_msg=name)


errors_lists = st.lists(
    st.one_of(st.just(0.0), st.floats(0.0, 10.0, allow_nan=False)), min_size=1, max_size=30
)


@settings(max_examples=200, deadline=None)
@given(errors=errors_lists)
def test_reviewer_weights_stay_in_range_and_average_one(errors: list[float]) -> None:
    weights = reviewer_weights(errors)
    assert ((weights >= 0.8 - 1e-12) & (weights <= 1.2 + 1e-12)).all()
    assert abs(weights.mean() - 1.0) < 1e-9


@settings(max_examples=200, deadline=None)
@given(x=st.floats(0.0, 1e6), sigma=st.floats(0.0, 1e6))
def test_reviewer_weight_stays_in_range(x: float, sigma: float) -> None:
    assert 0.8 <= reviewer_weight(x, sigma) <= 1.2


@FAST
@given(data=answer_frames(ratings=True))
def test_reviewer_weighted_score_weights_average_one(data: pd.DataFrame) -> None:
    model = ReviewerWeightedScore().fit(data)
    assert abs(model.weights_.mean() - 1.0) < 1e-9
    assert ((model.weights_ >= 0.8 - 1e-12) & (model.weights_ <= 1.2 + 1e-12)).all()
