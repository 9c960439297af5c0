"""How slot F1 and intent accuracy grow with training size on the original Snips data: random
subsets of ``train_<Intent>_full.json`` of N queries per intent, scored on the validate files
with models.py's models — the yardstick for how much of the replay's gap is size alone.

    .bench-venv-snips/bin/python bench/snips_replay/learning_curve.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.snips_replay.models import evaluate  # noqa: E402
from bench.snips_replay.snips_data import INTENTS, load_split  # noqa: E402


def main() -> None:
    full = load_split("train_full")
    validate = load_split("validate")
    rng = np.random.default_rng(0)
    print("| queries per intent | slot F1 (micro) | intent accuracy |")
    print("| ---: | ---: | ---: |")
    for size in (300, 600, 1000):
        subset = []
        for intent in INTENTS:
            mine = [q for q in full if q.intent == intent]
            picked = rng.choice(len(mine), size=min(size, len(mine)), replace=False)
            subset += [mine[int(i)] for i in picked]
        result = evaluate(subset, validate)
        print(
            f"| {size:,} | {result['slots_micro']['f1']:.3f} | {result['intent_accuracy']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
