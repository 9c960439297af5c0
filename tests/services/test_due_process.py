"""Due process (SPEC §6, issue #14) through the services: pending pay with why and when, a
worker's own quality, sanctions with their evidence (live controls never leak), one appeal,
and the decision — an upheld appeal reverses the money through the ledger, also after close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.services.conftest import tiny_spec

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.core.ledger import AccountKind, escrow_account, platform_account
from crowdset.core.mechanism.appeals import AppealStatus
from crowdset.core.mechanism.evidence import Evidence, Track
from crowdset.core.permissions import Role
from crowdset.errors import Conflict, Forbidden, InsufficientFunds, InvalidInput, NotFound
from crowdset.services import accounts, campaigns, due_process, ledger, mechanism
from crowdset.services.accounts import Principal
from crowdset.services.campaigns import spec_of
from crowdset.services.context import Context
from crowdset.services.mechanism import Observation
from crowdset.storage import campaign_store, ledger_store
from crowdset.storage import mechanism_store as store
from crowdset.storage.models import LabelItem, Sanction

FEE_FREE_EARNING = 100  # minor units earned per task in these tests


def launched(ctx: Context, requester: Principal) -> int:
    view = campaigns.create_campaign(ctx, requester, tiny_spec())
    campaigns.launch(ctx, requester, view.id)
    return view.id


def earn(ctx: Context, campaign_id: int, worker: int, amount: int = FEE_FREE_EARNING) -> None:
    ctx.db.run(
        lambda s: mechanism.earn(s, ctx, campaign_id, Track.VOTE, [(worker, amount)], "a vote")
    )


def observe(
    ctx: Context,
    campaign_id: int,
    worker: int,
    correct: bool,
    evidence: Evidence = Evidence.CONTROL,
    track: Track = Track.VOTE,
) -> Observation:
    def work(session: Session) -> Observation:
        campaign = campaign_store.campaign(session, campaign_id)
        settings = spec_of(campaign).mechanism
        return mechanism.observe(
            session, ctx, campaign, settings, track, worker, correct=correct, evidence=evidence
        )

    return ctx.db.run(work)


def revoke(ctx: Context, campaign_id: int, worker: int, track: Track = Track.VOTE) -> int:
    """Wrong control answers until the worker is revoked; returns the sanction's id."""
    for _ in range(40):
        seen = observe(ctx, campaign_id, worker, correct=False, track=track)
        if seen.revoked_now:
            assert seen.sanction_id is not None
            return seen.sanction_id
    raise AssertionError("never revoked")


def as_principal(ctx: Context, user_id: int) -> Principal:
    user = accounts.get_user(ctx, user_id)
    return Principal(user_id=user.id, role=user.role, email=user.email)


def balance(ctx: Context, key: Any) -> int:
    return ctx.db.run(lambda s: ledger_store.balance_of(s, key), readonly=True)


@pytest.fixture
def other_requester(ctx: Context) -> Principal:
    user = accounts.create_user(ctx, email="b@req.test", password="correct horse", role="requester")
    return Principal(user_id=user.id, role=Role.REQUESTER, email=user.email)


@pytest.fixture
def operator(ctx: Context) -> Principal:
    user = accounts.create_user(ctx, email="op@req.test", password="correct horse", role="operator")
    return Principal(user_id=user.id, role=Role.OPERATOR, email=user.email)


# --- pending pay: why and when ----------------------------------------------------------------


def test_pending_pay_says_why_and_when_then_settles_once_the_lower_bound_clears(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester)
    worker = make_worker()
    before = ledger.balances(ctx, worker)
    earn(ctx, campaign_id, worker)

    assert ledger.balances(ctx, worker).pending == FEE_FREE_EARNING
    pending = due_process.pending_of(ctx, worker)
    assert pending.total == FEE_FREE_EARNING
    [track] = pending.tracks
    assert (track.campaign_id, track.track, track.status) == (campaign_id, "vote", "pending")
    assert track.bar == 0.8 and track.lower < track.bar
    assert "bar of 80%" in track.why_pending and "0 of 0 checks" in track.why_pending
    assert track.controls_to_release is not None and track.controls_to_release > 1
    assert f"{track.controls_to_release} more checks answered right" in track.when_settles

    needed = track.controls_to_release
    for _ in range(needed - 1):
        observe(ctx, campaign_id, worker, correct=True)
    assert ledger.balances(ctx, worker).pending == FEE_FREE_EARNING  # one short: still pending
    observe(ctx, campaign_id, worker, correct=True)
    after = ledger.balances(ctx, worker)
    assert after.pending == 0
    assert after.available == before.available + FEE_FREE_EARNING
    [mine] = due_process.my_quality(ctx, as_principal(ctx, worker))
    assert (mine.status, mine.released, mine.controls_passed) == ("settled", 100, needed)
    assert mine.lower >= mine.bar


