"""Named read queries for collusion flags (SPEC §6.8): every judgment of a campaign as
``(item, worker, answer)``, and who is barred from it. Never commits: services do."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdset.storage.models import CampaignWorker, Judgment, Query, Vote


def votes(session: Session, campaign_id: int) -> list[tuple[int, int, bool]]:
    """Every vote cast in the campaign as (query id, worker id, valid?): on queries in every
    status and on controls, counted or not (a revoked validator's votes stay their votes)."""
    rows = session.execute(
        select(Vote.query_id, Vote.worker_id, Vote.valid)
        .join(Query, Query.id == Vote.query_id)
        .where(Query.campaign_id == campaign_id)
        .order_by(Vote.id)
    )
    return [(int(q), int(w), bool(v)) for q, w, v in rows]


def judgments(session: Session, campaign_id: int) -> list[tuple[int, int, object]]:
    """Every answer given in a labeling campaign as (item id, worker id, answer JSON), kept or
    not, gold items included."""
    rows = session.execute(
        select(Judgment.item_id, Judgment.worker_id, Judgment.answer)
        .where(Judgment.campaign_id == campaign_id)
        .order_by(Judgment.id)
    )
    return [(int(i), int(w), a) for i, w, a in rows]


def barred(session: Session, campaign_id: int) -> set[int]:
    """Workers blacklisted from the campaign."""
    rows = session.execute(
        select(CampaignWorker.worker_id).where(
            CampaignWorker.campaign_id == campaign_id, CampaignWorker.blacklisted.is_(True)
        )
    )
    return {int(w) for (w,) in rows}
