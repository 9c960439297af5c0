"""`crowdset quality show` and `crowdset sanctions list|show|appeal|decide` over a real
database: a revoked worker's evidence, one appeal, the requester's decision."""

from __future__ import annotations

from typer.testing import CliRunner

from crowdset.core.permissions import Role
from crowdset.services import accounts, ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.services.test_due_process import earn, launched, revoke

runner = CliRunner()


def cli(ctx: Context, *args: str) -> tuple[int, str]:
    from crowdset.cli.main import app

    env = {"CROWDSET_DATABASE_URL": ctx.settings.database_url, "COLUMNS": "200"}
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_a_worker_sees_their_quality_appeals_and_the_requester_upholds(ctx: Context) -> None:
    owner = accounts.create_user(
        ctx, email="req@cli.test", password="correct horse", role="requester"
    )
    ledger.issue_credits(ctx, None, owner.id, 1_000_000)
    requester = Principal(owner.id, Role.REQUESTER, owner.email)
    worker = accounts.create_user(ctx, email="w@cli.test", password="correct horse", role="worker")
    ledger.issue_credits(ctx, None, worker.id, 5_000)
    ledger.stake(ctx, worker.id, 1_000)
    campaign_id = launched(ctx, requester)
    earn(ctx, campaign_id, worker.id)

    code, output = cli(ctx, "quality", "show", "w@cli.test")
    assert code == 0, output
    assert "pending" in output and "1.00 credit" in output and "more checks" in output

    sanction_id = revoke(ctx, campaign_id, worker.id)
    code, output = cli(ctx, "sanctions", "list", "--as", "w@cli.test")
    assert code == 0 and "1.50 credit" in output and "none" in output, output
    code, output = cli(ctx, "sanctions", "show", str(sanction_id), "--as", "w@cli.test")
    assert code == 0 and "below the bar of 80%" in output and "controls_failed: 10" in output

    code, output = cli(ctx, "sanctions", "show", str(sanction_id), "--as", "req@cli.test")
    assert code == 0, output
    code, output = cli(ctx, "sanctions", "appeal", str(sanction_id), "--text", "Wrong checks")
    assert code == 0 and "appealed" in output, output
    code, output = cli(ctx, "sanctions", "appeal", str(sanction_id), "--text", "again")
    assert code == 4 and "may be appealed once" in output, output
    code, output = cli(ctx, "sanctions", "list", "--status", "open")
    assert code == 0 and f"│ {sanction_id} " in output, output

    code, output = cli(
        ctx, "sanctions", "decide", str(sanction_id), "--uphold", "--note", "Bad check"
    )
    assert code == 0 and "upheld: 2.50 credit back to the worker" in output, output
    assert ledger.balances(ctx, worker.id).available == 4_000 + 250
    code, output = cli(ctx, "sanctions", "decide", str(sanction_id), "--deny", "--note", "no")
    assert code == 4 and "a decision is final" in output, output
    code, output = cli(ctx, "sanctions", "show", "99", "--as", "w@cli.test")
    assert code == 3 and "no sanction has id 99" in output, output
