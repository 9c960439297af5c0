"""Review campaigns over sentence pairs (SPEC §4): packages with deposits, forfeits, the pool
paid by weighted workload at close, and every credit accounted for."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.packages import deposit_for, nominal_reward, package_error, split_pool
from crowdset.core.labeling.spec import REVIEW_RUBRIC, LabelingSpec, parse_labeling_spec
from crowdset.errors import Conflict, InvalidInput, SpecInvalid
from crowdset.services import (
    accounts,
    campaigns,
    labeling,
    labeling_reports,
    ledger,
    offers,
    review_reports,
)
from crowdset.services.accounts import Principal
from crowdset.services.context import Context


def review_spec(**review: Any) -> LabelingSpec:
    settings: dict[str, Any] = {
        "reviewers": 3,
        "package_size": 10,
        "min_references": 3,
        "keep_share": 0.3,
    }
    settings.update(review)
    return parse_labeling_spec(
        {
            "name": "Review en-de",
            "type": "review",
            "instructions": "Rate the translation.",
            "gold": {"share": 0.1},
            "review": settings,
        }
    )


def test_review_spec_defaults_to_the_spec_rubric_and_a_fixed_overlap() -> None:
    spec = review_spec(reviewers=5)
    assert tuple(spec.rubric) == REVIEW_RUBRIC
    assert (spec.overlap.min, spec.overlap.max) == (5, 5)
    with pytest.raises(SpecInvalid, match="pays its pool at close"):
        parse_labeling_spec(
            {
                "name": "x",
                "type": "review",
                "instructions": "x",
                "price_per_judgment": 1,
                "review": {},
            }
        )


def test_package_rules() -> None:
    assert nominal_reward(pool=10_000, size=10, planned_ratings=200) == 500
    assert deposit_for(500, Decimal("1.5")) == 750
    assert package_error([(5, 5), (1, 4), (3, None)]).rms == pytest.approx((9 / 2) ** 0.5)
    assert package_error([(3, None)]).references == 0
    split = split_pool(1_000, 300, {1: 2.0, 2: 1.0})
    assert split.payouts == {1: 466, 2: 233}
    assert split.paid + split.withheld == 1_000


def test_review_with_a_spammer_forfeits_and_pays_the_pool_exactly(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """A spamming reviewer's package forfeits its deposit and they end with less than they
    started; honest reviewers end with more; the ledger verifies; paid + reserve + withheld
    equals the budget to the minor unit."""
    spec = review_spec()
    rng = np.random.default_rng(5)
    truth = {f"p{n}": int(rng.integers(1, 6)) for n in range(60)}
    gold = {f"p{n}" for n in range(8)}
    rows = [
        {
            "id": key,
            "source": f"source sentence {key}",
            "target": f"Zielsatz {key}",
            "gold": str(stars) if key in gold else None,
        }
        for key, stars in truth.items()
    ]
    view = campaigns.create_campaign(ctx, requester, spec, parse_items(rows, spec))
    campaigns.launch(ctx, requester, view.id)
    honest = [make_worker(stake=0) for _ in range(6)]
    spammers = [make_worker(stake=0) for _ in range(2)]
    start = {w: ledger.balances(ctx, w).total for w in honest + spammers}

    def rate(worker: int) -> bool:
        try:
            labeling.take_package(ctx, worker, view.id)
        except Conflict:
            return False
        while (offer := offers.next_offer(ctx, worker, view.id)) is not None:
            key = (offer.item_text or "").rsplit(" ", 1)[-1]
            if worker in spammers:
                stars = int(rng.integers(1, 6))
            else:
                stars = int(np.clip(round(truth[key] + rng.normal(0, 0.5)), 1, 5))
            labeling.submit_label(ctx, worker, offer.id, str(stars))
        return True

    for _ in range(20):
        took = [rate(w) for w in honest + spammers]  # everyone, every round
        if not any(took):
            break
    campaigns.close(ctx, requester, view.id)

    events = campaigns.events(ctx, requester, view.id)
    forfeited = [e.detail for e in events if e.kind == "package_forfeited"]
    names = dict(zip(honest + spammers, _pseudonyms(ctx, honest + spammers), strict=True))
    assert forfeited and {f["worker"] for f in forfeited} <= {names[w] for w in spammers}
    (detail,) = [e.detail for e in events if e.kind == "pool_paid"]
    paid = {key: int(str(value)) for key, value in detail.items()}
    assert paid["paid"] + paid["reserve"] + paid["withheld"] == paid["budget"]
    assert paid["withheld"] >= sum(int(str(f["reward_withheld"])) for f in forfeited)
    end = {w: ledger.balances(ctx, w).total for w in honest + spammers}
    assert all(end[w] > start[w] for w in honest)
    assert any(end[w] < start[w] for w in spammers)
    assert ledger.verify(ctx).ok
    results = labeling_reports.results(ctx, requester, view.id)
    assert len(results) == 52 and sum(bool(r.keep) for r in results) == 16  # round(52 × 0.3)
    kept = sorted((r for r in results if r.keep), key=lambda r: r.rank or 0)
    assert [r.rank for r in kept] == list(range(1, 17))
    assert min(r.score or 0 for r in kept) >= max(r.score or 0 for r in results if not r.keep)
    true_kept = np.mean([truth[r.item] for r in kept])
    assert true_kept > np.mean(list(truth.values())) + 1  # the kept pairs are the good ones


def _pseudonyms(ctx: Context, users: list[int]) -> list[str]:
    return [accounts.get_user(ctx, u).pseudonym for u in users]


def test_pairs_near_the_cut_go_to_revision_and_are_rated_again(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """Pairs within the band around the cut score get an edited translation (paid from the
    reserve), lose their ratings, and come back in new packages."""
    # 36 ratings of 0.5 min: budget 18 credits, reserve 0.90, room for 8 revisions at 0.10
    spec = review_spec(
        revision_band=0.5, package_size=12, min_references=100, minutes_per_revision="0.1"
    )
    spec = spec.model_copy(update={"gold": spec.gold.model_copy(update={"share": 0.0})})
    rows = [{"id": f"p{n}", "source": f"source {n}", "target": f"Ziel {n}"} for n in range(12)]
    view = campaigns.create_campaign(ctx, requester, spec, parse_items(rows, spec))
    campaigns.launch(ctx, requester, view.id)
    stars = {f"Ziel {n}": 1 + n % 5 for n in range(12)}
    reviewers = [make_worker(stake=10) for _ in range(3)]
    for worker in reviewers:
        labeling.take_package(ctx, worker, view.id)
        while (offer := offers.next_offer(ctx, worker, view.id)) is not None:
            labeling.submit_label(ctx, worker, offer.id, str(stars[offer.item_target or ""]))
    sent = review_reports.send_to_revision(ctx, requester, view.id)
    assert sent > 0
    with pytest.raises(Conflict, match="no pairs need review"):
        labeling.take_package(ctx, reviewers[0], view.id)  # pairs in revision are not rated

    held = {w: offers.next_offer(ctx, w, view.id) for w in reviewers}  # drawn by stake
    reviser, offer = next((w, o) for w, o in held.items() if o is not None)
    assert offer is not None and offer.kind == "revise" and offer.item_target is not None
    before = ledger.balances(ctx, reviser).available
    with pytest.raises(InvalidInput, match="current translation"):
        labeling.submit_revision(ctx, reviser, offer.id, offer.item_target)
    labeling.submit_revision(ctx, reviser, offer.id, "Ein besserer Zielsatz.")
    assert ledger.balances(ctx, reviser).available == before + 10  # 0.1 minute at 1 credit

    results = {r.target: r for r in labeling_reports.results(ctx, requester, view.id)}
    revised = results["Ein besserer Zielsatz."]
    assert revised.judgments == 0 and revised.score is None and revised.status == "open"
    rater = next(w for w in reviewers if w != reviser)
    package = labeling.take_package(ctx, rater, view.id)
    assert package.size >= 1  # the revised pair is rated again
    kinds = [e.kind for e in campaigns.events(ctx, requester, view.id)]
    assert "sent_to_revision" in kinds
