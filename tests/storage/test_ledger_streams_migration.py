"""Migration 0010 (decision record 0006) on a ledger written before streams, on SQLite and
PostgreSQL: the old single chain becomes the legacy stream with every hash unchanged, it still
verifies (and still catches an edit), and new transactions chain in streams after it, with
``seq`` continuing where the old chain stopped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, column, create_engine, table, text
from sqlalchemy.engine import make_url
from tests.conftest import POSTGRES_ADMIN_URL, REQUIRE_POSTGRES

from crowdset.core import ledger as rules
from crowdset.core.ledger import GENESIS_HASH, ChainedTransaction
from crowdset.services import ledger
from crowdset.services.context import open_context
from crowdset.settings import Settings
from crowdset.storage import migrate
from crowdset.storage.models import UtcDateTime

OLD_TRANSACTIONS = table(  # the columns revision 0009 has
    "ledger_transactions",
    column("seq"),
    column("kind"),
    column("memo"),
    column("created_at", UtcDateTime()),
    column("prev_hash"),
    column("hash"),
)
OLD_DRAFTS = [rules.issue(1, 500), rules.stake(1, 200), rules.fund_escrow(1, 9, 100)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"crowdset_test_migration_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # no usable server
        admin.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(str(error))
        pytest.skip(f"PostgreSQL is not usable: {error}")
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _write_old_chain(connection: Connection) -> str:
    """Three transactions as the single-chain ledger (revision 0009) wrote them."""
    accounts: dict[str, int] = {}
    prev = GENESIS_HASH
    start = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    for seq, draft in enumerate(OLD_DRAFTS, start=1):
        moment = start + timedelta(minutes=seq)
        chained = ChainedTransaction(
            seq=seq,
            kind=draft.kind.value,
            memo=draft.memo,
            created_at=moment.isoformat(timespec="microseconds"),
            actor_id=None,
            idempotency_key=None,
            postings=tuple((p.account.key, p.amount) for p in draft.postings),
            prev_hash=prev,
        )
        digest = chained.compute_hash()
        connection.execute(
            OLD_TRANSACTIONS.insert().values(
                seq=seq,
                kind=chained.kind,
                memo=chained.memo,
                created_at=moment,
                prev_hash=prev,
                hash=digest,
            )
        )
        for posting in draft.postings:
            ref = posting.account
            if ref.key not in accounts:
                accounts[ref.key] = connection.execute(
                    text(
                        "INSERT INTO ledger_accounts (key, owner_kind, owner_id, kind, balance)"
                        " VALUES (:key, :owner, :owner_id, :kind, 0) RETURNING id"
                    ),
                    {
                        "key": ref.key,
                        "owner": ref.owner.value,
                        "owner_id": ref.owner_id,
                        "kind": ref.kind.value,
                    },
                ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO ledger_postings (transaction_seq, account_id, amount) "
                    "VALUES (:seq, :account, :amount)"
                ),
                {"seq": seq, "account": accounts[ref.key], "amount": posting.amount},
            )
            connection.execute(
                text("UPDATE ledger_accounts SET balance = balance + :d WHERE key = :key"),
                {"d": posting.amount, "key": ref.key},
            )
        prev = digest
    connection.execute(
        text("UPDATE ledger_head SET last_seq = :n, last_hash = :h"),
        {"n": len(OLD_DRAFTS), "h": prev},
    )
    return prev


def test_an_old_chain_becomes_the_legacy_stream_and_new_ones_follow(empty_url: str) -> None:
    engine = create_engine(empty_url)
    migrate.upgrade(engine, "0009")
    with engine.begin() as connection:
        old_head = _write_old_chain(connection)
    migrate.upgrade(engine)
    engine.dispose()

    ctx = open_context(Settings(database_url=empty_url))
    try:
        report = ledger.verify(ctx)
        assert report.ok, report.problems
        assert (report.transactions, report.streams, report.head_hash) == (3, 1, old_head)
        posted = ledger.record(ctx, rules.pay(9, 1, 40, fee=4), actor_id=None)
        assert posted.seq == 4  # the sequence continues after the old chain
        seal = ledger.seal(ctx)
        assert seal is not None
        assert {s for s, _, _ in seal.heads} == {"", "campaign:9"}
        report = ledger.verify(ctx)
        assert report.ok, report.problems
        assert (report.transactions, report.unsealed, report.head_hash) == (4, 0, seal.hash)
        with ctx.db.engine.begin() as connection:
            connection.execute(text("UPDATE ledger_transactions SET memo = 'x' WHERE seq = 2"))
        assert ledger.verify(ctx).first_bad_seq == 2
    finally:
        ctx.db.dispose()
