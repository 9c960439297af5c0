"""Truth inference: from many workers' answers to one label (or score) per task.

One algorithm per module, each named after its paper, all with crowd-kit's sklearn-like API:
hyper-parameters in ``__init__``, ``fit(data) -> self`` on a ``task, worker, label`` frame
(pairwise models: a ``winner, loser, worker`` frame), ``fit_predict`` / ``fit_predict_proba``,
fitted state ending in ``_``.
"""

from crowdset.core.aggregation._comparisons import (
    ComparisonData,
    Comparisons,
    PairwiseAggregator,
    encode_comparisons,
)
from crowdset.core.aggregation._frames import AnswerData, Answers, encode_answers
from crowdset.core.aggregation.base import ClassificationAggregator, RatingAggregator
from crowdset.core.aggregation.bradley_terry import BradleyTerry
from crowdset.core.aggregation.crowd_bt import CrowdBT
from crowdset.core.aggregation.dawid_skene import DawidSkene
from crowdset.core.aggregation.glad import GLAD
from crowdset.core.aggregation.mace import MACE
from crowdset.core.aggregation.majority_vote import MajorityVote, WeightedMajorityVote
from crowdset.core.aggregation.one_coin_dawid_skene import OneCoinDawidSkene
from crowdset.core.aggregation.rating import (
    RaterNormalisedMean,
    ReviewerWeightedScore,
    WeightedMeanRating,
    calibrate_sigma,
    reviewer_error,
    reviewer_weight,
    reviewer_weights,
)

__all__ = [
    "GLAD",
    "MACE",
    "AnswerData",
    "Answers",
    "BradleyTerry",
    "ClassificationAggregator",
    "ComparisonData",
    "Comparisons",
    "CrowdBT",
    "DawidSkene",
    "MajorityVote",
    "OneCoinDawidSkene",
    "PairwiseAggregator",
    "RaterNormalisedMean",
    "RatingAggregator",
    "ReviewerWeightedScore",
    "WeightedMajorityVote",
    "WeightedMeanRating",
    "calibrate_sigma",
    "encode_answers",
    "encode_comparisons",
    "reviewer_error",
    "reviewer_weight",
    "reviewer_weights",
]
