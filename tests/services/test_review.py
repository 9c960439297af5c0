"""Review campaigns over sentence pairs (SPEC §4, §6.5): packages with deposits, forfeits
against references spammers cannot skew, the pool paid by weighted workload at close (a
forfeited package's share to whoever re-rated its pairs), and every credit accounted for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.packages import (
    PoolDue,
    deposit_for,
    nominal_reward,
    package_error,
    pool_due,
    rating_within,
    reference_weight,
    split_pool,
    weighted_reference,
)
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
    split = split_pool(700, {1: 2.0, 2: 1.0})
    assert split.payouts == {1: 467, 2: 233}  # 466.67 and 233.33: the unit left to the larger
    assert (split.paid, split.withheld) == (700, 0)
    assert split_pool(700, {}).withheld == 700  # nobody passed: nothing paid
    assert split_pool(10, {1: 1, 2: 1, 3: 1}).payouts == {1: 4, 2: 3, 3: 3}  # ties: lower id


def test_references_and_the_pool_due() -> None:
    """SPEC §6.5: a reviewer is a reference only on challenge evidence at or above the bar,
    weighted by that posterior; the reserve tops the pool up to the passed work's worth."""
    assert reference_weight(0, 0, 0.7, 0.95) is None  # no challenge evidence: no reference
    assert reference_weight(6, 0, 0.7, 0.95) is None  # Beta(8, 1): 5% bound 0.688
    assert reference_weight(7, 0, 0.7, 0.95) == pytest.approx(0.9)  # Beta(9, 1): 0.717
    assert reference_weight(13, 1, 0.7, 0.95) == pytest.approx(14 / 16)
    assert reference_weight(7, 0, 0.7, 0.95, track_mean=0.65) is None  # missing trusted ones
    assert weighted_reference([(5, 0.75), (1, 0.25)]) == pytest.approx(4.0)
    assert weighted_reference([]) is None
    assert rating_within(4, 3.0, 1) and not rating_within(5, 3.5, 1)
    assert pool_due(100, 10, Fraction(105), Fraction(1)) == PoolDue(105, 5)
    assert pool_due(100, 3, Fraction(105), Fraction(1)) == PoolDue(103, 3)  # the reserve ends
    assert pool_due(100, 10, Fraction(90), Fraction(1)) == PoolDue(100, 0)  # the pool is paid


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
    assert (
        paid["paid"] + paid["withheld"] + paid["reserve_used"] + paid["refunded"]
        == (paid["budget"])
    )
    assert paid["withheld"] == 0 and paid["paid"] >= paid["pool"]  # forfeits pay the re-raters
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
    reserve), lose their ratings, and come back in new packages. Revision offers go to the
    reviewers holding deposits in the campaign, not to whoever stakes the most (SPEC §6.5)."""
    # 36 ratings of 0.5 min: pool 18 credits, reserve 0.94 on top, room for 8 revisions at 0.11
    spec = review_spec(
        revision_band=0.5, package_size=12, min_references=100, minutes_per_revision="0.1"
    )
    spec = spec.model_copy(update={"gold": spec.gold.model_copy(update={"share": 0.0})})
    rows = [{"id": f"p{n}", "source": f"source {n}", "target": f"Ziel {n}"} for n in range(12)]
    view = campaigns.create_campaign(ctx, requester, spec, parse_items(rows, spec))
    campaigns.launch(ctx, requester, view.id)
    stars = {f"Ziel {n}": 1 + n % 5 for n in range(12)}
    reviewers = [make_worker(stake=0) for _ in range(3)]  # deposits, no stake
    staker = make_worker(stake=400)  # stake alone earns no revision
    for worker in reviewers:
        labeling.take_package(ctx, worker, view.id)
        while (offer := offers.next_offer(ctx, worker, view.id)) is not None:
            labeling.submit_label(ctx, worker, offer.id, str(stars[offer.item_target or ""]))
    sent = review_reports.send_to_revision(ctx, requester, view.id)
    assert sent > 0
    with pytest.raises(Conflict, match="no pairs need review"):
        labeling.take_package(ctx, reviewers[0], view.id)  # pairs in revision are not rated

    assert offers.next_offer(ctx, staker, view.id) is None
    held = {w: offers.next_offer(ctx, w, view.id) for w in reviewers}  # deposit holders
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


# --- a seeded crowd: honest reviewers against spammers (SPEC §6 targets, issue 14) ------------

FAIR_PER_HOUR = 60  # credits, the default fair hourly wage
MINUTES_PER_RATING = Fraction(1, 2)  # the spec default W_n: the modelled work of a rating


def _stars(strategy: str, truth: int, rng: np.random.Generator) -> int:
    """honest: the truth with half a star of noise; near_mean: about 3 whatever the pair;
    random: uniform; constant: always 4 ("looks fine")."""
    if strategy == "honest":
        return int(np.clip(round(truth + rng.normal(0, 0.5)), 1, 5))
    if strategy == "near_mean":
        return int(np.clip(round(3 + rng.normal(0, 0.5)), 1, 5))
    if strategy == "random":
        return int(rng.integers(1, 6))
    assert strategy == "constant"
    return 4


@dataclass
class CrowdRun:
    strategy: dict[int, str]
    net: dict[int, int]  # minor units: balance at the end less at the start
    ratings: dict[int, int]
    deposits_lost: dict[int, int]
    pool_paid: dict[str, int]
    refund: int
    escrow_fee: int  # the fee funded at launch
    fees: int  # the fees charged during the run
    fines: int  # deposits forfeited and fines collected during the run
    revoked: set[int] = field(default_factory=set)

    def per_hour(self, strategy: str) -> Fraction:
        """Net credits per hour of modelled work (30 s a rating) of one strategy's reviewers,
        exactly."""
        workers = [w for w, s in self.strategy.items() if s == strategy]
        hours = sum(self.ratings[w] for w in workers) * MINUTES_PER_RATING / 60
        return Fraction(sum(self.net[w] for w in workers), 100) / hours


def _crowd_run(
    ctx: Context,
    requester: Principal,
    make_worker: Callable[..., int],
    mix: dict[str, int],
    *,
    seed: int,
    pairs: int = 150,
) -> CrowdRun:
    """``mix`` reviewers of each strategy review ``pairs`` pairs (truth uniform over 1–5, so
    near-mean stars are as good as a guess can be) with 20 challenge pairs, four of each star,
    two in each package of ten, in rounds where each reviewer, in random order, takes a
    package and rates all of it; then close."""
    spec = review_spec()
    spec = spec.model_copy(update={"gold": spec.gold.model_copy(update={"share": 0.2})})
    rng = np.random.default_rng(seed)
    truth = {f"p{n}": int(rng.integers(1, 6)) for n in range(pairs)}
    truth |= {f"p{pairs + n}": 1 + n % 5 for n in range(20)}  # challenges span the rubric
    rows = [
        {
            "id": key,
            "source": f"source sentence {key}",
            "target": f"Zielsatz {key}",
            "gold": str(stars) if n >= pairs else None,
        }
        for n, (key, stars) in enumerate(truth.items())
    ]
    view = campaigns.create_campaign(ctx, requester, spec, parse_items(rows, spec))
    campaigns.launch(ctx, requester, view.id)
    strategy = {make_worker(stake=0): kind for kind, n in mix.items() for _ in range(n)}
    start = {w: ledger.balances(ctx, w).total for w in strategy}
    platform = ledger.platform_balances(ctx)
    ratings = dict.fromkeys(strategy, 0)
    workers = list(strategy)
    for _ in range(100):
        took = False
        for index in rng.permutation(len(workers)):
            worker = workers[int(index)]
            try:
                labeling.take_package(ctx, worker, view.id)
            except Conflict:
                continue
            took = True
            while (offer := offers.next_offer(ctx, worker, view.id)) is not None:
                key = (offer.item_text or "").rsplit(" ", 1)[-1]
                stars = _stars(strategy[worker], truth[key], rng)
                labeling.submit_label(ctx, worker, offer.id, str(stars))
                ratings[worker] += 1
        if not took:
            break
    campaigns.close(ctx, requester, view.id)
    events = campaigns.events(ctx, requester, view.id)
    names = dict(zip(_pseudonyms(ctx, workers), workers, strict=True))
    lost = dict.fromkeys(strategy, 0)
    for event in events:
        if event.kind == "package_forfeited":
            lost[names[str(event.detail["worker"])]] += int(str(event.detail["deposit"]))
    (paid,) = [e.detail for e in events if e.kind == "pool_paid"]
    (closed,) = [e.detail for e in events if e.kind == "closed"]
    (launched,) = [e.detail for e in events if e.kind == "launched"]
    after = ledger.platform_balances(ctx)
    return CrowdRun(
        strategy=strategy,
        net={w: ledger.balances(ctx, w).total - start[w] for w in strategy},
        ratings=ratings,
        deposits_lost=lost,
        pool_paid={k: int(str(v)) for k, v in paid.items()},
        refund=int(str(closed["refund"])),
        escrow_fee=int(str(launched["escrow"])) - int(str(launched["budget"])),
        fees=after.get("fees", 0) - platform.get("fees", 0),
        fines=after.get("fines", 0) - platform.get("fines", 0),
        revoked={names[str(e.detail["worker"])] for e in events if e.kind == "worker_revoked"},
    )


def _check_the_budget(run: CrowdRun) -> None:
    """Every minor unit of the budget, from the ledger: what reviewers got at close, what
    rounding left, what the reserve paid during the run and what went back to the requester
    (the refund less the unspent fee) add up to the budget exactly."""
    paid = run.pool_paid
    assert (
        paid["paid"] + paid["withheld"] + paid["reserve_used"] + paid["refunded"]
        == (paid["budget"])
    )
    assert paid["paid"] + paid["reserve"] + paid["withheld"] == paid["budget"]
    assert run.refund - (run.escrow_fee - run.fees) == paid["refunded"] + paid["withheld"]
    # the reviewers' nets and the platform's fines are the pool paid, nothing more or less
    assert sum(run.net.values()) + run.fines == paid["paid"]
    assert paid["withheld"] == 0  # rounding leaves nothing: shares are apportioned exactly


# Crowd runs take 45–95 s each: on SQLite only (the ledger and the budget are checked on both
# databases by the other tests of this module)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
@pytest.mark.slow
def test_honest_reviewers_earn_the_fair_wage(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """No attacker: the pool alone pays the planned work at the fair wage (the reserve comes
    on top), so honest reviewers earn at least 60 credits per hour of modelled work; nobody
    forfeits a deposit or is revoked."""
    run = _crowd_run(ctx, requester, make_worker, {"honest": 10}, seed=14)
    print(f"\nhonest alone: {float(run.per_hour('honest')):.2f} credits/h")
    assert run.per_hour("honest") >= FAIR_PER_HOUR
    assert not any(run.deposits_lost.values()) and not run.revoked
    _check_the_budget(run)
    assert ledger.verify(ctx).ok


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.parametrize("attack", ["near_mean", "random", "constant"])
def test_spammers_net_negative_and_honest_reviewers_keep_their_deposits(
    ctx: Context, requester: Principal, make_worker: Callable[..., int], attack: str
) -> None:
    """Four spammers (29% of the crowd): each ends with less than they started; no honest
    reviewer loses a deposit, because references are challenge stars and reviewers
    established on challenges; the rewards spammers forfeit pay the honest re-raters, whose
    pay per hour stays at or above the fair wage; the budget adds up exactly."""
    run = _crowd_run(ctx, requester, make_worker, {"honest": 10, attack: 4}, seed=14)
    spammers = [w for w, s in run.strategy.items() if s == attack]
    honest = [w for w, s in run.strategy.items() if s == "honest"]
    print(
        f"\n{attack}: honest {float(run.per_hour('honest')):.2f} credits/h, "
        f"{attack} {float(run.per_hour(attack)):.2f} credits/h; nets "
        f"{sorted(run.net[w] / 100 for w in spammers)}; deposits lost "
        f"{sorted(run.deposits_lost[w] / 100 for w in spammers)}; revoked "
        f"{len(run.revoked & set(spammers))} of {len(spammers)}"
    )
    assert all(run.net[w] < 0 for w in spammers), {w: run.net[w] for w in spammers}
    assert not any(run.deposits_lost[w] for w in honest)
    assert not run.revoked & set(honest)
    assert run.per_hour("honest") >= FAIR_PER_HOUR
    assert run.pool_paid["paid"] >= run.pool_paid["pool"]  # no forfeited reward withheld
    _check_the_budget(run)
    assert ledger.verify(ctx).ok
