"""Collusion flags on the mechanism dry-run (SPEC §6.8, issue #15): is a validator ring found,
and is any honest pair accused?

For each seed, ``crowdset.sim.attack.run_attack`` runs ``examples/smart-lights.yaml`` through
the real services on a throw-away SQLite database with 12 workers, of whom 4 form a ring
(``--mix ring=0.33``: the ring writes junk, votes yes on the ring's junk and no on everything
else) and 8 are honest (validators wrong 5 % of the time), then the same spec once more with
12 honest workers (the run's baseline). ``services.collusion.collusion_report`` then reads
both campaigns as their requester would. A ring member is told apart by the display name the
dry-run gives its accounts ("Simulated ring 3"); the report itself never sees it.

    .venv/bin/python bench/collusion/run.py                 # seeds 1-10, ~15 min on 2 cores
    .venv/bin/python bench/collusion/run.py --seeds 1 2 --jobs 2
    .venv/bin/python bench/collusion/run.py --table         # re-print results/ring.json

Per seed: the ring **flagged** (a flagged group holds at least two ring members), how many of
the 4 are in flagged groups, the flagged pairs, the ring pairs tested and their smallest
corrected p-value, and the honest pairs flagged in the run with attackers and in the all-honest
baseline (a pair with at least one honest worker counts as honest). Results go to
``results/ring.json``; the Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from crowdset.core.mechanism.collusion import Correction
from crowdset.services import campaigns, collusion
from crowdset.services.context import open_context
from crowdset.settings import Settings
from crowdset.sim.attack import run_attack
from crowdset.storage import migrate
from crowdset.storage.models import Campaign, User

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "smart-lights.yaml"
RESULTS = Path(__file__).parent / "results" / "ring.json"
WORKERS = 12
MIX = "ring=0.33"


def _campaign_result(
    ctx: Any, campaign_id: int, ring: set[str], correction: Correction = Correction.HOLM
) -> dict[str, Any]:
    owner = campaigns.owner_of(ctx, campaign_id)
    view = collusion.collusion_report(ctx, owner, campaign_id, correction=correction)
    in_groups = {w for g in view.groups for w in g.workers}
    ring_pairs = [p for p in view.pairs if set(p.workers) <= ring]
    honest_flagged = [p for p in view.flagged if not set(p.workers) <= ring]
    honest_groups = [g for g in view.groups if not set(g.workers) <= ring]
    ring_tests = [t for g in view.groups for t in g.tests if set(t.workers) <= ring]
    best_test = min(ring_tests, key=lambda t: t.p_adjusted, default=None)
    return {
        "pairs_tested": len(view.pairs),
        "flagged_pairs": len(view.flagged),
        "groups": [list(g.workers) for g in view.groups],
        "ring_members_flagged": len(in_groups & ring),
        "ring_flagged": any(len(set(g.workers) & ring) >= 2 for g in view.groups),
        "ring_pairs_tested": len(ring_pairs),
        "ring_pairs_flagged": sum(p.flagged for p in ring_pairs),
        "ring_shared_items": sorted(p.shared for p in ring_pairs),
        "ring_smallest_p_adjusted": min((p.p_adjusted for p in ring_pairs), default=None),
        "honest_pairs_flagged": len(honest_flagged),
        "groups_with_honest_workers": len(honest_groups),
        "ring_group_test": None
        if best_test is None
        else {
            "workers": len(best_test.workers),
            "items": best_test.items,
            "agreed": best_test.agreed,
            "p_adjusted": best_test.p_adjusted,
        },
        "honest_smallest_p_value": min(
            (p.p_value for p in view.pairs if not set(p.workers) <= ring), default=None
        ),
    }


def run_seed(seed: int) -> dict[str, Any]:
    """One dry-run (with its all-honest baseline) and the collusion report of both campaigns."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="crowdset-collusion-") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        settings = Settings().model_copy(
            update={
                "database_url": url,
                "password_hash_time_cost": 1,  # the crowd's passwords are never used
                "password_hash_memory_kib": 1024,
            }
        )
        ctx = open_context(settings)
        try:
            report = run_attack(
                ctx, SPEC.read_text(), mix=MIX, seed=seed, workers=WORKERS, baseline=True
            )

            def names(session: Any) -> tuple[list[int], set[str]]:
                ids = list(session.scalars(select(Campaign.id).order_by(Campaign.id)))
                ring = {
                    str(user.pseudonym)
                    for user in session.scalars(select(User))
                    if str(user.display_name).startswith("Simulated ring")
                }
                return ids, ring

            ids, ring = ctx.db.run(names, readonly=True)
            attacked, baseline = ids[0], ids[1]
            ring_row = next((r for r in report.strategies if r.strategy == "ring"), None)
            result = {
                "seed": seed,
                "ring_size": len(ring),
                "ring_revoked": ring_row.revoked if ring_row else None,
                "with_ring": _campaign_result(ctx, attacked, ring),
                "all_honest": _campaign_result(ctx, baseline, set()),
                # the same runs under Benjamini–Hochberg at the same level, for comparison
                "with_ring_bh": _campaign_result(ctx, attacked, ring, Correction.BH),
                "all_honest_bh": _campaign_result(ctx, baseline, set(), Correction.BH),
                "seconds": round(time.perf_counter() - started, 1),
            }
        finally:
            ctx.db.dispose()
    return result


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.1e}"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| seed | ring flagged | ring members in flagged groups | ring pairs tested / flagged "
        "(shared items) | smallest ring pair p (adj.) | ring group test: agreed / items, p (adj.) "
        "| groups with an honest worker (with ring / all honest) | smallest honest pair p |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        w, h = r["with_ring"], r["all_honest"]
        shared = w["ring_shared_items"]
        test = w["ring_group_test"]
        together = (
            "–"
            if test is None
            else f"{test['workers']} of them: {test['agreed']} / {test['items']}, "
            f"{test['p_adjusted']:.1e}"
        )
        honest_p = min(
            (x for x in (w["honest_smallest_p_value"], h["honest_smallest_p_value"]) if x),
            default=None,
        )
        lines.append(
            f"| {r['seed']} | {'yes' if w['ring_flagged'] else '**no**'} "
            f"| {w['ring_members_flagged']} of {r['ring_size']} "
            f"| {w['ring_pairs_tested']} / {w['ring_pairs_flagged']}"
            f" ({min(shared, default=0)}–{max(shared, default=0)}) "
            f"| {_p(w['ring_smallest_p_adjusted'])} | {together} "
            f"| {w['groups_with_honest_workers']} / {len(h['groups'])} "
            f"| {'–' if honest_p is None else f'{honest_p:.2f}'} |"
        )
    flagged = sum(r["with_ring"]["ring_flagged"] for r in results)
    whole = sum(r["with_ring"]["ring_members_flagged"] == r["ring_size"] for r in results)
    honest = sum(
        r["with_ring"]["groups_with_honest_workers"] + len(r["all_honest"]["groups"])
        for r in results
    )
    bh = sum(r["with_ring_bh"]["ring_flagged"] for r in results)
    bh_honest = sum(
        r["with_ring_bh"]["groups_with_honest_workers"] + len(r["all_honest_bh"]["groups"])
        for r in results
    )
    lines.append("")
    lines.append(
        f"Ring flagged in {flagged} of {len(results)} seeds (all {results[0]['ring_size']} "
        f"members in one flagged group in {whole}); groups with an honest worker: {honest} "
        f"(in {2 * len(results)} campaigns). With Benjamini–Hochberg for the pairs: ring flagged "
        f"in {bh}, groups with an honest worker {bh_honest}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)))
    parser.add_argument("--jobs", type=int, default=1, help="seeds run in parallel")
    parser.add_argument("--table", action="store_true", help="re-print the saved results")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(RESULTS.read_text())["seeds"]))
        return 0
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for result in pool.map(run_seed, args.seeds):
            print(
                f"seed {result['seed']}: ring flagged {result['with_ring']['ring_flagged']}, "
                f"honest pairs flagged {result['with_ring']['honest_pairs_flagged']} + "
                f"{result['all_honest']['honest_pairs_flagged']} ({result['seconds']} s)",
                file=sys.stderr,
            )
            results.append(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "spec": "examples/smart-lights.yaml",
                "mix": MIX,
                "workers": WORKERS,
                "command": "bench/collusion/run.py --seeds " + " ".join(map(str, args.seeds)),
                "seeds": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
