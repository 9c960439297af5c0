"""What a worker's cycle asks of the database (issue 16): on SQLite and PostgreSQL, asking for
the offer one holds and answering it read each row once. Every statement is a round trip and
most of a cycle's CPU (SQLAlchemy and the driver), so a second read of the same row is a cost
paid by every worker on every task."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from tests.services.test_offers_concurrency import recorded

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.services import campaigns, labeling, offers
from crowdset.services.accounts import Principal, authenticate_token, create_token
from crowdset.services.context import Context
from crowdset.services.generation import OfferView

LABELS = [{"name": "pos", "description": "liked it"}, {"name": "neg", "description": "did not"}]


def read_tables(statements: list[str]) -> Counter[str]:
    """How many SELECTs read each table (by the first table after FROM)."""
    tables: Counter[str] = Counter()
    for statement in statements:
        words = statement.split()
        if words and words[0].upper() == "SELECT" and "FROM" in words:
            tables[words[words.index("FROM") + 1]] += 1
    return tables


def labeling_campaign(ctx: Context, requester: Principal) -> int:
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
        }
    )
    rows = parse_items([{"id": f"i{n}", "text": f"item {n}"} for n in range(6)], spec)
    view = campaigns.create_campaign(ctx, requester, spec, rows)
    campaigns.launch(ctx, requester, view.id)
    return view.id


def test_asking_for_a_held_offer_reads_the_campaign_once(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = labeling_campaign(ctx, requester)
    worker = make_worker()
    held = offers.ask_for_work(ctx, worker, campaign_id)
    assert isinstance(held, OfferView)
    with recorded(ctx) as statements:
        assert offers.ask_for_work(ctx, worker, campaign_id) == held
    tables = read_tables(statements)
    assert tables["campaigns"] == 1, statements
    assert max(tables.values()) == 1, tables  # no row read twice


def test_answering_reads_the_worker_s_records_once(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = labeling_campaign(ctx, requester)
    worker = make_worker()
    first = offers.next_offer(ctx, worker, campaign_id)
    assert first is not None
    labeling.submit_label(ctx, worker, first.id, "pos")  # the worker's records now exist
    offer = offers.next_offer(ctx, worker, campaign_id)
    assert offer is not None
    with recorded(ctx) as statements:
        labeling.submit_label(ctx, worker, offer.id, "neg")
    tables = read_tables(statements)
    # once locked for the answer; the item's settlement reads the records of its judges
    assert tables["worker_tracks"] <= 2, statements
    assert tables["campaigns"] <= 2, statements  # its kind, then share-locked


def test_a_token_and_its_user_are_one_query(ctx: Context, make_worker: Callable[..., int]) -> None:
    worker = make_worker()
    secret = create_token(ctx, worker, name="cli").secret
    with recorded(ctx) as statements:
        assert authenticate_token(ctx, secret).user_id == worker
    assert sum(s.split()[0].upper() == "SELECT" for s in statements) == 1, statements
