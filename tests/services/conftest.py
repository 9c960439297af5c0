"""Fixtures for campaign tests: a tiny spec, a funded requester, staked workers, and asking
for an offer of a kind (each ask is a draw)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.conftest import FakeClock

from crowdset.core.generation.spec import CampaignSpec, parse_spec
from crowdset.core.permissions import Role
from crowdset.services import accounts, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView

CREDIT = 100  # minor units per credit at the default two decimals
ASKS = 200  # a worker admitted with chance 1/10 misses 200 asks once in 10^9


def next_of_kind(
    ctx: Context, worker: int, kind: str, campaign_id: int, *, query_text: str | None = None
) -> OfferView:
    """The worker's next offer of ``kind`` (a vote on ``query_text``, when given); other offers
    are skipped (re-drawn). Asks again when nothing comes, after the wait the platform says (on
    a test's clock: moved on by it): an ask is admitted by a draw, one admission ticket a slot
    (``selection.tickets_won``), and a vote offer may be a control, which looks like any
    other."""
    for _ in range(ASKS):
        offer = offers.ask_for_work(ctx, worker, campaign_id)
        if isinstance(offer, offers.NoOffer):
            if isinstance(ctx.clock, FakeClock):
                ctx.clock.advance(seconds=offer.retry_after_seconds)
            continue
        if offer.kind == kind and query_text in (None, offer.query_text):
            return offer
        offers.skip_offer(ctx, worker, offer.id)
    wanted = kind if query_text is None else f"{kind} on {query_text!r}"
    raise AssertionError(f"worker {worker} never got a {wanted} offer in {ASKS} asks")


def tiny_spec(**overrides: Any) -> CampaignSpec:
    """Two intents, one slot each, cheap and fair: 0.80 per query, 0.20 per vote."""
    data: dict[str, Any] = {
        "name": "Lights",
        "language": "en",
        "intents": [
            {
                "name": "LightsOn",
                "description": "Switch the lights on",
                "target": 2,
                "slots": [{"name": "room", "values": ["kitchen", "bedroom"]}],
                "seeds": ["turn on the lights in the [room:kitchen]"],
            },
            {
                "name": "LightsOff",
                "description": "Switch the lights off",
                "target": 2,
                "slots": [{"name": "room", "values": ["kitchen", "bedroom"]}],
                "seeds": ["turn off the lights in the [room:bedroom]"],
            },
        ],
        "prices": {"per_query": "0.80", "per_vote": "0.20"},
        "min_stake": 1,
        "seconds_per_query": 45,
        "seconds_per_vote": 10,
        "max_slots_per_task": 1,
        "quality_weighting": False,
        "checks": {"min_words": 2, "max_words": 30},
    }
    data.update(overrides)
    return parse_spec(data)


@pytest.fixture
def requester(ctx: Context) -> Principal:
    user = accounts.create_user(
        ctx, email="req@campaign.test", password="correct horse", role="requester"
    )
    ledger.issue_credits(ctx, None, user.id, 10_000 * CREDIT)
    return Principal(user_id=user.id, role=Role.REQUESTER, email=user.email)


@pytest.fixture
def make_worker(ctx: Context) -> Callable[..., int]:
    """``make_worker(stake=50)``: a worker with 500 credits, ``stake`` of them staked."""
    counter = iter(range(1, 10_000))

    def make(stake: int = 50) -> int:
        user = accounts.create_user(
            ctx,
            email=f"w{next(counter)}@campaign.test",
            password="correct horse",
            role="worker",
        )
        ledger.issue_credits(ctx, None, user.id, 500 * CREDIT)
        if stake:
            ledger.stake(ctx, user.id, stake * CREDIT)
        return user.id

    return make
