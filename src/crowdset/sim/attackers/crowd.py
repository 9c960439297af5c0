"""The dry-run's crowd: accounts created through the services, a simulated clock, and what the
ledger says each account gained or lost.

An account belongs to a **person**: one account each, except a sybil person, who splits the
same grant and stake over ``sybil_k`` accounts (their ``sybil_baseline`` twin holds that same
total in one account). Every account keeps a tally of its
modelled work time, the offers it got and the work that was accepted or rejected.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from crowdset.core.permissions import Role
from crowdset.errors import Conflict, NotFound
from crowdset.services import accounts, ledger, offers
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.services.offers import NoOffer
from crowdset.sim.attackers.strategies import SYBIL_K, Strategy

FINE_KINDS = frozenset({"fine", "forfeit", "forfeit_deposit"})
SKIP_SECONDS = 2.0  # reading an offer one does not do


class SimClock:
    """Modelled time: strictly increasing by a microsecond a reading, moved on by the driver."""

    def __init__(self, start: datetime) -> None:
        self.start = self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    @property
    def elapsed(self) -> float:
        """Modelled seconds since the start."""
        return (self.now - self.start).total_seconds()


@dataclass
class Account:
    user_id: int
    pseudonym: str
    strategy: Strategy
    person: int
    initial_total: int  # minor units granted (stake included)
    seconds: float = 0.0  # modelled work time
    offers: int = 0  # distinct offers (or packages' pairs) handed to the account
    accepted: int = 0  # units of work that stood: queries accepted, votes and labels agreeing
    rejected: int = 0
    written_accepted: int = 0  # generation: the account's own queries
    written_rejected: int = 0
    refused: int = 0  # answers the automatic checks sent back (unpaid attempts)
    free_at: float = 0.0  # modelled second at which the account next asks for work
    seen: set[int] = field(default_factory=set)

    def saw(self, offer_id: int) -> None:
        if offer_id not in self.seen:
            self.seen.add(offer_id)
            self.offers += 1


def create_accounts(
    ctx: Context,
    sizes: Mapping[Strategy, int],
    *,
    grant: int,
    stake: int,
    sybil_k: int = SYBIL_K,
) -> list[Account]:
    """Persons per strategy, each granted ``grant`` minor units of which ``stake`` staked; a
    sybil person's grant and stake are split evenly over ``sybil_k`` accounts, and a
    ``sybil_baseline`` person holds in one account exactly what those accounts hold together
    (the remainder of an uneven split is nobody's)."""
    run = uuid.uuid4().hex[:8]
    made: list[Account] = []
    person = 0
    for strategy, persons in sizes.items():
        for _ in range(persons):
            person += 1
            split = sybil_k if strategy is Strategy.SYBIL else 1
            whole = sybil_k if strategy is Strategy.SYBIL_BASELINE else 1
            for part in range(split):
                user = accounts.create_user(
                    ctx,
                    email=f"attack-{run}-{person}-{part}@sim.crowdset",
                    password=uuid.uuid4().hex,
                    role=Role.WORKER.value,
                    display_name=f"Simulated {strategy.value} {person}",
                )
                granted = grant // (split * whole) * whole
                staked = stake // (split * whole) * whole
                ledger.issue_credits(ctx, None, user.id, granted, memo="dry-run grant")
                if staked:
                    ledger.stake(ctx, user.id, staked)
                made.append(Account(user.id, user.pseudonym, strategy, person, granted))
    return made


@dataclass(frozen=True)
class LedgerTally:
    worth: int  # everything the account holds, pending pay included, in minor units
    pending: int
    fines: int  # fines and forfeited deposits


def ledger_tally(ctx: Context, user_id: int) -> LedgerTally:
    """Sum the account's own postings over its whole history (pages of 500)."""
    prefix = f"user:{user_id}:"
    worth = pending = fines = 0
    before: int | None = None
    while True:
        page = ledger.history(ctx, user_id, limit=500, before_seq=before)
        for tx in page:
            own = [(key, amount) for key, amount in tx.postings if key.startswith(prefix)]
            moved = sum(amount for _, amount in own)
            worth += moved
            pending += sum(amount for key, amount in own if key.endswith(":pending"))
            if tx.kind in FINE_KINDS:
                fines -= moved
        if len(page) < 500:
            return LedgerTally(worth, pending, fines)
        before = min(tx.seq for tx in page)


ROUND_SECONDS = 1.0  # the driver's tick of modelled time


def run_rounds(
    ctx: Context,
    clock: SimClock,
    crowd: Sequence[Account],
    rng: np.random.Generator,
    campaign_id: int,
    act: Callable[[Account, OfferView], bool],
    *,
    until: float,
    done: Callable[[], bool],
    on_work: Callable[[], None] | None = None,
    idle_seconds: float = 600.0,
) -> bool:
    """Ticks of ``ROUND_SECONDS`` of modelled time. At each, every account that is free, in
    random order, asks for work and acts on what it gets (``act`` returns whether it submitted
    work). An account told to wait asks again when the platform said; a person working a task
    is busy for the seconds it takes, with all their accounts (a sybil is one person: one task
    at a time). So each person asks at their own working pace — except a sybil, who asks as an
    attacker would, from k browsers at once: while they work on one account's offer, their
    other accounts go on asking, and what those get waits for them, held (an account holding
    an offer is handed it back, no new draw). Ends when ``done()`` (True), after
    ``idle_seconds`` without work (True: nothing left for this crowd), or at ``until``
    modelled seconds (False)."""
    quiet = 0.0
    working: dict[int, float] = {}  # person → modelled second their current task ends
    while clock.elapsed < until:
        worked = False
        for index in rng.permutation(len(crowd)):
            account = crowd[int(index)]
            now = clock.elapsed
            busy_until = working.get(account.person, 0.0)
            parallel = account.strategy is Strategy.SYBIL
            if account.free_at > now or (busy_until > now and not parallel):
                continue
            found = offers.ask_for_work(ctx, account.user_id, campaign_id)
            if isinstance(found, NoOffer):
                account.free_at = now + found.retry_after_seconds
                continue
            account.saw(found.id)
            if busy_until > now:  # a sybil's other browser: held until the person is free
                account.free_at = busy_until
                continue
            before = account.seconds
            worked = act(account, found) or worked
            working[account.person] = now + (account.seconds - before)
        clock.advance(ROUND_SECONDS)
        quiet = 0.0 if worked else quiet + ROUND_SECONDS
        if worked:
            if on_work is not None:
                on_work()
            if done():
                return True
        if quiet >= idle_seconds:
            return True
    return False


def skip(ctx: Context, account: Account, offer_id: int) -> None:
    """Decline an offer the strategy does not do (it costs a glance)."""
    account.seconds += SKIP_SECONDS
    with contextlib.suppress(Conflict, NotFound):  # expired or withdrawn meanwhile
        offers.skip_offer(ctx, account.user_id, offer_id)
