"""The bias report on synthetic crowds with a known group effect (or none), its statistics
against brute force, and suppression: a group below the minimum never shows in a number."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import stats as scipy_stats

from crowdset.core.bias import (
    BiasLevel,
    BiasReport,
    LabelComparison,
    RatingComparison,
    bias_report,
    cliffs_delta,
    grouped_answers,
    holm,
    worker_groups,
)
from crowdset.errors import InvalidInput

FAST = settings(max_examples=40, deadline=None)
VALUES = np.arange(1.0, 6.0)  # label code c is the rating c + 1

IntArray = NDArray[np.intp]


@dataclass
class Crowd:
    task: IntArray
    worker: IntArray
    label: IntArray
    worker_group: IntArray


def _crowd(
    sizes: tuple[int, ...] = (15, 15, 15),
    effects: tuple[float, ...] | None = None,
    *,
    items: int = 150,
    per_worker: int = 40,
    seed: int = 0,
    hard_items_for: int | None = None,
) -> Crowd:
    """Ratings 1–5: item level + worker leniency + the group's effect + noise, rounded.

    ``hard_items_for``: that group's workers see only the harder half of the items (the
    others see any), with no group effect: a raw mean gap made by the item mix alone.
    """
    rng = np.random.default_rng(seed)
    level = rng.normal(2.5, 1.0, items)
    hard = np.argsort(level)[items // 2 :]
    task, worker, rating, worker_group = [], [], [], []
    code = 0
    shifts = effects if effects is not None else (0.0,) * len(sizes)
    for group, (size, effect) in enumerate(zip(sizes, shifts, strict=True)):
        for _ in range(size):
            pool = hard if group == hard_items_for else np.arange(items)
            seen = rng.choice(pool, size=min(per_worker, pool.size), replace=False)
            lenient = rng.normal(0.0, 0.3)
            noise = rng.normal(0.0, 0.8, seen.size)
            task.append(seen)
            worker.append(np.full(seen.size, code))
            rating.append(np.clip(np.rint(level[seen] + lenient + effect + noise), 1, 5))
            worker_group.append(group)
            code += 1
    return Crowd(
        task=np.concatenate(task).astype(np.intp),
        worker=np.concatenate(worker).astype(np.intp),
        label=(np.concatenate(rating) - 1).astype(np.intp),
        worker_group=np.array(worker_group, dtype=np.intp),
    )


def _report(crowd: Crowd, **options: object) -> BiasReport:
    level = BiasLevel(str(options.pop("level", "ratings")))
    min_group_size = int(options.pop("min_group_size", 10))  # type: ignore[call-overload]
    data = grouped_answers(
        crowd.task,
        crowd.worker,
        crowd.label,
        crowd.worker_group,
        level=level,
        values=VALUES if level is BiasLevel.RATINGS else None,
        n_labels=5,
        min_group_size=min_group_size,
    )
    return bias_report(data, **options)  # type: ignore[arg-type]


def _ratings(report: BiasReport) -> list[RatingComparison]:
    found = [c for c in report.comparisons if isinstance(c, RatingComparison)]
    assert len(found) == len(report.comparisons)
    return found


def _labels(report: BiasReport) -> list[LabelComparison]:
    found = [c for c in report.comparisons if isinstance(c, LabelComparison)]
    assert len(found) == len(report.comparisons)
    return found


def test_a_harsher_group_is_found_and_in_the_right_direction() -> None:
    report = _report(_crowd(effects=(0.7, 0.0, 0.0)), permutations=500, resamples=300, rng=1)
    first, *others = _ratings(report)
    assert first.group == 0
    assert first.difference > 0.3 and first.cohen_d > 0.3 and first.cliffs_delta > 0.15
    assert first.p_holm < 0.01 and first.significant
    for low, _ in (first.difference_interval, first.cohen_d_interval, first.cliffs_delta_interval):  # type: ignore[misc]
        assert low > 0
    for other in others:
        assert other.difference < 0  # the rest now includes the harsh group
    assert report.groups[0].mean > report.groups[1].mean
    low, high = report.groups[0].mean_interval  # type: ignore[misc]
    assert low < report.groups[0].mean < high


def test_no_effect_gives_uniform_p_values() -> None:
    # 40 crowds without any group effect: the p-values spread over (0, 1], few below 0.05
    crowds = [_crowd((12, 12), (0.0, 0.0), seed=seed) for seed in range(40)]
    p_values = [
        _ratings(_report(crowd, permutations=199, resamples=0, rng=seed))[0].p_value
        for seed, crowd in enumerate(crowds)
    ]
    assert sum(p < 0.05 for p in p_values) <= 5
    assert scipy_stats.kstest(p_values, "uniform").pvalue > 0.01


def test_the_item_mix_alone_is_not_a_group_effect() -> None:
    # group 0 sees only the harder items: its raw mean is higher, its centred ratings are not
    crowd = _crowd((15, 15), (0.0, 0.0), hard_items_for=0, items=200, seed=3)
    report = _report(crowd, permutations=500, resamples=0, rng=0)
    assert report.groups[0].mean - report.groups[1].mean > 0.4
    comparison = _ratings(report)[0]
    assert abs(comparison.difference) < 0.15
    assert not comparison.significant


def test_the_seed_fixes_the_report() -> None:
    crowd = _crowd(effects=(0.3, 0.0, 0.0))
    first = _report(crowd, permutations=200, resamples=100, rng=7)
    again = _report(crowd, permutations=200, resamples=100, rng=7)
    other = _report(crowd, permutations=200, resamples=100, rng=8)
    assert _numbers(first) == _numbers(again)
    assert _numbers(first) != _numbers(other)


def test_no_resamples_no_intervals() -> None:
    report = _report(_crowd(), permutations=50, resamples=0, rng=0)
    assert all(c.difference_interval is None for c in _ratings(report))
    assert all(g.mean_interval is None for g in report.groups)


def test_cliffs_delta_of_the_report_pairs_answers_to_the_same_item() -> None:
    crowd = _crowd((10, 12), (0.4, 0.0), items=60, per_worker=20, seed=2)
    report = _report(crowd, permutations=20, resamples=0, rng=0)
    inside = crowd.worker_group[crowd.worker] == 0
    expected = cliffs_delta(
        crowd.label[inside],
        crowd.label[~inside],
        x_strata=crowd.task[inside],
        y_strata=crowd.task[~inside],
    )
    assert _ratings(report)[0].cliffs_delta == pytest.approx(expected)
    assert _ratings(report)[1].cliffs_delta == pytest.approx(-expected)


def _brute_delta(
    x: list[int], y: list[int], sx: list[int] | None = None, sy: list[int] | None = None
) -> float:
    pairs = [
        (a > b) - (a < b)
        for i, a in enumerate(x)
        for j, b in enumerate(y)
        if sx is None or sy is None or sx[i] == sy[j]
    ]
    return sum(pairs) / len(pairs) if pairs else float("nan")


@FAST
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=30),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=30),
)
def test_cliffs_delta_against_every_pair(
    x: list[tuple[int, int]], y: list[tuple[int, int]]
) -> None:
    xs, sx = [v for v, _ in x], [s for _, s in x]
    ys, sy = [v for v, _ in y], [s for _, s in y]
    assert cliffs_delta(xs, ys) == pytest.approx(_brute_delta(xs, ys))
    stratified, brute = cliffs_delta(xs, ys, x_strata=sx, y_strata=sy), _brute_delta(xs, ys, sx, sy)
    assert stratified == pytest.approx(brute, nan_ok=True)


def test_cliffs_delta_worked_values() -> None:
    assert cliffs_delta([3, 4], [1, 2]) == 1.0
    assert cliffs_delta([1, 2], [1, 2]) == 0.0
    assert cliffs_delta([1.5], [1.0, 2.0, 1.5]) == 0.0
    assert np.isnan(cliffs_delta([1], [2], x_strata=[0], y_strata=[1]))
    with pytest.raises(InvalidInput, match="strata for both"):
        cliffs_delta([1], [2], x_strata=[0])


def test_holm_worked_values() -> None:
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → stepped up to 0.06
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.2, np.nan, 0.9]), [0.4, np.nan, 0.9])
    assert holm([]).size == 0


@FAST
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20))
def test_holm_is_between_the_raw_and_bonferroni_and_keeps_the_order(p: list[float]) -> None:
    raw = np.array(p)
    adjusted = holm(raw)
    assert (adjusted >= raw - 1e-15).all()
    assert (adjusted <= np.minimum(1.0, raw * raw.size) + 1e-15).all()
    order = np.argsort(raw, kind="stable")
    assert (np.diff(adjusted[order]) >= -1e-15).all()


def test_the_report_applies_holm_over_every_comparison() -> None:
    report = _report(_crowd(effects=(0.3, 0.0, -0.2)), permutations=300, resamples=0, rng=0)
    comparisons = _ratings(report)
    expected = holm([c.p_value for c in comparisons])
    assert [c.p_holm for c in comparisons] == pytest.approx(list(expected))
    assert all(c.significant == (c.p_holm < 0.05) for c in comparisons)
    labels = _report(_crowd(), level="labels", permutations=100, resamples=0, rng=0)
    assert len(labels.comparisons) == 3 * 5  # groups × labels, one family
    label_comparisons = _labels(labels)
    expected = holm([c.p_value for c in label_comparisons])
    assert [c.p_holm for c in label_comparisons] == pytest.approx(list(expected))


def test_labels_a_group_that_gives_a_label_more_often() -> None:
    # group 0 rates one point higher: more 4s and 5s, fewer 1s
    report = _report(
        _crowd(effects=(1.0, 0.0, 0.0)), level="labels", permutations=400, resamples=200, rng=0
    )
    by_label = {c.label: c for c in _labels(report) if c.group == 0}
    assert by_label[0].risk_difference < 0 and by_label[0].odds_ratio < 1
    assert by_label[4].risk_difference > 0 and by_label[4].odds_ratio > 1
    assert by_label[4].significant and by_label[0].significant
    low, high = by_label[4].odds_ratio_interval  # type: ignore[misc]
    assert 1 < low < by_label[4].odds_ratio < high
    assert sum(report.groups[0].counts) == report.groups[0].answers
    assert all(np.isnan(group.mean) for group in report.groups)


def test_mantel_haenszel_odds_ratio_by_hand() -> None:
    crowd = _crowd((10, 10), (0.5, 0.0), items=40, per_worker=15, seed=4)
    report = _report(crowd, level="labels", permutations=10, resamples=0, rng=0)
    inside = crowd.worker_group[crowd.worker] == 0
    for comparison in _labels(report):
        if comparison.group != 0:
            continue
        numerator = denominator = 0.0
        for item in np.unique(crowd.task):
            here = crowd.task == item
            a = np.sum(here & inside & (crowd.label == comparison.label))
            n1 = np.sum(here & inside)
            b = np.sum(here & ~inside & (crowd.label == comparison.label))
            n0 = np.sum(here & ~inside)
            numerator += a * (n0 - b) / (n1 + n0)
            denominator += (n1 - a) * b / (n1 + n0)
        expected = numerator / denominator if denominator else np.inf
        assert comparison.odds_ratio == pytest.approx(expected)


def test_items_with_the_largest_gaps() -> None:
    task = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    worker = np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
    label = np.array([4, 4, 0, 0, 2, 2, 2, 2, 3, 2, 1, 1])  # item 0: 5 vs 1; 2: 3.5 vs 2
    data = grouped_answers(
        task, worker, label, np.array([0, 0, 1, 1]), values=VALUES, min_group_size=2
    )
    report = bias_report(data, permutations=10, resamples=0, rng=0)
    assert [gap.task for gap in report.items] == [0, 2, 1]
    assert [gap.gap for gap in report.items] == [4.0, 1.5, 0.0]
    assert report.items[0].groups.tolist() == [0, 1]
    assert report.items[0].values.tolist() == [5.0, 1.0]
    assert report.items[0].answers.tolist() == [2, 2]


def test_worker_groups() -> None:
    groups = worker_groups([0, 1, 0, 3], [2, 1, 2, 0], 5)
    assert groups.tolist() == [2, 1, -1, 0, -1]
    with pytest.raises(
        InvalidInput, match="worker 'ann' has answers in group 'x' and in group 'y'"
    ):
        worker_groups([0, 0], [0, 1], worker_names=["ann"], group_names=["x", "y"])
    with pytest.raises(InvalidInput, match="worker code 1 has answers in group code 0 and"):
        worker_groups([1, 1], [0, 1])


def test_repeated_answers_count_once() -> None:
    crowd = _crowd((10, 10), items=30, per_worker=10)
    data = grouped_answers(crowd.task, crowd.worker, crowd.label, crowd.worker_group, values=VALUES)
    twice = grouped_answers(
        np.concatenate([crowd.task, crowd.task[:5]]),
        np.concatenate([crowd.worker, crowd.worker[:5]]),
        np.concatenate([crowd.label, (crowd.label[:5] + 1) % 5]),
        crowd.worker_group,
        values=VALUES,
    )
    assert twice.repeated == 5 and data.repeated == 0
    numbers = _numbers(bias_report(data, permutations=50, resamples=20, rng=0))
    again = _numbers(bias_report(twice, permutations=50, resamples=20, rng=0))
    assert again[:4] + again[5:] == numbers[:4] + numbers[5:]  # all but the repeated count


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_group_size": 1}, "at least 2"),
        ({"worker_group": np.array([0] * 20)}, "1 group\\(s\\) of 1 have that many"),
        ({"min_group_size": 16}, "0 group\\(s\\) of 2"),
        ({"label": np.full(1, 0)}, "one entry per answer"),
        ({"level": "ratings", "values": None}, "needs values="),
        ({"worker_group": np.array([0, 1])}, "worker_group has 2 entries"),
        ({"task": -1}, "integer codes from 0"),
    ],
    ids=["min-1", "one-group", "all-suppressed", "lengths", "no-values", "short-groups",
         "negative"],
)  # fmt: skip
def test_bad_input_is_explained(change: dict[str, object], message: str) -> None:
    crowd = _crowd((10, 10), items=30, per_worker=10)
    arguments: dict[str, object] = {
        "task": crowd.task, "worker": crowd.worker, "label": crowd.label,
        "worker_group": crowd.worker_group, "values": VALUES,
    }  # fmt: skip
    if change.get("task") == -1:
        change = {"task": crowd.task - 1}
    arguments |= change
    with pytest.raises(InvalidInput, match=message):
        grouped_answers(**arguments)  # type: ignore[arg-type]


def test_no_shared_item_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no item has two answers"):
        grouped_answers([0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 0, 1], [0, 0, 1, 1], values=VALUES,
                        min_group_size=2)  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"permutations": 0}, "permutations must be at least 1"),
        ({"resamples": -1}, "resamples must be 0"),
        ({"confidence": 1.0}, "confidence"),
    ],
    ids=["permutations", "resamples", "confidence"],
)
def test_bad_draws_are_explained(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        _report(_crowd((10, 10), items=30, per_worker=10), **options)


def _numbers(report: BiasReport) -> list[object]:
    """Every number of a report, in order (NaN as a string, so that lists compare)."""

    def clean(value: object) -> object:
        if isinstance(value, float) and np.isnan(value):
            return "nan"
        if isinstance(value, np.ndarray):
            return [clean(v) for v in value.tolist()]
        if isinstance(value, tuple):
            return [clean(v) for v in value]
        return value

    out: list[object] = [
        report.answers, report.workers, report.tasks, report.pairable_tasks, report.repeated,
        report.suppressed.tolist(),
    ]  # fmt: skip
    for item in (*report.groups, *report.comparisons, *report.items):
        out.append([clean(v) for v in vars(item).values()])
    return out


@st.composite
def crowds_with_small_groups(draw: st.DrawFn) -> tuple[Crowd, Crowd, int]:
    """A crowd with two or three groups of 3+ workers and one or two groups of 1–2 workers
    (suppressed at a minimum of 3), and the same crowd with the small groups' answers
    redrawn: other items, other labels, other counts."""
    minimum = 3
    big = draw(st.lists(st.integers(minimum, 5), min_size=2, max_size=3))
    small = draw(st.lists(st.integers(1, minimum - 1), min_size=1, max_size=2))
    items = draw(st.integers(3, 8))
    sizes = [*big, *small]
    order = draw(st.permutations(range(len(sizes))))  # small groups get any codes
    seed = draw(st.integers(0, 2**16))
    relabel = np.array(draw(st.permutations(range(sum(sizes)))), dtype=np.intp)

    def answers(rng: np.random.Generator, redraw_small: bool) -> Crowd:
        task, worker, label, worker_group = [], [], [], []
        code = 0
        for position, size in enumerate(sizes):
            suppressed = position >= len(big)
            for _ in range(size):
                local = (
                    np.random.default_rng(rng.integers(2**32))
                    if suppressed and redraw_small
                    else rng
                )
                seen = local.choice(items, size=local.integers(1, items + 1), replace=False)
                task.append(seen)
                worker.append(np.full(seen.size, code))
                label.append(local.integers(0, 5, seen.size))
                worker_group.append(order[position])
                code += 1
        groups = np.empty(sum(sizes), dtype=np.intp)
        groups[relabel] = worker_group  # workers of small groups get any codes too
        return Crowd(
            np.concatenate(task).astype(np.intp), relabel[np.concatenate(worker)],
            np.concatenate(label).astype(np.intp), groups,
        )  # fmt: skip

    # the big groups draw first, from the same seed: only the small groups' answers differ
    first = answers(np.random.default_rng(seed), redraw_small=False)
    second = answers(np.random.default_rng(seed), redraw_small=True)
    return first, second, minimum


@FAST
@given(crowds_with_small_groups(), st.sampled_from(["ratings", "labels"]))
def test_no_number_comes_from_a_suppressed_group(
    crowds: tuple[Crowd, Crowd, int], level: str
) -> None:
    first, second, minimum = crowds
    sizes = np.bincount(first.worker_group)
    small = set(np.flatnonzero((sizes > 0) & (sizes < minimum)).tolist())
    reports = []
    for crowd in (first, second):
        try:
            reports.append(
                _report(crowd, level=level, min_group_size=minimum, permutations=30,
                        resamples=10, rng=0)
            )  # fmt: skip
        except InvalidInput as error:  # the big groups' workers share no item
            assert "no item has two answers" in str(error)
            return
    report, redrawn = reports
    assert set(report.suppressed.tolist()) == small
    assert not small & {g.group for g in report.groups}
    assert not small & {c.group for c in report.comparisons}
    assert not small & {int(g) for item in report.items for g in item.groups}
    assert _numbers(report) == _numbers(redrawn)
    # and the same as a crowd where the small groups never answered at all
    keep = ~np.isin(first.worker_group[first.worker], list(small))
    without = Crowd(first.task[keep], first.worker[keep], first.label[keep], first.worker_group)
    alone = _report(without, level=level, min_group_size=minimum, permutations=30, resamples=10,
                    rng=0)  # fmt: skip
    assert _numbers(alone)[:5] == _numbers(report)[:5]
    assert _numbers(alone)[6:] == _numbers(report)[6:]
