"""Your account: profile and opt-in demographics, wallet (stake, unstake, deposit), earnings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from crowdset.core.accounts import AGE_BANDS, EDUCATION_LEVELS, GENDERS
from crowdset.core.money import parse_amount
from crowdset.core.permissions import Action, Role
from crowdset.errors import DomainError
from crowdset.services import (
    accounts,
    campaign_stats,
    due_process,
    generation,
    ledger,
    payments,
    web_sessions,
)
from crowdset.services.context import Context
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, end_session, flash, text_of
from crowdset.web.forms import Form
from crowdset.web.rendering import page

router = APIRouter()
ReadOwn = Annotated[Viewer, Depends(allowed(Action.READ_OWN_ACCOUNT))]
Staker = Annotated[Viewer, Depends(allowed(Action.STAKE))]
MoveOwn = Annotated[Viewer, Depends(allowed(Action.MOVE_OWN_MONEY))]
EditDemographics = Annotated[Viewer, Depends(allowed(Action.EDIT_DEMOGRAPHICS))]
Worker = Annotated[Viewer, Depends(allowed(Action.DO_WORK))]

CONSENT = (
    "These answers are optional. They let requesters target work (for example, ratings from "
    "speakers of a language) and check their data for bias. They are stored apart from your "
    "account, shown to requesters only in aggregate and never next to your work, and you can "
    "delete them at any time below."
)
DEMOGRAPHIC_FIELDS = ("age_band", "gender", "country", "languages", "education", "consent")


# --- profile ----------------------------------------------------------------------------------


def _profile(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    form: Form | None = None,
    status: int = 200,
    password_form: Form | None = None,
) -> Response:
    saved = None
    if viewer.role is Role.WORKER:
        saved = accounts.get_demographics(ctx, viewer.id)
        if form is None:
            form = Form(
                {
                    "age_band": saved.age_band or "",
                    "gender": saved.gender or "",
                    "country": saved.country or "",
                    "languages": ", ".join(saved.languages),
                    "education": saved.education or "",
                    "consent": "yes",
                }
                if saved
                else {}
            )
    return page(
        request,
        "profile.html",
        {
            "form": form or Form(),
            "password_form": password_form or Form(),
            "sessions": web_sessions.active(ctx, viewer.id),
            "saved": saved,
            "consent": CONSENT,
            "age_bands": AGE_BANDS,
            "genders": GENDERS,
            "education_levels": EDUCATION_LEVELS,
        },
        status_code=status,
        title="Profile",
    )


@router.get("/profile")
def profile(request: Request, ctx: ContextDep, viewer: ReadOwn) -> Response:
    return _profile(request, ctx, viewer)


@router.post("/profile/demographics")
def save_demographics(
    request: Request, ctx: ContextDep, viewer: EditDemographics, posted: FormDep
) -> Response:
    form = Form.of(posted, DEMOGRAPHIC_FIELDS)
    if text_of(posted, "consent") != "yes":
        form.error("consent", "Tick the box to agree before your answers are stored.")
        return _profile(request, ctx, viewer, form, 422)
    try:
        accounts.set_demographics(
            ctx,
            viewer.id,
            age_band=text_of(posted, "age_band") or None,
            gender=text_of(posted, "gender") or None,
            country=text_of(posted, "country") or None,
            languages=[code for code in text_of(posted, "languages").split(",") if code.strip()],
            education=text_of(posted, "education") or None,
        )
    except DomainError as error:
        form.fail(error, ctx.settings, default="consent")
        return _profile(request, ctx, viewer, form, 422)
    flash(request, "Your answers are saved. Thank you.")
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/demographics/withdraw")
def withdraw_demographics(
    request: Request, ctx: ContextDep, viewer: EditDemographics, posted: FormDep
) -> Response:
    accounts.withdraw_demographics(ctx, viewer.id)
    flash(request, "Your answers are deleted.")
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/password")
def change_password(
    request: Request, ctx: ContextDep, viewer: ReadOwn, posted: FormDep
) -> Response:
    form = Form.of(posted, ("current_password", "new_password"))
    try:
        ended = accounts.change_password(
            ctx,
            viewer.id,
            text_of(posted, "current_password"),
            text_of(posted, "new_password"),
            keep_session=viewer.session_id,
        )
    except DomainError as error:
        form.fail(error, ctx.settings, default="new_password")
        return _profile(request, ctx, viewer, status=422, password_form=form)
    others = f" {ended} other session(s) logged out." if ended else ""
    flash(request, f"Your password is changed.{others}")
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/logout-everywhere")
def logout_everywhere(
    request: Request, ctx: ContextDep, viewer: ReadOwn, posted: FormDep
) -> Response:
    """Every web session of the user ends, this one too (API tokens stay: revoke them on the
    API, or ask an operator)."""
    web_sessions.end_all(ctx, viewer.id)
    end_session(request)
    flash(request, "You are logged out everywhere.")
    return RedirectResponse("/", status_code=303)


# --- wallet -----------------------------------------------------------------------------------

WALLET_FORMS = ("stake", "unstake", "deposit")


def _history(ctx: Context, viewer: Viewer) -> list[dict[str, Any]]:
    """Transactions touching the viewer, with the change to each of their accounts."""
    mine = f"user:{viewer.id}:"
    return [
        {
            "seq": tx.seq,
            "kind": tx.kind.replace("_", " "),
            "memo": tx.memo,
            "at": tx.created_at,
            "changes": [
                (account.removeprefix(mine), amount)
                for account, amount in tx.postings
                if account.startswith(mine)
            ],
        }
        for tx in ledger.history(ctx, viewer.id, limit=50)
    ]


def _wallet(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    forms: dict[str, Form] | None = None,
    status: int = 200,
) -> Response:
    shown = {name: Form.with_key() for name in WALLET_FORMS} | (forms or {})
    standing = generation.worker_standing(ctx, viewer.id) if viewer.role is Role.WORKER else None
    return page(
        request,
        "wallet.html",
        {
            "balances": ledger.balances(ctx, viewer.id),
            "pending": due_process.pending_of(ctx, viewer.id)
            if viewer.role is Role.WORKER
            else None,
            "standing": standing,
            "history": _history(ctx, viewer),
            "forms": shown,
            "rail": payments.rail_enabled(ctx),
        },
        status_code=status,
        title="Wallet",
    )


@router.get("/wallet")
def wallet(request: Request, ctx: ContextDep, viewer: ReadOwn) -> Response:
    return _wallet(request, ctx, viewer)


def _move(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    posted: FormData,
    name: str,
    move: Callable[..., object],
    done: str,
) -> Response:
    form = Form.of(posted, ("amount", "idempotency_key"))
    try:
        amount = parse_amount(text_of(posted, "amount") or "0", ctx.settings.currency_decimals)
        if amount <= 0:
            form.error("amount", "Enter an amount above zero, like 50 or 12.50.")
        else:
            move(ctx, viewer.id, amount, idempotency_key=form.value("idempotency_key") or None)
    except DomainError as error:
        form.fail(error, ctx.settings, default="amount")
    if form.invalid:
        form.renew_key()
        return _wallet(request, ctx, viewer, {name: form}, 422)
    flash(request, done.format(amount=form.value("amount")))
    return RedirectResponse("/wallet", status_code=303)


@router.post("/wallet/stake")
def stake(request: Request, ctx: ContextDep, viewer: Staker, posted: FormDep) -> Response:
    return _move(request, ctx, viewer, posted, "stake", ledger.stake, "Staked {amount}.")


@router.post("/wallet/unstake")
def unstake(request: Request, ctx: ContextDep, viewer: Staker, posted: FormDep) -> Response:
    return _move(
        request, ctx, viewer, posted, "unstake", ledger.unstake, "{amount} back to available."
    )


@router.post("/wallet/deposit")
def deposit(request: Request, ctx: ContextDep, viewer: MoveOwn, posted: FormDep) -> Response:
    return _move(
        request, ctx, viewer, posted, "deposit", payments.deposit, "Deposited {amount} (simulated)."
    )


# --- earnings ---------------------------------------------------------------------------------


@router.get("/earnings")
def earnings(request: Request, ctx: ContextDep, viewer: Worker) -> Response:
    return page(
        request,
        "earnings.html",
        {
            "earnings": campaign_stats.worker_earnings(ctx, viewer.id),
            "pending": due_process.pending_of(ctx, viewer.id),
            "standing": generation.worker_standing(ctx, viewer.id),
        },
        title="Earnings",
    )
