"""Dynamic against fixed overlap on simulated crowds: judgments needed for the same accuracy.

SPEC §3 "Dynamic overlap", issue #5. Runs in the project's environment (no peer library):

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/dynamic_overlap/overlap.py
    .venv/bin/python bench/dynamic_overlap/overlap.py --table   # re-print results/overlap.json

About 4 CPU-minutes (7 min wall on the shared 2-core machine); the per-run log goes to stderr,
the Markdown table to stdout, everything (per seed, and fixed k = 1 … 15) to
``results/overlap.json``.

**The crowd** (``simulate_crowd``, one per seed and class count): 2,000 items with uniform
true classes (binary and 5 classes), 100 workers, 25 % of them spammers answering uniformly at
random, the others right with a probability drawn from U(0.6, 0.95) and otherwise picking a
wrong class uniformly (as in bench/truth_inference). Another 100 items (5 %) are gold.

**Work.** Each judgment goes to a worker drawn uniformly among those who have not judged the
item (and, with revocation, are not revoked). As in a campaign, 5 % of every worker's tasks
are gold: a worker's 1st, 21st, 41st, … task is a gold item. Gold tasks are the same share in
every arm and are **not** counted in "judgments per item" (a fixed-overlap campaign has them
too, SPEC §3); they are listed apart.

**Arms.**

- *fixed k* (k = 1 … 15; 3, 5, 7, 9 shown): every item gets k judgments, aggregated by majority
  vote (ties broken at random) and by Dawid–Skene (``crowdset.aggregation.DawidSkene``, with
  the gold answers and their true labels).
- *dynamic, known accuracies* (an oracle): one judgment at a time until the item's one-coin
  posterior (``crowdset.core.quality.item_posterior``) reaches the target, or the maximum
  overlap (``needs_more_judgments``), with each worker's true accuracy.
- *dynamic, estimated accuracies* (what a campaign can do): the same, with each worker's
  accuracy the posterior mean of their live ``WorkerQuality`` (prior Beta(2, 1)), updated
  online from their gold answers (weight 1) and, when an item settles at the target, from
  their agreement with its label (weight 0.5). The final labels are the items' posteriors
  under the estimates at the end.
- *…+ revocation*: the estimated arm where ``should_revoke`` (bar 0.7, confidence 0.95,
  after ≥ 10 answers) stops a worker from getting more tasks; their answers stay, with their
  low estimated accuracy.

Items are served in rounds: every open item gets one judgment per round, in shuffled order.
Minimum overlap 1 for the oracle and 2 for the estimated arms (a lone judgment from a worker
whose estimate is still mostly prior should not settle an item).

**Same accuracy.** For each dynamic arm, the judgments per item fixed overlap needs to reach
its accuracy are read off the fixed curve (k = 1 … 15, linear between the two k around it);
"> 15" when even k = 15 falls short. Every number is the median of the seeds (default 3); the
equivalents read the median accuracy off the median curve. The fixed arms never revoke, so the
"+ revocation" row measures dynamic overlap and revocation together; the "estimated acc." rows
are the clean comparison.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdset.aggregation import DawidSkene, MajorityVote
from crowdset.core.quality import (
    CONSENSUS_WEIGHT,
    GOLD_WEIGHT,
    WorkerQuality,
    item_posterior,
    needs_more_judgments,
    should_revoke,
)

HERE = Path(__file__).resolve().parent
GOLD_EVERY = 20  # a worker's tasks 1, 21, 41, … are gold: 5 %
FIXED_K = range(1, 16)  # the curve read for "the same accuracy"
SHOWN_K = (3, 5, 7, 9)


@dataclass(frozen=True)
class Crowd:
    n_classes: int
    truth: np.ndarray  # true class per item
    gold_truth: np.ndarray  # true class per gold item
    accuracy: np.ndarray  # per worker: P(right)
    spammer: np.ndarray  # per worker: answers uniformly at random


def simulate_crowd(
    n_items: int, n_workers: int, n_classes: int, spammers: float, seed: int
) -> Crowd:
    rng = np.random.default_rng(seed)
    spammer = rng.random(n_workers) < spammers
    accuracy = np.where(spammer, 1.0 / n_classes, rng.uniform(0.6, 0.95, n_workers))
    return Crowd(
        n_classes=n_classes,
        truth=rng.integers(0, n_classes, n_items),
        gold_truth=rng.integers(0, n_classes, max(1, round(0.05 * n_items))),
        accuracy=accuracy,
        spammer=spammer,
    )


@dataclass
class Campaign:
    """The running state of one arm: who answered what, gold, live qualities, revocations."""

    crowd: Crowd
    rng: np.random.Generator
    revoke_bar: float | None = None
    tasks_done: np.ndarray = field(init=False)
    quality: list[WorkerQuality] = field(init=False)
    revoked: np.ndarray = field(init=False)
    gold_order: list[Iterator[int]] = field(init=False)
    answers: list[tuple[int, int, int]] = field(default_factory=list)  # item, worker, label
    gold_answers: list[tuple[int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        n_workers = self.crowd.accuracy.size
        self.tasks_done = np.zeros(n_workers, dtype=int)
        self.quality = [WorkerQuality() for _ in range(n_workers)]
        self.revoked = np.zeros(n_workers, dtype=bool)
        n_gold = self.crowd.gold_truth.size
        self.gold_order = [self._cycle(self.rng.permutation(n_gold)) for _ in range(n_workers)]

    @staticmethod
    def _cycle(order: np.ndarray) -> Iterator[int]:
        while True:
            yield from (int(g) for g in order)

    def answer(self, worker: int, truth: int) -> int:
        """The worker's label for an item whose true class is ``truth``."""
        k = self.crowd.n_classes
        if self.crowd.spammer[worker]:
            return int(self.rng.integers(0, k))
        if self.rng.random() < self.crowd.accuracy[worker]:
            return truth
        return int((truth + self.rng.integers(1, k)) % k)

    def _task(self, worker: int) -> None:
        """Count one task for the worker; first serve any gold task due before it."""
        if self.tasks_done[worker] % GOLD_EVERY == 0:
            gold = next(self.gold_order[worker])
            true = int(self.crowd.gold_truth[gold])
            label = self.answer(worker, true)
            self.gold_answers.append((gold, worker, label))
            self.tasks_done[worker] += 1
            self.record(worker, label == true, GOLD_WEIGHT)
        self.tasks_done[worker] += 1

    def record(self, worker: int, correct: bool, weight: float) -> None:
        self.quality[worker] = self.quality[worker].updated(correct, weight)
        if self.revoke_bar is not None and should_revoke(self.quality[worker], self.revoke_bar):
            self.revoked[worker] = True

    def judge(self, item: int, exclude: set[int]) -> tuple[int, int] | None:
        """One judgment of ``item`` by a fresh, active worker: (worker, label), or None."""
        eligible = np.flatnonzero(~self.revoked)
        if exclude:
            eligible = eligible[~np.isin(eligible, list(exclude))]
        if eligible.size == 0:
            return None
        worker = int(self.rng.choice(eligible))
        self._task(worker)
        label = self.answer(worker, int(self.crowd.truth[item]))
        self.answers.append((item, worker, label))
        return worker, label

    def estimates(self) -> np.ndarray:
        return np.array([q.posterior_mean() for q in self.quality])


