"""Machine filters against human labels on the ParaCrawl v3 human evaluations.

For each of the 10 language pairs (shared/data/parallel/paracrawl-human-evaluations, 2,000
pairs each, labelled V/F/E/MT/T/A/L by professional evaluators), runs crowdset's default
pipeline with the pair's languages and counts how many wrong-alignment (A), wrong-language (L)
and wrong-tokenisation (T) pairs it removes, and how many valid (V) pairs it wrongly removes.
Then ROC-AUC for "V vs not V" of a combined crowdset score, −(number of rules a pair fails,
from a run with every rule on every pair), beside the Bicleaner, Zipporah and Hunalign scores
shipped with the data. Prints Markdown tables.

    .venv/bin/python bench/corpus_filter/human_eval.py
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from crowdset.core.filtering import (
    KEPT,
    Decider,
    PairChunk,
    Pipeline,
    default_rules,
    with_languages,
)

DATA = (
    Path(__file__).resolve().parents[3]
    / "shared/data/parallel/paracrawl-human-evaluations/paracrawl-v3-validation-data"
)
NOISE = ("A", "L", "T")


def load(path: Path) -> tuple[PairChunk, list[str], np.ndarray]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    chunk = PairChunk.of([(row[2], row[3]) for row in rows])
    labels = [row[7] for row in rows]
    machine = np.array([[float(row[4]), float(row[5]), float(row[6])] for row in rows])
    return chunk, labels, machine


def run(chunk: PairChunk, tgt: str, all_reasons: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    pipeline = Pipeline(with_languages(default_rules(), "en", tgt), all_reasons=all_reasons)
    decisions = Decider(pipeline).decide(pipeline.evaluate(chunk))
    fails = decisions.failures.sum(axis=0) if decisions.failures is not None else None
    return decisions.rule, fails if fails is not None else np.zeros(0), pipeline.names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    removal_rows, auc_rows = [], []
    totals: Counter[str] = Counter()
    all_labels: list[str] = []
    all_scores: list[np.ndarray] = []
    all_machine: list[np.ndarray] = []
    per_rule: Counter[tuple[str, str]] = Counter()
    names: list[str] = []
    for path in sorted(args.data.glob("sorted.en-*")):
        tgt = path.name.split("-")[-1]
        chunk, labels, machine = load(path)
        rule, _, names = run(chunk, tgt, all_reasons=False)
        _, fails, _ = run(chunk, tgt, all_reasons=True)
        removed = rule != KEPT
        label_arr = np.array(labels)
        counts = Counter()
        for label in ("V", *NOISE):
            mask = label_arr == label
            counts[f"{label}_n"] = int(mask.sum())
            counts[f"{label}_removed"] = int((removed & mask).sum())
        counts["n"], counts["removed"] = len(labels), int(removed.sum())
        totals.update(counts)
        for label, index in zip(label_arr[removed].tolist(), rule[removed].tolist(), strict=True):
            per_rule[
                (names[index], "V" if label == "V" else ("ALT" if label in NOISE else "other"))
            ] += 1
        removal_rows.append((f"en-{tgt}", counts))
        is_valid = label_arr == "V"
        combined = -fails.astype(np.float64)
        auc_rows.append(
            (f"en-{tgt}", *(roc_auc_score(is_valid, s) for s in (combined, *machine.T)))
        )
        all_labels += labels
        all_scores.append(combined)
        all_machine.append(machine)
    removal_rows.append(("all", totals))
    is_valid = np.array(all_labels) == "V"
    machine = np.vstack(all_machine)
    auc_rows.append(
        ("all", *(roc_auc_score(is_valid, s) for s in (np.concatenate(all_scores), *machine.T)))
    )

    def pct(part: int, whole: int) -> str:
        return f"{part:,} / {whole:,} ({100 * part / whole:.0f}%)" if whole else "–"

    print(
        "| pair | removed | A removed | L removed | T removed | A+L+T removed | V wrongly removed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, c in removal_rows:
        alt = sum(c[f"{x}_removed"] for x in NOISE), sum(c[f"{x}_n"] for x in NOISE)
        print(
            f"| {name} | {pct(c['removed'], c['n'])} | {pct(c['A_removed'], c['A_n'])} | "
            f"{pct(c['L_removed'], c['L_n'])} | {pct(c['T_removed'], c['T_n'])} | "
            f"{pct(*alt)} | {pct(c['V_removed'], c['V_n'])} |"
        )
    print("\n| rule (first failed) | removed V | removed A/L/T | removed other (F/E/MT) |")
    print("|---|---:|---:|---:|")
    for name in names:
        print(
            f"| {name} | {per_rule[(name, 'V')]:,} | {per_rule[(name, 'ALT')]:,} | "
            f"{per_rule[(name, 'other')]:,} |"
        )
    print("\nROC-AUC, V vs not V (0.5 = chance)\n")
    print("| pair | crowdset −(rules failed) | Bicleaner | Zipporah | Hunalign |")
    print("|---|---:|---:|---:|---:|")
    for name, ours, hunalign, zipporah, bicleaner in auc_rows:
        print(f"| {name} | {ours:.3f} | {bicleaner:.3f} | {zipporah:.3f} | {hunalign:.3f} |")


if __name__ == "__main__":
    main()
