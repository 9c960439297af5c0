from __future__ import annotations

from fastapi import APIRouter

from crowdset import __version__
from crowdset.api.deps import ContextDep
from crowdset.api.schemas import Health

router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health)
def health(ctx: ContextDep) -> Health:
    """Liveness and the database kind; answers 200 only when the database answers."""
    ctx.db.ping()
    return Health(status="ok", database=ctx.db.kind, version=__version__)
