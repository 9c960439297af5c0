"""Asking for work without a campaign-wide lock (issue 16, decision record 0005).

An ask that gets nothing, or gets back the offer it holds, only reads; workers of one campaign
are served in parallel (one holding its claimed units while another's dispatch completes), and
however many ask at once, no item gets more offers than it needs, no worker more than
``max_open_offers`` and the escrow covers every offer in flight."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from tests.services.conftest import tiny_spec

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.core.ledger import escrow_account
from crowdset.services import campaigns, labeling, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.services.offers import NoOffer
from crowdset.settings import Settings
from crowdset.storage import campaign_store, ledger_store
from crowdset.storage.models import Offer

WRITING = ("INSERT", "UPDATE", "DELETE")
LOCKING = ("FOR UPDATE", "FOR SHARE", "BEGIN IMMEDIATE", "PG_ADVISORY")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # a connection for each of the 16 threads below: a busy machine must not turn a pool wait
    # into a 503 in a test about locks
    return settings.model_copy(update={"database_pool_size": 16, "database_max_overflow": 0})


@contextmanager
def recorded(ctx: Context) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", record)


def writes(statements: list[str]) -> list[str]:
    """The statements that write or take a write lock."""
    return [
        s
        for s in statements
        if s.lstrip().upper().startswith(WRITING) or any(k in s.upper() for k in LOCKING)
    ]


def launched(ctx: Context, requester: Principal, **overrides: object) -> int:
    view = campaigns.create_campaign(ctx, requester, tiny_spec(**overrides))
    campaigns.launch(ctx, requester, view.id)
    return view.id


def test_an_ask_that_gets_nothing_writes_nothing(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester)
    unstaked = make_worker(stake=0)  # never a candidate: every ask is a 204
    assert offers.ask_for_work(ctx, unstaked, campaign_id) == NoOffer(10)  # marked present
    with recorded(ctx) as statements:
        assert offers.ask_for_work(ctx, unstaked, campaign_id) == NoOffer(10)
    assert statements  # it did read
    assert writes(statements) == []


def test_an_ask_for_the_offer_one_holds_writes_nothing(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester)
    worker = make_worker()  # alone: admitted at every ask
    held = offers.ask_for_work(ctx, worker, campaign_id)
    assert isinstance(held, OfferView)
    with recorded(ctx) as statements:
        assert offers.ask_for_work(ctx, worker, campaign_id) == held
    assert writes(statements) == []


def open_offers(ctx: Context, campaign_id: int) -> list[Offer]:
    def work(session: Session) -> list[Offer]:
        return list(
            session.execute(
                select(Offer).where(
                    Offer.campaign_id == campaign_id, Offer.status.in_(("open", "accepted"))
                )
            ).scalars()
        )

    return ctx.db.run(work, readonly=True)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_of_one_campaign_are_served_at_once(
    ctx: Context,
    requester: Principal,
    make_worker: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first worker's dispatch claims its writing units and stops before its escrow
    check, transaction open; the second worker's whole ask completes meanwhile, with other
    units. (Under the campaign row lock the second waited for the first's commit.)"""
    campaign_id = launched(ctx, requester)  # four writing units, two offers a worker
    first, second = make_worker(), make_worker()  # equal stakes: admitted at every ask
    claimed, release = threading.Event(), threading.Event()
    guard = campaign_store.guard_escrow

    def paused(session: Session, found: int) -> None:
        if threading.current_thread().name == "first":
            claimed.set()
            assert release.wait(60)
        guard(session, found)

    monkeypatch.setattr(campaign_store, "guard_escrow", paused)
    answers: dict[str, object] = {}
    failures: list[BaseException] = []

    def ask(worker: int) -> None:
        try:
            answers[threading.current_thread().name] = offers.ask_for_work(ctx, worker, campaign_id)
        except BaseException as error:  # asserted below
            failures.append(error)

    holder = threading.Thread(target=ask, args=(first,), name="first")
    holder.start()
    try:
        assert claimed.wait(60), failures
        other = threading.Thread(target=ask, args=(second,), name="second")
        other.start()
        other.join(timeout=30)
        assert not other.is_alive(), "the second ask waited for the first's transaction"
        assert isinstance(answers["second"], OfferView)
        assert {o.worker_id for o in open_offers(ctx, campaign_id)} == {second}
    finally:
        release.set()
        holder.join(timeout=60)
    assert failures == []
    assert isinstance(answers["first"], OfferView)
    found = open_offers(ctx, campaign_id)
    assert Counter(o.worker_id for o in found) == {first: 2, second: 2}
    assert len({o.task_id for o in found}) == 4  # four units, each offered once


LABELS = [{"name": "pos"}, {"name": "neg"}]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_asks_never_overbook_an_item_a_worker_or_the_escrow(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """Sixteen threads, two per worker, ask at once and again: no item is offered twice
    (overlap 1), no worker holds more than two offers (even asking twice at once), the
    escrow covers them all."""
    spec = parse_labeling_spec(
        {
            "name": "Sentiment",
            "type": "classify",
            "instructions": "Positive or negative?",
            "labels": LABELS,
            "price_per_judgment": "0.20",
            "seconds_per_judgment": 10,
            "overlap": {"min": 1, "max": 1},
            "gold": {"share": 0},
            "max_open_offers": 2,
        }
    )
    rows = parse_items([{"id": f"i{n}", "text": f"item {n}"} for n in range(12)], spec)
    view = campaigns.create_campaign(ctx, requester, spec, rows)
    campaigns.launch(ctx, requester, view.id)
    workers = [make_worker() for _ in range(8)]  # equal stakes: admitted at every ask
    failures: list[BaseException] = []
    start = threading.Barrier(16)

    def asks(worker: int) -> None:
        try:
            start.wait(timeout=60)
            for _ in range(3):
                offers.ask_for_work(ctx, worker, view.id)
        except BaseException as error:  # asserted below
            failures.append(error)

    threads = [threading.Thread(target=asks, args=(w,)) for w in workers for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    found = open_offers(ctx, view.id)
    assert 0 < len(found) <= 12
    assert max(Counter(o.item_id for o in found).values()) == 1
    assert max(Counter(o.worker_id for o in found).values()) <= 2
    exposure = labeling.pricing_of(ctx, spec).exposure

    def escrow(session: Session) -> int:
        return ledger_store.balance_of(session, escrow_account(view.id))

    assert len(found) * exposure <= ctx.db.run(escrow, readonly=True)
