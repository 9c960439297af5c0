"""SPEC §3 managed quality: the live worker-quality model and its revocation rule, the Wilson
interval behind the guarantee, and the one-coin item posterior behind dynamic overlap."""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.stats import beta as beta_dist
from scipy.stats import binomtest

from crowdset.core.quality import (
    CONSENSUS_WEIGHT,
    DEFAULT_PRIOR,
    GOLD_WEIGHT,
    MIN_ANSWERS,
    GuaranteeStatus,
    WorkerQuality,
    guarantee_check,
    item_posterior,
    needs_more_judgments,
    should_revoke,
    wilson_interval,
)
from crowdset.errors import InvalidInput

counts = st.floats(min_value=0, max_value=500, allow_nan=False)
priors = st.tuples(st.floats(min_value=0.5, max_value=20), st.floats(min_value=0.5, max_value=20))
qualities = st.builds(WorkerQuality, correct=counts, wrong=counts, prior=priors)
levels = st.floats(min_value=0.5, max_value=0.999)
bars = st.floats(min_value=0.05, max_value=1.0)


def record(outcomes: list[bool], weight: float = GOLD_WEIGHT) -> WorkerQuality:
    quality = WorkerQuality()
    for outcome in outcomes:
        quality = quality.updated(outcome, weight)
    return quality


def first_revocation(outcomes: list[bool], bar: float) -> int | None:
    """The number of gold answers after which the worker is first revoked (or None)."""
    quality = WorkerQuality()
    for n, outcome in enumerate(outcomes, start=1):
        quality = quality.updated(outcome)
        if should_revoke(quality, bar):
            return n
    return None


# --- WorkerQuality -------------------------------------------------------------------------


def test_worker_quality_defaults_to_the_beta_2_1_prior() -> None:
    quality = WorkerQuality()
    assert quality.prior == DEFAULT_PRIOR == (2.0, 1.0)
    assert quality.posterior_mean() == pytest.approx(2 / 3)
    assert quality.evidence == 0


def test_worker_quality_posterior_mean() -> None:
    quality = WorkerQuality(correct=8, wrong=2)
    assert quality.posterior_mean() == pytest.approx(10 / 13)
    assert (quality.alpha, quality.beta) == (10.0, 3.0)


def test_updated_counts_gold_fully_and_consensus_by_half() -> None:
    quality = WorkerQuality().updated(True).updated(False, CONSENSUS_WEIGHT)
    assert (quality.correct, quality.wrong) == (1.0, 0.5)
    assert (GOLD_WEIGHT, CONSENSUS_WEIGHT) == (1.0, 0.5)
    assert WorkerQuality().updated(True, 0.0) == WorkerQuality()


def test_updated_returns_a_new_value() -> None:
    quality = WorkerQuality()
    assert quality.updated(True) is not quality
    assert quality == WorkerQuality()


@pytest.mark.parametrize("weight", [-0.5, math.nan, math.inf], ids=["negative", "nan", "inf"])
def test_updated_refuses_a_bad_weight(weight: float) -> None:
    with pytest.raises(InvalidInput, match="weight must be a finite number ≥ 0"):
        WorkerQuality().updated(True, weight)


@pytest.mark.parametrize(
    "prior", [(0.0, 1.0), (1.0, -1.0), (math.inf, 1.0)], ids=["zero", "negative", "inf"]
)
def test_worker_quality_refuses_a_bad_prior(prior: tuple[float, float]) -> None:
    with pytest.raises(InvalidInput, match="prior must be two finite numbers > 0"):
        WorkerQuality(prior=prior)


def test_worker_quality_refuses_negative_counts() -> None:
    with pytest.raises(InvalidInput, match="must be ≥ 0"):
        WorkerQuality(wrong=-1)


def test_credible_interval_known_values() -> None:
    # Beta(3, 1): cdf x³, so the 2.5 % and 97.5 % quantiles are their cube roots
    low, high = WorkerQuality(correct=1).credible_interval(0.95)
    assert (low, high) == pytest.approx((0.025 ** (1 / 3), 0.975 ** (1 / 3)))


