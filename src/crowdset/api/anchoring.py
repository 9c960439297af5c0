"""The server anchors the ledger head (issue 17): while ``ledger_anchor_file`` is set, every
``ledger_anchor_minutes`` from start-up, each serving process appends the global head to the
anchor file (several processes append the same head: harmless)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from crowdset.errors import DomainError
from crowdset.services import ledger_anchors
from crowdset.services.context import Context

log = logging.getLogger(__name__)


async def _anchor_forever(ctx: Context) -> None:
    while True:
        try:
            made = await run_in_threadpool(ledger_anchors.anchor, ctx)
            log.info("ledger head %s anchored", made.seq)
        except (DomainError, OSError) as error:  # a full disk must not stop the server
            log.error("could not anchor the ledger head: %s", error)
        await asyncio.sleep(ctx.settings.ledger_anchor_minutes * 60)


def lifespan(ctx: Context) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """The API app's lifespan: anchoring runs beside the server while it serves."""

    @contextlib.asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        if ctx.settings.ledger_anchor_file is None:
            yield
            return
        task = asyncio.create_task(_anchor_forever(ctx))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return run
