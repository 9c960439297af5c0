"""The CLI over a real database: init, users, tokens, balances and `ledger verify` vs tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from crowdset.cli.main import app
from crowdset.services.context import Context

runner = CliRunner()


def cli(ctx: Context, *args: str, input: str | None = None) -> tuple[int, str]:
    env = {
        "CROWDSET_DATABASE_URL": ctx.settings.database_url,
        "CROWDSET_PASSWORD_HASH_TIME_COST": "1",
        "CROWDSET_PASSWORD_HASH_MEMORY_KIB": "1024",
        "COLUMNS": "200",
    }
    result = runner.invoke(app, list(args), env=env, input=input)
    return result.exit_code, result.output


@pytest.fixture
def busy_ledger(ctx: Context) -> Context:
    """Four transactions: issue, stake, stake, unstake."""
    for args in (
        ("user", "create", "w@t.org", "--password", "correct horse"),
        ("ledger", "issue", "w@t.org", "10.50", "--memo", "grant"),
    ):
        code, output = cli(ctx, *args)
        assert code == 0, output
    from crowdset.services import accounts, ledger

    worker = accounts.find_user(ctx, "w@t.org").id
    ledger.stake(ctx, worker, 300)
    ledger.stake(ctx, worker, 200)
    ledger.unstake(ctx, worker, 100)
    return ctx


def test_verify_passes_on_an_intact_ledger(busy_ledger: Context) -> None:
    code, output = cli(busy_ledger, "ledger", "verify")
    assert code == 0, output
    assert "ledger intact: 4 transactions, 8 postings" in output


def test_balance_shows_credits(busy_ledger: Context) -> None:
    code, output = cli(busy_ledger, "ledger", "balance", "w@t.org")
    assert code == 0
    assert "6.50 credit" in output  # 10.50 issued, 4.00 staked
    assert "4.00 credit" in output


TAMPERING = [
    pytest.param("UPDATE ledger_transactions SET memo = 'x' WHERE seq = 2", 2, id="memo"),
    pytest.param("UPDATE ledger_transactions SET kind = 'issue' WHERE seq = 3", 3, id="kind"),
    pytest.param(
        "UPDATE ledger_transactions SET created_at = created_at + INTERVAL '1 second' "
        "WHERE seq = 2",
        2,
        id="time",
    ),
    pytest.param("UPDATE ledger_transactions SET actor_id = NULL WHERE seq = 2", 2, id="actor"),
    pytest.param("UPDATE ledger_transactions SET idempotency_key = 'k' WHERE seq = 3", 3, id="key"),
    pytest.param(
        "UPDATE ledger_transactions SET hash = repeat('a', 64) WHERE seq = 2", 2, id="hash"
    ),
    pytest.param(
        "UPDATE ledger_transactions SET prev_hash = repeat('b', 64) WHERE seq = 3",
        3,
        id="prev-hash",
    ),
    pytest.param("UPDATE ledger_postings SET amount = amount * 2 WHERE id = 3", 2, id="amount"),
    pytest.param("UPDATE ledger_postings SET account_id = 1 WHERE id = 6", 3, id="posting-account"),
    pytest.param(
        "UPDATE ledger_postings SET transaction_seq = 4 WHERE id = 5", 3, id="posting-moved"
    ),
    pytest.param("DELETE FROM ledger_postings WHERE id = 7", 4, id="posting-deleted"),
    pytest.param(
        "UPDATE ledger_accounts SET balance = balance + 1 WHERE id = 2", None, id="cached-balance"
    ),
]


@pytest.mark.parametrize(("statement", "first_bad"), TAMPERING)
def test_verify_fails_after_any_single_row_is_altered(
    busy_ledger: Context, statement: str, first_bad: int | None
) -> None:
    if busy_ledger.db.kind == "sqlite":
        statement = (
            statement.replace("created_at + INTERVAL '1 second'", "'2030-01-01 00:00:00.000000'")
            .replace("repeat('a', 64)", "'" + "a" * 64 + "'")
            .replace("repeat('b', 64)", "'" + "b" * 64 + "'")
        )
    with busy_ledger.db.engine.begin() as connection:
        assert connection.execute(text(statement)).rowcount == 1
    code, output = cli(busy_ledger, "ledger", "verify")
    assert code == 7, output
    assert "ledger verification failed" in output
    if first_bad is not None:
        assert f"first bad transaction: {first_bad}" in output
    else:
        assert "cached balance" in output


def test_token_create_prints_a_working_token(busy_ledger: Context) -> None:
    code, output = cli(busy_ledger, "token", "create", "w@t.org", "--name", "laptop")
    assert code == 0
    secret = output.strip().splitlines()[-1]
    from crowdset.services import accounts

    assert accounts.authenticate_token(busy_ledger, secret).email == "w@t.org"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(("ledger", "balance", "nobody@t.org"), 3, "no user has email", id="unknown"),
        pytest.param(
            ("ledger", "issue", "w@t.org", "1.234"), 2, "more than 2 decimals", id="too-precise"
        ),
        pytest.param(("ledger", "issue", "w@t.org", "ten"), 2, "is not a number", id="nan"),
        pytest.param(
            ("user", "create", "w@t.org", "--password", "correct horse"),
            4,
            "already exists",
            id="duplicate",
        ),
        pytest.param(
            ("user", "create", "x@t.org", "--password", "short"),
            2,
            "at least 10",
            id="short-password",
        ),
    ],
)
def test_errors_are_mapped_to_messages_and_exit_codes(
    busy_ledger: Context, args: tuple[str, ...], code: int, message: str
) -> None:
    got, output = cli(busy_ledger, *args)
    assert (got, message in output) == (code, True), output


def test_user_create_prompts_for_the_password(ctx: Context) -> None:
    code, output = cli(
        ctx,
        "user",
        "create",
        "p@t.org",
        "--role",
        "requester",
        input="correct horse\ncorrect horse\n",
    )
    assert code == 0, output
    assert "created requester" in output
