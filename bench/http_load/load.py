"""A closed-loop load test of the worker API (issue #16), measured beside pgbench.

Each simulated worker has its own account and API token. It asks ``GET /api/v1/work/next``
for an offer of one labeling campaign, answers it with ``POST /work/offers/{id}/label`` (with an
``Idempotency-Key``) and asks again: at full speed, or at human pace (2–10 s on each task,
uniformly drawn). Every run gets a fresh database, created and migrated here, and its own
``crowdset serve`` processes. After each run every acknowledged answer is looked up in the
database (stored exactly once, by the worker who was acknowledged) and ``crowdset ledger verify``
must pass. pgbench tpcb-like runs in the same session on its own database, for the ratio.

    .venv/bin/python bench/http_load/load.py                       # the full matrix (long)
    .venv/bin/python bench/http_load/load.py --quick               # a few minutes
    .venv/bin/python bench/http_load/load.py --databases postgresql --workers 20 --modes full

Writes ``bench/http_load/results/latest.json`` (``--out``) with every run and the summary keys
``cycles_per_s_max`` (PostgreSQL, full speed), ``pgbench_tps``, ``p99_ms_200_human_pace``
(PostgreSQL) and ``errors_5xx`` (all runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the project's HTTP client (httpx's maintained fork)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CROWDSET = str(BIN / "crowdset")
ADMIN_URL = os.environ.get(
    "CROWDSET_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
API = "/api/v1"
CHEAP_HASH = {"CROWDSET_PASSWORD_HASH_TIME_COST": "1", "CROWDSET_PASSWORD_HASH_MEMORY_KIB": "1024"}
SPEC: dict[str, Any] = {  # no gates, no gold, one judgment per item: every answer settles
    "name": "Load test sentiment",
    "type": "classify",
    "instructions": "Is the review positive, negative or neutral?",
    "labels": [
        {"name": "pos", "description": "The reviewer liked it"},
        {"name": "neg", "description": "The reviewer did not"},
        {"name": "neutral", "description": "Neither"},
    ],
    "price_per_judgment": 0.20,
    "seconds_per_judgment": 10,
    "overlap": {"min": 1, "max": 1},
    "gold": {"share": 0},
}
WORKER_GRANT = 100_00  # minor units
WORKER_STAKE = 50_00


# --- databases ---------------------------------------------------------------------------------


@dataclass
class Database:
    kind: str
    url: str
    folder: Path | None = None
    name: str | None = None

    def drop(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.name is not None:
            admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()


def fresh_database(kind: str, label: str) -> Database:
    """A new, empty database: a SQLite file in a temporary folder, or a PostgreSQL database
    ``crowdset_bench_<label>`` next to ``test`` (never ``test`` itself)."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="crowdset-http-load-"))
        return Database(kind, f"sqlite:///{folder / 'crowdset.db'}", folder=folder)
    name = f"crowdset_bench_{label}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return Database(kind, url, name=name)


# --- the campaign and its crowd, set up in-process ----------------------------------------------


@dataclass
class Crowd:
    campaign_id: int
    tokens: list[str]
    worker_ids: list[int]


def prepare(url: str, workers: int, items: int) -> Crowd:
    """Migrate, create a funded requester, launch a labeling campaign of ``items`` items and
    create ``workers`` staked workers with one API token each (services, not HTTP: set-up is
    not what is measured)."""
    from crowdset.core.labeling.items import parse_items
    from crowdset.core.labeling.spec import parse_labeling_spec
    from crowdset.core.permissions import Role
    from crowdset.services import accounts, campaigns, ledger
    from crowdset.services.accounts import Principal
    from crowdset.services.context import open_context
    from crowdset.settings import Settings
    from crowdset.storage import migrate

    settings = Settings(database_url=url, password_hash_time_cost=1, password_hash_memory_kib=1024)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    ctx = open_context(settings)
    try:
        requester = accounts.create_user(
            ctx, email="requester@bench.crowdset", password=uuid.uuid4().hex, role="requester"
        )
        spec = parse_labeling_spec(SPEC)
        rows = parse_items(
            [{"id": f"r{k}", "text": f"Review {k}: it does what it says"} for k in range(items)],
            spec,
        )
        ledger.issue_credits(ctx, None, requester.id, items * 100 + 1_000_00)
        owner = Principal(user_id=requester.id, role=Role.REQUESTER, email=requester.email)
        campaign = campaigns.create_campaign(ctx, owner, spec, rows)
        campaigns.launch(ctx, owner, campaign.id)
        tokens, ids = [], []
        for k in range(workers):
            user = accounts.create_user(
                ctx, email=f"worker{k}@bench.crowdset", password=uuid.uuid4().hex, role="worker"
            )
            ledger.issue_credits(ctx, None, user.id, WORKER_GRANT)
            ledger.stake(ctx, user.id, WORKER_STAKE)
            tokens.append(accounts.create_token(ctx, user.id, name="load").secret)
            ids.append(user.id)
        return Crowd(campaign.id, tokens, ids)
    finally:
        ctx.db.dispose()


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Servers:
    processes: list[subprocess.Popen[bytes]]
    ports: list[int]
    logs: list[Path]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_env(url: str) -> dict[str, str]:
    return os.environ | CHEAP_HASH | {"CROWDSET_DATABASE_URL": url}


