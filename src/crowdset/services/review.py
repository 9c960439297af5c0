"""Review campaigns' packages, deposits and pool payout (SPEC §1, §4), inside the caller's
unit of work. The rules are ``core.labeling.packages``; the use cases that reach a worker
(taking a package, rating its pairs) are in ``services.labeling``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta
from fractions import Fraction

import pandas as pd
from sqlalchemy.orm import Session

from crowdset.core import ledger, selection
from crowdset.core.aggregation import ReviewerWeightedScore
from crowdset.core.economics import fee_for
from crowdset.core.labeling.packages import (
    deposit_for,
    nominal_reward,
    package_error,
    split_pool,
)
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.review_budget import ReviewEstimate, estimate_review, price_per_minute_at
from crowdset.errors import Conflict
from crowdset.services.context import Context
from crowdset.services.generation import settle
from crowdset.storage import campaign_store as store
from crowdset.storage import labeling_store as items_store
from crowdset.storage import ledger_store
from crowdset.storage.models import Campaign, Judgment, LabelItem, Offer, ReviewPackage

ESTIMATE_CROWD = 10  # reviewers assumed for the days-to-finish shown at launch
ESTIMATE_HOURS_PER_DAY = 8
MIN_UNJUDGED_RATINGS = 2


def review_estimate(ctx: Context, spec: LabelingSpec, pairs: int) -> ReviewEstimate:
    """SPEC §4's workload, budget, reserve and pool for ``pairs`` pairs."""
    assert spec.review is not None
    settings = ctx.settings
    return estimate_review(
        pairs=pairs,
        reviewers=spec.review.reviewers,
        minutes_per_pair=spec.review.minutes_per_pair,
        price_per_minute=price_per_minute_at(settings.fair_hourly_wage, settings.minor_per_unit),
        reserve_share=settings.reserve_share,
        crowd=ESTIMATE_CROWD,
        hours_per_day=ESTIMATE_HOURS_PER_DAY,
        challenge_share=Fraction(str(spec.gold.share)),
    )


def launch_budget(session: Session, campaign: Campaign) -> dict[str, int]:
    launched = [e for e in store.events(session, campaign.id) if e.kind == "launched"]
    detail = launched[-1].detail if launched else {}
    return {key: int(str(detail.get(key, 0))) for key in ("budget", "reserve", "pool", "ratings")}


def take_package(
    session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec, worker_id: int
) -> ReviewPackage:
    """Hand the worker a package of pairs still needing ratings (challenges mixed in) and hold
    its deposit. One open package per worker and campaign."""
    assert spec.review is not None
    settings = spec.review
    for package in items_store.packages(session, campaign.id, worker_id=worker_id):
        if package.status == "open":
            raise Conflict(
                f"you already hold package {package.id}: finish it first",
                package_id=package.id,
            )
    challenges = round(settings.package_size * spec.gold.share)
    wanted = settings.package_size - challenges
    candidates = items_store.open_items(session, campaign.id, limit=wanted * 20 + 100)
    taken = items_store.judges(session, [i.id for i in candidates])
    in_flight = items_store.offers_in_flight(session, [i.id for i in candidates])
    chosen = [
        item
        for item in candidates
        if worker_id not in taken[item.id]
        and item.judgments + in_flight.get(item.id, 0) < settings.reviewers
    ][:wanted]
    if not chosen:
        raise Conflict("no pairs need review right now; try again later", campaign_id=campaign.id)
    seen = items_store.items_seen_by(session, campaign.id, worker_id)
    gold = [g for g in items_store.gold_item_ids(session, campaign.id) if g not in seen]
    picked_gold = (
        [int(g) for g in ctx.rng.choice(gold, size=min(challenges, len(gold)), replace=False)]
        if gold and challenges
        else []
    )
    item_ids = [i.id for i in chosen] + picked_gold
    order = ctx.rng.permutation(len(item_ids))  # challenges anywhere in the package
    budget = launch_budget(session, campaign)
    reward = nominal_reward(budget["pool"], len(item_ids), max(budget["ratings"], 1))
    deposit = deposit_for(reward, settings.deposit_factor)
    now = ctx.now()
    package = ReviewPackage(
        campaign_id=campaign.id,
        worker_id=worker_id,
        status="open",
        size=len(item_ids),
        reward=reward,
        deposit=deposit,
        created_at=now,
        due_at=now + timedelta(hours=settings.package_hours),
    )
    session.add(package)
    session.flush()
    if deposit > 0:
        ledger_store.post(
            session,
            ledger.hold_deposit(worker_id, deposit, f"campaign {campaign.id} package {package.id}"),
            now=now,
            actor_id=worker_id,
        )
    for position in order:
        session.add(
            Offer(
                campaign_id=campaign.id,
                worker_id=worker_id,
                kind="label",
                item_id=item_ids[int(position)],
                package_id=package.id,
                status="accepted",
                refusals=0,
                created_at=now,
                expires_at=package.due_at,
                accepted_at=now,
            )
        )
    session.flush()
    return package


