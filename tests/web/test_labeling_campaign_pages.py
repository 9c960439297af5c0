"""A requester's labeling campaign on the pages (SPEC §3): a new one from a spec and an uploaded
items file, with each problem at its field; the dashboard (progress, judgments dynamic overlap
saved, workers' accuracy, a revoked spammer, the guarantee, the results), the pilot and audits."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
import yaml

from crowdset.services import campaigns, labeling, labeling_reports, ledger, offers
from crowdset.services.context import Context
from tests.web.conftest import (
    LABELING_ITEMS,
    LABELING_SPEC,
    LABELING_STAKE,
    LABELING_TRUTH,
    MORE_LABELING_ITEMS,
    NO_ONBOARDING,
    Browser,
    People,
    labeling_campaign,
    principal,
    running_campaign,
)
from tests.web.html import error_at, field_value, parse


def _csv(rows: list[dict[str, Any]]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode()


def _create(
    requester: Browser,
    spec: dict[str, Any] | str,
    items: tuple[str, bytes] | None,
    action: str = "create",
) -> Any:
    text = spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False)
    files = {"items_file": (items[0], items[1], "application/octet-stream")} if items else None
    return requester.post(
        "/campaigns/new",
        {"source": "labeling", "labeling_spec": text, "action": action},
        token_from="/campaigns/new",
        files=files,
    )


IDLE_ROUNDS = 30  # asking is a draw: one round with no offer does not mean none is left


def _answer_everything(
    ctx: Context, workers: list[int], campaign: int, answer: Callable[[str], object]
) -> None:
    """Each worker answers every offer they get, ``answer(item text)``, until none is left:
    until nobody got an offer for ``IDLE_ROUNDS`` rounds in a row (a worker lighter than the
    heaviest active one wins a slot's admission ticket with weight / largest weight: each round
    is a minute later, a new slot)."""
    idle = 0
    while idle < IDLE_ROUNDS:
        ctx.clock.advance(minutes=1)  # type: ignore[attr-defined]  # the test's FakeClock
        answered = False
        for worker in workers:
            offer = offers.next_offer(ctx, worker, campaign)
            if offer is not None:
                labeling.submit_label(ctx, worker, offer.id, answer(offer.item_text or ""))
                answered = True
        idle = 0 if answered else idle + 1


# --- a new labeling campaign ------------------------------------------------------------------


def test_a_labeling_campaign_from_a_spec_and_an_items_file(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    form = requester.page("/campaigns/new").by_id("labeling-form")
    assert form.attrs["enctype"] == "multipart/form-data"
    assert form.find_all("input", name="items_file")
    items = ("reviews.csv", _csv(LABELING_ITEMS))
    checked = _create(requester, LABELING_SPEC, items, action="estimate")
    assert checked.status_code == 200
    page = parse(checked.text)
    cost = page.by_id("labeling-cost").text
    assert "Checked with reviews.csv: 4 items to label and 2 gold items." in cost
    # 4 items × 3 judgments at most, a 25% gold share on top (4 more) and the controls of
    # probation, at most what 12 judgments made on probation take beyond the share
    # (ceil(12 × (1 − 1/3)) = 8); 0.20 + 10% fee each: 24 × 0.22
    assert page.by_id("labeling-estimate-total").text == "5.28 credit"
    assert "against a floor of 0.17 credit" in page.by_id("labeling-wage-floor").text
    assert "name: Sentiment" in field_value(page, "labeling_spec")  # kept to create from
    assert campaigns.list_campaigns(ctx, principal(ctx, people.requester)) == []

    created = _create(requester, LABELING_SPEC, items)
    assert created.status_code == 303
    page = requester.page(created.headers["location"])
    assert "with 6 items (2 gold)" in page.text
    assert page.by_id("campaign-status").text == "draft"
    assert page.by_id("labeling-estimate-total").text == "5.28 credit"
    assert page.by_id("items-settled").text == "0 / 4"
    (view,) = campaigns.list_campaigns(ctx, principal(ctx, people.requester))
    assert (view.kind, view.name) == ("classify", "Sentiment")


@pytest.mark.parametrize("extension", ["jsonl", "parquet"])
def test_items_files_in_jsonl_and_parquet(
    people: People, as_role: Callable[[str], Browser], extension: str
) -> None:
    frame = pd.DataFrame(LABELING_ITEMS)
    buffer = io.BytesIO()
    if extension == "jsonl":
        buffer.write(frame.to_json(orient="records", lines=True).encode())
    else:
        frame.to_parquet(buffer)
    response = _create(
        as_role("requester"), LABELING_SPEC, (f"items.{extension}", buffer.getvalue()), "estimate"
    )
    assert response.status_code == 200, response.text[:2000]
    assert "4 items to label and 2 gold items" in parse(response.text).by_id("labeling-cost").text


@pytest.mark.parametrize(
    ("spec", "messages"),
    [
        pytest.param(
            LABELING_SPEC | {"labels": [{"name": "only"}], "tutorial": [], "qualifier": None},
            ["a classify campaign needs at least two labels"],
            id="one-label",
        ),
        pytest.param(
            LABELING_SPEC | {"seconds_per_judgment": 0, "overlap": {"min": 4, "max": 2}},
            ["seconds_per_judgment: Input should be greater than 0", "min 4 is above max 2"],
            id="two-problems",
        ),
        pytest.param(
            LABELING_SPEC | {"tutorial": [{"text": "Meh", "answer": "maybe"}]},
            ["tutorial[0].answer: 'maybe' is not one of pos, neg"],
            id="tutorial-answer",
        ),
        pytest.param(
            LABELING_SPEC | {"price_per_judgment": "0.01"},
            ["price_per_judgment", "0.17"],
            id="under-priced",
        ),
        pytest.param("name: [unclosed", ["spec"], id="not-yaml"),
    ],
)
def test_spec_problems_show_at_the_spec_with_their_paths(
    people: People, as_role: Callable[[str], Browser], spec: Any, messages: list[str]
) -> None:
    response = _create(as_role("requester"), spec, ("items.csv", _csv(LABELING_ITEMS)))
    assert response.status_code == 422
    page = parse(response.text)
    shown = error_at(page, "labeling_spec")
    for message in messages:
        assert message in shown, shown
    assert page.by_id("labeling_spec").attrs.get("autofocus") is not None
    typed = spec if isinstance(spec, str) else "name: Sentiment"
    assert typed in field_value(page, "labeling_spec")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "items.csv",
            _csv(
                [
                    {"id": "a", "text": "fine", "gold": "pos"},
                    {"id": "b", "text": "x", "gold": "maybe"},
                ]
            ),
            "items.csv: row 2, column 'gold': 'maybe' is not one of pos, neg",
            id="bad-gold",
        ),
        pytest.param(
            "items.csv",
            _csv(
                [{"id": "a", "text": "fine", "gold": "pos"}, {"id": "a", "text": "x", "gold": ""}]
            ),
            "items.csv: row 2, column 'id': id 'a' is used twice",
            id="id-twice",
        ),
        pytest.param(
            "items.csv",
            _csv([{"id": "a", "text": "fine", "colour": "red"}]),
            "items.csv: row 1: unknown column(s) colour",
            id="unknown-column",
        ),
        pytest.param(
            "items.csv",
            _csv([{"id": "a", "image": "/etc/photo.png", "gold": "pos"}, {"id": "b", "text": "y"}]),
            "row 1, column 'image': image must be an http(s) URL",
            id="local-image",
        ),
        pytest.param(
            "items.jsonl",
            b'{"id": "a", "text": "fine"}\nnot json\n',
            "'items.jsonl' line 2 is not valid JSON",
            id="bad-jsonl",
        ),
        pytest.param("items.xlsx", b"PK", "from its extension '.xlsx'", id="extension"),
    ],
)
def test_items_problems_name_the_row_and_column(
    people: People, as_role: Callable[[str], Browser], name: str, content: bytes, message: str
) -> None:
    response = _create(as_role("requester"), LABELING_SPEC, (name, content))
    assert response.status_code == 422
    page = parse(response.text)
    assert message in error_at(page, "items_file")
    assert "/tmp" not in page.by_id("items_file-error").text  # the requester's name, not ours
    assert "name: Sentiment" in field_value(page, "labeling_spec")


def test_a_labeling_campaign_needs_its_items_file(
    people: People, as_role: Callable[[str], Browser]
) -> None:
    response = _create(as_role("requester"), LABELING_SPEC, None)
    assert response.status_code == 422
    assert "Choose the items file" in error_at(parse(response.text), "items_file")


# --- the requester's dashboard ----------------------------------------------------------------


def test_the_dashboard_shows_progress_overlap_workers_revocations_and_results(
    ctx: Context,
    people: People,
    as_role: Callable[[str], Browser],
    make_user: Callable[..., int],
) -> None:
    campaign = labeling_campaign(
        ctx,
        people.requester,
        [*LABELING_ITEMS, *MORE_LABELING_ITEMS],
        **NO_ONBOARDING,
        gold={"share": 0.5},
        quality={"bar": 0.8, "min_answers": 2},
        overlap={"min": 2, "max": 3, "confidence": 0.75},
        guarantee={"target": 0.9},
    )
    honest = [make_user("worker", credits=1_000) for _ in range(3)]
    spammer = make_user("worker", credits=1_000)
    for worker in [*honest, spammer]:
        ledger.stake(ctx, worker, 500)
    _answer_everything(ctx, honest[:1], campaign, lambda text: LABELING_TRUTH[text])
    _answer_everything(
        ctx, [spammer], campaign, lambda text: "neg" if LABELING_TRUTH[text] == "pos" else "pos"
    )
    _answer_everything(ctx, honest, campaign, lambda text: LABELING_TRUTH[text])

    requester = as_role("requester")
    page = requester.page(f"/campaigns/{campaign}")
    report = labeling_reports.report(ctx, principal(ctx, people.requester), campaign)
    assert page.by_id("items-settled").text == f"{report.settled} / 8"
    assert report.settled == 8
    assert page.by_id("judgments").text == str(report.judgments)
    assert page.by_id("judgments-saved").text == str(report.judgments_saved)
    assert report.judgments_saved > 0
    assert "would have taken 24" in page.by_id("overlap-note").text
    rows = page.by_id("workers").find_all("tr")[1:]
    assert len(rows) == 4
    revoked = [r for r in rows if r.attrs.get("class") == "revoked"]
    assert len(revoked) == 1 and "revoked" in revoked[0].text
    svg = revoked[0].find_all("svg")[0]
    assert svg.attrs["role"] == "img" and "bar 80%" in svg.attrs["aria-label"]
    assert page.by_id("revoked-count").text == "1"
    agreement = report.agreement  # four workers on eight items: α is defined
    assert agreement is not None and agreement.level == "nominal" and agreement.items == 8
    assert agreement.low <= agreement.alpha <= agreement.high
    assert page.by_id("agreement").text.startswith(f"{agreement.alpha:.2f} (")
    events = page.by_id("events").text
    assert "revoked: accuracy" in events and "below the bar of 80%" in events
    assert "re-queued" in events
    assert page.by_id("guarantee-status").text in ("met", "at risk", "undecided")
    assert "Wilson interval" in page.by_id("guarantee-interval").text
    preview = page.by_id("results-preview").text
    assert "r1" in preview and "g1" not in preview  # gold items are not results
    live = requester.get(f"/campaigns/{campaign}/live")
    assert live.status_code == 200 and "<html" not in live.text
    assert 'hx-trigger="every 5s"' in live.text and 'id="workers"' in live.text

    csv = requester.get(f"/campaigns/{campaign}/results/csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert f'filename="campaign-{campaign}-results.csv"' in csv.headers["content-disposition"]
    frame = pd.read_csv(io.StringIO(csv.text))
    truth = {
        row["id"]: LABELING_TRUTH[row["text"]] for row in [*LABELING_ITEMS, *MORE_LABELING_ITEMS]
    }
    assert dict(zip(frame["item"], frame["answer"], strict=True)) == {
        key: answer for key, answer in truth.items() if key.startswith("r")
    }
    jsonl = requester.get(f"/campaigns/{campaign}/results/jsonl")
    records = [json.loads(line) for line in jsonl.text.splitlines()]
    assert {r["item"] for r in records} == {f"r{n}" for n in range(1, 9)}
    assert all(r["status"] == "settled" and r["judgments"] >= 2 for r in records)
    assert requester.get(f"/campaigns/{campaign}/results/xlsx").status_code == 404

    listed = requester.page("/campaigns")
    assert "8 / 8 settled" in listed.text


def test_the_generation_dashboard_is_unchanged_beside_labeling_campaigns(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    generation = running_campaign(ctx, people.requester)
    labeling_campaign(ctx, people.requester)
    requester = as_role("requester")
    page = requester.page(f"/campaigns/{generation}")
    assert page.by_id("accepted-total").text == "0 / 2"
    assert page.has_id("campaign-series") and not page.has_id("workers")
    listed = requester.page("/campaigns").text
    assert "0 / 2 accepted" in listed and "0 / 4 settled" in listed
    worker = as_role("worker")
    assert "Lights" in worker.page("/work").text  # the open generation campaign, still listed
    assert worker.get("/").status_code == 200


def test_the_pilot_holds_work_until_the_requester_accepts_it(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = labeling_campaign(
        ctx, people.requester, **NO_ONBOARDING, pilot={"units": 2}, gold={"share": 0}
    )
    requester = as_role("requester")
    page = requester.page(f"/campaigns/{campaign}")
    assert page.by_id("campaign-status").text == "pilot"
    assert page.by_id("pilot-progress").text == "0 / 2"
    assert "Work stops at 2 judgments until you accept the pilot." in page.by_id("pilot").text
    ledger.stake(ctx, people.worker, LABELING_STAKE)
    _answer_everything(ctx, [people.worker], campaign, lambda _: "pos")
    page = requester.page(f"/campaigns/{campaign}")
    assert page.by_id("pilot-progress").text == "2 / 2"
    assert "The pilot is complete." in page.by_id("pilot").text
    assert "Pilot complete: 2 judgments." in page.by_id("events").text
    assert not page.has_id("action-accept-pilot")  # one button, on the pilot's card
    accepted = requester.post(f"/campaigns/{campaign}/accept-pilot")
    assert accepted.headers["location"] == f"/campaigns/{campaign}"
    page = requester.page(f"/campaigns/{campaign}")
    assert page.by_id("campaign-status").text == "running"
    assert "moved past its pilot" in page.text
    assert not page.has_id("pilot")
    assert "Pilot accepted" in page.by_id("events").text
    again = requester.post(f"/campaigns/{campaign}/accept-pilot")
    assert again.status_code == 303
    assert (
        "only a pilot campaign can be moved past its pilot"
        in requester.get(f"/campaigns/{campaign}").text
    )


def test_audits_count_toward_the_guarantee_and_refuse_bad_input_at_the_field(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = labeling_campaign(
        ctx,
        people.requester,
        **NO_ONBOARDING,
        gold={"share": 0},
        overlap={"min": 1, "max": 1},
        guarantee={"target": 0.8},
    )
    ledger.stake(ctx, people.worker, LABELING_STAKE)
    _answer_everything(ctx, [people.worker], campaign, lambda text: LABELING_TRUTH[text])
    requester = as_role("requester")
    for item, verdict in (("r1", "correct"), ("r2", "correct"), ("r3", "wrong")):
        done = requester.post(f"/campaigns/{campaign}/audit", {"item": item, "verdict": verdict})
        assert done.status_code == 303, done.text[:1000]
    page = requester.page(f"/campaigns/{campaign}")
    assert "Item r3 audited: its label is wrong." in page.text
    assert "2 of 3 checked labels correct" in page.by_id("guarantee-interval").text
    assert "3 audits" in page.by_id("guarantee-interval").text
    assert "Item r3 audited: wrong." in page.by_id("events").text

    unknown = requester.post(f"/campaigns/{campaign}/audit", {"item": "r9", "verdict": "correct"})
    assert unknown.status_code == 422
    page = parse(unknown.text)
    assert f"campaign {campaign} has no item 'r9'" in error_at(page, "audit-item")
    assert field_value(page, "audit-item") == "r9"
    gold = requester.post(f"/campaigns/{campaign}/audit", {"item": "g1", "verdict": "wrong"})
    assert "has no delivered label to audit" in error_at(parse(gold.text), "audit-item")
    empty = parse(requester.post(f"/campaigns/{campaign}/audit", {"item": "r1"}).text)
    assert "correct or wrong" in error_at(empty, "verdict")


def test_a_generation_campaign_takes_no_audit(
    ctx: Context, people: People, as_role: Callable[[str], Browser]
) -> None:
    campaign = running_campaign(ctx, people.requester)
    response = as_role("requester").post(
        f"/campaigns/{campaign}/audit", {"item": "r1", "verdict": "correct"}
    )
    assert response.status_code == 422
    assert "audits are for labeling campaigns" in response.text
