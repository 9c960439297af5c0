"""Issue 17: a rewind (the newest transactions deleted, the cached balances fixed, the heads
moved back) passes `ledger verify`, but `ledger verify --anchors` catches it."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from crowdset.services import accounts, ledger, ledger_anchors
from crowdset.services.context import Context
from tests.cli.test_ledger_cli import cli

GENESIS = "0" * 64


@pytest.fixture
def worker(ctx: Context) -> int:
    user = accounts.create_user(ctx, email="w@t.org", password="correct horse", role="worker")
    ledger.issue_credits(ctx, None, user.id, 1_000)
    ledger.stake(ctx, user.id, 300)
    return user.id


def _rewind(ctx: Context, to_seq: int, to_seal: int) -> None:
    """What someone with write access to the database can do without breaking a chain: drop
    the transactions after ``to_seq`` and the seals after ``to_seal``, move every head back and
    fix the users' cached balances."""
    statements = [
        f"DELETE FROM ledger_postings WHERE transaction_seq > {to_seq}",
        f"DELETE FROM ledger_transactions WHERE seq > {to_seq}",
        f"DELETE FROM ledger_seal_heads WHERE seal_number > {to_seal}",
        f"DELETE FROM ledger_seals WHERE number > {to_seal}",
        "UPDATE ledger_head SET last_seq = {n}, last_hash = {h}".format(
            n=to_seal,
            h=f"(SELECT hash FROM ledger_seals WHERE number = {to_seal})"
            if to_seal
            else f"'{GENESIS}'",
        ),
        "UPDATE ledger_streams SET last_seq = (SELECT COALESCE(MAX(t.stream_seq), 0) FROM "
        "ledger_transactions t WHERE t.stream = ledger_streams.stream), last_hash = COALESCE(("
        "SELECT t.hash FROM ledger_transactions t WHERE t.stream = ledger_streams.stream ORDER "
        f"BY t.stream_seq DESC LIMIT 1), '{GENESIS}')",
        "UPDATE ledger_accounts SET balance = (SELECT COALESCE(SUM(p.amount), 0) FROM "
        "ledger_postings p WHERE p.account_id = ledger_accounts.id) WHERE owner_kind = 'user'",
    ]
    with ctx.db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_a_rewind_passes_verify_but_not_verify_with_anchors(
    ctx: Context, worker: int, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    first = ledger_anchors.anchor(ctx, anchors)
    ledger.stake(ctx, worker, 200)
    ledger.unstake(ctx, worker, 100)
    code, output = cli(ctx, "ledger", "anchor", "--file", str(anchors))
    assert code == 0, output
    assert "anchored head" in output
    code, output = cli(ctx, "ledger", "verify", "--anchors", "--file", str(anchors))
    assert code == 0 and "2 anchored heads held" in output, output
    _rewind(ctx, 2, first.seq)
    assert ledger.balances(ctx, worker).staked == 300
    code, output = cli(ctx, "ledger", "verify")
    assert code == 0, output  # the chain alone cannot tell
    code, output = cli(ctx, "ledger", "verify", "--anchors", "--file", str(anchors))
    assert code == 7
    assert "the ledger was rewound" in output


def test_a_rewind_regrown_past_the_anchor_is_caught(
    ctx: Context, worker: int, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    first = ledger_anchors.anchor(ctx, anchors)
    ledger.stake(ctx, worker, 200)
    ledger_anchors.anchor(ctx, anchors)
    _rewind(ctx, 2, first.seq)
    for amount in (50, 60, 70):  # another history, sealed past the anchored one
        ledger.stake(ctx, worker, amount)
        ledger.seal(ctx)
    assert ledger.verify(ctx).ok
    problems = ledger_anchors.verify_anchors(ctx, ledger_anchors.read_anchors(anchors))
    assert len(problems) == 1 and "no longer holds" in problems[0]


def test_anchors_append_and_a_bad_line_is_named(ctx: Context, worker: int, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    first = ledger_anchors.anchor(ctx, anchors)
    ledger.stake(ctx, worker, 10)
    second = ledger_anchors.anchor(ctx, anchors)
    assert second.seq > first.seq
    assert ledger_anchors.read_anchors(anchors) == [first, second]
    assert ledger_anchors.verify_anchors(ctx, [first, second]) == []
    with anchors.open("a") as handle:
        handle.write("not json\n")
    with pytest.raises(Exception, match="line 3 is not an anchor"):
        ledger_anchors.read_anchors(anchors)


def test_without_an_anchor_file_the_command_says_which_setting(ctx: Context) -> None:
    code, output = cli(ctx, "ledger", "anchor")
    assert code != 0
    assert "ledger_anchor_file" in output


def test_the_server_anchors_the_head_while_it_serves(
    ctx: Context, worker: int, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from crowdset.api.app import create_app

    anchors = tmp_path / "served.jsonl"
    settings = ctx.settings.model_copy(update={"ledger_anchor_file": anchors})
    served = dataclasses.replace(ctx, settings=settings)
    with TestClient(create_app(settings, served)) as client:
        assert client.get("/api/v1/health").status_code == 200
        for _ in range(100):
            if anchors.exists() and anchors.read_text():
                break
            time.sleep(0.05)
    found = ledger_anchors.read_anchors(anchors)
    assert found and ledger_anchors.verify_anchors(ctx, found) == []
