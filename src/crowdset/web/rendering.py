"""Templates: one Jinja2 environment per app, and ``page()`` to render one with the request's
user, form token, notices and navigation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from crowdset.core.money import format_amount
from crowdset.core.permissions import Role
from crowdset.settings import Settings
from crowdset.web.deps import csrf_token, optional_viewer

TEMPLATES = Path(__file__).parent / "templates"

NAVIGATION: dict[Role | None, tuple[tuple[str, str], ...]] = {
    None: (("/", "Home"), ("/login", "Log in"), ("/signup", "Sign up")),
    Role.WORKER: (
        ("/work", "Get work"),
        ("/labeling", "Labeling"),
        ("/wallet", "Wallet"),
        ("/earnings", "Earnings"),
        ("/quality", "Quality"),
        ("/profile", "Profile"),
    ),
    Role.REQUESTER: (
        ("/campaigns", "Campaigns"),
        ("/campaigns/new", "New campaign"),
        ("/corpora", "Corpora"),
        ("/sanctions", "Appeals"),
        ("/wallet", "Wallet"),
        ("/profile", "Profile"),
    ),
    Role.OPERATOR: (
        ("/operator", "Ledger"),
        ("/operator/workers", "Workers"),
        ("/sanctions", "Appeals"),
        ("/campaigns", "Campaigns"),
        ("/profile", "Profile"),
    ),
}


def make_environment(settings: Settings) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def money(minor: int | None, unit: bool = True) -> str:
        if minor is None:
            return "–"
        currency = settings.currency_name if unit else ""
        # a no-break space keeps the amount and its unit on one line in narrow table cells
        return format_amount(minor, settings.currency_decimals, currency).replace(" ", "\u00a0")

    def when(moment: datetime | None) -> str:
        return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")

    def percent(share: float | None) -> str:
        return "–" if share is None else f"{share:.0%}"

    environment.filters.update(money=money, when=when, percent=percent)
    environment.globals.update(
        pairs=lambda values: [(value, value) for value in values],
        currency=settings.currency_name,
        fair_hourly_wage=settings.fair_hourly_wage,
    )
    return environment


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    title: str = "",
    fragment: bool = False,
) -> HTMLResponse:
    """Render ``template`` with what every page shows (the user, the navigation, notices).
    A ``fragment`` (a part htmx swaps in) leaves the notices for the next whole page."""
    environment: Environment = request.app.state.templates
    viewer = optional_viewer(request)
    notices = [] if fragment else request.session.pop("flash", [])
    role = viewer.role if viewer else None
    body = environment.get_template(template).render(
        request=request,
        viewer=viewer,
        navigation=NAVIGATION[role],
        current_path=request.url.path,
        csrf_token=csrf_token(request),
        notices=notices,
        title=title,
        **(context or {}),
    )
    return HTMLResponse(body, status_code=status_code)
