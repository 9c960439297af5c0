"""Review campaigns' packages, deposits and pool payout (SPEC §1, §4, §6.5), inside the
caller's unit of work. The rules are ``core.labeling.packages``; the use cases that reach a
worker (taking a package, rating its pairs) are in ``services.labeling``.

A reviewer's quality is known the mechanism's way (``services.mechanism``, track RATE): each
challenge answer is a control, right when within ``quality.rating_tolerance`` stars of the
known stars; each rating with a reference is a decision. References are challenge stars and
the ratings of reviewers established on challenges, so spammers cannot skew them. A reviewer
revoked on the track gets no more pairs, their ratings are rated again by others, and they get
no share of the pool. The pool is earned into pending at close and released to the rest.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction

import pandas as pd
from sqlalchemy.orm import Session

from crowdset.core import ledger, selection
from crowdset.core.aggregation import ReviewerWeightedScore
from crowdset.core.economics import fee_for
from crowdset.core.labeling.judging import mechanism_of, probation_controls
from crowdset.core.labeling.packages import (
    deposit_for,
    nominal_reward,
    package_challenges,
    package_error,
    pool_due,
    rating_within,
    reference_weight,
    rests_on_one_reviewer,
    split_pool,
    weighted_reference,
)
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.ledger import AccountKind, escrow_account, user_account
from crowdset.core.mechanism import Evidence, Track
from crowdset.core.review_budget import ReviewEstimate, estimate_review, price_per_minute_at
from crowdset.errors import Conflict
from crowdset.services import mechanism
from crowdset.services.context import Context
from crowdset.services.generation import settle
from crowdset.storage import campaign_store as store
from crowdset.storage import labeling_store as items_store
from crowdset.storage import ledger_store, mechanism_store
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
        probation_minutes=probation_ratings(spec, pairs)
        * Fraction(str(spec.review.minutes_per_pair)),
    )


def probation_ratings(spec: LabelingSpec, pairs: int) -> int:
    """Challenge ratings beyond the plan that probation asks of the reviewers assumed at
    launch: the same allowance as any labeling campaign's
    (``core.labeling.judging.probation_controls``), priced into the reserve."""
    assert spec.review is not None
    return probation_controls(spec, spec.review.reviewers * pairs)


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
    if mechanism.is_revoked(session, campaign.id, worker_id, Track.RATE):
        raise Conflict(
            "your reviewing in this campaign was revoked: your ratings of challenge pairs and "
            "of pairs rated by trusted reviewers were too often off; see your sanctions",
            campaign_id=campaign.id,
        )
    for package in items_store.packages(session, campaign.id, worker_id=worker_id):
        if package.status == "open":
            raise Conflict(
                f"you already hold package {package.id}: finish it first",
                package_id=package.id,
            )
    challenges = package_challenges(
        settings.package_size,
        spec.gold.share,
        on_probation=_on_probation(session, campaign, spec, worker_id),
        probation_share=mechanism_of(spec).probation_share,
    )
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


def _on_probation(session: Session, campaign: Campaign, spec: LabelingSpec, worker_id: int) -> bool:
    """Not yet a reference on their challenge answers (``reference_weight``)."""
    settings = mechanism_of(spec)
    if settings.control_share <= 0:
        return False
    row = mechanism_store.track_row(session, campaign.id, worker_id, Track.RATE.value, create=False)
    if row is None:
        return True
    return (
        reference_weight(
            row.controls,
            row.controls_failed,
            settings.bar_on(Track.RATE.value),
            settings.confidence,
        )
        is None
    )


def after_judgment(
    session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec, package_id: int
) -> None:
    """A package whose last pair is rated is submitted (its challenge answers become evidence
    on the reviewer's RATE track) and judged when references allow."""
    package = items_store.package(session, package_id)
    if package.status == "open" and not items_store.package_offers_open(session, package_id):
        _submit(package)
        judge_packages(session, ctx, campaign, spec)


def rating_price(session: Session, campaign: Campaign) -> int:
    """The pool's price of one planned rating: what re-rating a failed one costs."""
    budget = launch_budget(session, campaign)
    return budget["pool"] // max(budget["ratings"], 1)


def _observe(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    worker_id: int,
    *,
    correct: bool,
    failure_cost: int,
) -> None:
    """One decided rating on the reviewer's RATE track (SPEC §6.2: half a control's weight);
    a wrong one costs ``failure_cost``, the price of the rating that redoes it. A revocation
    sets the reviewer's work aside."""
    found = mechanism.observe(
        session,
        ctx,
        campaign,
        mechanism_of(spec),
        Track.RATE,
        worker_id,
        correct=correct,
        evidence=Evidence.DECISION,
        failure_cost=failure_cost,
    )
    if found.revoked_now:
        set_aside(session, ctx, campaign, worker_id)


def _submit(package: ReviewPackage) -> None:
    """Every pair of the package is rated (or the campaign closes): it waits to be judged.
    Its challenge answers were controls on the reviewer's RATE track when given
    (``services.labeling.submit_label``: right within ``quality.rating_tolerance`` stars)."""
    package.status = "submitted"


def _drop(session: Session, judgment: Judgment) -> None:
    """The rating leaves the pair's score; the pair needs one more rating."""
    judgment.kept = False
    item = items_store.item(session, judgment.item_id)
    item.judgments -= 1
    if item.status == "settled":
        item.status = "open"


def set_aside(session: Session, ctx: Context, campaign: Campaign, worker_id: int) -> None:
    """A reviewer revoked on the RATE track (SPEC §6.4) gets no more pairs: their offers are
    withdrawn, their open package is submitted as it stands, and their kept ratings of real
    pairs leave the scores, so others rate those pairs again (paid from the pool that the
    revoked reviewer no longer shares). Idempotent."""
    now = ctx.now()
    member = store.campaign_worker(session, campaign.id, worker_id)
    if member is not None and member.revoked_at is None:
        member.revoked_at = now  # the member row's copy, kept in sync with the track
    store.withdraw_offers(session, campaign.id, now, worker_id=worker_id)
    for package in items_store.packages(session, campaign.id, worker_id=worker_id):
        if package.status == "open":
            package.status = "submitted"
    for judgment in items_store.judgments(session, campaign.id):
        if judgment.worker_id == worker_id and judgment.kept and not judgment.gold:
            _drop(session, judgment)


def reference_weights(session: Session, campaign: Campaign, spec: LabelingSpec) -> dict[int, float]:
    """Reviewers who count as references (SPEC §6.5), with their weight: the posterior mean
    accuracy of their challenge answers, for those not revoked whose challenge posterior
    clears the bar at the campaign's confidence and whose whole RATE track is not below it
    (``core.labeling.packages.reference_weight``)."""
    settings = mechanism_of(spec)
    found: dict[int, float] = {}
    for row in mechanism_store.track_rows(session, campaign_id=campaign.id, track=Track.RATE.value):
        weight = reference_weight(
            row.controls,
            row.controls_failed,
            settings.bar_on(Track.RATE.value),
            settings.confidence,
            mechanism.record_of(row).quality.posterior_mean(),
        )
        if row.revoked_at is None and weight is not None:
            found[row.worker_id] = weight
    return found


KeptRatings = dict[int, list[Judgment]]  # pair → its kept ratings


def _kept_ratings(session: Session, campaign: Campaign) -> KeptRatings:
    found: KeptRatings = defaultdict(list)
    for judgment in items_store.judgments(session, campaign.id):
        if judgment.kept and not judgment.gold:
            found[judgment.item_id].append(judgment)
    return found


ReferenceRow = tuple[float, list[tuple[int, float, float]], float | None]


def _reference_rows(
    session: Session,
    judgments: list[Judgment],
    worker_id: int,
    weights: dict[int, float],
    kept: KeptRatings,
) -> list[ReferenceRow]:
    """Each rating with what it is judged against: (stars, the kept ratings of the pair by
    *other* reviewers who are references as (reviewer, stars, weight), a challenge's known
    stars or ``None``)."""
    rows: list[ReferenceRow] = []
    for judgment in judgments:
        rating = float(str(judgment.answer))
        item = items_store.item(session, judgment.item_id)
        if item.gold is not None:
            rows.append((rating, [], float(str(item.gold))))
            continue
        others = [
            (other.worker_id, float(str(other.answer)), weights[other.worker_id])
            for other in kept.get(item.id, [])
            if other.worker_id != worker_id and other.worker_id in weights
        ]
        rows.append((rating, others, None))
    return rows


def _references(rows: list[ReferenceRow]) -> list[tuple[float, float | None]]:
    """Each rating with its reference: a challenge's known stars, else the weighted mean of
    the other references' ratings; ``None`` without."""
    return [
        (rating, known if known is not None else weighted_reference([(s, w) for _, s, w in others]))
        for rating, others, known in rows
    ]


def _move_deposit(
    session: Session,
    ctx: Context,
    package: ReviewPackage,
    draft: Callable[[int, int, str], ledger.TransactionDraft],
    memo: str,
) -> int:
    """Release or forfeit the package's deposit, as far as the deposit account still holds it
    (a fine at revocation may have taken part of it)."""
    held = ledger_store.balance_of(session, user_account(package.worker_id, AccountKind.DEPOSIT))
    amount = min(package.deposit, held)
    if amount > 0:
        ledger_store.post(
            session, draft(package.worker_id, amount, memo), now=ctx.now(), actor_id=None
        )
    return amount


def _unestablished(rows: list[ReferenceRow], trusted: set[int]) -> set[int]:
    """The reviewers this package is judged against whose own quality is not established."""
    return {reviewer for _, others, _ in rows for reviewer, _, _ in others} - trusted


def judge_packages(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    *,
    closing: bool = False,
) -> None:
    """Judge every submitted package that has enough references (at close: every package).

    A passed package's deposit is returned; a forfeited one's goes to fines and its pairs go
    back for review. Then each of its ratings with a reviewer reference is evidence on the
    reviewer's RATE track (a decision, half a control's weight): right when within
    ``quality.rating_tolerance`` stars of the reference."""
    assert spec.review is not None
    settings = spec.review
    now = ctx.now()
    if closing:
        for package in items_store.packages(session, campaign.id):
            if package.status == "open":
                _submit(package)
    waiting = [p for p in items_store.packages(session, campaign.id) if p.status == "submitted"]
    if not waiting:
        return
    weights = reference_weights(session, campaign, spec)
    trusted = mechanism.established(
        session, campaign.id, mechanism_of(spec), Track.RATE, sorted(weights)
    )
    kept_ratings = _kept_ratings(session, campaign)
    tolerance = spec.quality.rating_tolerance
    price = rating_price(session, campaign)
    for package in waiting:
        if package.status != "submitted":
            continue  # set aside by a revocation during this loop
        judgments = items_store.package_judgments(session, package.id)
        rows = _reference_rows(session, judgments, package.worker_id, weights, kept_ratings)
        references = _references(rows)
        found = package_error(references)
        if not closing and found.references < settings.min_references:
            continue
        failed = found.rms is not None and found.rms > settings.max_package_error
        # a reviewer whose own challenge record makes them a reference is not forfeited on
        # the word of a reference whose decided work is not established (a control oracle):
        # the package waits until close, when references revoked meanwhile are gone; then
        # it passes only if it fails on one such reference alone, real pairs still judged
        if failed and package.worker_id in weights:
            suspects = _unestablished(rows, trusted)
            if suspects and not closing:
                continue
            if rests_on_one_reviewer(rows, suspects, settings.max_package_error):
                failed = False
        package.error, package.reference_pairs = found.rms, found.references
        package.judged_at = now
        memo = f"campaign {campaign.id} package {package.id}"
        if failed:
            assert found.rms is not None
            package.status = "forfeited"
            forfeited = _move_deposit(session, ctx, package, ledger.forfeit_deposit, memo)
            kept = [j for j in judgments if j.kept]
            for judgment in kept:  # its pairs go back for review
                _drop(session, judgment)
                if judgment in kept_ratings.get(judgment.item_id, []):
                    kept_ratings[judgment.item_id].remove(judgment)
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
                    "deposit": forfeited,
                    # withheld from this reviewer: the pool pays whoever re-rates the pairs
                    "reward_withheld": package.reward,
                    "pairs_redistributed": len(kept),
                },
            )
        else:
            package.status = "passed"
            _move_deposit(session, ctx, package, ledger.release_deposit, memo)
        for judgment, (rating, reference) in zip(judgments, references, strict=True):
            if judgment.gold or reference is None:
                continue
            _observe(
                session,
                ctx,
                campaign,
                spec,
                package.worker_id,
                correct=rating_within(rating, reference, tolerance),
                failure_cost=price,
            )


