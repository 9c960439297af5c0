"""Speed: the same rule set through OpusFilter 3.3.1 and through ``crowdset corpus filter``.

Both tools read the same pair of Moses files (built by make_corpus.py) and write the kept pairs;
each run is a fresh process timed end to end (start-up, reading, filtering, writing), repeated
``--repeats`` times, and the median is reported. Per rule, each tool runs that rule alone over
all pairs; overall, the whole pipeline in the same order in both tools (dedup first, language
identification last). Prints a Markdown table for docs/benchmarks.md.

    bash bench/corpus_filter/setup.sh
    .venv/bin/python bench/corpus_filter/speed.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from make_corpus import build  # noqa: E402

OPUS = ROOT / ".bench-venv-opusfilter" / "bin" / "opusfilter"
# the command users run, from the environment running this script (make install puts it there)
CROWDSET = Path(sys.executable).with_name("crowdset")

# crowdset rule → (its settings, the closest OpusFilter step). OpusFilter has no rule for
# "same URLs and e-mails on both sides"; NonZeroNumeralsFilter compares the digits only.
RULES: list[tuple[str, dict[str, object], dict[str, object]]] = [
    ("duplicate", {}, {"remove_duplicates": {}}),
    ("near_duplicate", {}, {"remove_duplicates": {"lowercase": True, "letters_only": True}}),
    ("token_count", {}, {"LengthFilter": {"unit": "word", "min_length": 3, "max_length": 79}}),
    ("length_ratio", {}, {"LengthRatioFilter": {"unit": "char", "threshold": 2.5}}),
    ("alphabetic", {}, {"AlphabetRatioFilter": {"threshold": 0.5, "exclude_whitespace": True}}),
    ("markup", {}, {"HtmlTagFilter": {}}),
    ("same_entities", {}, {"NonZeroNumeralsFilter": {"threshold": 0.5}}),
    ("edit_distance", {}, {"SimilarityFilter": {"threshold": 0.9, "lowercase": True}}),
    (
        "script",
        {"src": "en", "tgt": "de"},
        {"CharacterScoreFilter": {"scripts": ["Latin", "Latin"], "thresholds": [0.8, 0.8]}},
    ),
    (
        "language",
        # OpusFilter's Cld2Filter rejects text CLD2 cannot identify, so crowdset does too here
        {"src": "en", "tgt": "de", "accept_unknown": False},
        {"Cld2Filter": {"languages": ["en", "de"]}},
    ),
]


def opus_config(work: Path, steps: list[dict[str, object]], n_jobs: int) -> Path:
    """An OpusFilter YAML: remove_duplicates steps first, then one filter step."""
    current = ["corpus.en", "corpus.de"]
    config_steps: list[dict[str, object]] = []
    filters = []
    for k, step in enumerate(steps):
        ((kind, params),) = step.items()
        if kind == "remove_duplicates":
            out = [f"dedup{k}.en", f"dedup{k}.de"]
            config_steps.append(
                {"type": kind, "parameters": {"inputs": current, "outputs": out, **params}}
            )
            current = out
        else:
            filters.append(step)
    if filters:
        config_steps.append(
            {
                "type": "filter",
                "parameters": {
                    "inputs": current,
                    "outputs": ["kept.en", "kept.de"],
                    "filters": filters,
                },
            }
        )
    config = {
        "common": {"output_directory": str(work), "default_n_jobs": n_jobs},
        "steps": config_steps,
    }
    path = work / "opusfilter.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def run_opus(corpus: Path, steps: list[dict[str, object]], n_jobs: int) -> float:
    with tempfile.TemporaryDirectory(prefix="opusfilter-") as tmp:
        work = Path(tmp)
        for name in ("corpus.en", "corpus.de"):
            (work / name).symlink_to(corpus / name)
        return timed([str(OPUS), "--overwrite", str(opus_config(work, steps, n_jobs))], work)


def run_crowdset(corpus: Path, rules: list[dict[str, object]], workers: int) -> float:
    with tempfile.TemporaryDirectory(prefix="crowdset-") as tmp:
        work = Path(tmp)
        config = work / "filters.yaml"
        config.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
        command = [
            str(CROWDSET), "corpus", "filter",
            str(corpus / "corpus.en"), str(corpus / "corpus.de"), "-o", str(work / "kept"),
            "--config", str(config), "--workers", str(workers),
        ]  # fmt: skip
        return timed(command, work)


def median(runs: list[float]) -> float:
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=204_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/crowdset-bench"))
    parser.add_argument("--json", type=Path, default=None, help="also write raw timings here")
    parser.add_argument("--skip-per-rule", action="store_true", help="only time the whole pipeline")
    args = parser.parse_args()
    if not OPUS.exists():
        sys.exit("run bench/corpus_filter/setup.sh first")
    if not CROWDSET.exists():
        sys.exit(f"no {CROWDSET}: run this script with the Python of `make install` (.venv)")
    build(args.pairs, args.corpus)
    # pip byte-compiled OpusFilter when it installed it; crowdset is installed editable, and
    # where PYTHONDONTWRITEBYTECODE is set (as on the development machine) its modules would
    # be compiled again in every timed run: compile them once, as a wheel install would
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    n, workers = args.pairs, os.cpu_count() or 1
    raw: dict[str, dict[str, list[float]]] = {}
    rows = []
    reps = range(args.repeats)
    for name, settings, opus_step in [] if args.skip_per_rule else RULES:
        crowd = [
            run_crowdset(args.corpus, [{name: settings}], workers) for _ in range(args.repeats)
        ]
        opus = [run_opus(args.corpus, [opus_step], 1) for _ in reps]
        raw[name] = {"crowdset": crowd, "opusfilter": opus}
        rows.append((name, next(iter(opus_step)), n / median(opus), n / median(crowd)))
        print(f"{name}: {rows[-1]}", file=sys.stderr)
    everything = [{name: settings} for name, settings, _ in RULES]
    opus_steps = [step for _, _, step in RULES if "remove_duplicates" not in step]
    # one near-duplicate pass in OpusFilter removes exact copies too: the cheaper equivalent
    opus_steps = [RULES[1][2], *opus_steps]
    reps = range(args.repeats)
    overall = {
        "crowdset_all_cores": [run_crowdset(args.corpus, everything, workers) for _ in reps],
        "crowdset_1_worker": [run_crowdset(args.corpus, everything, 1) for _ in reps],
        "opusfilter_1_job": [run_opus(args.corpus, opus_steps, 1) for _ in reps],
        "opusfilter_n_jobs": [run_opus(args.corpus, opus_steps, workers) for _ in reps],
    }
    raw["overall"] = overall
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    print(
        f"{n:,} pairs, median of {args.repeats} runs, {workers} cores; pairs/s (higher is better)\n"
    )
    print("| rule | OpusFilter step | OpusFilter pairs/s | crowdset pairs/s | ratio |")
    print("|---|---|---:|---:|---:|")
    for name, opus_name, opus_rate, crowd_rate in rows:
        ratio = crowd_rate / opus_rate
        print(f"| {name} | {opus_name} | {opus_rate:,.0f} | {crowd_rate:,.0f} | {ratio:.1f}× |")
    print("\n| whole pipeline | seconds (median) | pairs/s | runs (s) |")
    print("|---|---:|---:|---|")
    labels = {
        "crowdset_all_cores": f"crowdset, --workers {workers}",
        "crowdset_1_worker": "crowdset, --workers 1",
        "opusfilter_1_job": "OpusFilter, default (1 process)",
        "opusfilter_n_jobs": f"OpusFilter, default_n_jobs: {workers}",
    }
    for key, runs in overall.items():
        runs_text = ", ".join(f"{r:.1f}" for r in runs)
        print(f"| {labels[key]} | {median(runs):.1f} | {n / median(runs):,.0f} | {runs_text} |")
    best = n / median(overall["crowdset_all_cores"])
    for key in ("opusfilter_1_job", "opusfilter_n_jobs"):
        ratio = best / (n / median(overall[key]))
        print(f"\nratio crowdset (all cores) / {labels[key]}: {ratio:.1f}×")


if __name__ == "__main__":
    main()
