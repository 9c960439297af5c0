"""Collusion pages (SPEC §6.8, issue #15): a campaign's flagged groups and κ table for its
requester (or an operator), and excluding one flagged group in one confirmed action. The
operator's workers page lists the flagged groups of every campaign (``routes.operator``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from crowdset.core.ids import Id
from crowdset.core.permissions import Action
from crowdset.errors import DomainError, InvalidInput
from crowdset.services import campaigns, collusion
from crowdset.services.collusion import MAX_REASON_CHARS
from crowdset.services.context import Context
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash, text_of
from crowdset.web.forms import Form
from crowdset.web.rendering import page

router = APIRouter()
Runner = Annotated[Viewer, Depends(allowed(Action.RUN_CAMPAIGNS))]
Barrer = Annotated[Viewer, Depends(allowed(Action.BLACKLIST_WORKERS))]
TABLE_ROWS = 100  # pairs shown in the full κ table


def _page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    campaign_id: Id,
    form: Form | None = None,
    group: str = "",
    status: int = 200,
) -> Response:
    view = collusion.collusion_report(ctx, viewer.principal, campaign_id)
    return page(
        request,
        "collusion.html",
        {
            "campaign": campaigns.get_campaign(ctx, viewer.principal, campaign_id),
            "view": view,
            "table": view.pairs[:TABLE_ROWS],
            "form": form or Form(),
            "failed_group": group,  # the group whose form came back with an error
            "max_reason": MAX_REASON_CHARS,
        },
        status_code=status,
        title=f"Collusion · {view.campaign_name}",
    )


@router.get("/campaigns/{campaign_id}/collusion")
def report(request: Request, ctx: ContextDep, viewer: Runner, campaign_id: Id) -> Response:
    return _page(request, ctx, viewer, campaign_id)


@router.post("/campaigns/{campaign_id}/collusion/exclude")
def exclude(
    request: Request, ctx: ContextDep, viewer: Barrer, campaign_id: Id, posted: FormDep
) -> Response:
    form = Form.of(posted, ("reason", "confirm"))
    workers = [w for w in posted.getlist("workers") if isinstance(w, str)]
    group = " ".join(workers)
    try:
        if text_of(posted, "confirm") != "yes":
            raise InvalidInput(
                "Tick the box to confirm: each worker of the group is barred, revoked and fined.",
                field="confirm",
            )
        done = collusion.exclude_group(
            ctx, viewer.principal, campaign_id, workers, text_of(posted, "reason")
        )
    except DomainError as error:
        if error.status == 404 and "campaign_id" in error.fields:
            raise
        form.fail(error, ctx.settings, default="confirm")
        return _page(request, ctx, viewer, campaign_id, form, group, 422)
    flash(
        request,
        f"Excluded {len(done.workers)} workers: barred from this campaign, {len(done.sanctions)} "
        f"tracks revoked with their fines; {done.queries_returned} accepted queries went back "
        "to validation. Each may appeal once.",
    )
    return RedirectResponse(f"/campaigns/{campaign_id}/collusion", status_code=303)