def settle_pool(session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec) -> None:
    """At close: judge what is left, then pay the pool by weighted workload ``a_n · W_n`` over
    passed packages of reviewers not revoked (SPEC §1, §6.5), topped up from the reserve when
    the passed workload at the price is worth more. The pay is earned into pending through the
    mechanism and released at close to every reviewer never revoked.

    The ``pool_paid`` event accounts for the budget to the minor unit:
    ``paid + withheld + reserve_used + refunded == budget``, where ``paid`` is everything the
    reviewers got at close (``topped_up`` of it from the reserve), ``withheld`` what exact
    apportionment left (nothing once anyone passed; the whole pool otherwise),
    ``reserve_used`` the revisions paid from the reserve during the run and ``refunded`` the
    rest of the budget, returned to the requester with the escrow. ``reserve`` is what the
    reserve kept after the top-up, so ``paid + reserve + withheld == budget`` too."""
    assert spec.review is not None
    store.withdraw_offers(session, campaign.id, ctx.now())
    judge_packages(session, ctx, campaign, spec, closing=True)
    budget = launch_budget(session, campaign)
    revoked = {
        row.worker_id
        for row in mechanism_store.track_rows(
            session, campaign_id=campaign.id, track=Track.RATE.value
        )
        if row.revoked_at is not None
    }
    weights = reviewer_weights(session, campaign)
    minutes = Fraction(str(spec.review.minutes_per_pair))
    workload: dict[int, Fraction] = defaultdict(Fraction)
    for package in items_store.packages(session, campaign.id):
        if package.status == "passed" and package.worker_id not in revoked:
            # ratings later set aside by a revision still count: the work was done
            rated = len(items_store.package_judgments(session, package.id))
            workload[package.worker_id] += rated * minutes
    weighted = {
        worker: Fraction(str(weights.get(worker, 1.0))) * w for worker, w in workload.items()
    }
    settings = ctx.settings
    price = price_per_minute_at(settings.fair_hourly_wage, settings.minor_per_unit)
    revisions = _revisions_paid(session, ctx, campaign, spec)
    due = pool_due(
        budget["pool"],
        max(0, budget["reserve"] - revisions),
        sum(workload.values(), Fraction(0)),
        price,
    )
    amount = min(due.amount, _payable(session, ctx, campaign, len(weighted)))
    split = split_pool(amount, weighted)
    topped_up = max(0, split.paid - budget["pool"])
    withheld = budget["pool"] + topped_up - split.paid
    mechanism.earn(
        session,
        ctx,
        campaign.id,
        Track.RATE,
        sorted(split.payouts.items()),
        f"campaign {campaign.id} pool payout",
    )
    # idempotent; campaign close calls it too
    mechanism.release_at_close(session, ctx, campaign, mechanism_of(spec))
    store.add_event(
        session,
        campaign.id,
        "pool_paid",
        at=ctx.now(),
        detail={
            "budget": budget["budget"],
            "pool": budget["pool"],
            "reserve": budget["reserve"] - topped_up,
            "paid": split.paid,
            "topped_up": topped_up,
            "withheld": withheld,
            "reserve_used": revisions,
            "refunded": budget["budget"] - split.paid - withheld - revisions,
            "reviewers_paid": len(split.payouts),
            "reviewers_revoked": len(revoked),
            "revisions_paid": revisions,
        },
    )


