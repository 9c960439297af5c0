"""When the database cannot serve, the API answers 503 with Retry-After, never 500 (issue 16):
an exhausted connection pool, a server refusing connections. A connection lost before the
commit is retried on a fresh one by the unit of work itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from crowdset.api.app import create_app
from crowdset.errors import Unavailable
from crowdset.services.context import Context, open_context
from crowdset.settings import Settings
from tests.api.test_campaigns_api import API, PROBLEM


@pytest.fixture
def one_connection(database_url: str) -> Iterator[Context]:
    """A context whose pool holds one connection and waits 0.2 s for it."""
    settings = Settings(
        database_url=database_url,
        database_pool_size=1,
        database_max_overflow=0,
        database_pool_timeout_seconds=0.2,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )
    context = open_context(settings)
    yield context
    context.db.dispose()


def assert_unavailable(response: object) -> None:
    assert getattr(response, "status_code", None) == 503, getattr(response, "text", response)
    headers = getattr(response, "headers", {})
    assert headers["content-type"] == PROBLEM
    assert headers["Retry-After"] == "1"
    body = getattr(response, "json")()  # noqa: B009 - typed as object above
    assert body["code"] == "unavailable" and "busy" in body["detail"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_exhausted_pool_is_a_503_with_retry_after(one_connection: Context) -> None:
    with TestClient(create_app(one_connection.settings, one_connection)) as client:
        assert client.get(f"{API}/health").status_code == 200
        held = one_connection.db.engine.connect()  # the pool's only connection
        try:
            assert_unavailable(client.get(f"{API}/health"))
            tokened = {"Authorization": "Bearer not-a-token"}
            assert_unavailable(client.get(f"{API}/balances", headers=tokened))
        finally:
            held.close()
        assert client.get(f"{API}/health").status_code == 200  # and back once one is free


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_lost_before_the_commit_is_retried(ctx: Context) -> None:
    backends: list[int] = []

    def work(session: Session) -> int:
        backend = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        backends.append(backend)
        if len(backends) == 1:  # an operator (or a failover) ends this backend mid-transaction
            with ctx.db.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            session.execute(text("SELECT 1"))
        return backend

    assert ctx.db.run(work) == backends[-1]
    assert len(backends) == 2 and backends[0] != backends[1]


def test_conflicts_that_outlast_every_retry_are_unavailable_not_a_500(ctx: Context) -> None:
    from sqlalchemy.exc import OperationalError

    def work(session: Session) -> None:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    with pytest.raises(Unavailable) as raised:
        ctx.db.run(work)
    assert raised.value.fields["retry_after"] == 1