@given(qualities, st.floats(min_value=0.001, max_value=0.999))
def test_quantiles_are_scipy_beta_ppf(quality: WorkerQuality, q: float) -> None:
    expected = beta_dist.ppf(q, quality.alpha, quality.beta)
    assert quality.quantile(q) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(qualities, levels)
def test_credible_interval_contains_the_posterior_mean(
    quality: WorkerQuality, level: float
) -> None:
    low, high = quality.credible_interval(level)
    assert 0.0 <= low <= quality.posterior_mean() <= high <= 1.0


@given(qualities, levels, levels)
def test_credible_intervals_nest_by_level(quality: WorkerQuality, a: float, b: float) -> None:
    narrow, wide = sorted((a, b))
    n_low, n_high = quality.credible_interval(narrow)
    w_low, w_high = quality.credible_interval(wide)
    assert w_low <= n_low + 1e-12
    assert n_high <= w_high + 1e-12


@given(qualities, st.floats(min_value=0.0, max_value=1.0))
def test_prob_at_least_is_the_beta_survival_function(quality: WorkerQuality, bar: float) -> None:
    expected = beta_dist.sf(bar, quality.alpha, quality.beta)
    assert quality.prob_at_least(bar) == pytest.approx(expected, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5], ids=str)
def test_credible_interval_refuses_a_bad_level(level: float) -> None:
    with pytest.raises(InvalidInput, match="level must lie strictly between 0 and 1"):
        WorkerQuality().credible_interval(level)


# --- should_revoke ----------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=2_000), bars, st.floats(0.5, 0.999))
def test_should_revoke_never_for_a_perfect_record(n: int, bar: float, confidence: float) -> None:
    assert not should_revoke(WorkerQuality(correct=n), bar, confidence, min_answers=0)


@given(qualities, bars, st.floats(0.5, 0.999))
def test_should_revoke_is_the_stated_rule(
    quality: WorkerQuality, bar: float, confidence: float
) -> None:
    """Evidence ≥ min_answers, at least one wrong answer, and P(accuracy ≥ bar) < 1 − conf."""
    tail = float(beta_dist.sf(bar, quality.alpha, quality.beta))
    assume(abs(tail - (1 - confidence)) > 1e-9)  # away from the boundary's rounding
    expected = quality.evidence >= MIN_ANSWERS and quality.wrong > 0 and tail < 1 - confidence
    assert should_revoke(quality, bar, confidence) is expected
    assert (quality.upper_bound(confidence) < bar) is (tail < 1 - confidence)


@given(qualities, bars)
def test_should_revoke_stays_revoked_after_more_wrong_answers(
    quality: WorkerQuality, bar: float
) -> None:
    assume(should_revoke(quality, bar))
    assert should_revoke(quality.updated(False), bar)
    assert should_revoke(quality.updated(False, CONSENSUS_WEIGHT), bar)


@given(qualities, bars, st.floats(min_value=0, max_value=1_000))
def test_should_revoke_waits_for_min_answers(
    quality: WorkerQuality, bar: float, min_answers: float
) -> None:
    assume(quality.evidence < min_answers)
    assert not should_revoke(quality, bar, min_answers=min_answers)


def test_should_revoke_a_record_exactly_half_right_at_the_tenth_gold_answer() -> None:
    """Binary task, bar 0.8: 5 of 10 gives Beta(7, 6), whose 95 % upper bound is 0.755."""
    alternating = [n % 2 == 1 for n in range(40)]  # wrong first, then right, …
    assert first_revocation(alternating, bar=0.8) == 10 == MIN_ANSWERS
    assert WorkerQuality(correct=5, wrong=5).upper_bound(0.95) == pytest.approx(0.755, abs=1e-3)
    # without the minimum the same record goes at the 5th answer (2 of 5 right)
    quality, revoked_at = WorkerQuality(), None
    for n, outcome in enumerate(alternating, start=1):
        quality = quality.updated(outcome)
        if should_revoke(quality, 0.8, min_answers=0):
            revoked_at = n
            break
    assert revoked_at == 5


