"""Named queries for campaigns and their work. Never commits: services do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crowdset.core.ledger import AccountKind, OwnerKind
from crowdset.errors import NotFound
from crowdset.storage.models import (
    Campaign,
    CampaignEvent,
    CampaignWorker,
    GenerationTask,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    Offer,
    Query,
    User,
    Vote,
    WorkerStanding,
)

OPEN_OFFER_STATES = ("open", "accepted")


def campaign(session: Session, campaign_id: int, *, for_update: bool = False) -> Campaign:
    """The campaign, row-locked when ``for_update`` (serialises work on one campaign)."""
    statement = select(Campaign).where(Campaign.id == campaign_id)
    if for_update:
        statement = statement.with_for_update()
    found = session.execute(statement).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no campaign has id {campaign_id}", campaign_id=campaign_id)
    return found


def campaigns(
    session: Session, *, requester_id: int | None = None, status: str | None = None
) -> list[Campaign]:
    statement = select(Campaign).order_by(Campaign.id)
    if requester_id is not None:
        statement = statement.where(Campaign.requester_id == requester_id)
    if status is not None:
        statement = statement.where(Campaign.status == status)
    return list(session.execute(statement).scalars())


def add_event(
    session: Session,
    campaign_id: int,
    kind: str,
    *,
    at: datetime,
    actor_id: int | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    session.add(
        CampaignEvent(
            campaign_id=campaign_id, kind=kind, at=at, actor_id=actor_id, detail=detail or {}
        )
    )


def events(session: Session, campaign_id: int) -> list[CampaignEvent]:
    return list(
        session.execute(
            select(CampaignEvent)
            .where(CampaignEvent.campaign_id == campaign_id)
            .order_by(CampaignEvent.id)
        ).scalars()
    )


def campaign_worker(session: Session, campaign_id: int, worker_id: int) -> CampaignWorker | None:
    return session.get(CampaignWorker, (campaign_id, worker_id))


def touch_worker(session: Session, campaign_id: int, worker_id: int, now: datetime) -> None:
    """Mark the worker present (active) in the campaign."""
    row = campaign_worker(session, campaign_id, worker_id)
    if row is None:
        session.add(CampaignWorker(campaign_id=campaign_id, worker_id=worker_id, last_seen_at=now))
    else:
        row.last_seen_at = now


def active_workers(session: Session, campaign_id: int, since: datetime) -> list[CampaignWorker]:
    return list(
        session.execute(
            select(CampaignWorker)
            .where(
                CampaignWorker.campaign_id == campaign_id,
                CampaignWorker.last_seen_at >= since,
                CampaignWorker.blacklisted.is_(False),
            )
            .order_by(CampaignWorker.worker_id)
        ).scalars()
    )


def stakes(session: Session, worker_ids: Sequence[int]) -> dict[int, int]:
    """Staked + locked minor units per worker (locked stake counts for selection)."""
    if not worker_ids:
        return {}
    rows = session.execute(
        select(LedgerAccount.owner_id, func.sum(LedgerAccount.balance))
        .where(
            LedgerAccount.owner_kind == OwnerKind.USER.value,
            LedgerAccount.owner_id.in_(worker_ids),
            LedgerAccount.kind.in_([AccountKind.STAKED.value, AccountKind.LOCKED.value]),
        )
        .group_by(LedgerAccount.owner_id)
    )
    return {int(owner): int(total) for owner, total in rows.all() if owner is not None}


def standing(session: Session, worker_id: int) -> WorkerStanding:
    row = session.get(WorkerStanding, worker_id)
    if row is None:
        row = WorkerStanding(
            worker_id=worker_id,
            generation_locked=False,
            generation_streak=0,
            validation_locked=False,
            validation_streak=0,
        )
        session.add(row)
        session.flush()
    return row


def open_offers(session: Session, campaign_id: int) -> list[Offer]:
    return list(
        session.execute(
            select(Offer).where(
                Offer.campaign_id == campaign_id, Offer.status.in_(OPEN_OFFER_STATES)
            )
        ).scalars()
    )


def expire_offers(session: Session, campaign_id: int, now: datetime) -> int:
    result = session.execute(
        update(Offer)
        .where(
            Offer.campaign_id == campaign_id,
            Offer.status.in_(OPEN_OFFER_STATES),
            Offer.expires_at <= now,
        )
        .values(status="expired", finished_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def withdraw_offers(
    session: Session,
    campaign_id: int,
    now: datetime,
    *,
    states: Sequence[str] = OPEN_OFFER_STATES,
    worker_id: int | None = None,
    kind: str | None = None,
) -> None:
    statement = update(Offer).where(Offer.campaign_id == campaign_id, Offer.status.in_(states))
    if worker_id is not None:
        statement = statement.where(Offer.worker_id == worker_id)
    if kind is not None:
        statement = statement.where(Offer.kind == kind)
    session.execute(statement.values(status="withdrawn", finished_at=now))


def worker_offers(session: Session, worker_id: int) -> list[Offer]:
    return list(
        session.execute(
            select(Offer)
            .where(Offer.worker_id == worker_id, Offer.status.in_(OPEN_OFFER_STATES))
            .order_by(Offer.status.desc(), Offer.id)  # accepted first, then the oldest offer
        ).scalars()
    )


def offer(session: Session, offer_id: int, *, for_update: bool = False) -> Offer:
    statement = select(Offer).where(Offer.id == offer_id)
    if for_update:
        statement = statement.with_for_update()
    found = session.execute(statement).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no offer has id {offer_id}", offer_id=offer_id)
    return found


def open_tasks(session: Session, campaign_id: int) -> list[GenerationTask]:
    return list(
        session.execute(
            select(GenerationTask)
            .where(GenerationTask.campaign_id == campaign_id, GenerationTask.status == "open")
            .order_by(GenerationTask.id)
        ).scalars()
    )


def last_task_id(session: Session, campaign_id: int) -> int:
    found = session.execute(
        select(func.max(GenerationTask.id)).where(GenerationTask.campaign_id == campaign_id)
    ).scalar_one()
    return int(found or 0)


def asked_values(
    session: Session, campaign_id: int, *, after_id: int = 0
) -> list[tuple[int, str, list[dict[str, str]]]]:
    """Tasks' ids, intents and values (those after ``after_id``): the planner's coverage.
    The tasks behind made-up controls (SPEC §6.1) were never asked of anyone: left out."""
    controls = select(Query.task_id).where(
        Query.campaign_id == campaign_id, Query.status == "control"
    )
    rows = session.execute(
        select(GenerationTask.id, GenerationTask.intent, GenerationTask.slot_values).where(
            GenerationTask.campaign_id == campaign_id,
            GenerationTask.id > after_id,
            GenerationTask.id.not_in(controls),
        )
    )
    return [(int(task_id), intent, values) for task_id, intent, values in rows.all()]


def queries(
    session: Session,
    campaign_id: int,
    *,
    status: str | Sequence[str] | None = None,
    intent: str | None = None,
    worker_id: int | None = None,
) -> list[Query]:
    statement = select(Query).where(Query.campaign_id == campaign_id).order_by(Query.id)
    if worker_id is not None:
        statement = statement.where(Query.worker_id == worker_id)
    if isinstance(status, str):
        statement = statement.where(Query.status == status)
    elif status is not None:
        statement = statement.where(Query.status.in_(status))
    if intent is not None:
        statement = statement.where(Query.intent == intent)
    return list(session.execute(statement).scalars())


def accepted_texts(session: Session, campaign_id: int, intent: str) -> list[str]:
    return list(
        session.execute(
            select(Query.text).where(
                Query.campaign_id == campaign_id,
                Query.intent == intent,
                Query.status.in_(("accepted", "validating")),
            )
        ).scalars()
    )


def live_controls(session: Session, campaign_id: int, max_views: int) -> list[Query]:
    """Validation controls (SPEC §6.1) not yet retired: made-up ones (status ``control``) and
    accepted queries marked known-good, shown to fewer than ``max_views`` validators."""
    return list(
        session.execute(
            select(Query)
            .where(
                Query.campaign_id == campaign_id,
                Query.control.is_not(None),
                Query.status.in_(("control", "accepted")),
                Query.control_views < max_views,
            )
            .order_by(Query.id)
        ).scalars()
    )


def made_controls(session: Session, campaign_id: int) -> list[Query]:
    """Every made-up control of the campaign, retired or not."""
    return queries(session, campaign_id, status="control")


def counted_votes_of(session: Session, campaign_id: int, worker_id: int) -> list[Vote]:
    """The worker's votes that still count: cast in the current round of a query that is
    still validating."""
    return list(
        session.execute(
            select(Vote)
            .join(Query, Query.id == Vote.query_id)
            .where(
                Query.campaign_id == campaign_id,
                Query.status == "validating",
                Vote.worker_id == worker_id,
                Vote.round == Query.round,
            )
        ).scalars()
    )


def votes(session: Session, query_id: int, round_: int | None = None) -> list[Vote]:
    statement = select(Vote).where(Vote.query_id == query_id).order_by(Vote.id)
    if round_ is not None:
        statement = statement.where(Vote.round == round_)
    return list(session.execute(statement).scalars())


def voters(session: Session, query_ids: Sequence[int]) -> dict[int, set[int]]:
    """Who has voted on each query, in any round: nobody votes twice on one query."""
    found: dict[int, set[int]] = {query_id: set() for query_id in query_ids}
    if not query_ids:
        return found
    rows = session.execute(
        select(Vote.query_id, Vote.worker_id).where(Vote.query_id.in_(query_ids))
    )
    for query_id, worker_id in rows.all():
        found[query_id].add(worker_id)
    return found


def skippers(session: Session, query_ids: Sequence[int]) -> dict[int, set[int]]:
    """Who skipped a vote offer on each query: it is not offered to them again."""
    found: dict[int, set[int]] = {query_id: set() for query_id in query_ids}
    if not query_ids:
        return found
    rows = session.execute(
        select(Offer.query_id, Offer.worker_id).where(
            Offer.query_id.in_(query_ids), Offer.kind == "vote", Offer.status == "skipped"
        )
    )
    for query_id, worker_id in rows.all():
        if query_id is not None:
            found[int(query_id)].add(int(worker_id))
    return found


def status_counts(session: Session, campaign_id: int) -> dict[tuple[str, str], int]:
    """(intent, status) → queries."""
    rows = session.execute(
        select(Query.intent, Query.status, func.count())
        .where(Query.campaign_id == campaign_id)
        .group_by(Query.intent, Query.status)
    )
    return {(intent, status): int(count) for intent, status, count in rows.all()}


def round_vote_counts(session: Session, queries_: Sequence[Query]) -> dict[int, int]:
    """Votes cast in each query's current round."""
    if not queries_:
        return {}
    rounds = {q.id: q.round for q in queries_}
    rows = session.execute(
        select(Vote.query_id, Vote.round, func.count())
        .where(Vote.query_id.in_(list(rounds)))
        .group_by(Vote.query_id, Vote.round)
    )
    return {qid: int(n) for qid, round_, n in rows.all() if rounds[qid] == round_}


