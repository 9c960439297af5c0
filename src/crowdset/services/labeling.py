"""Labeling work (SPEC §3, §6): onboarding gates, offers with hidden controls, answers, the
live quality model with revocation and fines, dynamic overlap, and payment.

The rules live in the core (``core.labeling``, ``core.mechanism``); this module runs them in
transactions. Anything touching a campaign's work locks the campaign row first, as generation
does, and every credit moved is a ledger transaction in the same unit of work.

- **One posterior** per worker × campaign × track (``label`` for classify, ``rate`` for rate
  and review), kept by ``services.mechanism``: a control answer is CONTROL evidence (weight
  1), agreement with a confident settled consensus DECISION evidence (weight 0.5).
- **Payment** is per judgment, at submission, for every judgment (control or not: paying
  controls at another moment would tell the worker which items were controls). It lands in
  the worker's ``pending`` account and moves to ``available`` once their posterior's lower
  bound clears the bar, or at close.
- **Controls** are the requester's gold items and **consensus gold**: a regular item settled
  at ``mechanism.consensus_gold_confidence`` by workers whose control record puts them above
  the bar becomes a control for workers who have not judged it (its known answer is its
  settled answer; ``gold`` stays the requester's own). A worker's controls stay within one of
  ``gold.share ×`` their offers (``core.labeling.judging.wants_control``), each control
  replacing a regular item the worker could have had; every control is retired once
  ``mechanism.control_max_views`` workers were shown it.
- **Revocation with a fine** (SPEC §6.4, ``services.mechanism.observe``): pending pay goes
  back to the escrow, a fine moves from the stake, the worker gets no more offers, their
  open offers are withdrawn and their kept answers on unsettled items are dropped from the
  consensus, so those items are offered again. A wrong control answer costs the price of one
  judgment (what catching it cost), the floor of the fine.
- **Stake.** Offers go to workers whose stake covers the fine they can reach before the
  rule can revoke them: the spec's ``min_stake``, raised to
  ``core.labeling.judging.required_stake`` where that is more.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from crowdset.core import selection
from crowdset.core.economics import require_fair_price
from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.judging import (
    CONSENSUS_POOL,
    Consensus,
    LabelingPricing,
    consensus,
    is_confident,
    is_consensus_gold,
    is_correct,
    labeling_pricing,
    mechanism_of,
    required_stake,
    track_of,
    wants_control,
)
from crowdset.core.labeling.spec import LABELING_TYPES, Answer, LabelingSpec
from crowdset.core.ledger import escrow_account
from crowdset.core.mechanism import Evidence, MechanismSettings
from crowdset.core.mechanism import is_established as established_record
from crowdset.core.mechanism.newcomers import bounty_tasks, bounty_tasks_left, bounty_weight
from crowdset.core.quality import WorkerQuality
from crowdset.errors import Conflict, InvalidInput, NotFound
from crowdset.services import admission, idempotency, mechanism, newcomers, review
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, own_offer, submittable
from crowdset.services.idempotency import Once
from crowdset.storage import campaign_store as store
from crowdset.storage import labeling_store as items_store
from crowdset.storage import ledger_store
from crowdset.storage import mechanism_store as tracks_store
from crowdset.storage.models import (
    Campaign,
    CampaignWorker,
    Judgment,
    LabelItem,
    Offer,
    WorkerTrack,
)

LABELING_KINDS = LABELING_TYPES


# --- the campaign as the rules see it ---------------------------------------------------------

_SPECS: dict[str, LabelingSpec] = {}


def spec_of(campaign: Campaign) -> LabelingSpec:
    """The campaign's spec, parsed once per process (specs never change after creation)."""
    found = _SPECS.get(campaign.spec_digest)
    if found is None:
        found = LabelingSpec.model_validate_json(json.dumps(campaign.spec))
        if len(_SPECS) > 64:
            _SPECS.clear()
        _SPECS[campaign.spec_digest] = found
    return found


def pricing_of(ctx: Context, spec: LabelingSpec) -> LabelingPricing:
    settings = ctx.settings
    return labeling_pricing(
        spec,
        fair_hourly_wage=settings.fair_hourly_wage,
        minor_per_unit=settings.minor_per_unit,
        fee_share=settings.platform_fee_share,
    )


def min_stake_of(ctx: Context, spec: LabelingSpec) -> int:
    """The stake (minor units) a worker needs for offers: the spec's ``min_stake``, raised to
    what covers the fine they can reach before revocation (SPEC §6.4). A review's deposits
    are its bond, so it keeps the spec's own minimum."""
    own = max(int(spec.min_stake * ctx.settings.minor_per_unit), 1)
    if spec.review is not None:
        return own
    return max(own, required_stake(spec, pricing_of(ctx, spec).per_judgment))


def add_items(session: Session, campaign_id: int, rows: list[ItemRow]) -> None:
    items_store.add_items(session, campaign_id, rows)


def answer_json(answer: Answer) -> object:
    return list(answer) if isinstance(answer, tuple) else answer


def answer_of(stored: object) -> Answer:
    return tuple(str(a) for a in stored) if isinstance(stored, list) else str(stored)


def quality_of(row: WorkerTrack | None) -> WorkerQuality:
    """A worker's live posterior on the campaign's track (the prior when nothing is known)."""
    if row is None:
        return WorkerQuality()
    return mechanism.record_of(row).quality


def is_established(row: WorkerTrack | None, settings: MechanismSettings) -> bool:
    """May the worker help make consensus gold (SPEC §6.1)? Their quality on the track is
    established (``core.mechanism.is_established``) and not revoked."""
    if row is None or row.revoked_at is not None:
        return False
    return established_record(
        mechanism.record_of(row), bar=settings.bar_on(row.track), confidence=settings.confidence
    )


def tracks_of(
    session: Session, campaign: Campaign, spec: LabelingSpec, worker_ids: list[int]
) -> dict[int, WorkerTrack]:
    return tracks_store.tracks_of(session, campaign.id, track_of(spec).value, worker_ids)


