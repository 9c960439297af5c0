"""Campaign use cases (SPEC §1–§2): create, estimate, launch, pause, resume, close, progress,
export, cross-validation flags and blacklisting.

A campaign belongs to the requester who created it; operators see every campaign. Anyone else
gets "not found", so campaign ids leak nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from crowdset.core import ledger
from crowdset.core.economics import fee_for
from crowdset.core.generation.crossval import CrossValidationReport, cross_validate
from crowdset.core.generation.model import AnnotatedQuery
from crowdset.core.generation.plan import Estimate, estimate
from crowdset.core.generation.spec import CampaignSpec
from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.judging import LabelingEstimate, labeling_estimate, mechanism_of
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.ledger import AccountKind, escrow_account, user_account
from crowdset.core.mechanism.newcomers import onboarding_reserve
from crowdset.core.money import format_amount
from crowdset.core.permissions import Action, Role, authorize
from crowdset.errors import Conflict, InsufficientFunds, InvalidInput, NotFound
from crowdset.services import generation, labeling, mechanism, newcomers, review
from crowdset.services import ledger as ledger_service
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import (
    decide,
    free_escrow,
    pricing_of,
    spans_of,
    spec_digest,
)
from crowdset.storage import campaign_store as store
from crowdset.storage import labeling_store, ledger_store, users_store
from crowdset.storage.models import Campaign

TRANSITIONS = {
    "launch": ("draft",),
    "accept_pilot": ("pilot",),
    "pause": ("running",),
    "resume": ("paused",),
    "close": ("draft", "pilot", "running", "paused"),
}
PAST = {
    "launch": "launched",
    "accept_pilot": "moved past its pilot",
    "pause": "paused",
    "resume": "resumed",
    "close": "closed",
}
AnySpec = CampaignSpec | LabelingSpec


@dataclass(frozen=True)
class CampaignView:
    id: int
    name: str
    kind: str
    status: str
    requester_id: int
    created_at: datetime
    launched_at: datetime | None
    closed_at: datetime | None
    escrow_funded: int
    spec: AnySpec


def spec_of(campaign: Campaign) -> AnySpec:
    """The campaign's spec, whatever its kind."""
    if campaign.kind in labeling.LABELING_KINDS:
        return labeling.spec_of(campaign)
    return generation.spec_of(campaign)


def generation_spec(campaign: Campaign | CampaignView, what: str) -> CampaignSpec:
    """The spec of a generation campaign; a labeling campaign is refused, naming where its
    ``what`` is instead."""
    if campaign.kind in labeling.LABELING_KINDS:
        raise InvalidInput(
            f"campaign {campaign.id} is a {campaign.kind} campaign: its {what} is in its "
            "labeling report and results (crowdset campaign report / results)",
            campaign_id=campaign.id,
        )
    if isinstance(campaign, CampaignView):
        assert isinstance(campaign.spec, CampaignSpec)
        return campaign.spec
    return generation.spec_of(campaign)


def _view(campaign: Campaign) -> CampaignView:
    return CampaignView(
        id=campaign.id,
        name=campaign.name,
        kind=campaign.kind,
        status=campaign.status,
        requester_id=campaign.requester_id,
        created_at=campaign.created_at,
        launched_at=campaign.launched_at,
        closed_at=campaign.closed_at,
        escrow_funded=campaign.escrow_funded,
        spec=spec_of(campaign),
    )


def _visible(
    session: Session, viewer: Principal, campaign_id: int, *, for_update: bool = False
) -> Campaign:
    campaign = store.campaign(session, campaign_id, for_update=for_update)
    if viewer.role is not Role.OPERATOR and campaign.requester_id != viewer.user_id:
        raise NotFound(f"no campaign has id {campaign_id}", campaign_id=campaign_id)
    return campaign


def estimate_cost(ctx: Context, spec: CampaignSpec) -> Estimate:
    """What launching would move into escrow; refuses an under-priced spec with the floor."""
    return estimate(spec, pricing_of(ctx, spec))


