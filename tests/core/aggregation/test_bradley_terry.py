"""Pairwise truth inference: Bradley–Terry and Crowd-BT on synthetic crowds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import log_expit

from crowdset.aggregation import BradleyTerry, Comparisons, CrowdBT, encode_comparisons
from crowdset.core.aggregation import bradley_terry
from crowdset.errors import InvalidInput

FAST = settings(max_examples=25, deadline=None)
MODELS = {"BradleyTerry": BradleyTerry, "CrowdBT": CrowdBT}


def simulate(
    seed: int,
    *,
    n_items: int = 30,
    n_workers: int = 40,
    per_worker: int = 60,
    adversaries: float = 0.0,
    spammers: float = 0.0,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """A crowd under the Crowd-BT model: true log-strengths ~ N(0, 1.5²); honest workers
    report the Bradley–Terry outcome with probability 0.95, adversaries with 0.1, spammers
    with 0.5. Returns the comparisons, the true scores per item and the true η per worker."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.5, n_items)
    eta = np.full(n_workers, 0.95)
    n_adversaries, n_spammers = round(adversaries * n_workers), round(spammers * n_workers)
    eta[:n_adversaries] = 0.1
    eta[n_adversaries : n_adversaries + n_spammers] = 0.5
    worker = np.repeat(np.arange(n_workers), per_worker)
    i = rng.integers(0, n_items, worker.size)
    j = (i + rng.integers(1, n_items, worker.size)) % n_items
    i_wins = rng.random(worker.size) < 1.0 / (1.0 + np.exp(theta[j] - theta[i]))
    says = np.where(rng.random(worker.size) < eta[worker], i_wins, ~i_wins)
    frame = pd.DataFrame(
        {
            "winner": np.where(says, i, j),
            "loser": np.where(says, j, i),
            "worker": [f"w{w}" for w in worker],
        }
    )
    items = pd.Index(range(n_items), name="item")
    workers = pd.Index([f"w{w}" for w in range(n_workers)], name="worker")
    return frame, pd.Series(theta, index=items), pd.Series(eta, index=workers)


def tau(scores: pd.Series, truth: pd.Series) -> float:
    return float(stats.kendalltau(scores.reindex(truth.index), truth).statistic)


# --- Bradley–Terry ------------------------------------------------------------------------------


def test_bradley_terry_recovers_the_order_of_synthetic_scores() -> None:
    data, truth, _ = simulate(0)
    model = BradleyTerry().fit(data)
    assert model.converged_
    assert tau(model.scores_, truth) > 0.85
    assert model.ranks_.min() == 1
    assert model.ranks_.idxmin() == model.scores_.idxmax()


def test_undefeated_and_disconnected_items_stay_finite() -> None:
    # a beat b twice (a never lost); c–d never met a or b
    data = pd.DataFrame({"winner": ["a", "a", "c"], "loser": ["b", "b", "d"]})
    model = BradleyTerry().fit(data)
    assert np.isfinite(model.scores_).all()
    assert np.isfinite(model.stderr_).all()
    assert model.scores_["a"] > model.scores_["c"] > 0 > model.scores_["d"] > model.scores_["b"]
    # the virtual comparisons against θ = 0 make the two groups comparable and symmetric
    assert model.scores_["a"] == pytest.approx(-model.scores_["b"])


def test_bradley_terry_stderr_is_the_inverse_hessian() -> None:
    data, _, _ = simulate(1, n_items=6, n_workers=3, per_worker=15)
    model = BradleyTerry(prior_comparisons=0.5).fit(data)
    codes = encode_comparisons(data, need_worker=False)

    def log_posterior(theta: np.ndarray) -> float:
        d = theta[codes.winner] - theta[codes.loser]
        return float(log_expit(d).sum() + 0.5 * (log_expit(theta) + log_expit(-theta)).sum())

    theta, h = model.scores_.to_numpy(), 1e-4
    n = theta.size
    hessian = np.empty((n, n))
    for a in range(n):
        for b in range(n):
            step_a, step_b = np.eye(n)[a] * h, np.eye(n)[b] * h
            hessian[a, b] = (
                log_posterior(theta + step_a + step_b)
                - log_posterior(theta + step_a - step_b)
                - log_posterior(theta - step_a + step_b)
                + log_posterior(theta - step_a - step_b)
            ) / (4 * h * h)
    exact = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    np.testing.assert_allclose(model.stderr_.to_numpy(), exact, rtol=1e-4)