def after_judgment(
    session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec, package_id: int
) -> None:
    """A package whose last pair is rated is submitted and judged when references allow."""
    package = items_store.package(session, package_id)
    if package.status == "open" and not items_store.package_offers_open(session, package_id):
        package.status = "submitted"
        judge_packages(session, ctx, campaign, spec)


def _references(
    session: Session, judgments: list[Judgment], worker_id: int
) -> list[tuple[float, float | None]]:
    """Each rating with its reference: a challenge's known stars, else the mean of the other
    reviewers' kept ratings of the pair: those of passed packages when there are any,
    otherwise at least two ratings of packages not judged yet."""
    item_ids = [j.item_id for j in judgments]
    others = items_store.other_ratings(session, item_ids, worker_id)
    pairs: list[tuple[float, float | None]] = []
    for judgment in judgments:
        rating = float(str(judgment.answer))
        item = items_store.item(session, judgment.item_id)
        if item.gold is not None:
            pairs.append((rating, float(str(item.gold))))
            continue
        rows = others.get(judgment.item_id, [])
        passed = [stars for stars, status in rows if status == "passed"]
        pool = passed or [stars for stars, _ in rows]
        # one unjudged rating is no reference: it may be the spammer's
        trusted = bool(passed) or len(pool) >= MIN_UNJUDGED_RATINGS
        pairs.append((rating, sum(pool) / len(pool) if trusted else None))
    return pairs


def judge_packages(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    *,
    closing: bool = False,
) -> None:
    """Judge every submitted package that has enough references (at close: every package)."""
    assert spec.review is not None
    settings = spec.review
    now = ctx.now()
    states = ("submitted", "open") if closing else ("submitted",)
    for package in items_store.packages(session, campaign.id):
        if package.status not in states:
            continue
        judgments = [j for j in items_store.package_judgments(session, package.id) if j.kept]
        found = package_error(_references(session, judgments, package.worker_id))
        if not closing and found.references < settings.min_references:
            continue
        package.error, package.reference_pairs = found.rms, found.references
        package.judged_at = now
        memo = f"campaign {campaign.id} package {package.id}"
        if found.rms is not None and found.rms > settings.max_package_error:
            package.status = "forfeited"
            if package.deposit:
                ledger_store.post(
                    session,
                    ledger.forfeit_deposit(package.worker_id, package.deposit, memo),
                    now=now,
                    actor_id=None,
                )
            for judgment in judgments:  # its pairs go back for review
                judgment.kept = False
                item = items_store.item(session, judgment.item_id)
                item.judgments -= 1
                item.status = "open"
            store.add_event(
                session,
                campaign.id,
                "package_forfeited",
                at=now,
                detail={
                    "package": package.id,
                    "worker": store.pseudonyms(session, {package.worker_id})[package.worker_id],
                    "error": round(found.rms, 3),
                    "references": found.references,
                    "deposit": package.deposit,
                    "reward_withheld": package.reward,
                    "pairs_redistributed": len(judgments),
                },
            )
        else:
            package.status = "passed"
            if package.deposit:
                ledger_store.post(
                    session,
                    ledger.release_deposit(package.worker_id, package.deposit, memo),
                    now=now,
                    actor_id=None,
                )


def settle_pool(session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec) -> None:
    """At close: judge what is left, then pay the pool by weighted workload ``a_n · W_n``."""
    assert spec.review is not None
    store.withdraw_offers(session, campaign.id, ctx.now())
    judge_packages(session, ctx, campaign, spec, closing=True)
    budget = launch_budget(session, campaign)
    packages = items_store.packages(session, campaign.id)
    weights = reviewer_weights(session, campaign)
    workload: dict[int, Fraction] = defaultdict(Fraction)
    minutes = Fraction(str(spec.review.minutes_per_pair))
    for package in packages:
        if package.status == "passed":  # ratings later set aside by a revision still count
            rated = len(items_store.package_judgments(session, package.id))
            workload[package.worker_id] += rated * minutes
    weighted = {
        worker: Fraction(str(weights.get(worker, 1.0))) * w for worker, w in workload.items()
    }
    withheld = sum(p.reward for p in packages if p.status == "forfeited")
    split = split_pool(budget["pool"], withheld, weighted)
    settle(
        session,
        ctx,
        campaign.id,
        sorted(split.payouts.items()),
        f"campaign {campaign.id} pool payout",
    )
    store.add_event(
        session,
        campaign.id,
        "pool_paid",
        at=ctx.now(),
        detail={
            "budget": budget["budget"],
            "reserve": budget["reserve"],
            "pool": budget["pool"],
            "paid": split.paid,
            "withheld": split.withheld,
            "reviewers_paid": len(split.payouts),
            "revisions_paid": _revisions_paid(session, ctx, campaign, spec),
        },
    )


