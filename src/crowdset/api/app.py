"""``create_app(settings)``: one FastAPI app per settings, no state at import.

The REST API lives under ``/api/v1`` (reference at ``/docs``); everything else is the web app
of :mod:`crowdset.web`, which answers every address the API does not ("/" included). This module
is the one place that composes the two (an import the layer contract allows by name in
pyproject.toml).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from crowdset import __version__
from crowdset.api import anchoring, openapi, problems
from crowdset.api.limits import BodySizeLimit, JsonBodyLimits
from crowdset.api.routes import (
    bias,
    campaigns,
    collusion,
    dry_runs,
    labeling,
    mechanism,
    operator,
    review,
    system,
    tokens,
    users,
    wallet,
    work,
)
from crowdset.services.context import Context, open_context
from crowdset.services.dry_runs import DryRuns
from crowdset.settings import Settings
from crowdset.web import create_web_app

API_PREFIX = "/api/v1"


def app_from_environment() -> FastAPI:
    """The app of one ``crowdset serve --workers N`` process: its settings come from the
    ``CROWDSET_*`` variables the command set for it."""
    from crowdset.settings import load_settings

    return create_app(load_settings())


def create_app(settings: Settings, context: Context | None = None) -> FastAPI:
    ctx = context or open_context(settings)
    app = FastAPI(
        title="crowdset",
        version=__version__,
        description="Crowd-made, validated, fairly paid training data. Amounts are integers in "
        "minor units; money-moving calls need an `Idempotency-Key` header.",
        docs_url=None,  # /docs is a page of the web app: Swagger UI from /static, with its CSP
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=anchoring.lifespan(ctx),  # anchors the ledger head when ledger_anchor_file is set
    )
    app.state.context = ctx
    problems.install(app)
    openapi.install(app)  # every status and problem type each route can answer
    for module in (system, users, tokens, wallet, operator, campaigns, labeling, review, work):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(mechanism.router, prefix=API_PREFIX)  # due process (SPEC §6)
    app.include_router(dry_runs.router, prefix=API_PREFIX)  # the dry-run (SPEC §6.9)
    app.include_router(collusion.router, prefix=API_PREFIX)  # collusion flags (SPEC §6.8)
    app.include_router(bias.router, prefix=API_PREFIX)  # bias across worker groups (SPEC §3)
    app.state.dry_runs = DryRuns()  # shared with the web app: one bound per process
    app.add_middleware(JsonBodyLimits)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)  # outermost

    web = create_web_app(settings, ctx, app.state.dry_runs)

    async def elsewhere(scope: Scope, receive: Receive, send: Send) -> None:
        """What no API route matches: the web pages, but an unknown API address stays a
        problem+json 404 (and a wrong method on an API route still a 405, before this)."""
        path = scope.get("path", "")
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            raise StarletteHTTPException(404, "Not Found")
        await web(scope, receive, send)

    app.router.default = elsewhere
    return app
