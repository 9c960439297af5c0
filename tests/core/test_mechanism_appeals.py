"""Due-process rules (issue #14): when pending pay settles, when a control may be shown, appeal
text, and where an upheld appeal's money comes from."""

from __future__ import annotations

import pytest

from crowdset.core.ledger import TransactionKind
from crowdset.core.mechanism.appeals import (
    Reversal,
    check_text,
    control_retired,
    controls_to_release,
    reversal_drafts,
    reversal_plan,
)
from crowdset.core.mechanism.evidence import TrackRecord
from crowdset.errors import InsufficientFunds, InvalidInput


@pytest.mark.parametrize(
    ("record", "needed"),
    [
        # Beta(2 + n, 1): the 5% quantile is 0.05^(1/(2+n)); n = 7 gives 0.717 ≥ 0.7, n = 6 0.688
        pytest.param(TrackRecord(), 7, id="no evidence: 7 right checks"),
        pytest.param(TrackRecord(correct=30, controls=30), 0, id="already clear"),
        pytest.param(TrackRecord(correct=7), 1, id="clear on decisions alone: one check"),
        pytest.param(TrackRecord(correct=2, wrong=5, controls=7), 24, id="a bad start: 24"),
        pytest.param(TrackRecord(wrong=400, controls=400), None, id="hopeless: at close"),
    ],
)
def test_controls_to_release(record: TrackRecord, needed: int | None) -> None:
    assert controls_to_release(record, bar=0.7, confidence=0.95) == needed


def test_control_retired() -> None:
    assert not control_retired(19, 20)
    assert control_retired(20, 20) and control_retired(21, 20)


def test_check_text() -> None:
    assert check_text("  why  ", field="text", limit=5, what="the appeal") == "why"
    with pytest.raises(InvalidInput, match="the appeal is empty"):
        check_text(" \n", field="text", limit=5, what="the appeal")
    with pytest.raises(InvalidInput, match="has 6 characters, more than the 5 allowed") as caught:
        check_text("sixsix", field="text", limit=5, what="the appeal")
    assert caught.value.fields["field"] == "text"


@pytest.mark.parametrize(
    ("escrow", "requester", "plan"),
    [
        pytest.param(500, 0, Reversal(150, 100, 0), id="open campaign: escrow pays"),
        pytest.param(40, 1000, Reversal(150, 40, 60), id="escrow short: requester pays the rest"),
        pytest.param(0, 100, Reversal(150, 0, 100), id="closed and refunded: requester pays"),
    ],
)
def test_reversal_plan(escrow: int, requester: int, plan: Reversal) -> None:
    found = reversal_plan(
        fine=150, clawed_back=100, escrow=escrow, requester_available=requester, fines_held=150
    )
    assert found == plan and found.clawed_back == 100


def test_a_reversal_nobody_can_cover_is_refused_whole() -> None:
    with pytest.raises(InsufficientFunds, match="requester has 30 available: deposit 70 more"):
        reversal_plan(fine=0, clawed_back=100, escrow=0, requester_available=30, fines_held=0)
    with pytest.raises(InsufficientFunds, match="fines account holds 10"):
        reversal_plan(fine=150, clawed_back=0, escrow=0, requester_available=0, fines_held=10)


def test_reversal_drafts_balance_and_name_the_accounts() -> None:
    drafts = reversal_drafts(
        Reversal(150, 40, 60), worker_id=7, campaign_id=3, requester_id=2, memo="appeal"
    )
    assert [d.kind for d in drafts] == [TransactionKind.REVERSE] * 3
    moved = [{p.account.key: p.amount for p in d.postings} for d in drafts]
    assert moved == [
        {"platform:fines": -150, "user:7:available": 150},
        {"campaign:3:escrow": -40, "user:7:available": 40},
        {"user:2:available": -60, "user:7:available": 60},
    ]
    assert (
        reversal_drafts(Reversal(0, 0, 0), worker_id=7, campaign_id=3, requester_id=2, memo="")
        == []
    )
