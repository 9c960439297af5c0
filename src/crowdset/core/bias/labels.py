"""Categories: does a group of workers give a label more or less often than the others?

For group ``g`` against the rest ``r`` and each label ``c``:

- the **risk difference**, item-adjusted: the group's mean of ``1[y_i = c] − p_kc`` (the
  answer's indicator minus the share of ``c`` among the answers to its item ``k``) minus
  the rest's, over items with two or more answers. It is tested by permuting the group
  codes among the workers (:func:`~.stats.permutation_test`).
- the **Mantel–Haenszel odds ratio** over items (Mantel & Haenszel 1959): with, on item
  ``k``, ``a`` of the group's ``n₁`` answers and ``b`` of the rest's ``n₀`` giving ``c``,
  ``OR = Σ_k a (n₀ − b) / n_k ÷ Σ_k (n₁ − a) b / n_k`` — each item a 2×2 table, so the
  items a group happened to see do not make its odds.

Both intervals resample workers with replacement within ``g`` and within ``r``; for the
odds ratio a resample weighs each worker's answers by how often it was drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from crowdset.core.bias.data import FloatArray, GroupedAnswers, IntArray
from crowdset.core.bias.results import GroupSummary, LabelComparison
from crowdset.core.bias.stats import blocks, interval, permutation_test, resample_counts


def label_comparisons(
    data: GroupedAnswers,
    *,
    permutations: int,
    resamples: int,
    confidence: float,
    generator: np.random.Generator,
) -> tuple[list[GroupSummary], list[LabelComparison]]:
    """Each reported group's label counts and its comparisons with the rest, label by label
    (p-values uncorrected)."""
    n, n_labels = data.n_workers, data.n_labels
    pairable = data.pairable
    worker, task, label = data.worker[pairable], data.task[pairable], data.label[pairable]
    answers = np.bincount(worker, minlength=n).astype(np.float64)
    own = np.bincount(worker * n_labels + label, minlength=n * n_labels).reshape(n, n_labels)
    seen = sparse.csr_array(
        (np.ones(worker.size), (worker, task)), shape=(n, data.n_tasks)
    )  # each (worker, task) once: first answers only
    expected = _dense(seen @ data.label_shares)
    centred = own - expected  # per worker and label: Σ (1[y = c] − p_kc)
    observed, p_values = permutation_test(
        data.worker_group, data.groups, centred, answers, permutations, generator
    )
    totals = np.bincount(data.worker * n_labels + data.label, minlength=n * n_labels).reshape(
        n, n_labels
    )  # every kept answer, for the shares
    summaries: list[GroupSummary] = []
    comparisons: list[LabelComparison] = []
    for row, g in enumerate(data.groups):
        inside = data.worker_group == g
        members, others = np.flatnonzero(inside), np.flatnonzero(~inside)
        group_counts, rest_counts = totals[members].sum(axis=0), totals[others].sum(axis=0)
        tables = _tables(data, members, others)
        ones_in, ones_out = np.ones((1, members.size)), np.ones((1, others.size))
        odds = _mantel_haenszel(tables, ones_in, ones_out)[0]
        risk_intervals: list[Any] = [None] * n_labels
        odds_intervals: list[Any] = [None] * n_labels
        if resamples:
            risks = np.empty((resamples, n_labels))
            ratios = np.empty((resamples, n_labels))
            width = max(n, tables[4] * n_labels)
            for start, stop in blocks(resamples, width):
                c_in = resample_counts(members.size, stop - start, generator)
                c_out = resample_counts(others.size, stop - start, generator)
                with np.errstate(invalid="ignore", divide="ignore"):
                    risks[start:stop] = (c_in @ centred[members]) / (c_in @ answers[members])[
                        :, np.newaxis
                    ] - (c_out @ centred[others]) / (c_out @ answers[others])[:, np.newaxis]
                ratios[start:stop] = _mantel_haenszel(tables, c_in, c_out)
            risk_intervals = [interval(risks[:, c], confidence) for c in range(n_labels)]
            odds_intervals = [interval(ratios[:, c], confidence) for c in range(n_labels)]
        summaries.append(
            GroupSummary(
                group=int(g),
                workers=int(members.size),
                answers=int(group_counts.sum()),
                counts=group_counts.astype(np.intp),
                mean=float("nan"),
                sd=float("nan"),
                mean_interval=None,
            )
        )
        comparisons.extend(
            LabelComparison(
                group=int(g),
                label=c,
                share=float(group_counts[c] / group_counts.sum()),
                rest_share=float(rest_counts[c] / rest_counts.sum()),
                risk_difference=float(observed[row, c]),
                risk_difference_interval=risk_intervals[c],
                odds_ratio=float(odds[c]),
                odds_ratio_interval=odds_intervals[c],
                p_value=float(p_values[row, c]),
            )
            for c in range(n_labels)
        )
    return summaries, comparisons


Tables = tuple[Any, Any, Any, Any, int, int]  # each side's cells and items (sparse); sizes


def _tables(data: GroupedAnswers, members: IntArray, others: IntArray) -> Tables:
    """Per worker of each side, its answers per (item, label) and per item, over the items
    both sides answered (sparse: side's workers × items·labels, side's workers × items)."""
    inside = np.isin(data.worker, members)
    shared = np.intersect1d(data.task[inside], data.task[~inside])
    column = np.full(data.n_tasks, -1, dtype=np.intp)
    column[shared] = np.arange(shared.size, dtype=np.intp)
    side: list[Any] = []
    for workers, mask in ((members, inside), (others, ~inside)):
        position = np.full(data.n_workers, -1, dtype=np.intp)
        position[workers] = np.arange(workers.size, dtype=np.intp)
        keep = mask & (column[data.task] >= 0)
        rows, items = position[data.worker[keep]], column[data.task[keep]]
        cells = items * data.n_labels + data.label[keep]
        ones = np.ones(rows.size)
        shape = (workers.size, shared.size)
        side.append(
            sparse.csr_array((ones, (rows, cells)), shape=(shape[0], shape[1] * data.n_labels))
        )
        side.append(sparse.csr_array((ones, (rows, items)), shape=shape))
    return side[0], side[1], side[2], side[3], int(shared.size), data.n_labels


def _mantel_haenszel(tables: Tables, c_in: FloatArray, c_out: FloatArray) -> FloatArray:
    """The Mantel–Haenszel odds ratio of each label, one row per row of worker weights.

    ``inf`` where only the group gives the label on the shared items, NaN where neither
    side's odds can be told (no shared item, or the label never or always given)."""
    cells_in, items_in, cells_out, items_out, n_items, n_labels = tables
    rows = c_in.shape[0]
    if n_items == 0:
        return np.full((rows, n_labels), np.nan)
    a = np.asarray((cells_in.T @ c_in.T).T).reshape(rows, n_items, n_labels)
    b = np.asarray((cells_out.T @ c_out.T).T).reshape(rows, n_items, n_labels)
    n1 = np.asarray((items_in.T @ c_in.T).T)[:, :, np.newaxis]
    n0 = np.asarray((items_out.T @ c_out.T).T)[:, :, np.newaxis]
    total = n1 + n0
    scale = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    numerator = (a * (n0 - b) * scale).sum(axis=1)
    denominator = ((n1 - a) * b * scale).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio: FloatArray = numerator / denominator
    return ratio


def _dense(values: Any) -> FloatArray:
    """A SciPy result (sparse or not) as a dense float array."""
    if sparse.issparse(values):
        values = values.toarray()
    return np.asarray(values, dtype=np.float64)
