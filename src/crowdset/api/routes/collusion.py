"""Collusion flags (SPEC §6.8, issue #15): a campaign's κ table and flagged groups, and
excluding one flagged group in one action (the campaign's requester or an operator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from crowdset.api.deps import ContextDep, allowed
from crowdset.api.params import Id
from crowdset.api.schemas_collusion import (
    CollusionPublic,
    ExcludeBody,
    ExclusionPublic,
    collusion_public,
    exclusion_public,
)
from crowdset.core.permissions import Action
from crowdset.services import collusion
from crowdset.services.accounts import Principal

router = APIRouter(tags=["campaigns"])
Runner = Annotated[Principal, Depends(allowed(Action.RUN_CAMPAIGNS))]
Barrer = Annotated[Principal, Depends(allowed(Action.BLACKLIST_WORKERS))]


@router.get("/campaigns/{campaign_id}/collusion", response_model=CollusionPublic)
def report(ctx: ContextDep, caller: Runner, campaign_id: Id) -> CollusionPublic:
    """Pairs of workers whose agreement on shared items exceeds what their accuracy on
    controls explains (a one-sided test corrected for every pair, and Cohen's κ), with the κ
    table as evidence; groups of three to five who all agree on the items they share far more
    than their accuracy explains (corrected for every group that could have been tested); and
    the flagged groups they form. Generation: votes on queries; labeling: answers on items."""
    return collusion_public(collusion.collusion_report(ctx, caller, campaign_id))


@router.post("/campaigns/{campaign_id}/collusion/exclude", response_model=ExclusionPublic)
def exclude(ctx: ContextDep, caller: Barrer, campaign_id: Id, body: ExcludeBody) -> ExclusionPublic:
    """Exclude members of one flagged group in one action: each is barred from the campaign
    and revoked on every track with the usual fine, pending pay back to the escrow, and a
    sanction citing the κ table (appealable). 422 when a worker named is not in the same
    flagged group."""
    return exclusion_public(
        collusion.exclude_group(ctx, caller, campaign_id, body.workers, body.reason)
    )