def track_row(
    session: Session, campaign: Campaign, spec: LabelingSpec, worker_id: int
) -> WorkerTrack | None:
    return tracks_store.track_row(
        session, campaign.id, worker_id, track_of(spec).value, create=False
    )


def control_truth(item: LabelItem) -> Answer | None:
    """A control's known answer: the requester's gold, or a consensus gold item's settled
    answer; ``None`` for a regular item."""
    if item.gold is not None:
        return answer_of(item.gold)
    if item.gold_source == "consensus" and item.answer is not None:
        return answer_of(item.answer)
    return None


# --- onboarding gates -------------------------------------------------------------------------


def gate_of(
    spec: LabelingSpec, member: CampaignWorker | None, *, revoked: bool | None = None
) -> str:
    """Where a worker stands: ``tutorial`` | ``qualifier`` | ``failed`` | ``revoked`` |
    ``blacklisted`` | ``open``. Only ``open`` workers get offers.

    ``revoked`` is the worker's track record (``services.mechanism``), which decides; without
    it the member row's copy (``revoked_at``, kept in sync) does."""
    if member is not None and member.blacklisted:
        return "blacklisted"
    if revoked is None:
        revoked = member is not None and member.revoked_at is not None
    if revoked:
        return "revoked"
    if spec.tutorial and (member is None or not member.tutorial_done):
        return "tutorial"
    if spec.qualifier is not None and (member is None or not member.qualified):
        if member is not None and member.qualifier_attempts >= spec.qualifier.attempts:
            return "failed"
        return "qualifier"
    return "open"


def bounty_tasks_of(ctx: Context, spec: LabelingSpec) -> int | None:
    """The campaign's bounty tasks (``None``: no bounty): ``bounty.tasks``, or as many
    judgments as pay the required stake (``core.mechanism.newcomers.bounty_tasks``)."""
    if spec.bounty is None:
        return None
    return bounty_tasks(
        spec.bounty,
        required_stake=min_stake_of(ctx, spec),
        pay_per_task=pricing_of(ctx, spec).per_judgment,
    )


def is_revoked(member: CampaignWorker | None, track: WorkerTrack | None) -> bool:
    """The track record decides (an upheld appeal lifts it there); a worker with no record
    yet falls back on the member row's copy."""
    if track is not None:
        return track.revoked_at is not None
    return member is not None and member.revoked_at is not None


def _gate(
    session: Session, campaign: Campaign, spec: LabelingSpec, member: CampaignWorker | None
) -> str:
    """The worker's gate, revocation read from their track record."""
    track = None if member is None else track_row(session, campaign, spec, member.worker_id)
    return gate_of(spec, member, revoked=is_revoked(member, track))


# --- dispatch ---------------------------------------------------------------------------------


def _candidates(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    now: datetime,
    asker: int | None = None,
) -> dict[int, selection.Candidate]:
    """Who may be drawn, weighted; ``asker`` counts as active (they are asking now)."""
    members = store.active_workers(
        session, campaign.id, now - timedelta(seconds=spec.active_window_seconds), asker=asker
    )
    minor = ctx.settings.minor_per_unit
    ids = [m.worker_id for m in members]
    stake = store.stakes(session, ids)
    tracks = tracks_of(session, campaign, spec, ids)
    min_stake = min_stake_of(ctx, spec)
    tasks = bounty_tasks_of(ctx, spec)
    found: dict[int, selection.Candidate] = {}
    for member in members:
        track = tracks.get(member.worker_id)
        if gate_of(spec, member, revoked=is_revoked(member, track)) != "open":
            continue
        staked = stake.get(member.worker_id, 0)
        if staked >= min_stake:
            weight = staked / minor
        elif bounty_tasks_left(tasks, staked=staked, required=min_stake, used=member.answers):
            weight = bounty_weight(staked / minor)  # a newcomer on the bounty (SPEC §6.6)
        else:
            continue
        found[member.worker_id] = selection.Candidate(
            member.worker_id, weight, quality_of(track).posterior_mean()
        )
    return found


def _pilot_room(session: Session, campaign: Campaign, spec: LabelingSpec, offers: int) -> int:
    if campaign.status != "pilot" or spec.pilot is None:
        return 1 << 30
    return max(0, spec.pilot.units - items_store.judgment_count(session, campaign.id) - offers)


CONTROL_SOURCES = ("spec", "consensus")


class _Controls:
    """Serving controls during one dispatch: each worker's offers and controls so far."""

    def __init__(
        self, session: Session, campaign: Campaign, spec: LabelingSpec, settings: MechanismSettings
    ):
        self.session = session
        self.campaign = campaign
        self.track = track_of(spec)
        self.settings = settings
        self.max_views = settings.control_max_views
        self.counts: dict[int, tuple[int, int]] = {}
        self.shares: dict[int, float] = {}

    def load(self, worker_ids: list[int]) -> None:
        """Each worker's offers and controls so far, and their share: ``probation_share``
        until their quality on the track is established (``mechanism.control_shares``)."""
        if self.settings.control_share > 0:
            self.counts = items_store.control_counts(self.session, self.campaign.id, worker_ids)
            self.shares = mechanism.control_shares(
                self.session, self.campaign.id, self.settings, self.track, worker_ids
            )

    def pick(
        self, worker_id: int, rng: np.random.Generator, *, claim: bool = False
    ) -> LabelItem | None:
        """A control the worker has not seen, when their share is due; else ``None``. With
        ``claim``, one that no other transaction holds (``items_store.control_for``)."""
        offers, controls = self.counts.get(worker_id, (0, 0))
        share = self.shares.get(worker_id, self.settings.control_share)
        if not wants_control(offers, controls, share, rng.random()):
            return None
        campaign_id, views = self.campaign.id, self.max_views
        unseen = {
            source: items_store.control_count_for(
                self.session, campaign_id, worker_id, views, source
            )
            for source in CONTROL_SOURCES
        }
        kinds = [source for source, n in unseen.items() if n > 0]
        if not kinds:
            return None
        # either kind with even odds: the requester's gold is a fixed list a ring can learn,
        # consensus gold cannot be known in advance
        source = kinds[int(rng.integers(len(kinds)))]
        index = int(rng.integers(unseen[source]))
        return items_store.control_for(
            self.session, campaign_id, worker_id, views, source, index, claim=claim
        )

    def offered(self, worker_id: int, item: LabelItem, control: bool) -> None:
        offers, controls = self.counts.get(worker_id, (0, 0))
        self.counts[worker_id] = (offers + 1, controls + control)
        if control:
            item.control_views += 1  # counted when shown: retired at control_max_views