def start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [CROWDSET, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env(url),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def wait_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{API}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"crowdset serve on port {port} did not answer /health in {timeout} s")


def start_servers(url: str, count: int, folder: Path) -> Servers:
    ports = [free_port() for _ in range(count)]
    logs = [folder / f"serve-{port}.log" for port in ports]
    processes = [start_server(url, port, log) for port, log in zip(ports, logs, strict=True)]
    for port in ports:
        wait_healthy(port)
    return Servers(processes, ports, logs)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux ``/proc``; 0 for a gone one)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine (backends come and go: read both ends)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in {"postgres", "postmaster"}:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


# --- the simulated workers -----------------------------------------------------------------------


@dataclass
class Tally:
    cycles: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # GET next + POST answer
    statuses: dict[str, int] = field(default_factory=dict)
    transport_errors: int = 0
    acknowledged: list[tuple[int, int]] = field(default_factory=list)  # (offer id, worker id)
    retries: int = 0

    def count(self, route: str, status: int | str) -> None:
        key = f"{route} {status}"
        self.statuses[key] = self.statuses.get(key, 0) + 1


RETRYABLE = {502, 503, 504}


async def submit_until_answered(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    tally: Tally,
    deadline: float,
) -> httpx.Response | None:
    """POST with one Idempotency-Key, retried on transport errors and 502/503/504 until a
    definite answer or the deadline (a lost answer may have been applied: only the same key
    makes the retry safe)."""
    delay = 0.05
    while True:
        try:
            response = await client.post(url, json=body, headers=headers)
        except httpx.TransportError:
            tally.transport_errors += 1
            response = None
        if response is not None:
            tally.count("submit", response.status_code)
            if response.status_code not in RETRYABLE:
                return response
        if time.monotonic() > deadline:
            return None
        tally.retries += 1
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


