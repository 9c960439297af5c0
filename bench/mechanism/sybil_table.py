"""The sybil table of docs/benchmarks.md "Mechanism dry-run": per k and seed, the sybil row's
``net_per_person`` and ``offer_share_per_person`` against its ``sybil_baseline`` row's, from the
JSON rows that `crowdset sim attack --format json` wrote as results/sybil-k<k>-<seed>.json (see
sybil.sh); then per k the means over seeds and the ratio of the means."""

from __future__ import annotations

import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

NAME = re.compile(r"sybil-k(\d+)-(\d+)\.json$")
TOLERANCE = 1.05  # issue #15: within 5 % of the baseline


def _row(rows: list[dict[str, object]], strategy: str) -> dict[str, object]:
    return next(r for r in rows if r["strategy"] == strategy)


def _mark(ratio: float) -> str:
    return f"{ratio:.3f}" + (" ⚠" if ratio > TOLERANCE else "")


def table(directory: Path) -> str:
    runs: dict[int, dict[int, tuple[float, float, float, float]]] = defaultdict(dict)
    for path in directory.glob("sybil-k*-*.json"):
        found = NAME.search(path.name)
        if found is None or not path.stat().st_size:  # not a run's, or a run still going
            continue
        rows = json.loads(path.read_text())
        sybil, twin = _row(rows, "sybil"), _row(rows, "sybil_baseline")
        runs[int(found[1])][int(found[2])] = (
            float(str(sybil["net_per_person"])),
            float(str(twin["net_per_person"])),
            float(str(sybil["offer_share_per_person"])),
            float(str(twin["offer_share_per_person"])),
        )
    lines = [
        "| k | seed | net/person sybil | net/person baseline | ratio | offers/person sybil "
        "| offers/person baseline | ratio |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for k in sorted(runs):
        for seed in sorted(runs[k]):
            net, base_net, share, base_share = runs[k][seed]
            lines.append(
                f"| {k} | {seed} | {net:+.2f} | {base_net:+.2f} | {_mark(net / base_net)} "
                f"| {share:.2%} | {base_share:.2%} | {_mark(share / base_share)} |"
            )
        values = list(runs[k].values())
        net, base_net, share, base_share = (
            statistics.fmean(v[i] for v in values) for i in range(4)
        )
        lines.append(
            f"| **{k}** | **mean of {len(values)}** | **{net:+.2f}** | **{base_net:+.2f}** "
            f"| **{_mark(net / base_net)}** | **{share:.2%}** | **{base_share:.2%}** "
            f"| **{_mark(share / base_share)}** |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/mechanism/results")))
