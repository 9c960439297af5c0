"""Who is asking, may they, and did the form come from us: the web's dependencies.

Role checks go through ``core.permissions.authorize`` like everywhere else; this module only
turns the session cookie into a user and a posted form into checked data.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from crowdset.core.permissions import Action, Role, authorize
from crowdset.services import login_throttle, web_sessions
from crowdset.services.accounts import Principal, UserView
from crowdset.services.context import Context


class LoginRequired(Exception):
    """The page needs a logged-in user: the adapter redirects to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRejected(Exception):
    """A form without the session's token: sent from another site, or from a stale page."""


@dataclass(frozen=True)
class Viewer:
    """The logged-in user of a request, and the id of their web session."""

    user: UserView
    session_id: int | None = None

    @property
    def principal(self) -> Principal:
        return Principal(user_id=self.user.id, role=self.user.role, email=self.user.email)

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def id(self) -> int:
        return self.user.id


def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


ContextDep = Annotated[Context, Depends(get_context)]


def csrf_token(request: Request) -> str:
    """The session's form token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A notice shown once, on the next page rendered."""
    notices = list(request.session.get("flash", []))
    notices.append([kind, message])
    request.session["flash"] = notices


def client_address(request: Request) -> str:
    """The client's address, as the login throttle counts it (see ``trust_forwarded_for``)."""
    return login_throttle.client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trust_forwarded=get_context(request).settings.trust_forwarded_for,
    )


def start_session(request: Request, ctx: Context, user: UserView) -> None:
    """Log in: a new server-side session, and a fresh cookie (new form token) so nothing of
    the anonymous one carries over. The cookie holds only the session's random secret."""
    secret = web_sessions.start(
        ctx,
        user.id,
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request),
    )
    request.session.clear()
    request.session.update(sid=secret)
    csrf_token(request)


def end_session(request: Request) -> None:
    """Log out: the server-side session ends (a copied cookie stops working too)."""
    secret = request.session.get("sid")
    if isinstance(secret, str):
        web_sessions.end(get_context(request), secret)
    request.session.clear()


_ENDED_NOTICES = {
    web_sessions.Ended.EXPIRED: "Your session expired after {lifetime} minutes: log in again.",
    web_sessions.Ended.IDLE: "Your session ended after {idle} minutes without activity: log in "
    "again.",
    web_sessions.Ended.LOGGED_OUT: "You were logged out (from another browser, by a password "
    "change or by an operator): log in again.",
    web_sessions.Ended.DEACTIVATED: "This account is deactivated.",
}


def optional_viewer(request: Request) -> Viewer | None:
    """The logged-in user, or ``None``. A session that ended ends here, with a notice."""
    if hasattr(request.state, "viewer"):
        found: Viewer | None = request.state.viewer
        return found
    request.state.viewer = None
    secret = request.session.get("sid")
    if not isinstance(secret, str):
        if "uid" in request.session:  # a cookie from before server-side sessions
            request.session.clear()
        return None
    ctx = get_context(request)
    resolved = web_sessions.resolve(ctx, secret)
    if not isinstance(resolved, web_sessions.Resolved):
        request.session.clear()
        notice = _ENDED_NOTICES.get(resolved)
        if notice:
            settings = ctx.settings
            flash(
                request,
                notice.format(
                    lifetime=settings.session_lifetime_minutes, idle=settings.session_idle_minutes
                ),
                "error",
            )
        return None
    viewer = Viewer(resolved.user, resolved.session_id)
    request.state.viewer = viewer
    return viewer


OptionalViewerDep = Annotated[Viewer | None, Depends(optional_viewer)]


def current_viewer(request: Request, viewer: OptionalViewerDep) -> Viewer:
    if viewer is None:
        path = request.url.path
        if request.method == "GET" and request.url.query:
            path += "?" + request.url.query
        raise LoginRequired(path if request.method == "GET" else "/")
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def allowed(action: Action) -> Callable[[Viewer], Viewer]:
    """A dependency that returns the viewer once ``authorize`` lets ``action`` through."""

    def check(viewer: ViewerDep) -> Viewer:
        authorize(viewer.role, action)
        return viewer

    return check


async def posted_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form, once its CSRF token matches the session's (compared in constant
    time). Every POST route of the web app takes its input through here; uploaded files are
    closed when the request is done."""
    form = await request.form()
    try:
        sent = form.get("csrf_token")
        expected = request.session.get("csrf")
        if (
            not isinstance(sent, str)
            or not isinstance(expected, str)
            or not expected
            or not hmac.compare_digest(sent.encode(), expected.encode())
        ):
            raise CsrfRejected()
        yield form
    finally:
        await form.close()


FormDep = Annotated[FormData, Depends(posted_form)]


def text_of(form: FormData, name: str) -> str:
    """A text field of the form ('' when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def safe_next(path: str | None) -> str | None:
    """A local path to go back to after login, never another site."""
    if path and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return None