def _frame(rows: list[tuple[int, int, int]], prefix: str) -> pd.DataFrame:
    items, workers, labels = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "task": [f"{prefix}{i}" for i in items],
            "worker": [f"w{w}" for w in workers],
            "label": list(labels),
        }
    )


def run_fixed(crowd: Crowd, k: int, seed: int) -> dict[str, Any]:
    """Every item gets k distinct workers, served round by round like the dynamic arms."""
    campaign = Campaign(crowd, np.random.default_rng([seed, 1, k]))
    n_items = crowd.truth.size
    done: list[set[int]] = [set() for _ in range(n_items)]
    for _ in range(k):
        for item in campaign.rng.permutation(n_items):
            judged = campaign.judge(int(item), done[item])
            assert judged is not None
            done[item].add(judged[0])
    data = _frame(campaign.answers, "t")
    gold = _frame(campaign.gold_answers, "g")
    truth = pd.Series(crowd.truth, index=[f"t{i}" for i in range(n_items)])
    gold_truth = pd.Series(crowd.gold_truth, index=[f"g{i}" for i in range(crowd.gold_truth.size)])
    mv = MajorityVote(tie_break="random", rng=np.random.default_rng([seed, 2, k])).fit(data)
    ds = DawidSkene().fit(pd.concat([data, gold], ignore_index=True), gold_truth)
    return {
        "judgments": len(campaign.answers) / n_items,
        "gold": len(campaign.gold_answers) / n_items,
        "MV": float((mv.labels_.reindex(truth.index) == truth).mean()),
        "DS": float((ds.labels_.reindex(truth.index) == truth).mean()),
    }


@dataclass(frozen=True)
class Dynamic:
    name: str
    target: float
    max_overlap: int
    known: bool  # the workers' true accuracies, or live estimates
    min_overlap: int
    revoke_bar: float | None = None