def test_only_workers_have_a_quality_page(ctx: Context, requester: Principal) -> None:
    with pytest.raises(Forbidden, match="this needs the role: worker"):
        due_process.my_quality(ctx, requester)


# --- sanctions and their evidence -------------------------------------------------------------


def test_a_sanction_shows_its_reason_and_evidence_to_the_worker_and_the_requester_only(
    ctx: Context,
    requester: Principal,
    other_requester: Principal,
    make_worker: Callable[..., int],
) -> None:
    campaign_id = launched(ctx, requester)
    worker, other = make_worker(), make_worker()
    earn(ctx, campaign_id, worker)
    sanction_id = revoke(ctx, campaign_id, worker)

    seen = due_process.get_sanction(ctx, as_principal(ctx, worker), sanction_id)
    assert "below the bar of 80%" in seen.reason
    assert seen.evidence["controls_failed"] == seen.evidence["controls"] == 10
    assert seen.clawed_back == FEE_FREE_EARNING and seen.fine == 150  # 1.5 × earned
    assert seen.can_appeal and not seen.can_decide
    assert [s.id for s in due_process.list_sanctions(ctx, requester)] == [sanction_id]
    assert not due_process.get_sanction(ctx, requester, sanction_id).can_decide  # no appeal yet
    for stranger in (as_principal(ctx, other), other_requester):
        with pytest.raises(NotFound, match=rf"no sanction has id {sanction_id}$"):
            due_process.get_sanction(ctx, stranger, sanction_id)
        assert due_process.list_sanctions(ctx, stranger) == []
    with pytest.raises(NotFound, match=r"no sanction has id 999$"):  # the same words: no leak
        due_process.get_sanction(ctx, as_principal(ctx, worker), 999)
    [track] = due_process.my_quality(ctx, as_principal(ctx, worker))
    assert track.status == "revoked" and track.when_settles.startswith("Never")


def labeling_campaign(ctx: Context, requester: Principal) -> tuple[int, int]:
    """A classify campaign with one gold item; returns (campaign id, gold item id)."""
    spec = parse_labeling_spec(
        {
            "name": "Sentiment",
            "type": "classify",
            "instructions": "Is the review positive or negative?",
            "labels": [{"name": "pos"}, {"name": "neg"}],
            "price_per_judgment": "0.20",
            "seconds_per_judgment": 10,
            "gold": {"share": 0.2},
            "mechanism": {"control_max_views": 3},
        }
    )
    rows = parse_items(
        [
            {"id": "r1", "text": "Works great", "gold": None},
            {"id": "g1", "text": "Best purchase this year", "gold": "pos"},
        ],
        spec,
    )
    view = campaigns.create_campaign(ctx, requester, spec, rows)
    campaigns.launch(ctx, requester, view.id)

    def gold_item(session: Session) -> int:
        items = session.query(LabelItem).filter_by(campaign_id=view.id, external_id="g1")
        return items.one().id

    return view.id, ctx.db.run(gold_item, readonly=True)