def test_many_items_use_the_diagonal_approximation(monkeypatch: pytest.MonkeyPatch) -> None:
    data, _, _ = simulate(2, n_items=12, n_workers=5, per_worker=30)
    exact = BradleyTerry().fit(data).stderr_
    monkeypatch.setattr(bradley_terry, "DENSE_STDERR_MAX_ITEMS", 5)
    diagonal = BradleyTerry().fit(data).stderr_
    # 1/sqrt(I_ii) ≤ sqrt((I⁻¹)_ii) for a positive-definite I: it leaves out the opponents'
    # uncertainty
    assert (diagonal <= exact + 1e-12).all()
    assert (diagonal > 0.5 * exact).all()


def test_ranking_sorts_items_and_gives_intervals() -> None:
    data = pd.DataFrame({"winner": ["a", "a", "b", "a"], "loser": ["b", "c", "c", "c"]})
    ranking = BradleyTerry().fit(data).ranking(level=0.9)
    assert ranking["item"].tolist() == ["a", "b", "c"]
    assert ranking["rank"].tolist() == [1, 2, 3]
    half = ranking["high"] - ranking["score"]
    np.testing.assert_allclose(half, 1.6448536269514722 * ranking["stderr"])
    np.testing.assert_allclose(ranking["score"] - ranking["low"], half)


# --- Crowd-BT -----------------------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.2, 0.3, 0.4], ids=["20%-adversaries", "30%", "40%"])
def test_crowd_bt_finds_adversaries_and_beats_bradley_terry(share: float) -> None:
    taus_bt, taus_crowd = [], []
    for seed in range(3):
        data, truth, eta = simulate(seed, adversaries=share)
        model = CrowdBT().fit(data)
        assert model.converged_
        reliability = model.worker_reliability_.reindex(eta.index)
        assert (reliability[eta < 0.5] < 0.5).all()  # flipped workers are read reversed
        assert (reliability[eta > 0.5] > 0.5).all()
        taus_bt.append(tau(BradleyTerry().fit(data).scores_, truth))
        taus_crowd.append(tau(model.scores_, truth))
    assert np.mean(taus_crowd) > np.mean(taus_bt) + 0.03
    assert np.mean(taus_crowd) > 0.85


def test_crowd_bt_finds_spammers() -> None:
    data, truth, eta = simulate(3, spammers=0.4)
    model = CrowdBT().fit(data)
    reliability = model.worker_reliability_.reindex(eta.index)
    assert reliability[eta == 0.5].mean() < 0.7
    assert reliability[eta > 0.5].mean() > 0.85
    assert tau(model.scores_, truth) >= tau(BradleyTerry().fit(data).scores_, truth)


def test_crowd_bt_on_honest_workers_agrees_with_bradley_terry() -> None:
    data, truth, _ = simulate(4)
    crowd, plain = CrowdBT().fit(data), BradleyTerry().fit(data)
    assert tau(crowd.scores_, plain.scores_) > 0.95
    assert tau(crowd.scores_, truth) > 0.85


def test_crowd_bt_stderr_widens_with_unknown_reliabilities() -> None:
    data, _, _ = simulate(5, adversaries=0.2)
    crowd = CrowdBT().fit(data)
    assert np.isfinite(crowd.stderr_).all() and (crowd.stderr_ > 0).all()
    assert crowd.stderr_.median() > BradleyTerry().fit(data).stderr_.median()


# --- properties ---------------------------------------------------------------------------------