def test_should_revoke_a_binary_spammer_after_a_modest_number_of_gold_answers() -> None:
    """A worker right half the time on a binary task, bar 0.8: of 500 simulated spammers, all
    are revoked within 60 gold answers, 99 % within 40, 95 % within 25, the median within 12
    (a simulation of 4,000 gave: median 10, the minimum; 95 % within 22; 99 % within 30)."""
    rng = np.random.default_rng(5)
    answers = rng.random((500, 60)) < 0.5
    firsts = [first_revocation(row.tolist(), bar=0.8) for row in answers]
    assert None not in firsts
    revoked = np.array(firsts, dtype=float)
    assert revoked.min() >= MIN_ANSWERS
    assert np.median(revoked) <= 12
    assert np.percentile(revoked, 95) <= 25
    assert np.percentile(revoked, 99) <= 40


def test_should_revoke_rarely_revokes_a_good_worker() -> None:
    """Workers at 0.95 against a bar of 0.8, 200 gold answers each: none of 300 is revoked."""
    rng = np.random.default_rng(6)
    answers = rng.random((300, 200)) < 0.95
    assert all(first_revocation(row.tolist(), bar=0.8) is None for row in answers)


def test_should_revoke_counts_consensus_at_half_weight() -> None:
    """The same record as consensus agreement needs twice the answers to reach the minimum."""
    half_right = [True, False] * 10
    assert not should_revoke(record(half_right[:10], CONSENSUS_WEIGHT), 0.8)
    assert should_revoke(record(half_right, CONSENSUS_WEIGHT), 0.8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bar": 0.0}, "bar must lie in"),
        ({"bar": 1.2}, "bar must lie in"),
        ({"bar": 0.8, "confidence": 1.0}, "confidence must lie strictly between 0 and 1"),
        ({"bar": 0.8, "min_answers": -1}, "min_answers must be ≥ 0"),
    ],
    ids=["bar-0", "bar-above-1", "confidence-1", "negative-min"],
)
def test_should_revoke_refuses_bad_parameters(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        should_revoke(WorkerQuality(), **kwargs)


# --- wilson_interval ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "trials", "confidence", "expected"),
    [
        (8, 10, 0.95, (0.4902, 0.9433)),
        (0, 10, 0.95, (0.0, 0.2775)),
        (10, 10, 0.95, (0.7225, 1.0)),
        (50, 100, 0.95, (0.4038, 0.5962)),
        (95, 100, 0.90, (0.9008, 0.9755)),
        (0, 0, 0.95, (0.0, 1.0)),
    ],
    ids=["8-of-10", "0-of-10", "10-of-10", "50-of-100", "95-of-100-at-90pc", "no-trials"],
)
def test_wilson_interval(
    successes: int, trials: int, confidence: float, expected: tuple[float, float]
) -> None:
    assert wilson_interval(successes, trials, confidence) == pytest.approx(expected, abs=1e-4)


@st.composite
def binomial_counts(draw: st.DrawFn) -> tuple[int, int]:
    trials = draw(st.integers(min_value=1, max_value=100_000))
    return draw(st.integers(min_value=0, max_value=trials)), trials


@given(binomial_counts(), st.floats(min_value=0.5, max_value=0.999))
def test_wilson_interval_lies_in_0_1_and_contains_the_proportion(
    counts_: tuple[int, int], confidence: float
) -> None:
    successes, trials = counts_
    low, high = wilson_interval(successes, trials, confidence)
    assert 0.0 <= low <= successes / trials <= high <= 1.0


@given(binomial_counts(), st.floats(min_value=0.5, max_value=0.999))
def test_wilson_interval_is_scipys(counts_: tuple[int, int], confidence: float) -> None:
    successes, trials = counts_
    reference = binomtest(successes, trials).proportion_ci(confidence, method="wilson")
    low, high = wilson_interval(successes, trials, confidence)
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-9)


@given(binomial_counts(), st.integers(min_value=2, max_value=50))
def test_wilson_interval_narrows_with_more_trials(counts_: tuple[int, int], factor: int) -> None:
    """The same proportion from ``factor`` times the trials gives a strictly narrower interval."""
    successes, trials = counts_
    low, high = wilson_interval(successes, trials)
    more_low, more_high = wilson_interval(successes * factor, trials * factor)
    assert more_high - more_low < high - low


