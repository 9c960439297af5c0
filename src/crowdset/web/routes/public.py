"""Pages for everyone: the landing page, log in, log out, sign up as a worker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crowdset.core.permissions import Role, authorize_user_creation
from crowdset.errors import DomainError, NotFound, TooManyAttempts, Unauthenticated
from crowdset.services import accounts, campaign_stats
from crowdset.services.demo import DEMO_PASSWORD, DEMO_USERS
from crowdset.web.deps import (
    ContextDep,
    FormDep,
    OptionalViewerDep,
    client_address,
    end_session,
    flash,
    safe_next,
    start_session,
    text_of,
)
from crowdset.web.forms import Form
from crowdset.web.rendering import page

router = APIRouter()

HOME = {Role.WORKER: "/work", Role.REQUESTER: "/campaigns", Role.OPERATOR: "/operator"}


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/")
def landing(request: Request, ctx: ContextDep, viewer: OptionalViewerDep) -> Response:
    demo = []
    for email, role, name in DEMO_USERS:
        try:
            accounts.find_user(ctx, email)
        except NotFound:
            continue
        demo.append({"email": email, "role": role.value, "name": name})
    return page(
        request,
        "landing.html",
        {
            "open_campaigns": campaign_stats.open_campaigns(ctx),
            "demo_logins": demo,
            "demo_password": DEMO_PASSWORD,
            "home": HOME[viewer.role] if viewer else None,
        },
        title="Crowd-made training data, fairly paid",
    )


@router.get("/login")
def login_form(
    request: Request,
    viewer: OptionalViewerDep,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    if viewer is not None:
        return _see_other(safe_next(next_path) or HOME[viewer.role])
    form = Form({"next": safe_next(next_path) or ""})
    return page(request, "login.html", {"form": form}, title="Log in")


@router.post("/login")
def login(request: Request, ctx: ContextDep, posted: FormDep) -> Response:
    form = Form.of(posted, ("email", "password", "next"))
    email, password = text_of(posted, "email").strip(), text_of(posted, "password")
    if not email:
        form.error("email", "Enter your email address.")
    if not password:
        form.error("password", "Enter your password.")
    status, headers = 422, {}
    if not form.invalid:
        try:
            user = accounts.authenticate_password(
                ctx, email, password, address=client_address(request)
            )
        except TooManyAttempts as error:
            form.error("password", f"{error.message.capitalize()}.")
            status, headers = 429, {"Retry-After": str(error.fields["retry_after"])}
        except Unauthenticated as error:
            form.error("password", f"{error.message.capitalize()}.")
        else:
            start_session(request, ctx, user)
            flash(request, f"Welcome, {user.display_name}.")
            return _see_other(safe_next(form.value("next")) or HOME[user.role])
    response = page(request, "login.html", {"form": form}, status_code=status, title="Log in")
    response.headers.update(headers)
    return response


@router.post("/logout")
def logout(request: Request, posted: FormDep) -> Response:
    end_session(request)
    flash(request, "You are logged out.")
    return _see_other("/")


@router.get("/docs", response_class=HTMLResponse)
def api_reference(request: Request) -> HTMLResponse:
    """The REST API reference: Swagger UI from this site's own static files, under the pages'
    Content-Security-Policy (no CDN, no inline script)."""
    template = request.app.state.templates.get_template("api_reference.html")
    return HTMLResponse(template.render(openapi_url="/api/v1/openapi.json"))


SIGNUP_FIELDS = ("email", "display_name", "password", "password_again")


@router.get("/signup")
def signup_form(request: Request, viewer: OptionalViewerDep) -> Response:
    if viewer is not None:
        return _see_other(HOME[viewer.role])
    return page(request, "signup.html", {"form": Form()}, title="Sign up as a worker")


@router.post("/signup")
def signup(request: Request, ctx: ContextDep, posted: FormDep) -> Response:
    form = Form.of(posted, SIGNUP_FIELDS)
    password = text_of(posted, "password")
    if password != text_of(posted, "password_again"):
        form.error("password_again", "The two passwords differ: type the same password twice.")
    if not form.invalid:
        try:
            authorize_user_creation(None, Role.WORKER)
            user = accounts.create_user(
                ctx,
                email=text_of(posted, "email"),
                password=password,
                role=Role.WORKER.value,
                display_name=text_of(posted, "display_name"),
                address=client_address(request),
            )
        except DomainError as error:
            form.fail(error, ctx.settings, default="email")
        else:
            start_session(request, ctx, user)
            flash(
                request,
                "Your worker account is ready. Stake credits in your wallet to receive offers.",
            )
            return _see_other("/wallet")
    return page(request, "signup.html", {"form": form}, status_code=422, title="Sign up")
