"""What a review campaign (SPEC §4) shows: its packages, to the requester and to each reviewer,
and its pairs, kept or removed with a reason.

Who may see a campaign is decided in one place, ``campaigns.get_campaign``. A reviewer sees
their own packages and nothing that tells a challenge pair from any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from crowdset.core.labeling.cut import Cut, cut_of, keep_count, removal_reason, revision_band
from crowdset.core.labeling.packages import deposit_for, nominal_reward
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.errors import Conflict, InvalidInput
from crowdset.services import campaigns, labeling, labeling_reports, review
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.storage import campaign_store as store
from crowdset.storage import labeling_store as items_store


def _review_spec(ctx: Context, viewer: Principal, campaign_id: int) -> LabelingSpec:
    view = campaigns.get_campaign(ctx, viewer, campaign_id)  # who may see it: one place
    spec = view.spec
    if not isinstance(spec, LabelingSpec) or spec.review is None:
        raise InvalidInput(
            f"campaign {campaign_id} is a {view.kind} campaign: packages and reviewed pairs "
            "belong to review campaigns (type: review)",
            campaign_id=campaign_id,
        )
    return spec


@dataclass(frozen=True)
class PackageRow:
    """A package as its campaign's requester sees it."""

    id: int
    worker: str  # pseudonym
    status: str  # open | submitted | passed | forfeited
    size: int  # pairs, challenge pairs included
    rated: int
    reward: int  # nominal share of the pool, minor units
    deposit: int
    error: float | None  # RMS stars off the references, once judged
    references: int | None  # pairs with a reference when judged
    created_at: datetime
    due_at: datetime
    judged_at: datetime | None