@pytest.mark.parametrize(
    ("successes", "trials"), [(-1, 5), (6, 5), (0, -1)], ids=["negative", "above", "no-trials"]
)
def test_wilson_interval_refuses_impossible_counts(successes: int, trials: int) -> None:
    with pytest.raises(InvalidInput, match="need 0 ≤ successes ≤ trials"):
        wilson_interval(successes, trials)


# --- guarantee_check ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "audit", "status"),
    [
        ((990, 1000), (0, 0), GuaranteeStatus.MET),
        ((900, 1000), (0, 0), GuaranteeStatus.AT_RISK),
        ((19, 20), (0, 0), GuaranteeStatus.UNDECIDED),
        ((0, 0), (0, 0), GuaranteeStatus.UNDECIDED),
        ((190, 200), (790, 800), GuaranteeStatus.MET),
        ((95, 100), (0, 0), GuaranteeStatus.UNDECIDED),
    ],
    ids=["99pc-of-1000", "90pc-of-1000", "19-of-20", "nothing-checked", "pooled", "at-target"],
)
def test_guarantee_check(
    gold: tuple[int, int], audit: tuple[int, int], status: GuaranteeStatus
) -> None:
    check = guarantee_check(*gold, *audit, target=0.95)
    assert check.status is status
    assert (check.correct, check.checked) == (gold[0] + audit[0], gold[1] + audit[1])
    assert (check.low, check.high) == wilson_interval(check.correct, check.checked)


@given(binomial_counts(), binomial_counts(), st.floats(0.5, 0.99))
def test_guarantee_check_reads_the_interval(
    gold: tuple[int, int], audit: tuple[int, int], target: float
) -> None:
    check = guarantee_check(*gold, *audit, target=target)
    if check.status is GuaranteeStatus.MET:
        assert check.low >= target
    elif check.status is GuaranteeStatus.AT_RISK:
        assert check.high < target
    else:
        assert check.low < target <= check.high


def test_guarantee_check_refuses_impossible_counts() -> None:
    with pytest.raises(InvalidInput, match="audit_correct ≤ audit_checked"):
        guarantee_check(5, 10, 3, 2)


# --- item_posterior -----------------------------------------------------------------------


def brute_force_posterior(
    labels: list[int], accuracies: list[float], n_classes: int, prior: list[float]
) -> list[float]:
    joint = []
    for c in range(n_classes):
        p = prior[c]
        for label, accuracy in zip(labels, accuracies, strict=True):
            p *= accuracy if label == c else (1 - accuracy) / (n_classes - 1)
        joint.append(p)
    return [p / sum(joint) for p in joint]


@st.composite
def judgments(draw: st.DrawFn, max_size: int = 12) -> tuple[list[int], list[float], int]:
    n_classes = draw(st.integers(min_value=2, max_value=6))
    size = draw(st.integers(min_value=0, max_value=max_size))
    labels = draw(st.lists(st.integers(0, n_classes - 1), min_size=size, max_size=size))
    accuracies = draw(st.lists(st.floats(0.05, 0.95), min_size=size, max_size=size))
    return labels, accuracies, n_classes


def test_item_posterior_known_value() -> None:
    # two workers at 0.8 say class 0, one at 0.6 says class 1: 0.8²·0.4 vs 0.2²·0.6
    posterior = item_posterior([0, 0, 1], [0.8, 0.8, 0.6], n_classes=2)
    assert posterior.tolist() == pytest.approx([0.256 / 0.28, 0.024 / 0.28])


@given(judgments(), st.lists(st.floats(0.1, 10), min_size=6, max_size=6))
def test_item_posterior_is_the_one_coin_product(
    case: tuple[list[int], list[float], int], weights: list[float]
) -> None:
    labels, accuracies, n_classes = case
    prior = weights[:n_classes]
    posterior = item_posterior(labels, accuracies, n_classes, prior=prior)
    total = sum(prior)
    expected = brute_force_posterior(labels, accuracies, n_classes, [w / total for w in prior])
    assert posterior.tolist() == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert posterior.sum() == pytest.approx(1.0)


