"""Render ``results/latest.json`` of ``load.py`` as the Markdown table of docs/benchmarks.md.

.venv/bin/python bench/http_load/table.py [results/latest.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def row(run: dict[str, Any], tps: float | None) -> str:
    share = f"{run['cycles_per_s'] / tps:.1%}" if tps and run["database"] == "postgresql" else ""
    checked = run["reconciliation"]
    stored = f"{checked['stored_once']}/{checked['acknowledged']}"
    verified = "ok" if run["ledger_verify"]["ok"] else "FAILED"
    lost = run["transport_errors"]
    return (
        f"| {run['database']} | {run['workers']:,} | {run['mode']} | {run['cycles_per_s']:.2f} "
        f"| {share} | {run['p50_ms'] or '–'} | {run['p99_ms'] or '–'} | {run['errors_5xx']} "
        f"| {lost} | {stored} | {verified} |"
    )


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results/latest.json"
    data = json.loads(path.read_text())
    tps = data["pgbench_tps"]
    print(
        "| database | N | pace | cycles/s | of pgbench | p50 ms | p99 ms | 5xx | lost "
        "connections | acknowledged stored once | ledger verify |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in data["runs"]:
        print(row(run, tps))


if __name__ == "__main__":
    main()
