"""Ledger appends per second under concurrent payments: the options of decision record 0006.

Every option runs the real ``ledger_store.post`` on a fresh PostgreSQL database
(``crowdset_bench_ledger``, never ``test``); T threads each pay from their own campaign's
escrow to their own worker with a platform fee, for ``--seconds``. After the post each
transaction spends ``--hold-ms`` more inside its unit of work (``pg_sleep``), standing for the
rest of a submission's transaction, during which a lock taken by the post is still held.

- ``single-head`` (decision record 0002): every append first locks the one ``ledger_head`` row
  and updates the fees row in place, as before 0006.
- ``streams-inline-fees``: per-campaign streams, but the ``platform:fees`` balance is updated in
  place (its row is the one left serial point).
- ``streams`` (0006, what ships): per-campaign streams and fee deltas folded by the seal.
- ``group-commit``: one writer thread appends everything, batching whatever is queued
  (up to 64) into one transaction under the head lock; callers wait for their batch's commit.

    .venv/bin/python bench/ledger/appends.py          # T = 1, 4, 16, 32; 3 × 10 s interleaved
    .venv/bin/python bench/ledger/appends.py --threads 1,16 --seconds 5 --hold-ms 0

Writes ``bench/ledger/results/latest.json``; then ``crowdset ledger verify`` must pass (checked).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crowdset.core import ledger as rules
from crowdset.services import accounts, ledger
from crowdset.services.context import Context, open_context
from crowdset.settings import Settings
from crowdset.storage import ledger_store, migrate
from crowdset.storage.models import LedgerHead

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get(
    "CROWDSET_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NAME = "crowdset_bench_ledger"
OPTIONS = ("single-head", "streams-inline-fees", "streams", "group-commit")


def fresh_database() -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{NAME}"'))
    admin.dispose()
    url = make_url(ADMIN_URL).set(database=NAME).render_as_string(hide_password=False)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def drop_database() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def inline_fees() -> Iterator[None]:
    """Platform balances updated in place (no deltas), as before decision record 0006."""
    original = ledger_store.is_deferred
    ledger_store.is_deferred = lambda session, ref: False
    try:
        yield
    finally:
        ledger_store.is_deferred = original


def setup(ctx: Context, threads: int) -> list[tuple[int, int]]:
    """One funded campaign escrow and one worker per thread: (campaign id, worker id)."""
    requester = accounts.create_user(
        ctx,
        email=f"r{time.monotonic_ns()}@bench.crowdset",
        password="correct horse battery",
        role="requester",
    ).id
    ledger.issue_credits(ctx, None, requester, 10**12)
    pairs = []
    for k in range(threads):
        campaign = 1_000 + k
        ledger.record(ctx, rules.fund_escrow(requester, campaign, 10**10), actor_id=None)
        worker = accounts.create_user(
            ctx,
            email=f"w{k}-{time.monotonic_ns()}@bench.crowdset",
            password="correct horse battery",
            role="worker",
        ).id
        ledger.record(ctx, rules.pay(campaign, worker, 1, fee=1), actor_id=None)  # accounts exist
        pairs.append((campaign, worker))
    return pairs


def measure(
    ctx: Context, option: str, pairs: list[tuple[int, int]], seconds: float, hold_ms: float
) -> dict[str, Any]:
    counts = [0] * len(pairs)
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    guard = threading.Lock()

    def hold(session: Session) -> None:
        if hold_ms:
            session.execute(text("SELECT pg_sleep(:s)"), {"s": hold_ms / 1000})

    def direct(index: int) -> None:
        campaign, worker = pairs[index]
        draft = rules.pay(campaign, worker, 100, fee=10)

        def work(session: Session) -> None:
            if option == "single-head":
                session.execute(
                    select(LedgerHead).where(LedgerHead.id == 1).with_for_update()
                ).scalar_one()
            ledger_store.post(session, draft, now=ctx.now())
            hold(session)

        mine: list[float] = []
        while time.monotonic() < stop:
            started = time.monotonic()
            ctx.db.run(work)
            mine.append(time.monotonic() - started)
            counts[index] += 1
        with guard:
            latencies.extend(mine)

    requests: queue.Queue[tuple[rules.TransactionDraft, Future[None]]] = queue.Queue()

    def writer() -> None:
        while time.monotonic() < stop + 1:
            try:
                first = requests.get(timeout=0.1)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < 64:
                try:
                    batch.append(requests.get_nowait())
                except queue.Empty:
                    break

            def work(session: Session, batch: list[Any] = batch) -> None:
                session.execute(
                    select(LedgerHead).where(LedgerHead.id == 1).with_for_update()
                ).scalar_one()
                for draft, _ in batch:
                    ledger_store.post(session, draft, now=ctx.now())
                hold(session)

            ctx.db.run(work)
            for _, done in batch:
                done.set_result(None)

    def grouped(index: int) -> None:
        campaign, worker = pairs[index]
        mine: list[float] = []
        while time.monotonic() < stop:
            started = time.monotonic()
            done: Future[None] = Future()
            requests.put((rules.pay(campaign, worker, 100, fee=10), done))
            done.result(timeout=60)
            mine.append(time.monotonic() - started)
            counts[index] += 1
        with guard:
            latencies.extend(mine)

    body: Callable[[int], None] = grouped if option == "group-commit" else direct
    threads = [threading.Thread(target=body, args=(k,)) for k in range(len(pairs))]
    if option == "group-commit":
        threads.append(threading.Thread(target=writer))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = min(time.monotonic() - started, seconds + 1)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else 0.0
    return {
        "option": option,
        "threads": len(pairs),
        "payments": sum(counts),
        "payments_per_s": round(sum(counts) / elapsed, 1),
        "p99_ms": round(p99 * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,4,16,32")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--hold-ms", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--options", default=",".join(OPTIONS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench/ledger/results/latest.json")
    args = parser.parse_args(argv)
    url = fresh_database()
    most = max(int(t) for t in args.threads.split(","))
    pool: dict[str, Any] = (  # one connection per thread, and a few for set-up and the seal
        {"database_pool_size": most + 2, "database_max_overflow": 4}
        if "database_pool_size" in Settings.model_fields
        else {}
    )
    settings = Settings(
        database_url=url, password_hash_time_cost=1, password_hash_memory_kib=1024, **pool
    )
    ctx = open_context(settings)
    rows = []
    try:
        for threads in [int(t) for t in args.threads.split(",")]:
            pairs = setup(ctx, threads)
            runs: dict[str, list[dict[str, Any]]] = {}
            for _ in range(args.repeats):  # interleaved: a busy spell hits every option alike
                for option in args.options.split(","):
                    if option == "streams-inline-fees":
                        with inline_fees():
                            run = measure(ctx, option, pairs, args.seconds, args.hold_ms)
                    else:
                        run = measure(ctx, option, pairs, args.seconds, args.hold_ms)
                    runs.setdefault(option, []).append(run)
            for option, found in runs.items():
                found.sort(key=lambda r: r["payments_per_s"])
                row = found[len(found) // 2] | {
                    "all_payments_per_s": [r["payments_per_s"] for r in found]
                }
                rows.append(row)
                print(
                    f"T={threads:<3} {option:20} {row['payments_per_s']:8.1f} payments/s "
                    f"(median of {len(found)})  p99 {row['p99_ms']} ms",
                    flush=True,
                )
        ledger.seal(ctx)
        report = ledger.verify(ctx)
        env = os.environ | {"CROWDSET_DATABASE_URL": url}
        cli = subprocess.run(
            [str(Path(sys.executable).parent / "crowdset"), "ledger", "verify"],
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        ctx.db.dispose()
        drop_database()
    out = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared (pessimistic)",
        "command": "python bench/ledger/appends.py " + " ".join(argv or sys.argv[1:]),
        "hold_ms": args.hold_ms,
        "seconds": args.seconds,
        "verified": report.ok and cli.returncode == 0,
        "transactions": report.transactions,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"ledger verify: {'ok' if out['verified'] else 'FAILED'} ({report.transactions} tx)")
    return 0 if out["verified"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
