"""Answers with their workers' groups, as the bias report compares them.

A group is an attribute of the *worker* (gender, age band, country): every answer of a worker
carries the same group, and the comparisons permute and resample workers, not answers.
Groups with fewer than ``min_group_size`` workers are *suppressed*: their workers' answers
are dropped here, before anything is counted, so that no number of the report (not even an
item mean, a total or the random draws) depends on them.

Ratings are centred on their item: ``r_i − ȳ_k``, the answer minus the mean of the answers
kept on its item ``k``, so that a group that happened to see harder items does not look
harsher. An item with a single kept answer has nothing to be centred against and is left out
of the centred statistics (it still counts in the group's distribution).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from crowdset.core.coded_answers import checked_codes, code_count, first_answers
from crowdset.errors import InvalidInput

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

MIN_GROUP_SIZE = 10  # workers a group needs to be reported (issue #21)


class BiasLevel(StrEnum):
    """What the labels are: numbers to average, or categories to count."""

    RATINGS = "ratings"  # numeric labels (1–5 stars): means, Cohen's d, Cliff's δ
    LABELS = "labels"  # categories: shares, risk difference, odds ratio


def worker_groups(
    worker: ArrayLike,
    group: ArrayLike,
    n_workers: int | None = None,
    *,
    worker_names: Sequence[object] | None = None,
    group_names: Sequence[object] | None = None,
) -> IntArray:
    """Each worker's group code from the group code of each of its answers (-1: no answer).

    Raises ``InvalidInput`` naming the first worker whose answers carry two groups (through
    ``worker_names`` and ``group_names`` when given, else by code).
    """
    workers, groups = checked_codes(worker, "worker"), checked_codes(group, "group")
    if workers.size != groups.size:
        raise InvalidInput(
            f"worker and group must have one entry per answer; got {workers.size} and "
            f"{groups.size}."
        )
    size = code_count(n_workers, workers, "n_workers")
    first = np.full(size, -1, dtype=np.intp)
    seen, at_first = np.unique(workers, return_index=True)
    first[seen] = groups[at_first]  # the group of each worker's first answer
    clash = np.flatnonzero(first[workers] != groups)
    if clash.size:
        at = int(clash[0])
        code = int(workers[at])
        one, other = int(first[code]), int(groups[at])

        def name(names: Sequence[object] | None, value: int) -> str:
            return repr(str(names[value])) if names is not None else f"code {value}"

        count = int(np.unique(workers[clash]).size)
        raise InvalidInput(
            f"worker {name(worker_names, code)} has answers in group "
            f"{name(group_names, one)} and in group {name(group_names, other)} "
            f"({count} worker(s) like it): a group is a property of the worker, the same on "
            "all of its answers. Fix the group column.",
            worker=name(worker_names, code),
        )
    return first


@dataclass(frozen=True, eq=False)
class GroupedAnswers:
    """The answers of the workers in reported groups, first answer per worker and item.

    Workers are renumbered ``0 … n_workers − 1`` over the kept workers only (``worker_code``
    maps them back); tasks and labels keep their codes. ``worker_group[w]`` is kept worker
    ``w``'s group code; ``groups`` are the reported group codes (ascending) and
    ``suppressed`` the codes of groups with at least one but fewer than ``min_group_size``
    workers. ``values[c]`` is the number label ``c`` stands for at the ratings level.
    """

    level: BiasLevel
    task: IntArray
    worker: IntArray
    label: IntArray
    worker_group: IntArray
    worker_code: IntArray
    groups: IntArray
    suppressed: IntArray
    values: FloatArray | None
    n_tasks: int
    n_labels: int
    min_group_size: int
    repeated: int

    @property
    def n_answers(self) -> int:
        return int(self.task.size)

    @property
    def n_workers(self) -> int:
        return int(self.worker_group.size)

    @cached_property
    def group(self) -> IntArray:
        """Each answer's group code."""
        codes: IntArray = self.worker_group[self.worker]
        return codes

    @cached_property
    def rating(self) -> FloatArray:
        """Each answer's number (ratings level)."""
        if self.values is None:
            raise InvalidInput("the labels level has no numbers to average: use the ratings level.")
        numbers: FloatArray = self.values[self.label]
        return numbers

    @cached_property
    def task_size(self) -> IntArray:
        """Kept answers per task."""
        return np.bincount(self.task, minlength=self.n_tasks).astype(np.intp)

    @cached_property
    def pairable(self) -> BoolArray:
        """Which answers are on a task with two or more kept answers."""
        mask: BoolArray = self.task_size[self.task] >= 2
        return mask

    @cached_property
    def centred(self) -> FloatArray:
        """``r_i − ȳ_k`` per answer (ratings level; 0 on a task with a single answer)."""
        sums = np.bincount(self.task, weights=self.rating, minlength=self.n_tasks)
        means = sums / np.maximum(self.task_size, 1)
        centred: FloatArray = self.rating - means[self.task]
        return centred

    @cached_property
    def label_shares(self) -> sparse.csr_array:
        """``p_kc``: the share of task ``k``'s kept answers with label ``c`` (sparse)."""
        counts = sparse.csr_array(
            (np.ones(self.n_answers), (self.task, self.label)),
            shape=(self.n_tasks, self.n_labels),
        )
        counts.sum_duplicates()
        scale = 1.0 / np.maximum(self.task_size, 1).astype(np.float64)
        return sparse.csr_array(sparse.diags_array(scale) @ counts)

    def group_workers(self, code: int) -> IntArray:
        """The kept workers of group ``code``."""
        return np.flatnonzero(self.worker_group == code).astype(np.intp)


