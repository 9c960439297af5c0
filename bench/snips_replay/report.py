"""Print the Snips replay results (results/replay.json) as the Markdown tables of
docs/benchmarks.md, so the tables are pasted, never retyped.

    .venv/bin/python bench/snips_replay/report.py [results/replay.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "replay.json"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    r: dict[str, Any] = json.loads(path.read_text())
    print(
        "| intent | accepted | submitted | bad accepted (of bad) | bad in accepted "
        "| good rejected (of good) | cost per accepted |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for intent, row in r["per_intent"].items():
        print(
            f"| {intent} | {row['accepted']:,} | {row['submitted']:,} "
            f"| {pct(row['bad_accepted_of_bad'])} | {pct(row['bad_share_of_accepted'])} "
            f"| {pct(row['good_rejected_of_good'])} | {row['cost_per_accepted']:.2f} credits |"
        )
    o = r["overall"]
    print(
        f"| **all** | **{o['accepted']:,}** | | **{pct(o['bad_accepted_of_bad'])}** "
        f"| **{pct(o['bad_share_of_accepted'])}** | **{pct(o['good_rejected_of_good'])}** | |"
    )
    print()
    models = r["models"]
    names = {
        "a_seeds": "(a) 10 seeds",
        "b_submitted": "(b) all submitted",
        "c_accepted": "(c) accepted",
        "c2_accepted_minus_flags": "(c′) accepted − flags",
        "d_full": "(d) full data",
    }
    header = " | ".join(names[k] for k in models)
    print(f"| slot F1 | {header} | Snips NLU, 10 | Snips NLU, full |")
    print("| --- |" + " ---: |" * (len(models) + 2))
    for intent in r["per_intent"]:
        cells = " | ".join(f"{models[k]['slot_f1'][intent]:.3f}" for k in models)
        snips = r["snips_nlu"][intent]
        print(f"| {intent} | {cells} | {snips['slot_f1_10']:.3f} | {snips['slot_f1_full']:.3f} |")
    cells = " | ".join(f"**{models[k]['slot_f1_micro']:.3f}**" for k in models)
    print(f"| **micro** | {cells} | | |")
    cells = " | ".join(f"{models[k]['intent_accuracy']:.3f}" for k in models)
    print(f"| intent accuracy | {cells} | | |")
    cells = " | ".join(f"{models[k]['train_size']:,}" for k in models)
    print(f"| training queries | {cells} | | |")
    print()
    c = r["cross_validation"]
    print("| slot values, confidence | wrong-intent queries flagged | good queries flagged |")
    print("| --- | ---: | ---: |")
    for setting, row in c.get("by_confidence", {}).items():
        print(f"| {setting} | {pct(row['wrong_intent_flagged'])} | {pct(row['good_flagged'])} |")
    print()
    print(
        f"Wrong-intent queries that slipped through validation: {c['wrong_intent_slipped']}; "
        f"word salad that slipped: {c['salad_slipped']}; good accepted: {c['good_accepted']}; "
        f"workers reported abnormal: {', '.join(c['abnormal_workers']) or 'none'}."
    )
    e = r["escrow"]
    print(
        f"Escrow: funded {e['funded']:,}, paid to workers {e['paid_to_workers']:,}, fees "
        f"{e['fees']:,}, refunded {e['refunded']:,} (minor units); balanced: {e['balanced']}; "
        f"ledger verified: {e['ledger_verified']}."
    )
    income = ", ".join(f"{k} {v:.2f}" for k, v in r["income_by_strategy_credits"].items())
    print(f"Mean net income per worker (credits): {income}.")
    print(
        f"Run: {r['actions']:,} worker actions in {r['rounds']:,} rounds, "
        f"{r['elapsed_seconds'] / 60:.1f} minutes of campaign time."
    )


if __name__ == "__main__":
    main()
