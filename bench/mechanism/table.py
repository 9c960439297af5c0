"""The table of docs/benchmarks.md "Mechanism dry-run": means over seeds of the JSON rows that
`crowdset sim attack --format json` wrote as results/<run>-<seed>.json (see run.sh)."""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

RUNS = {
    "generation": "examples/smart-lights.yaml, --scale 2",
    "ring": "examples/smart-lights.yaml, --mix ring=0.33 --workers 12 --scale 2",
    "labeling": "examples/sentiment.yaml, --scale 20",
    "review": "examples/review.yaml, --scale 20",
}


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def table(directory: Path, run: str) -> str:
    files = sorted(directory.glob(f"{run}-*.json"))
    if not files:
        return ""
    by_strategy: dict[str, list[dict[str, object]]] = defaultdict(list)
    order: list[str] = []
    for path in files:
        for row in json.loads(path.read_text()):
            name = str(row["strategy"])
            if name not in order:
                order.append(name)
            by_strategy[name].append(row)

    def mean(rows: list[dict[str, object]], key: str) -> float | None:
        return _mean([None if r.get(key) is None else float(str(r[key])) for r in rows])

    lines = [
        f"**{run}** ({RUNS.get(run, run)}; {len(files)} seeds)",
        "",
        "| strategy | persons | net/h | min net/h | net/person | offers/person | fined or "
        "revoked | accepted | target met |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name in order:
        rows = by_strategy[name]
        honest = "" if rows[0]["honest"] else " ⚠"
        met = sum(r.get("meets_target") is True for r in rows)
        lowest = min(float(str(r["net_per_hour"])) for r in rows)
        lines.append(
            f"| {name}{honest} | {_fmt(mean(rows, 'persons'), '.0f')} "
            f"| {_fmt(mean(rows, 'net_per_hour'), '+.1f')} | {lowest:+.1f} "
            f"| {_fmt(mean(rows, 'net_per_person'), '+.2f')} "
            f"| {_fmt(mean(rows, 'offer_share_per_person'), '.1%')} "
            f"| {_fmt(mean(rows, 'fined_or_revoked_share'), '.0%')} "
            f"| {_fmt(mean(rows, 'accepted_share'), '.0%')} | {met}/{len(rows)} |"
        )
    honest_rows = by_strategy.get("honest", [])
    notes = []
    if honest_rows:
        fair = mean(honest_rows, "fair_wage_per_hour")
        notes.append(f"fair wage {_fmt(fair, '.0f')}/h")
        without = mean(honest_rows, "net_per_hour_without_attackers")
        if without is not None:
            notes.append(f"honest without attackers {without:+.1f}/h")
        rejected = mean(honest_rows, "rejection_rate")
        rejected_without = mean(honest_rows, "rejection_rate_without_attackers")
        if rejected is not None:
            notes.append(
                f"honest rejection rate {rejected:.1%}"
                + (f" ({rejected_without:.1%} without)" if rejected_without is not None else "")
            )
    ring_rows = by_strategy.get("ring", [])
    junk = mean(ring_rows, "junk_accepted_share") if ring_rows else None
    if junk is not None:
        notes.append(f"ring's junk accepted {junk:.1%}")
    lines += ["", "; ".join(notes) + "."]
    return "\n".join(lines)


def main() -> None:
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/mechanism/results")
    print("\n\n".join(t for run in RUNS if (t := table(directory, run))))


if __name__ == "__main__":
    main()
