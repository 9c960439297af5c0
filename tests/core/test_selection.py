"""Selection by stake (SPEC §1, §6.6): offer shares ∝ ``min(stake, stake_cap)`` × quality by
default (sybil-neutral below the cap), ``ln(1 + stake)`` × quality as an option; ``admits``
keeps the shares when work is plentiful."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from crowdset.core.selection import (
    DEFAULT_STAKE_CAP,
    Candidate,
    SelectionRule,
    admission_chance,
    admits,
    draw,
    offer_shares,
    offer_weight,
    predicted_quality,
)

STAKES = [0.0, 1.0, 3.0, 10.0, 25.0, 100.0, 0.0, 1000.0, 50_000.0]
DRAWS = 20_000


CANDIDATES = [Candidate(worker_id=i, stake=stake) for i, stake in enumerate(STAKES)]


def draw_counts(
    candidates: list[Candidate], seed: int, draws: int = DRAWS, rule: SelectionRule = "stake_cap"
) -> Counter[int]:
    rng = np.random.default_rng(seed)
    counts: Counter[int] = Counter()
    for _ in range(draws):
        chosen = draw(candidates, rng, rule=rule)
        assert chosen is not None
        counts[chosen.worker_id] += 1
    return counts


def total_weight(stakes: list[float], rule: SelectionRule = "stake_cap") -> float:
    return sum(offer_weight(stake, rule=rule) for stake in stakes)


# --- offer_weight: worked values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stake", "quality", "rule", "cap", "weight"),
    [
        (10.0, 1.0, "stake_cap", DEFAULT_STAKE_CAP, 10.0),
        (100.0, 1.0, "stake_cap", DEFAULT_STAKE_CAP, 100.0),
        (1000.0, 1.0, "stake_cap", DEFAULT_STAKE_CAP, 1000.0),
        (50_000.0, 1.0, "stake_cap", DEFAULT_STAKE_CAP, 1000.0),
        (50_000.0, 1.0, "stake_cap", 20_000.0, 20_000.0),
        (20.0, 0.3, "stake_cap", DEFAULT_STAKE_CAP, 6.0),
        (0.0, 1.0, "stake_cap", DEFAULT_STAKE_CAP, 0.0),
        (-3.0, 1.0, "stake_cap", DEFAULT_STAKE_CAP, 0.0),
        (math.e - 1, 1.0, "ln1p", DEFAULT_STAKE_CAP, 1.0),
        (100.0, 1.0, "ln1p", DEFAULT_STAKE_CAP, math.log(101)),
        (50_000.0, 1.0, "ln1p", 10.0, math.log(50_001)),
        (20.0, 0.3, "ln1p", DEFAULT_STAKE_CAP, 0.3 * math.log(21)),
        (-3.0, 1.0, "ln1p", DEFAULT_STAKE_CAP, 0.0),
    ],
    ids=[
        "ten",
        "hundred",
        "at-the-cap",
        "above-the-cap",
        "a-higher-cap",
        "quality-scales",
        "no-stake",
        "negative-stake",
        "ln1p-e-minus-one",
        "ln1p-hundred",
        "ln1p-ignores-the-cap",
        "ln1p-quality-scales",
        "ln1p-negative-stake",
    ],
)
def test_offer_weight(
    stake: float, quality: float, rule: SelectionRule, cap: float, weight: float
) -> None:
    assert offer_weight(stake, quality, rule=rule, cap=cap) == pytest.approx(weight)


def test_the_default_is_the_sybil_neutral_rule() -> None:
    assert offer_weight(10.0) == 10.0
    assert offer_weight(5000.0) == DEFAULT_STAKE_CAP == 1000.0


# --- shares and draws ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stake_counts() -> Counter[int]:
    """20,000 seeded draws among the candidates of STAKES, shared by the tests below."""
    return draw_counts(CANDIDATES, seed=20260105)


def test_draws_follow_capped_stake_shares(stake_counts: Counter[int]) -> None:
    candidates, counts = CANDIDATES, stake_counts
    staked = [c for c in candidates if c.stake > 0]
    weights = np.array([min(c.stake, DEFAULT_STAKE_CAP) for c in staked])
    expected = DRAWS * weights / weights.sum()
    observed = np.array([counts[c.worker_id] for c in staked])
    assert observed.sum() == DRAWS
    result = stats.chisquare(observed, expected)
    assert result.pvalue >= 0.01, (observed, expected.round())


def test_ln1p_draws_follow_log_stake_shares() -> None:
    counts = draw_counts(CANDIDATES, seed=20260105, rule="ln1p")
    staked = [c for c in CANDIDATES if c.stake > 0]
    weights = np.array([math.log1p(c.stake) for c in staked])
    expected = DRAWS * weights / weights.sum()
    observed = np.array([counts[c.worker_id] for c in staked])
    assert stats.chisquare(observed, expected).pvalue >= 0.01, (observed, expected.round())


def test_zero_stake_candidates_are_never_drawn(stake_counts: Counter[int]) -> None:
    never = {c.worker_id for c in CANDIDATES if c.stake == 0}
    assert never == {0, 6}
    assert not never & set(stake_counts)


def test_shares_are_proportional_to_stake_below_the_cap() -> None:
    shares = offer_shares([Candidate(1, 10.0), Candidate(2, 100.0), Candidate(3, 1000.0)])
    assert shares == pytest.approx([10 / 1110, 100 / 1110, 1000 / 1110])


def test_the_cap_bounds_wealth() -> None:
    rich, capped = Candidate(1, stake=50_000.0), Candidate(2, stake=1000.0)
    assert offer_shares([rich, capped]) == pytest.approx([0.5, 0.5])
    assert offer_shares([rich, capped], cap=100_000) == pytest.approx([50 / 51, 1 / 51])


def test_the_log_dampens_wealth() -> None:
    rich, modest = Candidate(1, stake=10_000.0), Candidate(2, stake=100.0)
    rich_share, modest_share = offer_shares([rich, modest], rule="ln1p")
    assert rich_share / modest_share == pytest.approx(math.log(10_001) / math.log(101))
    assert rich_share < 0.7  # 100 times the stake, not 100 times the offers


def test_nobody_to_draw_gives_none() -> None:
    rng = np.random.default_rng(0)
    assert draw([], rng) is None
    assert offer_shares([]) == []


def test_all_zero_weights_give_none() -> None:
    rng = np.random.default_rng(0)
    broke = [Candidate(1, stake=0.0), Candidate(2, stake=-5.0), Candidate(3, stake=9.0, quality=0)]
    assert offer_shares(broke) == [0.0, 0.0, 0.0]
    assert draw(broke, rng) is None


def test_the_quality_multiplier_scales_shares() -> None:
    good, careless = Candidate(1, stake=20.0, quality=0.9), Candidate(2, stake=20.0, quality=0.3)
    assert offer_shares([good, careless]) == pytest.approx([0.75, 0.25])
    assert offer_shares([good, careless], rule="ln1p") == pytest.approx([0.75, 0.25])


def test_quality_weighted_draws_follow_their_shares() -> None:
    candidates = [
        Candidate(1, stake=20.0, quality=0.9),
        Candidate(2, stake=20.0, quality=0.3),
        Candidate(3, stake=200.0, quality=0.5),
    ]
    counts = draw_counts(candidates, seed=99, draws=5000)
    expected = 5000 * np.array(offer_shares(candidates))
    observed = np.array([counts[c.worker_id] for c in candidates])
    assert stats.chisquare(observed, expected).pvalue >= 0.01


candidate_lists = st.lists(
    st.builds(
        Candidate,
        worker_id=st.integers(0, 1000),
        stake=st.floats(-10, 1e9, allow_nan=False),
        quality=st.floats(0, 1),
    ),
    max_size=20,
)
rules = st.sampled_from(["stake_cap", "ln1p"])


@given(candidates=candidate_lists, rule=rules)
def test_shares_are_a_distribution_or_all_zero(
    candidates: list[Candidate], rule: SelectionRule
) -> None:
    shares = offer_shares(candidates, rule=rule)
    assert len(shares) == len(candidates)
    assert all(share >= 0 for share in shares)
    assert sum(shares) == pytest.approx(1.0) or sum(shares) == 0
    for candidate, share in zip(candidates, shares, strict=True):
        if offer_weight(candidate.stake, candidate.quality, rule=rule) == 0:
            assert share == 0


@given(candidates=candidate_lists, seed=st.integers(0, 2**32 - 1), rule=rules)
def test_draw_picks_a_weighted_candidate_or_none(
    candidates: list[Candidate], seed: int, rule: SelectionRule
) -> None:
    chosen = draw(candidates, np.random.default_rng(seed), rule=rule)
    if sum(offer_shares(candidates, rule=rule)) == 0:
        assert chosen is None
    else:
        assert chosen in candidates
        assert chosen is not None
        assert offer_weight(chosen.stake, chosen.quality, rule=rule) > 0


# --- splitting a stake over accounts (SPEC §6.6) ------------------------------------------------

# A person's stake ≤ the cap, split over k accounts in arbitrary proportions.
splits = st.tuples(
    st.floats(0.01, DEFAULT_STAKE_CAP),
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=20),
)


@given(split=splits, others=st.lists(st.floats(0.0, 1e6), max_size=5))
def test_splitting_a_stake_below_the_cap_gains_nothing(
    split: tuple[float, list[float]], others: list[float]
) -> None:
    stake, proportions = split
    parts = [stake * p / sum(proportions) for p in proportions]
    assert total_weight(parts) == pytest.approx(offer_weight(stake))
    # ... and the k accounts together get the share the one account would have got
    crowd = [Candidate(1000 + i, other) for i, other in enumerate(others)]
    one = offer_shares([Candidate(0, stake), *crowd])[0]
    many = offer_shares([*(Candidate(i, part) for i, part in enumerate(parts)), *crowd])
    assert sum(many[: len(parts)]) == pytest.approx(one)


@given(stake=st.floats(0.01, 1e9), k=st.integers(2, 50))
def test_ln1p_pays_for_splitting(stake: float, k: int) -> None:
    """``ln(1 + s)`` is concave and zero at zero: k equal accounts always weigh more than one."""
    assert total_weight([stake / k] * k, rule="ln1p") > offer_weight(stake, rule="ln1p")


@pytest.mark.parametrize(
    ("stake", "gain"),
    [(10.0, 2.89), (100.0, 5.20), (1000.0, 6.68)],
    ids=["stake-10", "stake-100", "stake-1000"],
)
def test_ln1p_splitting_gain_over_ten_accounts(stake: float, gain: float) -> None:
    """The gain the docs quote: 10 accounts sharing a stake of 100 weigh 5.2× one account."""
    ten = total_weight([stake / 10] * 10, rule="ln1p")
    assert ten / offer_weight(stake, rule="ln1p") == pytest.approx(gain, abs=0.005)
    assert total_weight([stake / 10] * 10) == pytest.approx(offer_weight(stake))  # the default


def test_above_the_cap_splitting_recovers_only_the_capped_stake() -> None:
    """The cap's price: a stake of 5,000 weighs 1,000 in one account and 5,000 in five."""
    assert offer_weight(5000.0) == 1000.0
    assert total_weight([1000.0] * 5) == 5000.0
    assert total_weight([500.0] * 10) == 5000.0  # never more than the stake itself


