"""Votes, decisions and what they do to workers in a generation campaign (SPEC §2, §6), inside
the caller's unit of work.

**A vote is paid when it is cast, every vote, into ``pending``** (controls included, so pay
tells a validator nothing). SPEC §1's seed paid only votes that agree with the majority; tried
as an attacker, that rule pays a lazy validator for the base rate: when 80% of queries pass,
always-yes agrees 80% of the time and earned 8× the honest hourly pay, while honest
validators lose pay on every honest dissent. Paying every vote removes the reason to guess the
majority; what stops lazy and random validators is the evidence of SPEC §6: ``control_share``
of vote offers are controls, half known-good and half known-bad, on which a validator who
ignores the query scores 0.5 whatever the acceptance rate, so their posterior falls below the
bar, they are revoked, every pending vote is clawed back and ``fine_multiplier`` × what they
earned is fined from their stake. An honest validator at 5% error sits near 0.95 and is released.

**A validator's posterior comes from controls and class-balanced decisions.** Plain agreement
with decisions rewards the base rate (an always-yes validator agrees with 80% of decisions,
which kept its posterior near 0.75, above a bar of 0.7). Judged against the other votes and
weighted class-balanced (``_judge_voters``), guessing the common verdict scores 1/2 whatever
the acceptance rate, while a validator who knows the controls and votes at random on the rest
is caught by decisions.

**Decisions are quality-weighted** (SPEC §6.2): each vote counts ``±log(p / (1 − p))`` with
``p`` the validator's evidence on the vote track under a flat prior
(``core.mechanism.decision_accuracy``: nobody weighs before a check; a campaign without
controls weighs the track's posterior mean), the prior is the campaign's
``expected_acceptance``; a query is decided once its posterior reaches
``mechanism.decision_confidence`` with at least ``validators_per_query`` votes, else it gets one
more vote, up to ``mechanism.max_votes``. Undecided at the maximum (or at close) it is
**unvalidated**: kept out of the data, its writer paid (into pending: a writer revoked later
still loses it) and nobody judged on it — a contested query is no evidence against anyone.

**The writer is judged on the decision**: accepted = correct. The evidence counts as a control
(weight 1, may revoke) when the validators released on controls (lower bound above the vote
track's bar) reach the same confident decision on their own; otherwise as a decision (weight
0.5, never revokes alone). A refused query adds what its votes cost to the writer's cost of
failures, the floor of their fine, so a cheat whose every answer is refused still pays for
catching them.

**Revocation** (SPEC §6.4) ends the track in the campaign: open offers of that kind are
withdrawn; a revoked validator's votes on undecided queries no longer count (the query gets
another vote offer); a revoked writer's queries still validating are rejected without pay. The
requeued work is the campaign's cost; the clawed-back pay pays for it.

The lock rule of SPEC §1 stays as a withdrawal block only (``core.standing``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from crowdset.core import ledger, standing
from crowdset.core.economics import fee_for
from crowdset.core.generation.spec import CampaignSpec
from crowdset.core.ledger import AccountKind, user_account
from crowdset.core.mechanism import Evidence, Track, Verdict, weighted_verdict
from crowdset.core.mechanism.decisions import Decision
from crowdset.core.mechanism.evidence import balanced_decision_weight
from crowdset.services import mechanism
from crowdset.services.context import Context
from crowdset.services.generation_rules import pricing_of, spec_of
from crowdset.storage import campaign_store as store
from crowdset.storage import ledger_store
from crowdset.storage.models import Campaign, Query, Vote, WorkerStanding

# --- money ------------------------------------------------------------------------------------


def _post(session: Session, ctx: Context, draft: ledger.TransactionDraft) -> None:
    ledger_store.post(session, draft, now=ctx.now(), actor_id=None)


def settle(
    session: Session,
    ctx: Context,
    campaign_id: int,
    payouts: list[tuple[int, int]],
    memo: str,
) -> None:
    """Pay workers from escrow straight into ``available`` in one transaction, with the fee
    on each payment (review packages; generation pay goes through ``mechanism.earn``)."""
    payouts = [(worker, amount) for worker, amount in payouts if amount > 0]
    if not payouts:
        return
    fee = sum(fee_for(amount, ctx.settings.platform_fee_share) for _, amount in payouts)
    _post(session, ctx, ledger.settle(campaign_id, payouts, fee, memo))


# --- the lock rule: a withdrawal block --------------------------------------------------------


def lock_standing(row: WorkerStanding) -> standing.Standing:
    return standing.Standing(
        generation_locked=row.generation_locked,
        generation_streak=row.generation_streak,
        validation_locked=row.validation_locked,
        validation_streak=row.validation_streak,
    )


def _store_standing(row: WorkerStanding, value: standing.Standing) -> None:
    row.generation_locked = value.generation_locked
    row.generation_streak = value.generation_streak
    row.validation_locked = value.validation_locked
    row.validation_streak = value.validation_streak


def _move_stake(
    session: Session, ctx: Context, worker_id: int, move: standing.StakeMove, memo: str
) -> None:
    if move is standing.StakeMove.LOCK:
        staked = ledger_store.balance_of(session, user_account(worker_id, AccountKind.STAKED))
        if staked > 0:
            _post(session, ctx, ledger.lock(worker_id, staked, memo))
    elif move is standing.StakeMove.UNLOCK:
        locked = ledger_store.balance_of(session, user_account(worker_id, AccountKind.LOCKED))
        if locked > 0:
            _post(session, ctx, ledger.unlock(worker_id, locked, memo))


def record_outcome(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    worker_id: int,
    track: standing.Track,
    *,
    success: bool,
    memo: str,
) -> None:
    """Apply one outcome to the worker's lock standing and campaign counters."""
    row = store.standing(session, worker_id)
    before = lock_standing(row)
    if success:
        outcome = standing.record_success(before, track)
    else:
        outcome = standing.record_failure(before, track)
    _store_standing(row, outcome.standing)
    _move_stake(session, ctx, worker_id, outcome.move, memo)
    member = store.campaign_worker(session, campaign.id, worker_id)
    if member is not None:
        if success:
            member.successes += 1
        else:
            member.failures += 1


