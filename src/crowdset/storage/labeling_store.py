"""Named queries for labeling campaigns: items, judgments, onboarding. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, case, func, insert, or_, select
from sqlalchemy.orm import Session

from crowdset.core.labeling.items import ItemRow
from crowdset.errors import NotFound
from crowdset.storage.models import (
    CampaignEvent,
    CampaignWorker,
    Judgment,
    LabelItem,
    Offer,
    ReviewPackage,
)

INSERT_BATCH = 5_000


def add_items(session: Session, campaign_id: int, rows: Sequence[ItemRow]) -> None:
    """Bulk insert, in batches, inside the caller's transaction (all or nothing)."""
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(
            insert(LabelItem),
            [
                {
                    "campaign_id": campaign_id,
                    "external_id": row.external_id,
                    "text": row.text,
                    "target": row.target,
                    "image": row.image,
                    "gold": list(row.gold) if isinstance(row.gold, tuple) else row.gold,
                    "gold_source": None if row.gold is None else "spec",
                    "control_views": 0,
                    "status": "open",
                    "judgments": 0,
                }
                for row in rows[start : start + INSERT_BATCH]
            ],
        )


def item(session: Session, item_id: int) -> LabelItem:
    found = session.get(LabelItem, item_id)
    if found is None:
        raise NotFound(f"no item has id {item_id}", item_id=item_id)
    return found


