"""Asking for work (SPEC §1, §6.6): the current offer, or when to ask again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.services.conftest import tiny_spec

from crowdset.services import campaigns, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.services.offers import NoOffer, ask_again_after


@pytest.mark.parametrize(
    ("task_seconds", "wait"),
    [
        ([10.0], 10),
        ([45.0, 10.0], 10),
        ([5.2], 6),
        ([0.5], 2),
        ([600.0], 60),
        ([], 60),
    ],
    ids=["one-task", "the-shortest", "rounded-up", "at-least-2", "at-most-60", "no-campaign"],
)
def test_ask_again_after(task_seconds: list[float], wait: int) -> None:
    assert ask_again_after(task_seconds) == wait


def launched(ctx: Context, requester: Principal, **overrides: object) -> int:
    view = campaigns.create_campaign(ctx, requester, tiny_spec(**overrides))
    campaigns.launch(ctx, requester, view.id)
    return view.id


def test_no_campaign_taking_work_says_a_minute(
    ctx: Context, make_worker: Callable[..., int]
) -> None:
    assert offers.ask_for_work(ctx, make_worker()) == NoOffer(60)


def test_a_refused_ask_waits_one_task(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, seconds_per_query=45, seconds_per_vote=7)
    unstaked = make_worker(stake=0)  # not a candidate: never drawn
    assert offers.ask_for_work(ctx, unstaked, campaign_id) == NoOffer(7)
    assert offers.next_offer(ctx, unstaked, campaign_id) is None
    staked = make_worker()  # alone among the candidates: always drawn
    found = offers.ask_for_work(ctx, staked, campaign_id)
    assert isinstance(found, OfferView) and found.kind == "write"
    assert offers.next_offer(ctx, staked, campaign_id) == found  # held: the same offer back


def test_the_wait_is_the_same_for_every_worker(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """Whatever their share, refused workers hear the same wait (following it keeps shares)."""
    campaign_id = launched(ctx, requester, seconds_per_vote=1)
    waits = set()
    workers = [make_worker(stake=stake) for stake in (1, 10, 100)]
    for _ in range(5):
        for worker in workers:
            found = offers.ask_for_work(ctx, worker, campaign_id)
            if isinstance(found, NoOffer):
                waits.add(found.retry_after_seconds)
    assert waits == {2}
