"""Read models for the dashboards (issue #4): a campaign over time, the flags cross-validation
stored, the campaigns open to workers, a worker's earnings and the operator's list of workers.

Read-only use cases; each runs in one read transaction. The numbers come from the same rows the
use cases of ``campaigns`` and ``generation`` write, so a dashboard never disagrees with them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdset.core.generation.spec import to_minor
from crowdset.core.ledger import AccountKind, OwnerKind, TransactionKind, escrow_account
from crowdset.core.ledger import user_account as user_account_ref
from crowdset.core.permissions import Action, Role, authorize
from crowdset.errors import InvalidInput
from crowdset.services import campaigns as campaign_service
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import spec_of
from crowdset.storage import campaign_store as store
from crowdset.storage.models import (
    CampaignWorker,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    Offer,
    Query,
    User,
    Vote,
)

# --- a campaign over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    """Totals up to ``at``: queries submitted (past the automatic checks), accepted and
    rejected by the validators, and credits paid out of escrow (workers and fees)."""

    at: datetime
    submitted: int
    accepted: int
    rejected: int
    spent: int

    @property
    def acceptance_rate(self) -> float | None:
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None


@dataclass(frozen=True)
class CampaignSeries:
    campaign_id: int
    escrow_funded: int
    points: tuple[SeriesPoint, ...]


def campaign_series(
    ctx: Context, viewer: Principal, campaign_id: int, *, points: int = 48
) -> CampaignSeries:
    """Progress, acceptance and cost from launch (or creation) to close (or now), sampled at
    ``points`` evenly spaced moments."""
    if not 2 <= points <= 1000:
        raise InvalidInput(f"points {points} must be between 2 and 1000", field="points")
    view = campaign_service.get_campaign(ctx, viewer, campaign_id)  # who may see it: one place
    now = ctx.now()

    def work(session: Session) -> CampaignSeries:
        rows = session.execute(
            select(Query.submitted_at, Query.decided_at, Query.status).where(
                Query.campaign_id == campaign_id
            )
        ).all()
        submitted = sorted(at for at, _, _ in rows)
        accepted = sorted(d for _, d, s in rows if s == "accepted" and d is not None)
        rejected = sorted(d for _, d, s in rows if s == "rejected" and d is not None)
        payments = session.execute(
            select(LedgerTransaction.created_at, -LedgerPosting.amount)
            .join(LedgerPosting, LedgerPosting.transaction_seq == LedgerTransaction.seq)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(
                LedgerAccount.key == escrow_account(campaign_id).key,
                LedgerPosting.amount < 0,
                LedgerTransaction.kind == TransactionKind.PAY.value,
            )
            .order_by(LedgerTransaction.seq)
        ).all()
        paid_at = [at for at, _ in payments]
        paid_total = list(accumulate(int(amount) for _, amount in payments))
        start = view.launched_at or view.created_at
        end = view.closed_at or now
        latest = max([*submitted[-1:], *accepted[-1:], *rejected[-1:], *paid_at[-1:], end])
        span = max(latest - start, timedelta(seconds=1))
        moments = [start + span * k / (points - 1) for k in range(points)]

        def spent(at: datetime) -> int:
            index = bisect_right(paid_at, at)
            return paid_total[index - 1] if index else 0

        return CampaignSeries(
            campaign_id=campaign_id,
            escrow_funded=view.escrow_funded,
            points=tuple(
                SeriesPoint(
                    at=at,
                    submitted=bisect_right(submitted, at),
                    accepted=bisect_right(accepted, at),
                    rejected=bisect_right(rejected, at),
                    spent=spent(at),
                )
                for at in moments
            ),
        )

    return ctx.db.run(work, readonly=True)


# --- flags stored by the last cross-validation ------------------------------------------------


@dataclass(frozen=True)
class StoredFlag:
    """An accepted query the last cross-validation run disputed, still awaiting review."""

    query_id: int
    text: str
    intent: str
    predicted_intent: str
    probability: float
    worker: str  # pseudonymous id


def stored_flags(ctx: Context, viewer: Principal, campaign_id: int) -> list[StoredFlag]:
    """The flags ``campaigns.cross_validation`` stored on accepted queries, most confident
    first."""
    campaign_service.get_campaign(ctx, viewer, campaign_id)

    def work(session: Session) -> list[StoredFlag]:
        rows = session.execute(
            select(Query, User.pseudonym)
            .join(User, User.id == Query.worker_id)
            .where(
                Query.campaign_id == campaign_id,
                Query.status == "accepted",
                Query.flagged_intent.is_not(None),
            )
            .order_by(Query.flag_probability.desc(), Query.id)
        ).all()
        return [
            StoredFlag(
                query_id=query.id,
                text=query.text,
                intent=query.intent,
                predicted_intent=str(query.flagged_intent),
                probability=float(query.flag_probability or 0.0),
                worker=str(pseudonym),
            )
            for query, pseudonym in rows
        ]

    return ctx.db.run(work, readonly=True)


# --- what workers may take part in ------------------------------------------------------------


@dataclass(frozen=True)
class OpenCampaign:
    """A running campaign as anyone may see it: what it asks for and what it pays."""

    id: int
    name: str
    language: str
    intents: tuple[tuple[str, str], ...]  # (name, description)
    per_query: int
    per_vote: int
    seconds_per_query: int
    min_stake: int
    accepted: int
    target: int

    @property
    def hourly_for_queries(self) -> int:
        """What writing pays per hour at the campaign's expected pace, in minor units."""
        return self.per_query * 3600 // self.seconds_per_query


