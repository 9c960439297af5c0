"""Baselines on the Snips NLU benchmark, beside Snips' own published figures.

Trains models.py's intent classifier and per-intent CRF slot taggers on

- (a) 10 queries per intent drawn at random from ``train_<Intent>.json`` (``--draws`` draws,
  seeded; the Snips benchmark drew 3 sets of 10 from the same files), and
- (d) all of ``train_<Intent>_full.json`` (1,942–2,000 queries per intent),

and scores them on the 7 × 100 queries of ``validate_<Intent>.json``. Beside them: Snips NLU's
intent recall and slot F1 for 10 queries (mean of its 3 draws) and for the full files, from
``Snips_metrics.json`` / ``Snips_metrics_full.json`` (see snips_data.py for how the overall slot
figures are rebuilt from the per-slot ones). Snips' intent figure is the recall of a one-intent
engine; ours is the accuracy of a 7-way classifier, a harder task. Slot figures are comparable.

    bash bench/snips_replay/setup.sh
    .bench-venv-snips/bin/python bench/snips_replay/baselines.py

Data and citation: Coucke A. et al., 2018, arXiv:1805.10190 (see snips_data.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.snips_replay.models import evaluate  # noqa: E402
from bench.snips_replay.snips_data import (  # noqa: E402
    INTENTS,
    SnipsFigures,
    load_snips_metrics,
    load_split,
)

from crowdset.core.generation.model import AnnotatedQuery  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "baselines.json"


def draw_seeds(
    pool: list[AnnotatedQuery], per_intent: int, rng: np.random.Generator
) -> list[AnnotatedQuery]:
    chosen: list[AnnotatedQuery] = []
    for intent in INTENTS:
        queries = [q for q in pool if q.intent == intent]
        chosen.extend(queries[i] for i in sorted(rng.choice(len(queries), per_intent, False)))
    return chosen


def mean_of(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per intent, mean over the draws of intent accuracy and slot P/R/F1; then "mean" (the
    mean over intents, as Snips' figures allow) and "micro" (over all validate queries)."""
    table: dict[str, dict[str, float]] = {}
    for intent in [*INTENTS, "micro"]:
        rows = []
        for result in results:
            slots = result["slots_micro"] if intent == "micro" else result["slots"][intent]
            accuracy = (
                result["intent_accuracy"]
                if intent == "micro"
                else result["intent_accuracy_by_intent"][intent]
            )
            rows.append([accuracy, slots["precision"], slots["recall"], slots["f1"]])
        accuracy, precision, recall, f1 = np.mean(rows, axis=0)
        table[intent] = {
            "intent_accuracy": float(accuracy),
            "slot_precision": float(precision),
            "slot_recall": float(recall),
            "slot_f1": float(f1),
        }
    table["mean"] = {
        key: float(np.mean([table[intent][key] for intent in INTENTS])) for key in table["micro"]
    }
    return table


def snips_row(figures: dict[str, SnipsFigures], intent: str) -> tuple[float, float]:
    if intent == "mean":  # Snips publishes per intent only
        return (
            float(np.mean([f.intent_recall for f in figures.values()])),
            float(np.mean([f.slot_f1 for f in figures.values()])),
        )
    return figures[intent].intent_recall, figures[intent].slot_f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=3, help="draws of 10 queries per intent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the figures")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    train, full, validate = load_split("train"), load_split("train_full"), load_split("validate")

    start = time.perf_counter()
    small = mean_of([evaluate(draw_seeds(train, 10, rng), validate) for _ in range(args.draws)])
    small_seconds = time.perf_counter() - start
    start = time.perf_counter()
    whole = mean_of([evaluate(full, validate)])
    whole_seconds = time.perf_counter() - start
    snips_10, snips_full = load_snips_metrics("10"), load_snips_metrics("full")

    print(
        f"(a) 10 queries per intent, mean of {args.draws} draws (seed {args.seed}), "
        f"{small_seconds:.0f} s; (d) train_full, {whole_seconds:.0f} s. Validate: 7 × 100."
    )
    print(
        "Snips: intent recall of a one-intent engine and slot F1 (micro over slots), mean of its "
        "3 draws for 10, one run for full."
    )
    print()
    print(
        "| intent | (a) intent acc | (a) slot F1 | Snips 10 intent | Snips 10 slot F1 "
        "| (d) intent acc | (d) slot F1 | Snips full intent | Snips full slot F1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for intent in [*INTENTS, "mean"]:
        s10, sfull = snips_row(snips_10, intent), snips_row(snips_full, intent)
        label = "mean over intents" if intent == "mean" else intent
        print(
            f"| {label} | {small[intent]['intent_accuracy']:.3f} | {small[intent]['slot_f1']:.3f} "
            f"| {s10[0]:.3f} | {s10[1]:.3f} "
            f"| {whole[intent]['intent_accuracy']:.3f} | {whole[intent]['slot_f1']:.3f} "
            f"| {sfull[0]:.3f} | {sfull[1]:.3f} |"
        )
    print(
        f"\nours, micro over the 700 validate queries: (a) slot P/R/F1 "
        f"{small['micro']['slot_precision']:.3f}/{small['micro']['slot_recall']:.3f}/"
        f"{small['micro']['slot_f1']:.3f}, (d) {whole['micro']['slot_precision']:.3f}/"
        f"{whole['micro']['slot_recall']:.3f}/{whole['micro']['slot_f1']:.3f}"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "draws": args.draws,
                "seed": args.seed,
                "a_10_per_intent": small,
                "d_full": whole,
                "snips_10": {i: f.__dict__ for i, f in snips_10.items()},
                "snips_full": {i: f.__dict__ for i, f in snips_full.items()},
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    shown = args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json
    print(f"\nwritten to {shown}")


if __name__ == "__main__":
    main()
