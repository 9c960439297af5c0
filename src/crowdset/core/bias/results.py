"""What the bias report holds: per group, per comparison (a group against the rest), per item."""

from __future__ import annotations

from dataclasses import dataclass

from crowdset.core.bias.data import FloatArray, IntArray

Interval = tuple[float, float]  # (low, high) of a percentile bootstrap interval


@dataclass(frozen=True, eq=False)
class GroupSummary:
    """One reported group: its workers, its kept answers and their distribution.

    ``counts[c]`` is how many of its answers have label code ``c`` (the histogram of the
    ratings); ``mean`` and ``sd`` (ratings level, NaN at the labels level) are over its
    answers, ``mean_interval`` resamples its workers (None without resamples).
    """

    group: int
    workers: int
    answers: int
    counts: IntArray
    mean: float
    sd: float
    mean_interval: Interval | None

    @property
    def shares(self) -> FloatArray:
        """The share of the group's answers with each label code."""
        shares: FloatArray = self.counts / max(int(self.counts.sum()), 1)
        return shares


@dataclass(frozen=True, eq=False)
class RatingComparison:
    """A group's ratings against those of every other reported group's workers.

    ``difference`` is the mean item-centred rating of the group minus that of the rest;
    ``cohen_d`` the same difference over the pooled standard deviation of the centred
    ratings; ``cliffs_delta`` P(group > rest) − P(group < rest) over pairs of answers to the
    same item. ``p_value`` is the permutation test of ``difference``, ``p_holm`` the same
    after Holm's correction over every comparison of the report.
    """

    group: int
    difference: float
    difference_interval: Interval | None
    cohen_d: float
    cohen_d_interval: Interval | None
    cliffs_delta: float
    cliffs_delta_interval: Interval | None
    p_value: float
    p_holm: float = float("nan")
    significant: bool = False


@dataclass(frozen=True, eq=False)
class LabelComparison:
    """How much more often a group gives ``label`` than the rest of the reported workers.

    ``risk_difference`` is the group's mean item-centred indicator of the label (``1[y = c]``
    minus the item's share of ``c``) minus the rest's; ``odds_ratio`` the Mantel–Haenszel
    odds ratio over items (Mantel & Haenszel 1959): the group's odds of the label against the
    rest's on the same items. ``p_value`` tests ``risk_difference`` by permutation;
    ``p_holm`` is Holm-corrected over every (group, label) of the report.
    """

    group: int
    label: int
    share: float  # of the group's answers
    rest_share: float  # of the rest's answers
    risk_difference: float
    risk_difference_interval: Interval | None
    odds_ratio: float
    odds_ratio_interval: Interval | None
    p_value: float
    p_holm: float = float("nan")
    significant: bool = False


@dataclass(frozen=True, eq=False)
class ItemGap:
    """An item on which the reported groups differ most.

    ``groups[j]`` gave ``answers[j]`` answers with mean ``values[j]`` (ratings) or share
    ``values[j]`` of ``label`` (labels level, the label whose shares differ most); ``gap`` is
    the largest value minus the smallest. Only groups with enough answers to the item count.
    """

    task: int
    gap: float
    label: int | None
    groups: IntArray
    answers: IntArray
    values: FloatArray
