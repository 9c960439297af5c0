"""The mechanism of SPEC §6 as pure rules: fines and bonds, quality-weighted verdicts, track
records and what they mean for a worker (revoke, release, wait). Worked values first, then
properties: verdicts are symmetric, nobody is revoked for one mistake or a few contested decisions,
honest workers are practically never revoked and spammers practically always are."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdset.core.mechanism import (
    CONTROL_WEIGHT,
    DECISION_WEIGHT,
    Evidence,
    MechanismSettings,
    Standing,
    TrackRecord,
    Verdict,
    control_share_for,
    controls_to_leave_probation,
    decided_quality,
    decision_accuracy,
    fine_for,
    is_established,
    required_bond,
    standing_of,
    weighted_verdict,
)
from crowdset.core.mechanism.decisions import log_odds
from crowdset.core.mechanism.evidence import balanced_decision_weight
from crowdset.errors import InvalidInput

DEFAULTS = MechanismSettings()
FRESH = TrackRecord().quality.posterior_mean()  # 2/3 under the Beta(2, 1) prior


def verdict_of(votes: list[tuple[bool, float]], **overrides: float) -> Verdict:
    options: dict[str, float] = {"prior_good": 0.8, "target": 0.95, "min_votes": 3, "max_votes": 7}
    options.update(overrides)
    return weighted_verdict(
        votes,
        prior_good=options["prior_good"],
        target=options["target"],
        min_votes=int(options["min_votes"]),
        max_votes=int(options["max_votes"]),
    ).verdict


def standing(record: TrackRecord, settings: MechanismSettings = DEFAULTS) -> Standing:
    return standing_of(
        record,
        bar=settings.bar,
        confidence=settings.confidence,
        min_evidence=settings.min_evidence,
    )


# --- fines and bonds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earned", "cost", "multiplier", "fine"),
    [
        (100, 0, "1.5", 150),  # 1.5 × what was earned
        (0, 140, "1.5", 140),  # nothing earned: what catching the failures cost
        (100, 200, "1.5", 200),  # never less than the cost of failures
        (3, 0, "1.5", 5),  # 4.5 rounded up
        (0, 0, "1.5", 0),
        (100, 0, "0", 0),
    ],
    ids=["multiple", "cost-only", "cost-floor", "rounded-up", "nothing", "no-multiplier"],
)
def test_fine_for(earned: int, cost: int, multiplier: str, fine: int) -> None:
    assert fine_for(earned, cost, Decimal(multiplier)) == fine


@pytest.mark.parametrize(
    ("earned", "cost", "multiplier"), [(-1, 0, "1"), (0, -1, "1"), (1, 1, "-0.5")]
)
def test_fine_for_refuses_negative_amounts(earned: int, cost: int, multiplier: str) -> None:
    with pytest.raises(InvalidInput):
        fine_for(earned, cost, Decimal(multiplier))


@pytest.mark.parametrize(
    ("price", "cost", "units", "bond"),
    [
        (20, 0, 100, 3_000),  # 100 votes at 0.20 credits, × 1.5
        (80, 140, 10, 1_400),  # 10 queries: 7 votes of 0.20 each to catch one beats 1.5 × 0.80
        (10, 0, 2.5, 45),  # 3 units (rounded up) × 10 × 1.5
    ],
    ids=["votes", "writes", "units-rounded-up"],
)
def test_required_bond(price: int, cost: int, units: float, bond: int) -> None:
    assert required_bond(price, cost, units, Decimal("1.5")) == bond


@given(
    earned=st.integers(0, 10**9),
    cost=st.integers(0, 10**9),
    multiplier=st.decimals(0, 10, places=2),
)
def test_a_fine_covers_both_the_multiple_and_the_cost(
    earned: int, cost: int, multiplier: Decimal
) -> None:
    fine = fine_for(earned, cost, multiplier)
    assert fine >= cost and fine >= earned * multiplier
    assert fine < max(Decimal(cost), earned * multiplier) + 1


# --- quality-weighted verdicts ----------------------------------------------------------------


def test_three_fresh_yes_votes_accept_at_an_80_percent_prior() -> None:
    decision = weighted_verdict(
        [(True, FRESH)] * 3, prior_good=0.8, target=0.95, min_votes=3, max_votes=7
    )
    # log-odds: log 4 + 3 log 2 = log 32 → 32/33
    assert decision.verdict is Verdict.ACCEPT
    assert decision.prob_good == pytest.approx(32 / 33)
    assert decision.confidence == pytest.approx(32 / 33)


@pytest.mark.parametrize(
    ("votes", "verdict"),
    [
        ([True, True], Verdict.UNDECIDED),  # below min_votes, however confident
        ([True, False, True], Verdict.UNDECIDED),  # 8/9
        ([True, False, True, True], Verdict.UNDECIDED),  # 16/17 < 0.95
        ([True, False, True, True, True], Verdict.ACCEPT),  # 32/33
        ([False] * 3, Verdict.UNDECIDED),  # 1/3: three fresh voters cannot overturn the prior
        ([False] * 7, Verdict.REJECT),  # 1/33
        ([True, False] * 3 + [True], Verdict.UNSETTLED),  # at max_votes without confidence
    ],
    ids=["too-few", "2-1", "3-1", "4-1", "0-3", "0-7", "max-votes"],
)
def test_fresh_validators_need_more_votes_to_refuse(votes: list[bool], verdict: Verdict) -> None:
    assert verdict_of([(v, FRESH) for v in votes]) is verdict


def test_trusted_validators_decide_in_three_votes_either_way() -> None:
    trusted = 0.9  # log-odds log 9 each
    assert verdict_of([(False, trusted)] * 3) is Verdict.REJECT  # 4 / 733
    assert verdict_of([(True, trusted), (False, trusted), (True, trusted)]) is Verdict.ACCEPT


def test_a_validator_at_one_half_carries_no_weight_and_below_counts_against() -> None:
    base = [(True, 0.8), (True, 0.8)]
    without = weighted_verdict(base, prior_good=0.5, target=0.99, min_votes=1, max_votes=9)
    coin = weighted_verdict(
        [*base, (False, 0.5)], prior_good=0.5, target=0.99, min_votes=1, max_votes=9
    )
    contrary = weighted_verdict(
        [*base, (True, 0.2)], prior_good=0.5, target=0.99, min_votes=1, max_votes=9
    )
    assert coin.prob_good == pytest.approx(without.prob_good)
    assert contrary.prob_good < without.prob_good  # "yes" from someone usually wrong
    assert log_odds(0.5) == 0.0


def test_no_single_vote_decides_alone_however_trusted() -> None:
    decision = weighted_verdict(
        [(True, 0.99999)], prior_good=0.5, target=0.995, min_votes=1, max_votes=3
    )
    assert decision.prob_good == pytest.approx(0.99)  # clipped to 0.99
    assert decision.verdict is Verdict.UNDECIDED


@pytest.mark.parametrize(
    "overrides",
    [{"prior_good": 0.0}, {"prior_good": 1.0}, {"target": 0.5}, {"min_votes": 0}],
    ids=["prior-0", "prior-1", "target-half", "no-votes"],
)
def test_weighted_verdict_refuses_bad_settings(overrides: dict[str, float]) -> None:
    with pytest.raises(InvalidInput):
        verdict_of([(True, 0.8)] * 3, **overrides)


votes_strategy = st.lists(
    st.tuples(st.booleans(), st.floats(0.01, 0.999, allow_nan=False)), max_size=12
)


@given(votes=votes_strategy, prior=st.floats(0.05, 0.95), target=st.floats(0.55, 0.99))
def test_weighted_verdict_is_symmetric(
    votes: list[tuple[bool, float]], prior: float, target: float
) -> None:
    """Flipping every vote and the prior flips the verdict: neither side is favoured."""
    plain = weighted_verdict(votes, prior_good=prior, target=target, min_votes=1, max_votes=12)
    flipped = weighted_verdict(
        [(not good, accuracy) for good, accuracy in votes],
        prior_good=1 - prior,
        target=target,
        min_votes=1,
        max_votes=12,
    )
    assert flipped.prob_good == pytest.approx(1 - plain.prob_good, abs=1e-9)
    mirror = {Verdict.ACCEPT: Verdict.REJECT, Verdict.REJECT: Verdict.ACCEPT}
    if abs(plain.prob_good - target) > 1e-9 and abs(1 - plain.prob_good - target) > 1e-9:
        assert flipped.verdict is mirror.get(plain.verdict, plain.verdict)


@given(votes=votes_strategy, order=st.randoms(use_true_random=False))
def test_the_order_of_votes_does_not_matter(votes: list[tuple[bool, float]], order: object) -> None:
    shuffled = list(votes)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    a = weighted_verdict(votes, prior_good=0.8, target=0.95, min_votes=1, max_votes=12)
    b = weighted_verdict(shuffled, prior_good=0.8, target=0.95, min_votes=1, max_votes=12)
    assert a.prob_good == pytest.approx(b.prob_good, abs=1e-12)


@given(n=st.integers(3, 12), accuracy=st.floats(0.51, 0.99))
def test_unanimous_votes_never_go_against_their_side(n: int, accuracy: float) -> None:
    yes = weighted_verdict(
        [(True, accuracy)] * n, prior_good=0.5, target=0.9, min_votes=3, max_votes=12
    )
    no = weighted_verdict(
        [(False, accuracy)] * n, prior_good=0.5, target=0.9, min_votes=3, max_votes=12
    )
    assert yes.verdict in (Verdict.ACCEPT, Verdict.UNDECIDED, Verdict.UNSETTLED)
    assert no.verdict in (Verdict.REJECT, Verdict.UNDECIDED, Verdict.UNSETTLED)
    assert yes.prob_good > 0.5 > no.prob_good


# --- track records and standing ---------------------------------------------------------------


def test_a_control_counts_one_and_a_decision_one_half() -> None:
    record = (
        TrackRecord()
        .observed(True, Evidence.CONTROL)
        .observed(False, Evidence.CONTROL)
        .observed(True, Evidence.DECISION)
        .observed(False, Evidence.DECISION)
    )
    assert (
        (record.correct, record.wrong)
        == (
            CONTROL_WEIGHT + DECISION_WEIGHT,
            CONTROL_WEIGHT + DECISION_WEIGHT,
        )
        == (1.5, 1.5)
    )
    assert (record.controls, record.controls_failed) == (2, 1)
    assert (record.decisions, record.decisions_failed) == (2, 1)
    assert record.quality.posterior_mean() == pytest.approx(3.5 / 6)  # Beta(2 + 1.5, 1 + 1.5)


def test_a_worker_right_half_the_time_on_controls_is_revoked_once_evidence_suffices() -> None:
    record = TrackRecord()
    verdicts = []
    for answer in range(30):
        record = record.observed(answer % 2 == 0, Evidence.CONTROL)
        verdicts.append(standing(record))
    first = verdicts.index(Standing.REVOKE)
    assert first + 1 >= DEFAULTS.min_evidence  # not before min_evidence answers
    assert first + 1 <= 24  # Beta(12, 11)-ish: the 95% upper bound falls below 0.7


def test_an_honest_worker_is_released_on_controls_not_on_decisions() -> None:
    decisions_only = TrackRecord()
    for _ in range(50):
        decisions_only = decisions_only.observed(True, Evidence.DECISION)
    assert standing(decisions_only) is Standing.PENDING  # nothing known for certain
    controls = TrackRecord()
    for _ in range(8):
        controls = controls.observed(True, Evidence.CONTROL)
    # Beta(10, 1): the 5% quantile is 0.05^(1/10) = 0.741 ≥ 0.7
    assert standing(controls) is Standing.RELEASE


@given(correct=st.floats(0, 500), decisions_wrong=st.floats(0, 500))
def test_revocation_is_never_for_one_mistake(correct: float, decisions_wrong: float) -> None:
    """One failed control, whatever else: never revoked (SPEC §6.4)."""
    record = TrackRecord(correct=correct, wrong=1.0, controls=1, controls_failed=1)
    assert standing(record) is not Standing.REVOKE


@given(correct=st.floats(0, 500), wrong=st.floats(0, 500), failed=st.integers(0, 9))
def test_a_few_contested_decisions_alone_never_revoke(
    correct: float, wrong: float, failed: int
) -> None:
    """Without a failed control, fewer than min_evidence decisions against the worker are
    their peers' view only (§6.1): never a revocation."""
    record = TrackRecord(
        correct=correct, wrong=wrong, decisions=failed + 1, decisions_failed=failed
    )
    assert standing(record) is not Standing.REVOKE


