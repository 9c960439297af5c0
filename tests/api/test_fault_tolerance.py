"""Faults under load (issue #16, Must show 2), on PostgreSQL: two ``crowdset serve`` processes
answer simulated workers; mid-load one process is killed with SIGKILL (and started again) and
every database backend of the server processes is terminated (``pg_terminate_backend``),
twice. Each worker answers its offers with one ``Idempotency-Key`` per answer and retries a
lost or failed answer with the same key, on whichever process answers. At the end every answer
a worker sent is acknowledged, every acknowledged answer is stored exactly once (its offer done,
one judgment by that worker on the offer's item), nothing is stored that was not acknowledged,
and the ledger verifies."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import create_engine, text

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.core.permissions import Role
from crowdset.services import accounts, campaigns, ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WORKERS = 8
ANSWERS_EACH = 12
CROWDSET = str(Path(sys.executable).parent / "crowdset")
API = "/api/v1"
SPEC: dict[str, Any] = {
    "name": "Fault test",
    "type": "classify",
    "instructions": "Is the review positive, negative or neutral?",
    "labels": [
        {"name": "pos", "description": "Liked it"},
        {"name": "neg", "description": "Did not"},
        {"name": "neutral", "description": "Neither"},
    ],
    "price_per_judgment": 0.20,
    "seconds_per_judgment": 10,
    "overlap": {"min": 1, "max": 1},
    "gold": {"share": 0},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``crowdset serve`` process that can be killed and started again on its port."""

    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log, self.port = url, log, _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = os.environ | {
            "CROWDSET_DATABASE_URL": self.url,
            "CROWDSET_PASSWORD_HASH_TIME_COST": "1",
            "CROWDSET_PASSWORD_HASH_MEMORY_KIB": "1024",
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [CROWDSET, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}{API}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"crowdset serve did not start:\n{self.log.read_text()[-2000:]}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _crowd(ctx: Context) -> tuple[int, list[tuple[int, str]]]:
    """A running labeling campaign and ``WORKERS`` staked workers with tokens, made on the
    real clock (the servers check the tokens' expiry against it)."""
    ctx.clock = lambda: datetime.now(UTC)
    requester = accounts.create_user(
        ctx, email="requester@fault.test", password="correct horse", role="requester"
    )
    ledger.issue_credits(ctx, None, requester.id, 1_000_000)
    spec = parse_labeling_spec(SPEC)
    items = parse_items([{"id": f"r{k}", "text": f"Review {k}"} for k in range(400)], spec)
    owner = Principal(user_id=requester.id, role=Role.REQUESTER, email=requester.email)
    campaign = campaigns.create_campaign(ctx, owner, spec, items)
    campaigns.launch(ctx, owner, campaign.id)
    workers = []
    for k in range(WORKERS):
        user = accounts.create_user(
            ctx, email=f"w{k}@fault.test", password="correct horse", role="worker"
        )
        ledger.issue_credits(ctx, None, user.id, 10_000)
        ledger.stake(ctx, user.id, 5_000)
        workers.append((user.id, accounts.create_token(ctx, user.id).secret))
    return campaign.id, workers


@pytest.fixture
def servers(ctx: Context, tmp_path: Path) -> Iterator[list[Server]]:
    url = ctx.settings.database_url
    found = [Server(url, tmp_path / f"serve-{k}.log") for k in range(2)]
    try:
        for server in found:
            server.start()
        yield found
    finally:
        for server in found:
            server.stop()


RETRIED: dict[str, int] = {"lost": 0, "5xx": 0, "replayed": 0}


async def _request(
    client: httpx.AsyncClient,
    servers: list[Server],
    method: str,
    path: str,
    **kwargs: Any,
) -> httpx.Response:
    """Retried on lost connections and 5xx, moving to the next process each time."""
    for attempt in range(400):
        server = servers[attempt % len(servers)]
        try:
            response = await client.request(method, f"{server.base}{API}{path}", **kwargs)
        except httpx.TransportError:
            RETRIED["lost"] += 1
            await asyncio.sleep(0.05)
            continue
        if response.status_code < 500:
            if response.headers.get("Idempotent-Replayed") == "true":
                RETRIED["replayed"] += 1
            return response
        RETRIED["5xx"] += 1
        await asyncio.sleep(0.05)
    raise AssertionError(f"{method} {path} never answered")


async def _worker(
    client: httpx.AsyncClient,
    servers: list[Server],
    campaign_id: int,
    token: str,
    sent: list[int],
    acknowledged: list[int],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    while done < ANSWERS_EACH:
        offered = await _request(
            client,
            servers,
            "GET",
            "/work/next",
            params={"campaign_id": campaign_id},
            headers=headers,
        )
        if offered.status_code == 204:
            await asyncio.sleep(0.2)
            continue
        assert offered.status_code == 200, offered.text
        offer_id = int(offered.json()["id"])
        sent.append(offer_id)
        key = {"Idempotency-Key": str(uuid.uuid4())}  # one key per answer, kept across retries
        answered = await _request(
            client,
            servers,
            "POST",
            f"/work/offers/{offer_id}/label",
            json={"answer": "pos"},
            headers=headers | key,
        )
        assert answered.status_code == 204, (offer_id, answered.status_code, answered.text)
        acknowledged.append(offer_id)
        done += 1


def _terminate_backends(admin_url: str, database: str) -> int:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        ).scalar_one()
    engine.dispose()
    return int(killed)


async def _faults(servers: list[Server], admin_url: str, database: str, log: list[str]) -> None:
    await asyncio.sleep(1.5)
    servers[0].kill()
    log.append("killed process 0 with SIGKILL")
    await asyncio.sleep(0.5)
    log.append(f"terminated {_terminate_backends(admin_url, database)} backends")
    await asyncio.to_thread(servers[0].start)
    log.append("process 0 started again")
    await asyncio.sleep(1.0)
    log.append(f"terminated {_terminate_backends(admin_url, database)} backends")
    servers[1].kill()
    log.append("killed process 1 with SIGKILL")
    await asyncio.to_thread(servers[1].start)


async def _load(
    servers: list[Server],
    campaign_id: int,
    workers: list[tuple[int, str]],
    admin_url: str,
    database: str,
) -> tuple[dict[int, list[int]], dict[int, list[int]], list[str]]:
    sent: dict[int, list[int]] = {user: [] for user, _ in workers}
    acknowledged: dict[int, list[int]] = {user: [] for user, _ in workers}
    log: list[str] = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as client:
        await asyncio.gather(
            _faults(servers, admin_url, database, log),
            *(
                _worker(client, servers, campaign_id, token, sent[user], acknowledged[user])
                for user, token in workers
            ),
        )
    return sent, acknowledged, log


def _label_route_takes_an_idempotency_key() -> bool:
    from crowdset.api.routes import labeling

    def headers(dependant: Any) -> Iterator[str]:
        yield from (p.alias for p in dependant.header_params)
        for sub in dependant.dependencies:
            yield from headers(sub)

    return any(
        "Idempotency-Key" in headers(route.dependant)
        for route in labeling.router.routes
        if isinstance(route, APIRoute) and route.path.endswith("/label")
    )


@pytest.mark.xfail(
    not _label_route_takes_an_idempotency_key(),
    reason="Idempotency-Key on the label route has not landed (issue #16): a retried answer "
    "whose first response was lost is refused as already answered",
    strict=True,
)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_kill_9_and_terminated_backends_lose_and_double_nothing(
    ctx: Context, servers: list[Server]
) -> None:
    campaign_id, workers = _crowd(ctx)
    RETRIED.update(lost=0, replayed=0, **{"5xx": 0})
    from tests.conftest import POSTGRES_ADMIN_URL

    database = ctx.db.engine.url.database or ""
    sent, acknowledged, log = asyncio.run(
        asyncio.wait_for(
            _load(servers, campaign_id, workers, POSTGRES_ADMIN_URL, database), timeout=240
        )
    )
    assert len(log) == 5, log  # every fault happened while the crowd worked
    assert RETRIED["lost"] + RETRIED["5xx"] > 0, (log, RETRIED)  # the faults hit requests
    print(f"faults: {log}; retries: {RETRIED}")  # shown with -s
    with ctx.db.engine.connect() as connection:
        offers = {
            int(r.id): (int(r.worker_id), r.status, int(r.item_id))
            for r in connection.execute(
                text("SELECT id, worker_id, status, item_id FROM offers WHERE item_id IS NOT NULL")
            )
        }
        judgments = {
            (int(r.item_id), int(r.worker_id)): int(r.n)
            for r in connection.execute(
                text("SELECT item_id, worker_id, count(*) AS n FROM judgments GROUP BY 1, 2")
            )
        }
    for user, _ in workers:
        assert sorted(acknowledged[user]) == sorted(sent[user])  # every answer acknowledged
        assert len(set(acknowledged[user])) == ANSWERS_EACH
        for offer_id in acknowledged[user]:
            worker, status, item = offers[offer_id]
            assert (worker, status, judgments.get((item, user))) == (user, "done", 1), offer_id
    stored = sum(n for (_, worker), n in judgments.items() if worker in acknowledged)
    assert stored == WORKERS * ANSWERS_EACH  # nothing stored that was not acknowledged
    report = ledger.verify(ctx)
    assert report.ok, report.problems[:5]
