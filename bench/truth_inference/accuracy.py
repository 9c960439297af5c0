"""Accuracy, side by side: crowdset and crowd-kit 1.4.2 on the truth-inference sets, beside
Zheng et al. 2017's Table 6 where the data's README gives it.

Run in the benchmark's own environment (bench/truth_inference/setup.sh), BLAS on one thread:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        .bench-venv-crowdkit/bin/python bench/truth_inference/accuracy.py

Both libraries get the same frame (see datasets.py for the clean-up of each set); accuracy is
measured on the tasks that have a truth. One run each: the seconds are indicative only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from datasets import CLASSIFICATION_SETS, NUMERIC_SETS, load  # noqa: E402
from methods import METHODS, iterations, weights_for  # noqa: E402

from crowdset import aggregation as cs  # noqa: E402

# Zheng et al., PVLDB 10(5) 2017, Table 6, as transcribed in the data's README.md
PAPER: dict[tuple[str, str], str] = {
    ("d_jn-product", "MV"): "89.66% / F1 59.05%",
    ("d_jn-product", "DS"): "93.66% / F1 71.59%",
    ("d_jn-product", "GLAD"): "92.20% / F1 60.17%",
    ("d_jn-product", "ODS"): "ZC¹ 92.80% / F1 63.59%",
    ("s4_Relevance", "MV"): "54.19%",
    ("s4_Relevance", "DS"): "61.30%",
    ("s4_Relevance", "GLAD"): "53.59%",
    ("s4_Relevance", "ODS"): "ZC¹ 48.21%",
    ("f201_Emotion_FULL", "Mean"): "MAE 12.02 / RMSE 17.84",
}
POSITIVE = {"d_jn-product": 1}  # F1 of the positive class ("same product")


def _scores(labels: pd.Series, truth: pd.Series, dataset: str) -> dict[str, float]:
    got = labels.reindex(truth.index)
    result = {"acc": float((got == truth).mean())}
    if dataset in POSITIVE:
        positive = POSITIVE[dataset]
        tp = float(((got == positive) & (truth == positive)).sum())
        fp = float(((got == positive) & (truth != positive)).sum())
        fn = float(((got != positive) & (truth == positive)).sum())
        result["f1"] = 2 * tp / (2 * tp + fp + fn)
    return result


def _timed(fit: Any, data: pd.DataFrame, weights: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    model = fit(data, weights)
    return model, time.perf_counter() - start


def classification(names: list[str], methods: list[str]) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        ds = load(name)
        for method_name in methods:
            method = METHODS[method_name]
            weights = weights_for(method_name, ds.answers)
            model, seconds = _timed(method.crowdset, ds.answers, weights)
            row: dict[str, Any] = {
                "dataset": name,
                "method": method_name,
                "answers": len(ds.answers),
                "note": ds.note,
                "crowdset": _scores(model.labels_, ds.truth, name),
                "crowdset_s": seconds,
                "crowdset_iter": iterations(model),
                "paper": PAPER.get((name, method_name), ""),
            }
            if method.crowdkit is not None:
                peer, seconds = _timed(method.crowdkit, ds.answers, weights)
                row |= {
                    "crowdkit": _scores(peer.labels_, ds.truth, name),
                    "crowdkit_s": seconds,
                    "crowdkit_iter": iterations(peer),
                }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def numeric(names: list[str]) -> list[dict[str, Any]]:
    models = {
        "Mean": lambda d: cs.WeightedMeanRating().fit(d),
        "zmean": lambda d: cs.RaterNormalisedMean().fit(d),
        "ReviewerWeightedScore": lambda d: cs.ReviewerWeightedScore().fit(d),
    }
    rows = []
    for name in names:
        ds = load(name)
        for method_name, fit in models.items():
            start = time.perf_counter()
            scores = fit(ds.answers).scores_
            seconds = time.perf_counter() - start
            error = scores.reindex(ds.truth.index) - ds.truth
            row = {
                "dataset": name,
                "method": method_name,
                "answers": len(ds.answers),
                "mae": float(np.abs(error).mean()),
                "rmse": float(np.sqrt((error**2).mean())),
                "crowdset_s": seconds,
                "paper": PAPER.get((name, method_name), ""),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def _pct(scores: dict[str, float] | None) -> str:
    if scores is None:
        return "—"
    text = f"{100 * scores['acc']:.2f}%"
    if "f1" in scores:
        text += f" / F1 {100 * scores['f1']:.2f}%"
    return text


def table(results: dict[str, list[dict[str, Any]]]) -> str:
    lines = [
        "| dataset | answers | method | crowdset | crowd-kit 1.4.2 | Δ points | paper (Table 6) "
        "| crowdset s | crowd-kit s |",
        "|---|---:|---|---|---|---:|---|---:|---:|",
    ]
    for r in results["classification"]:
        peer = r.get("crowdkit")
        delta = f"{100 * (r['crowdset']['acc'] - peer['acc']):+.2f}" if peer else "—"
        peer_s = f"{r['crowdkit_s']:.2f}" if peer else "—"
        lines.append(
            f"| {r['dataset']} | {r['answers']:,} | {r['method']} | {_pct(r['crowdset'])} "
            f"| {_pct(peer)} | {delta} | {r['paper']} | {r['crowdset_s']:.2f} | {peer_s} |"
        )
    lines += [
        "",
        "| dataset | answers | method | crowdset MAE / RMSE | paper (Table 6) | crowdset s |",
        "|---|---:|---|---|---|---:|",
    ]
    for r in results["numeric"]:
        lines.append(
            f"| {r['dataset']} | {r['answers']:,} | {r['method']} "
            f"| {r['mae']:.2f} / {r['rmse']:.2f} | {r['paper']} | {r['crowdset_s']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=CLASSIFICATION_SETS)
    parser.add_argument(
        "--methods", nargs="+", default=["MV", "WMV", "DS", "ODS", "GLAD", "MACE", "MACE-sorted"]
    )
    parser.add_argument("--numeric", nargs="*", default=NUMERIC_SETS)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "accuracy.json")
    parser.add_argument("--table", action="store_true", help="only print the table of --out")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return
    results = {
        "classification": classification(args.datasets, args.methods),
        "numeric": numeric(args.numeric),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
