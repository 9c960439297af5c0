"""Rating aggregators: weighted mean and rater-normalised mean ("zmean"), worked examples."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from crowdset.aggregation import RaterNormalisedMean, WeightedMeanRating
from crowdset.errors import InvalidInput

RATINGS = pd.DataFrame(
    {
        "task": ["t1", "t2", "t1", "t2", "t1"],
        "worker": ["harsh", "harsh", "lenient", "lenient", "once"],
        "label": [1, 3, 3, 5, 4],
    }
)


def test_weighted_mean_rating_plain() -> None:
    scores = WeightedMeanRating().fit_predict(RATINGS)
    assert scores.to_dict() == pytest.approx({"t1": 8 / 3, "t2": 4.0})
    assert scores.index.name == "task"


def test_weighted_mean_rating_with_weights() -> None:
    weights = pd.Series({"harsh": 3.0, "lenient": 1.0, "once": 0.0})
    scores = WeightedMeanRating().fit_predict(RATINGS, weights)
    assert scores.to_dict() == pytest.approx({"t1": (3 * 1 + 3) / 4, "t2": (3 * 3 + 5) / 4})


def test_weighted_mean_rating_missing_weight() -> None:
    with pytest.raises(InvalidInput, match="have no weight"):
        WeightedMeanRating().fit(RATINGS, pd.Series({"harsh": 1.0}))
    scores = WeightedMeanRating(default_weight=1.0).fit_predict(RATINGS, pd.Series({"harsh": 1.0}))
    assert scores["t2"] == pytest.approx(4.0)


def test_rater_normalised_mean() -> None:
    model = RaterNormalisedMean().fit(RATINGS)
    # harsh: mean 2, sd 1 → z = −1, +1; lenient: mean 4, sd 1 → z = −1, +1; once: sd 0 → z = 0
    ratings = [1, 3, 3, 5, 4]
    mean = sum(ratings) / 5
    sd = math.sqrt(sum((r - mean) ** 2 for r in ratings) / 5)
    assert model.scores_["t1"] == pytest.approx(mean + sd * (-1 - 1 + 0) / 3)
    assert model.scores_["t2"] == pytest.approx(mean + sd * (1 + 1) / 2)
    assert model.rater_means_.to_dict() == pytest.approx({"harsh": 2, "lenient": 4, "once": 4})
    assert model.rater_scales_.to_dict() == pytest.approx({"harsh": 1, "lenient": 1, "once": 0})


def test_rater_normalised_mean_removes_offsets() -> None:
    # the same opinions on a shifted scale give the same ranking and spacing
    shifted = RATINGS.assign(label=RATINGS["label"] + 10)
    plain = RaterNormalisedMean().fit_predict(RATINGS)
    moved = RaterNormalisedMean().fit_predict(shifted)
    assert (moved - plain).tolist() == pytest.approx([10.0, 10.0])