def open_campaigns(ctx: Context) -> list[OpenCampaign]:
    """Running campaigns, oldest first (the landing page and the worker's "get work" page)."""
    decimals = ctx.settings.currency_decimals
    minor_per_unit = ctx.settings.minor_per_unit

    def work(session: Session) -> list[OpenCampaign]:
        found = []
        for campaign in store.campaigns(session, status="running"):
            spec = spec_of(campaign)
            counts = store.status_counts(session, campaign.id)
            found.append(
                OpenCampaign(
                    id=campaign.id,
                    name=campaign.name,
                    language=spec.language,
                    intents=tuple((i.name, i.description) for i in spec.intents),
                    per_query=to_minor(spec.prices.per_query, decimals, "prices.per_query"),
                    per_vote=to_minor(spec.prices.per_vote, decimals, "prices.per_vote"),
                    seconds_per_query=spec.seconds_per_query,
                    min_stake=int(spec.min_stake * minor_per_unit),  # as offers are drawn
                    accepted=sum(n for (_, status), n in counts.items() if status == "accepted"),
                    target=spec.total_target,
                )
            )
        return found

    return ctx.db.run(work, readonly=True)


# --- a worker's earnings ----------------------------------------------------------------------


@dataclass(frozen=True)
class Earnings:
    """What a worker earned and the hourly rate it makes.

    Time worked is measured by the server: from taking each finished offer (or from its offer,
    when it was answered without being taken first) to answering it. Refused attempts count
    as time worked: the rate is what the worker really makes.
    """

    earned: int  # minor units paid from campaign escrows
    queries_written: int
    queries_accepted: int
    queries_rejected: int
    votes_cast: int
    votes_agreed: int
    seconds_worked: float
    fair_hourly_wage: int  # minor units per hour

    @property
    def hourly_rate(self) -> int | None:
        """Minor units per hour, or ``None`` before any time was worked."""
        if self.seconds_worked <= 0:
            return None
        return round(self.earned * 3600 / self.seconds_worked)