def _payable(session: Session, ctx: Context, campaign: Campaign, payees: int) -> int:
    """The most the escrow can pay out now with the fee on each payment (rounded half up,
    so at most half a minor unit more per payee than the share)."""
    left = ledger_store.balance_of(session, escrow_account(campaign.id))
    share = Fraction(ctx.settings.platform_fee_share)
    return max(0, math.floor((left - payees) / (1 + share)))


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


A_MAX = 1.2  # the largest reviewer weight a_n (SPEC §4)


def deposit_holders(
    session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec
) -> dict[int, selection.Candidate]:
    """Who may revise (SPEC §6.5): reviewers active now, not revoked, with a finished package
    in this campaign that stands — passed, or submitted with its deposit still held (a review
    without challenges judges its packages only at close) — each weighted by their reviewer
    weight ``a_n`` (the draw's quality is ``a_n / 1.2``; reviewers stake nothing, so stake plays
    no part)."""
    since = ctx.now() - timedelta(seconds=spec.active_window_seconds)
    active = {
        m.worker_id
        for m in store.active_workers(session, campaign.id, since)
        if m.revoked_at is None
    }
    passed = {
        p.worker_id
        for p in items_store.packages(session, campaign.id)
        if p.status in ("passed", "submitted") and p.worker_id in active
    }
    holders = sorted(
        w for w in passed if not mechanism.is_revoked(session, campaign.id, w, Track.RATE)
    )
    if not holders:
        return {}
    weights = reviewer_weights(session, campaign)
    return {w: selection.Candidate(w, 1.0, min(1.0, weights.get(w, 1.0) / A_MAX)) for w in holders}


def offer_revisions(session: Session, ctx: Context, campaign: Campaign, spec: LabelingSpec) -> int:
    """Offer each pair sent to revision to one deposit holder drawn ∝ ``a_n``
    (:func:`deposit_holders`), as long as the reserve covers the revisions in flight and done."""
    pending = items_store.items_in_revision(session, campaign.id)
    if not pending:
        return 0
    candidates = deposit_holders(session, ctx, campaign, spec)
    if not candidates:
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
