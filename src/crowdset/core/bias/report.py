"""The bias report of one answer set: every group, every comparison, the items apart."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from crowdset.core.bias.data import BiasLevel, GroupedAnswers, IntArray
from crowdset.core.bias.items import TOP_ITEMS, item_gaps
from crowdset.core.bias.labels import label_comparisons
from crowdset.core.bias.ratings import rating_comparisons
from crowdset.core.bias.results import GroupSummary, ItemGap, LabelComparison, RatingComparison
from crowdset.core.bias.stats import SIGNIFICANCE, check_draws, holm

PERMUTATIONS = 2000
RESAMPLES = 1000


@dataclass(frozen=True, eq=False)
class BiasReport:
    """Per reported group its summary and its comparison with the rest of the reported
    workers (one per label at the labels level), p-values Holm-corrected over all of them;
    the items with the largest gaps between groups. ``suppressed`` lists the codes of the
    groups too small to report, and nothing else about them: every number here is computed
    without their workers' answers, totals included."""

    level: BiasLevel
    groups: tuple[GroupSummary, ...]
    comparisons: tuple[RatingComparison, ...] | tuple[LabelComparison, ...]
    items: tuple[ItemGap, ...]
    suppressed: IntArray
    min_group_size: int
    permutations: int
    resamples: int
    confidence: float
    significance: float
    answers: int
    workers: int
    tasks: int
    pairable_tasks: int
    repeated: int  # answers dropped: the worker had already answered the item


def bias_report(
    data: GroupedAnswers,
    *,
    permutations: int = PERMUTATIONS,
    resamples: int = RESAMPLES,
    confidence: float = 0.95,
    top_items: int = TOP_ITEMS,
    rng: np.random.Generator | int | None = None,
) -> BiasReport:
    """Compare each reported group of ``data`` (see :func:`grouped_answers`) with the rest.

    ``permutations`` shuffles of the group codes among the workers give the p-values,
    ``resamples`` of the workers the intervals (0: none). The same data and seed give the
    same report.
    """
    check_draws(permutations, resamples, confidence)
    generator = np.random.default_rng(rng)
    comparisons: tuple[RatingComparison, ...] | tuple[LabelComparison, ...]
    if data.level is BiasLevel.RATINGS:
        groups, ratings = rating_comparisons(
            data,
            permutations=permutations,
            resamples=resamples,
            confidence=confidence,
            generator=generator,
        )
        comparisons = tuple(_corrected(ratings))
    else:
        groups, labels = label_comparisons(
            data,
            permutations=permutations,
            resamples=resamples,
            confidence=confidence,
            generator=generator,
        )
        comparisons = tuple(_corrected(labels))
    tasks_used = np.flatnonzero(data.task_size > 0)
    return BiasReport(
        level=data.level,
        groups=tuple(groups),
        comparisons=comparisons,
        items=tuple(item_gaps(data, top=top_items)),
        suppressed=data.suppressed,
        min_group_size=data.min_group_size,
        permutations=permutations,
        resamples=resamples,
        confidence=confidence,
        significance=SIGNIFICANCE,
        answers=data.n_answers,
        workers=data.n_workers,
        tasks=int(tasks_used.size),
        pairable_tasks=int((data.task_size >= 2).sum()),
        repeated=data.repeated,
    )


Compared = TypeVar("Compared", RatingComparison, LabelComparison)


def _corrected(comparisons: list[Compared]) -> list[Compared]:
    """The comparisons with their Holm-corrected p-values and significance."""
    adjusted = holm([comparison.p_value for comparison in comparisons])
    return [
        replace(comparison, p_holm=float(p), significant=bool(p < SIGNIFICANCE))
        for comparison, p in zip(comparisons, adjusted, strict=True)
    ]
