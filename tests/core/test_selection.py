"""Selection by stake (SPEC §1, §6.6): offer shares ∝ ``min(stake, stake_cap)`` × quality by
default (sybil-neutral below the cap), ``ln(1 + stake)`` × quality as an option; admission
tickets keep the shares when work is plentiful, however often and from however many accounts a
person asks."""

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
    draw,
    offer_shares,
    offer_weight,
    pacing_seconds,
    predicted_quality,
    slot_of,
    ticket,
    ticket_slots,
    tickets_won,
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


# --- admission tickets: the lottery that keeps shares when work is plentiful -------------------

ASKERS = [Candidate(1, stake=10.0), Candidate(2, stake=100.0), Candidate(3, stake=1000.0)]
KEY = b"test key"
SLOTS = 20_000


def won_in(chance: float, worker: int, slots: range, campaign: int = 1) -> int:
    return tickets_won(chance, slots, lambda s: ticket(KEY, campaign, worker, s), most=len(slots))


@pytest.mark.parametrize(
    ("task_seconds", "pacing"),
    [(10.0, 10), (5.2, 6), (0.5, 2), (600.0, 60), (45.0, 45)],
    ids=["ten", "rounded-up", "at-least-2", "at-most-60", "a-query"],
)
def test_pacing_seconds(task_seconds: float, pacing: int) -> None:
    assert pacing_seconds(task_seconds) == pacing


def test_slot_of() -> None:
    assert [slot_of(s, 10) for s in (0.0, 9.99, 10.0, 25.0)] == [0, 0, 1, 2]


def test_a_ticket_is_fixed_by_its_inputs_and_uniform() -> None:
    """Asking again in the slot draws nothing new; each input changes the draw."""
    first = ticket(KEY, 1, 7, 42)
    assert ticket(KEY, 1, 7, 42) == first
    others = {ticket(b"other", 1, 7, 42), ticket(KEY, 2, 7, 42), ticket(KEY, 1, 8, 42)}
    assert first not in others and len(others | {ticket(KEY, 1, 7, 43)}) == 4
    draws = [ticket(KEY, 1, 7, s) for s in range(SLOTS)]
    assert all(0.0 <= d < 1.0 for d in draws)
    assert stats.kstest(draws, "uniform").pvalue > 0.01


@pytest.mark.parametrize(
    ("now", "hold", "slots"),
    [
        (12, None, range(12, 13)),
        (12, (7, 11), range(8, 13)),
        (12, (7, 12), range(8, 13)),
        (12, (7, 9), range(12, 13)),
        (12, (12, 12), range(13, 13)),
        (12, (12, None), range(13, 13)),
        (12, (7, None), range(12, 13)),
        (5000, (0, 4999), range(5000 - 4095, 5001)),
    ],
    ids=[
        "idle",
        "hold-ended-last-slot",
        "hold-ended-now",
        "ended-long-ago",
        "same-slot",
        "held-made-now",
        "held-made-before",
        "capped",
    ],
)
def test_ticket_slots(now: int, hold: tuple[int, int | None] | None, slots: range) -> None:
    assert ticket_slots(now, hold) == slots


def test_tickets_won_counts_up_to_most() -> None:
    always = lambda s: 0.5  # noqa: E731
    assert tickets_won(1.0, range(10), always, most=3) == 3
    assert tickets_won(1.0, range(0), always, most=3) == 3  # the heaviest never waits
    assert tickets_won(0.6, range(10), always, most=20) == 10
    assert tickets_won(0.4, range(10), always, most=20) == 0
    assert tickets_won(0.0, range(10), lambda s: 0.0, most=5) == 0
    assert tickets_won(1.0, range(10), always, most=0) == 0


def test_tickets_follow_the_shares() -> None:
    """Three workers, 20,000 slots: each slot's ticket wins with weight / largest weight."""
    top = max(c.stake for c in ASKERS)
    for candidate in ASKERS:
        chance = admission_chance(candidate.worker_id, ASKERS)
        assert chance == pytest.approx(candidate.stake / top)
        won = won_in(chance, candidate.worker_id, range(SLOTS))
        if chance < 1:
            assert stats.binomtest(won, SLOTS, chance).pvalue > 0.01
        else:
            assert won == SLOTS  # the heaviest never waits (``most`` tickets every ask)


