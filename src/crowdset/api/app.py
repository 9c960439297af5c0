"""``create_app(settings)``: one FastAPI app per settings, no state at import."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from crowdset import __version__
from crowdset.api import problems
from crowdset.api.limits import BodySizeLimit
from crowdset.api.routes import campaigns, operator, system, tokens, users, wallet, work
from crowdset.services.context import Context, open_context
from crowdset.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings, context: Context | None = None) -> FastAPI:
    ctx = context or open_context(settings)
    app = FastAPI(
        title="crowdset",
        version=__version__,
        description="Crowd-made, validated, fairly paid training data. Amounts are integers in "
        "minor units; money-moving calls need an `Idempotency-Key` header.",
        docs_url="/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.state.context = ctx
    problems.install(app)
    for module in (system, users, tokens, wallet, operator, campaigns, work):
        app.include_router(module.router, prefix=API_PREFIX)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app
