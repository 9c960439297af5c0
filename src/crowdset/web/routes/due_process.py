"""Due process pages (SPEC §6, issue #14): a worker's quality per campaign track, sanctions
with their reason and evidence, the worker's one appeal, and the decision of the campaign's
requester or an operator with the evidence on screen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from crowdset.core.ids import Id
from crowdset.core.mechanism.appeals import MAX_APPEAL_CHARS, MAX_NOTE_CHARS, AppealStatus
from crowdset.core.permissions import Action
from crowdset.errors import DomainError
from crowdset.services import due_process
from crowdset.services.context import Context
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash, text_of
from crowdset.web.forms import Form
from crowdset.web.rendering import page

router = APIRouter()
Worker = Annotated[Viewer, Depends(allowed(Action.DO_WORK))]
Anyone = Annotated[Viewer, Depends(allowed(Action.READ_OWN_ACCOUNT))]
Decider = Annotated[Viewer, Depends(allowed(Action.RUN_CAMPAIGNS))]


@router.get("/quality")
def quality(request: Request, ctx: ContextDep, viewer: Worker) -> Response:
    return page(
        request,
        "quality.html",
        {
            "tracks": due_process.my_quality(ctx, viewer.principal),
            "sanctions": due_process.list_sanctions(ctx, viewer.principal),
        },
        title="Your quality",
    )


@router.get("/sanctions")
def sanctions(request: Request, ctx: ContextDep, viewer: Anyone) -> Response:
    found = due_process.list_sanctions(ctx, viewer.principal)
    return page(
        request,
        "sanctions.html",
        {
            "open": [s for s in found if s.appeal_status is AppealStatus.OPEN],
            "sanctions": found,
        },
        title="Sanctions and appeals",
    )


def _sanction(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    sanction_id: Id,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "sanction.html",
        {
            "s": due_process.get_sanction(ctx, viewer.principal, sanction_id),
            "form": form or Form(),
            "max_appeal": MAX_APPEAL_CHARS,
            "max_note": MAX_NOTE_CHARS,
        },
        status_code=status,
        title=f"Sanction {sanction_id}",
    )


@router.get("/sanctions/{sanction_id}")
def sanction(request: Request, ctx: ContextDep, viewer: Anyone, sanction_id: Id) -> Response:
    return _sanction(request, ctx, viewer, sanction_id)


@router.post("/sanctions/{sanction_id}/appeal")
def appeal(
    request: Request, ctx: ContextDep, viewer: Worker, sanction_id: Id, posted: FormDep
) -> Response:
    form = Form.of(posted, ("text",))
    try:
        due_process.appeal(ctx, viewer.principal, sanction_id, text_of(posted, "text"))
    except DomainError as error:
        if error.status == 404:
            raise
        form.fail(error, ctx.settings, default="text")
        return _sanction(request, ctx, viewer, sanction_id, form, 422)
    flash(request, "Your appeal is sent. The campaign's requester decides.")
    return RedirectResponse(f"/sanctions/{sanction_id}", status_code=303)


@router.post("/sanctions/{sanction_id}/decision")
def decide(
    request: Request, ctx: ContextDep, viewer: Decider, sanction_id: Id, posted: FormDep
) -> Response:
    form = Form.of(posted, ("note", "decision"))
    choice = text_of(posted, "decision")
    if choice not in ("uphold", "deny"):
        form.error("note", "Choose uphold or deny, then say why.")
        return _sanction(request, ctx, viewer, sanction_id, form, 422)
    uphold = choice == "uphold"
    try:
        due_process.decide(
            ctx, viewer.principal, sanction_id, uphold=uphold, note=text_of(posted, "note")
        )
    except DomainError as error:
        if error.status == 404:
            raise
        form.fail(error, ctx.settings, default="note")
        return _sanction(request, ctx, viewer, sanction_id, form, 422)
    flash(
        request,
        "Appeal upheld: the fine and the pay are back with the worker, who is reinstated."
        if uphold
        else "Appeal denied. The decision is final.",
    )
    return RedirectResponse(f"/sanctions/{sanction_id}", status_code=303)
