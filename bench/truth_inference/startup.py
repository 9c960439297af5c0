"""Start-up of the ``crowdset`` command: ``--help``, ``aggregate`` and ``corpus filter``.

    .venv/bin/python bench/truth_inference/startup.py --baseline 2f13764

Each command runs ``--repeats`` times in a fresh process (the real ``crowdset`` entry point of
the environment running this script), one after another and interleaved with the baseline;
the table gives the medians of the process's CPU seconds (user + system), wall seconds and
peak memory. ``--baseline REV`` also runs the same commands on the source of git revision REV
(``git archive``, put first on ``PYTHONPATH``; same environment), for a before/after in one
run. The inputs are tiny, so the figures are start-up: imports and the command's set-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from processes import timed  # noqa: E402


def commands(work: Path) -> dict[str, list[str]]:
    answers = work / "answers.csv"
    answers.write_text(
        "task,worker,label\n"
        + "".join(f"q{i},w{j},{'ab'[(i + j) % 3 == 0]}\n" for i in range(100) for j in range(3))
    )
    corpus = work / "corpus.tsv"
    corpus.write_text("".join(f"pair number {i} here\tPaar Nummer {i} hier\n" for i in range(300)))
    return {
        "crowdset --help": ["--help"],
        "crowdset aggregate --help": ["aggregate", "--help"],
        "crowdset aggregate (300 answers, ds)": [
            "aggregate", str(answers), "-o", str(work / "labels.csv"),
        ],
        "crowdset corpus filter --help": ["corpus", "filter", "--help"],
        "crowdset corpus filter (300 pairs)": [
            "corpus", "filter", str(corpus), "-o", str(work / "kept.tsv"),
        ],
    }  # fmt: skip


def source_of(revision: str, folder: Path) -> Path:
    """The ``src`` folder of git ``revision``, extracted under ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "src"


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    entry = str(Path(sys.executable).with_name("crowdset"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        versions = {"this tree": env}
        if args.baseline:
            old = source_of(args.baseline, work)
            versions[args.baseline] = env | {"PYTHONPATH": str(old)}
        runs: dict[tuple[str, str], list[dict[str, float]]] = {}
        for _ in range(args.repeats):
            for name, words in commands(work).items():
                for version, version_env in versions.items():
                    measured = timed([entry, *words], version_env)
                    runs.setdefault((name, version), []).append(measured)
        return [
            {
                "command": name,
                "version": version,
                "repeats": len(measured),
                **{
                    key: statistics.median(m[key] for m in measured)
                    for key in ("cpu_s", "wall_s", "max_rss_mib")
                },
            }
            for (name, version), measured in runs.items()
        ]


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| command | version | CPU s (median) | wall s | peak MiB | runs |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| `{r['command']}` | {r['version']} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} "
            f"| {r['max_rss_mib']:.0f} | {r['repeats']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--baseline", help="a git revision to compare with, e.g. 2f13764")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "startup.json")
    parser.add_argument("--table", action="store_true", help="only print the table of --out")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return
    results = run(args)
    args.out.write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
