"""A labeling campaign's bias report through the services, the API and the CLI (issue #21), on
SQLite and PostgreSQL: a group that rates higher is found, a group below the minimum size is
named and nothing more, and nobody sees a worker's own demographics."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.cli.test_campaign_cli import Cli

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.errors import InvalidInput
from crowdset.services import accounts, campaigns
from crowdset.services.accounts import Principal
from crowdset.services.campaign_bias import campaign_bias
from crowdset.services.context import Context
from crowdset.storage import labeling_store
from crowdset.storage.models import Judgment

RUBRIC = ["awful", "poor", "fair", "good", "great"]
ITEMS = 12


def rated_campaign(ctx: Context, requester: Principal) -> int:
    spec = parse_labeling_spec(
        {
            "name": "Cuteness",
            "type": "rate",
            "instructions": "How cute is it?",
            "rubric": RUBRIC,
            "price_per_judgment": "0.20",
            "gold": {"share": 0},
        }
    )
    rows = parse_items([{"id": f"pet{n}", "text": f"pet {n}"} for n in range(ITEMS)], spec)
    view = campaigns.create_campaign(ctx, requester, spec, rows)
    campaigns.launch(ctx, requester, view.id)
    return view.id


def rate_everything(
    ctx: Context, campaign_id: int, ratings: dict[int, Callable[[int], int]]
) -> None:
    """Each worker's rating of every item (set-up: the report reads stored judgments)."""

    def work(session: Session) -> None:
        items = labeling_store.items(session, campaign_id)
        for worker, rating in ratings.items():
            for n, item in enumerate(items):
                session.add(
                    Judgment(
                        campaign_id=campaign_id,
                        item_id=item.id,
                        worker_id=worker,
                        answer=rating(n),
                        gold=False,
                        kept=True,
                        pilot=False,
                        created_at=datetime(2026, 12, 1, tzinfo=UTC),
                    )
                )

    ctx.db.run(work)


def crowd_of(
    ctx: Context, requester: Principal, new_worker: Callable[[], int]
) -> tuple[int, dict[str, list[int]]]:
    """Twelve women who rate a star above twelve men on every item, three non-binary workers
    (fewer than the minimum of ten) and two who shared nothing."""
    campaign_id = rated_campaign(ctx, requester)
    people: dict[str, list[int]] = {"woman": [], "man": [], "non-binary": [], "": []}
    ratings: dict[int, Callable[[int], int]] = {}

    def rating(lift: int, k: int) -> Callable[[int], int]:
        return lambda n: 1 + (n + k) % 3 + lift  # stars 1-3 (+1), varied by item and worker

    for gender, count, lift in (("woman", 12, 1), ("man", 12, 0), ("non-binary", 3, 0), ("", 2, 0)):
        for k in range(count):
            worker = new_worker()
            if gender:
                accounts.set_demographics(ctx, worker, gender=gender, age_band="25-34")
            people[gender].append(worker)
            ratings[worker] = rating(lift, k)
    rate_everything(ctx, campaign_id, ratings)
    return campaign_id, people


@pytest.fixture
def crowd(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> tuple[int, dict[str, list[int]]]:
    return crowd_of(ctx, requester, make_worker)


def test_a_group_that_rates_higher_is_found(
    ctx: Context, requester: Principal, crowd: tuple[int, dict[str, list[int]]]
) -> None:
    campaign_id, _ = crowd
    report = campaign_bias(ctx, requester, campaign_id, "gender", permutations=500, resamples=200)
    assert report["level"] == "ratings" and report["min_group_size"] == 10
    by_group = {row["group"]: row for row in report["comparisons"]}
    assert set(by_group) == {"woman", "man"}
    assert by_group["woman"]["difference"] > 0.5 and by_group["woman"]["significant"]
    assert by_group["man"]["difference"] < -0.5
    assert report["counts"]["workers"] == 24  # the suppressed and the silent left out


def test_a_small_group_is_named_and_nothing_more(
    ctx: Context, requester: Principal, crowd: tuple[int, dict[str, list[int]]]
) -> None:
    campaign_id, _ = crowd
    report = campaign_bias(ctx, requester, campaign_id, "gender", permutations=200, resamples=0)
    assert report["suppressed_groups"] == ["non-binary"]
    text = json.dumps({k: v for k, v in report.items() if k != "suppressed_groups"})
    assert "non-binary" not in text
    assert {row["group"] for row in report["groups"]} == {"woman", "man"}


def test_one_group_is_no_comparison(
    ctx: Context, requester: Principal, crowd: tuple[int, dict[str, list[int]]]
) -> None:
    campaign_id, _ = crowd  # everyone who shared an age band shared 25-34
    with pytest.raises(InvalidInput):
        campaign_bias(ctx, requester, campaign_id, "age_band", permutations=100, resamples=0)
    with pytest.raises(InvalidInput, match="group by one of"):
        campaign_bias(ctx, requester, campaign_id, "shoe_size")


def test_the_api_and_the_cli_give_the_same_report(
    ctx: Context,
    requester: Principal,
    crowd: tuple[int, dict[str, list[int]]],
    tmp_path: Path,
    database_url: str,
) -> None:
    from fastapi.testclient import TestClient

    from crowdset.api.app import create_app

    campaign_id, people = crowd
    token = accounts.create_token(ctx, requester.user_id, name="t").secret
    client = TestClient(create_app(ctx.settings, ctx))
    answered = client.get(
        f"/api/v1/campaigns/{campaign_id}/bias",
        params={"by": "gender"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body == campaign_bias(ctx, requester, campaign_id, "gender")
    worker_token = accounts.create_token(ctx, people["woman"][0], name="t").secret
    refused = client.get(
        f"/api/v1/campaigns/{campaign_id}/bias",
        params={"by": "gender"},
        headers={"Authorization": f"Bearer {worker_token}"},
    )
    assert refused.status_code == 403  # a worker sees no campaign's report
    bad = client.get(
        f"/api/v1/campaigns/{campaign_id}/bias",
        params={"by": "shoe_size"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem")

    run = Cli(database_url)
    shown = run("campaign", "bias", str(campaign_id), "--by", "gender", "--format", "json")
    assert json.loads(shown.output) == body
    plot = tmp_path / "bias.svg"
    table = run("campaign", "bias", str(campaign_id), "--plot", plot).output
    assert "woman" in table and "suppressed" in table and "non-binary" in table
    assert plot.read_text().startswith("<svg") and "woman *" in plot.read_text()
