"""Speed, side by side: crowdset and crowd-kit 1.4.2 on synthetic crowds.

Run in the benchmark's own environment (bench/truth_inference/setup.sh), BLAS on one thread:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        .bench-venv-crowdkit/bin/python bench/truth_inference/speed.py

Each (method, size) is timed ``--repeats`` times per library (the median is reported; the
data is generated once, outside the timing; ``fit`` alone is timed). crowd-kit is skipped
above ``--peer-max`` answers for its slow methods, and the table says so.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from datasets import synthetic  # noqa: E402
from methods import METHODS, iterations, weights_for  # noqa: E402

DEFAULT_PEER_MAX = {"GLAD": 30_000, "MACE": 50_000, "ODS": 50_000}


def _time(fit: Any, data: Any, weights: Any, repeats: int) -> tuple[float, Any]:
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit(data, weights)
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def _accuracy(labels: Any, truth: Any) -> float:
    return float((labels.reindex(truth.index) == truth).mean())


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    peer_max = dict(DEFAULT_PEER_MAX)
    for item in args.peer_max:
        name, _, limit = item.partition("=")
        peer_max[name] = int(limit)
    results: list[dict[str, Any]] = []
    for n_tasks in args.sizes:
        for overlap in args.overlaps:
            for n_classes in args.classes:
                data, truth = synthetic(n_tasks, overlap, n_classes, seed=args.seed)
                for name in args.methods:
                    method = METHODS[name]
                    weights = weights_for(name, data)
                    row: dict[str, Any] = {
                        "method": name,
                        "tasks": n_tasks,
                        "overlap": overlap,
                        "classes": n_classes,
                        "answers": len(data),
                        "workers": int(data["worker"].nunique()),
                        "repeats": args.repeats,
                    }
                    seconds, model = _time(method.crowdset, data, weights, args.repeats)
                    row |= {
                        "crowdset_s": seconds,
                        "crowdset_acc": _accuracy(model.labels_, truth),
                        "crowdset_iter": iterations(model),
                    }
                    peer_ok = len(data) <= peer_max.get(name, 10**12)
                    if method.crowdkit is not None and peer_ok:
                        seconds, peer = _time(method.crowdkit, data, weights, args.repeats)
                        row |= {
                            "crowdkit_s": seconds,
                            "crowdkit_acc": _accuracy(peer.labels_, truth),
                            "crowdkit_iter": iterations(peer),
                            "agree": float(
                                (peer.labels_.reindex(model.labels_.index) == model.labels_).mean()
                            ),
                        }
                    results.append(row)
                    print(json.dumps(row), flush=True)
                    args.out.write_text(json.dumps(results, indent=1))
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| method | tasks × answers/task | classes | crowdset s | crowd-kit s | speed-up "
        "| accuracy crowdset / crowd-kit | same labels | iterations crowdset / crowd-kit |",
        "|---|---|---|---:|---:|---:|---|---:|---|",
    ]
    for r in results:
        has_peer = "crowdkit_s" in r
        peer_s = f"{r['crowdkit_s']:.3f}" if has_peer else "not run"
        ratio = f"{r['crowdkit_s'] / r['crowdset_s']:.1f}×" if has_peer else "—"
        acc = f"{100 * r['crowdset_acc']:.2f}%"
        acc += f" / {100 * r['crowdkit_acc']:.2f}%" if has_peer else ""
        agree = f"{100 * r['agree']:.2f}%" if r.get("agree") is not None else "—"
        its = str(r["crowdset_iter"] or "—")
        if has_peer and r.get("crowdkit_iter") is not None:
            its += f" / {r['crowdkit_iter']}"
        lines.append(
            f"| {r['method']} | {r['tasks']:,} × {r['overlap']} | {r['classes']} "
            f"| {r['crowdset_s']:.3f} | {peer_s} | {ratio} | {acc} | {agree} | {its} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--overlaps", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--methods", nargs="+", default=["MV", "DS", "ODS", "GLAD", "MACE"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--peer-max",
        nargs="*",
        default=[],
        metavar="METHOD=ANSWERS",
        help=f"largest answer count crowd-kit runs per method (default {DEFAULT_PEER_MAX})",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "speed.json")
    parser.add_argument("--table", action="store_true", help="only print the table of --out")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = run(args)
    print(table(results))


if __name__ == "__main__":
    main()
