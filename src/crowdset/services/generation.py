"""Generation work (SPEC §1–§2): offers drawn by stake, writing, blind votes, decisions, money.

Each use case is one unit of work; anything touching a campaign's work locks the campaign row
first, so concurrent API processes never hand out the same unit twice or decide a query twice.
Every credit moved is a ledger transaction posted inside the same unit of work.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy.orm import Session

from crowdset.core import ledger, selection, standing
from crowdset.core.economics import fee_for
from crowdset.core.generation.annotation import annotate
from crowdset.core.generation.checks import CheckRules, check_query
from crowdset.core.generation.model import CheckFailure, SlotValue, Span
from crowdset.core.generation.plan import (
    Coverage,
    Pricing,
    next_task,
    pricing,
    seed_texts,
    task_prompt,
)
from crowdset.core.generation.spec import CampaignSpec, IntentSpec
from crowdset.core.ledger import AccountKind, escrow_account, user_account
from crowdset.errors import AnswerRefused, Conflict, InvalidInput, NotFound, RuleViolation
from crowdset.services.context import Context
from crowdset.storage import campaign_store as store
from crowdset.storage import ledger_store
from crowdset.storage.models import Campaign, GenerationTask, Offer, Query, Vote, WorkerStanding

MAX_EXAMPLES = 5


# --- the campaign as the rules see it ---------------------------------------------------------


@dataclass(frozen=True)
class CampaignRules:
    """A campaign's spec with what every use case derives from it, parsed once per process."""

    spec: CampaignSpec
    seeds: dict[str, list[str]]  # intent → seed examples as plain text
    checks: CheckRules


@lru_cache(maxsize=64)
def _rules(digest: str, spec_json: str) -> CampaignRules:
    spec = CampaignSpec.model_validate_json(spec_json)
    return CampaignRules(
        spec=spec,
        seeds={intent.name: seed_texts(intent) for intent in spec.intents},
        checks=check_rules(spec),
    )


_BY_DIGEST: dict[str, CampaignRules] = {}


def rules_of(campaign: Campaign) -> CampaignRules:
    """The campaign's rules. Specs never change after creation, so they are cached by the
    digest stored beside them and the (large) spec column is read only on a cache miss."""
    found = _BY_DIGEST.get(campaign.spec_digest)
    if found is None:
        found = _rules(campaign.spec_digest, json.dumps(campaign.spec, sort_keys=True))
        if len(_BY_DIGEST) > 64:
            _BY_DIGEST.clear()
        _BY_DIGEST[campaign.spec_digest] = found
    return found


def spec_of(campaign: Campaign) -> CampaignSpec:
    return rules_of(campaign).spec


def spec_digest(spec_json: dict[str, object]) -> str:
    canonical = json.dumps(spec_json, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def pricing_of(ctx: Context, spec: CampaignSpec) -> Pricing:
    settings = ctx.settings
    return pricing(
        spec,
        fair_hourly_wage=settings.fair_hourly_wage,
        minor_per_unit=settings.minor_per_unit,
        fee_share=settings.platform_fee_share,
    )


def values_of(rows: list[dict[str, str]]) -> tuple[SlotValue, ...]:
    return tuple(SlotValue(row["slot"], row["entity"], row["value"]) for row in rows)


def values_json(values: tuple[SlotValue, ...]) -> list[dict[str, str]]:
    return [{"slot": v.slot, "entity": v.entity, "value": v.value} for v in values]


def spans_of(rows: list[dict[str, object]]) -> tuple[Span, ...]:
    return tuple(
        Span(int(str(r["start"])), int(str(r["end"])), str(r["slot"]), str(r["entity"]))
        for r in rows
    )


def check_rules(spec: CampaignSpec) -> CheckRules:
    return CheckRules(
        min_words=spec.checks.min_words,
        max_words=spec.checks.max_words,
        near_duplicate_similarity=spec.checks.near_duplicate_similarity,
        language=spec.language if spec.checks.language else None,
    )


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
    """A worker's lock status and what unlocks it (SPEC §1)."""

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
                "with the majority"
            )
        return "Your stake is locked: to unlock it, " + " and ".join(parts) + "."


def _standing(row: WorkerStanding) -> standing.Standing:
    return standing.Standing(
        generation_locked=row.generation_locked,
        generation_streak=row.generation_streak,
        validation_locked=row.validation_locked,
        validation_streak=row.validation_streak,
    )


