"""`crowdset ledger earnings`: what a worker earned and the hourly rate over their task and
onboarding time (SPEC §3, §6.6), over a real database."""

from __future__ import annotations

from crowdset.core.permissions import Role
from crowdset.services import accounts, campaigns, labeling, ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.cli.test_ledger_cli import cli
from tests.services.test_labeling import classify_spec, items_of


def test_earnings_show_onboarding_time_and_its_pay(ctx: Context) -> None:
    owner = accounts.create_user(ctx, email="r@t.org", password="correct horse", role="requester")
    ledger.issue_credits(ctx, None, owner.id, 100_000)
    spec = classify_spec(onboarding={"pay": True})
    view = campaigns.create_campaign(
        ctx,
        Principal(user_id=owner.id, role=Role.REQUESTER, email=owner.email),
        spec,
        items_of(spec, {f"i{n}": "pos" for n in range(4)}, {"i0"}),
    )
    campaigns.launch(
        ctx, Principal(user_id=owner.id, role=Role.REQUESTER, email=owner.email), view.id
    )
    worker = accounts.create_user(ctx, email="w@t.org", password="correct horse", role="worker")
    labeling.answer_tutorial(ctx, worker.id, view.id, 0, "pos", seconds=30)
    labeling.answer_tutorial(ctx, worker.id, view.id, 1, "neg", seconds=30)
    assert labeling.take_qualifier(ctx, worker.id, view.id, ["pos", "neg"], seconds=30).passed

    code, output = cli(ctx, "ledger", "earnings", "w@t.org")
    assert code == 0, output
    assert "onboarding time" in output and "1.5 minutes" in output
    assert "onboarding paid" in output and "1.34 credit" in output  # 80 s at most, at 60/h
    assert "earned, pending" in output
    code, output = cli(ctx, "ledger", "earnings", "nobody@t.org")
    assert code != 0 and "nobody@t.org" in output