def worker_earnings(ctx: Context, worker_id: int) -> Earnings:
    def work(session: Session) -> Earnings:
        earned = session.execute(
            select(func.coalesce(func.sum(LedgerPosting.amount), 0))
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .join(LedgerTransaction, LedgerTransaction.seq == LedgerPosting.transaction_seq)
            .where(
                LedgerAccount.key == user_account_ref(worker_id, AccountKind.AVAILABLE).key,
                LedgerTransaction.kind == TransactionKind.PAY.value,
                LedgerPosting.amount > 0,
            )
        ).scalar_one()
        offers = session.execute(
            select(Offer.created_at, Offer.accepted_at, Offer.finished_at).where(
                Offer.worker_id == worker_id, Offer.status == "done"
            )
        ).all()
        seconds = sum(
            max(0.0, (finished - (taken or offered)).total_seconds())
            for offered, taken, finished in offers
            if finished is not None
        )
        statuses = Counter(
            dict(
                session.execute(
                    select(Query.status, func.count())
                    .where(Query.worker_id == worker_id)
                    .group_by(Query.status)
                ).all()
            )
        )
        votes = session.execute(
            select(Vote.agreed, func.count())
            .where(Vote.worker_id == worker_id)
            .group_by(Vote.agreed)
        ).all()
        settings = ctx.settings
        return Earnings(
            earned=int(earned),
            queries_written=sum(int(n) for n in statuses.values()),
            queries_accepted=int(statuses["accepted"]),
            queries_rejected=int(statuses["rejected"]),
            votes_cast=sum(int(n) for _, n in votes),
            votes_agreed=sum(int(n) for agreed, n in votes if agreed),
            seconds_worked=seconds,
            fair_hourly_wage=settings.fair_hourly_wage * settings.minor_per_unit,
        )

    return ctx.db.run(work, readonly=True)


# --- the operator's list of workers -----------------------------------------------------------


@dataclass(frozen=True)
class WorkerRow:
    """One worker as the operator sees them: money, track record and flags."""

    id: int
    email: str
    display_name: str
    pseudonym: str
    is_active: bool
    available: int
    staked: int
    locked: int
    queries_accepted: int
    queries_rejected: int
    flagged: int  # accepted queries the last cross-validation of their campaign disputed
    blacklisted_in: tuple[int, ...]  # campaign ids


def worker_overview(ctx: Context, viewer: Principal) -> list[WorkerRow]:
    authorize(viewer.role, Action.READ_ANY_ACCOUNT)

    def work(session: Session) -> list[WorkerRow]:
        workers = list(
            session.execute(
                select(User).where(User.role == Role.WORKER.value).order_by(User.id)
            ).scalars()
        )
        balances: dict[int, dict[str, int]] = defaultdict(dict)
        for owner_id, kind, balance in session.execute(
            select(LedgerAccount.owner_id, LedgerAccount.kind, LedgerAccount.balance).where(
                LedgerAccount.owner_kind == OwnerKind.USER.value,
                LedgerAccount.owner_id.is_not(None),
            )
        ).all():
            balances[int(owner_id or 0)][str(kind)] = int(balance)
        statuses: dict[int, Counter[str]] = defaultdict(Counter)
        for worker_id, status, count in session.execute(
            select(Query.worker_id, Query.status, func.count()).group_by(
                Query.worker_id, Query.status
            )
        ).all():
            statuses[int(worker_id)][str(status)] = int(count)
        flagged = dict(
            session.execute(
                select(Query.worker_id, func.count())
                .where(Query.status == "accepted", Query.flagged_intent.is_not(None))
                .group_by(Query.worker_id)
            ).all()
        )
        barred: dict[int, list[int]] = defaultdict(list)
        for campaign_id, worker_id in session.execute(
            select(CampaignWorker.campaign_id, CampaignWorker.worker_id)
            .where(CampaignWorker.blacklisted.is_(True))
            .order_by(CampaignWorker.campaign_id)
        ).all():
            barred[int(worker_id)].append(int(campaign_id))
        return [
            WorkerRow(
                id=user.id,
                email=user.email,
                display_name=user.display_name,
                pseudonym=user.pseudonym,
                is_active=user.is_active,
                available=balances[user.id].get(AccountKind.AVAILABLE.value, 0),
                staked=balances[user.id].get(AccountKind.STAKED.value, 0),
                locked=balances[user.id].get(AccountKind.LOCKED.value, 0),
                queries_accepted=statuses[user.id]["accepted"],
                queries_rejected=statuses[user.id]["rejected"],
                flagged=int(flagged.get(user.id, 0)),
                blacklisted_in=tuple(barred[user.id]),
            )
            for user in workers
        ]

    return ctx.db.run(work, readonly=True)
