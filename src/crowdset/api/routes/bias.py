"""A labeling campaign's bias report (SPEC §3, issue #21): do groups of workers, by one of
their opt-in demographics, answer its items differently? Aggregates only: groups below the
``bias_min_group_size`` setting are suppressed before anything is computed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from crowdset.api.deps import ContextDep, allowed
from crowdset.api.params import Id
from crowdset.api.schemas import Schema
from crowdset.core.permissions import Action
from crowdset.services.accounts import Principal
from crowdset.services.campaign_bias import BiasAttribute, campaign_bias

router = APIRouter(tags=["campaigns"])
Runner = Annotated[Principal, Depends(allowed(Action.RUN_CAMPAIGNS))]


class BiasReportPublic(Schema):
    level: str = Field(description="ratings (rate, review) or labels (classify).")
    group_column: str = Field(description="The demographic the workers are grouped by.")
    min_group_size: int = Field(description="Groups with fewer workers are suppressed.")
    suppressed_groups: list[str] = Field(
        description="Groups too small to report: named, never counted, in no number below."
    )
    permutations: int
    bootstrap: dict[str, Any] | None
    seed: int
    correction: str = Field(description="holm: p-values corrected over every comparison.")
    significance: float
    counts: dict[str, int]
    groups: list[dict[str, Any]] = Field(
        description="Per reported group: workers, answers, the label distribution and, for "
        "ratings, the mean with its 95 % interval."
    )
    comparisons: list[dict[str, Any]] = Field(
        description="Each group against the rest: the item-centred difference, Cohen's d and "
        "Cliff's δ (ratings), or per label the risk difference and odds ratio (labels), with "
        "intervals, p-values and Holm-corrected p-values."
    )
    items: list[dict[str, Any]] = Field(description="Your items on which the groups differ most.")


@router.get("/campaigns/{campaign_id}/bias", response_model=BiasReportPublic)
def bias(
    ctx: ContextDep,
    caller: Runner,
    campaign_id: Id,
    by: Annotated[BiasAttribute, Query(description="The demographic to group workers by.")],
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> BiasReportPublic:
    """Do groups of the campaign's workers, by one demographic they chose to share, answer the
    same items differently? Kept answers to your items (controls left out); 2,000 permutations
    of the groups among the workers give the p-values, 1,000 resamples of the workers the
    intervals. Refused (422) while fewer than two groups reach the minimum size."""
    return BiasReportPublic.model_validate(campaign_bias(ctx, caller, campaign_id, by, seed=seed))
