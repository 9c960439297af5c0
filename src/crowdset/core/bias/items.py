"""The items on which the reported groups differ most.

Per item, each reported group with at least ``min_answers`` answers to it gives its mean
rating (ratings) or its share of each label (labels); the item's gap is the largest group
value minus the smallest (at the labels level, for the label where that is largest). Items
need two such groups. With a handful of answers per group these gaps are noisy: they point
at items to read, they are not tests.
"""

from __future__ import annotations

import numpy as np

from crowdset.core.bias.data import BiasLevel, GroupedAnswers
from crowdset.core.bias.results import ItemGap

TOP_ITEMS = 10
MIN_ITEM_ANSWERS = 2  # answers a group needs on an item for its value there to count


def item_gaps(
    data: GroupedAnswers, *, top: int = TOP_ITEMS, min_answers: int = MIN_ITEM_ANSWERS
) -> list[ItemGap]:
    """The ``top`` items with the largest gaps, largest first (ties: more answers first)."""
    n_groups, n_labels = data.groups.size, data.n_labels
    position = np.searchsorted(data.groups, data.group)
    cell = data.task * n_groups + position
    counts = np.bincount(cell, minlength=data.n_tasks * n_groups).reshape(-1, n_groups)
    counted = counts >= min_answers
    candidates = np.flatnonzero(counted.sum(axis=1) >= 2)
    if candidates.size == 0 or top < 1:
        return []
    counts, counted = counts[candidates], counted[candidates]
    label: np.ndarray | None = None
    if data.level is BiasLevel.RATINGS:
        sums = np.bincount(cell, weights=data.rating, minlength=data.n_tasks * n_groups)
        values = sums.reshape(-1, n_groups)[candidates] / np.maximum(counts, 1)
        gap = np.where(counted, values, -np.inf).max(axis=1) - np.where(
            counted, values, np.inf
        ).min(axis=1)
    else:
        row = np.full(data.n_tasks, -1, dtype=np.intp)
        row[candidates] = np.arange(candidates.size)
        keep = row[data.task] >= 0
        index = (row[data.task[keep]] * n_groups + position[keep]) * n_labels + data.label[keep]
        per_label = np.bincount(index, minlength=candidates.size * n_groups * n_labels)
        shares = per_label.reshape(-1, n_groups, n_labels) / np.maximum(counts, 1)[..., None]
        inside = counted[..., np.newaxis]
        spread = np.where(inside, shares, -np.inf).max(axis=1) - np.where(
            inside, shares, np.inf
        ).min(axis=1)  # items × labels
        label = spread.argmax(axis=1)
        gap = spread[np.arange(candidates.size), label]
        values = shares[np.arange(candidates.size), :, label]
    answers = counts.sum(axis=1)
    order = np.lexsort((candidates, -answers, -gap))[:top]
    gaps: list[ItemGap] = []
    for at in order:
        shown = np.flatnonzero(counted[at])
        shown = shown[np.argsort(-values[at, shown], kind="stable")]
        gaps.append(
            ItemGap(
                task=int(candidates[at]),
                gap=float(gap[at]),
                label=None if label is None else int(label[at]),
                groups=data.groups[shown],
                answers=counts[at, shown].astype(np.intp),
                values=values[at, shown].astype(np.float64),
            )
        )
    return gaps
