"""Input checks shared by every aggregator: named columns, no bare KeyError."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

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
)
from crowdset.errors import InvalidInput

MODELS = [
    MajorityVote(),
    WeightedMajorityVote(default_weight=1.0),
    DawidSkene(),
    OneCoinDawidSkene(),
    GLAD(),
    MACE(n_restarts=1),
    WeightedMeanRating(),
    RaterNormalisedMean(),
    ReviewerWeightedScore(),
]
IDS = [type(model).__name__ for model in MODELS]


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_missing_column_is_named_with_the_columns_present(model: Any) -> None:
    data = pd.DataFrame({"question": ["q1"], "worker": ["w1"], "answer": [1]})
    with pytest.raises(InvalidInput) as caught:
        model.fit(data)
    message = str(caught.value)
    assert "missing column(s) task, label" in message
    assert "columns present: question, worker, answer" in message
    assert caught.value.fields["missing"] == ["task", "label"]


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_empty_frame_is_refused(model: Any) -> None:
    data = pd.DataFrame({"task": [], "worker": [], "label": []})
    with pytest.raises(InvalidInput, match="no rows"):
        model.fit(data)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_empty_cell_is_reported(model: Any) -> None:
    data = pd.DataFrame({"task": ["t1", "t2"], "worker": ["w1", None], "label": [1, 2]})
    with pytest.raises(InvalidInput, match="1 row\\(s\\) with an empty worker"):
        model.fit(data)


def test_not_a_frame_is_refused() -> None:
    with pytest.raises(InvalidInput, match="must be a pandas DataFrame"):
        DawidSkene().fit([("t1", "w1", 1)])  # type: ignore[arg-type]


def test_extra_columns_are_ignored() -> None:
    data = pd.DataFrame(
        {"task": [1, 1, 2], "worker": [1, 2, 1], "label": ["a", "a", "b"], "seconds": [3, 4, 5]}
    )
    assert MajorityVote().fit_predict(data).to_dict() == {1: "a", 2: "b"}


def test_mixed_label_types_keep_appearance_order() -> None:
    data = pd.DataFrame(
        {"task": ["t1", "t1", "t2"], "worker": ["a", "b", "a"], "label": [1, "x", "x"]}
    )
    probas = DawidSkene().fit_predict_proba(data)
    assert list(probas.columns) == [1, "x"]


def test_ratings_need_numbers() -> None:
    data = pd.DataFrame({"task": ["t1"], "worker": ["w1"], "label": ["good"]})
    with pytest.raises(InvalidInput, match="numeric label column"):
        WeightedMeanRating().fit(data)


def test_unfitted_model_has_no_labels() -> None:
    with pytest.raises(AttributeError):
        _ = DawidSkene().labels_
