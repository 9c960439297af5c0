"""What every use case needs: the database, the settings and a clock (replaceable in tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from crowdset.settings import Settings
from crowdset.storage.database import Database


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Callable[[], datetime] = field(default=system_clock)
    rng: np.random.Generator = field(default_factory=np.random.default_rng)
    """Draws offers and plans tasks; tests seed it."""

    def now(self) -> datetime:
        return self.clock()


def open_context(settings: Settings) -> Context:
    """The Python API's entry point: ``ctx = open_context(load_settings())``."""
    return Context(settings=settings, db=Database(settings))
