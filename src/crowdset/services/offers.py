"""The offer a worker holds, whatever the campaign's kind (SPEC §1): ask for the next one,
look at it, accept or skip it. Submitting is the kind's own use case
(``generation.submit_query`` / ``submit_vote``, ``labeling.submit_label``).

Asking is a lottery with admission tickets (``selection.tickets_won``, SPEC §1 and §6.6): each
account holds one ticket per slot of one task's modelled time, winning with its weight over the
largest weight among the campaign's active candidates, so workers get offers in proportion to
their weights however often they ask, and however many accounts they split a stake over; the
heaviest never waits. A worker who gets nothing is told when to ask again (:class:`NoOffer`);
the interval is the same for every worker — the modelled time of one task, the tickets' slot —
because an interval that grew as a worker's share shrank would square the shares of those who
follow it (see :func:`ask_again_after`).

Asking takes no campaign-wide lock (decision record 0005). A first, read-only transaction
finds the worker's current offer or draws their admission in each campaign; most asks end
there, an offer held or a 204, writing nothing. Only an admitted ask opens a write
transaction, which share-locks the campaign, locks the asker's own member row and claims
units ``FOR UPDATE SKIP LOCKED``; the escrow is checked under a narrow lock just before
commit. A worker's presence (``last_seen_at``) is written at most every
``SEEN_EVERY_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crowdset.core import selection
from crowdset.errors import Conflict, NotFound
from crowdset.services import generation, labeling
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, own_offer
from crowdset.storage import campaign_store as store
from crowdset.storage.models import Campaign, Offer

TAKING_WORK = ("running", "pilot")
ASK_AGAIN_MIN_SECONDS = selection.ASK_AGAIN_MIN_SECONDS
ASK_AGAIN_MAX_SECONDS = selection.ASK_AGAIN_MAX_SECONDS
SEEN_EVERY_SECONDS = 10
"""A worker's presence in a campaign is written at most this often: asks in between only
read. Far below any campaign's ``active_window_seconds`` (at least 30)."""


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
    (each slot's ticket wins with a chance ∝ the worker's weight). An interval of
    ``base / share`` would look kinder but is not: workers following it ask in proportion to
    their shares, and end with offers ∝ share² (stakes 10/100/1000: 0.01% / 1% / 99% instead
    of 1% / 9% / 90%)."""
    return selection.pacing_seconds(min(task_seconds, default=float(ASK_AGAIN_MAX_SECONDS)))


def _is_labeling(campaign: Campaign) -> bool:
    return campaign.kind in labeling.LABELING_KINDS


def offer_view(session: Session, offer: Offer, campaign: Campaign, ctx: Context) -> OfferView:
    if _is_labeling(campaign):
        return labeling.offer_view(session, offer, campaign, ctx)
    return generation.offer_view(session, offer, campaign, ctx)


def _screen(session: Session, ctx: Context, campaign: Campaign, asker: int) -> int:
    """Read-only: the asker's winning admission tickets in the campaign (each allows one new
    offer); above 0 when a claim may offer them work."""
    if _is_labeling(campaign):
        return labeling.screen(session, ctx, campaign, asker)
    return generation.screen(session, ctx, campaign, asker)


def _dispatch(session: Session, ctx: Context, campaign: Campaign, asker: int, tickets: int) -> int:
    """Offers for the admitted asker alone, at most one per winning ticket."""
    if _is_labeling(campaign):
        return labeling.dispatch(session, ctx, campaign, asker=asker, admitted=tickets)
    return generation.dispatch(session, ctx, campaign, asker=asker, admitted=tickets)


def _exclusive(campaign: Campaign) -> bool:
    """A review's revisions are drawn among every deposit holder at once: that dispatch
    still takes the campaign's row lock."""
    return _is_labeling(campaign) and labeling.spec_of(campaign).review is not None


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


@dataclass(frozen=True)
class _Look:
    """What the read-only first step of an ask found."""

    held: OfferView | None
    admitted: tuple[int, ...] = ()  # campaigns whose draw admitted the asker: claim there
    tickets: tuple[int, ...] = ()  # beside ``admitted``: the winning tickets in each
    exclusive: tuple[int, ...] = ()  # of those, the ones dispatched under the campaign lock
    unseen: tuple[int, ...] = ()  # campaigns where the asker's presence is due a write
    task_seconds: tuple[float, ...] = ()