def test_a_control_oracle_is_revoked_on_decisions() -> None:
    """Right on every control, a coin on the rest: decisions alone revoke it once enough of
    them went against it (SPEC §6.1: decisions of workers established on controls)."""
    rng = np.random.default_rng(5)
    record = TrackRecord()
    for _ in range(12):
        record = record.observed(True, Evidence.CONTROL)
    verdicts = []
    for _ in range(150):
        record = record.observed(bool(rng.random() < 0.5), Evidence.DECISION)
        verdicts.append(standing(record))
    assert Standing.REVOKE in verdicts
    assert record.controls_failed == 0


def _revoked_share(accuracy: float, workers: int, answers: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    revoked = 0
    for _ in range(workers):
        record = TrackRecord()
        for right in rng.random(answers) < accuracy:
            record = record.observed(bool(right), Evidence.CONTROL)
            if standing(record) is Standing.REVOKE:
                revoked += 1
                break
    return revoked / workers


def test_honest_workers_at_5_percent_error_are_practically_never_revoked() -> None:
    """SPEC §6.4 target: ≤ 1% false revocations; 300 workers × 150 controls at 0.95."""
    assert _revoked_share(0.95, 300, 150, seed=1) <= 0.01


def test_workers_ignoring_the_task_are_practically_always_revoked() -> None:
    """Always-yes or random on balanced controls is right half the time: 100 controls."""
    assert _revoked_share(0.5, 200, 100, seed=2) >= 0.95


def test_the_defaults_match_the_spec() -> None:
    assert DEFAULTS.control_share == 0.10
    assert (DEFAULTS.bar, DEFAULTS.confidence, DEFAULTS.min_evidence) == (0.7, 0.95, 10)
    assert DEFAULTS.fine_multiplier == Decimal("1.5")
    assert DEFAULTS.selection == "stake_cap" and DEFAULTS.stake_cap == Decimal(1000)
    assert math.isclose(FRESH, 2 / 3)


def test_votes_and_ratings_have_a_higher_floor_and_a_higher_bar_raises_every_track() -> None:
    assert (DEFAULTS.bar_on("vote"), DEFAULTS.bar_on("rate")) == (0.8, 0.8)
    assert (DEFAULTS.bar_on("write"), DEFAULTS.bar_on("label")) == (0.7, 0.7)
    strict = MechanismSettings(bar=0.9)
    assert {strict.bar_on(t) for t in ("write", "vote", "label", "rate")} == {0.9}
    assert MechanismSettings(track_bars={}).bar_on("vote") == 0.7
    with pytest.raises(ValueError, match="vote track must lie in"):
        MechanismSettings(track_bars={"vote": 1.5})


# --- probation (control_share_for) -------------------------------------------------------------

PROBATION = {"control_share": 0.1, "probation_share": 0.5, "bar": 0.7, "confidence": 0.95}


def test_a_new_worker_is_on_probation_and_an_established_one_is_not() -> None:
    fresh = TrackRecord()
    assert control_share_for(fresh, min_evidence=10, **PROBATION) == 0.5
    established = fresh
    for _ in range(8):
        established = established.observed(True, Evidence.CONTROL)
    assert control_share_for(established, min_evidence=10, **PROBATION) == 0.1


def test_a_worker_near_chance_stays_on_probation() -> None:
    record = TrackRecord()
    for answer in [True, False] * 6:
        record = record.observed(answer, Evidence.CONTROL)
    assert control_share_for(record, min_evidence=100, **PROBATION) == 0.5


def test_no_controls_means_no_probation() -> None:
    settings = {**PROBATION, "control_share": 0.0}
    assert control_share_for(TrackRecord(), min_evidence=10, **settings) == 0.0


@pytest.mark.parametrize(
    ("good", "prior", "vetted", "weight"),
    [
        (True, 0.8, True, 0.25),
        (False, 0.8, True, 1.0),
        (True, 0.8, False, 0.125),
        (False, 0.2, True, 0.25),
        (True, 0.5, True, 1.0),
    ],
    ids=["common-good", "rare-bad", "unvetted-half", "common-bad", "even"],
)
def test_balanced_decision_weight(good: bool, prior: float, vetted: bool, weight: float) -> None:
    assert balanced_decision_weight(good, prior, vetted=vetted) == pytest.approx(weight)


@given(prior=st.floats(0.05, 0.95))
def test_always_saying_the_common_answer_scores_one_half(prior: float) -> None:
    """Expected weighted agreement of a validator who always says the common verdict."""
    common_good = prior >= 0.5
    p_common = prior if common_good else 1 - prior
    right = p_common * balanced_decision_weight(common_good, prior, vetted=True)
    wrong = (1 - p_common) * balanced_decision_weight(not common_good, prior, vetted=True)
    assert right == pytest.approx(wrong)


# --- decided work, established workers, probation -----------------------------------------------


def _oracle(rng: np.random.Generator, answers: int) -> list[Standing]:
    """A control oracle: every control right, the rest right half the time; its controls come
    at the probation share until it is released, then at the campaign's share."""
    record, verdicts = TrackRecord(), []
    for _ in range(answers):
        share = control_share_for(
            record,
            control_share=DEFAULTS.control_share,
            probation_share=DEFAULTS.probation_share,
            bar=DEFAULTS.bar,
            confidence=DEFAULTS.confidence,
            min_evidence=DEFAULTS.min_evidence,
        )
        if rng.random() < share:
            record = record.observed(True, Evidence.CONTROL)
        else:
            record = record.observed(bool(rng.random() < 0.5), Evidence.DECISION)
        verdicts.append(standing(record))
    return verdicts


def test_a_control_oracle_is_revoked_on_its_decided_work() -> None:
    """Every control right keeps the whole posterior above the bar: its decided work alone
    revokes it, within 120 answers in at least 19 of 20 runs."""
    caught = [Standing.REVOKE in _oracle(np.random.default_rng(seed), 120) for seed in range(20)]
    assert sum(caught) >= 19


def test_honest_workers_are_practically_never_revoked_on_decided_work() -> None:
    """SPEC §6.4: ≤ 1% of workers at 95% on controls and 90% agreement with decisions."""
    rng = np.random.default_rng(3)
    revoked = 0
    for _ in range(300):
        record = TrackRecord()
        for _ in range(200):
            if rng.random() < 0.2:
                record = record.observed(bool(rng.random() < 0.95), Evidence.CONTROL)
            else:
                record = record.observed(bool(rng.random() < 0.9), Evidence.DECISION)
            if standing(record) is Standing.REVOKE:
                revoked += 1
                break
    assert revoked / 300 <= 0.01


def test_decided_quality_leaves_the_controls_out() -> None:
    record = TrackRecord(correct=30, wrong=0, controls=30)
    record = record.observed(True, Evidence.DECISION).observed(False, Evidence.DECISION)
    decided = decided_quality(record)
    assert (decided.correct, decided.wrong) == (DECISION_WEIGHT, DECISION_WEIGHT)
    assert decided.posterior_mean() < record.quality.posterior_mean()


def test_seven_right_controls_leave_probation_at_the_defaults() -> None:
    n = controls_to_leave_probation(DEFAULTS.bar, DEFAULTS.confidence)
    assert n == 7
    record = TrackRecord()
    for _ in range(n):
        record = record.observed(True, Evidence.CONTROL)
    assert record.quality.quantile(1 - DEFAULTS.confidence) >= DEFAULTS.bar
    assert controls_to_leave_probation(0.9, 0.99) > n  # a higher bar asks for more


def _record(controls: int, decisions: int, decisions_failed: int) -> TrackRecord:
    record = TrackRecord()
    for _ in range(controls):
        record = record.observed(True, Evidence.CONTROL)
    for index in range(decisions):
        record = record.observed(index >= decisions_failed, Evidence.DECISION)
    return record


@pytest.mark.parametrize(
    ("controls", "decisions", "failed", "established"),
    [
        (0, 20, 0, False),  # never checked on a control
        (7, 6, 0, False),  # too few decisions for their lower bound
        (7, 7, 0, True),
        (1, 7, 0, False),  # the whole lower bound not yet above the bar
        (12, 10, 5, False),  # a coin on its decided work: a control oracle
        (12, 14, 2, False),  # 86% agreement: not yet confidently above 0.7
        (12, 20, 1, True),
    ],
)
def test_is_established(controls: int, decisions: int, failed: int, established: bool) -> None:
    record = _record(controls, decisions, failed)
    found = is_established(record, bar=DEFAULTS.bar, confidence=DEFAULTS.confidence)
    assert found is established


def test_nobody_weighs_in_a_decision_before_a_check() -> None:
    """Three fresh accounts (a ring) agreeing cannot accept at the 0.8 prior; right controls
    give weight, failed ones take it away."""
    assert decision_accuracy(None) == 0.5
    assert verdict_of([(True, decision_accuracy(None))] * 3) is Verdict.UNDECIDED
    assert decision_accuracy(_record(1, 0, 0)) == pytest.approx(2 / 3)
    assert decision_accuracy(_record(7, 0, 0)) == pytest.approx(8 / 9)
    trusted = decision_accuracy(_record(7, 0, 0))
    assert verdict_of([(True, trusted)] * 3) is Verdict.ACCEPT
    ring = TrackRecord().observed(True, Evidence.CONTROL).observed(False, Evidence.CONTROL)
    assert decision_accuracy(ring) == 0.5