# --- admits: the lottery that keeps shares when work is plentiful ------------------------------

ASKERS = [Candidate(1, stake=10.0), Candidate(2, stake=100.0), Candidate(3, stake=1000.0)]


def test_admits_over_many_asks_follows_the_shares() -> None:
    """Three workers asking in turn, 10,000 rounds: who gets new work follows the weights."""
    rng = np.random.default_rng(20261123)
    admitted: Counter[int] = Counter()
    asks = 10_000
    for _ in range(asks):
        for asker in ASKERS:
            if admits(asker.worker_id, ASKERS, rng):
                admitted[asker.worker_id] += 1
    observed = np.array([admitted[c.worker_id] for c in ASKERS])
    expected = observed.sum() * np.array(offer_shares(ASKERS))
    assert stats.chisquare(observed, expected).pvalue > 0.01, (observed, expected.round())
    top = max(c.stake for c in ASKERS)
    for candidate in ASKERS:
        # each ask is admitted with probability weight / largest weight: the heaviest always
        chance = candidate.stake / top
        assert admission_chance(candidate.worker_id, ASKERS) == pytest.approx(chance)
        if chance < 1:
            assert stats.binomtest(admitted[candidate.worker_id], asks, chance).pvalue > 0.01
        else:
            assert admitted[candidate.worker_id] == asks