def _current(
    session: Session, ctx: Context, worker_id: int, campaign_id: int | None, now: datetime
) -> OfferView | None:
    for offer in store.worker_offers(session, worker_id):
        if campaign_id is not None and offer.campaign_id != campaign_id:
            continue
        if offer.expires_at > now:
            campaign = store.campaign(session, offer.campaign_id)
            return offer_view(session, offer, campaign, ctx)
    return None


def _look(session: Session, ctx: Context, worker_id: int, campaign_id: int | None) -> _Look:
    now = ctx.now()
    if campaign_id is None:
        running = store.campaigns(session, status=TAKING_WORK)
    else:  # one campaign asked for: one row read (or none, when it does not exist)
        asked = session.get(Campaign, campaign_id)
        running = [asked] if asked is not None and asked.status in TAKING_WORK else []
    members = {c.id: store.campaign_worker(session, c.id, worker_id) for c in running}
    allowed = [c for c in running if (member := members[c.id]) is None or not member.blacklisted]
    stale = now - timedelta(seconds=SEEN_EVERY_SECONDS)
    unseen = [
        c.id for c in allowed if (member := members[c.id]) is None or member.last_seen_at < stale
    ]
    held = _current(session, ctx, worker_id, campaign_id, now)
    if held is not None:  # work in hand: no need to draw (drawing is the costly part)
        return _Look(held, unseen=tuple(c for c in unseen if members[c] is not None))
    won = {c.id: _screen(session, ctx, c, worker_id) for c in allowed}
    admitted = [c for c in allowed if won[c.id] > 0]
    return _Look(
        None,
        admitted=tuple(c.id for c in admitted),
        tickets=tuple(won[c.id] for c in admitted),
        exclusive=tuple(c.id for c in admitted if _exclusive(c)),
        unseen=tuple(unseen),
        task_seconds=tuple(_task_seconds(c) for c in allowed),
    )


def _claim(
    session: Session, ctx: Context, worker_id: int, campaign_id: int | None, look: _Look
) -> OfferView | None:
    """The write step: the asker's presence where it is due, then offers where they were
    admitted, campaign by campaign in id order."""
    now = ctx.now()
    for found in sorted(set(look.admitted) | set(look.unseen)):
        exclusive = found in look.exclusive
        campaign = store.campaign(session, found, for_update=exclusive, shared=not exclusive)
        store.mark_seen(session, found, worker_id, now)
        member = store.lock_member(session, found, worker_id)
        if found not in look.admitted or member is None or member.blacklisted:
            continue
        if campaign.status in TAKING_WORK:
            tickets = look.tickets[look.admitted.index(found)]
            _dispatch(session, ctx, campaign, worker_id, tickets)
    return _current(session, ctx, worker_id, campaign_id, now)


def ask_for_work(
    ctx: Context, worker_id: int, campaign_id: int | None = None
) -> OfferView | NoOffer:
    """Mark the worker active, enter them in each open campaign's draw, and return their
    current offer — or :class:`NoOffer` saying when to ask again.

    An offer the worker already holds comes before new ones (and costs no draw). Offers go to
    workers drawn by weight, not first come, first served: nothing now does not mean that no
    work exists. An ask that is not admitted anywhere writes nothing (unless the worker's
    presence is due, every ``SEEN_EVERY_SECONDS``).
    """
    look = ctx.db.run(lambda session: _look(session, ctx, worker_id, campaign_id), readonly=True)
    if look.held is not None:
        if look.unseen:

            def seen(session: Session) -> None:
                for found in look.unseen:
                    store.mark_seen(session, found, worker_id, ctx.now())

            ctx.db.run(seen)
        return look.held
    if look.admitted or look.unseen:
        drawn = ctx.db.run(lambda session: _claim(session, ctx, worker_id, campaign_id, look))
        if drawn is not None:
            return drawn
    return NoOffer(ask_again_after(look.task_seconds))


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
