"""Named queries for campaigns and their work. Never commits: services do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
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


def campaign(
    session: Session, campaign_id: int, *, for_update: bool = False, shared: bool = False
) -> Campaign:
    """The campaign, row-locked when ``for_update`` (serialises work on one campaign: status
    changes, close). ``shared`` takes a share lock instead (PostgreSQL ``FOR SHARE``): any
    number of dispatches and submissions hold it at once, and a status change waits for them
    (decision record 0005). Unlocked, a campaign this session already holds costs no query."""
    if not (for_update or shared):
        held = session.get(Campaign, campaign_id)
        if held is None:
            raise NotFound(f"no campaign has id {campaign_id}", campaign_id=campaign_id)
        return held
    statement = select(Campaign).where(Campaign.id == campaign_id)
    if for_update:
        statement = statement.with_for_update()
    elif shared:
        statement = statement.with_for_update(read=True)
    if for_update or shared:  # the row as it is once locked, not as this session last read it
        statement = statement.execution_options(populate_existing=True)
    found = session.execute(statement).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no campaign has id {campaign_id}", campaign_id=campaign_id)
    return found


def campaigns(
    session: Session,
    *,
    requester_id: int | None = None,
    status: str | Sequence[str] | None = None,
    name_contains: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[Campaign]:
    """Campaigns in id order, of one requester and in one status (or any of several), whose
    name contains ``name_contains`` (any case); ``limit`` of them with an id above ``after``."""
    statement = select(Campaign).order_by(Campaign.id)
    if requester_id is not None:
        statement = statement.where(Campaign.requester_id == requester_id)
    if isinstance(status, str):
        statement = statement.where(Campaign.status == status)
    elif status is not None:
        statement = statement.where(Campaign.status.in_(list(status)))
    if name_contains:
        statement = statement.where(Campaign.name.icontains(name_contains, autoescape=True))
    if after is not None:
        statement = statement.where(Campaign.id > after)
    return list(session.execute(statement.limit(limit)).scalars())


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


def events(
    session: Session, campaign_id: int, *, after: int | None = None, limit: int | None = None
) -> list[CampaignEvent]:
    """The campaign's events in the order they happened; ``limit`` of them past ``after``."""
    statement = (
        select(CampaignEvent)
        .where(CampaignEvent.campaign_id == campaign_id)
        .order_by(CampaignEvent.id)
    )
    if after is not None:
        statement = statement.where(CampaignEvent.id > after)
    return list(session.execute(statement.limit(limit)).scalars())


def campaign_worker(session: Session, campaign_id: int, worker_id: int) -> CampaignWorker | None:
    return session.get(CampaignWorker, (campaign_id, worker_id))


def touch_worker(session: Session, campaign_id: int, worker_id: int, now: datetime) -> None:
    """Mark the worker present (active) in the campaign."""
    row = campaign_worker(session, campaign_id, worker_id)
    if row is None:
        session.add(CampaignWorker(campaign_id=campaign_id, worker_id=worker_id, last_seen_at=now))
    else:
        row.last_seen_at = now


def mark_seen(session: Session, campaign_id: int, worker_id: int, now: datetime) -> None:
    """:func:`touch_worker` as one upsert statement: two first asks of one worker at once
    never collide on the new row, and the row is locked for the rest of the transaction."""
    values = {"campaign_id": campaign_id, "worker_id": worker_id, "last_seen_at": now}
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(CampaignWorker)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["campaign_id", "worker_id"], set_={"last_seen_at": now}
        )
    )