def estimate_labeling_cost(ctx: Context, spec: LabelingSpec, items: int) -> LabelingEstimate:
    """What launching a labeling campaign of ``items`` items (gold not counted) would move
    into escrow: every item at its maximum overlap, plus the gold share; for a review, SPEC §4's
    budget (``W`` × the fair price per minute) with the platform fee on it."""
    if spec.review is None:
        settings = ctx.settings
        onboarding = onboarding_reserve(
            spec.onboarding,
            paid_at_most=newcomers.paid_at_most(spec),
            fair_hourly_wage=settings.fair_hourly_wage,
            minor_per_unit=settings.minor_per_unit,
            fee_share=settings.platform_fee_share,
        )
        return labeling_estimate(spec, items, labeling.pricing_of(ctx, spec), onboarding=onboarding)
    found = review.review_estimate(ctx, spec, items)
    fee = fee_for(found.budget, ctx.settings.platform_fee_share)
    return LabelingEstimate(
        items=items,
        judgments=spec.review.reviewers * items,
        gold_judgments=found.ratings - spec.review.reviewers * items,
        work=found.budget,
        fee=fee,
        total=found.budget + fee,
        worker_minutes=float(found.workload_minutes),
    )


def create_campaign(
    ctx: Context, viewer: Principal, spec: AnySpec, items: list[ItemRow] | None = None
) -> CampaignView:
    """A draft campaign. Prices are checked against the fair-wage floor now and at launch.

    A labeling campaign (``classify``, ``rate``) comes with its items, stored in the same
    transaction: a failed import leaves nothing behind."""
    authorize(viewer.role, Action.RUN_CAMPAIGNS)
    if isinstance(spec, LabelingSpec):
        labeling.pricing_of(ctx, spec)
        if not items:
            raise InvalidInput(
                f"a {spec.type} campaign needs its items (a CSV, JSONL or Parquet file)",
                field="items",
            )
    else:
        pricing_of(ctx, spec)
        if items:
            raise InvalidInput("a generation campaign takes no items file", field="items")

    document = spec.model_dump(mode="json")

    def work(session: Session) -> CampaignView:
        campaign = Campaign(
            requester_id=viewer.user_id,
            name=spec.name,
            kind=spec.type,
            status="draft",
            spec=document,
            spec_digest=spec_digest(document),
            escrow_funded=0,
            created_at=ctx.now(),
        )
        session.add(campaign)
        session.flush()
        detail: dict[str, object] = {}
        if items:
            labeling.add_items(session, campaign.id, items)
            detail = {"items": len(items), "gold": sum(i.gold is not None for i in items)}
        store.add_event(
            session, campaign.id, "created", at=ctx.now(), actor_id=viewer.user_id, detail=detail
        )
        return _view(campaign)

    return ctx.db.run(work)


def get_campaign(ctx: Context, viewer: Principal, campaign_id: int) -> CampaignView:
    return ctx.db.run(lambda s: _view(_visible(s, viewer, campaign_id)), readonly=True)