def _store_standing(row: WorkerStanding, value: standing.Standing) -> None:
    row.generation_locked = value.generation_locked
    row.generation_streak = value.generation_streak
    row.validation_locked = value.validation_locked
    row.validation_streak = value.validation_streak


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
        examples=tuple(rules.seeds[intent.name][:MAX_EXAMPLES]),
        query_text=query.text if query is not None else None,
        questions=VOTE_QUESTIONS if query is not None else (),
        price=prices.per_vote if query is not None else prices.per_query,
    )


# --- money ------------------------------------------------------------------------------------


def _post(session: Session, ctx: Context, draft: ledger.TransactionDraft) -> None:
    ledger_store.post(session, draft, now=ctx.now(), actor_id=None)


def settle(
    session: Session,
    ctx: Context,
    campaign_id: int,
    payouts: list[tuple[int, int]],
    memo: str,
) -> None:
    """Pay a decision's workers from escrow in one transaction, with the fee on each payment."""
    payouts = [(worker, amount) for worker, amount in payouts if amount > 0]
    if not payouts:
        return
    fee = sum(fee_for(amount, ctx.settings.platform_fee_share) for _, amount in payouts)
    _post(session, ctx, ledger.settle(campaign_id, payouts, fee, memo))


def _move_stake(
    session: Session, ctx: Context, worker_id: int, move: standing.StakeMove, memo: str
) -> None:
    if move is standing.StakeMove.NONE:
        return
    if move in (standing.StakeMove.LOCK, standing.StakeMove.FORFEIT):
        staked = ledger_store.balance_of(session, user_account(worker_id, AccountKind.STAKED))
        if staked > 0:
            _post(session, ctx, ledger.lock(worker_id, staked, memo))
        if move is standing.StakeMove.LOCK:
            return
    locked = ledger_store.balance_of(session, user_account(worker_id, AccountKind.LOCKED))
    if locked > 0:
        draft = ledger.unlock if move is standing.StakeMove.UNLOCK else ledger.forfeit
        _post(session, ctx, draft(worker_id, locked, memo))


def _record(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    worker_id: int,
    track: standing.Track,
    *,
    success: bool,
    memo: str,
) -> None:
    """Apply one outcome to the worker's lock standing and campaign track record."""
    spec = spec_of(campaign)
    row = store.standing(session, worker_id)
    before = _standing(row)
    if success:
        outcome = standing.record_success(before, track)
    else:
        outcome = standing.record_failure(
            before, track, forfeit_on_repeat=spec.forfeit_on_repeat_failure
        )
    _store_standing(row, outcome.standing)
    _move_stake(session, ctx, worker_id, outcome.move, memo)
    member = store.campaign_worker(session, campaign.id, worker_id)
    if member is not None:
        if success:
            member.successes += 1
        else:
            member.failures += 1


# --- deciding a query -------------------------------------------------------------------------


def decide(
    session: Session, ctx: Context, campaign: Campaign, query: Query, *, closing: bool = False
) -> None:
    """Majority of the round's votes decides (SPEC §2); pays and applies the lock rule.

    At close, a query without a decisive majority is marked ``unvalidated``: its writer and its
    voters are paid (the missing votes are not their fault) and it stays out of the export.
    """
    spec = spec_of(campaign)
    prices = pricing_of(ctx, spec)
    votes = store.votes(session, query.id, query.round)
    needed = spec.validators_per_query // 2 + 1
    valid = sum(vote.valid for vote in votes)
    invalid = len(votes) - valid
    now = ctx.now()
    memo = f"campaign {campaign.id} query {query.id}"
    if valid < needed and invalid < needed:
        if not closing:
            return
        query.status, query.decided_at = "unvalidated", now
        payouts = [(vote.worker_id, prices.per_vote) for vote in votes]
        if not query.paid:
            payouts.insert(0, (query.worker_id, prices.per_query))
            query.paid = True
        settle(session, ctx, campaign.id, payouts, f"{memo} settled at close")
        return
    accepted = valid >= needed
    query.status, query.decided_at = ("accepted" if accepted else "rejected"), now
    payouts = []
    if accepted and not query.paid:
        payouts.append((query.worker_id, prices.per_query))
        query.paid = True
    for vote in votes:
        vote.agreed = vote.valid == accepted
        if vote.agreed:
            payouts.append((vote.worker_id, prices.per_vote))
    settle(session, ctx, campaign.id, payouts, f"{memo} {query.status}")
    _record(
        session,
        ctx,
        campaign,
        query.worker_id,
        standing.Track.GENERATION,
        success=accepted,
        memo=f"lock rule: {memo} {query.status}",
    )
    for vote in votes:
        _record(
            session,
            ctx,
            campaign,
            vote.worker_id,
            standing.Track.VALIDATION,
            success=bool(vote.agreed),
            memo=f"lock rule: vote on {memo}",
        )