def lock_item(session: Session, item_id: int) -> LabelItem:
    """The item, locked (``FOR UPDATE``) and read afresh: its judgments are counted and its
    consensus settled by one submission at a time."""
    found = session.execute(
        select(LabelItem)
        .where(LabelItem.id == item_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no item has id {item_id}", item_id=item_id)
    return found


def item_by_external_id(session: Session, campaign_id: int, external_id: str) -> LabelItem:
    found = session.execute(
        select(LabelItem).where(
            LabelItem.campaign_id == campaign_id, LabelItem.external_id == external_id
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"campaign {campaign_id} has no item {external_id!r}", external_id=external_id
        )
    return found


def item_counts(session: Session, campaign_id: int) -> dict[tuple[bool, str], int]:
    """``(is_gold, status) → items``."""
    rows = session.execute(
        select(LabelItem.gold.is_not(None), LabelItem.status, func.count())
        .where(LabelItem.campaign_id == campaign_id)
        .group_by(LabelItem.gold.is_not(None), LabelItem.status)
    ).all()
    return {(bool(gold), status): int(n) for gold, status, n in rows}


def regular_item_count(session: Session, campaign_id: int) -> int:
    return sum(n for (gold, _), n in item_counts(session, campaign_id).items() if not gold)


def open_items(session: Session, campaign_id: int, limit: int) -> list[LabelItem]:
    """Open regular items, least-judged first."""
    return list(
        session.execute(
            select(LabelItem)
            .where(
                LabelItem.campaign_id == campaign_id,
                LabelItem.status == "open",
                LabelItem.gold.is_(None),
            )
            .order_by(LabelItem.judgments, LabelItem.id)
            .limit(limit)
        ).scalars()
    )


def _seen_by(campaign_id: int, worker_id: int) -> tuple[Select[int], Select[int | None]]:
    """Items the worker judged, and items they hold an offer on (subqueries)."""
    judged = select(Judgment.item_id).where(
        Judgment.campaign_id == campaign_id, Judgment.worker_id == worker_id
    )
    offered = select(Offer.item_id).where(
        Offer.campaign_id == campaign_id,
        Offer.worker_id == worker_id,
        Offer.status.in_(("open", "accepted")),
        Offer.item_id.is_not(None),
    )
    return judged, offered


def open_items_for(
    session: Session, campaign_id: int, worker_id: int, limit: int
) -> list[LabelItem]:
    """Open regular items the worker has neither judged nor holds an offer on, least-judged
    first: what the worker could be offered now."""
    judged, offered = _seen_by(campaign_id, worker_id)
    return list(
        session.execute(
            select(LabelItem)
            .where(
                LabelItem.campaign_id == campaign_id,
                LabelItem.status == "open",
                LabelItem.gold.is_(None),
                LabelItem.id.not_in(judged),
                LabelItem.id.not_in(offered),
            )
            .order_by(LabelItem.judgments, LabelItem.id)
            .limit(limit)
        ).scalars()
    )


def claim_items_for(
    session: Session, campaign_id: int, worker_id: int, limit: int, overlap_min: int
) -> list[LabelItem]:
    """:func:`open_items_for` that still need an offer — fewer offers out on them than
    ``max(overlap_min − judgments, 1)`` — each row claimed (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL) and read afresh: an item another dispatch or a submission holds is passed
    over, not waited for, so workers of one campaign are served in parallel (decision record
    0005). The caller counts the offers again once the rows are claimed."""
    judged, offered = _seen_by(campaign_id, worker_id)
    out = (
        select(func.count())
        .where(Offer.item_id == LabelItem.id, Offer.status.in_(("open", "accepted")))
        .scalar_subquery()
    )
    missing = case(
        (overlap_min - LabelItem.judgments > 1, overlap_min - LabelItem.judgments), else_=1
    )
    return list(
        session.execute(
            select(LabelItem)
            .where(
                LabelItem.campaign_id == campaign_id,
                LabelItem.status == "open",
                LabelItem.gold.is_(None),
                LabelItem.id.not_in(judged),
                LabelItem.id.not_in(offered),
                out < missing,
            )
            .order_by(LabelItem.judgments, LabelItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def gold_item_ids(session: Session, campaign_id: int) -> list[int]:
    return list(
        session.execute(
            select(LabelItem.id)
            .where(LabelItem.campaign_id == campaign_id, LabelItem.gold.is_not(None))
            .order_by(LabelItem.id)
        ).scalars()
    )


def _controls_for(
    campaign_id: int, worker_id: int, max_views: int, source: str
) -> ColumnElement[bool]:
    judged, offered = _seen_by(campaign_id, worker_id)
    return and_(
        LabelItem.campaign_id == campaign_id,
        LabelItem.gold_source == source,
        LabelItem.control_views < max_views,
        LabelItem.id.not_in(judged),
        LabelItem.id.not_in(offered),
    )


def control_count_for(
    session: Session, campaign_id: int, worker_id: int, max_views: int, source: str
) -> int:
    """Controls in service (SPEC §6.1) from ``source`` — ``spec`` (the requester's gold) or
    ``consensus`` — shown to fewer than ``max_views`` workers, that the worker has not seen."""
    where = _controls_for(campaign_id, worker_id, max_views, source)
    return int(session.execute(select(func.count()).where(where)).scalar_one())


def control_for(
    session: Session,
    campaign_id: int,
    worker_id: int,
    max_views: int,
    source: str,
    index: int,
    *,
    claim: bool = False,
) -> LabelItem | None:
    """The ``index``-th (by id) of the controls :func:`control_count_for` counts. With
    ``claim``, among those no other transaction holds, locked and read afresh (its view count
    changes): ``None`` when the one drawn is held elsewhere."""
    where = _controls_for(campaign_id, worker_id, max_views, source)
    statement = select(LabelItem).where(where).order_by(LabelItem.id).offset(index).limit(1)
    if claim:
        statement = statement.with_for_update(skip_locked=True).execution_options(
            populate_existing=True
        )
    return session.execute(statement).scalar_one_or_none()


def consensus_controls_in_service(session: Session, campaign_id: int, max_views: int) -> int:
    """Consensus gold not yet retired: the pool that keeps controls unknown in advance."""
    return int(
        session.execute(
            select(func.count()).where(
                LabelItem.campaign_id == campaign_id,
                LabelItem.gold_source == "consensus",
                LabelItem.control_views < max_views,
            )
        ).scalar_one()
    )


def control_counts(
    session: Session, campaign_id: int, worker_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """``worker → (offers, controls)`` so far: answers given plus offers held, and how many
    of them were controls (an answer recorded as gold; an offer held on a control)."""
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if not worker_ids:
        return {}
    ids = sorted(set(worker_ids))
    for worker_id, gold, n in session.execute(
        select(Judgment.worker_id, Judgment.gold, func.count())
        .where(Judgment.campaign_id == campaign_id, Judgment.worker_id.in_(ids))
        .group_by(Judgment.worker_id, Judgment.gold)
    ):
        found[worker_id][0] += int(n)
        found[worker_id][1] += int(n) if gold else 0
    for worker_id, control, n in session.execute(
        select(Offer.worker_id, LabelItem.gold_source.is_not(None), func.count())
        .join(LabelItem, LabelItem.id == Offer.item_id)
        .where(
            Offer.campaign_id == campaign_id,
            Offer.worker_id.in_(ids),
            Offer.status.in_(("open", "accepted")),
        )
        .group_by(Offer.worker_id, LabelItem.gold_source.is_not(None))
    ):
        found[worker_id][0] += int(n)
        found[worker_id][1] += int(n) if control else 0
    return {w: (found[w][0], found[w][1]) for w in ids}


def revocation_event(session: Session, campaign_id: int, sanction_id: int) -> CampaignEvent | None:
    """The ``worker_revoked`` event the mechanism wrote for this sanction."""
    rows = session.execute(
        select(CampaignEvent)
        .where(CampaignEvent.campaign_id == campaign_id, CampaignEvent.kind == "worker_revoked")
        .order_by(CampaignEvent.id.desc())
    ).scalars()
    for event in rows:
        if event.detail.get("sanction") == sanction_id:
            return event
    return None


def items(session: Session, campaign_id: int) -> list[LabelItem]:
    return list(
        session.execute(
            select(LabelItem).where(LabelItem.campaign_id == campaign_id).order_by(LabelItem.id)
        ).scalars()
    )


def judges(session: Session, item_ids: Sequence[int]) -> dict[int, set[int]]:
    """Who has judged (or holds an open offer on) each item: they never get it again (a
    revised pair's earlier raters may rate its new translation)."""
    found: dict[int, set[int]] = defaultdict(set)
    if not item_ids:
        return found
    for item_id, worker_id in session.execute(
        select(Judgment.item_id, Judgment.worker_id)
        .join(LabelItem, LabelItem.id == Judgment.item_id)
        .where(
            Judgment.item_id.in_(item_ids),
            # a revised pair is new: only the ratings of its new translation count
            or_(Judgment.kept.is_(True), LabelItem.revisions == 0),
        )
    ):
        found[item_id].add(worker_id)
    for offered, worker_id in session.execute(
        select(Offer.item_id, Offer.worker_id).where(
            Offer.item_id.in_(item_ids), Offer.status.in_(("open", "accepted"))
        )
    ):
        if offered is not None:
            found[offered].add(worker_id)
    return found


def items_seen_by(session: Session, campaign_id: int, worker_id: int) -> set[int]:
    judged = session.execute(
        select(Judgment.item_id).where(
            Judgment.campaign_id == campaign_id, Judgment.worker_id == worker_id
        )
    ).scalars()
    offered = session.execute(
        select(Offer.item_id).where(
            Offer.campaign_id == campaign_id,
            Offer.worker_id == worker_id,
            Offer.status.in_(("open", "accepted")),
        )
    ).scalars()
    return {i for i in (*judged, *offered) if i is not None}


def kept_judgments(session: Session, item_id: int) -> list[Judgment]:
    return list(
        session.execute(
            select(Judgment)
            .where(Judgment.item_id == item_id, Judgment.kept.is_(True))
            .order_by(Judgment.id)
        ).scalars()
    )


def judgments(session: Session, campaign_id: int) -> list[Judgment]:
    return list(
        session.execute(
            select(Judgment).where(Judgment.campaign_id == campaign_id).order_by(Judgment.id)
        ).scalars()
    )


def unsettled_judgments_of(session: Session, campaign_id: int, worker_id: int) -> list[Judgment]:
    """The worker's kept answers on regular items not yet settled: re-queued on revocation."""
    return list(
        session.execute(
            select(Judgment)
            .join(LabelItem, LabelItem.id == Judgment.item_id)
            .where(
                Judgment.campaign_id == campaign_id,
                Judgment.worker_id == worker_id,
                Judgment.kept.is_(True),
                LabelItem.status == "open",
                LabelItem.gold.is_(None),
            )
        ).scalars()
    )


def judgment_count(session: Session, campaign_id: int, *, pilot: bool | None = None) -> int:
    statement = select(func.count()).where(Judgment.campaign_id == campaign_id)
    if pilot is not None:
        statement = statement.where(Judgment.pilot.is_(pilot))
    return int(session.execute(statement).scalar_one())


def members(session: Session, campaign_id: int) -> list[CampaignWorker]:
    return list(
        session.execute(
            select(CampaignWorker)
            .where(CampaignWorker.campaign_id == campaign_id)
            .order_by(CampaignWorker.worker_id)
        ).scalars()
    )


def onboardings_paid(session: Session, campaign_id: int) -> int:
    """Members whose onboarding time the campaign has paid."""
    return int(
        session.execute(
            select(func.count()).where(
                CampaignWorker.campaign_id == campaign_id, CampaignWorker.onboarding_paid > 0
            )
        ).scalar_one()
    )


def onboarding_seconds_of(session: Session, worker_id: int) -> tuple[float, int]:
    """(seconds, minor units paid) the worker spent on and earned for onboarding, everywhere."""
    seconds, paid = session.execute(
        select(
            func.coalesce(func.sum(CampaignWorker.onboarding_seconds), 0.0),
            func.coalesce(func.sum(CampaignWorker.onboarding_paid), 0),
        ).where(CampaignWorker.worker_id == worker_id)
    ).one()
    return float(seconds), int(paid)


def qualities(
    session: Session, campaign_id: int, worker_ids: Sequence[int]
) -> dict[int, CampaignWorker]:
    if not worker_ids:
        return {}
    rows = session.execute(
        select(CampaignWorker).where(
            CampaignWorker.campaign_id == campaign_id, CampaignWorker.worker_id.in_(worker_ids)
        )
    ).scalars()
    return {row.worker_id: row for row in rows}


def offers_in_flight(session: Session, item_ids: Sequence[int]) -> dict[int, int]:
    if not item_ids:
        return {}
    rows = session.execute(
        select(Offer.item_id, func.count())
        .where(Offer.item_id.in_(item_ids), Offer.status.in_(("open", "accepted")))
        .group_by(Offer.item_id)
    ).all()
    return {int(item_id): int(n) for item_id, n in rows if item_id is not None}


def packages(
    session: Session,
    campaign_id: int,
    *,
    worker_id: int | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[ReviewPackage]:
    """A campaign's packages, oldest first; ``limit`` of them with an id above ``after``."""
    statement = (
        select(ReviewPackage)
        .where(ReviewPackage.campaign_id == campaign_id)
        .order_by(ReviewPackage.id)
    )
    if worker_id is not None:
        statement = statement.where(ReviewPackage.worker_id == worker_id)
    if after is not None:
        statement = statement.where(ReviewPackage.id > after)
    return list(session.execute(statement.limit(limit)).scalars())


def worker_packages(
    session: Session, worker_id: int, *, after: int | None = None, limit: int | None = None
) -> list[ReviewPackage]:
    """A reviewer's packages in every campaign, newest first; ``limit`` of them that come
    after package ``after`` in that order (an id below it)."""
    statement = (
        select(ReviewPackage)
        .where(ReviewPackage.worker_id == worker_id)
        .order_by(ReviewPackage.id.desc())
    )
    if after is not None:
        statement = statement.where(ReviewPackage.id < after)
    return list(session.execute(statement.limit(limit)).scalars())


def ratings_per_package(session: Session, package_ids: Sequence[int]) -> dict[int, int]:
    """Pairs rated so far in each package (a forfeited package's ratings too)."""
    if not package_ids:
        return {}
    rows = session.execute(
        select(Judgment.package_id, func.count())
        .where(Judgment.package_id.in_(package_ids))
        .group_by(Judgment.package_id)
    ).all()
    return {int(package_id): int(n) for package_id, n in rows if package_id is not None}


def package(session: Session, package_id: int) -> ReviewPackage:
    found = session.get(ReviewPackage, package_id)
    if found is None:
        raise NotFound(f"no package has id {package_id}", package_id=package_id)
    return found


def package_offers_open(session: Session, package_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).where(
                Offer.package_id == package_id, Offer.status.in_(("open", "accepted"))
            )
        ).scalar_one()
    )


def package_judgments(session: Session, package_id: int) -> list[Judgment]:
    return list(
        session.execute(
            select(Judgment).where(Judgment.package_id == package_id).order_by(Judgment.id)
        ).scalars()
    )


def other_ratings(
    session: Session, item_ids: Sequence[int], worker_id: int
) -> dict[int, list[tuple[float, str]]]:
    """Other reviewers' kept ratings of these pairs, with their package's status."""
    found: dict[int, list[tuple[float, str]]] = defaultdict(list)
    if not item_ids:
        return found
    rows = session.execute(
        select(Judgment.item_id, Judgment.answer, ReviewPackage.status)
        .join(ReviewPackage, ReviewPackage.id == Judgment.package_id)
        .where(
            Judgment.item_id.in_(item_ids),
            Judgment.worker_id != worker_id,
            Judgment.kept.is_(True),
        )
    )
    for item_id, answer, status in rows:
        found[item_id].append((float(str(answer)), status))
    return found


def pilot_seconds(session: Session, campaign_id: int) -> list[float]:
    """Seconds on task of the pilot's judgments, where the worker's client reported them."""
    return [
        float(seconds or 0.0)
        for seconds in session.execute(
            select(Judgment.seconds_on_task).where(
                Judgment.campaign_id == campaign_id,
                Judgment.pilot.is_(True),
                Judgment.seconds_on_task.is_not(None),
            )
        ).scalars()
    ]


def items_in_revision(session: Session, campaign_id: int) -> list[LabelItem]:
    return list(
        session.execute(
            select(LabelItem)
            .where(LabelItem.campaign_id == campaign_id, LabelItem.status == "revision")
            .order_by(LabelItem.id)
        ).scalars()
    )
