"""Generation work (SPEC §1–§2, §6): offers drawn by stake, writing, blind votes and controls.

Each use case is one unit of work; anything touching a campaign's work locks the campaign row
first, so concurrent API processes never hand out the same unit twice or decide a query twice.
Every credit moved is a ledger transaction posted inside the same unit of work.

The campaign's rules are in ``generation_rules``; votes, decisions and what they do to workers
(pay per vote into pending, quality-weighted decisions, revocation) in
``generation_decisions``; which control a validator gets in ``generation_controls``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crowdset.core import selection, standing
from crowdset.core.generation.annotation import annotate
from crowdset.core.generation.answer_quality import is_marked
from crowdset.core.generation.checks import CheckReason, check_query
from crowdset.core.generation.copies import template_of
from crowdset.core.generation.model import CheckFailure, SlotValue
from crowdset.core.generation.plan import Coverage, Pricing, next_task, task_prompt
from crowdset.core.generation.spec import CampaignSpec, IntentSpec
from crowdset.core.ledger import AccountKind, escrow_account, user_account
from crowdset.core.mechanism import Track, TrackRecord
from crowdset.core.mechanism.newcomers import bounty_tasks_left, bounty_weight
from crowdset.errors import AnswerRefused, Conflict, InvalidInput, NotFound, RuleViolation
from crowdset.services import admission, idempotency, mechanism
from crowdset.services import generation_writing as writing
from crowdset.services.context import Context
from crowdset.services.generation_controls import ControlPool
from crowdset.services.generation_decisions import (
    answer_control,
    decide,
    lock_standing,
    pay_vote,
    settle,
)
from crowdset.services.generation_rules import (
    CampaignRules,
    bounty_tasks_of,
    check_rules,
    pricing_of,
    required_stake_of,
    rules_of,
    spans_of,
    spec_digest,
    spec_of,
    values_json,
    values_of,
)
from crowdset.storage import admission_store, ledger_store, mechanism_store
from crowdset.storage import campaign_store as store
from crowdset.storage.models import (
    Campaign,
    CampaignWorker,
    GenerationTask,
    Offer,
    Query,
    Vote,
    WorkerStanding,
)

__all__ = [  # what other modules use from here
    "CampaignRules",
    "OfferView",
    "StandingView",
    "SubmitResult",
    "VoteInput",
    "check_rules",
    "decide",
    "dispatch",
    "free_escrow",
    "offer_view",
    "own_offer",
    "pricing_of",
    "require_no_work_under_review",
    "required_stake_of",
    "rules_of",
    "settle",
    "spans_of",
    "spec_digest",
    "spec_of",
    "submit_query",
    "submit_vote",
    "submittable",
    "values_json",
    "values_of",
    "worker_standing",
]

MAX_EXAMPLES = 5


# --- what a worker sees -----------------------------------------------------------------------

VOTE_QUESTIONS = (
    ("intent_ok", "Does the query ask for what the intent describes?"),
    ("natural_ok", "Is it phrased the way a person would say it?"),
    ("spelling_ok", "Are spelling and grammar right?"),
    ("values_ok", "Are the required values used correctly?"),
)


@dataclass(frozen=True)
class OfferView:
    """An offer as its worker sees it. Blind: never the author, never other votes."""

    id: int
    campaign_id: int
    campaign_name: str
    kind: str  # write | vote | label
    status: str
    expires_at: datetime
    intent: str
    description: str
    values: tuple[SlotValue, ...]
    prompt: str
    examples: tuple[str, ...] = ()
    query_text: str | None = None  # vote offers: the query to judge
    answer_flags: tuple[str, ...] = ()  # vote offers: what its signals raised (SPEC §6.7)
    questions: tuple[tuple[str, str], ...] = ()
    price: int = 0  # minor units paid for this unit when it succeeds
    # label offers (SPEC §3): the item and what to answer; never whether it is gold
    instructions: str = ""
    item_text: str | None = None  # a review: the pair's source
    item_target: str | None = None  # a review: the pair's translation
    item_image: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, description): labels or stars
    multi_label: bool = False


@dataclass(frozen=True)
class SubmitResult:
    query_id: int
    status: str
    replayed: bool = False  # the first answer to this Idempotency-Key, sent again


@dataclass(frozen=True)
class VoteInput:
    intent_ok: bool
    natural_ok: bool
    spelling_ok: bool
    values_ok: bool
    comment: str = ""

    @property
    def valid(self) -> bool:
        return self.intent_ok and self.natural_ok and self.spelling_ok and self.values_ok


@dataclass(frozen=True)
class StandingView:
    """A worker's lock status and what unlocks it (SPEC §1): locked stake cannot be withdrawn;
    nothing is taken from it (fines are SPEC §6.4's, on evidence)."""

    locked: bool
    generation_locked: bool
    generation_successes_to_unlock: int
    validation_locked: bool
    validation_successes_to_unlock: int
    locked_amount: int
    staked_amount: int

    @property
    def explanation(self) -> str:
        if not self.locked:
            return "Your stake is not locked."
        parts = []
        if self.generation_locked:
            parts.append(
                f"write {self.generation_successes_to_unlock} more accepted queries in a row"
            )
        if self.validation_locked:
            parts.append(
                f"cast {self.validation_successes_to_unlock} more votes in a row that agree "
                "with the decision"
            )
        return "Your stake is locked: to unlock it, " + " and ".join(parts) + "."


def _examples(seeds: list[str], query: Query | None) -> tuple[str, ...]:
    """The seeds shown with an offer; a vote offer never shows the query it asks about (a
    seed used as a known-good control would otherwise give itself away)."""
    if query is not None:
        text = query.text.casefold()
        seeds = [seed for seed in seeds if seed.casefold() != text]
    return tuple(seeds[:MAX_EXAMPLES])


def offer_view(session: Session, offer: Offer, campaign: Campaign, ctx: Context) -> OfferView:
    rules = rules_of(campaign)
    spec = rules.spec
    prices = pricing_of(ctx, spec)
    query = session.get(Query, offer.query_id) if offer.kind == "vote" else None
    source = query or session.get(GenerationTask, offer.task_id)
    assert source is not None
    intent = spec.intent(source.intent)
    values = values_of(source.slot_values)
    return OfferView(
        id=offer.id,
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        kind=offer.kind,
        status=offer.status,
        expires_at=offer.expires_at,
        intent=intent.name,
        description=intent.description,
        values=values,
        prompt=(
            f"Is this a good query for: {intent.description}?"
            if query is not None
            else task_prompt(intent, values)
        ),
        examples=_examples(rules.seeds[intent.name], query),
        query_text=query.text if query is not None else None,
        answer_flags=tuple(query.answer_flags.split(",")) if query and query.answer_flags else (),
        questions=VOTE_QUESTIONS if query is not None else (),
        price=prices.per_vote if query is not None else prices.per_query,
    )


# --- dispatch ---------------------------------------------------------------------------------


@dataclass
class _Unit:
    kind: str  # write | vote
    task: GenerationTask | None = None
    query: Query | None = None
    excluded: set[int] = field(default_factory=set)
    extra: bool = False  # a vote beyond validators_per_query: not yet held in escrow


def free_escrow(
    session: Session,
    campaign: Campaign,
    prices: Pricing,
    offers: list[Offer],
    validating: list[Query] | None = None,
) -> int:
    """Escrow still free after everything in flight is paid at its most: each query in
    validation its remaining votes up to ``validators_per_query`` (or the vote offers out on
    it, when more) and its writer if unpaid; each open write offer a whole query; each open
    vote offer on anything else (a control) one vote. Votes are paid when cast."""
    escrow = ledger_store.balance_of(session, escrow_account(campaign.id))
    if validating is None:
        validating = store.queries(session, campaign.id, status="validating")
    cast = store.round_vote_counts(session, validating)
    out = Counter(o.query_id for o in offers if o.kind == "vote")
    liabilities = 0
    for query in validating:
        still = max(prices.validators - cast.get(query.id, 0), out[query.id])
        liabilities += prices.vote_exposure(still)
        liabilities += 0 if query.paid else prices.writer_exposure
    in_validation = {q.id for q in validating}
    liabilities += prices.vote_exposure(sum(n for q, n in out.items() if q not in in_validation))
    liabilities += sum(prices.query_exposure for o in offers if o.kind == "write")
    return escrow - liabilities


def _plan_write_units(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: CampaignSpec,
    offers: list[Offer],
    room: int,
    budget: int,
    *,
    claim: bool = False,
) -> list[_Unit]:
    """Writing units still needed, intents interleaved so each progresses evenly. With
    ``claim``, an open task is reused only once claimed (``store.claim_tasks``): two
    dispatches at once never offer the same task."""
    counts = store.status_counts(session, campaign.id)
    busy_tasks = {o.task_id for o in offers if o.kind == "write"}
    open_tasks = store.open_tasks(session, campaign.id)
    in_flight = Counter(t.intent for t in open_tasks if t.id in busy_tasks)
    open_tasks = [t for t in open_tasks if t.id not in busy_tasks]
    if claim:
        free_tasks = set(store.claim_tasks(session, [t.id for t in open_tasks], ctx.now()))
        open_tasks = [t for t in open_tasks if t.id in free_tasks]
    needed: dict[str, int] = {}
    for intent in spec.intents:
        done = counts.get((intent.name, "accepted"), 0) + counts.get((intent.name, "validating"), 0)
        needed[intent.name] = max(0, intent.target - done - in_flight[intent.name])
    reusable: dict[str, list[GenerationTask]] = defaultdict(list)
    for task in open_tasks:
        reusable[task.intent].append(task)
    coverage: dict[str, Coverage] | None = None
    units: list[_Unit] = []
    limit = min(room, budget)
    while len(units) < limit and any(needed.values()):
        for intent in spec.intents:
            if len(units) >= limit or not needed[intent.name]:
                continue
            needed[intent.name] -= 1
            if reusable[intent.name]:
                units.append(_Unit("write", task=reusable[intent.name].pop(0)))
                continue
            if coverage is None:
                coverage = dict(_coverage(session, campaign, spec))
            planned = next_task(intent, coverage[intent.name], spec.max_slots_per_task, ctx.rng)
            coverage[intent.name] = _covered(coverage[intent.name], planned)
            task = GenerationTask(
                campaign_id=campaign.id,
                intent=intent.name,
                slot_values=values_json(planned),
                status="open",
                created_at=ctx.now(),
            )
            session.add(task)
            units.append(_Unit("write", task=task))
    session.flush()
    return units


_COVERAGE: dict[tuple[int, str], tuple[int, dict[str, Coverage]]] = {}


def _coverage(session: Session, campaign: Campaign, spec: CampaignSpec) -> dict[str, Coverage]:
    """What each intent's tasks have asked for so far. Kept per process and topped up with the
    tasks committed since (only committed rows are read, so a rolled-back dispatch leaves no
    trace); several API processes each read the same rows, so all see the same counts."""
    key = (campaign.id, campaign.spec_digest)
    empty = (0, {i.name: Coverage({}, {}) for i in spec.intents})
    last_id, known = _COVERAGE.get(key, empty)
    if last_id and store.last_task_id(session, campaign.id) < last_id:
        last_id, known = empty  # another database (tests) reused the id: start over
    rows = store.asked_values(session, campaign.id, after_id=last_id)
    if rows:
        added: dict[str, list[tuple[SlotValue, ...]]] = defaultdict(list)
        for task_id, intent, values in rows:
            added[intent].append(values_of(values))
            last_id = max(last_id, task_id)
        known = {
            name: _merge(coverage, Coverage.of(added[name])) if added.get(name) else coverage
            for name, coverage in known.items()
        }
        if len(_COVERAGE) > 256:
            _COVERAGE.clear()
        _COVERAGE[key] = (last_id, known)
    return known


def _merge(a: Coverage, b: Coverage) -> Coverage:
    return Coverage(
        Counter(a.combinations) + Counter(b.combinations), Counter(a.values) + Counter(b.values)
    )


def _covered(coverage: Coverage, values: tuple[SlotValue, ...]) -> Coverage:
    combinations = Counter(coverage.combinations)
    combinations[tuple(sorted(v.slot for v in values))] += 1
    counted = Counter(coverage.values)
    counted.update((v.slot, v.value) for v in values)
    return Coverage(combinations, counted)


@dataclass
class _Draw:
    """What one dispatch draws from: who may get which kind of offer, and the money left."""

    pools: dict[str, dict[int, selection.Candidate]]  # kind → worker → candidate
    inbox: Counter[int]
    free: int  # escrow not yet promised
    controls: ControlPool
    control_shares: dict[int, float]  # validator → chance a vote offer is a control (probation)
    bounty_left: dict[int, int] = field(default_factory=dict)  # newcomer → bounty tasks left


@dataclass(frozen=True)
class _BountyCandidate(selection.Candidate):
    """A newcomer short of the required stake, drawn on the campaign's bounty (SPEC §6.6)."""

    left: int = 0  # bounty tasks they may still take


def _bounty_of(pools: dict[str, dict[int, selection.Candidate]]) -> dict[int, int]:
    return {
        worker: candidate.left
        for pool in pools.values()
        for worker, candidate in pool.items()
        if isinstance(candidate, _BountyCandidate)
    }


def _bounty_offered(
    session: Session, campaign: Campaign, spec: CampaignSpec, draw: _Draw, worker: int, kind: str
) -> None:
    """A bounty task is used, and the worker's pay on its track is held until a first run."""
    if worker not in draw.bounty_left or spec.bounty is None:
        return
    draw.bounty_left[worker] -= 1
    track = Track.WRITE if kind == "write" else Track.VOTE
    mechanism.hold_until_first_run(session, campaign.id, worker, track, spec.bounty.release_after)


def _offer(
    session: Session,
    campaign: Campaign,
    worker_id: int,
    kind: str,
    now: datetime,
    expires: datetime,
    *,
    task: GenerationTask | None = None,
    query: Query | None = None,
) -> Offer:
    offer = Offer(
        campaign_id=campaign.id,
        worker_id=worker_id,
        kind=kind,
        task_id=task.id if task is not None else None,
        query_id=query.id if query is not None else None,
        status="open",
        refusals=0,
        created_at=now,
        expires_at=expires,
    )
    session.add(offer)
    return offer


def _offer_units(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: CampaignSpec,
    prices: Pricing,
    units: list[_Unit],
    draw: _Draw,
    now: datetime,
    made_offers: list[Offer] | None = None,
) -> int:
    """Offer each unit to a worker drawn by offer weight among those who may take it (the
    offers made are appended to ``made_offers`` when given).

    A vote offer is a control instead with the validator's control share (SPEC §6.1:
    ``control_share``, or ``probation_share`` until their quality is established): the drawn
    validator gets a control chosen for them, and the real unit goes back in line."""
    mech = spec.mechanism
    rule, cap = mech.selection, float(mech.stake_cap)
    vote_cost = prices.vote_exposure(1)
    expires = now + timedelta(seconds=spec.offer_ttl_seconds)
    made = 0
    queue = list(units)
    while queue:
        unit = queue.pop(0)
        if unit.extra and draw.free < vote_cost:
            continue
        pool = [
            c
            for w, c in draw.pools[unit.kind].items()
            if w not in unit.excluded
            and draw.inbox[w] < spec.max_open_offers
            and draw.bounty_left.get(w, 1) > 0
        ]
        chosen = selection.draw(pool, ctx.rng, rule=rule, cap=cap)
        if chosen is None:
            continue
        worker = chosen.worker_id
        if (
            unit.kind == "vote"
            and draw.free >= vote_cost
            and ctx.rng.random() < draw.control_shares.get(worker, mech.control_share)
        ):
            control = draw.controls.pick(session, ctx.rng, worker, now)
            if control is not None:
                made_offer = _offer(session, campaign, worker, "vote", now, expires, query=control)
                if made_offers is not None:
                    made_offers.append(made_offer)
                draw.controls.offered_to(control, worker)
                draw.inbox[worker] += 1
                _bounty_offered(session, campaign, spec, draw, worker, "vote")
                draw.free -= vote_cost
                made += 1
                queue.append(unit)
                continue
        if unit.extra:
            draw.free -= vote_cost
        draw.inbox[worker] += 1
        unit.excluded.add(worker)
        _bounty_offered(session, campaign, spec, draw, worker, unit.kind)
        made_offer = _offer(
            session, campaign, worker, unit.kind, now, expires, task=unit.task, query=unit.query
        )
        if made_offers is not None:
            made_offers.append(made_offer)
        made += 1
    session.flush()
    return made


def _pools(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: CampaignSpec,
    now: datetime,
    asker: int | None = None,
) -> dict[str, dict[int, selection.Candidate]]:
    """Who may get write and vote offers: active (``asker`` is: they are asking), not
    blacklisted, staked at least the required stake — or short of it with bounty tasks left
    (write offers, and votes where ``bounty.votes``) — not revoked on that track; weighted by
    stake (a bounty worker's: ``newcomers.bounty_weight``) and, when the campaign says so, by
    their posterior mean on the track (SPEC §6.2, §6.6)."""
    members = store.active_workers(
        session, campaign.id, now - timedelta(seconds=spec.active_window_seconds), asker=asker
    )
    minor = ctx.settings.minor_per_unit
    stake = store.stakes(session, [m.worker_id for m in members])
    needed = required_stake_of(ctx, spec)
    eligible = [m.worker_id for m in members if stake.get(m.worker_id, 0) >= needed]
    bounty = _bounty_left(session, ctx, campaign, spec, members, stake, needed, now)
    rows = {
        (row.worker_id, row.track): row
        for row in mechanism_store.track_rows(session, campaign_id=campaign.id)
    }
    prior = TrackRecord().quality.posterior_mean()
    pools: dict[str, dict[int, selection.Candidate]] = {}
    for kind, track in (("write", Track.WRITE), ("vote", Track.VOTE)):
        pool: dict[int, selection.Candidate] = {}
        on_bounty = [w for w in bounty if kind == "write" or (spec.bounty and spec.bounty.votes)]
        for worker in eligible + on_bounty:
            row = rows.get((worker, track.value))
            if row is not None and row.revoked_at is not None:
                continue
            quality = 1.0
            if spec.quality_weighting:
                quality = mechanism.record_of(row).quality.posterior_mean() if row else prior
            staked = stake.get(worker, 0) / minor
            if worker in bounty:
                pool[worker] = _BountyCandidate(
                    worker, bounty_weight(staked), quality, left=bounty[worker]
                )
            else:
                pool[worker] = selection.Candidate(worker, staked, quality)
        pools[kind] = pool
    return pools


def _bounty_left(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: CampaignSpec,
    members: list[CampaignWorker],
    stake: dict[int, int],
    needed: int,
    now: datetime,
) -> dict[int, int]:
    """Bounty tasks each member short of the required stake may still take (SPEC §6.6):
    ``bounty_tasks_of`` less the write (and, where allowed, vote) offers they have done, ended
    with refused answers, or hold."""
    if spec.bounty is None:
        return {}
    short = [m.worker_id for m in members if stake.get(m.worker_id, 0) < needed]
    if not short:
        return {}
    kinds = ("write", "vote") if spec.bounty.votes else ("write",)
    used = store.tasks_taken(session, campaign.id, short, kinds, now)
    tasks = bounty_tasks_of(ctx, spec)
    left = {
        worker: bounty_tasks_left(
            tasks, staked=stake.get(worker, 0), required=needed, used=used.get(worker, 0)
        )
        for worker in short
    }
    return {worker: n for worker, n in left.items() if n > 0}


def _admitted(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: CampaignSpec,
    pools: dict[str, dict[int, selection.Candidate]],
    asker: int,
) -> int:
    """SPEC §6.6: how many new offers the asking worker may get now — their winning admission
    tickets (``services.admission``), each winning with weight / largest weight among the
    active candidates, so shares follow weights when work is plentiful too, however often and
    from however many accounts a person asks. A worker's weight is their stake times their
    mean quality over the tracks open to them."""
    everyone: dict[int, list[selection.Candidate]] = defaultdict(list)
    for pool in pools.values():
        for worker, candidate in pool.items():
            everyone[worker].append(candidate)
    candidates = [
        selection.Candidate(w, cs[0].stake, sum(c.quality for c in cs) / len(cs))
        for w, cs in sorted(everyone.items())
    ]
    mech = spec.mechanism
    chance = selection.admission_chance(
        asker, candidates, rule=mech.selection, cap=float(mech.stake_cap)
    )
    return admission.tickets_won(
        session,
        ctx,
        campaign,
        asker,
        chance,
        task_seconds=min(spec.seconds_per_query, spec.seconds_per_vote),
        most=spec.max_open_offers,
    )


def screen(session: Session, ctx: Context, campaign: Campaign, asker: int) -> int:
    """Read-only, no lock: is ``asker`` a candidate, and how many of their admission tickets
    win now (:func:`_admitted`)? Above 0 means: claim with ``dispatch(..., asker,
    admitted=tickets)``."""
    if campaign.status != "running":
        return 0
    spec = spec_of(campaign)
    pools = _pools(session, ctx, campaign, spec, ctx.now(), asker=asker)
    if not any(asker in pool for pool in pools.values()):
        return 0
    return _admitted(session, ctx, campaign, spec, pools, asker)


def _claim_for(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: CampaignSpec,
    prices: Pricing,
    pools: dict[str, dict[int, selection.Candidate]],
    asker: int,
    now: datetime,
    allowance: int,
) -> int:
    """Offers for an admitted asker without a campaign-wide lock (decision record 0005), at
    most ``allowance`` (their winning admission tickets).

    The caller holds the asker's member row. Queries to vote on and open tasks to reuse are
    claimed ``FOR UPDATE SKIP LOCKED`` and their offers counted after the claim; last, under
    the narrow escrow lock (``store.guard_escrow``), everything in flight is counted again and
    the offers of this call that the escrow or the intents' targets cannot take are taken
    back, newest first."""
    offers = store.open_offers(session, campaign.id, now=now)
    inbox = Counter(o.worker_id for o in offers)
    limited = allowance < spec.max_open_offers - inbox[asker]
    # no more new offers than winning tickets (SPEC §6.6): counted as offers held
    inbox[asker] = max(inbox[asker], spec.max_open_offers - allowance)
    bounty_left = _bounty_of(pools)
    room = min(spec.max_open_offers - inbox[asker], bounty_left.get(asker, spec.max_open_offers))
    if room <= 0:
        return 0
    validating = store.queries(session, campaign.id, status="validating")
    wanted: list[int] = []
    if asker in pools["vote"]:
        for unit in _vote_units(session, spec, validating, offers):
            query = unit.query
            if query is not None and asker not in unit.excluded and query.id not in wanted:
                wanted.append(query.id)
    claimed = store.claim_queries(session, wanted[: room * 2])
    if claimed:
        offers = store.open_offers(session, campaign.id, now=now)  # counted after the claim
    votes: list[_Unit] = []
    for unit in _vote_units(session, spec, claimed, offers):
        if asker not in unit.excluded and all(v.query is not unit.query for v in votes):
            votes.append(unit)
    draw = _Draw(
        pools=pools,
        inbox=inbox,
        free=free_escrow(session, campaign, prices, offers, validating),
        controls=ControlPool.load(session, campaign, spec, offers),
        control_shares=mechanism.control_shares(
            session, campaign.id, spec.mechanism, Track.VOTE, sorted(pools["vote"])
        ),
        bounty_left=bounty_left,
    )
    mine: list[Offer] = []

    def offer_writes() -> None:
        write_room = max(0, spec.max_open_offers - draw.inbox[asker]) if pools["write"] else 0
        write_room = min(write_room, draw.bounty_left.get(asker, write_room))
        budget = max(0, draw.free // prices.query_exposure) if prices.query_exposure else write_room
        writes = _plan_write_units(
            session, ctx, campaign, spec, offers, write_room, budget, claim=True
        )
        _offer_units(session, ctx, campaign, spec, prices, writes, draw, now, mine)

    # votes first (they unblock decisions); but when the tickets allow fewer offers than both
    # kinds would fill, a worker who declined their last offer, a vote, is offered a write
    # first: one offer per ticket, votes first, would leave a worker who does not vote nothing
    # else (a batch of both kinds gave them a task to write each time)
    if limited and admission_store.last_offer(session, campaign.id, asker) == ("vote", "skipped"):
        offer_writes()
        _offer_units(session, ctx, campaign, spec, prices, votes, draw, now, mine)
    else:
        _offer_units(session, ctx, campaign, spec, prices, votes, draw, now, mine)
        offer_writes()
    if not mine:
        return 0
    session.flush()
    store.guard_escrow(session, campaign.id)
    return len(mine) - _take_back(session, campaign, spec, prices, mine, now)


def _take_back(
    session: Session,
    campaign: Campaign,
    spec: CampaignSpec,
    prices: Pricing,
    mine: list[Offer],
    now: datetime,
) -> int:
    """Under the escrow lock: withdraw this dispatch's newest offers while the escrow cannot
    pay everything in flight at its most, or an intent has more queries written, in
    validation and offered than its target. Returns how many were taken back."""
    taken = 0
    counts = store.status_counts(session, campaign.id)
    targets = {i.name: i.target for i in spec.intents}
    while mine:
        everyone = store.open_offers(session, campaign.id, now=now)
        intents = store.task_intents(
            session, [o.task_id for o in everyone if o.kind == "write" and o.task_id is not None]
        )
        writing = Counter(intents.values())
        over = {
            name
            for name, target in targets.items()
            if counts.get((name, "accepted"), 0)
            + counts.get((name, "validating"), 0)
            + writing[name]
            > target
        }
        surplus = [
            o for o in reversed(mine) if o.kind == "write" and intents.get(o.task_id) in over
        ]
        if not surplus and free_escrow(session, campaign, prices, everyone) >= 0:
            break
        victim = surplus[0] if surplus else mine[-1]
        mine.remove(victim)
        session.delete(victim)
        session.flush()
        taken += 1
    return taken


def dispatch(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    asker: int | None = None,
    *,
    admitted: int = 0,
) -> int:
    """Expire stale offers and offer open units to workers drawn by offer weight.

    With ``asker``, only the asking worker may receive offers in this call (up to
    ``max_open_offers`` and their winning admission tickets, :func:`_admitted`, or
    ``admitted`` when :func:`screen` counted them), and only when a ticket wins: call with the
    campaign row
    share-locked and the asker's member row locked; units are claimed, not serialised
    (:func:`_claim_for`). Without ``asker``, every unit is drawn among all candidates
    (simulations and tests).

    Votes go first (they unblock decisions): ``validators_per_query`` per query, then one more
    at a time while its weighted verdict is undecided, up to ``mechanism.max_votes``; a share
    ``control_share`` of vote offers are controls. Without ``asker``, call with the campaign
    row locked. Returns the number of offers made.
    """
    now = ctx.now()
    store.expire_offers(session, campaign.id, now)
    if campaign.status != "running":
        return 0
    spec = spec_of(campaign)
    prices = pricing_of(ctx, spec)
    pools = _pools(session, ctx, campaign, spec, now, asker=asker)
    if asker is not None:
        if not any(asker in pool for pool in pools.values()):
            return 0
        allowance = admitted or _admitted(session, ctx, campaign, spec, pools, asker)
        if allowance <= 0:
            return 0
        pools = {
            kind: {w: c for w, c in pool.items() if w == asker} for kind, pool in pools.items()
        }
        return _claim_for(session, ctx, campaign, spec, prices, pools, asker, now, allowance)
    offers = store.open_offers(session, campaign.id)
    inbox = Counter(o.worker_id for o in offers)
    everyone = set(pools["write"]) | set(pools["vote"])
    if not any(inbox[w] < spec.max_open_offers for w in everyone):
        return 0

    validating = store.queries(session, campaign.id, status="validating")
    draw = _Draw(
        pools=pools,
        inbox=inbox,
        free=free_escrow(session, campaign, prices, offers, validating),
        controls=ControlPool.load(session, campaign, spec, offers),
        control_shares=mechanism.control_shares(
            session, campaign.id, spec.mechanism, Track.VOTE, sorted(pools["vote"])
        ),
        bounty_left=_bounty_of(pools),
    )
    made = _offer_units(
        session,
        ctx,
        campaign,
        spec,
        prices,
        _vote_units(session, spec, validating, offers),
        draw,
        now,
    )
    room = sum(
        max(0, min(spec.max_open_offers - inbox[w], draw.bounty_left.get(w, spec.max_open_offers)))
        for w in pools["write"]
    )
    budget = max(0, draw.free // prices.query_exposure) if prices.query_exposure else room
    writes = _plan_write_units(session, ctx, campaign, spec, offers, room, budget)
    made += _offer_units(session, ctx, campaign, spec, prices, writes, draw, now)
    session.flush()
    return made


def _vote_units(
    session: Session, spec: CampaignSpec, validating: list[Query], offers: list[Offer]
) -> list[_Unit]:
    ids = [q.id for q in validating]
    voted, skipped = store.voters(session, ids), store.skippers(session, ids)
    out: dict[int, list[Offer]] = defaultdict(list)
    for o in offers:
        if o.kind == "vote" and o.query_id is not None:
            out[o.query_id].append(o)
    this_round = store.round_vote_counts(session, validating)
    base = spec.validators_per_query
    units: list[_Unit] = []
    for query in validating:
        cast = this_round.get(query.id, 0)
        held = len(out[query.id])
        wanted = base if cast < base else min(cast + 1, spec.mechanism.max_votes)
        excluded = (
            {query.worker_id}
            | voted[query.id]
            | skipped[query.id]  # who skipped it does not want it
            | {o.worker_id for o in out[query.id]}
        )
        for number in range(cast + held, wanted):
            units.append(_Unit("vote", query=query, excluded=excluded, extra=number >= base))
    return units


# --- the worker's use cases (the offer itself: services/offers.py) ---------------------------


def own_offer(session: Session, worker_id: int, offer_id: int, now: datetime) -> Offer:
    offer = store.offer(session, offer_id, for_update=True)
    if offer.worker_id != worker_id:
        raise NotFound(f"no offer has id {offer_id}", offer_id=offer_id)  # not yours: no leak
    if offer.status in ("done", "skipped", "withdrawn") or (
        offer.status == "expired" or offer.expires_at <= now
    ):
        state = "expired" if offer.expires_at <= now else offer.status
        raise Conflict(
            f"offer {offer_id} is {state}: ask for your next offer", offer_id=offer_id, state=state
        )
    return offer


SUBMIT_USE_CASE = {
    "write": "submit_query",
    "vote": "submit_vote",
    "label": "submit_label",
    "revise": "submit_revision",
}


EXCLUSIVE_KINDS = ("review",)
"""Campaign kinds whose answers still take the campaign's row lock: a review's package, once
rated, is judged against every other package of the campaign."""


def submittable(session: Session, offer: Offer, kind: str) -> Campaign:
    """The offer's campaign, share-locked (any number of submissions at once; a status change
    waits for them), when it still takes answers of this kind. Each use case then locks the
    rows its answer changes (decision record 0005); a review's answers lock the campaign."""
    if offer.kind != kind:
        raise InvalidInput(
            f"offer {offer.id} is a {offer.kind} offer: use {SUBMIT_USE_CASE[offer.kind]}",
            offer_id=offer.id,
        )
    exclusive = store.campaign(session, offer.campaign_id).kind in EXCLUSIVE_KINDS
    campaign = store.campaign(
        session, offer.campaign_id, for_update=exclusive, shared=not exclusive
    )
    if campaign.status not in ("running", "paused", "pilot"):
        raise Conflict(
            f"campaign {campaign.id} is {campaign.status}: it takes no more answers",
            campaign_id=campaign.id,
        )
    return campaign


def submit_query(
    ctx: Context,
    worker_id: int,
    offer_id: int,
    text: str,
    *,
    seconds_on_task: float | None = None,
    paste_events: int = 0,
    typing: writing.Typing | None = None,
    idempotency_key: str | None = None,
) -> SubmitResult:
    """Run the automatic checks, the copy rules and the answer-quality model (SPEC §6.7); a
    passing query goes to validation, marked when its signals raise a flag.

    A failing one raises ``AnswerRefused`` naming each reason; the offer stays open so the
    worker can fix the query and submit again, up to ``checks.max_attempts`` refusals (the
    last one ends the offer). With ``idempotency_key``, a retry gets the first result back
    (``replayed``) instead of an error (``services.idempotency``).
    """
    text = " ".join(text.split())
    if seconds_on_task is not None and seconds_on_task < 0:
        raise InvalidInput("seconds_on_task cannot be negative", field="seconds_on_task")
    if paste_events < 0:
        raise InvalidInput("paste_events cannot be negative", field="paste_events")
    if typing is not None and (typing.keys < 0 or (typing.interval_cv or 0) < 0):
        raise InvalidInput("typing: keys and interval_cv cannot be negative", field="typing")
    ended = False

    def work(session: Session) -> SubmitResult | list[CheckFailure]:
        nonlocal ended
        now = ctx.now()
        offer = own_offer(session, worker_id, offer_id, now)
        campaign = submittable(session, offer, "write")
        rules = rules_of(campaign)
        task = session.get(GenerationTask, offer.task_id)
        assert task is not None
        intent: IntentSpec = rules.spec.intent(task.intent)
        required = values_of(task.slot_values)
        references = rules.seed_texts + store.accepted_texts(session, campaign.id)
        failures = check_query(text, required, references, rules.checks)
        spans = annotate(text, required)
        template = template_of(text, spans)
        copies = writing.CopyJudgment()
        if all(f.reason == CheckReason.NEAR_DUPLICATE for f in failures):
            # a copy on the plain text is one on the template too: judged (and held against
            # the writer) the same way
            copies = writing.judge_copies(session, ctx, campaign, rules, worker_id, template)
            if copies.refusal is not None:
                failures = []
        reading = writing.read_signals(
            session,
            campaign,
            rules,
            worker_id,
            text,
            seconds_on_task=seconds_on_task,
            paste_events=paste_events,
            typing=typing,
            copies_another=copies.copies_another,
        )
        if not failures:
            blocked = writing.blocked_refusal(reading, rules)
            failures = [found for found in (blocked, copies.refusal) if found is not None]
        if failures:
            ended = writing.count_refusal(offer, rules, now)
            return failures
        marked = is_marked(reading, rules.spec.checks.paste)
        query = Query(
            campaign_id=campaign.id,
            task_id=task.id,
            worker_id=worker_id,
            intent=intent.name,
            text=text,
            slot_values=task.slot_values,
            spans=[
                {"start": s.start, "end": s.end, "slot": s.slot, "entity": s.entity} for s in spans
            ],
            status="validating",
            round=1,
            paid=False,
            submitted_at=now,
            seconds_on_task=seconds_on_task,
            paste_events=paste_events,
            template=template,
            answer_flags=reading.flags_text if marked else None,
            answer_quality=reading.quality,
            typing={"keys": typing.keys, "interval_cv": typing.interval_cv} if typing else None,
        )
        session.add(query)
        task.status = "done"
        offer.status, offer.finished_at = "done", now
        session.flush()
        return SubmitResult(query.id, query.status)

    once = idempotency.run_once(
        ctx,
        work,
        actor_id=worker_id,
        key=idempotency_key,
        use_case="submit_query",
        request={
            "offer_id": offer_id,
            "text": text,
            "seconds_on_task": seconds_on_task,
            "paste_events": paste_events,
            "typing": [typing.keys, typing.interval_cv] if typing else None,
        },
        encode=lambda found: (
            [found.query_id, found.status] if isinstance(found, SubmitResult) else None
        ),
        decode=lambda kept: SubmitResult(int(kept[0]), str(kept[1])),
        took_effect=lambda found: isinstance(found, SubmitResult),
    )
    result = once.result
    if isinstance(result, list):
        first = result[0]
        raise AnswerRefused(
            first.message
            + (f" (and {len(result) - 1} more problem(s))" if len(result) > 1 else "")
            + (". That was this offer's last attempt: it has ended" if ended else ""),
            reasons=[{"reason": f.reason, "message": f.message} for f in result],
            offer_id=offer_id,
            offer_ended=ended,
        )
    return replace(result, replayed=once.replayed)


def submit_vote(
    ctx: Context,
    worker_id: int,
    offer_id: int,
    vote: VoteInput,
    *,
    idempotency_key: str | None = None,
) -> idempotency.Once[None]:
    """Record a blind vote and pay it (into pending); once a query has
    ``validators_per_query`` votes, each vote may decide it. A vote on a control is evidence
    on the validator (``generation_decisions.answer_control``), paid the same way. With
    ``idempotency_key``, a retry is answered as the first call was (``replayed``)."""
    if len(vote.comment) > 2000:
        raise InvalidInput("comment is limited to 2,000 characters", field="comment")

    def work(session: Session) -> None:
        now = ctx.now()
        offer = own_offer(session, worker_id, offer_id, now)
        campaign = submittable(session, offer, "vote")
        assert offer.query_id is not None
        query = store.lock_query(session, offer.query_id)  # its votes and decision, one at a time
        voters = {v.worker_id for v in store.votes(session, query.id)}
        locked = mechanism_store.lock_tracks(  # noqa: F841 (held: track_row reads them)
            session, campaign.id, [worker_id, query.worker_id, *voters]
        )
        store.lock_standings(session, [worker_id, query.worker_id, *voters])
        offer.status, offer.finished_at = "done", now
        control = query.control is not None and query.status in ("control", "accepted")
        if query.status != "validating" and not control:
            return  # decided meanwhile (e.g. at close); the offer simply ends
        row = Vote(
            query_id=query.id,
            worker_id=worker_id,
            round=query.round,
            valid=vote.valid,
            intent_ok=vote.intent_ok,
            natural_ok=vote.natural_ok,
            spelling_ok=vote.spelling_ok,
            values_ok=vote.values_ok,
            comment=vote.comment,
            agreed=None,
            created_at=now,
        )
        session.add(row)
        session.flush()
        if query.status != "validating":
            answer_control(session, ctx, campaign, query, row)
            return
        pay_vote(session, ctx, campaign, query, row)
        if (
            len(store.votes(session, query.id, query.round))
            >= spec_of(campaign).validators_per_query
        ):
            decide(session, ctx, campaign, query)

    return idempotency.run_once(
        ctx,
        work,
        actor_id=worker_id,
        key=idempotency_key,
        use_case="submit_vote",
        request={"offer_id": offer_id, **asdict(vote)},
    )


def worker_standing(ctx: Context, worker_id: int) -> StandingView:
    def work(session: Session) -> StandingView:
        row = session.get(WorkerStanding, worker_id)
        value = lock_standing(row) if row is not None else standing.Standing()
        return StandingView(
            locked=value.locked,
            generation_locked=value.generation_locked,
            generation_successes_to_unlock=value.successes_to_unlock(standing.Track.GENERATION),
            validation_locked=value.validation_locked,
            validation_successes_to_unlock=value.successes_to_unlock(standing.Track.VALIDATION),
            locked_amount=ledger_store.balance_of(
                session, user_account(worker_id, AccountKind.LOCKED)
            ),
            staked_amount=ledger_store.balance_of(
                session, user_account(worker_id, AccountKind.STAKED)
            ),
        )

    return ctx.db.run(work, readonly=True)


def require_no_work_under_review(session: Session, worker_id: int) -> None:
    """Stake is bonded while the worker's queries or votes await a decision, and while they
    hold pending generation pay, so nobody can unstake ahead of a rejection or a fine."""
    pending = store.pending_work(session, worker_id)
    if pending:
        raise RuleViolation(
            f"you have {pending} answer(s) awaiting validation: your stake stays bonded until "
            "they are decided",
            pending=pending,
        )
    held = [
        row
        for row in mechanism_store.track_rows(session, worker_id=worker_id)
        if row.track in (Track.WRITE.value, Track.VOTE.value)
        and row.pending > 0
        and row.revoked_at is None
    ]
    if held:
        amount = sum(row.pending for row in held)
        campaigns = sorted({row.campaign_id for row in held})
        raise RuleViolation(
            f"you have {amount} minor units of pay pending in campaign(s) "
            f"{', '.join(map(str, campaigns))}: your stake stays bonded until it is released "
            "(when your quality clears the campaign's bar, or at its close)",
            pending_pay=amount,
        )
