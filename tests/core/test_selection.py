"""Selection by stake (SPEC §1): offer shares ∝ ln(1 + stake), times an optional quality."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from crowdset.core.selection import (
    Candidate,
    draw,
    offer_shares,
    offer_weight,
    predicted_quality,
)

STAKES = [0.0, 1.0, 3.0, 10.0, 25.0, 100.0, 0.0, 1000.0, 50_000.0]
DRAWS = 20_000


CANDIDATES = [Candidate(worker_id=i, stake=stake) for i, stake in enumerate(STAKES)]


def draw_counts(candidates: list[Candidate], seed: int, draws: int = DRAWS) -> Counter[int]:
    rng = np.random.default_rng(seed)
    counts: Counter[int] = Counter()
    for _ in range(draws):
        chosen = draw(candidates, rng)
        assert chosen is not None
        counts[chosen.worker_id] += 1
    return counts


@pytest.fixture(scope="module")
def stake_counts() -> Counter[int]:
    """20,000 seeded draws among the candidates of STAKES, shared by the tests below."""
    return draw_counts(CANDIDATES, seed=20260105)


def test_draws_follow_log_stake_shares(stake_counts: Counter[int]) -> None:
    candidates, counts = CANDIDATES, stake_counts
    staked = [c for c in candidates if c.stake > 0]
    weights = np.array([math.log1p(c.stake) for c in staked])
    expected = DRAWS * weights / weights.sum()
    observed = np.array([counts[c.worker_id] for c in staked])
    assert observed.sum() == DRAWS
    result = stats.chisquare(observed, expected)
    assert result.pvalue >= 0.01, (observed, expected.round())


def test_zero_stake_candidates_are_never_drawn(stake_counts: Counter[int]) -> None:
    never = {c.worker_id for c in CANDIDATES if c.stake == 0}
    assert never == {0, 6}
    assert not never & set(stake_counts)


def test_the_log_dampens_wealth() -> None:
    rich, modest = Candidate(1, stake=10_000.0), Candidate(2, stake=100.0)
    rich_share, modest_share = offer_shares([rich, modest])
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


def test_a_negative_stake_weighs_nothing() -> None:
    assert offer_weight(-3.0) == 0.0
    assert offer_weight(0.0) == 0.0
    assert offer_weight(math.e - 1) == pytest.approx(1.0)


def test_the_quality_multiplier_scales_shares() -> None:
    good, careless = Candidate(1, stake=20.0, quality=0.9), Candidate(2, stake=20.0, quality=0.3)
    assert offer_shares([good, careless]) == pytest.approx([0.75, 0.25])
    assert offer_weight(20.0, 0.3) == pytest.approx(0.3 * math.log(21))


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


@given(candidates=candidate_lists)
def test_shares_are_a_distribution_or_all_zero(candidates: list[Candidate]) -> None:
    shares = offer_shares(candidates)
    assert len(shares) == len(candidates)
    assert all(share >= 0 for share in shares)
    assert sum(shares) == pytest.approx(1.0) or sum(shares) == 0
    for candidate, share in zip(candidates, shares, strict=True):
        if offer_weight(candidate.stake, candidate.quality) == 0:
            assert share == 0


@given(candidates=candidate_lists, seed=st.integers(0, 2**32 - 1))
def test_draw_picks_a_weighted_candidate_or_none(candidates: list[Candidate], seed: int) -> None:
    chosen = draw(candidates, np.random.default_rng(seed))
    if sum(offer_shares(candidates)) == 0:
        assert chosen is None
    else:
        assert chosen in candidates
        assert chosen is not None
        assert offer_weight(chosen.stake, chosen.quality) > 0


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