def dynamic_arms() -> list[Dynamic]:
    return [
        Dynamic("dynamic, known acc., 0.95 / max 7", 0.95, 7, True, 1),
        Dynamic("dynamic, known acc., 0.99 / max 9", 0.99, 9, True, 1),
        Dynamic("dynamic, estimated acc., 0.95 / max 7", 0.95, 7, False, 2),
        Dynamic("dynamic, estimated acc., 0.99 / max 9", 0.99, 9, False, 2),
        Dynamic("dynamic, estimated acc. + revocation, 0.99 / max 9", 0.99, 9, False, 2, 0.7),
    ]


def run_dynamic(crowd: Crowd, arm: Dynamic, seed: int, arm_id: int) -> dict[str, Any]:
    campaign = Campaign(crowd, np.random.default_rng([seed, 3, arm_id]), arm.revoke_bar)
    n_items, k = crowd.truth.size, crowd.n_classes
    labels: list[list[int]] = [[] for _ in range(n_items)]
    workers: list[list[int]] = [[] for _ in range(n_items)]
    open_items = np.arange(n_items)
    no_worker = 0
    while open_items.size:
        still_open = []
        for item in campaign.rng.permutation(open_items):
            judged = campaign.judge(int(item), set(workers[item]))
            if judged is None:  # no eligible worker left: the item stays as it is
                no_worker += 1
                continue
            workers[item].append(judged[0])
            labels[item].append(judged[1])
            accuracy = crowd.accuracy if arm.known else campaign.estimates()
            posterior = item_posterior(labels[item], accuracy[workers[item]], k)
            n = len(labels[item])
            if needs_more_judgments(posterior, n, arm.target, arm.max_overlap, arm.min_overlap):
                still_open.append(item)
            elif posterior.max() >= arm.target and not arm.known:
                # settled by confidence (not by the maximum): consensus feedback, weight 0.5
                consensus = int(posterior.argmax())
                for w, label in zip(workers[item], labels[item], strict=True):
                    campaign.record(w, label == consensus, CONSENSUS_WEIGHT)
        open_items = np.array(still_open, dtype=int)
    accuracy = crowd.accuracy if arm.known else campaign.estimates()
    final = np.array(
        [int(item_posterior(labels[i], accuracy[workers[i]], k).argmax()) for i in range(n_items)]
    )
    counts = np.array([len(x) for x in labels])
    bar = arm.revoke_bar if arm.revoke_bar is not None else 0.0
    return {
        "judgments": float(counts.mean()),
        "gold": len(campaign.gold_answers) / n_items,
        "accuracy": float((final == crowd.truth).mean()),
        "at_max": float((counts >= arm.max_overlap).mean()),
        "no_worker_left": no_worker,
        "revoked_spammers": int((campaign.revoked & crowd.spammer).sum()),
        "revoked_below_bar": int((campaign.revoked & (crowd.accuracy < bar)).sum()),
        "revoked_at_or_above_bar": int((campaign.revoked & (crowd.accuracy >= bar)).sum()),
    }


def equivalent_fixed(curve: list[tuple[float, float]], accuracy: float) -> float | None:
    """Judgments per item at which a fixed-overlap curve ``(judgments, accuracy)`` first reaches
    ``accuracy``, linear between its points; None when it never does."""
    previous: tuple[float, float] | None = None
    for judgments, acc in curve:
        if acc >= accuracy:
            if previous is None or acc == previous[1]:
                return judgments
            j0, a0 = previous
            return j0 + (judgments - j0) * (accuracy - a0) / (acc - a0)
        if previous is None or acc > previous[1]:
            previous = (judgments, acc)
    return None


