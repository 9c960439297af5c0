"""Pairwise comparisons: crowdset's BradleyTerry and CrowdBT beside crowd-kit 1.4.2 on real crowd
judgments of reading difficulty (Chen et al., WSDM 2013), scored against the passages' grades.

Run in the benchmark's own environment (bench/truth_inference/setup.sh), BLAS on one thread:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        .bench-venv-crowdkit/bin/python bench/truth_inference/pairwise.py

Data: ``../shared/data/readability-pairwise-chen2013`` from the repository root (``--data``
overrides it): ``comparisons.csv`` (worker, winner = the passage judged more difficult, loser)
and ``items.csv`` (item, grade 1–12). Every method gets the same frame; only ``fit`` is timed,
in CPU seconds (``time.process_time``), median of ``--runs`` runs. Scores: Kendall's τ-b
(``scipy.stats.kendalltau``) between an item's score and its grade, and the accuracy over every
pair of items with distinct grades (a tie in scores counts one half). Without crowd-kit (the
project's own .venv) its rows are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crowdset.aggregation import BradleyTerry, CrowdBT

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT / ".." / "shared" / "data" / "readability-pairwise-chen2013"

# accuracy over item pairs / Kendall's τ, from the data's README (upstream baselines_passage.csv)
PUBLISHED = [
    ("Bradley–Terry", 0.680, 0.341),
    ("Rank Centrality", 0.652, 0.289),
    ("BARP", 0.682, 0.343),
    ("FactorBT (noisy BT)", 0.695, 0.368),
    ("HBTL", 0.695, 0.369),
    ("HTCV", 0.693, 0.364),
    ("BoRaEM", 0.696, 0.370),
    ("CrowdBT", 0.700, 0.378),
]

Fit = Callable[[], "pd.Series[float]"]


def load(data: Path) -> tuple[pd.DataFrame, pd.Series]:
    comparisons = pd.read_csv(data / "comparisons.csv")
    grades = pd.read_csv(data / "items.csv", usecols=["item", "grade"]).set_index("item")["grade"]
    return comparisons, grades


def scores_against(scores: pd.Series, grades: pd.Series) -> dict[str, float]:
    """Kendall's τ-b and the pairwise accuracy of ``scores`` against ``grades`` (items missing
    from ``scores`` count as tied at the bottom)."""
    s = scores.reindex(grades.index).fillna(-np.inf).to_numpy(dtype=float)
    g = grades.to_numpy()
    tau = float(stats.kendalltau(s, g).statistic)
    i, j = np.triu_indices(g.size, k=1)
    order = np.sign(g[i] - g[j])
    distinct = order != 0
    said = np.sign(s[i] - s[j])[distinct]
    accuracy = float(np.where(said == 0, 0.5, said == order[distinct]).mean())
    return {"tau_b": tau, "pair_accuracy": accuracy, "scored_items": int(scores.size)}


def methods(comparisons: pd.DataFrame) -> dict[str, tuple[str, Fit, Callable[[], int | None]]]:
    """Name → (library, fit returning the scores, iterations of the last fit)."""
    last: dict[str, Any] = {}

    def run(name: str, model: Any, data: pd.DataFrame) -> pd.Series:
        last[name] = model
        return model.fit(data).scores_

    def iterations(name: str) -> Callable[[], int | None]:
        def count() -> int | None:
            model = last.get(name)
            if model is None:
                return None
            if hasattr(model, "n_iter_"):
                return int(model.n_iter_)
            # crowd-kit 1.4.2's BradleyTerry never appends to its loss_history_: unknown
            history = getattr(model, "loss_history_", None)
            return len(history) if history else None

        return count

    found: dict[str, tuple[str, Fit, Callable[[], int | None]]] = {
        "bt": ("crowdset", lambda: run("bt", BradleyTerry(), comparisons), iterations("bt")),
        "crowdbt": (
            "crowdset",
            lambda: run("crowdbt", CrowdBT(), comparisons),
            iterations("crowdbt"),
        ),
    }
    try:
        from crowdkit.aggregation import BradleyTerry as KitBT
        from crowdkit.aggregation import NoisyBradleyTerry as KitNoisyBT
    except ImportError:
        return found
    # crowd-kit reads (worker, left, right, label = the winner). Bradley–Terry does not care
    # which side an item was on; NoisyBT fits a left/right bias per worker, so the winner is put
    # on a random side (seed 0) rather than always on the left.
    swap = np.random.default_rng(0).random(len(comparisons)) < 0.5
    kit = pd.DataFrame(
        {
            "worker": comparisons["worker"],
            "left": np.where(swap, comparisons["loser"], comparisons["winner"]),
            "right": np.where(swap, comparisons["winner"], comparisons["loser"]),
            "label": comparisons["winner"],
        }
    )
    # n_iter is required by crowd-kit's BradleyTerry; 1,000 lets it reach its own tol (1e-5)
    found["crowd-kit BradleyTerry"] = (
        "crowd-kit",
        lambda: run("kbt", KitBT(n_iter=1000), kit),
        iterations("kbt"),
    )
    found["crowd-kit NoisyBradleyTerry"] = (
        "crowd-kit",
        lambda: run("knbt", KitNoisyBT(), kit),
        iterations("knbt"),
    )
    return found


def measure(comparisons: pd.DataFrame, grades: pd.Series, runs: int) -> list[dict[str, Any]]:
    rows = []
    for name, (library, fit, iterations) in methods(comparisons).items():
        seconds = []
        for _ in range(runs):
            start = time.process_time()
            scores = fit()
            seconds.append(time.process_time() - start)
        row = {
            "method": name,
            "library": library,
            **scores_against(scores, grades),
            "cpu_s_median": statistics.median(seconds),
            "cpu_s": seconds,
            "iterations": iterations(),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def sensitivity(comparisons: pd.DataFrame, grades: pd.Series) -> list[dict[str, Any]]:
    """crowdset's models at other hyper-parameters: reported to show how much the defaults
    matter, never used to choose them (that would be fitting to the gold grades)."""
    rows = []
    for strength in (0.1, 1.0, 10.0):
        model = BradleyTerry(prior_comparisons=strength)
        rows.append(
            {"method": "bt", "prior_comparisons": strength}
            | scores_against(model.fit_predict(comparisons), grades)
        )
    for prior in ((1.0, 1.0), (2.0, 1.0), (5.0, 2.0), (10.0, 1.0)):
        for strength in (0.1, 1.0, 10.0):
            crowd = CrowdBT(prior_comparisons=strength, reliability_prior=prior)
            scores = crowd.fit_predict(comparisons)
            rows.append(
                {
                    "method": "crowdbt",
                    "prior_comparisons": strength,
                    "reliability_prior": list(prior),
                    "workers_reversed": int((crowd.worker_reliability_ < 0.5).sum()),
                }
                | scores_against(scores, grades)
            )
    return rows


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "machine": platform.machine()}
    for package in ("crowdset", "crowd-kit", "numpy", "scipy", "pandas"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def table(results: dict[str, Any]) -> str:
    lines = [
        "| method | library | Kendall τ-b | pair accuracy | fit CPU s (median of "
        f"{results['runs']}) | iterations |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results["measured"]:
        steps = "—" if r["iterations"] is None else r["iterations"]
        lines.append(
            f"| {r['method']} | {r['library']} | {r['tau_b']:.3f} | {r['pair_accuracy']:.3f} "
            f"| {r['cpu_s_median']:.3f} | {steps} |"
        )
    lines.append(
        f"| win rate (wins / comparisons) | reference | {results['win_rate']['tau_b']:.3f} "
        f"| {results['win_rate']['pair_accuracy']:.3f} | — | — |"
    )
    for name, accuracy, tau in PUBLISHED:
        lines.append(f"| {name} | published (upstream) | {tau:.3f} | {accuracy:.3f} | — | — |")
    if results.get("sensitivity"):
        lines += [
            "",
            "| model | prior_comparisons | reliability_prior (a, b) | Kendall τ-b | pair accuracy "
            "| workers read reversed |",
            "|---|---:|---|---:|---:|---:|",
        ]
        for r in results["sensitivity"]:
            prior = r.get("reliability_prior")
            lines.append(
                f"| {r['method']} | {r['prior_comparisons']:g} "
                f"| {'—' if prior is None else f'Beta({prior[0]:g}, {prior[1]:g})'} "
                f"| {r['tau_b']:.3f} | {r['pair_accuracy']:.3f} "
                f"| {r.get('workers_reversed', '—')} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "pairwise.json")
    parser.add_argument("--table", action="store_true", help="only print the table of --out")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return
    comparisons, grades = load(args.data)
    wins = comparisons["winner"].value_counts()
    played = wins.add(comparisons["loser"].value_counts(), fill_value=0)
    results = {
        "data": os.path.relpath(args.data, ROOT),
        "comparisons": len(comparisons),
        "items": int(grades.size),
        "workers": int(comparisons["worker"].nunique()),
        "runs": args.runs,
        "versions": _versions(),
        "win_rate": scores_against(wins.reindex(played.index, fill_value=0) / played, grades),
        "measured": measure(comparisons, grades, args.runs),
        "sensitivity": sensitivity(comparisons, grades),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
