"""Track records and sanctions (SPEC §6) as stored rows. Never commits: services do."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crowdset.errors import NotFound
from crowdset.storage.models import Campaign, Sanction, WorkerTrack


def track_row(
    session: Session, campaign_id: int, worker_id: int, track: str, *, create: bool = True
) -> WorkerTrack | None:
    """The worker's record on one track of one campaign (created empty when ``create``; when
    another transaction creates it at the same moment, theirs is read back)."""
    row = session.get(WorkerTrack, (campaign_id, worker_id, track))
    if row is None and create:
        new = WorkerTrack(
            campaign_id=campaign_id,
            worker_id=worker_id,
            track=track,
            correct=0.0,
            wrong=0.0,
            controls=0,
            controls_failed=0,
            decisions=0,
            decisions_failed=0,
            earned=0,
            pending=0,
            released=0,
            clawed_back=0,
            fined=0,
            cost_of_failures=0,
            release_after=0,
        )
        try:
            with session.begin_nested():  # no campaign-wide lock orders first records any more
                session.add(new)
            row = new
        except IntegrityError:
            row = session.execute(
                select(WorkerTrack)
                .where(
                    WorkerTrack.campaign_id == campaign_id,
                    WorkerTrack.worker_id == worker_id,
                    WorkerTrack.track == track,
                )
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalar_one()
    return row


def lock_tracks(session: Session, campaign_id: int, worker_ids: Sequence[int]) -> list[WorkerTrack]:
    """Lock (``FOR UPDATE``, in worker order) and read afresh the workers' records on every
    track of the campaign: a submission that may change them holds them, so two submissions
    at once never lose an update (decision record 0005). Keep the returned rows while working
    on them: the session holds rows only weakly, and :func:`track_row` then reads them from
    the session instead of the database."""
    if not worker_ids:
        return []
    rows = session.execute(
        select(WorkerTrack)
        .where(
            WorkerTrack.campaign_id == campaign_id,
            WorkerTrack.worker_id.in_(sorted(set(worker_ids))),
        )
        .order_by(WorkerTrack.worker_id, WorkerTrack.track)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalars()
    return list(rows)


def track_rows(
    session: Session,
    *,
    campaign_id: int | None = None,
    worker_id: int | None = None,
    track: str | None = None,
) -> list[WorkerTrack]:
    query = select(WorkerTrack)
    if campaign_id is not None:
        query = query.where(WorkerTrack.campaign_id == campaign_id)
    if worker_id is not None:
        query = query.where(WorkerTrack.worker_id == worker_id)
    if track is not None:
        query = query.where(WorkerTrack.track == track)
    order = (WorkerTrack.campaign_id, WorkerTrack.worker_id, WorkerTrack.track)
    return list(session.execute(query.order_by(*order)).scalars())


def tracks_of(
    session: Session, campaign_id: int, track: str, worker_ids: Sequence[int]
) -> dict[int, WorkerTrack]:
    if not worker_ids:
        return {}
    rows = session.execute(
        select(WorkerTrack).where(
            WorkerTrack.campaign_id == campaign_id,
            WorkerTrack.track == track,
            WorkerTrack.worker_id.in_(sorted(set(worker_ids))),
        )
    ).scalars()
    return {row.worker_id: row for row in rows}


def sanction(session: Session, sanction_id: int, *, for_update: bool = False) -> Sanction:
    query = select(Sanction).where(Sanction.id == sanction_id)
    if for_update:
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no sanction has id {sanction_id}", sanction_id=sanction_id)
    return found


def sanctions(
    session: Session,
    *,
    campaign_id: int | None = None,
    worker_id: int | None = None,
    appeal_status: str | None = None,
    requester_id: int | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[Sanction]:
    """Sanctions in id order: of one campaign, one worker, one appeal status; with
    ``requester_id``, only those of that requester's campaigns (or of that user as a worker);
    ``limit`` of them with an id above ``after``."""
    query = select(Sanction)
    if campaign_id is not None:
        query = query.where(Sanction.campaign_id == campaign_id)
    if worker_id is not None:
        query = query.where(Sanction.worker_id == worker_id)
    if appeal_status is not None:
        query = query.where(Sanction.appeal_status == appeal_status)
    if requester_id is not None:
        theirs = select(Campaign.id).where(Campaign.requester_id == requester_id)
        query = query.where(
            or_(Sanction.campaign_id.in_(theirs), Sanction.worker_id == requester_id)
        )
    if after is not None:
        query = query.where(Sanction.id > after)
    return list(session.execute(query.order_by(Sanction.id).limit(limit)).scalars())
