"""The offer a worker holds, whatever the campaign's kind (SPEC §1): ask for the next one,
look at it, accept or skip it. Submitting is the kind's own use case
(``generation.submit_query`` / ``submit_vote``, ``labeling.submit_label``).

Asking is a lottery (``selection.admits``, SPEC §1 and §6.6): each ask is admitted with the
asker's weight over the largest weight among the campaign's active candidates, so workers who
ask equally often get offers in proportion to their weights, and the heaviest never waits. A
worker who gets nothing is told when to ask again (:class:`NoOffer`); the interval is the same
for every worker — the modelled time of one task — because an interval that grew as a
worker's share shrank would square the shares of those who follow it
(see :func:`ask_again_after`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from crowdset.errors import Conflict, NotFound
from crowdset.services import generation, labeling
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, own_offer
from crowdset.storage import campaign_store as store
from crowdset.storage.models import Campaign, Offer

TAKING_WORK = ("running", "pilot")
ASK_AGAIN_MIN_SECONDS = 2
ASK_AGAIN_MAX_SECONDS = 60


@dataclass(frozen=True)
class NoOffer:
    """Nothing for the worker right now: ask again in ``retry_after_seconds``."""

    retry_after_seconds: int


def ask_again_after(task_seconds: Iterable[float]) -> int:
    """Seconds before a worker who got nothing should ask again: the shortest modelled task
    time among the campaigns open to them, rounded up and clamped to [2, 60]; 60 when none
    takes work.

    Why one task's time, and the same for everyone: a worker who gets an offer asks again when
    the task is done, about one task time later. Told to wait that long when refused too, every
    worker asks at the same pace whether drawn or not, and the lottery's shares hold
    (``admits`` gives each ask a chance ∝ the worker's weight). An interval of
    ``base / share`` would look kinder but is not: workers following it ask in proportion to
    their shares, and end with offers ∝ share² (stakes 10/100/1000: 0.01% / 1% / 99% instead
    of 1% / 9% / 90%)."""
    shortest = min(task_seconds, default=float(ASK_AGAIN_MAX_SECONDS))
    return min(ASK_AGAIN_MAX_SECONDS, max(ASK_AGAIN_MIN_SECONDS, math.ceil(shortest)))


def _is_labeling(campaign: Campaign) -> bool:
    return campaign.kind in labeling.LABELING_KINDS


def offer_view(session: Session, offer: Offer, campaign: Campaign, ctx: Context) -> OfferView:
    if _is_labeling(campaign):
        return labeling.offer_view(session, offer, campaign, ctx)
    return generation.offer_view(session, offer, campaign, ctx)


def _dispatch(session: Session, ctx: Context, campaign: Campaign, asker: int) -> int:
    """Enter the asker in the campaign's draw; offers are made for them alone."""
    if _is_labeling(campaign):
        return labeling.dispatch(session, ctx, campaign, asker=asker)
    return generation.dispatch(session, ctx, campaign, asker=asker)


def _task_seconds(campaign: Campaign) -> float:
    """The modelled time of one task: a judgment, a review's pair, a vote or a query
    (whichever is shorter in a generation campaign)."""
    if _is_labeling(campaign):
        spec = labeling.spec_of(campaign)
        if spec.review is not None:
            return float(spec.review.minutes_per_pair) * 60
        return float(spec.seconds_per_judgment)
    found = generation.spec_of(campaign)
    return float(min(found.seconds_per_query, found.seconds_per_vote))


def _ttl_seconds(campaign: Campaign) -> int:
    if _is_labeling(campaign):
        return labeling.spec_of(campaign).offer_ttl_seconds
    return generation.spec_of(campaign).offer_ttl_seconds


def ask_for_work(
    ctx: Context, worker_id: int, campaign_id: int | None = None
) -> OfferView | NoOffer:
    """Mark the worker active, enter them in each open campaign's draw, and return their
    current offer — or :class:`NoOffer` saying when to ask again.

    An offer the worker already holds comes before new ones (and costs no draw). Offers go to
    workers drawn by weight, not first come, first served: nothing now does not mean that no
    work exists.
    """

    def work(session: Session) -> OfferView | NoOffer:
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
            _dispatch(session, ctx, locked, worker_id)
        drawn = current()
        if drawn is not None:
            return drawn
        return NoOffer(ask_again_after(_task_seconds(c) for c in allowed))

    return ctx.db.run(work)


def next_offer(ctx: Context, worker_id: int, campaign_id: int | None = None) -> OfferView | None:
    """:func:`ask_for_work` for callers that need no hint: the offer, or ``None``."""
    found = ask_for_work(ctx, worker_id, campaign_id)
    return found if isinstance(found, OfferView) else None


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
