"""The sklearn-like shape every aggregator shares (the same as crowd-kit's).

Hyper-parameters are set in ``__init__`` (the classes are dataclasses), ``fit(data) -> self``
learns from an answer frame, and the fitted state ends in ``_``. Reading a fitted attribute
before ``fit`` raises ``AttributeError``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Self

import pandas as pd

from crowdset.core.aggregation._frames import AnswerData


class ClassificationAggregator(ABC):
    """Infers one categorical label per task from ``task, worker, label`` answers.

    Fitted attributes: ``labels_`` (Series, index ``task``: the most probable label) and
    ``probas_`` (DataFrame, index ``task``, one column per label, rows summing to 1).
    """

    labels_: pd.Series[Any]
    probas_: pd.DataFrame

    @abstractmethod
    def fit(self, data: AnswerData) -> Self:
        """Learn from an answer frame with columns ``task, worker, label``."""

    def fit_predict(self, data: AnswerData) -> pd.Series[Any]:
        """Fit, then return ``labels_``: the inferred label per task."""
        return self.fit(data).labels_

    def fit_predict_proba(self, data: AnswerData) -> pd.DataFrame:
        """Fit, then return ``probas_``: the posterior of each label per task."""
        return self.fit(data).probas_


class RatingAggregator(ABC):
    """Infers one numeric score per task from ``task, worker, label`` ratings.

    Fitted attribute: ``scores_`` (Series, index ``task``).
    """

    scores_: pd.Series[float]

    @abstractmethod
    def fit(self, data: pd.DataFrame) -> Self:
        """Learn from a rating frame with columns ``task, worker, label`` (numeric label)."""

    def fit_predict(self, data: pd.DataFrame) -> pd.Series[float]:
        """Fit, then return ``scores_``: the aggregated score per task."""
        return self.fit(data).scores_