def pending_work(session: Session, worker_id: int) -> int:
    """The worker's queries and votes still awaiting a decision."""
    queries_ = session.execute(
        select(func.count()).where(Query.worker_id == worker_id, Query.status == "validating")
    ).scalar_one()
    votes_ = session.execute(
        select(func.count())
        .select_from(Vote)
        .join(Query, Query.id == Vote.query_id)
        .where(
            Vote.worker_id == worker_id,
            Query.status == "validating",
            Vote.round == Query.round,
        )
    ).scalar_one()
    return int(queries_) + int(votes_)


def refusals_by_intent(session: Session, campaign_id: int) -> dict[str, int]:
    """Answers the automatic checks refused, per intent."""
    rows = session.execute(
        select(GenerationTask.intent, func.sum(Offer.refusals))
        .join(GenerationTask, GenerationTask.id == Offer.task_id)
        .where(Offer.campaign_id == campaign_id, Offer.kind == "write")
        .group_by(GenerationTask.intent)
    )
    return {intent: int(total or 0) for intent, total in rows.all()}


def escrow_flows(session: Session, campaign_id: int) -> dict[str, int]:
    """Where the campaign's escrow went: ``workers``, ``fees``, ``refund`` (minor units).

    ``workers`` is what workers keep or may still keep: paid into their ``available`` or
    earned into ``pending`` (SPEC §6.3), less what was clawed back into the escrow from
    revoked workers (that comes back to the requester with the refund)."""
    escrow_key = f"campaign:{campaign_id}:escrow"
    escrow_id = session.execute(
        select(LedgerAccount.id).where(LedgerAccount.key == escrow_key)
    ).scalar_one_or_none()
    if escrow_id is None:
        return {}
    outgoing = (
        select(LedgerPosting.transaction_seq)
        .where(LedgerPosting.account_id == escrow_id, LedgerPosting.amount < 0)
        .scalar_subquery()
    )
    rows = session.execute(
        select(LedgerAccount.owner_kind, LedgerAccount.kind, func.sum(LedgerPosting.amount))
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerPosting.transaction_seq.in_(outgoing), LedgerPosting.amount > 0)
        .group_by(LedgerAccount.owner_kind, LedgerAccount.kind)
    )
    flows: dict[str, int] = {}
    for owner_kind, kind, total in rows.all():
        if owner_kind == OwnerKind.PLATFORM.value and kind == AccountKind.FEES.value:
            flows["fees"] = flows.get("fees", 0) + int(total)
        elif owner_kind == OwnerKind.USER.value:
            paid = kind in (AccountKind.AVAILABLE.value, AccountKind.PENDING.value)
            name = "workers" if paid else kind
            flows[name] = flows.get(name, 0) + int(total)
    refund = session.execute(
        select(func.sum(LedgerPosting.amount))
        .join(LedgerTransaction, LedgerTransaction.seq == LedgerPosting.transaction_seq)
        .where(
            LedgerPosting.account_id == escrow_id,
            LedgerTransaction.kind == "refund",
        )
    ).scalar_one()
    clawed = session.execute(
        select(func.sum(LedgerPosting.amount))
        .join(LedgerTransaction, LedgerTransaction.seq == LedgerPosting.transaction_seq)
        .where(
            LedgerPosting.account_id == escrow_id,
            LedgerTransaction.kind == "claw_back",
        )
    ).scalar_one()
    # refunds land in the requester's ``available`` too: report them apart
    refunded = -int(refund or 0)
    flows["workers"] = flows.get("workers", 0) - refunded - int(clawed or 0)
    flows["refund"] = refunded
    if clawed:
        flows["clawed_back"] = int(clawed)
    return flows


