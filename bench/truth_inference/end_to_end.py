"""End to end, as a user runs it: answer file in, one label per task out, in a fresh process.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        .bench-venv-crowdkit/bin/python bench/truth_inference/end_to_end.py

For each size (tasks × 5 answers, 20 % spammers, ``datasets.synthetic``), the answers are
written once as CSV and Parquet; then, each in its own process and timed from its start to its
exit (CPU seconds of the process, user + system, so the start-up and the imports count):

- ``crowdset aggregate ANSWERS --method ds -o labels.csv`` (the real command);
- crowd-kit 1.4.2: ``import crowdkit``, ``pd.read_csv`` (ids and labels as text),
  ``DawidSkene().fit``, ``to_csv`` of task, label, confidence (what the command writes).

Processes run one at a time, crowdset and crowd-kit interleaved, ``--repeats`` times each
(crowd-kit above ``--peer-repeats-max`` answers once: about 5 CPU-minutes at 5M answers); the
median is reported. ``--table`` re-prints the table of ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from processes import timed  # noqa: E402

CROWDKIT = """
import sys
import tempfile
import pandas as pd
from crowdkit.aggregation import DawidSkene
answers, output = sys.argv[1], sys.argv[2]
data = pd.read_csv(answers, dtype=str, keep_default_na=False)
model = DawidSkene().fit(data)
pd.DataFrame(
    {"task": model.labels_.index, "label": model.labels_.to_numpy(),
     "confidence": model.probas_.max(axis=1).to_numpy()}
).to_csv(output, index=False)
print("iterations", len(model.loss_history_))
"""


def crowdset_command() -> list[str]:
    """``crowdset`` of the environment running this script (the project's or the bench's)."""
    beside = Path(sys.executable).with_name("crowdset")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "crowdset.cli"]


def write_inputs(n_tasks: int, folder: Path) -> dict[str, Path]:
    from datasets import synthetic

    paths = {fmt: folder / f"answers-{n_tasks}x5.{fmt}" for fmt in ("csv", "parquet")}
    if not all(path.exists() for path in paths.values()):
        data, _ = synthetic(n_tasks, 5, 5, seed=0)
        data.to_csv(paths["csv"], index=False)
        data.astype({"label": str}).to_parquet(paths["parquet"], index=False)
    return paths


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    args.work.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    for n_tasks in args.sizes:
        inputs = write_inputs(n_tasks, args.work)
        answers = n_tasks * 5
        commands: dict[str, list[str]] = {} if args.peer_only else {
            "crowdset csv": [
                *crowdset_command(), "aggregate", str(inputs["csv"]), "--method", "ds",
                "-o", str(args.work / "crowdset.csv"),
            ],
            "crowdset parquet": [
                *crowdset_command(), "aggregate", str(inputs["parquet"]), "--method", "ds",
                "-o", str(args.work / "crowdset.parquet"),
            ],
        }  # fmt: skip
        if not args.no_peer:
            commands["crowd-kit csv"] = [
                args.peer_python,
                "-c",
                CROWDKIT,
                str(inputs["csv"]),
                str(args.work / "ck.csv"),
            ]
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        for repeat in range(args.repeats):
            for name, command in commands.items():
                if name.startswith("crowd-kit") and answers > args.peer_repeats_max and repeat:
                    continue
                runs[name].append(timed(command))
                print(name, answers, runs[name][-1], flush=True)
        for name, measured in runs.items():
            row = {
                "run": name,
                "answers": answers,
                "tasks": n_tasks,
                "repeats": len(measured),
                **{
                    key: statistics.median(m[key] for m in measured)
                    for key in ("cpu_s", "wall_s", "max_rss_mib")
                },
            }
            results.append(row)
            args.out.write_text(json.dumps(results, indent=1))
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| run | answers | CPU s (median) | CPU s per million answers | wall s | peak MiB | runs |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        per_million = r["cpu_s"] / (r["answers"] / 1e6)
        lines.append(
            f"| {r['run']} | {r['answers']:,} | {r['cpu_s']:.2f} | {per_million:.2f} "
            f"| {r['wall_s']:.2f} | {r['max_rss_mib']:.0f} | {r['repeats']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-repeats-max", type=int, default=1_000_000)
    parser.add_argument(
        "--peer-python",
        default=str(ROOT / ".bench-venv-crowdkit" / "bin" / "python"),
        help="a Python with crowd-kit 1.4.2 (setup.sh builds it)",
    )
    parser.add_argument("--no-peer", action="store_true", help="crowdset alone")
    parser.add_argument("--peer-only", action="store_true", help="crowd-kit alone")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "e2e")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "end_to_end.json")
    parser.add_argument(
        "--table", nargs="*", type=Path, help="only print the table of these result files"
    )
    args = parser.parse_args()
    if args.table is not None:
        rows = [row for path in args.table or [args.out] for row in json.loads(path.read_text())]
        print(table(sorted(rows, key=lambda row: (row["answers"], row["run"]))))
        return
    print(table(run(args)))


if __name__ == "__main__":
    main()
