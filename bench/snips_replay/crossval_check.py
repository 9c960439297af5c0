"""Does cross-validation catch wrong intents? A replay on the Snips NLU benchmark.

Per seed: ``--per-intent`` queries per intent (default 300) drawn at random from
``train_<Intent>_full.json`` (7 intents), dealt to workers of 30 queries; 3% of the honest
workers' queries are relabelled to another intent at random, and one careless worker gets 40%
(12 of 30) relabelled. A relabelled query's slots are renamed to slots of the intent it now
claims, as in a campaign where the task's values come from the intent asked for (this matters
only to ``placeholders="slot"``). ``cross_validate`` then runs as a campaign would run it.
Printed per setting, mean over seeds:

- caught: share of relabelled queries flagged (target ≥ 80%);
- false: share of correct queries flagged (target ≤ 5%);
- careless: share of campaigns where the careless worker is reported abnormal;
- honest: mean number of honest workers reported abnormal per campaign;

the last two without correction and with Bonferroni's. Without ``--grid``, crowdset's defaults
and a few correct queries it flagged.

Data and citation: bench/snips_replay/snips_data.py. Run (5 seeds: ≈ 1 min; the grid ≈ 10 min
per placeholder mode on 2 cores):

    .venv/bin/python bench/snips_replay/crossval_check.py                  # the defaults
    .venv/bin/python bench/snips_replay/crossval_check.py --per-intent 50
    .venv/bin/python bench/snips_replay/crossval_check.py --grid           # the tuning grid

Measured (5 seeds; the defaults are ``c=100``, ``confidence=0.8``, Bonferroni):

| per intent | c | confidence | caught | false | careless (none \\| Bonf.) | honest |
|---|---|---|---|---|---|---|
| 300 | 100 | 0.8 | 96.2% | 1.04% | 100% \\| 100% | 0.2 \\| 0.0 |
| 300 | 10 | 0.8 | 91.6% | 0.51% | 100% \\| 100% | 0.4 \\| 0.0 |
| 300 | 1 | 0.8 | 64.9% | 0.16% | 100% \\| 80% | 0.6 \\| 0.0 |
| 50 | 100 | 0.8 | 81.9% | 0.58% | 100% \\| 100% | 0.0 \\| 0.0 |
| 50 | 10 | 0.8 | 66.7% | 0.13% | 100% \\| 100% | 0.0 \\| 0.0 |

Placeholders at 300 per intent, ``c=100``: ``generic`` flags 88.1% / 2.52% at 0.8 (and needs
twice the false flags of ``none`` for any recall); ``slot`` catches 5.9–18.6% at every setting.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.snips_replay.snips_data import INTENTS, load_split  # noqa: E402

from crowdset.core.generation.crossval import (  # noqa: E402
    Placeholders,
    cross_validate,
    out_of_fold_intents,
    report_disputes,
)
from crowdset.core.generation.model import AnnotatedQuery  # noqa: E402

PER_WORKER = 30
NOISE = 0.03
CARELESS_NOISE = 0.4
PLACEHOLDERS: tuple[Placeholders, ...] = ("none", "generic", "slot")
DEFAULTS = inspect.signature(cross_validate).parameters  # crowdset's defaults, without --grid
DEFAULT_C = float(DEFAULTS["c"].default)
DEFAULT_CONFIDENCE = float(DEFAULTS["confidence"].default)


@dataclass(frozen=True)
class Campaign:
    queries: list[AnnotatedQuery]
    relabelled: np.ndarray  # bool per query
    careless: str


def make_campaign(full: list[AnnotatedQuery], per_intent: int, seed: int) -> Campaign:
    """``per_intent`` queries per intent dealt to workers of 30; the last worker is careless."""
    rng = np.random.default_rng(seed)
    chosen: list[AnnotatedQuery] = []
    for intent in INTENTS:
        pool = [q for q in full if q.intent == intent]
        picks = rng.choice(len(pool), per_intent, replace=False)
        chosen.extend(pool[i] for i in picks)
    chosen = [chosen[i] for i in rng.permutation(len(chosen))]
    n_workers = len(chosen) // PER_WORKER
    chosen = chosen[: n_workers * PER_WORKER]
    workers = [f"w{i:02d}" for i in range(n_workers)]
    careless = workers[-1]
    relabelled = np.zeros(len(chosen), dtype=bool)
    honest = np.arange((n_workers - 1) * PER_WORKER)
    relabelled[rng.choice(honest, round(NOISE * len(honest)), replace=False)] = True
    careless_rows = np.arange((n_workers - 1) * PER_WORKER, len(chosen))
    relabelled[rng.choice(careless_rows, round(CARELESS_NOISE * PER_WORKER), replace=False)] = True
    slots = {
        intent: sorted({span.slot for q in full if q.intent == intent for span in q.spans})
        for intent in INTENTS
    }
    queries = []
    for i, query in enumerate(chosen):
        intent, spans = query.intent, query.spans
        if relabelled[i]:
            others = [other for other in INTENTS if other != intent]
            intent = others[int(rng.integers(len(others)))]
            # the values a task gives belong to the intent it asks for: rename the slots
            names = slots[intent]
            spans = tuple(replace(s, slot=names[int(rng.integers(len(names)))]) for s in spans)
        queries.append(
            replace(query, intent=intent, spans=spans, worker=workers[i // PER_WORKER], query_id=i)
        )
    return Campaign(queries, relabelled, careless)


def measure(
    campaigns: list[Campaign], c: float, placeholders: Placeholders, confidences: list[float]
) -> list[dict[str, float]]:
    """One out-of-fold scoring per campaign, then a report per confidence."""
    keys = ("caught", "false", "careless", "honest", "careless_bonf", "honest_bonf")
    rows: list[dict[str, list[float]]] = [{key: [] for key in keys} for _ in confidences]
    for seed, campaign in enumerate(campaigns):
        scores = out_of_fold_intents(campaign.queries, c=c, placeholders=placeholders, rng=seed)
        for row, confidence in zip(rows, confidences, strict=True):
            report = report_disputes(campaign.queries, scores, confidence=confidence)
            flagged = np.zeros(len(campaign.queries), dtype=bool)
            flagged[[f.index for f in report.flagged]] = True
            row["caught"].append(float(flagged[campaign.relabelled].mean()))
            row["false"].append(float(flagged[~campaign.relabelled].mean()))
            for suffix, correction in (("", "none"), ("_bonf", "bonferroni")):
                corrected = report_disputes(
                    campaign.queries,
                    scores,
                    confidence=confidence,
                    correction=correction,  # type: ignore[arg-type]
                )
                abnormal = {w.worker for w in corrected.abnormal_workers}
                row["careless" + suffix].append(float(campaign.careless in abnormal))
                row["honest" + suffix].append(float(len(abnormal - {campaign.careless})))
    return [{key: float(np.mean(values)) for key, values in row.items()} for row in rows]


def show_false_flags(campaign: Campaign, limit: int = 8) -> None:
    """The correct queries flagged with the defaults, in the first campaign."""
    report = cross_validate(campaign.queries, rng=0)
    wrongly = [f for f in report.flagged if not campaign.relabelled[f.index]]
    print(f"\nCorrect queries flagged in campaign 0 ({len(wrongly)}), the first {limit}:")
    for flag in wrongly[:limit]:
        print(f"- {flag.text!r}: {flag.intent} → {flag.predicted_intent} ({flag.probability:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--per-intent", type=int, default=300, help="queries per intent")
    parser.add_argument("--grid", action="store_true", help="tune c, confidence, placeholders")
    parser.add_argument(
        "--placeholders", nargs="+", choices=PLACEHOLDERS, default=PLACEHOLDERS, help="for --grid"
    )
    args = parser.parse_args()
    full = load_split("train_full")
    campaigns = [make_campaign(full, args.per_intent, seed) for seed in range(args.seeds)]
    confidences = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    settings: list[tuple[Placeholders, float, list[float]]]
    if args.grid:
        settings = [
            (placeholders, c, confidences)
            for placeholders, c in itertools.product(args.placeholders, (1.0, 10.0, 100.0))
        ]
    else:
        settings = [("none", DEFAULT_C, [DEFAULT_CONFIDENCE])]
    first = campaigns[0]
    workers = len(first.queries) // PER_WORKER
    print(
        f"{args.seeds} seeds × {len(first.queries)} queries by {workers} workers of {PER_WORKER}, "
        f"{int(first.relabelled.sum())} relabelled each "
        f"({int(first.relabelled[:-PER_WORKER].sum())} by honest workers, "
        f"{int(first.relabelled[-PER_WORKER:].sum())} by the careless one)"
    )
    print("caught / false: share of relabelled / correct queries flagged; careless: share of")
    print("campaigns reporting the careless worker; honest: honest workers reported per campaign")
    print("(uncorrected | Bonferroni)\n")
    print("| placeholders | c | confidence | caught | false | careless | honest |")
    print("|---|---|---|---|---|---|---|")
    seconds = 0.0
    for placeholders, c, levels in settings:
        start = time.perf_counter()
        rows = measure(campaigns, c, placeholders, levels)
        seconds = (time.perf_counter() - start) / len(campaigns)
        for confidence, row in zip(levels, rows, strict=True):
            print(
                f"| {placeholders} | {c:g} | {confidence:.2f} | {row['caught']:.1%} "
                f"| {row['false']:.2%} | {row['careless']:.0%} \\| {row['careless_bonf']:.0%} "
                f"| {row['honest']:.1f} \\| {row['honest_bonf']:.1f} |",
                flush=True,
            )
    print(f"\nseconds per campaign (last setting, incl. 2 × {len(levels)} reports): {seconds:.1f}")
    if not args.grid:
        show_false_flags(first)


if __name__ == "__main__":
    main()