def test_a_failed_control_is_shown_only_once_retired(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id, gold_id = labeling_campaign(ctx, requester)
    worker = make_worker()
    sanction_id = revoke(ctx, campaign_id, worker, Track.LABEL)

    def list_control(session: Session) -> None:
        sanction = session.get(Sanction, sanction_id)
        assert sanction is not None
        sanction.evidence = {**sanction.evidence, "failed_controls": [{"item": gold_id}]}

    ctx.db.run(list_control)
    me = as_principal(ctx, worker)
    [live] = due_process.get_sanction(ctx, me, sanction_id).failed_controls
    assert not live.retired and live.content is None and live.known_answer is None

    def retire(session: Session) -> None:
        item = session.get(LabelItem, gold_id)
        assert item is not None
        item.control_views = 3  # the campaign's control_max_views

    ctx.db.run(retire)
    [retired] = due_process.get_sanction(ctx, me, sanction_id).failed_controls
    assert retired.retired
    assert (retired.content, retired.known_answer) == ("Best purchase this year", "pos")


# --- appeals and decisions --------------------------------------------------------------------


def test_a_worker_appeals_once_with_at_most_2000_characters(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester)
    worker, other = make_worker(), make_worker()
    sanction_id = revoke(ctx, campaign_id, worker)
    me = as_principal(ctx, worker)

    with pytest.raises(InvalidInput, match="the appeal is empty"):
        due_process.appeal(ctx, me, sanction_id, "   ")
    with pytest.raises(InvalidInput, match="has 2001 characters, more than the 2000 allowed"):
        due_process.appeal(ctx, me, sanction_id, "x" * 2001)
    with pytest.raises(NotFound, match=rf"no sanction has id {sanction_id}$"):
        due_process.appeal(ctx, as_principal(ctx, other), sanction_id, "not mine")
    with pytest.raises(Forbidden):
        due_process.appeal(ctx, requester, sanction_id, "requesters do not appeal")

    appealed = due_process.appeal(ctx, me, sanction_id, "  The checks were ambiguous.  ")
    assert appealed.appeal_status is AppealStatus.OPEN
    assert appealed.appeal_text == "The checks were ambiguous."
    assert not appealed.can_appeal
    assert [
        s.id for s in due_process.list_sanctions(ctx, requester, appeal_status=AppealStatus.OPEN)
    ] == [sanction_id]
    with pytest.raises(Conflict, match="may be appealed once"):
        due_process.appeal(ctx, me, sanction_id, "again")


def test_an_upheld_appeal_reverses_the_money_and_reinstates_the_worker(
    ctx: Context,
    requester: Principal,
    other_requester: Principal,
    make_worker: Callable[..., int],
) -> None:
    campaign_id = launched(ctx, requester)
    worker = make_worker()
    start = ledger.balances(ctx, worker)
    earn(ctx, campaign_id, worker)
    sanction_id = revoke(ctx, campaign_id, worker)
    revoked = ledger.balances(ctx, worker)
    assert revoked.staked == start.staked - 150 and revoked.pending == 0
    escrow_before = balance(ctx, escrow_account(campaign_id))
    fines_before = balance(ctx, platform_account(AccountKind.FINES))
    me = as_principal(ctx, worker)

    with pytest.raises(Conflict, match="has no appeal to decide"):
        due_process.decide(ctx, requester, sanction_id, uphold=True, note="fine")
    due_process.appeal(ctx, me, sanction_id, "My answers were right.")
    with pytest.raises(Forbidden):
        due_process.decide(ctx, me, sanction_id, uphold=True, note="I agree with myself")
    with pytest.raises(NotFound):
        due_process.decide(ctx, other_requester, sanction_id, uphold=True, note="not mine")
    with pytest.raises(InvalidInput, match="the decision note is empty"):
        due_process.decide(ctx, requester, sanction_id, uphold=True, note="")

    decided = due_process.decide(ctx, requester, sanction_id, uphold=True, note="Bad gold item.")
    assert (
        decided.appeal_status is AppealStatus.UPHELD and decided.decision_note == "Bad gold item."
    )
    after = ledger.balances(ctx, worker)
    assert after.available == revoked.available + 150 + FEE_FREE_EARNING
    assert balance(ctx, escrow_account(campaign_id)) == escrow_before - FEE_FREE_EARNING
    assert balance(ctx, platform_account(AccountKind.FINES)) == fines_before - 150
    assert not mechanism_revoked(ctx, campaign_id, worker)
    row = ctx.db.run(
        lambda s: store.track_row(s, campaign_id, worker, "vote", create=False), readonly=True
    )
    assert row is not None and row.revoked_at is None
    assert (row.fined, row.clawed_back, row.released, row.pending, row.earned) == (
        0,
        0,
        100,
        0,
        100,
    )
    assert (row.controls, row.correct, row.wrong) == (0, 0.0, 0.0)  # evidence starts afresh
    assert ledger.verify(ctx).ok
    with pytest.raises(Conflict, match="was already upheld: a decision is final"):
        due_process.decide(ctx, requester, sanction_id, uphold=False, note="changed my mind")
    # reinstated: the next wrong answer does not revoke again at once
    assert not observe(ctx, campaign_id, worker, correct=False).revoked_now


def test_a_denied_appeal_is_final_and_moves_nothing(
    ctx: Context, requester: Principal, operator: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester)
    worker = make_worker()
    earn(ctx, campaign_id, worker)
    sanction_id = revoke(ctx, campaign_id, worker)
    me = as_principal(ctx, worker)
    due_process.appeal(ctx, me, sanction_id, "Please look again.")
    before = ledger.balances(ctx, worker)

    denied = due_process.decide(ctx, operator, sanction_id, uphold=False, note="10 of 10 failed.")
    assert denied.appeal_status is AppealStatus.DENIED
    assert ledger.balances(ctx, worker) == before
    assert mechanism_revoked(ctx, campaign_id, worker)
    with pytest.raises(Conflict, match="may be appealed once"):
        due_process.appeal(ctx, me, sanction_id, "once more")
    with pytest.raises(Conflict, match="was already denied: a decision is final"):
        due_process.decide(ctx, requester, sanction_id, uphold=True, note="on second thought")


def mechanism_revoked(ctx: Context, campaign_id: int, worker: int) -> bool:
    return ctx.db.run(
        lambda s: mechanism.is_revoked(s, campaign_id, worker, Track.VOTE), readonly=True
    )


def test_after_close_the_requester_gives_back_what_the_refund_returned(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester)
    worker = make_worker()
    earn(ctx, campaign_id, worker)
    sanction_id = revoke(ctx, campaign_id, worker)
    due_process.appeal(ctx, as_principal(ctx, worker), sanction_id, "Wrong gold.")
    campaigns.close(ctx, requester, campaign_id)
    assert balance(ctx, escrow_account(campaign_id)) == 0
    requester_before = ledger.balances(ctx, requester.user_id).available
    worker_before = ledger.balances(ctx, worker).available

    due_process.decide(ctx, requester, sanction_id, uphold=True, note="Wrong gold indeed.")
    assert ledger.balances(ctx, requester.user_id).available == requester_before - 100
    assert ledger.balances(ctx, worker).available == worker_before + 100 + 150
    assert ledger.verify(ctx).ok


def test_an_upheld_appeal_the_requester_cannot_cover_is_refused_and_moves_nothing(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester)
    worker = make_worker()
    earn(ctx, campaign_id, worker)
    sanction_id = revoke(ctx, campaign_id, worker)
    due_process.appeal(ctx, as_principal(ctx, worker), sanction_id, "Wrong gold.")
    campaigns.close(ctx, requester, campaign_id)
    everything = ledger.balances(ctx, requester.user_id).available
    ledger.withdraw(ctx, requester.user_id, everything - 30)
    worker_before = ledger.balances(ctx, worker)

    with pytest.raises(InsufficientFunds, match="requester has 30 available: deposit 70 more"):
        due_process.decide(ctx, requester, sanction_id, uphold=True, note="Wrong gold.")
    assert ledger.balances(ctx, worker) == worker_before
    assert due_process.get_sanction(ctx, requester, sanction_id).appeal_status is AppealStatus.OPEN
    ledger.deposit(ctx, requester.user_id, 70)
    due_process.decide(ctx, requester, sanction_id, uphold=True, note="Wrong gold.")
    assert ledger.balances(ctx, requester.user_id).available == 0
    assert ledger.verify(ctx).ok


def test_reinstating_a_labeler_reopens_the_campaign_to_them(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id, _ = labeling_campaign(ctx, requester)
    worker = make_worker()
    sanction_id = revoke(ctx, campaign_id, worker, Track.LABEL)

    def revoke_member(session: Session) -> None:  # what the labeling workflow does on revoke
        campaign_store.touch_worker(session, campaign_id, worker, ctx.now())
        session.flush()
        member = campaign_store.campaign_worker(session, campaign_id, worker)
        assert member is not None
        member.revoked_at = ctx.now()

    ctx.db.run(revoke_member)
    due_process.appeal(ctx, as_principal(ctx, worker), sanction_id, "I was right.")
    due_process.decide(ctx, requester, sanction_id, uphold=True, note="You were right.")
    member = ctx.db.run(
        lambda s: campaign_store.campaign_worker(s, campaign_id, worker), readonly=True
    )
    assert member is not None and member.revoked_at is None