# --- dispatch ---------------------------------------------------------------------------------


@dataclass
class _Unit:
    kind: str  # write | vote
    task: GenerationTask | None = None
    query: Query | None = None
    excluded: set[int] = field(default_factory=set)


def free_escrow(
    session: Session,
    campaign: Campaign,
    prices: Pricing,
    offers: list[Offer],
    validating: list[Query] | None = None,
) -> int:
    """Escrow still free after everything in flight is paid at its most."""
    escrow = ledger_store.balance_of(session, escrow_account(campaign.id))
    if validating is None:
        validating = store.queries(session, campaign.id, status="validating")
    liabilities = 0
    for query in validating:
        votes_cost = prices.vote_exposure(prices.validators)
        liabilities += votes_cost if query.paid else prices.query_exposure
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
) -> list[_Unit]:
    """Writing units still needed, intents interleaved so each progresses evenly."""
    counts = store.status_counts(session, campaign.id)
    busy_tasks = {o.task_id for o in offers if o.kind == "write"}
    open_tasks = store.open_tasks(session, campaign.id)
    in_flight = Counter(t.intent for t in open_tasks if t.id in busy_tasks)
    open_tasks = [t for t in open_tasks if t.id not in busy_tasks]
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


def _offer_units(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: CampaignSpec,
    units: list[_Unit],
    candidates: dict[int, selection.Candidate],
    inbox: Counter[int],
    now: datetime,
) -> int:
    """Offer each unit to a worker drawn ∝ ln(1 + stake) among those who may take it."""
    made = 0
    expires = now + timedelta(seconds=spec.offer_ttl_seconds)
    for unit in units:
        pool = [
            c
            for w, c in candidates.items()
            if w not in unit.excluded and inbox[w] < spec.max_open_offers
        ]
        chosen = selection.draw(pool, ctx.rng)
        if chosen is None:
            continue
        inbox[chosen.worker_id] += 1
        unit.excluded.add(chosen.worker_id)
        session.add(
            Offer(
                campaign_id=campaign.id,
                worker_id=chosen.worker_id,
                kind=unit.kind,
                task_id=unit.task.id if unit.task is not None else None,
                query_id=unit.query.id if unit.query is not None else None,
                status="open",
                refusals=0,
                created_at=now,
                expires_at=expires,
            )
        )
        made += 1
    session.flush()
    return made