def packages(
    ctx: Context,
    viewer: Principal,
    campaign_id: int,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[PackageRow]:
    """Every package of a review campaign, oldest first; ``limit`` of them with an id above
    ``after``."""
    _review_spec(ctx, viewer, campaign_id)

    def work(session: Session) -> list[PackageRow]:
        found = items_store.packages(session, campaign_id, after=after, limit=limit)
        rated = items_store.ratings_per_package(session, [p.id for p in found])
        names = store.pseudonyms(session, {p.worker_id for p in found})
        return [
            PackageRow(
                id=p.id,
                worker=names[p.worker_id],
                status=p.status,
                size=p.size,
                rated=rated.get(p.id, 0),
                reward=p.reward,
                deposit=p.deposit,
                error=p.error,
                references=p.reference_pairs,
                created_at=p.created_at,
                due_at=p.due_at,
                judged_at=p.judged_at,
            )
            for p in found
        ]

    return ctx.db.run(work, readonly=True)


@dataclass(frozen=True)
class MyPackage:
    """A package as its reviewer sees it: no pair, so nothing tells a challenge apart."""

    id: int
    campaign_id: int
    campaign_name: str
    status: str
    size: int
    rated: int
    reward: int
    deposit: int
    error: float | None  # once judged: why a package passed or forfeited its deposit
    created_at: datetime
    due_at: datetime
    judged_at: datetime | None


def my_packages(
    ctx: Context, worker_id: int, *, after: int | None = None, limit: int | None = None
) -> list[MyPackage]:
    """The reviewer's packages in every campaign, newest first; ``limit`` of them that come
    after package ``after`` in that order."""

    def work(session: Session) -> list[MyPackage]:
        found = items_store.worker_packages(session, worker_id, after=after, limit=limit)
        rated = items_store.ratings_per_package(session, [p.id for p in found])
        names = {c: store.campaign(session, c).name for c in {p.campaign_id for p in found}}
        return [
            MyPackage(
                id=p.id,
                campaign_id=p.campaign_id,
                campaign_name=names[p.campaign_id],
                status=p.status,
                size=p.size,
                rated=rated.get(p.id, 0),
                reward=p.reward,
                deposit=p.deposit,
                error=p.error if p.judged_at is not None else None,
                created_at=p.created_at,
                due_at=p.due_at,
                judged_at=p.judged_at,
            )
            for p in found
        ]

    return ctx.db.run(work, readonly=True)


@dataclass(frozen=True)
class ReviewedPair:
    item: str  # the requester's id; a corpus pair's is its input line
    source: str
    target: str
    score: float | None  # SPEC §4's weighted score
    mean: float | None  # the plain mean of the kept ratings
    rank: int | None  # 1 = best score
    ratings: int  # kept ratings
    keep: bool
    reason: str | None  # why a removed pair is removed


@dataclass(frozen=True)
class ReviewedPairs:
    campaign_id: int
    cut: Cut
    pairs: tuple[ReviewedPair, ...]  # in the order of the items

    @property
    def kept(self) -> tuple[ReviewedPair, ...]:
        """The kept pairs, best first."""
        return tuple(sorted((p for p in self.pairs if p.keep), key=lambda p: p.rank or 0))

    @property
    def removed(self) -> tuple[ReviewedPair, ...]:
        """The removed pairs: ranked ones by rank, then those not rated."""
        left = [p for p in self.pairs if not p.keep]
        return tuple(sorted(left, key=lambda p: (p.rank is None, p.rank or 0)))


def reviewed_pairs(ctx: Context, viewer: Principal, campaign_id: int) -> ReviewedPairs:
    """Every pair of a review with its score and rank, kept (the top ``k·P``) or removed with
    the reason (SPEC §4 export). Challenge pairs are the requester's own and not included."""
    spec = _review_spec(ctx, viewer, campaign_id)
    assert spec.review is not None
    results = labeling_reports.results(ctx, viewer, campaign_id)
    cut = cut_of(
        [r.score for r in results if r.keep and r.score is not None],
        ranked=sum(r.rank is not None for r in results),
        keep=keep_count(len(results), spec.review.keep_share),
    )
    pairs = tuple(
        ReviewedPair(
            item=r.item,
            source=r.text or "",
            target=r.target or "",
            score=r.score,
            mean=r.mean,
            rank=r.rank,
            ratings=r.judgments,
            keep=bool(r.keep),
            reason=None if r.keep else removal_reason(r.rank, r.score, cut),
        )
        for r in results
    )
    return ReviewedPairs(campaign_id, cut, pairs)


def send_to_revision(ctx: Context, viewer: Principal, campaign_id: int) -> int:
    """Send the rated pairs within ``review.revision_band`` stars of the cut score to revision
    (SPEC §4): a worker edits each translation, then it is rated again. Each pair goes once;
    revisions are paid from the reserve. Returns how many pairs were sent."""
    spec = _review_spec(ctx, viewer, campaign_id)
    assert spec.review is not None
    if spec.review.revision_band <= 0:
        raise InvalidInput(
            f"campaign {campaign_id} has no revision band: set review.revision_band (stars "
            "around the cut score) in its spec",
            field="review.revision_band",
        )
    view = campaigns.get_campaign(ctx, viewer, campaign_id)
    if view.status not in ("running", "paused"):
        raise Conflict(
            f"campaign {campaign_id} is {view.status}: only a running or paused review sends "
            "pairs to revision",
            campaign_id=campaign_id,
            state=view.status,
        )
    pairs = reviewed_pairs(ctx, viewer, campaign_id)
    if pairs.cut.score is None:
        raise Conflict("no pair has a score yet: rate some pairs first", campaign_id=campaign_id)
    scores = {p.item: p.score for p in pairs.pairs if p.score is not None}
    band = revision_band(scores, pairs.cut, spec.review.revision_band)
    cut_score = pairs.cut.score

    def work(session: Session) -> int:
        campaign = store.campaign(session, campaign_id, for_update=True)
        return review.send_to_revision(session, ctx, campaign, band, cut_score)

    return ctx.db.run(work)


@dataclass(frozen=True)
class PackageTerms:
    """What taking a full package of a running review means, before taking it."""

    size: int  # pairs, challenge pairs included
    reward: int  # nominal: its share of the pool, paid at close by weighted workload
    deposit: int  # held from the available credits until the package is judged
    hours: int  # time to rate its pairs
    max_error: float  # RMS stars off the references above which the deposit is forfeited


def package_terms(ctx: Context, campaign_id: int) -> PackageTerms | None:
    """A full package's terms with the budget fixed at launch, as ``take_package`` computes
    them (a package is smaller when fewer pairs need review; its reward and deposit shrink
    with it). ``None`` for a campaign that is not a launched review.

    What ``services.labeling.take_package`` will hold, shown to the reviewer before."""

    def work(session: Session) -> PackageTerms | None:
        campaign = store.campaign(session, campaign_id)
        spec = labeling.spec_of(campaign)
        if spec.review is None or campaign.launched_at is None:
            return None
        budget = review.launch_budget(session, campaign)
        reward = nominal_reward(budget["pool"], spec.review.package_size, max(budget["ratings"], 1))
        return PackageTerms(
            size=spec.review.package_size,
            reward=reward,
            deposit=deposit_for(reward, spec.review.deposit_factor),
            hours=spec.review.package_hours,
            max_error=spec.review.max_package_error,
        )

    return ctx.db.run(work, readonly=True)
