"""Modelled time for the simulated crowds of ``crowdset sim work`` and ``sim label``.

The platform hands out new work by admission tickets, one per account and slot of modelled time
(:mod:`crowdset.core.selection`, SPEC §6.6): asking again within a slot draws nothing new. A
crowd that never lets time pass would get nothing after its first slot, so each ask of these
drivers moves the clock on by ``ASK_SECONDS`` — a test's clock, or, on the system clock, a
modelled clock started at its time for the run: the run's records then carry modelled times,
which run ahead of the wall clock by the run's modelled duration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from crowdset.services.context import Context
from crowdset.sim.attackers.crowd import SimClock

ASK_SECONDS = 1.0  # modelled time one ask takes: a crowd of ten asks through a slot of 10 s


@contextmanager
def modelled_time(ctx: Context, tick: Callable[[], None] | None) -> Iterator[Callable[[], None]]:
    """The tick a driver runs after each ask: ``tick`` when given; else ``ASK_SECONDS`` on the
    context's clock when it can be moved (a test's ``advance``), else on a modelled clock that
    replaces the context's for the run."""
    if tick is not None:
        yield tick
        return
    advance = getattr(ctx.clock, "advance", None)
    if callable(advance):
        yield lambda: advance(seconds=ASK_SECONDS)
        return
    saved = ctx.clock
    clock = SimClock(saved())
    ctx.clock = clock
    try:
        yield lambda: clock.advance(ASK_SECONDS)
    finally:
        ctx.clock = saved