def test_equal_workers_are_all_admitted_so_the_crowd_keeps_its_pace() -> None:
    equals = [Candidate(w, stake=50.0) for w in range(10)]
    rng = np.random.default_rng(3)
    assert all(admits(c.worker_id, equals, rng) for c in equals for _ in range(20))


def test_admits_uses_the_campaign_rule() -> None:
    rng = np.random.default_rng(7)
    asks = 5000
    hits = sum(admits(1, ASKERS, rng, rule="ln1p") for _ in range(asks))
    chance = math.log(11) / max(math.log1p(c.stake) for c in ASKERS)
    assert stats.binomtest(hits, asks, chance).pvalue > 0.01


@pytest.mark.parametrize(
    ("asker", "candidates", "expected"),
    [
        (1, [Candidate(1, 10.0)], True),
        (9, ASKERS, False),
        (1, [Candidate(1, 0.0), Candidate(2, 10.0)], False),
        (1, [Candidate(1, 10.0, quality=0.0)], False),
        (1, [], False),
    ],
    ids=["alone-always", "not-a-candidate", "no-stake", "no-quality", "nobody"],
)
def test_admits_edge_cases(asker: int, candidates: list[Candidate], expected: bool) -> None:
    rng = np.random.default_rng(0)
    assert all(admits(asker, candidates, rng) is expected for _ in range(50))


# --- predicted quality --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "failures", "mean"),
    [(0, 0, 0.5), (1, 0, 2 / 3), (0, 1, 1 / 3), (3, 1, 4 / 6), (98, 0, 99 / 100)],
    ids=["new-worker", "one-success", "one-failure", "mixed", "veteran"],
)
def test_predicted_quality(successes: int, failures: int, mean: float) -> None:
    assert predicted_quality(successes, failures) == pytest.approx(mean)


@given(successes=st.integers(0, 10_000), failures=st.integers(0, 10_000))
def test_predicted_quality_is_the_beta_1_1_posterior_mean(successes: int, failures: int) -> None:
    quality = predicted_quality(successes, failures)
    assert 0 < quality < 1
    assert quality == pytest.approx(stats.beta(1 + successes, 1 + failures).mean())
