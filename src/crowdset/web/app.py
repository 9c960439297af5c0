"""``create_web_app(settings, ctx)``: the server-rendered pages, mounted at "/" by the API app.

Errors are mapped here once: a login needed becomes a redirect to the login page, a refused
form token a 403 page, and every ``DomainError`` a page saying what went wrong (forms catch the
errors about their own fields first and show them at the field).
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crowdset.errors import DomainError, Forbidden, NotFound
from crowdset.services.context import Context
from crowdset.services.dry_runs import DryRuns
from crowdset.settings import Settings
from crowdset.web.deps import CsrfRejected, LoginRequired
from crowdset.web.forms import message_of
from crowdset.web.rendering import make_environment, page
from crowdset.web.routes import (
    account,
    bias,
    campaigns,
    collusion,
    corpora,
    dry_runs,
    due_process,
    labeling,
    labeling_campaigns,
    operator,
    public,
    work,
)
from crowdset.web.sessions import SessionMiddleware

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)

# Scripts and styles come from this site only (vendored), so injected markup cannot run code.
# Images may come from elsewhere: a labeling campaign's image items are the requester's URLs.
SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; "
        b"img-src 'self' data: https: http:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + list(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_web_app(
    settings: Settings, ctx: Context, dry_runs_registry: DryRuns[Any] | None = None
) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.context = ctx
    app.state.dry_runs = dry_runs_registry if dry_runs_registry is not None else DryRuns()
    app.state.templates = make_environment(settings)
    secret = (
        settings.session_secret.get_secret_value().encode()
        if settings.session_secret is not None
        else secrets.token_bytes(32)  # one process: logins end when it restarts
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        public,
        account,
        work,
        labeling,
        campaigns,
        labeling_campaigns,
        corpora,
        operator,
        due_process,
        dry_runs,
        collusion,
        bias,
    ):
        app.include_router(module.router)
    app.add_middleware(
        SessionMiddleware,
        secret=secret,
        max_age_seconds=settings.session_lifetime_minutes * 60,
        secure=settings.session_cookie_secure,
    )
    app.add_middleware(SecurityHeaders)
    _install_error_pages(app, settings)
    return app


def _error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    return page(
        request,
        "error.html",
        {"heading": heading, "message": message, "status": status},
        status_code=status,
        title=heading,
    )


def _install_error_pages(app: FastAPI, settings: Settings) -> None:
    async def login_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, LoginRequired)
        query = urlencode({"next": error.next_path}) if error.next_path != "/" else ""
        return RedirectResponse("/login" + (f"?{query}" if query else ""), status_code=303)

    async def csrf_rejected(request: Request, error: Exception) -> Response:
        return _error_page(
            request,
            403,
            "Form refused",
            "This form was not sent from a page of this site, or the page was too old. "
            "Go back, reload the page and send the form again.",
        )

    async def domain_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, DomainError)
        if error.status >= 500:
            log.error("%s: %s", error.code, error.message)
        heading = {Forbidden: "Not allowed", NotFound: "Not found"}.get(type(error), error.title)
        return _error_page(request, error.status, heading, message_of(error, settings))

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404:
            return _error_page(request, 404, "Not found", "There is no page at this address.")
        return _error_page(request, error.status_code, "Request failed", str(error.detail))

    async def bad_address(request: Request, error: Exception) -> Response:
        return _error_page(request, 404, "Not found", "There is no page at this address.")

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_address)
    app.add_exception_handler(OverflowError, bad_address)  # an id past the database's range
