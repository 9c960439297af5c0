"""Newcomers (SPEC §3, §6.6) through the real services, on SQLite and PostgreSQL: a generation
bounty whose pay is held until a first run of accepted work, the path from bounty tasks to a
first stake, bounty accounts writing junk that earn nothing, and onboarding time counted and
(where the campaign says so) paid once.

The validators here come with a record of controls answered right (``vetted``), as after a
campaign's probation: their confident decisions count as controls for the writers they judge
(SPEC §6.1), so a newcomer's quality can clear the bar while the campaign runs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import FakeClock
from tests.services.conftest import CREDIT, tiny_spec
from tests.services.test_labeling import classify_spec, items_of

from crowdset.core.economics import wage_floor
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.services import (
    campaign_stats,
    campaigns,
    due_process,
    generation,
    labeling,
    ledger,
    newcomers,
)
from crowdset.services import offers as offer_service
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, VoteInput
from crowdset.storage import mechanism_store
from crowdset.storage.models import CampaignWorker, WorkerTrack

YES = VoteInput(True, True, True, True)
NO = VoteInput(True, False, True, True)
GOOD = itertools.cycle(
    [
        "switch the {v} lights on",
        "please make the {v} bright",
        "i need some light in the {v} right now",
        "could you turn the {v} lamps on",
        "lights on in the {v} thank you",
        "hey brighten up the {v} a lot",
        "turn every lamp on in the {v} for me",
        "it is dark in the {v} so put the lights on",
    ]
)
JUNK = itertools.count()


def bounty_campaign(**bounty: Any) -> dict[str, Any]:
    """One intent; 0.80 a query, so the required stake is 2.40 credits (min_evidence 2 and
    max_votes 3: ``max(0.80 × 2 × 1.5, 3 × 0.20 × 2)``); confidence 0.8, so three accepted
    queries judged by vetted validators clear the write bar of 0.7."""
    return {
        "intents": [
            {
                "name": "LightsOn",
                "description": "Switch the lights on",
                "target": 12,
                "slots": [{"name": "room", "values": ["kitchen", "bedroom", "hall"]}],
                "seeds": ["turn on the lights in the [room:kitchen]"],
            }
        ],
        "max_open_offers": 1,
        "bounty": {"tasks": 6, "release_after": 4, **bounty},
        "mechanism": {"control_share": 0, "confidence": 0.8, "min_evidence": 2, "max_votes": 3},
    }


def launched(ctx: Context, requester: Principal, spec: dict[str, Any]) -> int:
    view = campaigns.create_campaign(ctx, requester, tiny_spec(**spec))
    campaigns.launch(ctx, requester, view.id)
    return view.id


def vetted(ctx: Context, campaign_id: int, workers: list[int]) -> None:
    """Give each validator a record of 20 controls answered right on the vote track."""

    def work(session: Session) -> None:
        for worker in workers:
            row = mechanism_store.track_row(session, campaign_id, worker, "vote")
            assert row is not None
            row.controls, row.correct = 20, 20.0

    ctx.db.run(work)


def next_of_kind(
    ctx: Context, worker: int, kind: str, campaign_id: int, *, query_text: str | None = None
) -> OfferView:
    """The worker's next offer of ``kind`` (a vote on ``query_text``, when given), others
    skipped. An ask wins by the worker's admission ticket of the moment's slot: when none
    wins, the clock moves on one slot (10 s, the shortest task) and the worker asks again."""
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    for _ in range(400):
        offer = offer_service.next_offer(ctx, worker, campaign_id)
        if offer is None:
            clock.advance(seconds=10)
            continue
        if offer.kind == kind and query_text in (None, offer.query_text):
            return offer
        offer_service.skip_offer(ctx, worker, offer.id)
    raise AssertionError(f"worker {worker} never got a {kind} offer")


def never_offered(ctx: Context, worker: int, campaign_id: int, asks: int = 30) -> bool:
    """No offer in ``asks`` asks, one slot apart."""
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    for _ in range(asks):
        if offer_service.next_offer(ctx, worker, campaign_id) is not None:
            return False
        clock.advance(seconds=10)
    return True


def write(ctx: Context, worker: int, campaign_id: int, *, junk: bool = False) -> str:
    offer = next_of_kind(ctx, worker, "write", campaign_id)
    values = " ".join(v.value for v in offer.values) or "house"
    if junk:
        text = f"the {values} smells of old purple cheese number {next(JUNK)}"
    else:
        text = next(GOOD).format(v=values)
    generation.submit_query(ctx, worker, offer.id, text)
    return text


def judge(
    ctx: Context, validators: list[int], campaign_id: int, text: str, verdict: VoteInput
) -> None:
    for validator in validators:
        offer = next_of_kind(ctx, validator, "vote", campaign_id, query_text=text)
        generation.submit_vote(ctx, validator, offer.id, verdict)


def track(ctx: Context, campaign_id: int, worker: int, kind: str) -> WorkerTrack | None:
    return ctx.db.run(
        lambda s: mechanism_store.track_row(s, campaign_id, worker, kind, create=False),
        readonly=True,
    )


def standing(ctx: Context, worker: int, campaign_id: int) -> newcomers.BountyStanding:
    return next(b for b in newcomers.bounty_standings(ctx, worker) if b.campaign_id == campaign_id)


# --- the bounty: held until a first run, then a first stake -----------------------------------


def test_bounty_pay_is_held_until_the_first_run_then_staked_for_ordinary_offers(
    ctx: Context,
    requester: Principal,
    make_worker: Callable[..., int],
    make_user: Callable[..., int],
) -> None:
    campaign_id = launched(ctx, requester, bounty_campaign())
    validators = [make_worker(stake=3) for _ in range(3)]
    vetted(ctx, campaign_id, validators)
    newcomer = make_user("worker")  # no credits at all, no stake
    assert ledger.balances(ctx, newcomer).total == 0
    assert standing(ctx, newcomer, campaign_id).left == 6

    for number in range(1, 4):
        judge(ctx, validators, campaign_id, write(ctx, newcomer, campaign_id), YES)
        money = ledger.balances(ctx, newcomer)
        assert (money.available, money.pending) == (0, number * 80), number
    # three accepted queries, each judged by vetted validators, clear the bar; the first run
    # asks four: the pay stays held
    row = track(ctx, campaign_id, newcomer, "write")
    assert row is not None and row.release_after == 4 and row.released == 0
    found = standing(ctx, newcomer, campaign_id)
    assert (found.accepted, found.held, found.left, found.first_run_done) == (3, 240, 3, False)
    (waiting,) = due_process.pending_of(ctx, newcomer).tracks
    assert waiting.first_run_left == 1 and "held until a first run" in waiting.why_pending
    assert waiting.when_settles.startswith("After 1 more accepted")

    judge(ctx, validators, campaign_id, write(ctx, newcomer, campaign_id), YES)
    money = ledger.balances(ctx, newcomer)
    assert (money.available, money.pending) == (320, 0)  # the first run: all of it released
    found = standing(ctx, newcomer, campaign_id)
    assert (found.released, found.held, found.required_stake) == (320, 0, 240)

    # the path: stake what the bounty paid, then ordinary offers (no bounty task used)
    ledger.stake(ctx, newcomer, 240)
    found = standing(ctx, newcomer, campaign_id)
    assert (found.left, found.stake_short, found.used) == (0, 0, 4)
    judge(ctx, validators, campaign_id, write(ctx, newcomer, campaign_id), YES)
    assert ledger.balances(ctx, newcomer).available == 80 + 80  # released: the bar is cleared
    assert ledger.verify(ctx).ok


def test_bounty_tasks_run_out_and_pay_held_at_close_is_released_only_after_a_first_run(
    ctx: Context,
    requester: Principal,
    make_worker: Callable[..., int],
    make_user: Callable[..., int],
) -> None:
    campaign_id = launched(ctx, requester, bounty_campaign(tasks=3, release_after=2))
    validators = [make_worker(stake=3) for _ in range(3)]  # not vetted: decisions only
    short, done = make_user("worker"), make_user("worker")
    judge(ctx, validators, campaign_id, write(ctx, short, campaign_id), YES)
    for _ in range(3):
        judge(ctx, validators, campaign_id, write(ctx, done, campaign_id), YES)
    assert standing(ctx, done, campaign_id).left == 0
    assert never_offered(ctx, done, campaign_id)  # the bounty is used up: stake first
    assert ledger.balances(ctx, done).pending == 240  # no controls: held until close

    campaigns.close(ctx, requester, campaign_id)
    assert ledger.balances(ctx, done).available == 240  # the first run was done
    money = ledger.balances(ctx, short)  # one accepted query of the two the first run asks
    assert (money.available, money.pending, money.total) == (0, 0, 0)
    row = track(ctx, campaign_id, short, "write")
    assert row is not None and row.clawed_back == row.earned == 80
    assert ledger.verify(ctx).ok


# --- thinking like an attacker -----------------------------------------------------------------


def test_bounty_accounts_writing_junk_earn_nothing_and_owe_nothing_they_do_not_have(
    ctx: Context,
    requester: Principal,
    make_worker: Callable[..., int],
    make_user: Callable[..., int],
) -> None:
    """k fresh accounts each take the bounty and write junk: every query is refused, each
    account is revoked on vetted decisions, the fine finds no bond and takes nothing it
    cannot, and no account ends with a credit."""
    campaign_id = launched(ctx, requester, bounty_campaign())
    validators = [make_worker(stake=3) for _ in range(3)]
    vetted(ctx, campaign_id, validators)
    sybils = [make_user("worker") for _ in range(3)]
    for sybil in sybils:
        for _ in range(2):
            judge(ctx, validators, campaign_id, write(ctx, sybil, campaign_id, junk=True), NO)
    for sybil in sybils:
        row = track(ctx, campaign_id, sybil, "write")
        assert row is not None and row.revoked_at is not None
        assert (row.earned, row.pending, row.fined) == (0, 0, 0)
        assert row.cost_of_failures > 0  # what catching it cost: a fine it has no bond for
        assert never_offered(ctx, sybil, campaign_id)
    campaigns.close(ctx, requester, campaign_id)
    for sybil in sybils:
        money = ledger.balances(ctx, sybil)
        assert (money.available, money.pending, money.staked, money.total) == (0, 0, 0, 0)
    assert ledger.verify(ctx).ok


def test_bounty_votes_against_the_truth_are_held_and_go_back_at_close(
    ctx: Context,
    requester: Principal,
    make_worker: Callable[..., int],
    make_user: Callable[..., int],
) -> None:
    """With ``bounty.votes``, a newcomer may validate too; a bounty account that votes against
    every good query is paid per vote into pending like anyone, and never sees it."""
    campaign_id = launched(ctx, requester, bounty_campaign(votes=True))
    validators = [make_worker(stake=3) for _ in range(2)]
    vetted(ctx, campaign_id, validators)
    writer = make_worker(stake=3)
    junk_voter = make_user("worker")
    for _ in range(2):
        text = write(ctx, writer, campaign_id)
        judge(ctx, [junk_voter], campaign_id, text, NO)
        judge(ctx, validators, campaign_id, text, YES)  # two vetted yes: accepted
    row = track(ctx, campaign_id, junk_voter, "vote")
    assert row is not None and row.release_after == 4 and row.earned == 2 * 20
    assert row.released == 0
    campaigns.close(ctx, requester, campaign_id)
    money = ledger.balances(ctx, junk_voter)
    assert (money.available, money.pending, money.total) == (0, 0, 0)
    row = track(ctx, campaign_id, junk_voter, "vote")
    assert row is not None and row.clawed_back == 40 and row.released == 0
    for validator in validators:  # the honest validators are paid in full
        assert ledger.balances(ctx, validator).available == 500 * CREDIT - 3 * CREDIT + 40
    assert ledger.verify(ctx).ok


# --- onboarding time ----------------------------------------------------------------------------


def labeling_campaign(ctx: Context, requester: Principal, spec: LabelingSpec) -> int:
    truth = {f"i{n}": "pos" for n in range(8)}
    view = campaigns.create_campaign(ctx, requester, spec, items_of(spec, truth, {"i0", "i1"}))
    campaigns.launch(ctx, requester, view.id)
    return view.id


def member(ctx: Context, campaign_id: int, worker: int) -> CampaignWorker:
    def work(session: Session) -> CampaignWorker:
        found = session.execute(
            select(CampaignWorker).where(
                CampaignWorker.campaign_id == campaign_id, CampaignWorker.worker_id == worker
            )
        ).scalar_one()
        session.expunge(found)
        return found

    return ctx.db.run(work, readonly=True)


def test_onboarding_time_is_counted_and_paid_once_when_the_qualifier_is_passed(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = classify_spec(onboarding={"pay": True, "workers": 5})
    campaign_id = labeling_campaign(ctx, requester, spec)
    # 4 questions at 2 × 10 s: 80 s at most, 1.34 credits at 60 an hour
    cap = wage_floor(80, ctx.settings.fair_hourly_wage, ctx.settings.minor_per_unit)
    estimate = campaigns.estimate_labeling_cost(ctx, spec, 6)
    assert estimate.onboarding == 5 * cap == 5 * 134
    worker, failing = make_worker(), make_worker()
    found = labeling.onboarding(ctx, worker, campaign_id)
    assert (found.onboarding_pay, found.onboarding_seconds_paid) == (cap, 80)

    labeling.answer_tutorial(ctx, worker, campaign_id, 0, "pos", seconds=20)
    labeling.answer_tutorial(ctx, worker, campaign_id, 1, "neg", seconds=15)
    assert ledger.balances(ctx, worker).pending == 0  # not paid before passing
    assert labeling.take_qualifier(ctx, worker, campaign_id, ["pos", "neg"], seconds=25).passed
    paid = wage_floor(60, ctx.settings.fair_hourly_wage, ctx.settings.minor_per_unit)
    assert member(ctx, campaign_id, worker).onboarding_paid == paid == 100
    assert ledger.balances(ctx, worker).pending == paid  # held like bounty pay
    row = track(ctx, campaign_id, worker, "label")
    assert row is not None and row.release_after == 3

    labeling.answer_tutorial(ctx, worker, campaign_id, 0, "pos", seconds=10)  # repeated
    assert member(ctx, campaign_id, worker).onboarding_seconds == 70
    assert ledger.balances(ctx, worker).pending == paid  # paid once

    for index, answer in enumerate(["pos", "neg"]):
        labeling.answer_tutorial(ctx, failing, campaign_id, index, answer, seconds=30)
    assert not labeling.take_qualifier(ctx, failing, campaign_id, ["neg", "pos"], seconds=30).passed
    assert member(ctx, campaign_id, failing).onboarding_seconds == 90
    assert (
        member(ctx, campaign_id, failing).onboarding_paid,
        ledger.balances(ctx, failing).pending,
    ) == (0, 0)

    earnings = campaign_stats.worker_earnings(ctx, worker)
    assert (earnings.onboarding_seconds, earnings.onboarding_paid) == (70, paid)
    assert earnings.seconds_counted == 70 and earnings.hourly_rate == 0
    assert earnings.hourly_rate_with_pending == round(paid * 3600 / 70)

    campaigns.close(ctx, requester, campaign_id)  # no first run of accepted answers
    assert ledger.balances(ctx, worker).pending == 0
    assert ledger.balances(ctx, worker).available == 450 * CREDIT
    assert ledger.verify(ctx).ok


def test_onboarding_time_falls_back_on_the_server_and_is_not_paid_unless_the_spec_says(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = classify_spec()
    assert not spec.onboarding.pay
    campaign_id = labeling_campaign(ctx, requester, spec)
    assert campaigns.estimate_labeling_cost(ctx, spec, 6).onboarding == 0
    worker = make_worker()
    labeling.answer_tutorial(ctx, worker, campaign_id, 0, "pos")  # no timer: the model, 10 s
    clock.advance(seconds=25)
    labeling.answer_tutorial(ctx, worker, campaign_id, 1, "neg")  # the server's gap
    clock.advance(hours=3)
    labeling.take_qualifier(ctx, worker, campaign_id, ["pos", "neg"])  # capped at 30 minutes
    found = member(ctx, campaign_id, worker)
    assert found.onboarding_seconds == pytest.approx(10 + 25 + 1800, abs=0.01)
    assert found.onboarding_paid == 0 and ledger.balances(ctx, worker).pending == 0
    assert labeling.onboarding(ctx, worker, campaign_id).onboarding_pay == 0


def test_onboarding_pay_stops_at_the_workers_the_escrow_holds(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = classify_spec(onboarding={"pay": True, "workers": 1}, tutorial=[])
    campaign_id = labeling_campaign(ctx, requester, spec)
    first, second = make_worker(), make_worker()
    for worker in (first, second):
        assert labeling.take_qualifier(ctx, worker, campaign_id, ["pos", "neg"], seconds=30).passed
    assert member(ctx, campaign_id, first).onboarding_paid == 50
    assert member(ctx, campaign_id, second).onboarding_paid == 0


def test_a_spec_that_pays_onboarding_without_one_is_refused() -> None:
    from crowdset.errors import SpecInvalid

    with pytest.raises(SpecInvalid, match=r"onboarding\.pay pays the time of the tutorial"):
        classify_spec(onboarding={"pay": True}, tutorial=[], qualifier=None)
