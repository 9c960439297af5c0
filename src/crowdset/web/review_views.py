"""What the review pages (SPEC §4) show beside the labeling ones: a review's cost before launch,
the terms of a package before a reviewer takes it, a reviewer's packages, and a requester's
packages and pool payout.

The pages of ``routes.corpora`` (corpora, a new review), ``routes.labeling`` (taking a package)
and ``routes.labeling_campaigns`` (the dashboard, the kept and removed pairs) use these. Nothing
here tells a challenge pair from any other: a reviewer sees sizes and amounts, never a pair.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crowdset.core.labeling.packages import deposit_for, nominal_reward
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.services import campaigns, ledger, review, review_reports
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.review_reports import MyPackage, PackageRow

PACKAGE_STATES = {
    "open": "open",
    "submitted": "waiting for references",
    "passed": "passed",
    "forfeited": "forfeited",
}


def review_cost(
    ctx: Context, spec: LabelingSpec, pairs: int, challenges: int, source: str = ""
) -> dict[str, Any]:
    """A review's cost before launch (SPEC §4 "Workload and budget"): what launching moves
    into escrow, the workload ``W``, budget, reserve and pool, the time to finish for a crowd,
    and what a full package pays and holds."""
    assert spec.review is not None
    estimate = campaigns.estimate_labeling_cost(ctx, spec, pairs)
    budget = review.review_estimate(ctx, spec, pairs)
    reward = nominal_reward(budget.pool, spec.review.package_size, max(budget.ratings, 1))
    return {
        "spec": spec,
        "pairs": pairs,
        "challenges": challenges,
        "source": source,
        "estimate": estimate,
        "budget": budget,
        "package_reward": reward,
        "package_deposit": deposit_for(reward, spec.review.deposit_factor),
    }


# --- a reviewer -------------------------------------------------------------------------------


def reviewer_context(ctx: Context, worker_id: int, campaign_id: int) -> dict[str, Any]:
    """A review's onboarding page for a reviewer: the terms of the next package, the credits
    available for its deposit, the package in hand and the reviewer's packages here."""
    mine = [p for p in review_reports.my_packages(ctx, worker_id) if p.campaign_id == campaign_id]
    held: MyPackage | None = next((p for p in mine if p.status == "open"), None)
    return {
        "terms": review_reports.package_terms(ctx, campaign_id),
        "available": ledger.balances(ctx, worker_id).available,
        "held": held,
        "packages": mine,
        "package_states": PACKAGE_STATES,
    }


def open_package(ctx: Context, worker_id: int, campaign_id: int) -> MyPackage | None:
    """The package the reviewer is rating in this campaign, if any."""
    return next(
        (
            p
            for p in review_reports.my_packages(ctx, worker_id)
            if p.campaign_id == campaign_id and p.status == "open"
        ),
        None,
    )


# --- a requester ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolPayout:
    """The ``pool_paid`` event at close: ``paid + reserve + withheld = budget``."""

    at: datetime
    budget: int
    reserve: int
    pool: int
    paid: int
    withheld: int
    reviewers_paid: int


def pool_payout(events: list[campaigns.EventView]) -> PoolPayout | None:
    found = [e for e in events if e.kind == "pool_paid"]
    if not found:
        return None
    detail = found[-1].detail

    def amount(key: str) -> int:
        return int(str(detail.get(key, 0)))

    return PoolPayout(
        at=found[-1].at,
        budget=amount("budget"),
        reserve=amount("reserve"),
        pool=amount("pool"),
        paid=amount("paid"),
        withheld=amount("withheld"),
        reviewers_paid=amount("reviewers_paid"),
    )


def requester_context(
    ctx: Context, viewer: Principal, campaign_id: int, events: list[campaigns.EventView]
) -> dict[str, Any]:
    """A review's dashboard beside the labeling one: the packages (forfeited ones marked), the
    deposits forfeited, and the pool payout once the review is closed."""
    rows: list[PackageRow] = review_reports.packages(ctx, viewer, campaign_id)
    counts = Counter(p.status for p in rows)
    return {
        "packages": rows,
        "package_counts": {state: counts.get(state, 0) for state in PACKAGE_STATES},
        "package_states": PACKAGE_STATES,
        "forfeited_deposits": sum(p.deposit for p in rows if p.status == "forfeited"),
        "pool": pool_payout(events),
    }