async def simulated_worker(
    client: httpx.AsyncClient,
    base: str,
    token: str,
    worker_id: int,
    campaign_id: int,
    human: tuple[float, float] | None,
    stop_at: float,
    tally: Tally,
    rng: random.Random,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < stop_at:
        started = time.monotonic()
        try:
            response = await client.get(
                f"{base}{API}/work/next", params={"campaign_id": campaign_id}, headers=headers
            )
        except httpx.TransportError:
            tally.transport_errors += 1
            await asyncio.sleep(0.1)
            continue
        tally.count("next", response.status_code)
        if response.status_code == 204:
            wait = float(response.headers.get("Retry-After", "1"))
            await asyncio.sleep(wait if human else min(wait, 1.0))
            continue
        if response.status_code != 200:
            await asyncio.sleep(0.1)
            continue
        offer = response.json()
        asked_ms = (time.monotonic() - started) * 1000
        if human is not None:
            await asyncio.sleep(rng.uniform(*human))
        posted = time.monotonic()
        answered = await submit_until_answered(
            client,
            f"{base}{API}/work/offers/{offer['id']}/label",
            headers | {"Idempotency-Key": str(uuid.uuid4())},
            {"answer": "pos"},
            tally,
            deadline=stop_at + 30,
        )
        if answered is not None and answered.status_code in (200, 201, 204):
            tally.cycles += 1
            tally.acknowledged.append((int(offer["id"]), worker_id))
            tally.latencies_ms.append(asked_ms + (time.monotonic() - posted) * 1000)


async def drive(
    ports: list[int],
    crowd: Crowd,
    human: tuple[float, float] | None,
    seconds: float,
    seed: int,
) -> tuple[Tally, float]:
    tally = Tally()
    n = len(crowd.tokens)
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    timeout = httpx.Timeout(60.0)
    clients = [httpx.AsyncClient(limits=limits, timeout=timeout) for _ in ports]
    rng = random.Random(seed)
    started = time.monotonic()
    stop_at = started + seconds
    try:
        await asyncio.gather(
            *(
                simulated_worker(
                    clients[k % len(ports)],
                    f"http://127.0.0.1:{ports[k % len(ports)]}",
                    token,
                    crowd.worker_ids[k],
                    crowd.campaign_id,
                    human,
                    stop_at,
                    tally,
                    random.Random(rng.random()),
                )
                for k, token in enumerate(crowd.tokens)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    return tally, time.monotonic() - started


# --- checks after a run ----------------------------------------------------------------------


def reconcile(
    url: str, acknowledged: list[tuple[int, int]], worker_ids: list[int]
) -> dict[str, int]:
    """Each acknowledged answer is stored exactly once: its offer is done, by that worker, and
    the worker has exactly one judgment on the offer's item."""
    engine = create_engine(url)
    with engine.connect() as connection:
        offers = {
            int(r.id): (int(r.worker_id), r.status, r.item_id)
            for r in connection.execute(
                text("SELECT id, worker_id, status, item_id FROM offers WHERE kind = 'label'")
            )
        }
        judgments: dict[tuple[int, int], int] = {}
        for r in connection.execute(
            text("SELECT item_id, worker_id, count(*) AS n FROM judgments GROUP BY 1, 2")
        ):
            judgments[(int(r.item_id), int(r.worker_id))] = int(r.n)
    engine.dispose()
    seen: set[int] = set()
    out = {"acknowledged": len(acknowledged), "stored_once": 0, "missing": 0, "duplicated": 0}
    for offer_id, worker in acknowledged:
        if offer_id in seen:
            out["duplicated"] += 1
            continue
        seen.add(offer_id)
        found = offers.get(offer_id)
        if found is None or found[0] != worker or found[1] != "done":
            out["missing"] += 1
            continue
        stored = judgments.get((int(found[2]), worker), 0)
        if stored == 1:
            out["stored_once"] += 1
        elif stored == 0:
            out["missing"] += 1
        else:
            out["duplicated"] += 1
    ours = set(worker_ids)
    out["stored_without_acknowledgement"] = (
        sum(n for (_, worker), n in judgments.items() if worker in ours) - out["stored_once"]
    )
    return out


def ledger_verify(url: str) -> dict[str, Any]:
    done = subprocess.run(
        [CROWDSET, "ledger", "verify"],
        env=server_env(url) | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    found = re.search(r"(\d+) transactions", done.stdout)
    return {
        "exit_code": done.returncode,
        "ok": done.returncode == 0,
        "transactions": int(found.group(1)) if found else None,
        "output": (done.stdout + done.stderr).strip()[-400:],
    }


# --- pgbench -----------------------------------------------------------------------------------


def pgbench(seconds: int, clients: int, threads: int) -> dict[str, Any]:
    """tpcb-like on its own database ``crowdset_bench_pgbench`` (scale 10)."""
    name = "crowdset_bench_pgbench"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or ""]
    try:
        subprocess.run(
            ["pgbench", *args, "-i", "-q", "-s", "10", name], check=True, capture_output=True
        )
        done = subprocess.run(
            ["pgbench", *args, "-c", str(clients), "-j", str(threads), "-T", str(seconds), name],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    found = re.search(r"tps = ([\d.]+)", done.stdout)
    return {
        "tps": float(found.group(1)) if found else None,
        "clients": clients,
        "threads": threads,
        "seconds": seconds,
        "command": f"pgbench -c {clients} -j {threads} -T {seconds} (scale 10, tpcb-like)",
    }


# --- one run and the matrix ----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


def one_run(kind: str, workers: int, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    label = f"http_{workers}_{mode}_{os.getpid()}"
    database = fresh_database(kind, label)
    folder = Path(tempfile.mkdtemp(prefix="crowdset-http-logs-"))
    human = (args.think_min, args.think_max) if mode == "human" else None
    seconds = args.seconds if mode == "full" else args.human_seconds
    items = args.items or max(2_000, workers * 20)
    t0 = time.monotonic()
    crowd = prepare(database.url, workers, items)
    setup_s = time.monotonic() - t0
    processes = args.processes if kind == "postgresql" else 1  # SQLite: one process (SPEC)
    servers = start_servers(database.url, processes, folder)
    server_pids = [process.pid for process in servers.processes]
    cpu_before = cpu_seconds(server_pids), cpu_seconds(postgres_pids()), time.process_time()
    try:
        tally, elapsed = asyncio.run(drive(servers.ports, crowd, human, seconds, args.seed))
        # Backends that closed during the run are not counted: a lower bound for PostgreSQL.
        cpu_after = cpu_seconds(server_pids), cpu_seconds(postgres_pids()), time.process_time()
    finally:
        servers.stop()
    per_cycle = [
        round((after - before) / max(tally.cycles, 1) * 1000, 2)
        for before, after in zip(cpu_before, cpu_after, strict=True)
    ]
    checked = reconcile(database.url, tally.acknowledged, crowd.worker_ids)
    verified = ledger_verify(database.url)
    errors_5xx = sum(n for s, n in tally.statuses.items() if s.split()[1].startswith("5"))
    server_errors = sum(log.read_text(errors="replace").count("Traceback") for log in servers.logs)
    result = {
        "database": kind,
        "workers": workers,
        "mode": mode,
        "processes": processes,
        "seconds": round(elapsed, 1),
        "setup_seconds": round(setup_s, 1),
        "cycles": tally.cycles,
        "cycles_per_s": round(tally.cycles / elapsed, 2),
        "p50_ms": percentile(tally.latencies_ms, 0.50),
        "p99_ms": percentile(tally.latencies_ms, 0.99),
        "statuses": tally.statuses,
        "errors_5xx": errors_5xx,
        "transport_errors": tally.transport_errors,
        "retries": tally.retries,
        "server_tracebacks": server_errors,
        "cpu_ms_per_cycle": {
            "servers": per_cycle[0],
            "postgresql": per_cycle[1] if kind == "postgresql" else None,
            "load_generator": per_cycle[2],
        },
        "reconciliation": checked,
        "exactly_once": checked["stored_once"] == len({o for o, _ in tally.acknowledged})
        and checked["missing"] == 0
        and checked["duplicated"] == 0,
        "ledger_verify": verified,
    }
    if not args.keep:
        database.drop()
        shutil.rmtree(folder, ignore_errors=True)
    else:
        result["logs"] = str(folder)
    return result


def summary(runs: list[dict[str, Any]], pg: dict[str, Any] | None) -> dict[str, Any]:
    full_pg = [
        r["cycles_per_s"] for r in runs if r["database"] == "postgresql" and r["mode"] == "full"
    ]
    full_any = [r["cycles_per_s"] for r in runs if r["mode"] == "full"]
    human_200 = [
        r["p99_ms"]
        for r in runs
        if r["database"] == "postgresql" and r["mode"] == "human" and r["workers"] == 200
    ]
    tps = pg["tps"] if pg else None
    best = max(full_pg) if full_pg else None
    return {
        "cycles_per_s_max": best,
        "cycles_per_s_max_any_database": max(full_any) if full_any else None,
        "pgbench_tps": tps,
        "cycles_to_pgbench_ratio": round(best / tps, 4) if best and tps else None,
        "p99_ms_200_human_pace": human_200[0] if human_200 else None,
        "errors_5xx": sum(r["errors_5xx"] for r in runs),
        "every_acknowledged_stored_once": all(r["exactly_once"] for r in runs),
        "ledger_verified_after_every_run": all(r["ledger_verify"]["ok"] for r in runs),
    }


def commit_of_tree() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    )
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,20,200,1000", help="N values, comma-separated")
    parser.add_argument("--modes", default="full,human", help="full and/or human")
    parser.add_argument("--seconds", type=float, default=60, help="length of a full-speed run")
    parser.add_argument("--human-seconds", type=float, default=90, help="length of a human run")
    parser.add_argument("--think-min", type=float, default=2.0)
    parser.add_argument("--think-max", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=2, help="crowdset serve processes (PG)")
    parser.add_argument("--items", type=int, default=0, help="items (default max(2000, 20 N))")
    parser.add_argument("--pgbench-seconds", type=int, default=30)
    parser.add_argument("--pgbench-clients", type=int, default=16)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep databases and server logs")
    parser.add_argument("--quick", action="store_true", help="N = 1, 20, 200; 20 s and 30 s runs")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/http_load/results/latest.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.workers, args.seconds, args.human_seconds, args.pgbench_seconds = (
            "1,20,200",
            20,
            30,
            15,
        )
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    sizes = [int(n) for n in args.workers.split(",")]
    modes = [m.strip() for m in args.modes.split(",")]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    pg = None
    if "postgresql" in kinds:
        pg = pgbench(args.pgbench_seconds, args.pgbench_clients, 2)
        print(f"pgbench tpcb-like: {pg['tps']} TPS", flush=True)
    runs: list[dict[str, Any]] = []
    for kind in kinds:
        for mode in modes:
            for n in sizes:
                result = one_run(kind, n, mode, args)
                runs.append(result)
                print(
                    f"{kind:10} N={n:<5} {mode:5} {result['cycles_per_s']:8.2f} cycles/s  "
                    f"p99 {result['p99_ms']} ms  5xx {result['errors_5xx']}  "
                    f"CPU ms/cycle {result['cpu_ms_per_cycle']}  "
                    f"exactly once {result['exactly_once']}  "
                    f"verify {'ok' if result['ledger_verify']['ok'] else 'FAILED'}",
                    flush=True,
                )
    out = {
        "started": started,
        "commit": commit_of_tree(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared (pessimistic)",
        "command": "python bench/http_load/load.py " + " ".join(argv or sys.argv[1:]),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "pgbench": pg,
        **summary(runs, pg),
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k not in ("runs", "settings")}, indent=2))
    return (
        0 if out["every_acknowledged_stored_once"] and out["ledger_verified_after_every_run"] else 1
    )


if __name__ == "__main__":
    raise SystemExit(main())
