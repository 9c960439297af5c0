"""Golden results: crowdset's label models against crowd-kit 1.4.2 on one small frame.

The expected posteriors were computed once with crowd-kit 1.4.2 (``fit_predict_proba`` on
``ANSWERS``; MACE on the frame sorted by worker, see docs/benchmarks.md) and rounded to 6
decimals; the iteration counts are crowd-kit's ``len(loss_history_)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from crowdset.aggregation import (
    GLAD,
    MACE,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    WeightedMajorityVote,
)

ANSWERS = pd.DataFrame(
    [
        ("t1", "w1", "cat"), ("t1", "w2", "cat"), ("t1", "w3", "dog"), ("t1", "w4", "cat"),
        ("t2", "w1", "dog"), ("t2", "w2", "dog"), ("t2", "w3", "dog"), ("t2", "w4", "cat"),
        ("t3", "w1", "cat"), ("t3", "w2", "dog"), ("t3", "w3", "dog"),
        ("t4", "w1", "bird"), ("t4", "w2", "bird"), ("t4", "w4", "cat"),
        ("t5", "w2", "cat"), ("t5", "w3", "bird"), ("t5", "w4", "cat"),
        ("t6", "w1", "dog"), ("t6", "w3", "dog"), ("t6", "w4", "bird"),
    ],
    columns=["task", "worker", "label"],
)  # fmt: skip
TASKS = ["t1", "t2", "t3", "t4", "t5", "t6"]
LABELS = ["bird", "cat", "dog"]

CASES: list[tuple[str, Any, pd.Series | None, list[list[float]], int | None]] = [
    (
        "DawidSkene",
        DawidSkene(),
        None,
        [
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.000214, 0.999786],
            [1.0, 0.0, 0.0],
            [0.288689, 0.711311, 0.0],
            [0.0, 0.0, 1.0],
        ],
        15,
    ),
    (
        "DawidSkene-gold-t3-cat",
        DawidSkene(),
        pd.Series({"t3": "cat"}),
        [
            [0.0, 1.0, 0.0],
            [0.0, 0.024418, 0.975582],
            [0.0, 1.0, 0.0],
            [0.999987, 0.000013, 0.0],
            [0.506769, 0.493231, 0.0],
            [0.0, 0.0, 1.0],
        ],
        3,
    ),
    (
        "OneCoinDawidSkene",
        OneCoinDawidSkene(),
        None,
        [
            [0.000002, 0.999986, 0.000013],
            [0.0, 0.000001, 0.999998],
            [0.000004, 0.000055, 0.999941],
            [0.999977, 0.000011, 0.000012],
            [0.000033, 0.999935, 0.000033],
            [0.020608, 0.030226, 0.949166],
        ],
        15,
    ),
    (
        "GLAD",
        GLAD(),
        None,
        [
            [0.005756, 0.969335, 0.024909],
            [0.000001, 0.0, 0.999999],
            [0.016963, 0.105949, 0.877088],
            [0.99988, 0.000047, 0.000073],
            [0.176095, 0.777774, 0.046131],
            [0.000501, 0.00094, 0.99856],
        ],
        3,
    ),
    (
        "MACE",
        MACE(n_iter=50, tol=None),  # crowd-kit's fixed 50 iterations
        None,
        [
            [0.002424, 0.991754, 0.005822],
            [0.001254, 0.001647, 0.997099],
            [0.008995, 0.06535, 0.925655],
            [0.993264, 0.003824, 0.002912],
            [0.043184, 0.940122, 0.016694],
            [0.06633, 0.047741, 0.885929],
        ],
        None,  # MACE runs a fixed number of iterations; no count to compare
    ),
]


@pytest.mark.parametrize(
    ("model", "gold", "expected", "iterations"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_matches_crowdkit(
    model: Any, gold: pd.Series | None, expected: list[list[float]], iterations: int | None
) -> None:
    probas = (
        model.fit_predict_proba(ANSWERS) if gold is None else model.fit_predict_proba(ANSWERS, gold)
    )
    got = probas.loc[TASKS, LABELS].to_numpy()
    np.testing.assert_allclose(got, np.array(expected), atol=2e-6)
    expected_labels = [LABELS[i] for i in np.argmax(expected, axis=1)]
    assert model.labels_.loc[TASKS].tolist() == expected_labels
    if iterations is not None:
        assert model.n_iter_ == iterations == len(model.loss_history_)


def test_majority_vote_matches_crowdkit() -> None:
    assert MajorityVote().fit_predict(ANSWERS).loc[TASKS].tolist() == [
        "cat", "dog", "dog", "bird", "cat", "dog",
    ]  # fmt: skip


TIES = pd.DataFrame(
    [
        ("t1", "w1", "z"), ("t1", "w2", "a"),
        ("t2", "w1", "m"), ("t2", "w2", "z"), ("t2", "w3", "a"),
        ("t3", "w3", "b"), ("t3", "w1", "z"),
    ],
    columns=["task", "worker", "label"],
)  # fmt: skip


def test_majority_vote_ties_match_crowdkit() -> None:
    # crowd-kit 1.4.2 under pandas 3.1.1: MajorityVote().fit_predict(TIES) and, with every
    # skill 0.5, MajorityVote().fit_predict(TIES, skills)
    assert MajorityVote().fit_predict(TIES).to_dict() == {"t1": "z", "t2": "z", "t3": "z"}
    skills = pd.Series({"w1": 0.5, "w2": 0.5, "w3": 0.5})
    weighted = WeightedMajorityVote().fit_predict(TIES, skills)
    assert weighted.to_dict() == {"t1": "a", "t2": "a", "t3": "b"}


def test_dawid_skene_fitted_attributes() -> None:
    model = DawidSkene().fit(ANSWERS)
    assert model.probas_.index.name == "task"
    assert list(model.probas_.columns) == LABELS
    assert model.priors_.sum() == pytest.approx(1.0)
    # each worker's confusion matrix: columns (true labels) sum to 1 over answered labels
    sums = model.errors_.groupby(level="worker").sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert set(model.skills_.index) == {"w1", "w2", "w3", "w4"}
    assert ((model.skills_ >= 0) & (model.skills_ <= 1)).all()


def test_mace_stops_on_convergence_before_the_cap() -> None:
    model = MACE().fit(ANSWERS)
    assert model.tol is not None
    assert 1 < model.n_iter_ < model.n_iter == 500
    assert model.n_iter_ == len(model.loss_history_)
    history = np.array(model.loss_history_)
    changes = np.abs(np.diff(history))
    # stopped at the first iteration whose change is below tol · |L|, none before
    assert changes[-1] < model.tol * abs(history[-2])
    assert (changes[:-1] >= model.tol * np.abs(history[:-2])).all()
    # converged from the fixed-50 run: same labels on this frame, probabilities close
    fixed = MACE(n_iter=50, tol=None).fit(ANSWERS)
    assert fixed.n_iter_ == 50
    assert model.labels_.loc[TASKS].tolist() == fixed.labels_.loc[TASKS].tolist()
    assert model.log_marginal_likelihood_ >= fixed.log_marginal_likelihood_ - 1e-6


def test_mace_runs_the_cap_without_tol() -> None:
    model = MACE(n_restarts=2, n_iter=7, tol=None).fit(ANSWERS)
    assert model.n_iter_ == 7 == len(model.loss_history_)
