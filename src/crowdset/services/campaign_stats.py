"""Read models for the dashboards (issue #4): a campaign over time, the flags cross-validation
stored, the campaigns open to workers, a worker's earnings and the operator's list of workers.

Read-only use cases; each runs in one read transaction. The numbers come from the same rows the
use cases of ``campaigns`` and ``generation`` write, so a dashboard never disagrees with them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from sqlalchemy.orm import Session

from crowdset.core.generation.spec import to_minor
from crowdset.core.ledger import AccountKind
from crowdset.core.permissions import Action, authorize
from crowdset.errors import InvalidInput
from crowdset.services import campaigns as campaign_service
from crowdset.services import labeling
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import spec_of
from crowdset.storage import campaign_store as store
from crowdset.storage import labeling_store, mechanism_store, stats_store

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
        rows = stats_store.query_timeline(session, campaign_id)
        submitted = sorted(at for at, _, _ in rows)
        accepted = sorted(d for _, d, s in rows if s == "accepted" and d is not None)
        rejected = sorted(d for _, d, s in rows if s == "rejected" and d is not None)
        payments = stats_store.escrow_payments(session, campaign_id)
        paid_at = [at for at, _ in payments]
        paid_total = list(accumulate(amount for _, amount in payments))
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
        rows = stats_store.flagged_accepted_queries(session, campaign_id)
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
    """Running generation campaigns, oldest first (the landing page and the worker's "get work"
    page); labeling campaigns are listed with their gates by ``labeling.labeling_campaigns``."""
    decimals = ctx.settings.currency_decimals
    minor_per_unit = ctx.settings.minor_per_unit

    def work(session: Session) -> list[OpenCampaign]:
        found = []
        for campaign in store.campaigns(session, status="running"):
            if campaign.kind in labeling.LABELING_KINDS:
                continue  # listed with their onboarding gates: labeling.labeling_campaigns
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
    as time worked: the rate is what the worker really makes. So does onboarding: the time
    spent on tutorials and qualifiers (``onboarding_seconds``: the pages' timers, else the
    server's time between steps; SPEC §3), paid or not. Pay still ``pending`` (SPEC §6.3)
    is counted apart: ``hourly_rate`` is what is settled, ``hourly_rate_with_pending`` what it
    becomes if the pending pay is released.
    """

    earned: int  # minor units settled: paid from campaign escrows, or released from pending
    queries_written: int
    queries_accepted: int
    queries_rejected: int
    votes_cast: int
    votes_agreed: int
    seconds_worked: float
    fair_hourly_wage: int  # minor units per hour
    pending: int = 0  # earned into pending, not yet released
    onboarding_seconds: float = 0.0  # tutorials and qualifiers, every campaign
    onboarding_paid: int = 0  # what onboarding time earned (in ``earned`` or ``pending``)

    @property
    def seconds_counted(self) -> float:
        """The time the rate is over: tasks and onboarding."""
        return self.seconds_worked + self.onboarding_seconds

    @property
    def hourly_rate(self) -> int | None:
        """Settled minor units per hour, or ``None`` before any time was worked."""
        if self.seconds_counted <= 0:
            return None
        return round(self.earned * 3600 / self.seconds_counted)

    @property
    def hourly_rate_with_pending(self) -> int | None:
        """Minor units per hour if the pending pay is released."""
        if self.seconds_counted <= 0:
            return None
        return round((self.earned + self.pending) * 3600 / self.seconds_counted)


def worker_earnings(ctx: Context, worker_id: int) -> Earnings:
    def work(session: Session) -> Earnings:
        earned = stats_store.worker_earned(session, worker_id)
        tracks = mechanism_store.track_rows(session, worker_id=worker_id)
        offers = stats_store.done_offer_times(session, worker_id)
        seconds = sum(
            max(0.0, (finished - (taken or offered)).total_seconds())
            for offered, taken, finished in offers
            if finished is not None
        )
        statuses = Counter(stats_store.worker_query_status_counts(session, worker_id))
        votes = stats_store.worker_vote_counts(session, worker_id).items()
        onboarding_seconds, onboarding_paid = labeling_store.onboarding_seconds_of(
            session, worker_id
        )
        settings = ctx.settings
        return Earnings(
            earned=int(earned) + sum(row.released for row in tracks),
            pending=sum(row.pending for row in tracks),
            queries_written=sum(int(n) for n in statuses.values()),
            queries_accepted=int(statuses["accepted"]),
            queries_rejected=int(statuses["rejected"]),
            votes_cast=sum(int(n) for _, n in votes),
            votes_agreed=sum(int(n) for agreed, n in votes if agreed),
            seconds_worked=seconds,
            fair_hourly_wage=settings.fair_hourly_wage * settings.minor_per_unit,
            onboarding_seconds=onboarding_seconds,
            onboarding_paid=onboarding_paid,
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
        workers = stats_store.workers(session)
        balances = stats_store.user_balances(session)
        statuses = stats_store.query_status_counts_by_worker(session)
        flagged = stats_store.flagged_counts_by_worker(session)
        barred = stats_store.blacklisted_campaigns_by_worker(session)
        return [
            WorkerRow(
                id=user.id,
                email=user.email,
                display_name=user.display_name,
                pseudonym=user.pseudonym,
                is_active=user.is_active,
                available=balances.get(user.id, {}).get(AccountKind.AVAILABLE.value, 0),
                staked=balances.get(user.id, {}).get(AccountKind.STAKED.value, 0),
                locked=balances.get(user.id, {}).get(AccountKind.LOCKED.value, 0),
                queries_accepted=statuses.get(user.id, {}).get("accepted", 0),
                queries_rejected=statuses.get(user.id, {}).get("rejected", 0),
                flagged=flagged.get(user.id, 0),
                blacklisted_in=tuple(barred.get(user.id, ())),
            )
            for user in workers
        ]

    return ctx.db.run(work, readonly=True)