def _units(
    session: Session,
    campaign: Campaign,
    spec: LabelingSpec,
    in_flight: Counter[int],
    budget: int,
    asker: int | None,
) -> list[LabelItem]:
    """Regular items still needing judgments, least-judged first, once per judgment missing.
    For an asker, only items they have not seen, each once."""
    if asker is None:
        found = items_store.open_items(session, campaign.id, limit=budget * 4)
    else:
        found = items_store.open_items_for(session, campaign.id, asker, limit=budget * 4 + 50)
    units: list[LabelItem] = []
    for item in found:
        missing = max(spec.overlap.min - item.judgments, 1) - in_flight[item.id]
        units += [item] * (min(missing, 1) if asker is not None else max(0, missing))
    return units[:budget]


def screen(session: Session, ctx: Context, campaign: Campaign, asker: int) -> int:
    """Read-only, no lock: would a dispatch for ``asker`` make them an offer now? Reads the
    asker's admission tickets (:func:`_tickets`) and checks that they have room, that the escrow
    covers one more judgment and that an item is waiting for them. Returns the winning
    tickets, 0 when no offer would come; above 0 means: claim with ``dispatch(..., asker,
    admitted=tickets)``. A review's revisions take no tickets (1 when some wait)."""
    if campaign.status not in ("running", "pilot"):
        return 0
    spec = spec_of(campaign)
    if spec.review is not None:  # revisions only (packages are taken, not drawn)
        return int(bool(items_store.items_in_revision(session, campaign.id)))
    now = ctx.now()
    candidates = _candidates(session, ctx, campaign, spec, now, asker=asker)
    tickets = _tickets(session, ctx, campaign, spec, candidates, asker)
    if tickets <= 0:
        return 0
    offers = store.open_offers(session, campaign.id, now=now)
    if _asker_budget(session, ctx, campaign, spec, offers, asker) <= 0:
        return 0
    return tickets if items_store.open_items_for(session, campaign.id, asker, limit=1) else 0


def _tickets(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    candidates: dict[int, selection.Candidate],
    asker: int,
) -> int:
    """SPEC §6.6: how many new offers the asker may get now — their winning admission tickets
    (``services.admission``), each winning with their weight over the largest among the
    active candidates; 0 when they are not a candidate."""
    if asker not in candidates:
        return 0
    settings = mechanism_of(spec)
    chance = selection.admission_chance(
        asker,
        list(candidates.values()),
        rule=settings.selection,
        cap=float(settings.stake_cap),
    )
    return admission.tickets_won(
        session,
        ctx,
        campaign,
        asker,
        chance,
        task_seconds=float(spec.seconds_per_judgment),
        most=spec.max_open_offers,
    )


