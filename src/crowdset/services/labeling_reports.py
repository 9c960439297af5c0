"""What a requester sees of a labeling campaign (SPEC §3): progress, the workers' live quality,
revocations, the judgments dynamic overlap saved, the pilot, the guarantee, the workers'
agreement (Krippendorff's α), audits and results.

Who may see a campaign is decided in one place, ``campaigns.get_campaign``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crowdset.core.agreement import Level, alpha_bootstrap, krippendorff_alpha, reliability_data
from crowdset.core.labeling.cut import keep_count
from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.judging import consensus, is_correct
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.quality import GuaranteeCheck, guarantee_check
from crowdset.errors import InvalidInput
from crowdset.services import campaigns, labeling, review
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.labeling import answer_of, quality_of, spec_of, tracks_of
from crowdset.storage import campaign_store as store
from crowdset.storage import labeling_store as items_store
from crowdset.storage.models import Campaign, Judgment


def labeling_campaign_of(ctx: Context, viewer: Principal, campaign_id: int) -> None:
    view = campaigns.get_campaign(ctx, viewer, campaign_id)  # who may see it: one place
    if view.kind not in labeling.LABELING_KINDS:
        raise InvalidInput(
            f"campaign {campaign_id} is a {view.kind} campaign, not a labeling campaign",
            campaign_id=campaign_id,
        )


@dataclass(frozen=True)
class WorkerRow:
    worker: str  # pseudonym
    answers: int
    gold_answers: int  # control answers: the requester's gold and consensus gold
    gold_correct: int
    accuracy_mean: float  # the live Beta posterior's mean (the worker's track, SPEC §6.2)
    accuracy_low: float  # its 95 % equal-tailed credible interval
    accuracy_high: float
    revoked: bool
    gate: str
    decisions: int = 0  # settled items that were evidence about the worker
    decisions_failed: int = 0
    earned: int = 0  # minor units: paid in this campaign, pending until released
    pending: int = 0
    fined: int = 0


@dataclass(frozen=True)
class AgreementSummary:
    """Krippendorff's α of the kept answers to the campaign's items (controls left out), with a
    bootstrap interval over items: how much the workers agree beyond chance, 1 perfectly, 0 no
    more than chance."""

    level: str  # nominal for labels, interval for star ratings
    alpha: float
    low: float  # 95 % percentile bootstrap interval, AGREEMENT_RESAMPLES resamples
    high: float
    items: int  # items with two answers or more (the only ones α can use)
    workers: int


AGREEMENT_RESAMPLES = 300  # enough for a two-decimal interval; the dashboard computes it on view


def agreement_of(spec: LabelingSpec, judgments: list[Judgment]) -> AgreementSummary | None:
    """α over the kept answers to non-control items: nominal for labels (a multi-label answer
    is one category, its labels together), interval for ratings; ``None`` until two items
    have two answers each or while every answer is the same (α is then undefined)."""
    kept = [j for j in judgments if j.kept and not j.gold]
    ratings = spec.type in ("rate", "review")
    codes: dict[str, dict[object, int]] = {"unit": {}, "worker": {}, "label": {}}

    def code(kind: str, key: object) -> int:
        return codes[kind].setdefault(key, len(codes[kind]))

    units = [code("unit", j.item_id) for j in kept]
    workers = [code("worker", j.worker_id) for j in kept]
    labels = [code("label", answer_of(j.answer)) for j in kept]
    per_unit = Counter(units)
    if sum(1 for n in per_unit.values() if n >= 2) < 2 or len(codes["label"]) < 2:
        return None
    level = Level.INTERVAL if ratings else Level.NOMINAL
    values = [float(str(label)) for label in codes["label"]] if ratings else None
    data = reliability_data(units, workers, labels, values=values)
    alpha = krippendorff_alpha(data, level)
    if math.isnan(alpha):
        return None
    interval = alpha_bootstrap(data, level, resamples=AGREEMENT_RESAMPLES, rng=0)
    return AgreementSummary(
        level=level.value,
        alpha=alpha,
        low=interval.low,
        high=interval.high,
        items=sum(1 for n in per_unit.values() if n >= 2),
        workers=len(codes["worker"]),
    )


@dataclass(frozen=True)
class LabelingReport:
    campaign_id: int
    kind: str
    status: str
    items: int
    gold_items: int
    settled: int
    judgments: int
    gold_judgments: int
    kept_judgments: int
    fixed_overlap_judgments: int  # what the settled items would have cost at the max overlap
    judgments_saved: int
    pilot_units: int | None
    pilot_done: int
    guarantee: GuaranteeCheck | None
    audits: int
    workers: tuple[WorkerRow, ...]
    agreement: AgreementSummary | None = None


def _guarantee(session: Session, campaign: Campaign) -> tuple[GuaranteeCheck | None, int]:
    """Gold items' consensus against their known answers, plus the requester's audits."""
    spec = spec_of(campaign)
    items = items_store.items(session, campaign.id)
    audits = [i.audit for i in items if i.audit is not None]
    if spec.guarantee is None:
        return None, len(audits)
    by_item: dict[int, list[tuple[int, object]]] = {}
    for judgment in items_store.judgments(session, campaign.id):
        if judgment.gold and judgment.kept:
            by_item.setdefault(judgment.item_id, []).append((judgment.worker_id, judgment.answer))
    tracks = tracks_of(session, campaign, spec, sorted({w for r in by_item.values() for w, _ in r}))
    gold_correct = gold_checked = 0
    for item in items:
        rows = by_item.get(item.id)
        if item.gold is None or not rows or len(rows) < spec.overlap.min:
            continue
        found = consensus(
            spec,
            [answer_of(answer) for _, answer in rows],
            [quality_of(tracks.get(worker)).posterior_mean() for worker, _ in rows],
        )
        gold_checked += 1
        gold_correct += is_correct(spec, found.answer, answer_of(item.gold))
    check = guarantee_check(
        gold_correct,
        gold_checked,
        sum(audits),
        len(audits),
        target=spec.guarantee.target,
        confidence=spec.guarantee.confidence,
    )
    return check, len(audits)


def report(ctx: Context, viewer: Principal, campaign_id: int) -> LabelingReport:
    labeling_campaign_of(ctx, viewer, campaign_id)

    def work(session: Session) -> LabelingReport:
        campaign = store.campaign(session, campaign_id)
        spec = spec_of(campaign)
        counts = items_store.item_counts(session, campaign.id)
        judgments = items_store.judgments(session, campaign.id)
        settled = counts.get((False, "settled"), 0)
        settled_ids = {
            i.id for i in items_store.items(session, campaign.id) if i.status == "settled"
        }
        # a consensus control's answers came after its decision: they are control checks
        spent_on_settled = sum(1 for j in judgments if j.item_id in settled_ids and not j.gold)
        fixed = settled * spec.overlap.max
        members = items_store.members(session, campaign.id)
        names = store.pseudonyms(session, {m.worker_id for m in members})
        tracks = tracks_of(session, campaign, spec, [m.worker_id for m in members])
        rows = []
        for member in members:
            track = tracks.get(member.worker_id)
            quality = quality_of(track)
            low, high = quality.credible_interval(0.95)
            rows.append(
                WorkerRow(
                    worker=names[member.worker_id],
                    answers=member.answers,
                    gold_answers=member.gold_answers,
                    gold_correct=member.gold_correct,
                    accuracy_mean=quality.posterior_mean(),
                    accuracy_low=low,
                    accuracy_high=high,
                    revoked=labeling.is_revoked(member, track),
                    gate=labeling.gate_of(spec, member, revoked=labeling.is_revoked(member, track)),
                    decisions=track.decisions if track else 0,
                    decisions_failed=track.decisions_failed if track else 0,
                    earned=track.earned if track else 0,
                    pending=track.pending if track else 0,
                    fined=track.fined if track else 0,
                )
            )
        guarantee, audits = _guarantee(session, campaign)
        return LabelingReport(
            campaign_id=campaign.id,
            kind=campaign.kind,
            status=campaign.status,
            items=sum(n for (gold, _), n in counts.items() if not gold),
            gold_items=sum(n for (gold, _), n in counts.items() if gold),
            settled=settled,
            judgments=len(judgments),
            gold_judgments=sum(j.gold for j in judgments),
            kept_judgments=sum(j.kept for j in judgments),
            fixed_overlap_judgments=fixed,
            judgments_saved=fixed - spent_on_settled,
            pilot_units=spec.pilot.units if spec.pilot else None,
            pilot_done=sum(j.pilot for j in judgments),
            guarantee=guarantee,
            audits=audits,
            workers=tuple(sorted(rows, key=lambda r: (-r.answers, r.worker))),
            agreement=agreement_of(spec, judgments),
        )

    return ctx.db.run(work, readonly=True)


def audit(
    ctx: Context, viewer: Principal, campaign_id: int, external_id: str, correct: bool
) -> None:
    """The requester checked one delivered label by hand; it counts toward the guarantee."""
    labeling_campaign_of(ctx, viewer, campaign_id)

    def work(session: Session) -> None:
        item = items_store.item_by_external_id(session, campaign_id, external_id)
        if item.gold is not None or item.status != "settled":
            raise InvalidInput(
                f"item {external_id!r} has no delivered label to audit yet", item=external_id
            )
        item.audit = correct
        store.add_event(
            session,
            campaign_id,
            "audited",
            at=ctx.now(),
            actor_id=viewer.user_id,
            detail={"item": external_id, "correct": correct},
        )

    ctx.db.run(work)


@dataclass(frozen=True)
class ItemResult:
    item: str  # the requester's id
    text: str | None
    image: str | None
    status: str  # settled | open
    answer: object  # label, list of labels, or star ("1"–"5")
    confidence: float | None
    judgments: int
    score: float | None = None  # rate, review: the reviewer-weighted score (SPEC §4)
    mean: float | None = None  # rate, review: the plain mean of the kept ratings
    target: str | None = None  # review: the pair's translation (``text`` is its source)
    rank: int | None = None  # review: 1 = best score
    keep: bool | None = None  # review: among the top k·P


def results(ctx: Context, viewer: Principal, campaign_id: int) -> list[ItemResult]:
    """The delivered labels of regular items (gold items are the requester's own)."""
    labeling_campaign_of(ctx, viewer, campaign_id)

    def work(session: Session) -> list[ItemResult]:
        campaign = store.campaign(session, campaign_id)
        spec = spec_of(campaign)
        items = [i for i in items_store.items(session, campaign.id) if i.gold is None]
        scores: dict[int, float] = {}
        means: dict[int, float] = {}
        if spec.rating:
            scores, means = _rating_scores(session, campaign)
        ranks: dict[int, int] = {}
        kept = 0
        if spec.review is not None:
            ranked = sorted((i for i in items if i.id in scores), key=lambda i: -scores[i.id])
            ranks = {item.id: position for position, item in enumerate(ranked, start=1)}
            kept = keep_count(len(items), spec.review.keep_share)
        return [
            ItemResult(
                item=i.external_id,
                text=i.text,
                image=i.image,
                status=i.status,
                answer=i.answer,
                confidence=i.confidence,
                judgments=i.judgments,
                score=scores.get(i.id),
                mean=means.get(i.id),
                target=i.target,
                rank=ranks.get(i.id),
                keep=(i.id in ranks and ranks[i.id] <= kept) if spec.review is not None else None,
            )
            for i in items
        ]

    return ctx.db.run(work, readonly=True)


def _rating_scores(
    session: Session, campaign: Campaign
) -> tuple[dict[int, float], dict[int, float]]:
    """SPEC §4's weighted score per item, and the plain mean beside it."""
    found = review.weighted_ratings(session, campaign)
    if found is None:
        return {}, {}
    fitted, means = found
    return (
        {int(str(task)): float(value) for task, value in fitted.scores_.items()},
        {int(str(task)): float(value) for task, value in means.items()},
    )


def uploaded_items(ctx: Context, viewer: Principal, campaign_id: int) -> list[ItemRow]:
    """The requester's own items as uploaded, gold answers included (for the requester's
    tools, such as the simulated crowd of ``crowdset sim label``; never for workers)."""
    labeling_campaign_of(ctx, viewer, campaign_id)

    def work(session: Session) -> list[ItemRow]:
        return [
            ItemRow(
                i.external_id,
                i.text,
                i.image,
                None if i.gold is None else answer_of(i.gold),
                i.target,
            )
            for i in items_store.items(session, campaign_id)
        ]

    return ctx.db.run(work, readonly=True)