def median(rows: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rows))


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "config": {
            "items": args.items,
            "gold_items": round(0.05 * args.items),
            "workers": args.workers,
            "spammers": args.spammers,
            "good_worker_accuracy": "U(0.6, 0.95)",
            "gold_share_of_tasks": 1 / GOLD_EVERY,
            "seeds": args.seeds,
            "revocation": {"bar": 0.7, "confidence": 0.95, "min_answers": 10},
        },
        "classes": {},
    }
    for n_classes in args.classes:
        per_seed: dict[str, list[dict[str, Any]]] = {}
        for seed in args.seeds:
            crowd = simulate_crowd(args.items, args.workers, n_classes, args.spammers, seed)
            for k in FIXED_K:
                start = time.perf_counter()
                row = run_fixed(crowd, k, seed)
                per_seed.setdefault(f"fixed-{k}", []).append(row)
                print(
                    f"K={n_classes} seed={seed} fixed k={k}: {row} "
                    f"({time.perf_counter() - start:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
            for arm_id, arm in enumerate(dynamic_arms()):
                start = time.perf_counter()
                row = run_dynamic(crowd, arm, seed, arm_id)
                per_seed.setdefault(arm.name, []).append(row)
                print(
                    f"K={n_classes} seed={seed} {arm.name}: {row} "
                    f"({time.perf_counter() - start:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
        summary: dict[str, Any] = {"fixed": [], "dynamic": []}
        for k in FIXED_K:
            rows = per_seed[f"fixed-{k}"]
            summary["fixed"].append(
                {
                    "k": k,
                    "judgments": median(rows, "judgments"),
                    "gold": median(rows, "gold"),
                    "MV": median(rows, "MV"),
                    "DS": median(rows, "DS"),
                    "seeds": rows,
                }
            )
        mv_curve = [(f["judgments"], f["MV"]) for f in summary["fixed"]]
        ds_curve = [(f["judgments"], f["DS"]) for f in summary["fixed"]]
        for arm in dynamic_arms():
            rows = per_seed[arm.name]
            entry: dict[str, Any] = {
                "name": arm.name,
                "target": arm.target,
                "max_overlap": arm.max_overlap,
                "min_overlap": arm.min_overlap,
                "known_accuracies": arm.known,
                "revoke_bar": arm.revoke_bar,
                "judgments": median(rows, "judgments"),
                "gold": median(rows, "gold"),
                "accuracy": median(rows, "accuracy"),
                "at_max": median(rows, "at_max"),
                "revoked_below_bar": median(rows, "revoked_below_bar"),
                "revoked_at_or_above_bar": median(rows, "revoked_at_or_above_bar"),
                "seeds": rows,
            }
            entry["fixed_MV_equivalent"] = equivalent_fixed(mv_curve, entry["accuracy"])
            entry["fixed_DS_equivalent"] = equivalent_fixed(ds_curve, entry["accuracy"])
            summary["dynamic"].append(entry)
        results["classes"][str(n_classes)] = summary
        args.out.write_text(json.dumps(results, indent=1))
    return results


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _equivalent(value: float | None, judgments: float) -> str:
    if value is None:
        return f"> {FIXED_K[-1]} (not reached)"
    return f"{value:.2f} ({_pct(1 - judgments / value)} saved)"


def table(results: dict[str, Any]) -> str:
    config = results["config"]
    lines = [
        f"{config['items']:,} items (+{config['gold_items']} gold), {config['workers']} workers, "
        f"{_pct(config['spammers'])} spammers, others right with U(0.6, 0.95); gold is 5 % of "
        f"every worker's tasks in every arm and not counted below; median of "
        f"{len(config['seeds'])} seeds.",
        "",
        "| classes | arm | judgments / item | gold tasks / item | accuracy "
        "| fixed overlap for the same accuracy: MV | DS |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for n_classes, summary in results["classes"].items():
        for f in summary["fixed"]:
            if f["k"] not in SHOWN_K:
                continue
            lines.append(
                f"| {n_classes} | fixed k = {f['k']}, majority vote | {f['judgments']:.2f} "
                f"| {f['gold']:.2f} | {_pct(f['MV'])} | — | — |"
            )
            lines.append(
                f"| {n_classes} | fixed k = {f['k']}, Dawid–Skene (with gold) "
                f"| {f['judgments']:.2f} | {f['gold']:.2f} | {_pct(f['DS'])} | — | — |"
            )
        for d in summary["dynamic"]:
            lines.append(
                f"| {n_classes} | {d['name']} | {d['judgments']:.2f} | {d['gold']:.2f} "
                f"| {_pct(d['accuracy'])} "
                f"| {_equivalent(d['fixed_MV_equivalent'], d['judgments'])} "
                f"| {_equivalent(d['fixed_DS_equivalent'], d['judgments'])} |"
            )
    lines.append("")
    for n_classes, summary in results["classes"].items():
        notes = []
        for d in summary["dynamic"]:
            note = f"{d['name']}: {_pct(d['at_max'])} of items stopped at the maximum"
            if d["revoke_bar"] is not None:
                note += (
                    f", workers revoked: {d['revoked_below_bar']:g} truly below the bar "
                    f"{d['revoke_bar']}, {d['revoked_at_or_above_bar']:g} at or above it"
                )
            notes.append(note)
        lines.append(f"- {n_classes} classes: " + "; ".join(notes) + ".")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--spammers", type=float, default=0.25)
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "overlap.json")
    parser.add_argument("--table", action="store_true", help="only print the table of --out")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(table(run(args)))


if __name__ == "__main__":
    main()