@given(judgments(max_size=6))
def test_item_posterior_ignores_the_order_of_judgments(
    case: tuple[list[int], list[float], int],
) -> None:
    labels, accuracies, n_classes = case
    reference = item_posterior(labels, accuracies, n_classes)
    pairs = list(zip(labels, accuracies, strict=True))
    for shuffled in list(permutations(pairs))[:24]:
        again = item_posterior([p[0] for p in shuffled], [p[1] for p in shuffled], n_classes)
        assert again.tolist() == pytest.approx(reference.tolist(), rel=1e-9, abs=1e-12)


@given(judgments(), st.integers(0, 2**32 - 1))
def test_item_posterior_follows_a_renaming_of_classes(
    case: tuple[list[int], list[float], int], seed: int
) -> None:
    labels, accuracies, n_classes = case
    renaming = np.random.default_rng(seed).permutation(n_classes)
    posterior = item_posterior(labels, accuracies, n_classes)
    renamed = item_posterior([int(renaming[label]) for label in labels], accuracies, n_classes)
    assert renamed[renaming].tolist() == pytest.approx(posterior.tolist(), rel=1e-9, abs=1e-12)


@given(st.integers(2, 8), st.lists(st.integers(0, 7), max_size=20))
def test_item_posterior_of_workers_at_chance_is_the_prior(
    n_classes: int, labels: list[int]
) -> None:
    labels = [label % n_classes for label in labels]
    prior = np.arange(1, n_classes + 1, dtype=float)
    posterior = item_posterior(labels, [1 / n_classes] * len(labels), n_classes, prior=prior)
    assert posterior.tolist() == pytest.approx((prior / prior.sum()).tolist())


def test_item_posterior_does_not_underflow_on_long_records() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, 5_000)
    labels[:2_000] = 3
    posterior = item_posterior(labels, np.full(5_000, 0.9), n_classes=5)
    assert np.isfinite(posterior).all()
    assert posterior.argmax() == 3
    assert posterior.sum() == pytest.approx(1.0)


def test_item_posterior_survives_perfect_workers_who_disagree() -> None:
    posterior = item_posterior([0, 1], [1.0, 1.0], n_classes=3)
    # clipped at 1 − 1e-6, each leaves the other's class a likelihood of 1e-6, not 0
    assert posterior.tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-6)


@pytest.mark.parametrize(
    ("labels", "accuracies", "n_classes", "prior", "message"),
    [
        ([0, 2], [0.8, 0.8], 2, None, "labels must be integer class codes in 0…1"),
        ([0.5], [0.8], 2, None, "labels must be integer class codes"),
        ([0, 1], [0.8], 2, None, "must be 1-D and of equal length"),
        ([0], [1.5], 2, None, "worker_accuracies must lie in"),
        ([0], [0.8], 1, None, "n_classes must be ≥ 2"),
        ([0], [0.8], 2, [1.0, -1.0], "prior must be 2 finite numbers ≥ 0"),
        ([0], [0.8], 2, [1.0, 1.0, 1.0], "prior must be 2 finite numbers ≥ 0"),
    ],
    ids=[
        "label-too-big",
        "float-label",
        "unpaired",
        "accuracy-above-1",
        "one-class",
        "negative-prior",
        "prior-wrong-length",
    ],
)
def test_item_posterior_refuses_bad_input(
    labels: list[float],
    accuracies: list[float],
    n_classes: int,
    prior: list[float] | None,
    message: str,
) -> None:
    with pytest.raises(InvalidInput, match=message):
        item_posterior(labels, accuracies, n_classes, prior=prior)


# --- needs_more_judgments -----------------------------------------------------------------


def judgments_until_settled(
    accuracy: float, n_classes: int, target: float, max_overlap: int = 1_000
) -> int:
    """Unanimous judgments at ``accuracy`` until ``needs_more_judgments`` says stop."""
    labels: list[int] = []
    while True:
        posterior = item_posterior(labels, [accuracy] * len(labels), n_classes)
        if not needs_more_judgments(posterior, len(labels), target, max_overlap, 1):
            return len(labels)
        labels.append(0)


