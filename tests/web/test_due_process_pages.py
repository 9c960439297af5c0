"""Due process pages (issue #14): pending pay with why and when on the wallet and earnings,
the worker's quality page, a sanction's evidence, one appeal, the requester's decision."""

from __future__ import annotations

from collections.abc import Callable

from crowdset.core.permissions import Role
from crowdset.services import campaign_stats, ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from tests.services.test_due_process import earn, launched, revoke
from tests.web.conftest import Browser, People


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d} credit"  # the page's no-break space, as read


def test_wallet_and_earnings_show_pending_pay_with_why_and_when(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    owner = Principal(people.requester, Role.REQUESTER, "requester@web.test")
    campaign = launched(ctx, owner)
    earn(ctx, campaign, people.worker, 50)

    worker = as_role("worker")
    wallet = worker.page("/wallet")
    assert wallet.by_id("balance-pending").text == money(50)
    assert wallet.by_id("pending-heading").text == f"Pending pay: {money(50)}"
    row = wallet.by_id("pending-table").find_all("tr")[-1]
    assert "Lights" in row.text and "validating queries" in row.text
    assert "bar of 80%" in row.text and "0 of 0 checks" in row.text
    assert "more checks answered right, or when the campaign closes" in row.text
    earnings = worker.page("/earnings")
    assert earnings.by_id("earned-pending").text == money(50)
    assert earnings.by_id("hourly-rate-pending").text == "–"  # no time worked yet
    assert earnings.has_id("pending-table")
    assert not as_role("requester").page("/wallet").has_id("pending")


def test_the_hourly_rate_counts_pending_pay_apart() -> None:
    found = campaign_stats.Earnings(
        earned=100,
        queries_written=1,
        queries_accepted=1,
        queries_rejected=0,
        votes_cast=0,
        votes_agreed=0,
        seconds_worked=60,
        fair_hourly_wage=6_000,
        pending=50,
    )
    assert (found.hourly_rate, found.hourly_rate_with_pending) == (6_000, 9_000)


def test_a_worker_appeals_and_the_requester_upholds_with_the_evidence_on_screen(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    owner = Principal(people.requester, Role.REQUESTER, "requester@web.test")
    ledger.stake(ctx, people.worker, 1_000)
    campaign = launched(ctx, owner)
    earn(ctx, campaign, people.worker)
    sanction = revoke(ctx, campaign, people.worker)
    path = f"/sanctions/{sanction}"

    worker = as_role("worker")
    quality = worker.page("/quality")
    assert quality.by_id(f"track-{campaign}-vote").find_all("td")[2].text == "revoked"
    assert f'href="{path}"' in worker.get("/quality").text
    page = worker.page(path)
    assert "below the bar of 80%" in page.by_id("sanction-reason").text
    assert page.by_id("sanction-fine").text == money(150)
    assert page.by_id("sanction-clawed-back").text == money(100)
    assert "0 passed, 10 failed" in page.by_id("sanction-evidence").text
    for stranger in ("worker_b", "requester_b"):
        assert as_role(stranger).get(path).status_code == 404

    empty = worker.post(f"{path}/appeal", {"text": " "}, token_from=path)
    assert empty.status_code == 422 and "the appeal is empty" in empty.text
    sent = worker.post(f"{path}/appeal", {"text": "The checks were ambiguous."}, token_from=path)
    assert sent.status_code == 303
    assert "Send my appeal" not in worker.get(path).text  # once

    requester = as_role("requester")
    assert f'href="{path}"' in requester.get("/sanctions").text
    page = requester.page(path)
    assert page.by_id("appeal-text").text == "The checks were ambiguous."
    assert "0 passed, 10 failed" in page.by_id("sanction-evidence").text
    undecided = requester.post(f"{path}/decision", {"note": "ok"}, token_from=path)
    assert undecided.status_code == 422 and "Choose uphold or deny" in undecided.text
    assert (
        worker.post(
            f"{path}/decision", {"decision": "uphold", "note": "me"}, token_from=path
        ).status_code
        == 403
    )
    before = ledger.balances(ctx, people.worker).available
    done = requester.post(
        f"{path}/decision", {"decision": "uphold", "note": "Bad check."}, token_from=path
    )
    assert done.status_code == 303
    assert "Appeal upheld" in requester.get(path).text
    assert ledger.balances(ctx, people.worker).available == before + 250
    assert worker.page("/wallet").by_id("balance-available").text == money(before + 250)
    assert worker.page(path).by_id("decision-note").text == "Decision: Bad check."
