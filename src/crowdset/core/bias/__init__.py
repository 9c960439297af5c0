"""The bias report: do groups of workers (by gender, age, country …) answer differently?

Answers come as integer codes (task, worker, label) with each worker's group code;
:func:`grouped_answers` checks them, drops the groups with fewer than ``min_group_size``
workers (reported as suppressed, never with a number) and keeps each worker's first answer
to an item. :func:`bias_report` then compares each group with the rest of the workers:

- :mod:`~crowdset.core.bias.ratings`: numeric ratings, centred on their item — the mean
  difference, Cohen's d and Cliff's δ within items.
- :mod:`~crowdset.core.bias.labels`: categories — per label the item-adjusted risk
  difference and the Mantel–Haenszel odds ratio over items.
- :mod:`~crowdset.core.bias.stats`: p-values from permutations of the group codes among
  the workers (items and raters respected: the answers of a worker move together, the item
  mix is centred out), Holm-corrected over every comparison; percentile intervals from
  resampling workers within each side.
- :mod:`~crowdset.core.bias.items`: the items on which the groups differ most.
"""

from crowdset.core.bias.data import (
    MIN_GROUP_SIZE,
    BiasLevel,
    GroupedAnswers,
    grouped_answers,
    worker_groups,
)
from crowdset.core.bias.items import MIN_ITEM_ANSWERS, TOP_ITEMS, item_gaps
from crowdset.core.bias.report import PERMUTATIONS, RESAMPLES, BiasReport, bias_report
from crowdset.core.bias.results import (
    GroupSummary,
    Interval,
    ItemGap,
    LabelComparison,
    RatingComparison,
)
from crowdset.core.bias.stats import SIGNIFICANCE, cliffs_delta, holm

__all__ = [
    "MIN_GROUP_SIZE",
    "MIN_ITEM_ANSWERS",
    "PERMUTATIONS",
    "RESAMPLES",
    "SIGNIFICANCE",
    "TOP_ITEMS",
    "BiasLevel",
    "BiasReport",
    "GroupSummary",
    "GroupedAnswers",
    "Interval",
    "ItemGap",
    "LabelComparison",
    "RatingComparison",
    "bias_report",
    "cliffs_delta",
    "grouped_answers",
    "holm",
    "item_gaps",
    "worker_groups",
]