def test_equal_workers_are_all_admitted_so_the_crowd_keeps_its_pace() -> None:
    equals = [Candidate(w, stake=50.0) for w in range(10)]
    assert all(won_in(admission_chance(c.worker_id, equals), c.worker_id, range(20)) == 20
               for c in equals)  # fmt: skip


def test_tickets_use_the_campaign_rule() -> None:
    chance = admission_chance(1, ASKERS, rule="ln1p")
    assert chance == pytest.approx(math.log(11) / max(math.log1p(c.stake) for c in ASKERS))
    assert stats.binomtest(won_in(chance, 1, range(SLOTS)), SLOTS, chance).pvalue > 0.01


@pytest.mark.parametrize(
    ("asker", "candidates", "chance"),
    [
        (1, [Candidate(1, 10.0)], 1.0),
        (9, ASKERS, 0.0),
        (1, [Candidate(1, 0.0), Candidate(2, 10.0)], 0.0),
        (1, [Candidate(1, 10.0, quality=0.0)], 0.0),
        (1, [], 0.0),
    ],
    ids=["alone-always", "not-a-candidate", "no-stake", "no-quality", "nobody"],
)
def test_admission_edge_cases(asker: int, candidates: list[Candidate], chance: float) -> None:
    assert admission_chance(asker, candidates) == chance
    assert won_in(chance, asker, range(50)) == (50 if chance else 0)


# --- no gain from many accounts (SPEC §6.6) ----------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 5, 10, 50])
def test_k_accounts_win_as_many_tickets_as_one_with_the_same_stake(k: int) -> None:
    """A person with stake 100 against a heaviest worker of 400, split over k accounts that
    all ask every slot (k browsers): their winning tickets, one new offer each, are as many as
    one account's with the whole stake — k tickets a slot at a quarter of the chance each."""
    heaviest = Candidate(0, stake=400.0)
    split = [Candidate(100 + i, stake=100.0 / k) for i in range(k)]
    crowd = [heaviest, *split]
    one = won_in(admission_chance(100, [heaviest, Candidate(100, 100.0)]), 100, range(SLOTS))
    many = sum(
        won_in(admission_chance(c.worker_id, crowd), c.worker_id, range(SLOTS)) for c in split
    )
    # both are binomial with mean 0.25 per slot: the same, within chance
    assert stats.binomtest(many, SLOTS * k, 0.25 / k).pvalue > 0.01
    assert abs(many - one) < 4 * math.sqrt(2 * SLOTS * 0.25), (one, many)


def test_asking_often_wins_nothing_more() -> None:
    """Ten asks a slot or one: a slot's ticket is drawn once, so the slots an account wins are
    the same however often it asks."""

    def asks(slot: int) -> set[int]:
        one = range(slot, slot + 1)
        return {tickets_won(0.3, one, lambda t: ticket(KEY, 1, 5, t), most=1) for _ in range(10)}

    seen = [asks(slot) for slot in range(2000)]
    assert all(len(answers) == 1 for answers in seen)
    assert sum(answers.pop() for answers in seen) == won_in(0.3, 5, range(2000))


@pytest.mark.parametrize("task", [1, 5], ids=["votes", "queries"])
def test_a_busy_worker_keeps_the_tickets_of_the_slots_spent_working(task: int) -> None:
    """One account working tasks of ``task`` slots, asking only when free, counts every slot's
    ticket exactly once: those of the slots it spent working when it next asks, the others in
    their slot. So it wins exactly what an account asking every slot wins, and k accounts
    asking from k browsers while it works win no more than it (the test above)."""
    chance, horizon = 0.2, 5000
    won, now, made = 0, 0, None
    while True:
        slots = ticket_slots(now, None if made is None else (made, now))
        wins = tickets_won(chance, slots, lambda s: ticket(KEY, 1, 9, s), most=1 << 30)
        won += wins
        if now >= horizon:
            break
        if wins:  # one offer per winning ticket, made now; the worker is busy doing them
            made, now = now, now + task * wins
        else:  # refused: asks again next slot
            made, now = None, now + 1
    assert won == won_in(chance, 9, range(now + 1))


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