def pseudonyms(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.pseudonym).where(User.id.in_(user_ids)))
    return {int(uid): str(name) for uid, name in rows.all()}


def vote_tallies(session: Session, query_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(for, against) in each query's deciding round."""
    if not query_ids:
        return {}
    rows = session.execute(
        select(Vote.query_id, Vote.valid, func.count())
        .join(Query, Query.id == Vote.query_id)
        .where(Vote.query_id.in_(list(query_ids)), Vote.round == Query.round)
        .group_by(Vote.query_id, Vote.valid)
    )
    tallies: dict[int, list[int]] = {}
    for query_id, valid, count in rows.all():
        tallies.setdefault(query_id, [0, 0])[0 if valid else 1] += int(count)
    return {qid: (pair[0], pair[1]) for qid, pair in tallies.items()}


def decided_by_votes(session: Session, campaign_id: int) -> tuple[int, int]:
    """(accepted, rejected) queries of the campaign that their votes decided (a revoked
    writer's queries rejected without a decision are not counted)."""
    decided = (
        select(Query.id, Query.status)
        .join(Vote, Vote.query_id == Query.id)
        .where(
            Query.campaign_id == campaign_id,
            Query.status.in_(("accepted", "rejected")),
            Vote.round == Query.round,
            Vote.agreed.is_not(None),
        )
        .distinct()
        .subquery()
    )
    rows = session.execute(select(decided.c.status, func.count()).group_by(decided.c.status)).all()
    counts = {status: int(count) for status, count in rows}
    return counts.get("accepted", 0), counts.get("rejected", 0)
