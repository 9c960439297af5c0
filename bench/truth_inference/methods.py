"""The same method in both libraries: one ``fit`` per library, returning the fitted model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from crowdset import aggregation as cs

try:
    from crowdkit import aggregation as ck
except ImportError:  # the project's .venv has no crowd-kit; run these in .bench-venv-crowdkit
    ck = None

Fit = Callable[[pd.DataFrame, "pd.Series | None"], Any]


@dataclass(frozen=True)
class Method:
    name: str
    crowdset: Fit
    crowdkit: Fit | None
    note: str = ""


def _weights(data: pd.DataFrame) -> pd.Series:
    """WMV weights given to both libraries: each worker's agreement with majority vote."""
    return cs.MajorityVote().fit(data).skills_


def _crowdkit(name: str) -> Fit | None:
    if ck is None:
        return None
    if name == "WMV":
        return lambda d, w: ck.MajorityVote().fit(d, skills=w)
    if name == "MACE-sorted":
        # crowd-kit 1.4.2's MACE pairs the rows of a count table sorted by worker (and its
        # columns sorted by label) with workers (labels) in order of appearance; on input
        # sorted by worker and label the two orders agree. Both libraries get this input.
        return lambda d, w: ck.MACE().fit(d.sort_values(["worker", "label"]))
    cls = {
        "MV": "MajorityVote",
        "DS": "DawidSkene",
        "ODS": "OneCoinDawidSkene",
        "GLAD": "GLAD",
        "MACE": "MACE",
    }[name]
    return lambda d, w: getattr(ck, cls)().fit(d)


CROWDSET: dict[str, Fit] = {
    "MV": lambda d, w: cs.MajorityVote().fit(d),
    "WMV": lambda d, w: cs.WeightedMajorityVote().fit(d, w),
    "DS": lambda d, w: cs.DawidSkene().fit(d),
    "ODS": lambda d, w: cs.OneCoinDawidSkene().fit(d),
    "GLAD": lambda d, w: cs.GLAD().fit(d),
    "MACE": lambda d, w: cs.MACE().fit(d),
    "MACE-sorted": lambda d, w: cs.MACE().fit(d.sort_values(["worker", "label"])),
}

METHODS = {name: Method(name, fit, _crowdkit(name)) for name, fit in CROWDSET.items()}


def weights_for(name: str, data: pd.DataFrame) -> pd.Series | None:
    return _weights(data) if name == "WMV" else None


def iterations(model: Any) -> int | None:
    """EM iterations run (crowdset ``n_iter_``; crowd-kit ``len(loss_history_)``)."""
    if hasattr(model, "n_iter_"):
        return int(model.n_iter_)
    history = getattr(model, "loss_history_", None)
    return len(history) if history else None