def lock_member(session: Session, campaign_id: int, worker_id: int) -> CampaignWorker | None:
    """The worker's row in the campaign, locked (``FOR UPDATE``) and read afresh: the narrow
    lock that keeps one worker's open offers within ``max_open_offers``."""
    return session.execute(
        select(CampaignWorker)
        .where(CampaignWorker.campaign_id == campaign_id, CampaignWorker.worker_id == worker_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def active_workers(
    session: Session, campaign_id: int, since: datetime, *, asker: int | None = None
) -> list[CampaignWorker]:
    """Members seen since ``since`` and not blacklisted. ``asker`` counts as seen now (they
    are asking): their row is included however old, or an unsaved one made for them."""
    seen = CampaignWorker.last_seen_at >= since
    if asker is not None:
        seen = seen | (CampaignWorker.worker_id == asker)
    found = list(
        session.execute(
            select(CampaignWorker)
            .where(
                CampaignWorker.campaign_id == campaign_id,
                seen,
                CampaignWorker.blacklisted.is_(False),
            )
            .order_by(CampaignWorker.worker_id)
        ).scalars()
    )
    missing = asker is not None and all(m.worker_id != asker for m in found)
    if asker is not None and missing and campaign_worker(session, campaign_id, asker) is None:
        found.append(new_member(campaign_id, asker, since))  # never asked before: no row yet
        found.sort(key=lambda m: m.worker_id)
    return found


def new_member(campaign_id: int, worker_id: int, now: datetime) -> CampaignWorker:
    """A member row as a first ask creates it, not added to any session (a read-only look
    at a worker who has never asked)."""
    return CampaignWorker(
        campaign_id=campaign_id,
        worker_id=worker_id,
        last_seen_at=now,
        blacklisted=False,
        successes=0,
        failures=0,
        tutorial_done=False,
        tutorial_answered=0,
        qualifier_attempts=0,
        qualifier_score=None,
        qualified=False,
        revoked_at=None,
        quality_correct=0.0,
        quality_wrong=0.0,
        answers=0,
        gold_answers=0,
        gold_correct=0,
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
    """The worker's lock standing, created when new (when another transaction creates it at
    the same moment, theirs is read back, locked)."""
    row = session.get(WorkerStanding, worker_id)
    if row is None:
        new = WorkerStanding(
            worker_id=worker_id,
            generation_locked=False,
            generation_streak=0,
            validation_locked=False,
            validation_streak=0,
        )
        try:
            with session.begin_nested():  # no campaign-wide lock orders first rows any more
                session.add(new)
            row = new
        except IntegrityError:
            row = session.execute(
                select(WorkerStanding)
                .where(WorkerStanding.worker_id == worker_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalar_one()
    return row


def lock_standings(session: Session, worker_ids: Sequence[int]) -> None:
    """Lock (``FOR UPDATE``, in worker order) and read afresh the workers' lock standings
    that exist: a decision that may change them holds them."""
    if not worker_ids:
        return
    session.execute(
        select(WorkerStanding)
        .where(WorkerStanding.worker_id.in_(sorted(set(worker_ids))))
        .order_by(WorkerStanding.worker_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def open_offers(session: Session, campaign_id: int, *, now: datetime | None = None) -> list[Offer]:
    """The campaign's open and accepted offers; with ``now``, only those not yet expired (a
    read that needs no :func:`expire_offers` first)."""
    statement = select(Offer).where(
        Offer.campaign_id == campaign_id, Offer.status.in_(OPEN_OFFER_STATES)
    )
    if now is not None:
        statement = statement.where(Offer.expires_at > now)
    return list(session.execute(statement).scalars())


def expire_offers(session: Session, campaign_id: int, now: datetime) -> int:
    """Mark the campaign's stale offers expired. Rows another transaction holds (a
    submission, another dispatch expiring them) are skipped, not waited for: whoever holds
    them finishes them, and every read of open offers that matters filters on
    ``expires_at`` anyway."""
    stale = (
        select(Offer.id)
        .where(
            Offer.campaign_id == campaign_id,
            Offer.status.in_(OPEN_OFFER_STATES),
            Offer.expires_at <= now,
        )
        .with_for_update(skip_locked=True)
    )
    ids = list(session.execute(stale).scalars())
    if not ids:
        return 0
    result = session.execute(
        update(Offer)
        .where(Offer.id.in_(ids), Offer.status.in_(OPEN_OFFER_STATES))
        .values(status="expired", finished_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


ESCROW_LOCK_SPACE = 16_005  # the first key of crowdset's PostgreSQL advisory locks on escrow


def guard_escrow(session: Session, campaign_id: int) -> None:
    """The narrow lock under which a dispatch checks, just before it commits, that the
    campaign's escrow still covers every offer in flight with its own (PostgreSQL: a
    transaction advisory lock on the campaign, held for the last few statements only;
    SQLite: its one writer at a time is the lock already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :campaign)"),
            {"space": ESCROW_LOCK_SPACE, "campaign": campaign_id},
        )


def worker_open_offers(session: Session, campaign_id: int, worker_id: int, now: datetime) -> int:
    """How many unexpired offers the worker holds in the campaign."""
    return int(
        session.execute(
            select(func.count()).where(
                Offer.campaign_id == campaign_id,
                Offer.worker_id == worker_id,
                Offer.status.in_(OPEN_OFFER_STATES),
                Offer.expires_at > now,
            )
        ).scalar_one()
    )


def tasks_taken(
    session: Session,
    campaign_id: int,
    worker_ids: Sequence[int],
    kinds: Sequence[str],
    now: datetime,
) -> dict[int, int]:
    """Offers of ``kinds`` each worker has done, ended with refused answers, or holds
    unexpired in the campaign (skipped untried, expired and withdrawn ones do not count): the
    bounty tasks they have used."""
    if not worker_ids:
        return {}
    done = (Offer.status == "done") | (Offer.refusals > 0)
    held = Offer.status.in_(OPEN_OFFER_STATES) & (Offer.expires_at > now)
    rows = session.execute(
        select(Offer.worker_id, func.count())
        .where(
            Offer.campaign_id == campaign_id,
            Offer.worker_id.in_(worker_ids),
            Offer.kind.in_(kinds),
            done | held,
        )
        .group_by(Offer.worker_id)
    )
    return {int(worker): int(count) for worker, count in rows.all()}


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


def claim_tasks(session: Session, task_ids: Sequence[int], now: datetime) -> list[int]:
    """Of ``task_ids``, those no other transaction holds and no unexpired write offer is out
    on, claimed (``FOR UPDATE SKIP LOCKED``; the offers are counted after the claim)."""
    if not task_ids:
        return []
    locked = list(
        session.execute(
            select(GenerationTask.id)
            .where(GenerationTask.id.in_(task_ids), GenerationTask.status == "open")
            .order_by(GenerationTask.id)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    busy = set(
        session.execute(
            select(Offer.task_id).where(
                Offer.task_id.in_(locked),
                Offer.kind == "write",
                Offer.status.in_(OPEN_OFFER_STATES),
                Offer.expires_at > now,
            )
        ).scalars()
    )
    return [task_id for task_id in locked if task_id not in busy]


def claim_queries(session: Session, query_ids: Sequence[int]) -> list[Query]:
    """Of ``query_ids`` (in that order), the validating queries no other transaction holds,
    claimed (``FOR UPDATE SKIP LOCKED``) and read afresh."""
    if not query_ids:
        return []
    rows = {
        q.id: q
        for q in session.execute(
            select(Query)
            .where(Query.id.in_(query_ids), Query.status == "validating")
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).scalars()
    }
    return [rows[i] for i in query_ids if i in rows]


def lock_query(session: Session, query_id: int) -> Query:
    """The query, locked (``FOR UPDATE``) and read afresh: votes on one query, and its
    decision, happen one at a time."""
    return session.execute(
        select(Query)
        .where(Query.id == query_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def task_intents(session: Session, task_ids: Sequence[int]) -> dict[int | None, str]:
    """Each task's intent."""
    if not task_ids:
        return {}
    rows = session.execute(
        select(GenerationTask.id, GenerationTask.intent).where(GenerationTask.id.in_(task_ids))
    )
    return {int(task_id): str(intent) for task_id, intent in rows.all()}


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


def accepted_texts(session: Session, campaign_id: int, intent: str | None = None) -> list[str]:
    """Texts of the campaign's queries accepted or in validation (of one intent, if given)."""
    query = select(Query.text).where(
        Query.campaign_id == campaign_id, Query.status.in_(("accepted", "validating"))
    )
    if intent is not None:
        query = query.where(Query.intent == intent)
    return list(session.execute(query).scalars())


def written_templates(session: Session, campaign_id: int) -> list[tuple[int, str, str]]:
    """``(worker, template, status)`` of the campaign's written queries (made-up controls
    excluded): what copies are judged against (SPEC §6.7). A query stored before templates
    were kept has none, and is left out."""
    rows = session.execute(
        select(Query.worker_id, Query.template, Query.status).where(
            Query.campaign_id == campaign_id,
            Query.template.is_not(None),
            Query.status != "control",
        )
    )
    return [(int(worker), str(template), str(status)) for worker, template, status in rows]


def recent_seconds(session: Session, campaign_id: int, limit: int = 200) -> list[float]:
    """Seconds on task of the campaign's latest unflagged queries (the typical pace)."""
    return [
        float(seconds or 0.0)
        for seconds in session.execute(
            select(Query.seconds_on_task)
            .where(
                Query.campaign_id == campaign_id,
                Query.seconds_on_task.is_not(None),
                Query.answer_flags.is_(None),
            )
            .order_by(Query.id.desc())
            .limit(limit)
        ).scalars()
    ]


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