def list_campaigns(
    ctx: Context,
    viewer: Principal,
    *,
    status: str | None = None,
    name_contains: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[CampaignView]:
    """The viewer's campaigns (an operator's: all) in id order, in one ``status``, whose name
    contains ``name_contains`` (any case); ``limit`` of them with an id above ``after``."""
    authorize(viewer.role, Action.RUN_CAMPAIGNS)
    mine = None if viewer.role is Role.OPERATOR else viewer.user_id

    def work(session: Session) -> list[CampaignView]:
        found = store.campaigns(
            session,
            requester_id=mine,
            status=status,
            name_contains=name_contains,
            after=after,
            limit=limit,
        )
        return [_view(c) for c in found]

    return ctx.db.run(work, readonly=True)


def _transition(session: Session, campaign: Campaign, action: str) -> None:
    if campaign.status not in TRANSITIONS[action]:
        allowed = " or ".join(TRANSITIONS[action])
        raise Conflict(
            f"campaign {campaign.id} is {campaign.status}; only a {allowed} campaign can be "
            f"{PAST[action]}",
            campaign_id=campaign.id,
            state=campaign.status,  # not `status`: problem+json keeps that for the HTTP status
        )


def launch(ctx: Context, viewer: Principal, campaign_id: int) -> CampaignView:
    """Check the fair-wage floor, move the estimated cost into escrow, start offering work."""
    authorize(viewer.role, Action.RUN_CAMPAIGNS)

    def work(session: Session) -> CampaignView:
        campaign = _visible(session, viewer, campaign_id, for_update=True)
        _transition(session, campaign, "launch")
        spec = spec_of(campaign)
        if isinstance(spec, LabelingSpec):
            cost: Estimate | LabelingEstimate = estimate_labeling_cost(
                ctx, spec, labeling_store.regular_item_count(session, campaign.id)
            )
        else:
            cost = estimate_cost(ctx, spec)
        available = ledger_store.balance_of(
            session, user_account(campaign.requester_id, AccountKind.AVAILABLE)
        )
        if available < cost.total:
            settings = ctx.settings

            def show(minor: int) -> str:
                return format_amount(minor, settings.currency_decimals, settings.currency_name)

            raise InsufficientFunds(
                f"launching needs {show(cost.total)} in escrow but the requester has "
                f"{show(available)} available; deposit {show(cost.total - available)} more or "
                "lower the targets",
                needed=cost.total,
                available=available,
                shortfall=cost.total - available,
                account=user_account(campaign.requester_id, AccountKind.AVAILABLE).key,
            )
        ledger_store.post(
            session,
            ledger.fund_escrow(campaign.requester_id, campaign.id, cost.total),
            now=ctx.now(),
            actor_id=viewer.user_id,
        )
        piloted = isinstance(spec, LabelingSpec) and spec.pilot is not None
        campaign.status, campaign.launched_at = ("pilot" if piloted else "running"), ctx.now()
        campaign.escrow_funded = cost.total
        store.add_event(
            session,
            campaign.id,
            "launched",
            at=ctx.now(),
            actor_id=viewer.user_id,
            detail={
                "escrow": cost.total,
                **_review_budget(ctx, spec, cost),
                **_required_stake(ctx, spec),
            },
        )
        return _view(campaign)

    return ctx.db.run(work)


def _required_stake(ctx: Context, spec: AnySpec) -> dict[str, object]:
    """A generation campaign's effective minimum stake (SPEC §6.4): the spec's ``min_stake``
    raised, when lower, to the bond that covers the largest fines reachable before revocation;
    workers below it get no offers. Raised rather than refused, so a spec written before the
    mechanism still runs; the launch event records the figure."""
    if isinstance(spec, LabelingSpec):
        return {}
    return {"required_stake": generation.required_stake_of(ctx, spec)}


def _review_budget(
    ctx: Context, spec: AnySpec, cost: Estimate | LabelingEstimate
) -> dict[str, object]:
    """A review's budget, reserve and pool, fixed at launch for the payout at close."""
    if not isinstance(spec, LabelingSpec) or spec.review is None:
        return {}
    assert isinstance(cost, LabelingEstimate)
    found = review.review_estimate(ctx, spec, cost.items)
    return {
        "budget": found.budget,
        "reserve": found.reserve,
        "pool": found.pool,
        "ratings": found.ratings,
    }


def top_up(
    ctx: Context,
    viewer: Principal,
    campaign_id: int,
    amount: int,
    *,
    idempotency_key: str | None = None,
) -> CampaignView:
    """Move more of the requester's credits into a running or paused campaign's escrow, when
    acceptance runs below the estimate and work stops for want of funds."""
    authorize(viewer.role, Action.RUN_CAMPAIGNS)

    def work(session: Session) -> CampaignView:
        campaign = _visible(session, viewer, campaign_id, for_update=True)
        if campaign.status not in ("running", "paused"):
            raise Conflict(
                f"campaign {campaign.id} is {campaign.status}: only a running or paused "
                "campaign takes more escrow",
                campaign_id=campaign.id,
                state=campaign.status,
            )
        posted = ledger_service.post_in(
            session,
            ctx,
            ledger.fund_escrow(campaign.requester_id, campaign.id, amount),
            actor_id=viewer.user_id,
            idempotency_key=idempotency_key,
        )
        if posted.replayed:
            return _view(campaign)
        campaign.escrow_funded += amount
        store.add_event(
            session,
            campaign.id,
            "escrow_topped_up",
            at=ctx.now(),
            actor_id=viewer.user_id,
            detail={"amount": amount},
        )
        return _view(campaign)

    return ctx.db.run(work)


def accept_pilot(ctx: Context, viewer: Principal, campaign_id: int) -> CampaignView:
    """The requester has looked at the pilot's results and lets the campaign scale; the price
    must then clear the fair-wage floor at the pilot's measured median time (SPEC §1)."""
    return _simple(ctx, viewer, campaign_id, "accept_pilot", "running")


def pause(ctx: Context, viewer: Principal, campaign_id: int) -> CampaignView:
    """No new offers; work already accepted may still be submitted."""
    return _simple(ctx, viewer, campaign_id, "pause", "paused")


def resume(ctx: Context, viewer: Principal, campaign_id: int) -> CampaignView:
    return _simple(ctx, viewer, campaign_id, "resume", "running")


def _simple(
    ctx: Context, viewer: Principal, campaign_id: int, action: str, status: str
) -> CampaignView:
    authorize(viewer.role, Action.RUN_CAMPAIGNS)

    def work(session: Session) -> CampaignView:
        campaign = _visible(session, viewer, campaign_id, for_update=True)
        _transition(session, campaign, action)
        if action == "accept_pilot":
            labeling.require_fair_price_after_pilot(session, ctx, campaign)
        campaign.status = status
        if action == "pause":
            store.withdraw_offers(session, campaign.id, ctx.now(), states=("open",))
        event = "pilot_accepted" if action == "accept_pilot" else status
        store.add_event(session, campaign.id, event, at=ctx.now(), actor_id=viewer.user_id)
        return _view(campaign)

    return ctx.db.run(work)


def close(ctx: Context, viewer: Principal, campaign_id: int) -> CampaignView:
    """Withdraw offers, settle the work still open, release pending pay, refund the escrow.

    Each kind settles its own work first (a generation query whose weighted votes are
    confident is decided as usual; one without is ``unvalidated`` and its writer paid, see
    ``generation_decisions.decide``). Then every worker never revoked in the campaign gets
    their pending pay (SPEC §6.3) — one call for every campaign kind — and what is left in
    escrow, clawed-back pay included, goes back to the requester.
    """
    authorize(viewer.role, Action.RUN_CAMPAIGNS)

    def work(session: Session) -> CampaignView:
        campaign = _visible(session, viewer, campaign_id, for_update=True)
        _transition(session, campaign, "close")
        now = ctx.now()
        store.withdraw_offers(session, campaign.id, now)
        if campaign.kind in labeling.LABELING_KINDS:
            labeling.settle_at_close(session, ctx, campaign)
        for query in store.queries(session, campaign.id, status="validating"):
            decide(session, ctx, campaign, query, closing=True)
        settings = (
            mechanism_of(labeling.spec_of(campaign))
            if campaign.kind in labeling.LABELING_KINDS
            else generation.spec_of(campaign).mechanism
        )
        released = mechanism.release_at_close(session, ctx, campaign, settings)
        left = ledger_store.balance_of(session, escrow_account(campaign.id))
        if left > 0:
            ledger_store.post(
                session,
                ledger.refund(campaign.id, campaign.requester_id, left),
                now=now,
                actor_id=viewer.user_id,
            )
        campaign.status, campaign.closed_at = "closed", now
        store.add_event(
            session,
            campaign.id,
            "closed",
            at=now,
            actor_id=viewer.user_id,
            detail={"refund": left, "released": released},
        )
        return _view(campaign)

    return ctx.db.run(work)


@dataclass(frozen=True)
class IntentProgress:
    intent: str
    target: int
    accepted: int
    validating: int
    rejected: int
    unvalidated: int
    refused_by_checks: int

    @property
    def acceptance_rate(self) -> float | None:
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None


@dataclass(frozen=True)
class Progress:
    campaign_id: int
    status: str
    intents: tuple[IntentProgress, ...]
    escrow_funded: int
    escrow_left: int
    paid_to_workers: int
    fees: int
    refunded: int
    open_offers: int
    active_workers: int
    funds_short: bool  # targets not met, and escrow cannot pay for one more query

    @property
    def accepted(self) -> int:
        return sum(i.accepted for i in self.intents)

    @property
    def target(self) -> int:
        return sum(i.target for i in self.intents)

    @property
    def cost_per_accepted(self) -> float | None:
        spent = self.paid_to_workers + self.fees
        return spent / self.accepted if self.accepted else None


def progress(ctx: Context, viewer: Principal, campaign_id: int) -> Progress:
    def work(session: Session) -> Progress:
        campaign = _visible(session, viewer, campaign_id)
        spec = generation_spec(campaign, "progress")
        counts = store.status_counts(session, campaign.id)
        refused = store.refusals_by_intent(session, campaign.id)
        intents = tuple(
            IntentProgress(
                intent=i.name,
                target=i.target,
                accepted=counts.get((i.name, "accepted"), 0),
                validating=counts.get((i.name, "validating"), 0),
                rejected=counts.get((i.name, "rejected"), 0),
                unvalidated=counts.get((i.name, "unvalidated"), 0),
                refused_by_checks=refused.get(i.name, 0),
            )
            for i in spec.intents
        )
        flows = store.escrow_flows(session, campaign.id)
        offers = store.open_offers(session, campaign.id)
        prices = pricing_of(ctx, spec)
        unfinished = any(i.accepted < i.target for i in intents)
        free = free_escrow(session, campaign, prices, offers)
        return Progress(
            campaign_id=campaign.id,
            status=campaign.status,
            intents=intents,
            escrow_funded=campaign.escrow_funded,
            escrow_left=ledger_store.balance_of(session, escrow_account(campaign.id)),
            paid_to_workers=flows.get("workers", 0),
            fees=flows.get("fees", 0),
            refunded=flows.get("refund", 0),
            open_offers=len(offers),
            active_workers=len(Counter(o.worker_id for o in offers)),
            funds_short=campaign.status != "closed" and unfinished and free < prices.query_exposure,
        )

    return ctx.db.run(work, readonly=True)


def _annotated(
    ctx: Context, viewer: Principal, campaign_id: int, statuses: tuple[str, ...]
) -> list[tuple[AnnotatedQuery, str]]:
    def work(session: Session) -> list[tuple[AnnotatedQuery, str]]:
        campaign = _visible(session, viewer, campaign_id)
        rows = store.queries(session, campaign.id, status=statuses)
        pseudonyms = store.pseudonyms(session, {q.worker_id for q in rows})
        tallies = store.vote_tallies(session, [q.id for q in rows])
        return [
            (
                AnnotatedQuery(
                    text=q.text,
                    intent=q.intent,
                    spans=spans_of(q.spans),
                    worker=pseudonyms[q.worker_id],
                    votes_for=tallies.get(q.id, (0, 0))[0],
                    votes_against=tallies.get(q.id, (0, 0))[1],
                    query_id=q.id,
                    answer_flags=tuple(q.answer_flags.split(",")) if q.answer_flags else (),
                ),
                q.status,
            )
            for q in rows
        ]

    return ctx.db.run(work, readonly=True)


def accepted_queries(ctx: Context, viewer: Principal, campaign_id: int) -> list[AnnotatedQuery]:
    """The training set: accepted queries with spans, pseudonymous worker ids and votes."""
    return [query for query, _ in _annotated(ctx, viewer, campaign_id, ("accepted",))]


def submitted_queries(
    ctx: Context, viewer: Principal, campaign_id: int
) -> list[tuple[AnnotatedQuery, str]]:
    """Every query that passed the automatic checks, with its status (accepted, rejected,
    validating, unvalidated): for reviewing what validation turned down."""
    statuses = ("accepted", "rejected", "validating", "unvalidated")
    return _annotated(ctx, viewer, campaign_id, statuses)


def cross_validation(
    ctx: Context, viewer: Principal, campaign_id: int, *, confidence: float | None = None
) -> CrossValidationReport:
    """Run the out-of-fold intent classifier (SPEC §2) and store its flags on the queries."""
    generation_spec(get_campaign(ctx, viewer, campaign_id), "quality review")
    queries = accepted_queries(ctx, viewer, campaign_id)
    report = (
        cross_validate(queries, rng=0)
        if confidence is None
        else cross_validate(queries, confidence=confidence, rng=0)
    )

    def work(session: Session) -> None:
        campaign = _visible(session, viewer, campaign_id)
        flagged = {flag.query_id: flag for flag in report.flagged}
        for query in store.queries(session, campaign.id, status="accepted"):
            flag = flagged.get(query.id)
            query.flagged_intent = flag.predicted_intent if flag else None
            query.flag_probability = flag.probability if flag else None
        store.add_event(
            session,
            campaign.id,
            "cross_validated",
            at=ctx.now(),
            actor_id=viewer.user_id,
            detail={"flagged": len(report.flagged)},
        )

    ctx.db.run(work)
    return report


def blacklist(ctx: Context, viewer: Principal, campaign_id: int, pseudonym: str) -> int:
    """Bar a worker from the campaign and send their accepted queries back to validation by
    other workers (a new round); returns how many went back. Paid queries are not paid twice."""
    authorize(viewer.role, Action.BLACKLIST_WORKERS)

    def work(session: Session) -> int:
        campaign = _visible(session, viewer, campaign_id, for_update=True)
        worker = users_store.user_by_pseudonym(session, pseudonym)
        if worker is None:
            raise NotFound(f"no worker has the id {pseudonym!r}", worker=pseudonym)
        return bar_worker(session, ctx, campaign, worker.id, pseudonym, viewer.user_id)

    return ctx.db.run(work)


def bar_worker(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    worker_id: int,
    pseudonym: str,
    actor_id: int | None,
    detail: dict[str, object] | None = None,
) -> int:
    """``blacklist`` inside the caller's unit of work: the worker gets no more offers of the
    campaign and their accepted queries go back to validation; returns how many went back."""
    now = ctx.now()
    store.touch_worker(session, campaign.id, worker_id, now)
    member = store.campaign_worker(session, campaign.id, worker_id)
    assert member is not None
    member.blacklisted = True
    store.withdraw_offers(session, campaign.id, now, worker_id=worker_id)
    returned = 0
    for query in store.queries(session, campaign.id, status="accepted"):
        if query.worker_id == worker_id:
            query.status, query.round, query.decided_at = "validating", query.round + 1, None
            query.control = None  # no longer known-good
            returned += 1
    store.add_event(
        session,
        campaign.id,
        "blacklisted",
        at=now,
        actor_id=actor_id,
        detail={"worker": pseudonym, "queries_returned": returned, **(detail or {})},
    )
    return returned


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: str
    detail: dict[str, object]
    id: int


def events(
    ctx: Context,
    viewer: Principal,
    campaign_id: int,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[EventView]:
    """The campaign's events in the order they happened; ``limit`` of them past event
    ``after``."""

    def work(session: Session) -> list[EventView]:
        campaign = _visible(session, viewer, campaign_id)
        found = store.events(session, campaign.id, after=after, limit=limit)
        return [EventView(e.at, e.kind, dict(e.detail), e.id) for e in found]

    return ctx.db.run(work, readonly=True)


def owner_of(ctx: Context, campaign_id: int) -> Principal:
    """The requester who owns the campaign (for local tools that act on their behalf)."""

    def work(session: Session) -> Principal:
        campaign = store.campaign(session, campaign_id)
        user = users_store.user_by_id(session, campaign.requester_id)
        assert user is not None
        return Principal(user_id=user.id, role=Role(user.role), email=user.email)

    return ctx.db.run(work, readonly=True)