def dispatch(session: Session, ctx: Context, campaign: Campaign) -> int:
    """Expire stale offers and offer every open unit to a worker drawn ∝ ln(1 + stake).

    Votes go first (they unblock decisions). Call with the campaign row locked. Returns the
    number of offers made.
    """
    now = ctx.now()
    store.expire_offers(session, campaign.id, now)
    if campaign.status != "running":
        return 0
    spec = spec_of(campaign)
    prices = pricing_of(ctx, spec)
    offers = store.open_offers(session, campaign.id)
    members = store.active_workers(
        session, campaign.id, now - timedelta(seconds=spec.active_window_seconds)
    )
    minor = ctx.settings.minor_per_unit
    stake = store.stakes(session, [m.worker_id for m in members])
    min_stake = int(spec.min_stake * minor)
    inbox = Counter(o.worker_id for o in offers)
    candidates = {
        m.worker_id: selection.Candidate(
            m.worker_id,
            stake.get(m.worker_id, 0) / minor,
            selection.predicted_quality(m.successes, m.failures) if spec.quality_weighting else 1.0,
        )
        for m in members
        if stake.get(m.worker_id, 0) >= max(min_stake, 1)
    }
    room = sum(max(0, spec.max_open_offers - inbox[w]) for w in candidates)
    if room == 0:
        return 0

    units: list[_Unit] = []
    validating = store.queries(session, campaign.id, status="validating")
    voted = store.voters(session, [q.id for q in validating])
    vote_offers: dict[int, list[Offer]] = defaultdict(list)
    for o in offers:
        if o.kind == "vote" and o.query_id is not None:
            vote_offers[o.query_id].append(o)
    this_round = store.round_vote_counts(session, validating)
    for query in validating:
        missing = (
            spec.validators_per_query - this_round.get(query.id, 0) - len(vote_offers[query.id])
        )
        excluded = (
            {query.worker_id} | voted[query.id] | {o.worker_id for o in vote_offers[query.id]}
        )
        units += [_Unit("vote", query=query, excluded=excluded) for _ in range(max(0, missing))]
    made = _offer_units(session, ctx, campaign, spec, units, candidates, inbox, now)
    room = sum(max(0, spec.max_open_offers - inbox[w]) for w in candidates)
    free = free_escrow(session, campaign, prices, offers, validating)
    budget = max(0, free // prices.query_exposure) if prices.query_exposure else room
    writes = _plan_write_units(session, ctx, campaign, spec, offers, room, budget)
    made += _offer_units(session, ctx, campaign, spec, writes, candidates, inbox, now)
    session.flush()
    return made


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


def submittable(session: Session, offer: Offer, kind: str) -> Campaign:
    """The offer's campaign, row-locked, when it still takes answers of this kind."""
    if offer.kind != kind:
        raise InvalidInput(
            f"offer {offer.id} is a {offer.kind} offer: use {SUBMIT_USE_CASE[offer.kind]}",
            offer_id=offer.id,
        )
    campaign = store.campaign(session, offer.campaign_id, for_update=True)
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
) -> SubmitResult:
    """Run the automatic checks; a passing query goes to validation.

    A failing one raises ``AnswerRefused`` naming each reason; the offer stays open so the
    worker can fix the query and submit again before it expires.
    """
    text = " ".join(text.split())
    if seconds_on_task is not None and seconds_on_task < 0:
        raise InvalidInput("seconds_on_task cannot be negative", field="seconds_on_task")
    if paste_events < 0:
        raise InvalidInput("paste_events cannot be negative", field="paste_events")

    def work(session: Session) -> SubmitResult | list[CheckFailure]:
        now = ctx.now()
        offer = own_offer(session, worker_id, offer_id, now)
        campaign = submittable(session, offer, "write")
        rules = rules_of(campaign)
        task = session.get(GenerationTask, offer.task_id)
        assert task is not None
        intent: IntentSpec = rules.spec.intent(task.intent)
        required = values_of(task.slot_values)
        references = rules.seeds[intent.name] + store.accepted_texts(
            session, campaign.id, intent.name
        )
        failures = check_query(text, required, references, rules.checks)
        if failures:
            offer.refusals += 1
            return failures
        query = Query(
            campaign_id=campaign.id,
            task_id=task.id,
            worker_id=worker_id,
            intent=intent.name,
            text=text,
            slot_values=task.slot_values,
            spans=[
                {"start": s.start, "end": s.end, "slot": s.slot, "entity": s.entity}
                for s in annotate(text, required)
            ],
            status="validating",
            round=1,
            paid=False,
            submitted_at=now,
            seconds_on_task=seconds_on_task,
            paste_events=paste_events,
        )
        session.add(query)
        task.status = "done"
        offer.status, offer.finished_at = "done", now
        session.flush()
        return SubmitResult(query.id, query.status)

    result = ctx.db.run(work)
    if isinstance(result, list):
        first = result[0]
        raise AnswerRefused(
            first.message
            + (f" (and {len(result) - 1} more problem(s))" if len(result) > 1 else ""),
            reasons=[{"reason": f.reason, "message": f.message} for f in result],
            offer_id=offer_id,
        )
    return result


def submit_vote(ctx: Context, worker_id: int, offer_id: int, vote: VoteInput) -> None:
    """Record a blind vote; the last vote of a round decides the query."""
    if len(vote.comment) > 2000:
        raise InvalidInput("comment is limited to 2,000 characters", field="comment")

    def work(session: Session) -> None:
        now = ctx.now()
        offer = own_offer(session, worker_id, offer_id, now)
        campaign = submittable(session, offer, "vote")
        query = session.get(Query, offer.query_id)
        assert query is not None
        offer.status, offer.finished_at = "done", now
        if query.status != "validating":
            return  # decided meanwhile (e.g. at close); the offer simply ends
        session.add(
            Vote(
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
        )
        session.flush()
        if (
            len(store.votes(session, query.id, query.round))
            >= spec_of(campaign).validators_per_query
        ):
            decide(session, ctx, campaign, query)

    ctx.db.run(work)


def worker_standing(ctx: Context, worker_id: int) -> StandingView:
    def work(session: Session) -> StandingView:
        row = session.get(WorkerStanding, worker_id)
        value = _standing(row) if row is not None else standing.Standing()
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
    """Stake is bonded while the worker's queries or votes await a decision, so nobody can
    unstake ahead of a rejection and dodge the lock rule."""
    pending = store.pending_work(session, worker_id)
    if pending:
        raise RuleViolation(
            f"you have {pending} answer(s) awaiting validation: your stake stays bonded until "
            "they are decided",
            pending=pending,
        )
