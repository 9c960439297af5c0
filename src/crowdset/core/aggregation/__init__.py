"""Truth inference: from many workers' answers to one label (or score) per task.

One algorithm per module, each named after its paper, all with crowd-kit's sklearn-like API:
hyper-parameters in ``__init__``, ``fit(data) -> self`` on a ``task, worker, label`` frame
(pairwise models: a ``winner, loser, worker`` frame), ``fit_predict`` / ``fit_predict_proba``,
fitted state ending in ``_``. Span aggregators fit on a ``sequence, worker, tags`` frame (one
worker's BIO tags for a whole sequence per row; :mod:`.sequences` converts spans and tags).
"""

from crowdset.core.aggregation._comparisons import (
    ComparisonData,
    Comparisons,
    PairwiseAggregator,
    encode_comparisons,
)
from crowdset.core.aggregation._frames import AnswerData, Answers, encode_answers
from crowdset.core.aggregation._tag_frames import (
    SpanAggregator,
    TagAnswers,
    TagData,
    encode_tags,
)
from crowdset.core.aggregation.base import ClassificationAggregator, RatingAggregator
from crowdset.core.aggregation.bradley_terry import BradleyTerry
from crowdset.core.aggregation.crowd_bt import CrowdBT
from crowdset.core.aggregation.dawid_skene import DawidSkene
from crowdset.core.aggregation.glad import GLAD
from crowdset.core.aggregation.hmm_crowd import HMMCrowd
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
from crowdset.core.aggregation.sequences import (
    Span,
    SpanScores,
    entity_f1,
    repair_bio,
    spans_to_tags,
    tags_to_spans,
    token_spans_to_chars,
    tokenize,
)
from crowdset.core.aggregation.span_majority_vote import SpanMajorityVote
from crowdset.core.aggregation.token_ds import TokenDawidSkene

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
    "HMMCrowd",
    "MajorityVote",
    "OneCoinDawidSkene",
    "PairwiseAggregator",
    "RaterNormalisedMean",
    "RatingAggregator",
    "ReviewerWeightedScore",
    "Span",
    "SpanAggregator",
    "SpanMajorityVote",
    "SpanScores",
    "TagAnswers",
    "TagData",
    "TokenDawidSkene",
    "WeightedMajorityVote",
    "WeightedMeanRating",
    "calibrate_sigma",
    "encode_answers",
    "encode_comparisons",
    "encode_tags",
    "entity_f1",
    "repair_bio",
    "reviewer_error",
    "reviewer_weight",
    "reviewer_weights",
    "spans_to_tags",
    "tags_to_spans",
    "token_spans_to_chars",
    "tokenize",
]