def weighted_ratings(
    session: Session, campaign: Campaign
) -> tuple[ReviewerWeightedScore, pd.Series[float]] | None:
    """SPEC §4's weighted score fitted to the campaign's kept ratings, with each worker's
    wrong gold answers as wrong challenges, and the plain mean per item beside it (``None``
    before any rating)."""
    kept = [j for j in items_store.judgments(session, campaign.id) if j.kept and not j.gold]
    if not kept:
        return None
    frame = pd.DataFrame(
        {
            "task": [j.item_id for j in kept],
            "worker": [j.worker_id for j in kept],
            "label": [float(str(j.answer)) for j in kept],
        }
    )
    wrong = pd.Series(
        {
            m.worker_id: m.gold_answers - m.gold_correct
            for m in items_store.members(session, campaign.id)
        },
        dtype=float,
    )
    fitted = ReviewerWeightedScore().fit(frame, wrong_challenges=wrong)
    return fitted, frame.groupby("task")["label"].mean()


def reviewer_weights(session: Session, campaign: Campaign) -> dict[int, float]:
    """SPEC §4's ``a_n`` of every reviewer with a kept rating."""
    found = weighted_ratings(session, campaign)
    if found is None:
        return {}
    return {int(str(w)): float(a) for w, a in found[0].weights_.items()}


# --- revision (SPEC §4): pairs near the cut line get a better translation, then new ratings --


def revision_price(ctx: Context, spec: LabelingSpec) -> int:
    """``minutes_per_revision`` at the fair wage, in minor units, rounded up."""
    assert spec.review is not None
    settings = ctx.settings
    exact = Fraction(str(spec.review.minutes_per_revision)) * price_per_minute_at(
        settings.fair_hourly_wage, settings.minor_per_unit
    )
    return math.ceil(exact)


def _revision_exposure(ctx: Context, spec: LabelingSpec) -> int:
    price = revision_price(ctx, spec)
    return price + fee_for(price, ctx.settings.platform_fee_share)


def _revisions_paid(session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec) -> int:
    done = sum(i.revisions for i in items_store.items(session, campaign.id))
    return done * revision_price(ctx, spec)


def offer_revisions(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    candidates: dict[int, selection.Candidate],
) -> int:
    """Offer each pair sent to revision to one worker drawn ∝ ln(1 + stake) × quality, as
    long as the reserve covers the revisions in flight and done."""
    pending = items_store.items_in_revision(session, campaign.id)
    if not pending or not candidates:
        return 0
    offers = store.open_offers(session, campaign.id)
    busy = {o.item_id for o in offers if o.kind == "revise"}
    exposure = _revision_exposure(ctx, spec)
    spent = sum(i.revisions for i in items_store.items(session, campaign.id)) * exposure
    room = (launch_budget(session, campaign)["reserve"] - spent) // exposure - len(busy)
    inbox = Counter(o.worker_id for o in offers)
    now = ctx.now()
    made = 0
    for item in pending:
        if item.id in busy:
            continue
        if made >= room:
            break
        pool = [c for w, c in candidates.items() if inbox[w] < spec.max_open_offers]
        chosen = selection.draw(pool, ctx.rng)
        if chosen is None:
            break
        inbox[chosen.worker_id] += 1
        session.add(
            Offer(
                campaign_id=campaign.id,
                worker_id=chosen.worker_id,
                kind="revise",
                item_id=item.id,
                status="open",
                refusals=0,
                created_at=now,
                expires_at=now + timedelta(seconds=spec.offer_ttl_seconds),
            )
        )
        made += 1
    session.flush()
    return made


def apply_revision(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    item: LabelItem,
    target: str,
    worker_id: int,
) -> None:
    """The new translation replaces the old (kept as ``original_target``); the pair's ratings
    leave the score and it is rated again in new packages. The reviser is paid now."""
    if item.status != "revision":
        raise Conflict("this pair is no longer in revision", item=item.external_id)
    if item.original_target is None:
        item.original_target = item.target
    item.target = target
    item.revisions += 1
    for judgment in items_store.kept_judgments(session, item.id):
        judgment.kept = False
    item.judgments = 0
    item.answer = item.confidence = None
    item.status = "open"
    settle(
        session,
        ctx,
        campaign.id,
        [(worker_id, revision_price(ctx, spec))],
        f"campaign {campaign.id} revision of pair {item.external_id}",
    )


def send_to_revision(
    session: Session, ctx: Context, campaign: Campaign, external_ids: list[str], cut_score: float
) -> int:
    """Mark the given settled pairs for revision (each pair at most once)."""
    sent = 0
    for external_id in external_ids:
        item = items_store.item_by_external_id(session, campaign.id, external_id)
        if item.status == "settled" and item.revisions == 0 and item.gold is None:
            item.status = "revision"
            sent += 1
    store.add_event(
        session,
        campaign.id,
        "sent_to_revision",
        at=ctx.now(),
        detail={"pairs": sent, "cut_score": round(cut_score, 3)},
    )
    return sent