def test_needs_more_judgments_unanimous_accurate_judgments_settle_quickly() -> None:
    """Binary, workers at 0.8: 3 agreeing judgments give 0.985 ≥ 0.95; 4 give 0.996 ≥ 0.99."""
    assert judgments_until_settled(0.8, 2, 0.95) == 3
    assert judgments_until_settled(0.8, 2, 0.99) == 4
    assert judgments_until_settled(0.9, 5, 0.99) == 2  # 5 classes, 0.9: 2 give 0.9985


@given(st.floats(0.55, 0.99), st.integers(2, 10), st.floats(0.6, 0.999))
def test_needs_more_judgments_stops_at_the_first_unanimous_count_reaching_the_target(
    accuracy: float, n_classes: int, target: float
) -> None:
    """``n`` unanimous judgments give the class odds ``(p(K−1)/(1−p))ⁿ / (K−1)`` against
    the rest, so they settle at ``n* = ⌈log(t(K−1)/(1−t)) / log(p(K−1)/(1−p))⌉``."""
    ratio = accuracy * (n_classes - 1) / (1 - accuracy)
    exact = math.log(target * (n_classes - 1) / (1 - target)) / math.log(ratio)
    assume(abs(exact - round(exact)) > 1e-6)  # away from the boundary's rounding
    n = judgments_until_settled(accuracy, n_classes, target)
    assert n == max(1, math.ceil(exact))


@pytest.mark.parametrize(
    ("posterior", "judgments_", "expected"),
    [
        ([0.99, 0.01], 0, True),
        ([0.99, 0.01], 1, True),
        ([0.99, 0.01], 2, False),
        ([0.6, 0.4], 2, True),
        ([0.6, 0.4], 7, False),
        ([0.6, 0.4], 9, False),
        ([0.95, 0.05], 3, False),
    ],
    ids=[
        "below-min",
        "still-below-min",
        "confident",
        "unsure",
        "at-max",
        "past-max",
        "exactly-at-target",
    ],
)
def test_needs_more_judgments(posterior: list[float], judgments_: int, expected: bool) -> None:
    assert (
        needs_more_judgments(
            np.array(posterior), judgments_, target_confidence=0.95, max_overlap=7, min_overlap=2
        )
        is expected
    )


@given(
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6).filter(lambda w: sum(w) > 0),
    st.integers(0, 20),
    st.floats(0.5, 1.0),
    st.integers(1, 10),
    st.integers(0, 10),
)
def test_needs_more_judgments_is_the_stated_rule(
    weights: list[float], judgments_: int, target: float, min_overlap: int, extra: int
) -> None:
    posterior = np.array(weights) / sum(weights)
    max_overlap = min_overlap + extra
    expected = judgments_ < min_overlap or (
        judgments_ < max_overlap and bool(posterior.max() < target)
    )
    assert needs_more_judgments(posterior, judgments_, target, max_overlap, min_overlap) is expected


@pytest.mark.parametrize(
    ("posterior", "judgments_", "target", "max_overlap", "min_overlap", "message"),
    [
        ([0.5, 0.6], 1, 0.95, 7, 1, "posterior must sum to 1"),
        ([1.0], 1, 0.95, 7, 1, "posterior must be a 1-D array"),
        ([0.5, 0.5], 1, 0.0, 7, 1, "target_confidence must lie in"),
        ([0.5, 0.5], 1, 0.95, 2, 3, "need 1 ≤ min_overlap ≤ max_overlap"),
        ([0.5, 0.5], 1, 0.95, 7, 0, "need 1 ≤ min_overlap ≤ max_overlap"),
        ([0.5, 0.5], -1, 0.95, 7, 1, "judgments must be ≥ 0"),
    ],
    ids=["not-normalised", "one-class", "target-0", "min-above-max", "min-0", "negative-judgments"],
)
def test_needs_more_judgments_refuses_bad_input(
    posterior: list[float],
    judgments_: int,
    target: float,
    max_overlap: int,
    min_overlap: int,
    message: str,
) -> None:
    with pytest.raises(InvalidInput, match=message):
        needs_more_judgments(posterior, judgments_, target, max_overlap, min_overlap)