# --- revocation -------------------------------------------------------------------------------


def on_revoked(
    session: Session, ctx: Context, campaign: Campaign, worker_id: int, track: Track
) -> None:
    """What revocation does to the worker's work in the campaign (the money is
    ``mechanism.revoke``'s): offers of the track withdrawn, counted votes dropped, queries
    still validating rejected without pay."""
    now = ctx.now()
    kind = "vote" if track is Track.VOTE else "write"
    store.withdraw_offers(session, campaign.id, now, worker_id=worker_id, kind=kind)
    if track is Track.VOTE:
        for vote in store.counted_votes_of(session, campaign.id, worker_id):
            vote.round = 0  # counts in no round: the query gets another vote offer
    else:
        for query in store.queries(session, campaign.id, status="validating", worker_id=worker_id):
            query.status, query.decided_at = "rejected", now
    session.flush()


# --- controls ---------------------------------------------------------------------------------


def answer_control(
    session: Session, ctx: Context, campaign: Campaign, query: Query, vote: Vote
) -> mechanism.Observation:
    """A vote on a control (SPEC §6.1): paid like any vote, evidence on the vote track. The
    vote is kept in no round (``round`` 0), so it never counts toward the query's tallies."""
    spec = spec_of(campaign)
    correct = vote.valid == (query.control == "good")
    vote.round, vote.agreed = 0, correct
    query.control_views += 1
    mechanism.earn(
        session,
        ctx,
        campaign.id,
        Track.VOTE,
        [(vote.worker_id, pricing_of(ctx, spec).per_vote)],
        f"campaign {campaign.id} vote on query {query.id}",
    )
    observed = mechanism.observe(
        session,
        ctx,
        campaign,
        spec.mechanism,
        Track.VOTE,
        vote.worker_id,
        correct=correct,
        evidence=Evidence.CONTROL,
    )
    record_outcome(
        session,
        ctx,
        campaign,
        vote.worker_id,
        standing.Track.VALIDATION,
        success=correct,
        memo=f"lock rule: vote on campaign {campaign.id} query {query.id}",
    )
    if observed.revoked_now:
        on_revoked(session, ctx, campaign, vote.worker_id, Track.VOTE)
    return observed


