"""The offer a worker holds, whatever the campaign's kind (SPEC §1): ask for the next one,
look at it, accept or skip it. Submitting is the kind's own use case
(``generation.submit_query`` / ``submit_vote``, ``labeling.submit_label``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from crowdset.errors import Conflict, NotFound
from crowdset.services import generation, labeling
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, own_offer
from crowdset.storage import campaign_store as store
from crowdset.storage.models import Campaign, Offer

TAKING_WORK = ("running", "pilot")


def _is_labeling(campaign: Campaign) -> bool:
    return campaign.kind in labeling.LABELING_KINDS


def offer_view(session: Session, offer: Offer, campaign: Campaign, ctx: Context) -> OfferView:
    if _is_labeling(campaign):
        return labeling.offer_view(session, offer, campaign, ctx)
    return generation.offer_view(session, offer, campaign, ctx)


def _dispatch(session: Session, ctx: Context, campaign: Campaign) -> int:
    if _is_labeling(campaign):
        return labeling.dispatch(session, ctx, campaign)
    return generation.dispatch(session, ctx, campaign)


def _ttl_seconds(campaign: Campaign) -> int:
    if _is_labeling(campaign):
        return labeling.spec_of(campaign).offer_ttl_seconds
    return generation.spec_of(campaign).offer_ttl_seconds


def next_offer(ctx: Context, worker_id: int, campaign_id: int | None = None) -> OfferView | None:
    """Mark the worker active, hand out work, and return their current offer (or ``None``).

    An accepted offer comes before new ones; ``None`` means "nothing for you right now: ask
    again shortly" — offers go to workers drawn by stake, not first come, first served.
    """

    def work(session: Session) -> OfferView | None:
        now = ctx.now()
        running = [c for status in TAKING_WORK for c in store.campaigns(session, status=status)]
        running.sort(key=lambda c: c.id)
        if campaign_id is not None:
            running = [c for c in running if c.id == campaign_id]
        members = {c.id: store.campaign_worker(session, c.id, worker_id) for c in running}
        allowed = [
            c for c in running if (member := members[c.id]) is None or not member.blacklisted
        ]

        def current() -> OfferView | None:
            for offer in store.worker_offers(session, worker_id):
                if campaign_id is not None and offer.campaign_id != campaign_id:
                    continue
                if offer.expires_at > now:
                    campaign = store.campaign(session, offer.campaign_id)
                    return offer_view(session, offer, campaign, ctx)
            return None

        held = current()
        if held is not None:  # work in hand: no need to draw (drawing is the costly part)
            for c in allowed:
                member = members[c.id]
                if member is not None:
                    member.last_seen_at = now
            return held
        for found in allowed:  # lock in id order: no deadlocks between dispatchers
            locked = store.campaign(session, found.id, for_update=True)
            store.touch_worker(session, locked.id, worker_id, now)
            session.flush()
            _dispatch(session, ctx, locked)
        return current()

    return ctx.db.run(work)


def get_offer(ctx: Context, worker_id: int, offer_id: int) -> OfferView:
    def work(session: Session) -> OfferView:
        offer = store.offer(session, offer_id)
        if offer.worker_id != worker_id:
            raise NotFound(f"no offer has id {offer_id}", offer_id=offer_id)
        return offer_view(session, offer, store.campaign(session, offer.campaign_id), ctx)

    return ctx.db.run(work, readonly=True)


def accept_offer(ctx: Context, worker_id: int, offer_id: int) -> OfferView:
    """Take the offer: it is yours until it expires (the time limit starts again now)."""

    def work(session: Session) -> OfferView:
        now = ctx.now()
        offer = own_offer(session, worker_id, offer_id, now)
        campaign = store.campaign(session, offer.campaign_id)
        if campaign.status not in TAKING_WORK:
            raise Conflict(
                f"campaign {campaign.id} is {campaign.status}: it takes no new work",
                campaign_id=campaign.id,
            )
        if offer.status == "open":
            offer.status, offer.accepted_at = "accepted", now
            offer.expires_at = now + timedelta(seconds=_ttl_seconds(campaign))
        return offer_view(session, offer, campaign, ctx)

    return ctx.db.run(work)


def skip_offer(ctx: Context, worker_id: int, offer_id: int) -> None:
    """Decline: the unit is re-drawn among other workers."""

    def work(session: Session) -> None:
        now = ctx.now()
        offer = own_offer(session, worker_id, offer_id, now)
        offer.status, offer.finished_at = "skipped", now

    ctx.db.run(work)
