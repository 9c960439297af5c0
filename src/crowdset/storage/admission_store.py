"""What admission tickets read (SPEC §6.6, ``core.selection.ticket_slots``): when the account's
last batch of offers in a campaign was made, and when the last of them ended; and their last
offer (after a declined vote, a generation claim offers a write first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdset.storage.models import Offer

HELD = ("open", "accepted")


def last_hold(
    session: Session, campaign_id: int, worker_id: int, now: datetime
) -> tuple[datetime, datetime | None] | None:
    """``(made, ended)`` of the worker's latest offers in the campaign (those made at the same
    moment, by one admitted ask): ``ended`` is when the last of them was done, skipped,
    withdrawn or expired, ``None`` while one is still held. ``None`` when the worker never had
    an offer there."""
    made = session.execute(
        select(func.max(Offer.created_at)).where(
            Offer.campaign_id == campaign_id, Offer.worker_id == worker_id
        )
    ).scalar_one_or_none()
    if made is None:
        return None
    rows = session.execute(
        select(Offer.status, Offer.finished_at, Offer.expires_at).where(
            Offer.campaign_id == campaign_id,
            Offer.worker_id == worker_id,
            Offer.created_at == made,
        )
    ).all()
    ended = made
    for status, finished_at, expires_at in rows:
        if status in HELD and expires_at > now:
            return made, None  # still held: the hold has not ended
        end = expires_at if status in HELD or finished_at is None else finished_at
        ended = max(ended, min(end, now))
    return made, ended


def last_offer(session: Session, campaign_id: int, worker_id: int) -> tuple[str, str] | None:
    """``(kind, status)`` of the worker's latest offer in the campaign (``None``: none yet)."""
    row = session.execute(
        select(Offer.kind, Offer.status)
        .where(Offer.campaign_id == campaign_id, Offer.worker_id == worker_id)
        .order_by(Offer.id.desc())
        .limit(1)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None