def grouped_answers(
    task: ArrayLike,
    worker: ArrayLike,
    label: ArrayLike,
    worker_group: ArrayLike,
    *,
    level: BiasLevel = BiasLevel.RATINGS,
    values: ArrayLike | None = None,
    n_tasks: int | None = None,
    n_labels: int | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
) -> GroupedAnswers:
    """Check integer-coded answers, drop the suppressed groups, keep first answers.

    ``worker_group[w]`` is worker ``w``'s group code (see :func:`worker_groups`); a worker
    of group -1 has none, and its answers are left out like those of a suppressed group. At
    the ratings level ``values[c]`` is the number label ``c`` stands for. Raises
    ``InvalidInput`` for codes that do not fit, fewer than two reported groups, or no task
    with two answers from their workers.
    """
    level = BiasLevel(level)
    if min_group_size < 2:
        raise InvalidInput(
            f"min_group_size must be at least 2 (a group of one is a person); got {min_group_size}."
        )
    tasks, workers, labels = (
        checked_codes(task, "task"),
        checked_codes(worker, "worker"),
        checked_codes(label, "label"),
    )
    if not tasks.size == workers.size == labels.size:
        raise InvalidInput(
            "task, worker and label must have one entry per answer; got "
            f"{tasks.size}, {workers.size} and {labels.size}."
        )
    groups_of = np.asarray(worker_group).ravel()
    if not np.issubdtype(groups_of.dtype, np.integer):
        raise InvalidInput(f"worker_group must be integer codes; got dtype {groups_of.dtype}.")
    groups_of = groups_of.astype(np.intp)
    if workers.size and int(workers.max()) >= groups_of.size:
        raise InvalidInput(
            f"worker_group has {groups_of.size} entries but the worker codes go up to "
            f"{int(workers.max())}."
        )
    task_count = code_count(n_tasks, tasks, "n_tasks")
    label_count = code_count(n_labels, labels, "n_labels")
    numbers: FloatArray | None = None
    if level is BiasLevel.RATINGS:
        if values is None:
            raise InvalidInput("the ratings level needs values=, the number of each label code.")
        numbers = np.asarray(values, dtype=np.float64).ravel()
        if numbers.size < label_count or not np.isfinite(numbers).all():
            raise InvalidInput(
                f"values must give a finite number for each of the {label_count} label "
                f"codes; got {numbers.size} value(s)."
            )
        numbers, recode = np.unique(numbers, return_inverse=True)
        labels = recode.astype(np.intp)[labels]
        label_count = int(numbers.size)

    answered = np.zeros(groups_of.size, dtype=bool)
    answered[workers] = True
    present = groups_of[answered & (groups_of >= 0)]
    sizes = np.bincount(present) if present.size else np.zeros(0, dtype=np.intp)
    kept_groups = np.flatnonzero(sizes >= min_group_size).astype(np.intp)
    suppressed = np.flatnonzero((sizes > 0) & (sizes < min_group_size)).astype(np.intp)
    if kept_groups.size < 2:
        raise InvalidInput(
            f"the bias report compares groups of at least min_group_size={min_group_size} "
            f"workers, and {kept_groups.size} group(s) of {int((sizes > 0).sum())} have that "
            "many: there is nothing to compare. Lower the minimum group size, or merge "
            "small groups.",
            groups=int(kept_groups.size),
        )
    kept_worker = answered & np.isin(groups_of, kept_groups)
    keep = kept_worker[workers]
    tasks, workers, labels = tasks[keep], workers[keep], labels[keep]
    first = first_answers(tasks, workers, groups_of.size)
    worker_code = np.flatnonzero(kept_worker).astype(np.intp)
    renumber = np.full(groups_of.size, -1, dtype=np.intp)
    renumber[worker_code] = np.arange(worker_code.size, dtype=np.intp)
    data = GroupedAnswers(
        level=level,
        task=tasks[first],
        worker=renumber[workers[first]],
        label=labels[first],
        worker_group=groups_of[worker_code],
        worker_code=worker_code,
        groups=kept_groups,
        suppressed=suppressed,
        values=numbers,
        n_tasks=task_count,
        n_labels=label_count,
        min_group_size=min_group_size,
        repeated=int(tasks.size - first.size),
    )
    if not data.pairable.any():
        raise InvalidInput(
            "no item has two answers from the workers of the reported groups: answers "
            "cannot be compared on the same items.",
        )
    return data
