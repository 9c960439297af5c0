"""Statements and CPU per worker cycle through the ASGI app, in one process (issue #16).

A cycle is what ``load.py``'s simulated worker does: ``GET /api/v1/work/next``, then the label
with an ``Idempotency-Key``. ``--workers`` workers take turns on a labeling campaign of
``--items`` items in a fresh database; after ``--warmup`` cycles, ``--cycles`` are counted:
SQL statements sent (SQLAlchemy's ``before_cursor_execute``) and process CPU (the app's threads
included). PostgreSQL's own CPU is not in it.

    .venv/bin/python bench/http_load/statements.py                     # SQLite
    .venv/bin/python bench/http_load/statements.py --database postgresql
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import CHEAP_HASH, fresh_database, prepare

from crowdset.api.app import create_app
from crowdset.services.context import open_context
from crowdset.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=200)
    args = parser.parse_args()
    os.environ.update(CHEAP_HASH)
    database = fresh_database(args.database, f"statements_{os.getpid()}")
    url = database.url
    try:
        crowd = prepare(url, args.workers, args.items)
        ctx = open_context(Settings(database_url=url))
        client = TestClient(create_app(ctx.settings, ctx))
        sent = [0]

        def count(*_: Any) -> None:
            sent[0] += 1

        def cycle(n: int) -> int:
            headers = {"Authorization": f"Bearer {crowd.tokens[n % args.workers]}"}
            asked = client.get(
                "/api/v1/work/next", params={"campaign_id": crowd.campaign_id}, headers=headers
            )
            if asked.status_code != 200:
                return 0
            answered = client.post(
                f"/api/v1/work/offers/{asked.json()['id']}/label",
                json={"answer": "pos"},
                headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
            )
            assert answered.status_code in (200, 201, 204), answered.text
            return 1

        for n in range(args.warmup):
            cycle(n)
        event.listen(ctx.db.engine, "before_cursor_execute", count)
        start = time.process_time()
        done = sum(cycle(args.warmup + n) for n in range(args.cycles))
        cpu = time.process_time() - start
        print(
            f"{args.database}: {done} cycles, {sent[0] / done:.2f} statements per cycle, "
            f"{cpu / done * 1000:.1f} CPU ms per cycle (this process)"
        )
        ctx.db.dispose()
    finally:
        database.drop()


if __name__ == "__main__":
    main()
