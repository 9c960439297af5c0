"""Named read queries for the dashboards: a campaign over time, a worker's earnings, the
operator's list of workers. Never commits: services do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdset.core.ledger import AccountKind, OwnerKind, TransactionKind, escrow_account
from crowdset.core.ledger import user_account as user_account_ref
from crowdset.core.permissions import Role
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


def query_timeline(
    session: Session, campaign_id: int
) -> list[tuple[datetime, datetime | None, str]]:
    """(submitted_at, decided_at, status) of every query of the campaign."""
    rows = session.execute(
        select(Query.submitted_at, Query.decided_at, Query.status).where(
            Query.campaign_id == campaign_id
        )
    ).all()
    return [(submitted, decided, status) for submitted, decided, status in rows]


NOT_PAYMENTS = (TransactionKind.FUND_ESCROW.value, TransactionKind.REFUND.value)


def escrow_payments(session: Session, campaign_id: int) -> list[tuple[datetime, int]]:
    """(created_at, amount) of each payment out of the campaign's escrow, in ledger order: pay
    into workers' ``available`` or, since SPEC §6.3, ``pending``, with its fees; a claw-back
    from a revoked worker is a negative payment. Funding and refunds are not payments. The
    running total therefore agrees with ``campaign_store.escrow_flows`` (workers + fees)."""
    rows = session.execute(
        select(LedgerTransaction.created_at, -LedgerPosting.amount)
        .join(LedgerPosting, LedgerPosting.transaction_seq == LedgerTransaction.seq)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            LedgerAccount.key == escrow_account(campaign_id).key,
            LedgerTransaction.kind.not_in(NOT_PAYMENTS),
        )
        .order_by(LedgerTransaction.seq)
    ).all()
    return [(at, int(amount)) for at, amount in rows]


def flagged_accepted_queries(session: Session, campaign_id: int) -> list[tuple[Query, str]]:
    """Accepted queries the last cross-validation flagged, with their worker's pseudonym,
    most confident first."""
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
    return [(query, pseudonym) for query, pseudonym in rows]


# --- a worker's earnings ----------------------------------------------------------------------


def worker_earned(session: Session, worker_id: int) -> int:
    """Minor units paid into the worker's available account by ``pay`` transactions."""
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
    return int(earned)


def done_offer_times(
    session: Session, worker_id: int
) -> list[tuple[datetime, datetime | None, datetime | None]]:
    """(created_at, accepted_at, finished_at) of the worker's finished offers."""
    rows = session.execute(
        select(Offer.created_at, Offer.accepted_at, Offer.finished_at).where(
            Offer.worker_id == worker_id, Offer.status == "done"
        )
    ).all()
    return [(offered, taken, finished) for offered, taken, finished in rows]


def worker_query_status_counts(session: Session, worker_id: int) -> dict[str, int]:
    """status → queries the worker wrote."""
    rows = session.execute(
        select(Query.status, func.count())
        .where(Query.worker_id == worker_id)
        .group_by(Query.status)
    ).all()
    return {status: int(count) for status, count in rows}


def worker_vote_counts(session: Session, worker_id: int) -> dict[bool | None, int]:
    """agreed (with the decision; ``None`` while undecided) → votes the worker cast."""
    rows = session.execute(
        select(Vote.agreed, func.count()).where(Vote.worker_id == worker_id).group_by(Vote.agreed)
    ).all()
    return {agreed: int(count) for agreed, count in rows}


# --- the operator's list of workers -----------------------------------------------------------


def workers(session: Session) -> list[User]:
    """Users with the worker role, by id."""
    return list(
        session.execute(
            select(User).where(User.role == Role.WORKER.value).order_by(User.id)
        ).scalars()
    )


def user_balances(session: Session) -> dict[int, dict[str, int]]:
    """user id → account kind → balance, for every account owned by a user."""
    balances: dict[int, dict[str, int]] = {}
    for owner_id, kind, balance in session.execute(
        select(LedgerAccount.owner_id, LedgerAccount.kind, LedgerAccount.balance).where(
            LedgerAccount.owner_kind == OwnerKind.USER.value,
            LedgerAccount.owner_id.is_not(None),
        )
    ).all():
        balances.setdefault(int(owner_id or 0), {})[str(kind)] = int(balance)
    return balances


def query_status_counts_by_worker(session: Session) -> dict[int, dict[str, int]]:
    """worker id → status → queries written."""
    counts: dict[int, dict[str, int]] = {}
    for worker_id, status, count in session.execute(
        select(Query.worker_id, Query.status, func.count()).group_by(Query.worker_id, Query.status)
    ).all():
        counts.setdefault(int(worker_id), {})[str(status)] = int(count)
    return counts


def flagged_counts_by_worker(session: Session) -> dict[int, int]:
    """worker id → accepted queries the last cross-validation flagged."""
    rows = session.execute(
        select(Query.worker_id, func.count())
        .where(Query.status == "accepted", Query.flagged_intent.is_not(None))
        .group_by(Query.worker_id)
    ).all()
    return {int(worker_id): int(count) for worker_id, count in rows}


def blacklisted_campaigns_by_worker(session: Session) -> dict[int, list[int]]:
    """worker id → ids of the campaigns that blacklisted them, ascending."""
    barred: dict[int, list[int]] = {}
    for campaign_id, worker_id in session.execute(
        select(CampaignWorker.campaign_id, CampaignWorker.worker_id)
        .where(CampaignWorker.blacklisted.is_(True))
        .order_by(CampaignWorker.campaign_id)
    ).all():
        barred.setdefault(int(worker_id), []).append(int(campaign_id))
    return barred
