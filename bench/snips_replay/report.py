"""Print the Snips replay results (results/replay.json) as the Markdown tables of
docs/benchmarks.md, so the tables are pasted, never retyped; a run under the mechanism of
issue #15 (``replay-2026-12-08.json``) adds the crowd, the must-show table against its targets
and against the 2026-11-23 run (``results/replay.json`` and the learning curve), bad queries by
kind and the crowd's strategies.

    .venv/bin/python bench/snips_replay/report.py [results/replay-2026-12-08.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "replay.json"
# the 2026-11-23 run (results/replay.json) and its learning curve's point at 1,000 per intent
# (docs/benchmarks.md), the yardsticks of the must-show table
OLD_RUN = {
    "bad_in_accepted": 0.015,
    "slot_f1_accepted": 0.907,
    "slot_f1_original": 0.933,
    "repeated_templates_original": 0.458,  # the figure, definition not stated
    "repeated_templates_original_here": 0.497,  # diversity.py's, mean of 5 draws of 1,000
    "cost_per_accepted": 1.64,
}


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def must_show(r: dict[str, Any]) -> None:
    """The issue's must-show figures, each against its target and the 2026-11-23 run."""
    o, d, m = r["overall"], r["diversity"], r["models"]
    acc, orig = d["accepted"], d["original_same_size"]
    c, e = m["c_accepted"], m["e_original_same_size"]
    gap = 100 * (c["slot_f1_micro"] - e["slot_f1_micro"])
    old_gap = 100 * (OLD_RUN["slot_f1_accepted"] - OLD_RUN["slot_f1_original"])
    cost = r["escrow"]["cost_per_accepted_credits"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    n = f"{o['accepted']:,}"
    print("| must show | target | this run | 2026-11-23 run | |")
    print("| --- | --- | ---: | ---: | --- |")
    print(
        f"| bad queries in the accepted set | ≤ 1% | {pct(o['bad_share_of_accepted'])} "
        f"| {pct(OLD_RUN['bad_in_accepted'])} | {verdict(o['bad_share_of_accepted'] <= 0.01)} |"
    )
    print(
        f"| slot F1, accepted − the same number of original queries ({n}) | ≥ −1 point "
        f"| {c['slot_f1_micro']:.3f} − {e['slot_f1_micro']:.3f} = {gap:+.1f} "
        f"| {OLD_RUN['slot_f1_accepted']:.3f} − {OLD_RUN['slot_f1_original']:.3f} "
        f"= {old_gap:+.1f} | {verdict(gap >= -1.0)} |"
    )
    bigrams, bigrams_orig = acc["distinct_bigrams_per_query"], orig["distinct_bigrams_per_query"]
    print(
        f"| distinct bigrams per query, accepted vs original ({n} each) | ≥ original "
        f"| {bigrams:.2f} vs {bigrams_orig:.2f} | – | {verdict(bigrams >= bigrams_orig)} |"
    )
    print(
        f"| same, on templates (values as slot names) | (not a target) "
        f"| {acc['distinct_template_bigrams_per_query']:.2f} vs "
        f"{orig['distinct_template_bigrams_per_query']:.2f} | – | |"
    )
    print(
        f"| queries whose template repeats, accepted vs original ({n} each) | ≤ original "
        f"| {pct(acc['repeated_template_share'])} vs {pct(orig['repeated_template_share'])} "
        f"| – (original, 1,000 per intent: {pct(OLD_RUN['repeated_templates_original_here'])}; "
        f"the issue's {pct(OLD_RUN['repeated_templates_original'])}) "
        f"| {verdict(acc['repeated_template_share'] <= orig['repeated_template_share'])} |"
    )
    print(
        f"| cost per accepted query | beside the old run | {cost:.2f} credits "
        f"| {OLD_RUN['cost_per_accepted']:.2f} credits | |"
    )
    print()
    print(
        f"Original queries: mean of {d['original_draws']} random draws of the same size per "
        f"intent (sd: bigrams {d['original_same_size_sd']['distinct_bigrams_per_query']:.2f}, "
        f"repeated templates {pct(d['original_same_size_sd']['repeated_template_share'])}); "
        "slot F1 on the first draw."
    )
    print()
    print("| written as | decided | accepted | accepted of decided | share of the accepted set |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind, row in o["by_kind"].items():
        if row["decided"]:
            print(
                f"| {kind} | {row['decided']:,} | {row['accepted']:,} "
                f"| {pct(row['accepted_of_decided'])} | {pct(row['share_of_accepted'])} |"
            )
    print()
    print(
        "| strategy | workers | revoked | queries accepted | rejected | refused "
        "| mean net (credits) | modelled hours |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for strategy, row in r["by_strategy"].items():
        print(
            f"| {strategy} | {row['workers']} | {row['revoked']} | {row['written_accepted']:,} "
            f"| {row['written_rejected']:,} | {row['refused']:,} "
            f"| {row['mean_net_credits']:.2f} | {row['modelled_hours']:.1f} |"
        )
    print()
    refused = "; ".join(
        f"{s}: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
        for s, reasons in r["refused_by_checks"].items()
    )
    print(f"Refused by the checks: {refused or 'none'}.")
    print(
        "Honest queries written although a near-copy of another's (none of the writer's "
        f"drafts avoided it): {r['honest_writes_marked_as_copies_unavoidably']}."
    )
    print()


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    r: dict[str, Any] = json.loads(path.read_text())
    if "diversity" in r:
        must_show(r)
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
        "e_original_same_size": "(e) original, same size",
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
    if "income_by_strategy_credits" in r:  # the 2026-11-23 run
        income = ", ".join(f"{k} {v:.2f}" for k, v in r["income_by_strategy_credits"].items())
        print(f"Mean net income per worker (credits): {income}.")
        print(
            f"Run: {r['actions']:,} worker actions in {r['rounds']:,} rounds, "
            f"{r['elapsed_seconds'] / 60:.1f} minutes of campaign time."
        )
    else:
        print(
            f"Run: {r['actions']:,} worker actions, {r['modelled_hours']:.1f} modelled hours, "
            f"{r['elapsed_seconds'] / 60:.1f} minutes of campaign time (wall); reached its "
            f"targets: {r['finished']}."
        )


if __name__ == "__main__":
    main()
