"""Generation campaigns through the services, on SQLite and PostgreSQL: lifecycle, escrow,
offers, automatic checks, blind votes, quality-weighted decisions, pending pay and the lock rule
as a withdrawal block (SPEC §1–§2, §6). The mechanism under attack (controls, revocation,
fines): ``test_generation_mechanism.py``."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import fields

import pytest
from tests.conftest import FakeClock
from tests.services.conftest import CREDIT, next_of_kind, tiny_spec

from crowdset.core.ledger import AccountKind, AccountRef, escrow_account, platform_account
from crowdset.core.permissions import Role
from crowdset.errors import (
    AnswerRefused,
    Conflict,
    InsufficientFunds,
    NotFound,
    RuleViolation,
    SpecInvalid,
    UnderPriced,
)
from crowdset.services import accounts, campaigns, generation, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, VoteInput
from crowdset.storage import ledger_store

YES = VoteInput(True, True, True, True)
NO = VoteInput(True, False, True, True)  # one "no" makes the verdict "invalid"


PHRASINGS = itertools.cycle(
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


def write(ctx: Context, worker: int, campaign_id: int, text: str | None = None) -> int:
    """Take a write offer and submit a query that passes the automatic checks."""
    offer = next_of_kind(ctx, worker, "write", campaign_id)
    values = " ".join(v.value for v in offer.values) or "house"
    body = text or next(PHRASINGS).format(v=values)
    return generation.submit_query(ctx, worker, offer.id, body).query_id


def vote(ctx: Context, worker: int, campaign_id: int, verdict: VoteInput) -> OfferView:
    offer = next_of_kind(ctx, worker, "vote", campaign_id)
    generation.submit_vote(ctx, worker, offer.id, verdict)
    return offer


def balance(ctx: Context, key: str) -> int:
    return ctx.db.run(lambda s: ledger_store.balance_of(s, AccountRef.parse(key)), readonly=True)


def launched(ctx: Context, requester: Principal, **overrides: object) -> int:
    view = campaigns.create_campaign(ctx, requester, tiny_spec(**overrides))
    campaigns.launch(ctx, requester, view.id)
    return view.id


NO_CONTROLS: dict[str, object] = {"control_share": 0}
# fresh validators (posterior mean 2/3) decide 3–0 at once, 2–1 with a fourth vote: the
# decisions of these tests, without the escrow a 95% target at an 80% prior would need
QUICK: dict[str, object] = {
    "expected_acceptance": 0.5,
    "mechanism": {"control_share": 0, "decision_confidence": 0.75},
}


def one_intent(target: int = 1, **overrides: object) -> dict[str, object]:
    """One intent, one offer at a time, no controls (unless ``mechanism`` says otherwise)."""
    return {
        "mechanism": NO_CONTROLS,
        "intents": [
            {
                "name": "LightsOn",
                "description": "Switch the lights on",
                "target": target,
                "slots": [{"name": "room", "values": ["kitchen", "bedroom", "hall"]}],
                "seeds": ["turn on the lights in the [room:kitchen]"],
            }
        ],
        "max_open_offers": 1,
        **overrides,
    }


# --- lifecycle and escrow ----------------------------------------------------------------------


def test_launch_moves_the_estimate_into_escrow(ctx: Context, requester: Principal) -> None:
    before = ledger.balances(ctx, requester.user_id).available
    spec = tiny_spec()
    view = campaigns.create_campaign(ctx, requester, spec)
    estimate = campaigns.estimate_cost(ctx, spec)
    # 4 queries at 0.80, ceil(2/0.8)=3 submissions per intent → 6 × 3.8 votes (3, up to 7 for
    # the 20% refused) = 23, plus ceil(23 × 0.1 / 0.9) = 3 control votes, at 0.20; 10% fee
    assert (estimate.votes, estimate.control_votes) == (26, 3)
    assert (estimate.work, estimate.validation) == (320, 26 * 20)
    assert estimate.fee == 4 * 8 + 26 * 2
    launched_view = campaigns.launch(ctx, requester, view.id)
    assert launched_view.status == "running"
    assert launched_view.escrow_funded == estimate.total
    assert balance(ctx, escrow_account(view.id).key) == estimate.total
    assert ledger.balances(ctx, requester.user_id).available == before - estimate.total


def test_launch_without_funds_is_refused_and_moves_nothing(
    ctx: Context, make_user: Callable[..., int]
) -> None:
    poor_id = make_user("requester", credits=100)
    poor = Principal(user_id=poor_id, role=Role.REQUESTER, email="poor@x.org")
    view = campaigns.create_campaign(ctx, poor, tiny_spec())
    with pytest.raises(InsufficientFunds) as refused:
        campaigns.launch(ctx, poor, view.id)
    assert refused.value.fields["shortfall"] > 0
    assert campaigns.get_campaign(ctx, poor, view.id).status == "draft"
    assert ledger.balances(ctx, poor_id).available == 100


def test_under_priced_campaign_is_refused_with_the_floor(
    ctx: Context, requester: Principal
) -> None:
    with pytest.raises(UnderPriced) as refused:
        campaigns.create_campaign(
            ctx, requester, tiny_spec(prices={"per_query": "0.50", "per_vote": "0.20"})
        )
    assert refused.value.fields["floor"] == 75  # 45 s at 60 credits/hour = 0.75
    assert "0.75" in str(refused.value)


def test_lifecycle_refuses_wrong_transitions(ctx: Context, requester: Principal) -> None:
    view = campaigns.create_campaign(ctx, requester, tiny_spec())
    with pytest.raises(Conflict):
        campaigns.pause(ctx, requester, view.id)
    campaigns.launch(ctx, requester, view.id)
    with pytest.raises(Conflict):
        campaigns.launch(ctx, requester, view.id)
    with pytest.raises(Conflict):
        campaigns.resume(ctx, requester, view.id)
    assert campaigns.pause(ctx, requester, view.id).status == "paused"
    assert campaigns.resume(ctx, requester, view.id).status == "running"
    assert campaigns.close(ctx, requester, view.id).status == "closed"
    with pytest.raises(Conflict):
        campaigns.close(ctx, requester, view.id)


def test_another_requester_sees_nothing(
    ctx: Context, requester: Principal, make_user: Callable[..., int]
) -> None:
    view = campaigns.create_campaign(ctx, requester, tiny_spec())
    other = Principal(user_id=make_user("requester"), role=Role.REQUESTER, email="other@x.org")
    with pytest.raises(NotFound):
        campaigns.get_campaign(ctx, other, view.id)
    with pytest.raises(NotFound):
        campaigns.launch(ctx, other, view.id)
    assert campaigns.list_campaigns(ctx, other) == []


# --- offers, checks, votes ---------------------------------------------------------------------


def test_a_refused_answer_names_each_reason_and_the_offer_stays_open(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent())
    writer = make_worker()
    offer = next_of_kind(ctx, writer, "write", campaign_id)
    assert offer.prompt.startswith("Formulate: Switch the lights on.")
    assert offer.examples == ("turn on the lights in the kitchen",)
    with pytest.raises(AnswerRefused) as refused:
        generation.submit_query(ctx, writer, offer.id, "lights")
    reasons = {r["reason"] for r in refused.value.fields["reasons"]}
    assert "too_short" in reasons
    if offer.values:
        assert "missing_value" in reasons
    with pytest.raises(AnswerRefused) as duplicate:
        generation.submit_query(ctx, writer, offer.id, "Turn on the lights in the kitchen!")
    assert {r["reason"] for r in duplicate.value.fields["reasons"]} >= {"near_duplicate"}
    values = " ".join(v.value for v in offer.values)
    result = generation.submit_query(
        ctx, writer, offer.id, f"could you make it bright in here {values}"
    )
    assert result.status == "validating"
    with pytest.raises(Conflict):  # the offer is done
        generation.submit_query(ctx, writer, offer.id, "again and again and again")
    state = campaigns.progress(ctx, requester, campaign_id)
    assert state.intents[0].refused_by_checks == 2
    assert state.intents[0].validating == 1


def test_votes_are_blind_and_nobody_validates_their_own_or_twice(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent())
    writer = make_worker()
    query_id = write(ctx, writer, campaign_id)
    assert offers.next_offer(ctx, writer, campaign_id) is None  # not their own query
    validators = [make_worker() for _ in range(3)]
    seen = []
    for validator in validators:
        offer = vote(ctx, validator, campaign_id, YES)
        seen.append(offer)
        assert offers.next_offer(ctx, validator, campaign_id) is None  # no second vote
    author = accounts.get_user(ctx, writer)
    for offer in seen:
        shown = repr(offer)
        assert author.pseudonym not in shown and author.email not in shown
        assert not {f.name for f in fields(offer)} & {"worker", "author", "votes", "worker_id"}
        assert offer.questions and offer.price == 20
    state = campaigns.progress(ctx, requester, campaign_id)
    assert state.intents[0].accepted == 1
    assert query_id > 0


def test_weighted_votes_decide_with_more_votes_until_confident_and_pay_into_pending(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent())
    escrow_before = balance(ctx, escrow_account(campaign_id).key)
    writer, *validators = (make_worker() for _ in range(6))
    write(ctx, writer, campaign_id)
    # fresh validators weigh log(2) each on a prior of 0.8: 2–1 is 0.89, 3–1 is 0.94, 4–1
    # is 0.97 ≥ 0.95: two more vote offers, one at a time
    for number, (validator, verdict) in enumerate(
        zip(validators, (YES, NO, YES, YES, YES), strict=True)
    ):
        state = campaigns.progress(ctx, requester, campaign_id).intents[0]
        assert (state.validating, state.accepted) == (1, 0), number
        vote(ctx, validator, campaign_id, verdict)
    assert campaigns.progress(ctx, requester, campaign_id).intents[0].accepted == 1
    writer_money = ledger.balances(ctx, writer)
    assert (writer_money.available, writer_money.pending) == (450 * CREDIT, 80)
    for validator in validators:  # every vote is paid, the dissenter's too
        assert ledger.balances(ctx, validator).pending == 20
    dissenter = ledger.balances(ctx, validators[1])
    assert (dissenter.staked, dissenter.locked) == (0, 50 * CREDIT)  # locked: no withdrawal
    fees = 8 + 5 * 2
    assert balance(ctx, escrow_account(campaign_id).key) == escrow_before - 80 - 100 - fees
    assert balance(ctx, platform_account(AccountKind.FEES).key) == fees
    campaigns.close(ctx, requester, campaign_id)  # pending pay is released at close
    assert ledger.balances(ctx, writer).available == 450 * CREDIT + 80
    assert ledger.balances(ctx, writer).pending == 0
    assert ledger.balances(ctx, validators[1]).available == 450 * CREDIT + 20
    assert ledger.verify(ctx).ok


# --- the lock rule -----------------------------------------------------------------------------


def test_rejected_generator_is_locked_until_three_accepted_in_a_row(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent(target=6, **QUICK))
    writer = make_worker(stake=50)
    validators = [make_worker() for _ in range(3)]

    def round_(verdict: VoteInput) -> None:
        write(ctx, writer, campaign_id)
        for validator in validators:
            vote(ctx, validator, campaign_id, verdict)

    round_(NO)
    state = generation.worker_standing(ctx, writer)
    assert state.generation_locked and state.generation_successes_to_unlock == 3
    assert ledger.balances(ctx, writer).locked == 50 * CREDIT
    with pytest.raises(Exception):  # locked stake cannot be withdrawn  # noqa: B017
        ledger.unstake(ctx, writer, 1)
    round_(YES)
    round_(YES)
    assert generation.worker_standing(ctx, writer).generation_successes_to_unlock == 1
    round_(NO)  # a failure resets the streak
    assert generation.worker_standing(ctx, writer).generation_successes_to_unlock == 3
    round_(YES)
    round_(YES)
    assert ledger.balances(ctx, writer).locked == 50 * CREDIT
    assert "1 more accepted" in generation.worker_standing(ctx, writer).explanation
    balances = ledger.balances(ctx, writer)
    assert balances.available + balances.staked + balances.locked == 500 * CREDIT  # no forfeit


def test_generator_unlocks_after_the_third_success(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent(target=4, **QUICK))
    writer = make_worker(stake=50)
    validators = [make_worker() for _ in range(3)]
    for verdict in (NO, YES, YES, YES):
        write(ctx, writer, campaign_id)
        for validator in validators:
            vote(ctx, validator, campaign_id, verdict)
    state = generation.worker_standing(ctx, writer)
    assert not state.locked
    balances = ledger.balances(ctx, writer)
    assert (balances.staked, balances.locked, balances.pending) == (50 * CREDIT, 0, 3 * 80)
    with pytest.raises(RuleViolation, match="pending"):  # bonded while pay is pending
        ledger.unstake(ctx, writer, 50 * CREDIT)
    campaigns.close(ctx, requester, campaign_id)
    ledger.unstake(ctx, writer, 50 * CREDIT)  # withdrawable again


def test_dissenting_validator_is_locked_until_three_agreeing_votes(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent(target=4, **QUICK))
    writer = make_worker()
    honest = [make_worker() for _ in range(3)]
    odd_one = make_worker(stake=60)
    for number, odd_verdict in enumerate((NO, YES, YES, YES)):
        write(ctx, writer, campaign_id)
        for validator in honest[:2]:
            vote(ctx, validator, campaign_id, YES)
        vote(ctx, odd_one, campaign_id, odd_verdict)
        if odd_verdict is NO:  # 2–1 is not confident yet: a fourth vote decides
            vote(ctx, honest[2], campaign_id, YES)
        state = generation.worker_standing(ctx, odd_one)
        if number < 3:
            assert state.validation_locked
            assert state.validation_successes_to_unlock == 3 - number
            assert ledger.balances(ctx, odd_one).locked == 60 * CREDIT
    assert not generation.worker_standing(ctx, odd_one).locked
    assert ledger.balances(ctx, odd_one).staked == 60 * CREDIT
    assert ledger.balances(ctx, odd_one).pending == 4 * 20  # the dissenting vote paid too


def test_a_spec_that_sets_forfeit_on_repeat_failure_is_refused(
    ctx: Context, requester: Principal
) -> None:
    with pytest.raises(SpecInvalid, match=r"replaced by mechanism\.fine_multiplier"):
        tiny_spec(forfeit_on_repeat_failure=True)


def test_stake_stays_bonded_while_answers_await_validation(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent())
    writer = make_worker(stake=50)
    write(ctx, writer, campaign_id)
    with pytest.raises(RuleViolation, match="awaiting validation"):
        ledger.unstake(ctx, writer, 50 * CREDIT)


# --- expiry, pause, close ----------------------------------------------------------------------


def test_expired_offers_are_redrawn(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent(offer_ttl_seconds=60))
    first = make_worker()
    offer = next_of_kind(ctx, first, "write", campaign_id)
    clock.advance(seconds=61)
    with pytest.raises(Conflict, match="expired"):
        generation.submit_query(ctx, first, offer.id, "switch on the lights please now")
    again = offers.next_offer(ctx, first, campaign_id)
    assert again is not None and again.id != offer.id


def test_pause_withdraws_open_offers_and_close_settles_pending_queries(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent(target=2))
    writer, validator = make_worker(), make_worker()
    write(ctx, writer, campaign_id)
    vote(ctx, validator, campaign_id, YES)  # one of three votes
    held, holder = None, writer
    for holder in itertools.islice(itertools.cycle((writer, validator)), 60):
        held = offers.next_offer(ctx, holder, campaign_id)  # each ask is a draw
        if held is not None:
            break
    assert held is not None
    campaigns.pause(ctx, requester, campaign_id)
    with pytest.raises(Conflict):
        offers.accept_offer(ctx, holder, held.id)
    assert offers.next_offer(ctx, holder, campaign_id) is None
    funded = campaigns.get_campaign(ctx, requester, campaign_id).escrow_funded
    campaigns.close(ctx, requester, campaign_id)
    state = campaigns.progress(ctx, requester, campaign_id)
    assert state.intents[0].unvalidated == 1  # undecided at close: paid, but not exported
    assert ledger.balances(ctx, writer).available == 450 * CREDIT + 80  # released at close
    assert ledger.balances(ctx, writer).pending == 0
    assert ledger.balances(ctx, validator).available == 450 * CREDIT + 20
    assert state.paid_to_workers + state.fees + state.refunded == funded
    assert state.escrow_left == 0
    assert campaigns.accepted_queries(ctx, requester, campaign_id) == []


def test_top_up_when_funds_run_short(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    # a requester sure every query passes (prior 0.99) and at most 3 votes: 3 "no" leave the
    # query unvalidated at the maximum, its writer paid; the escrow then holds nothing more
    campaign_id = launched(
        ctx,
        requester,
        **one_intent(
            target=1, expected_acceptance=1, mechanism={"control_share": 0, "max_votes": 3}
        ),
    )
    writer, *validators = (make_worker() for _ in range(4))
    write(ctx, writer, campaign_id)
    for validator in validators:
        vote(ctx, validator, campaign_id, NO)
    state = campaigns.progress(ctx, requester, campaign_id)
    assert state.funds_short and state.intents[0].accepted == 0
    assert state.intents[0].unvalidated == 1
    assert offers.next_offer(ctx, writer, campaign_id) is None
    campaigns.top_up(ctx, requester, campaign_id, 500, idempotency_key="more")
    replay = campaigns.top_up(ctx, requester, campaign_id, 500, idempotency_key="more")
    assert replay.escrow_funded == campaigns.get_campaign(ctx, requester, campaign_id).escrow_funded
    assert not campaigns.progress(ctx, requester, campaign_id).funds_short
    held = [offers.next_offer(ctx, w, campaign_id) for w in (writer, *validators)]
    assert [o.kind for o in held if o is not None] == ["write"]  # work flows again


def test_blacklisting_sends_accepted_queries_back_to_other_validators(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent(target=1, **QUICK))
    writer = make_worker()
    first_round = [make_worker() for _ in range(3)]
    write(ctx, writer, campaign_id)
    for validator in first_round:
        vote(ctx, validator, campaign_id, YES)
    paid = ledger.balances(ctx, writer).pending
    pseudonym = campaigns.accepted_queries(ctx, requester, campaign_id)[0].worker
    assert campaigns.blacklist(ctx, requester, campaign_id, pseudonym) == 1
    assert offers.next_offer(ctx, writer, campaign_id) is None  # barred
    for validator in first_round:  # already voted on it: never again
        assert offers.next_offer(ctx, validator, campaign_id) is None
    for validator in [make_worker() for _ in range(3)]:
        vote(ctx, validator, campaign_id, NO)
    state = campaigns.progress(ctx, requester, campaign_id)
    assert (state.intents[0].accepted, state.intents[0].rejected) == (0, 1)
    assert ledger.balances(ctx, writer).pending == paid == 80  # not paid twice, not clawed back
    events = [e.kind for e in campaigns.events(ctx, requester, campaign_id)]
    assert "blacklisted" in events
