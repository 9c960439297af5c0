"""CPU per worker cycle in the services, with and without the offers index (issue #16).

One cycle is what a worker does through the API, without HTTP: ``offers.next_offer`` then
``labeling.submit_label`` on a labeling campaign of ``--items`` items (overlap 1, no gold) with
``--workers`` workers taking turns, on a fresh SQLite file. After ``--warmup`` cycles (offers
pile up in the table) ``--cycles`` cycles are timed in process CPU seconds; each variant runs
``--repeats`` times on its own database and the median is printed. ``without index`` drops
``ix_offers_item_status`` (migration 0012) before the first cycle.

    .venv/bin/python bench/http_load/service_cycle.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import prepare

from crowdset.services import labeling, offers
from crowdset.services.context import open_context
from crowdset.settings import Settings


def ms_per_cycle(args: argparse.Namespace, *, index: bool) -> float:
    url = f"sqlite:///{tempfile.mkdtemp()}/cycle.db"
    crowd = prepare(url, args.workers, args.items)
    if not index:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_offers_item_status"))
        engine.dispose()
    ctx = open_context(Settings(database_url=url))

    def cycle(n: int) -> None:
        worker = crowd.worker_ids[n % args.workers]
        offer = offers.next_offer(ctx, worker, crowd.campaign_id)
        if offer is not None:
            labeling.submit_label(ctx, worker, offer.id, "pos")

    try:
        for n in range(args.warmup):
            cycle(n)
        start = time.process_time()
        for n in range(args.cycles):
            cycle(args.warmup + n)
        return (time.process_time() - start) / args.cycles * 1000
    finally:
        ctx.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| variant | CPU ms per cycle (median) | runs |\n|---|---:|---:|")
    for label, index in (("with the index", True), ("without index", False)):
        runs = [ms_per_cycle(args, index=index) for _ in range(args.repeats)]
        print(f"| {label} | {statistics.median(runs):.1f} | {len(runs)} |", flush=True)


if __name__ == "__main__":
    main()
