"""Agreement statistics checked against the ``krippendorff`` package, scikit-learn's Cohen's κ
and Fleiss' (1971) worked example, plus the properties α must keep (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from sklearn.metrics import cohen_kappa_score

from crowdset.core.agreement import (
    Level,
    ReliabilityData,
    agreement_report,
    alpha_bootstrap,
    alpha_without_each_worker,
    fleiss_kappa,
    krippendorff_alpha,
    label_alpha,
    pairwise_cohen_kappa,
    reliability_data,
)
from crowdset.core.agreement.alpha import _weighted_alphas
from crowdset.core.mechanism.collusion_groups import fleiss_kappa as collusion_fleiss_kappa
from crowdset.errors import InvalidInput

krippendorff = pytest.importorskip("krippendorff")

FAST = settings(max_examples=60, deadline=None)
LEVELS = [Level.NOMINAL, Level.ORDINAL, Level.INTERVAL]
VALUES = np.array([-2.0, 1.0, 1.5, 4.0, 10.0])  # label code → number: unevenly spaced

Matrix = NDArray[np.float64]


@st.composite
def reliability_matrices(draw: st.DrawFn, labels: int = 5) -> Matrix:
    """Coders × units of label codes, NaN where a coder gave no answer; at least one unit
    with two answers and two distinct values among the pairable answers."""
    coders = draw(st.integers(2, 6))
    units = draw(st.integers(1, 12))
    cells = draw(
        st.lists(
            st.one_of(st.none(), st.integers(0, labels - 1)),
            min_size=coders * units,
            max_size=coders * units,
        )
    )
    matrix = np.array([np.nan if c is None else c for c in cells], dtype=float)
    matrix = matrix.reshape(coders, units)
    pairable = (~np.isnan(matrix)).sum(axis=0) >= 2
    assume(len(np.unique(matrix[:, pairable][~np.isnan(matrix[:, pairable])])) >= 2)
    return matrix


def _codes(matrix: Matrix, values: NDArray[np.float64] | None = VALUES) -> ReliabilityData:
    coder, unit = np.nonzero(~np.isnan(matrix))
    return reliability_data(
        unit,
        coder,
        matrix[coder, unit].astype(int),
        values=values,
        n_units=matrix.shape[1],
        n_workers=matrix.shape[0],
    )


def _package_alpha(matrix: Matrix, level: Level) -> float:
    numbers = np.where(np.isnan(matrix), np.nan, VALUES[np.nan_to_num(matrix).astype(int)])
    return float(krippendorff.alpha(reliability_data=numbers, level_of_measurement=str(level)))


@pytest.mark.parametrize("level", LEVELS, ids=str)
@FAST
@given(matrix=reliability_matrices())
def test_krippendorff_alpha_equals_the_krippendorff_package(level: Level, matrix: Matrix) -> None:
    assert krippendorff_alpha(_codes(matrix), level) == pytest.approx(
        _package_alpha(matrix, level), abs=1e-9
    )


def test_krippendorff_alpha_on_random_data_with_missing_answers() -> None:
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 5, 300)
    matrix = np.where(rng.random((12, 300)) < 0.6, truth, rng.integers(0, 5, (12, 300)))
    matrix = np.where(rng.random((12, 300)) < 0.5, np.nan, matrix.astype(float))
    for level in LEVELS:
        assert krippendorff_alpha(_codes(matrix), level) == pytest.approx(
            _package_alpha(matrix, level), abs=1e-9
        )


@pytest.mark.parametrize("level", LEVELS, ids=str)
@FAST
@given(matrix=reliability_matrices())
def test_alpha_is_one_when_every_unit_is_unanimous(level: Level, matrix: Matrix) -> None:
    top = np.nan_to_num(matrix, nan=-1.0).max(axis=0)  # one label per unit
    unanimous = np.where(np.isnan(matrix), np.nan, top)
    pairable = (~np.isnan(unanimous)).sum(axis=0) >= 2
    assume(len(np.unique(unanimous[:, pairable][~np.isnan(unanimous[:, pairable])])) >= 2)
    assert krippendorff_alpha(_codes(unanimous), level) == pytest.approx(1.0, abs=1e-12)


@FAST
@given(matrix=reliability_matrices(), seed=st.integers(0, 2**32 - 1))
def test_nominal_alpha_ignores_the_names_of_labels_workers_and_units(
    matrix: Matrix, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    relabel = rng.permutation(5).astype(float)
    renamed = np.where(np.isnan(matrix), np.nan, relabel[np.nan_to_num(matrix).astype(int)])
    renamed = renamed[rng.permutation(matrix.shape[0])][:, rng.permutation(matrix.shape[1])]
    assert krippendorff_alpha(_codes(renamed, None)) == pytest.approx(
        krippendorff_alpha(_codes(matrix, None)), abs=1e-12
    )


@FAST
@given(matrix=reliability_matrices())
def test_ordinal_alpha_depends_on_the_order_of_values_only(matrix: Matrix) -> None:
    monotone = np.array([0.0, 0.1, 7.0, 8.0, 1000.0])
    assert krippendorff_alpha(_codes(matrix, monotone), Level.ORDINAL) == pytest.approx(
        krippendorff_alpha(_codes(matrix), Level.ORDINAL), abs=1e-12
    )


@FAST
@given(matrix=reliability_matrices())
def test_interval_alpha_is_unchanged_by_an_affine_rescale(matrix: Matrix) -> None:
    assert krippendorff_alpha(_codes(matrix, 3.0 * VALUES - 40.0), Level.INTERVAL) == (
        pytest.approx(krippendorff_alpha(_codes(matrix), Level.INTERVAL), abs=1e-9)
    )


@pytest.mark.parametrize("level", LEVELS, ids=str)
@FAST
@given(matrix=reliability_matrices())
def test_alpha_without_each_worker_equals_alpha_recomputed_without_them(
    level: Level, matrix: Matrix
) -> None:
    without = alpha_without_each_worker(_codes(matrix), level)
    for coder in range(matrix.shape[0]):
        rest = np.delete(matrix, coder, axis=0)
        pairable = (~np.isnan(rest)).sum(axis=0) >= 2
        used = np.unique(rest[:, pairable][~np.isnan(rest[:, pairable])])
        if used.size < 2:
            assert np.isnan(without[coder])
        else:
            assert without[coder] == pytest.approx(_package_alpha(rest, level), abs=1e-9)


@FAST
@given(matrix=reliability_matrices())
def test_label_alpha_is_nominal_alpha_of_that_label_against_the_rest(matrix: Matrix) -> None:
    per_label = label_alpha(_codes(matrix, None))
    pairable = (~np.isnan(matrix)).sum(axis=0) >= 2
    for code, alpha in enumerate(per_label):
        indicator = np.where(np.isnan(matrix), np.nan, (matrix == code).astype(float))
        if len(np.unique(indicator[:, pairable][~np.isnan(indicator[:, pairable])])) < 2:
            assert np.isnan(alpha)
        else:
            expected = krippendorff.alpha(
                reliability_data=indicator, level_of_measurement="nominal"
            )
            assert alpha == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_a_weighted_resample_is_the_alpha_of_the_units_repeated(level: Level) -> None:
    # the bootstrap's vectorised α of unit weights w equals α of each unit copied w times
    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 5, (5, 30)).astype(float)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    data = _codes(matrix)
    units = data.pairable
    weights = rng.integers(0, 3, (4, units.n_units)).astype(float)
    got = _weighted_alphas(units, level, data, weights)
    for row, alpha in zip(weights, got, strict=True):
        repeated = np.repeat(matrix[:, units.unit], row.astype(int), axis=1)
        assert alpha == pytest.approx(_package_alpha(repeated, level), abs=1e-9)


def _noisy(seed: int, units: int = 200, workers: int = 8) -> ReliabilityData:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 5, units)
    matrix = np.where(rng.random((workers, units)) < 0.7, truth, rng.integers(0, 5, units))
    matrix = np.where(rng.random((workers, units)) < 0.4, np.nan, matrix.astype(float))
    return _codes(matrix)


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_bootstrap_interval_holds_the_estimate_and_repeats_with_its_seed(level: Level) -> None:
    data = _noisy(11)
    alpha = krippendorff_alpha(data, level)
    first = alpha_bootstrap(data, level, resamples=500, rng=42)
    again = alpha_bootstrap(data, level, resamples=500, rng=42)
    other = alpha_bootstrap(data, level, resamples=500, rng=43)
    assert first.low < alpha < first.high
    assert (first.low, first.high) == (again.low, again.high)
    np.testing.assert_array_equal(first.alphas, again.alphas)
    assert (first.low, first.high) != (other.low, other.high)
    assert first.resamples == 500 and first.undefined == 0
    narrower = alpha_bootstrap(data, level, resamples=500, confidence=0.5, rng=42)
    assert first.low < narrower.low < narrower.high < first.high


def test_bootstrap_refuses_nonsense_settings() -> None:
    with pytest.raises(InvalidInput, match="resamples must be at least 1"):
        alpha_bootstrap(_noisy(1), resamples=0)
    with pytest.raises(InvalidInput, match="confidence"):
        alpha_bootstrap(_noisy(1), confidence=1.0)


# Fleiss (1971) as worked on Wikipedia ("Fleiss' kappa", worked example): 10 subjects,
# 14 raters each, 5 categories; P̄ = 0.378, P_e = 0.213, κ = 0.210.
FLEISS_TABLE = np.array(
    [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
)  # fmt: skip


def test_fleiss_kappa_of_the_worked_example() -> None:
    subject, category = np.nonzero(FLEISS_TABLE)
    times = FLEISS_TABLE[subject, category]
    unit, label = np.repeat(subject, times), np.repeat(category, times)
    rater = np.concatenate([np.arange(14)] * 10)
    kappa = fleiss_kappa(reliability_data(unit, rater, label))
    assert round(kappa, 3) == 0.210
    assert kappa == pytest.approx(0.20993, abs=1e-5)


@FAST
@given(matrix=reliability_matrices())
def test_fleiss_kappa_with_varying_raters_is_the_collusion_checks_generalisation(
    matrix: Matrix,
) -> None:
    items = [[int(v) for v in column if not np.isnan(v)] for column in matrix.T]
    assert fleiss_kappa(_codes(matrix, None)) == pytest.approx(
        collusion_fleiss_kappa(items), abs=1e-12
    )


def test_pairwise_cohen_kappa_equals_scikit_learn() -> None:
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 4, 80)
    matrix = np.where(rng.random((5, 80)) < 0.6, truth, rng.integers(0, 4, (5, 80)))
    matrix = np.where(rng.random((5, 80)) < 0.3, np.nan, matrix.astype(float))
    pairs = pairwise_cohen_kappa(_codes(matrix, None), min_shared=10)
    assert pairs.n_pairs == 10  # every pair of 5 workers shares about 40 units
    for a, b, shared, kappa in zip(
        pairs.worker_a, pairs.worker_b, pairs.shared, pairs.kappa, strict=True
    ):
        both = ~np.isnan(matrix[a]) & ~np.isnan(matrix[b])
        assert shared == both.sum()
        assert kappa == pytest.approx(cohen_kappa_score(matrix[a][both], matrix[b][both]))


def test_pairs_sharing_too_few_units_are_left_out_and_summarised_per_worker() -> None:
    # workers 0 and 1 share 12 units (agreeing on all but 2), worker 2 shares 3 with each
    unit = np.r_[np.arange(12), np.arange(12), [0, 1, 2]]
    worker = np.r_[np.zeros(12), np.ones(12), [2, 2, 2]].astype(int)
    label = np.r_[np.arange(12) % 3, (np.arange(12) % 3)[:10], [1, 1], [0, 0, 0]]
    pairs = pairwise_cohen_kappa(reliability_data(unit, worker, label), min_shared=10)
    assert (pairs.n_pairs, int(pairs.shared[0])) == (1, 12)
    expected = cohen_kappa_score(label[:12], label[12:24])
    assert pairs.kappa[0] == pytest.approx(expected)
    mean, count = pairs.per_worker(3)
    assert mean[:2] == pytest.approx([expected, expected]) and np.isnan(mean[2])
    assert count.tolist() == [1, 1, 0]
    assert pairs.mean() == pairs.median() == pytest.approx(expected)


def test_a_workers_repeated_answer_to_a_unit_is_dropped() -> None:
    data = reliability_data([0, 0, 0, 1, 1], [0, 1, 0, 0, 1], [1, 1, 0, 0, 0])
    assert data.repeated == 1
    assert data.label.tolist() == [1, 1, 0, 0]  # worker 0's second answer to unit 0 is gone
    assert krippendorff_alpha(data) == pytest.approx(1.0)


def test_labels_with_the_same_number_are_one_value() -> None:
    data = reliability_data([0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 2, 2], values=[1.0, 1.0, 5.0])
    assert data.n_labels == 2 and data.values is not None and data.values.tolist() == [1, 5]
    assert krippendorff_alpha(data, Level.ORDINAL) == pytest.approx(1.0)


def test_report_gathers_every_statistic() -> None:
    data = _noisy(2)
    report = agreement_report(data, Level.ORDINAL, resamples=200, rng=0, min_shared=5)
    assert report.alpha == krippendorff_alpha(data, Level.ORDINAL)
    assert report.interval is not None and report.interval.low < report.alpha
    assert report.fleiss_kappa == fleiss_kappa(data)
    assert report.pairwise.n_pairs == 28
    assert report.worker_alpha_without.shape == report.worker_mean_kappa.shape == (8,)
    assert int(report.label_answers.sum()) == report.pairable_answers
    assert agreement_report(data, resamples=0).interval is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: krippendorff_alpha(reliability_data([0, 1], [0, 0], [0, 1])), "no unit has"),
        (
            lambda: krippendorff_alpha(reliability_data([0, 0], [0, 1], [0, 1]), Level.ORDINAL),
            "needs the number each label stands for",
        ),
        (lambda: reliability_data([0, 0], [0], [0, 1]), "one entry per answer"),
        (lambda: reliability_data([0, -1], [0, 1], [0, 1]), "integer codes from 0"),
        (lambda: reliability_data([0.5], [0], [0]), "integer codes from 0"),
        (lambda: reliability_data([0], [0], [1], values=[1.0]), "a finite number for each"),
        (
            lambda: agreement_report(reliability_data([0, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1])),
            "undefined when nothing varies",
        ),
    ],
    ids=[
        "no-pairable-unit",
        "ordinal-without-values",
        "lengths",
        "negative",
        "float",
        "values",
        "one-value",
    ],
)
def test_bad_input_is_refused_with_the_reason(build: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        build()  # type: ignore[operator]


def test_alpha_is_nan_when_a_single_value_is_used() -> None:
    data = reliability_data([0, 0, 1, 1], [0, 1, 0, 1], [2, 2, 2, 2])
    assert np.isnan(krippendorff_alpha(data))
    assert np.isnan(fleiss_kappa(data))