def pay_vote(session: Session, ctx: Context, campaign: Campaign, query: Query, vote: Vote) -> None:
    """Every vote on a query in validation is paid when cast, into pending."""
    mechanism.earn(
        session,
        ctx,
        campaign.id,
        Track.VOTE,
        [(vote.worker_id, pricing_of(ctx, spec_of(campaign)).per_vote)],
        f"campaign {campaign.id} vote on query {query.id}",
    )


# --- deciding a query -------------------------------------------------------------------------


def verdict_of(
    spec: CampaignSpec, votes: Sequence[tuple[bool, float]], *, min_votes: int | None = None
) -> Decision:
    """The quality-weighted verdict on ``votes`` = (says good?, validator accuracy)."""
    mech = spec.mechanism
    least = spec.validators_per_query if min_votes is None else min_votes
    prior = min(max(spec.expected_acceptance, 0.01), 0.99)
    return weighted_verdict(
        votes,
        prior_good=prior,
        target=mech.decision_confidence,
        min_votes=least,
        max_votes=max(mech.max_votes, least),
    )


def decide(
    session: Session, ctx: Context, campaign: Campaign, query: Query, *, closing: bool = False
) -> None:
    """Decide the query if its weighted votes are confident (see the module docstring); at
    close, an undecided query is left ``unvalidated``."""
    spec = spec_of(campaign)
    prices = pricing_of(ctx, spec)
    votes = store.votes(session, query.id, query.round)
    voters = [vote.worker_id for vote in votes]
    accuracy = mechanism.decision_accuracies(
        session, campaign.id, spec.mechanism, Track.VOTE, voters
    )
    decision = verdict_of(spec, [(vote.valid, accuracy[vote.worker_id]) for vote in votes])
    now = ctx.now()
    memo = f"campaign {campaign.id} query {query.id}"
    if decision.verdict is Verdict.UNDECIDED and not closing:
        return
    if decision.verdict in (Verdict.UNDECIDED, Verdict.UNSETTLED):
        query.status, query.decided_at = "unvalidated", now
        _pay_writer(session, ctx, campaign, query, prices.per_query, f"{memo} unvalidated")
        return
    accepted = decision.verdict is Verdict.ACCEPT
    query.status, query.decided_at = ("accepted" if accepted else "rejected"), now
    if accepted:
        _pay_writer(session, ctx, campaign, query, prices.per_query, f"{memo} accepted")
        if _unanimous_by_established(session, campaign, spec, votes):
            query.control = "good"  # a known-good control from now on
    for vote in votes:
        vote.agreed = vote.valid == accepted
    _judge_voters(session, ctx, campaign, spec, votes, accuracy)
    observed = mechanism.observe(
        session,
        ctx,
        campaign,
        spec.mechanism,
        Track.WRITE,
        query.worker_id,
        correct=accepted,
        # a flagged answer (pasted, too fast) that validators reject is confirmed: a failure
        # at a control's weight (SPEC §6.7)
        evidence=Evidence.CONTROL
        if query.answer_flags and not accepted
        else _grade(session, campaign, spec, votes, accuracy, decision.verdict),
        failure_cost=prices.vote_exposure(len(votes)),
    )
    if observed.revoked_now:
        on_revoked(session, ctx, campaign, query.worker_id, Track.WRITE)
    record_outcome(
        session,
        ctx,
        campaign,
        query.worker_id,
        standing.Track.GENERATION,
        success=accepted,
        memo=f"lock rule: {memo} {query.status}",
    )
    for vote in votes:
        record_outcome(
            session,
            ctx,
            campaign,
            vote.worker_id,
            standing.Track.VALIDATION,
            success=bool(vote.agreed),
            memo=f"lock rule: vote on {memo}",
        )


def _pay_writer(
    session: Session, ctx: Context, campaign: Campaign, query: Query, price: int, memo: str
) -> None:
    if query.paid:
        return
    mechanism.earn(session, ctx, campaign.id, Track.WRITE, [(query.worker_id, price)], memo)
    query.paid = True


def _established_voters(
    session: Session, campaign: Campaign, spec: CampaignSpec, votes: Sequence[Vote]
) -> set[int]:
    """The validators among ``votes`` whose quality on the vote track is established, on
    controls and on their decided votes (``core.mechanism.is_established``): a validator who
    answers controls right and votes at random on the rest vouches for nothing."""
    return mechanism.established(
        session, campaign.id, spec.mechanism, Track.VOTE, sorted({v.worker_id for v in votes})
    )