@st.composite
def comparison_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Small crowds: 2–6 items, 1–4 workers, 1–30 comparisons of two distinct items."""
    n_items = draw(st.integers(2, 6))
    n_workers = draw(st.integers(1, 4))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_items - 1),
                st.integers(1, n_items - 1),
                st.integers(0, n_workers - 1),
            ),
            min_size=1,
            max_size=30,
        )
    )
    return pd.DataFrame(
        [(f"i{a}", f"i{(a + step) % n_items}", f"w{w}") for a, step, w in rows],
        columns=["winner", "loser", "worker"],
    )


def _fit(name: str, data: pd.DataFrame) -> Any:
    return MODELS[name]().fit(data)


@pytest.mark.parametrize("name", MODELS)
@FAST
@given(data=comparison_frames(), seed=st.integers(0, 2**32 - 1))
def test_scores_do_not_depend_on_row_order(name: str, data: pd.DataFrame, seed: int) -> None:
    shuffled = data.sample(frac=1.0, random_state=seed % 2**32)
    a, b = _fit(name, data), _fit(name, shuffled)
    pd.testing.assert_series_equal(a.scores_, b.scores_, atol=1e-3, rtol=0)


@pytest.mark.parametrize("name", MODELS)
@FAST
@given(data=comparison_frames())
def test_renaming_items_and_workers_changes_nothing(name: str, data: pd.DataFrame) -> None:
    renamed = data.assign(
        winner=data["winner"].str.replace("i", "item-"),
        loser=data["loser"].str.replace("i", "item-"),
        worker=data["worker"].str.upper(),
    )
    a, b = _fit(name, data), _fit(name, renamed)
    np.testing.assert_allclose(
        a.scores_.to_numpy(),
        b.scores_.rename(lambda item: item.replace("item-", "i")).reindex(a.scores_.index),
        atol=1e-3,
    )


@pytest.mark.parametrize("name", MODELS)
@FAST
@given(data=comparison_frames())
def test_reversing_every_judgment_negates_the_scores(name: str, data: pd.DataFrame) -> None:
    reversed_ = data.rename(columns={"winner": "loser", "loser": "winner"})
    a, b = _fit(name, data), _fit(name, reversed_)
    pd.testing.assert_series_equal(a.scores_, -b.scores_, atol=1e-3, rtol=0)
    pd.testing.assert_series_equal(a.stderr_, b.stderr_, atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("name", MODELS)
@FAST
@given(order=st.permutations(list("abcdef")), repeats=st.integers(1, 3))
def test_a_unanimous_crowd_gives_its_order(name: str, order: list[str], repeats: int) -> None:
    rows = [
        (order[a], order[b], f"w{r}")
        for a in range(len(order))
        for b in range(a + 1, len(order))
        for r in range(repeats)
    ]
    model = _fit(name, pd.DataFrame(rows, columns=["winner", "loser", "worker"]))
    assert model.ranks_.sort_values().index.tolist() == order


# --- invalid input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pd.DataFrame({"winner": ["a"], "worker": ["w"]}), "missing column(s) loser"),
        (pd.DataFrame({"winner": [], "loser": [], "worker": []}), "has no rows"),
        (
            pd.DataFrame({"winner": ["a", "b"], "loser": ["b", "b"], "worker": ["w", "w"]}),
            "1 row(s) whose winner is also the loser; the first is at index 1 (item 'b')",
        ),
        (
            pd.DataFrame({"winner": ["a", None], "loser": ["b", "c"], "worker": ["w", "w"]}),
            "row(s) with an empty winner",
        ),
        ([("a", "b", "w")], "must be a pandas DataFrame"),
    ],
    ids=["missing-column", "empty", "self-comparison", "empty-cell", "not-a-frame"],
)
@pytest.mark.parametrize("name", MODELS)
def test_invalid_comparisons_are_explained(name: str, data: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        MODELS[name]().fit(data)
    assert message in str(error.value)


def test_crowd_bt_needs_workers_bradley_terry_does_not() -> None:
    data = pd.DataFrame({"winner": ["a", "b"], "loser": ["b", "c"]})
    assert BradleyTerry().fit(data).ranks_.to_dict() == {"a": 1, "b": 2, "c": 3}
    with pytest.raises(InvalidInput, match="missing column"):
        CrowdBT().fit(data)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (BradleyTerry(prior_comparisons=0.0), "prior_comparisons must be a positive number"),
        (CrowdBT(prior_comparisons=float("nan")), "prior_comparisons must be a positive number"),
        (CrowdBT(reliability_prior=(0.5, 1.0)), "reliability_prior must be the (a, b)"),
    ],
    ids=["zero-prior", "nan-prior", "beta-below-one"],
)
def test_invalid_hyper_parameters_are_explained(model: Any, message: str) -> None:
    data = pd.DataFrame({"winner": ["a"], "loser": ["b"], "worker": ["w"]})
    with pytest.raises(InvalidInput) as error:
        model.fit(data)
    assert message in str(error.value)


def test_encoded_comparisons_fit_like_the_frame() -> None:
    data, _, _ = simulate(6, n_items=8, n_workers=4, per_worker=20)
    codes = encode_comparisons(data)
    assert isinstance(codes, Comparisons)
    assert codes.n_items == 8 and codes.n_workers == 4 and codes.n_comparisons == 80
    pd.testing.assert_series_equal(CrowdBT().fit(codes).scores_, CrowdBT().fit(data).scores_)


def test_level_outside_zero_one_is_refused() -> None:
    model = BradleyTerry().fit(pd.DataFrame({"winner": ["a"], "loser": ["b"]}))
    with pytest.raises(InvalidInput, match="level must be between 0 and 1"):
        model.ranking(level=95)