def _asker_budget(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    offers: list[Offer],
    asker: int,
) -> int:
    """Offers the asker may get now: their room under ``max_open_offers``, within what the
    escrow still covers after every offer in flight, and within the pilot."""
    exposure = pricing_of(ctx, spec).exposure
    room = spec.max_open_offers - sum(1 for o in offers if o.worker_id == asker)
    free = ledger_store.balance_of(session, escrow_account(campaign.id)) - len(offers) * exposure
    return min(room, free // exposure, _pilot_room(session, campaign, spec, len(offers)))


def _claim_for(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    asker: int,
    allowance: int,
) -> int:
    """Offers for an admitted asker without a campaign-wide lock (decision record 0005), at
    most ``allowance`` (their winning admission tickets).

    The caller holds the asker's member row (their open offers cannot change meanwhile). Items
    are claimed ``FOR UPDATE SKIP LOCKED`` and their offers in flight counted after the claim,
    so no item gets more offers than it needs; a control is claimed the same way. Last, under
    the narrow escrow lock (``store.guard_escrow``), every offer in flight is counted again and
    those of this call that the escrow or the pilot cannot cover are taken back."""
    now = ctx.now()
    candidate = _candidates(session, ctx, campaign, spec, now, asker=asker).get(asker)
    if candidate is None:
        return 0
    settings = mechanism_of(spec)
    rule, cap = settings.selection, float(settings.stake_cap)
    offers = store.open_offers(session, campaign.id, now=now)
    budget = min(_asker_budget(session, ctx, campaign, spec, offers, asker), allowance)
    if budget <= 0:
        return 0
    items = items_store.claim_items_for(session, campaign.id, asker, budget, spec.overlap.min)
    in_flight = items_store.offers_in_flight(session, [i.id for i in items])
    controls = _Controls(session, campaign, spec, settings)
    controls.load([asker])
    expires = now + timedelta(seconds=spec.offer_ttl_seconds)
    made: list[tuple[Offer, LabelItem, bool]] = []
    for unit in items:
        if max(spec.overlap.min - unit.judgments, 1) - in_flight.get(unit.id, 0) <= 0:
            continue  # offered meanwhile to as many workers as it needs
        # the asker alone is in the draw; drawn all the same, so the generator runs as when
        # the draw was among everyone (runs with a seed repeat)
        if selection.draw([candidate], ctx.rng, rule=rule, cap=cap) is None:
            continue
        control = controls.pick(asker, ctx.rng, claim=True)
        item = control if control is not None else unit
        controls.offered(asker, item, control is not None)
        offer = Offer(
            campaign_id=campaign.id,
            worker_id=asker,
            kind="label",
            item_id=item.id,
            status="open",
            refusals=0,
            created_at=now,
            expires_at=expires,
        )
        session.add(offer)
        made.append((offer, item, control is not None))
    if not made:
        return 0
    session.flush()
    store.guard_escrow(session, campaign.id)
    everyone = store.open_offers(session, campaign.id, now=now)  # ours and all committed
    exposure = pricing_of(ctx, spec).exposure
    free = ledger_store.balance_of(session, escrow_account(campaign.id)) - len(everyone) * exposure
    over = -(free // exposure) if free < 0 else 0  # offers the escrow cannot cover
    if campaign.status == "pilot" and spec.pilot is not None:
        judged = items_store.judgment_count(session, campaign.id)
        over = max(over, judged + len(everyone) - spec.pilot.units)
    for offer, shown, was_control in made[len(made) - min(over, len(made)) :]:
        if was_control:
            shown.control_views -= 1
        session.delete(offer)
    session.flush()
    return len(made) - min(over, len(made))


def dispatch(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    asker: int | None = None,
    *,
    admitted: int = 0,
) -> int:
    """Expire stale offers; offer items still needing judgments to workers drawn by
    ``selection.offer_weight`` (the spec's ``mechanism.selection`` rule and ``stake_cap``)
    × their posterior mean on the campaign's track, among those who passed the gates. When a
    worker's share of controls is due, their offer is a control instead and the regular item
    waits for the next dispatch.

    With ``asker``, only the asking worker can get offers from this call (up to
    ``max_open_offers`` and their winning admission tickets, :func:`_tickets`, or ``admitted``
    when :func:`screen` counted them), and only when a ticket wins, so shares follow the
    weights when work is plentiful too: call with the campaign row share-locked and the
    asker's member row locked (:func:`_claim_for`). Without ``asker`` (simulations, tests,
    a review's revisions), call with the campaign row locked."""
    now = ctx.now()
    store.expire_offers(session, campaign.id, now)
    if campaign.status not in ("running", "pilot"):
        return 0
    spec = spec_of(campaign)
    if spec.review is not None:
        # a review's ratings go out in packages that reviewers take (take_package); only the
        # revisions of pairs near the cut line are offered here, to deposit holders
        return review.offer_revisions(session, ctx, campaign, spec)
    settings = mechanism_of(spec)
    rule, cap = settings.selection, float(settings.stake_cap)
    if asker is not None:
        allowance = admitted
        if allowance <= 0:
            candidates = _candidates(session, ctx, campaign, spec, now, asker=asker)
            allowance = _tickets(session, ctx, campaign, spec, candidates, asker)
        if allowance <= 0:
            return 0
        return _claim_for(session, ctx, campaign, spec, asker, allowance)
    candidates = _candidates(session, ctx, campaign, spec, now)
    prices = pricing_of(ctx, spec)
    offers = store.open_offers(session, campaign.id)
    inbox = Counter(o.worker_id for o in offers)
    room = sum(max(0, spec.max_open_offers - inbox[w]) for w in candidates)
    free = ledger_store.balance_of(session, escrow_account(campaign.id)) - len(offers) * (
        prices.exposure
    )
    budget = min(room, free // prices.exposure, _pilot_room(session, campaign, spec, len(offers)))
    if budget <= 0:
        return 0
    in_flight = Counter(o.item_id for o in offers if o.item_id is not None)
    units = _units(session, campaign, spec, in_flight, budget, asker)
    taken = items_store.judges(session, sorted({u.id for u in units}))
    controls = _Controls(session, campaign, spec, settings)
    controls.load(sorted(candidates))
    expires = now + timedelta(seconds=spec.offer_ttl_seconds)
    made = 0
    for unit in units:
        pool = [
            c
            for w, c in candidates.items()
            if w not in taken[unit.id] and inbox[w] < spec.max_open_offers
        ]
        chosen = selection.draw(pool, ctx.rng, rule=rule, cap=cap)
        if chosen is None:
            continue
        worker = chosen.worker_id
        control = controls.pick(worker, ctx.rng)
        item = control if control is not None else unit
        controls.offered(worker, item, control is not None)
        inbox[worker] += 1
        taken[item.id].add(worker)
        session.add(
            Offer(
                campaign_id=campaign.id,
                worker_id=worker,
                kind="label",
                item_id=item.id,
                status="open",
                refusals=0,
                created_at=now,
                expires_at=expires,
            )
        )
        made += 1
    session.flush()
    return made


# --- what a worker sees -----------------------------------------------------------------------


def offer_view(session: Session, offer: Offer, campaign: Campaign, ctx: Context) -> OfferView:
    """The item and the choices; nothing that tells a gold item from any other."""
    spec = spec_of(campaign)
    item = items_store.item(session, offer.item_id or 0)
    prompts = {
        "rate": "Rate the item from 1 to 5 stars following the rubric.",
        "review": "Rate the translation from 1 to 5 stars following the rubric.",
        "classify": "Pick every label that applies." if spec.multi_label else "Pick one label.",
    }
    prompt = prompts[spec.type]
    if offer.kind == "revise":
        return OfferView(
            id=offer.id,
            campaign_id=campaign.id,
            campaign_name=campaign.name,
            kind="revise",
            status=offer.status,
            expires_at=offer.expires_at,
            intent="",
            description="",
            values=(),
            prompt="Edit the translation so that it needs no change: it must say what the "
            "source says, fluently.",
            price=review.revision_price(ctx, spec),
            instructions=spec.instructions,
            item_text=item.text,
            item_target=item.target,
        )
    return OfferView(
        id=offer.id,
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        kind="label",
        status=offer.status,
        expires_at=offer.expires_at,
        intent="",
        description="",
        values=(),
        prompt=prompt,
        price=pricing_of(ctx, spec).per_judgment,
        instructions=spec.instructions,
        item_text=item.text,
        item_target=item.target,
        item_image=item.image,
        choices=spec.choices,
        multi_label=spec.multi_label,
    )


# --- answers, quality, revocation -------------------------------------------------------------


def _parse_answer(spec: LabelingSpec, raw: object) -> Answer:
    try:
        return spec.answer(raw)
    except ValueError as error:
        raise InvalidInput(f"answer: {error}", field="answer") from None


def _observe(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    worker_id: int,
    *,
    correct: bool,
    evidence: Evidence,
) -> None:
    """One piece of evidence on the worker's track; on revocation, withdraw their offers,
    re-queue their kept answers on unsettled items and keep the member row in sync."""
    failure_cost = 0
    if evidence is Evidence.CONTROL:
        # a failed control cost a paid judgment; in a review, a rating at the pool's price
        failure_cost = (
            pricing_of(ctx, spec).per_judgment
            if spec.review is None
            else review.rating_price(session, campaign)
        )
    seen = mechanism.observe(
        session,
        ctx,
        campaign,
        mechanism_of(spec),
        track_of(spec),
        worker_id,
        correct=correct,
        evidence=evidence,
        failure_cost=failure_cost,
    )
    if seen.revoked_now:
        on_revoked(session, ctx, campaign, spec, worker_id, seen.sanction_id)


def on_revoked(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    worker_id: int,
    sanction_id: int | None,
) -> None:
    """What revocation does to the worker's work in the campaign (the money is
    ``mechanism.revoke``'s): offers withdrawn, kept answers on unsettled items re-queued, the
    member row kept in sync; in a review, their package set aside."""
    now = ctx.now()
    member = store.campaign_worker(session, campaign.id, worker_id)
    if member is not None:
        member.revoked_at = now
    store.withdraw_offers(session, campaign.id, now, worker_id=worker_id)
    requeued = 0
    for judgment in items_store.unsettled_judgments_of(session, campaign.id, worker_id):
        judgment.kept = False
        item = items_store.item(session, judgment.item_id)
        item.judgments -= 1
        requeued += 1
    session.flush()
    event = (
        items_store.revocation_event(session, campaign.id, sanction_id)
        if sanction_id is not None
        else None
    )
    if event is not None:
        event.detail = {**event.detail, "answers_requeued": requeued}
    if spec.review is not None:  # its settled pairs are rated again too, and its package ends
        review.set_aside(session, ctx, campaign, worker_id)


def _consensus_of(
    spec: LabelingSpec, kept: list[Judgment], tracks: dict[int, WorkerTrack]
) -> Consensus:
    return consensus(
        spec,
        [answer_of(j.answer) for j in kept],
        [quality_of(tracks.get(j.worker_id)).posterior_mean() for j in kept],
    )


def _settle_item(
    session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec, item: LabelItem
) -> None:
    """Recompute the item's consensus; settle it when it needs no more judgments. Once it
    settles, each kept judgment is DECISION evidence about its worker against the *other*
    judgments' consensus where that is confident (``is_confident``), else against the item's
    confident consensus where the worker's answer did not tip it; the item becomes consensus
    gold when the workers above the bar on controls decided it confidently on their own.
    While fewer than ``CONSENSUS_POOL`` consensus controls are in service, an item decided by
    such workers alone but short of ``consensus_gold_confidence`` takes one more judgment
    first."""
    kept = items_store.kept_judgments(session, item.id)
    if not kept:
        return
    tracks = tracks_of(session, campaign, spec, [j.worker_id for j in kept])
    found = _consensus_of(spec, kept, tracks)
    item.answer, item.confidence = answer_json(found.answer), found.confidence
    if found.needs_more:
        return
    if spec.review is not None:
        item.status, item.settled_at = "settled", ctx.now()
        return  # review decisions: review.judge_packages, against challenge-based references
    settings = mechanism_of(spec)
    confident = is_confident(spec, found)
    trusted = [
        (answer_of(j.answer), quality_of(tracks.get(j.worker_id)).posterior_mean())
        for j in kept
        if is_established(tracks.get(j.worker_id), settings)
    ]
    gold = confident and is_consensus_gold(
        spec, trusted, found, min_confidence=settings.consensus_gold_confidence
    )
    if (
        confident
        and not gold
        and settings.control_share > 0
        and len(trusted) == len(kept) < spec.overlap.max
        and items_store.consensus_controls_in_service(
            session, campaign.id, settings.control_max_views
        )
        < CONSENSUS_POOL
    ):
        # the consensus gold pool runs thin: one more judgment, within the overlap the escrow
        # already holds, may make this item a control (an untrusted judge ends the top-up)
        return
    item.status, item.settled_at = "settled", ctx.now()
    if gold:
        item.gold_source, item.control_views = "consensus", 0
    for index, judgment in enumerate(kept):
        # the reference is the others' consensus where that is confident on its own (a wild
        # rating that kept an item from agreeing still counts against its author), else the
        # item's confident consensus where the others leaned the same way: a worker whose
        # answer tipped the item is never judged against their own decision
        others = kept[:index] + kept[index + 1 :]
        if not others:
            continue
        theirs = _consensus_of(spec, others, tracks)
        if is_confident(spec, theirs):
            reference = theirs.answer
        elif confident and theirs.answer == found.answer:
            reference = found.answer
        else:
            continue
        _observe(
            session,
            ctx,
            campaign,
            spec,
            judgment.worker_id,
            correct=is_correct(spec, answer_of(judgment.answer), reference),
            evidence=Evidence.DECISION,
        )


def submit_label(
    ctx: Context,
    worker_id: int,
    offer_id: int,
    answer: object,
    *,
    seconds_on_task: float | None = None,
    idempotency_key: str | None = None,
) -> Once[None]:
    """Record the worker's answer and pay it into pending; update quality, overlap and
    revocation. With ``idempotency_key``, a retry is answered as the first call was
    (``replayed``; ``services.idempotency``)."""
    if seconds_on_task is not None and seconds_on_task < 0:
        raise InvalidInput("seconds_on_task cannot be negative", field="seconds_on_task")

    def work(session: Session) -> None:
        now = ctx.now()
        offer = own_offer(session, worker_id, offer_id, now)
        campaign = submittable(session, offer, "label")
        spec = spec_of(campaign)
        parsed = _parse_answer(spec, answer)
        # the rows this answer changes, locked: its item, the worker's member row and the
        # records of everyone the item's consensus may judge (decision record 0005)
        item = items_store.lock_item(session, offer.item_id or 0)
        judges = [j.worker_id for j in items_store.kept_judgments(session, item.id)]
        member = store.lock_member(session, campaign.id, worker_id)
        locked = tracks_store.lock_tracks(session, campaign.id, [worker_id, *judges])  # noqa: F841 (held)
        if member is None:  # offers only go to members; kept for safety
            raise NotFound(f"no offer has id {offer_id}", offer_id=offer_id)
        offer.status, offer.finished_at = "done", now
        truth = control_truth(item)
        correct = None if truth is None else is_correct(spec, parsed, truth)
        session.add(
            Judgment(
                campaign_id=campaign.id,
                item_id=item.id,
                worker_id=worker_id,
                answer=answer_json(parsed),
                gold=truth is not None,
                correct=correct,
                kept=True,
                pilot=campaign.status == "pilot",
                package_id=offer.package_id,
                seconds_on_task=seconds_on_task,
                created_at=now,
            )
        )
        if item.gold_source != "consensus":  # a consensus control's deciders are counted
            item.judgments += 1
        member.answers += 1
        if spec.bounty is not None and (
            store.stakes(session, [worker_id]).get(worker_id, 0) < min_stake_of(ctx, spec)
        ):  # a bounty task: its pay is held until a first run (SPEC §6.6)
            mechanism.hold_until_first_run(
                session, campaign.id, worker_id, track_of(spec), spec.bounty.release_after
            )
        if spec.review is None:  # a review pays its pool at close instead
            mechanism.earn(
                session,
                ctx,
                campaign.id,
                track_of(spec),
                [(worker_id, pricing_of(ctx, spec).per_judgment)],
                f"campaign {campaign.id} judgment",
            )
        session.flush()
        if correct is not None:
            member.gold_answers += 1
            member.gold_correct += int(correct)
            _observe(
                session, ctx, campaign, spec, worker_id, correct=correct, evidence=Evidence.CONTROL
            )
        elif item.status == "open":
            _settle_item(session, ctx, campaign, spec, item)
        if offer.package_id is not None:
            review.after_judgment(session, ctx, campaign, spec, offer.package_id)
        if (
            campaign.status == "pilot"
            and spec.pilot is not None
            and items_store.judgment_count(session, campaign.id) == spec.pilot.units
        ):
            store.add_event(
                session, campaign.id, "pilot_complete", at=now, detail={"units": spec.pilot.units}
            )

    return idempotency.run_once(
        ctx,
        work,
        actor_id=worker_id,
        key=idempotency_key,
        use_case="submit_label",
        request={"offer_id": offer_id, "answer": answer, "seconds_on_task": seconds_on_task},
    )


def require_fair_price_after_pilot(session: Session, ctx: Context, campaign: Campaign) -> None:
    """After a pilot the floor uses the measured median seconds per judgment, not the spec's
    estimate (SPEC §1); refused with the floor when the price falls below it."""
    spec = spec_of(campaign)
    seconds = items_store.pilot_seconds(session, campaign.id)
    if spec.review is not None or not seconds:
        return
    median = float(np.median(seconds))
    require_fair_price(
        pricing_of(ctx, spec).per_judgment,
        seconds_per_task=median,
        fair_hourly_wage=ctx.settings.fair_hourly_wage,
        minor_per_unit=ctx.settings.minor_per_unit,
        field=f"price_per_judgment (the pilot's median was {median:.1f} s)",
        display="credits",
    )


def settle_at_close(session: Session, ctx: Context, campaign: Campaign) -> int:
    """At close, open items with answers get the consensus they have; returns how many."""
    spec = spec_of(campaign)
    if spec.review is not None:
        review.settle_pool(session, ctx, campaign, spec)
    settled = 0
    for item in items_store.open_items(session, campaign.id, limit=1 << 30):
        kept = items_store.kept_judgments(session, item.id)
        if not kept:
            continue
        tracks = tracks_of(session, campaign, spec, [j.worker_id for j in kept])
        found = _consensus_of(spec, kept, tracks)
        item.answer, item.confidence = answer_json(found.answer), found.confidence
        item.status, item.settled_at = "settled", ctx.now()
        settled += 1
    return settled


# --- onboarding use cases ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionView:
    """A tutorial or qualifier question as the worker sees it (no answer)."""

    index: int
    text: str | None
    image: str | None


@dataclass(frozen=True)
class Onboarding:
    campaign_id: int
    campaign_name: str
    kind: str
    gate: str  # tutorial | qualifier | failed | revoked | blacklisted | open
    instructions: str
    choices: tuple[tuple[str, str], ...]
    multi_label: bool
    tutorial: tuple[QuestionView, ...]
    qualifier: tuple[QuestionView, ...]
    pass_mark: float | None
    attempts_left: int | None
    qualifier_score: float | None
    bounty_tasks: int | None
    price: int
    bounty_release_after: int | None = None  # accepted units before bounty pay is released
    onboarding_pay: int = 0  # the most onboarding time pays a worker (0: unpaid)
    onboarding_seconds_paid: int = 0  # onboarding seconds paid at most
    onboarding_seconds: float = 0.0  # the worker's own onboarding time so far
    onboarding_paid: int = 0  # what the worker earned for it (held until a first run)


def _labeling_campaign(session: Session, campaign_id: int, *, for_update: bool = False) -> Campaign:
    campaign = store.campaign(session, campaign_id, for_update=for_update)
    if campaign.kind not in LABELING_KINDS or campaign.status not in ("running", "pilot", "paused"):
        raise NotFound(f"no open labeling campaign has id {campaign_id}", campaign_id=campaign_id)
    return campaign


def _onboarding(
    session: Session, ctx: Context, campaign: Campaign, member: CampaignWorker | None
) -> Onboarding:
    spec = spec_of(campaign)
    qualifier = spec.qualifier
    return Onboarding(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        kind=campaign.kind,
        gate=_gate(session, campaign, spec, member),
        instructions=spec.instructions,
        choices=spec.choices,
        multi_label=spec.multi_label,
        tutorial=tuple(QuestionView(n, q.text, q.image) for n, q in enumerate(spec.tutorial)),
        qualifier=tuple(
            QuestionView(n, q.text, q.image)
            for n, q in enumerate(qualifier.questions if qualifier else [])
        ),
        pass_mark=qualifier.pass_mark if qualifier else None,
        attempts_left=(
            max(0, qualifier.attempts - (member.qualifier_attempts if member else 0))
            if qualifier
            else None
        ),
        qualifier_score=member.qualifier_score if member else None,
        bounty_tasks=bounty_tasks_of(ctx, spec),
        price=pricing_of(ctx, spec).per_judgment,
        bounty_release_after=spec.bounty.release_after if spec.bounty else None,
        onboarding_pay=newcomers.pay_at_most(ctx, spec),
        onboarding_seconds_paid=newcomers.paid_at_most(spec),
        onboarding_seconds=(member.onboarding_seconds or 0.0) if member else 0.0,
        onboarding_paid=(member.onboarding_paid or 0) if member else 0,
    )


def onboarding(ctx: Context, worker_id: int, campaign_id: int) -> Onboarding:
    """A labeling campaign's instructions, tutorial and qualifier, and where the worker stands."""

    def work(session: Session) -> Onboarding:
        campaign = _labeling_campaign(session, campaign_id)
        member = store.campaign_worker(session, campaign_id, worker_id)
        return _onboarding(session, ctx, campaign, member)

    return ctx.db.run(work, readonly=True)


def labeling_campaigns(ctx: Context, worker_id: int) -> list[Onboarding]:
    """Every labeling campaign taking workers, with the worker's gate in each."""

    def work(session: Session) -> list[Onboarding]:
        found = []
        for status in ("running", "pilot"):
            for campaign in store.campaigns(session, status=status):
                if campaign.kind in LABELING_KINDS:
                    member = store.campaign_worker(session, campaign.id, worker_id)
                    found.append(_onboarding(session, ctx, campaign, member))
        return sorted(found, key=lambda o: o.campaign_id)

    return ctx.db.run(work, readonly=True)


def _member(session: Session, ctx: Context, campaign_id: int, worker_id: int) -> CampaignWorker:
    store.touch_worker(session, campaign_id, worker_id, ctx.now())
    session.flush()
    member = store.campaign_worker(session, campaign_id, worker_id)
    assert member is not None
    return member


def _check_seconds(seconds: float | None) -> None:
    if seconds is not None and not 0 <= seconds <= 86_400:
        raise InvalidInput(
            f"seconds is the time the page was open, from 0 to 86400; got {seconds}",
            field="seconds",
            value=seconds,
        )


@dataclass(frozen=True)
class TutorialFeedback:
    correct: bool
    expected: Answer
    explanation: str
    answered: int  # questions answered so far, in order
    total: int
    done: bool


def answer_tutorial(
    ctx: Context,
    worker_id: int,
    campaign_id: int,
    index: int,
    answer: object,
    *,
    seconds: float | None = None,
) -> TutorialFeedback:
    """Check one tutorial answer and explain it. Questions come in order and may be repeated;
    answering the last one completes the tutorial. ``seconds`` is the page's timer; each
    answer's time counts as onboarding time (``services.newcomers``), paid once the worker
    passes where the campaign pays it."""
    _check_seconds(seconds)

    def work(session: Session) -> TutorialFeedback:
        campaign = _labeling_campaign(session, campaign_id)
        spec = spec_of(campaign)
        if not 0 <= index < len(spec.tutorial):
            raise NotFound(
                f"campaign {campaign_id}'s tutorial has {len(spec.tutorial)} question(s); "
                f"there is no question {index}",
                index=index,
            )
        question = spec.tutorial[index]
        given = _parse_answer(spec, answer)
        expected = spec.answer(question.answer)
        member = _member(session, ctx, campaign_id, worker_id)
        if index > member.tutorial_answered:
            raise Conflict(
                f"answer the tutorial in order: question {member.tutorial_answered} comes next",
                index=index,
            )
        if index == member.tutorial_answered:
            member.tutorial_answered += 1
        newcomers.record_step(ctx, member, seconds, modelled=spec.seconds_per_judgment)
        member.tutorial_done = member.tutorial_answered >= len(spec.tutorial)
        if member.tutorial_done and spec.qualifier is None:
            newcomers.pay_onboarding(session, ctx, campaign, spec, member)
        return TutorialFeedback(
            correct=is_correct(spec, given, expected),
            expected=expected,
            explanation=question.explanation,
            answered=member.tutorial_answered,
            total=len(spec.tutorial),
            done=member.tutorial_done,
        )

    return ctx.db.run(work)


@dataclass(frozen=True)
class QualifierResult:
    passed: bool
    score: float
    pass_mark: float
    attempts_left: int


def take_qualifier(
    ctx: Context,
    worker_id: int,
    campaign_id: int,
    answers: list[object],
    *,
    seconds: float | None = None,
) -> QualifierResult:
    """Grade the whole quiz at once, without per-question feedback. The attempt's time
    (``seconds``, the page's timer) counts as onboarding time; passing earns its pay where the
    campaign pays it (``services.newcomers``), failing earns nothing."""
    _check_seconds(seconds)

    def work(session: Session) -> QualifierResult:
        campaign = _labeling_campaign(session, campaign_id)
        spec = spec_of(campaign)
        qualifier = spec.qualifier
        if qualifier is None:
            raise Conflict(f"campaign {campaign_id} has no qualifier", campaign_id=campaign_id)
        member = _member(session, ctx, campaign_id, worker_id)
        gate = _gate(session, campaign, spec, member)
        if gate == "tutorial":
            raise Conflict("finish the tutorial before the qualifier", campaign_id=campaign_id)
        if gate != "qualifier":
            raise Conflict(
                f"you cannot take this qualifier now ({gate})", campaign_id=campaign_id, gate=gate
            )
        if len(answers) != len(qualifier.questions):
            raise InvalidInput(
                f"the qualifier has {len(qualifier.questions)} questions; got "
                f"{len(answers)} answer(s)",
                field="answers",
            )
        right = 0
        for position, (raw, question) in enumerate(zip(answers, qualifier.questions, strict=True)):
            try:
                given = spec.answer(raw)
            except ValueError as error:
                raise InvalidInput(f"answers[{position}]: {error}", field="answers") from None
            right += is_correct(spec, given, spec.answer(question.answer))
        score = right / len(qualifier.questions)
        member.qualifier_attempts += 1
        member.qualifier_score = score
        member.qualified = score >= qualifier.pass_mark
        modelled = len(qualifier.questions) * spec.seconds_per_judgment
        newcomers.record_step(ctx, member, seconds, modelled=modelled)
        if member.qualified:
            newcomers.pay_onboarding(session, ctx, campaign, spec, member)
        return QualifierResult(
            passed=member.qualified,
            score=score,
            pass_mark=qualifier.pass_mark,
            attempts_left=max(0, qualifier.attempts - member.qualifier_attempts),
        )

    return ctx.db.run(work)


# --- review packages --------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageView:
    id: int
    campaign_id: int
    size: int
    reward: int  # nominal: the package's share of the pool, paid by weighted workload at close
    deposit: int  # held now; returned unless the package's error exceeds the bar
    due_at: datetime
    status: str
    replayed: bool = False  # the package an earlier call with this Idempotency-Key took


def take_package(
    ctx: Context, worker_id: int, campaign_id: int, *, idempotency_key: str | None = None
) -> PackageView:
    """Take a package of pairs to review (SPEC §4); its deposit is held until it is judged.
    Its pairs then come as the worker's offers, in order. With ``idempotency_key``, a retry
    gets the same package back (``replayed``) instead of a second one or an error."""

    def work(session: Session) -> PackageView:
        campaign = _labeling_campaign(session, campaign_id, for_update=True)
        spec = spec_of(campaign)
        if spec.review is None:
            raise Conflict(
                f"campaign {campaign_id} is a {campaign.kind} campaign: its work comes as "
                "offers, not packages",
                campaign_id=campaign_id,
            )
        if campaign.status not in ("running", "pilot"):
            raise Conflict(f"campaign {campaign_id} is {campaign.status}", campaign_id=campaign_id)
        member = _member(session, ctx, campaign_id, worker_id)
        gate = _gate(session, campaign, spec, member)
        if gate != "open":
            raise Conflict(
                f"you cannot review in this campaign yet ({gate})",
                campaign_id=campaign_id,
                gate=gate,
            )
        package = review.take_package(session, ctx, campaign, spec, worker_id)
        return PackageView(
            package.id,
            campaign_id,
            package.size,
            package.reward,
            package.deposit,
            package.due_at,
            package.status,
        )

    once = idempotency.run_once(
        ctx,
        work,
        actor_id=worker_id,
        key=idempotency_key,
        use_case="take_package",
        request={"campaign_id": campaign_id},
        encode=_package_json,
        decode=_package_of,
    )
    return replace(once.result, replayed=once.replayed)


def _package_json(package: PackageView) -> dict[str, object]:
    return {**asdict(package), "due_at": package.due_at.isoformat(), "replayed": False}


def _package_of(kept: dict[str, Any]) -> PackageView:
    return PackageView(**{**kept, "due_at": datetime.fromisoformat(kept["due_at"])})


MAX_TRANSLATION_CHARS = 5_000


def submit_revision(
    ctx: Context,
    worker_id: int,
    offer_id: int,
    target: str,
    *,
    idempotency_key: str | None = None,
) -> Once[None]:
    """Replace a pair's translation (SPEC §4 revision): the old one is kept beside it, its
    ratings leave the score and the pair goes back to be rated again. Paid from the reserve.
    With ``idempotency_key``, a retry is answered as the first call was (``replayed``)."""
    target = " ".join(target.split())
    if not target:
        raise InvalidInput("target: the revised translation cannot be empty", field="target")
    if len(target) > MAX_TRANSLATION_CHARS:
        raise InvalidInput(f"target: at most {MAX_TRANSLATION_CHARS:,} characters", field="target")

    def work(session: Session) -> None:
        now = ctx.now()
        offer = own_offer(session, worker_id, offer_id, now)
        campaign = submittable(session, offer, "revise")
        spec = spec_of(campaign)
        item = items_store.item(session, offer.item_id or 0)
        if target == item.target:
            raise InvalidInput(
                "target: this is the current translation; edit it or skip the offer",
                field="target",
            )
        offer.status, offer.finished_at = "done", now
        review.apply_revision(session, ctx, campaign, spec, item, target, worker_id)

    return idempotency.run_once(
        ctx,
        work,
        actor_id=worker_id,
        key=idempotency_key,
        use_case="submit_revision",
        request={"offer_id": offer_id, "target": target},
    )
