"""Due process (SPEC §6, issue #14): your quality per campaign track, sanctions with their
reason and evidence, one appeal per sanction, and the requester's or operator's decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crowdset.api.deps import ContextDep, allowed
from crowdset.api.pagination import PAGED_RESPONSES, PageDep
from crowdset.api.params import Id
from crowdset.api.schemas_mechanism import (
    AppealBody,
    DecisionBody,
    SanctionPublic,
    TrackQualityPublic,
    sanction_public,
    track_quality_public,
)
from crowdset.core.mechanism.appeals import AppealStatus
from crowdset.core.permissions import Action
from crowdset.services import due_process
from crowdset.services.accounts import Principal

router = APIRouter(tags=["due process"])
Worker = Annotated[Principal, Depends(allowed(Action.DO_WORK))]
Anyone = Annotated[Principal, Depends(allowed(Action.READ_OWN_ACCOUNT))]
Decider = Annotated[Principal, Depends(allowed(Action.RUN_CAMPAIGNS))]


@router.get("/me/quality", response_model=list[TrackQualityPublic])
def my_quality(ctx: ContextDep, caller: Worker) -> list[TrackQualityPublic]:
    """Your quality estimate on every campaign track you worked on: the posterior mean, its
    bounds against the bar, the evidence, and why your pay is pending and when it settles."""
    return [track_quality_public(t) for t in due_process.my_quality(ctx, caller)]


@router.get("/sanctions", response_model=list[SanctionPublic], responses=PAGED_RESPONSES)
def list_sanctions(
    ctx: ContextDep,
    caller: Anyone,
    page: PageDep,
    campaign_id: Annotated[Id | None, Query()] = None,
    appeal_status: Annotated[AppealStatus | None, Query()] = None,
) -> list[SanctionPublic]:
    """Sanctions you may see, oldest first: a worker their own, a requester those of their
    campaigns, an operator all. ``appeal_status=open`` lists the appeals awaiting a decision.
    Paged: `limit` and `cursor`, the next page in the `Link` and `X-Next-Cursor` headers."""
    found = due_process.list_sanctions(
        ctx,
        caller,
        campaign_id=campaign_id,
        appeal_status=appeal_status,
        after=page.after,
        limit=page.fetch,
    )
    return [sanction_public(s) for s in page.rows(found, key=lambda s: s.id)]


@router.get("/sanctions/{sanction_id}", response_model=SanctionPublic)
def get_sanction(ctx: ContextDep, caller: Anyone, sanction_id: Id) -> SanctionPublic:
    """One sanction with its reason and evidence (a failed control's content once retired)."""
    return sanction_public(due_process.get_sanction(ctx, caller, sanction_id))


@router.post("/sanctions/{sanction_id}/appeal", response_model=SanctionPublic)
def appeal(ctx: ContextDep, caller: Worker, sanction_id: Id, body: AppealBody) -> SanctionPublic:
    """Appeal your sanction, once (409 for a second appeal)."""
    return sanction_public(due_process.appeal(ctx, caller, sanction_id, body.text))


@router.post("/sanctions/{sanction_id}/decision", response_model=SanctionPublic)
def decide(ctx: ContextDep, caller: Decider, sanction_id: Id, body: DecisionBody) -> SanctionPublic:
    """Decide an open appeal (the campaign's requester or an operator). Upheld: the fine and
    the clawed-back pay go back to the worker through the ledger and they are reinstated;
    denied: final."""
    found = due_process.decide(
        ctx, caller, sanction_id, uphold=body.decision == "uphold", note=body.note
    )
    return sanction_public(found)