def _vetted_voters(
    session: Session, campaign: Campaign, spec: CampaignSpec, votes: Sequence[Vote]
) -> set[int]:
    """The validators among ``votes`` whose quality rests on controls: their lower bound
    clears the vote track's bar (``mechanism.released``). A ring member fails half its
    controls and never gets there; a verdict they share vouches for nothing."""
    return mechanism.released(
        session, campaign.id, spec.mechanism, Track.VOTE, sorted({v.worker_id for v in votes})
    )


def _unanimous_by_established(
    session: Session, campaign: Campaign, spec: CampaignSpec, votes: Sequence[Vote]
) -> bool:
    """Does an accepted query become a known-good control? Only when at least
    ``validators_per_query`` votes said yes and every voter is established: a ring that
    accepts its own junk must not also turn it into the answer key."""
    if len(votes) < spec.validators_per_query or not all(vote.valid for vote in votes):
        return False
    return _established_voters(session, campaign, spec, votes) == {v.worker_id for v in votes}


def _grade(
    session: Session,
    campaign: Campaign,
    spec: CampaignSpec,
    votes: Sequence[Vote],
    accuracy: dict[int, float],
    verdict: Verdict,
) -> Evidence:
    """``CONTROL`` when the validators released on controls reach the same confident verdict
    on their own (SPEC §6.1: decisions made by workers whose own quality was established on
    controls); ``DECISION`` otherwise."""
    trusted = _vetted_voters(session, campaign, spec, votes)
    vetted = [(vote.valid, accuracy[vote.worker_id]) for vote in votes if vote.worker_id in trusted]
    if vetted and verdict_of(spec, vetted, min_votes=1).verdict is verdict:
        return Evidence.CONTROL
    return Evidence.DECISION


def _acceptance_share(session: Session, campaign: Campaign) -> float:
    """The campaign's share of accepted among the queries its votes decided (add-one
    smoothed): the class balance that makes guessing the common verdict score 1/2 here."""
    accepted, rejected = store.decided_by_votes(session, campaign.id)
    return (accepted + 1) / (accepted + rejected + 2)


def _judge_voters(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: CampaignSpec,
    votes: Sequence[Vote],
    accuracy: dict[int, float],
) -> None:
    """Each vote of a decided query is evidence on its validator's vote track, judged against
    the verdict of the **other** votes when that verdict is confident (a vote that blocked a
    rejection is not judged by the verdict it blocked), weighted class-balanced
    (``core.mechanism.evidence.balanced_decision_weight``, with the campaign's own share of
    accepted queries): agreeing with the common verdict earns no credit for guessing the base
    rate, so an always-yes or a random validator scores 1/2 either way, and a validator who
    answers controls right and the rest at random (a control oracle) is caught by decisions.
    A verdict that validators vetted on controls reach on their own counts as a control."""
    trusted = _vetted_voters(session, campaign, spec, votes)
    prior = _acceptance_share(session, campaign)
    for vote in votes:
        others = [
            (other.valid, accuracy[other.worker_id])
            for other in votes
            if other.worker_id != vote.worker_id
        ]
        verdict = verdict_of(spec, others, min_votes=1).verdict if others else Verdict.UNDECIDED
        if verdict not in (Verdict.ACCEPT, Verdict.REJECT):
            continue
        vetted_votes = [
            (other.valid, accuracy[other.worker_id])
            for other in votes
            if other.worker_id != vote.worker_id and other.worker_id in trusted
        ]
        vetted = (
            bool(vetted_votes) and verdict_of(spec, vetted_votes, min_votes=1).verdict is verdict
        )
        decided_good = verdict is Verdict.ACCEPT
        observed = mechanism.observe(
            session,
            ctx,
            campaign,
            spec.mechanism,
            Track.VOTE,
            vote.worker_id,
            correct=vote.valid == decided_good,
            evidence=Evidence.DECISION,
            weight=balanced_decision_weight(decided_good, prior, vetted=vetted),
        )
        if observed.revoked_now:
            on_revoked(session, ctx, campaign, vote.worker_id, Track.VOTE)
