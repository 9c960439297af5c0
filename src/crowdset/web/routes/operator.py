"""Operator pages (SPEC §1): verify the ledger, issue credits, workers and their flags,
blacklisting, and the collusion groups flagged in every campaign (SPEC §6.8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from crowdset.core.money import parse_amount
from crowdset.core.permissions import Action
from crowdset.errors import DomainError, InvalidInput, NotFound
from crowdset.services import accounts, campaign_stats, campaigns, collusion, ledger
from crowdset.services.context import Context
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash
from crowdset.web.forms import Form
from crowdset.web.rendering import page

router = APIRouter()
Verifier = Annotated[Viewer, Depends(allowed(Action.VERIFY_LEDGER))]
Issuer = Annotated[Viewer, Depends(allowed(Action.ISSUE_CREDITS))]
Reader = Annotated[Viewer, Depends(allowed(Action.READ_ANY_ACCOUNT))]


def _ledger_page(
    request: Request, ctx: Context, form: Form | None = None, status: int = 200
) -> Response:
    return page(
        request,
        "operator_ledger.html",
        {
            "report": ledger.verify(ctx),
            "platform": sorted(ledger.platform_balances(ctx).items()),
            "form": form or Form.with_key(),
        },
        status_code=status,
        title="Ledger",
    )


@router.get("/operator")
def operator_ledger(request: Request, ctx: ContextDep, viewer: Verifier) -> Response:
    """The hash chain and every balance recomputed from the postings, and issuance."""
    return _ledger_page(request, ctx)


@router.post("/operator/issue")
def issue(request: Request, ctx: ContextDep, viewer: Issuer, posted: FormDep) -> Response:
    form = Form.of(posted, ("email", "amount", "memo", "idempotency_key"))
    try:
        email = form.value("email").strip()
        if not email:
            raise InvalidInput("Enter the email address of the account to credit.", field="email")
        try:
            user = accounts.find_user(ctx, email)
        except NotFound as error:
            raise InvalidInput(error.message, field="email") from None
        amount = parse_amount(form.value("amount") or "0", ctx.settings.currency_decimals)
        if amount <= 0:
            raise InvalidInput("Enter an amount above zero, like 500.", field="amount")
        ledger.issue_credits(
            ctx,
            viewer.id,
            user.id,
            amount,
            memo=form.value("memo").strip(),
            idempotency_key=form.value("idempotency_key") or None,
        )
    except DomainError as error:
        form.fail(error, ctx.settings, default="amount")
        form.renew_key()
        return _ledger_page(request, ctx, form, 422)
    flash(request, f"Issued {form.value('amount')} to {user.email}.")
    return RedirectResponse("/operator", status_code=303)


def _workers_page(
    request: Request, ctx: Context, viewer: Viewer, form: Form | None = None, status: int = 200
) -> Response:
    return page(
        request,
        "operator_workers.html",
        {
            "workers": campaign_stats.worker_overview(ctx, viewer.principal),
            "collusion": collusion.flagged_groups(ctx, viewer.principal),
            "campaign_options": [
                (c.id, f"#{c.id} {c.name} ({c.status})")
                for c in campaigns.list_campaigns(ctx, viewer.principal)
            ],
            "form": form or Form(),
        },
        status_code=status,
        title="Workers",
    )


@router.get("/operator/workers")
def workers(request: Request, ctx: ContextDep, viewer: Reader) -> Response:
    return _workers_page(request, ctx, viewer)


@router.post("/operator/blacklist")
def blacklist(request: Request, ctx: ContextDep, viewer: Reader, posted: FormDep) -> Response:
    form = Form.of(posted, ("worker", "campaign_id"))
    try:
        try:
            campaign_id = int(form.value("campaign_id"))
        except ValueError:
            raise InvalidInput("Choose a campaign.", field="campaign_id") from None
        worker = form.value("worker").strip()
        if not worker:
            raise InvalidInput("Enter the worker's pseudonymous id.", field="worker")
        returned = campaigns.blacklist(ctx, viewer.principal, campaign_id, worker)
    except DomainError as error:
        field = "worker" if "worker" in error.fields else "campaign_id"
        form.fail(error, ctx.settings, default=field)
        return _workers_page(request, ctx, viewer, form, 422)
    flash(
        request,
        f"Worker {worker} is barred from campaign {campaign_id}; {returned} accepted queries "
        "went back to validation.",
    )
    return RedirectResponse("/operator/workers", status_code=303)
