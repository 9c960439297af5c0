"""The mechanism dry-run on the pages (SPEC §6.9, issue #14): a requester starts it from the
new-campaign forms (generation and labeling) with its options, each problem at its field; the
run's page shows the progress while it runs (refreshed by htmx) and, once done, the table per
strategy against the fair wage with misses in red; it is its owner's alone."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from crowdset.services.context import Context
from crowdset.services.dry_runs import DryRuns, RunStatus
from tests.services.test_dry_runs import TINY, Gate
from tests.web.conftest import LABELING_ITEMS, LABELING_SPEC, NO_ONBOARDING, Browser, principal
from tests.web.html import error_at, field_value, parse


def _registry(browser: Browser) -> DryRuns[Any]:
    runs: DryRuns[Any] = browser.client.app.state.dry_runs  # type: ignore[attr-defined]
    return runs


def _dry_run(browser: Browser, spec: str, **options: str) -> Any:
    return browser.post(
        "/campaigns/new",
        {"source": "spec", "spec": spec, "action": "dry-run", **options},
        token_from="/campaigns/new",
    )


def test_the_new_campaign_forms_offer_a_dry_run(as_role: Callable[[str], Browser]) -> None:
    page = as_role("requester").page("/campaigns/new")
    for form_id, prefix in (("guided-form", "guided"), ("spec-form", "spec"),
                            ("labeling-form", "labeling")):  # fmt: skip
        form = page.by_id(form_id)
        assert form.find_all("button", value="dry-run")[0].text == "Dry-run"
        assert form.find_all("input", id=f"{prefix}-dry_mix")
        assert form.find_all("input", id=f"{prefix}-dry_workers")
    assert page.by_id("labeling-form").find_all("input", name="truth_file")
    assert not page.by_id("spec-form").find_all("input", name="truth_file")


def test_a_dry_run_from_a_pasted_spec_shows_progress_then_its_table(
    ctx: Context, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    started = _dry_run(requester, TINY, dry_mix="spammer=0.5", dry_workers="4", dry_seed="2")
    assert started.status_code == 303, started.text[:500]
    path = started.headers["location"]
    run_id = path.rsplit("/", 1)[-1]
    assert path == f"/dry-runs/{run_id}"
    first = requester.page(path)
    assert "Dry-run of “Tiny lights”" in first.find_all("h1")[0].text
    status = first.by_id("dry-run-status")
    if status.attrs.get("hx-get"):  # still going: htmx polls the status part
        assert status.attrs["hx-get"] == f"{path}/status"
        assert first.has_id("dry-run-progress")

    done = _registry(requester).wait(run_id, timeout=240)
    assert done.status is RunStatus.DONE, done.error
    page = requester.page(path)
    assert "hx-get" not in page.by_id("dry-run-status").attrs  # polling stops
    table = page.by_id("dry-run-table")
    assert "fair wage of 60.00" in table.text
    assert {row.attrs["id"] for row in table.find_all("tr") if "id" in row.attrs} == {
        "dry-run-honest",
        "dry-run-spammer",
    }
    report = done.report
    assert report is not None and report.seed == 2
    for row in report.strategies:  # red exactly where the strategy misses its target
        cell = page.by_id(f"dry-run-{row.strategy}").find_all("td", class_="net-per-hour bad-text")
        assert bool(cell) == (row.meets_target is False), row
    series = json.loads(page.by_id("dry-run-series").text)
    assert series["labels"] == ["honest", "spammer"] and series["fair"] == 60.0
    fragment = requester.get(f"{path}/status")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="dry-run-table"' in fragment.text


def test_problems_show_at_their_field(as_role: Callable[[str], Browser]) -> None:
    requester = as_role("requester")
    bad = _dry_run(requester, TINY.replace("target: 2\n", "target: -2\n", 1))
    assert bad.status_code == 422
    assert "intents[0].target" in error_at(parse(bad.text), "spec")

    mix = _dry_run(requester, TINY, dry_mix="lazy=0.5", dry_workers="4")
    assert mix.status_code == 422
    page = parse(mix.text)
    assert "mix: no strategy is called 'lazy'" in error_at(page, "spec-dry_mix")
    assert "open" in page.by_id("spec-dry-run-options").attrs
    assert field_value(page, "spec-dry_workers") == "4"  # what was typed comes back
    assert TINY.splitlines()[0] in field_value(page, "spec")

    few = parse(_dry_run(requester, TINY, dry_workers="1").text)
    assert "Workers must be a whole number from 2 to 200" in error_at(few, "spec-dry_workers")

    guided = requester.post(
        "/campaigns/new",
        {
            "source": "form",
            "name": "",
            "language": "en",
            "per_query": "0.80",
            "per_vote": "0.20",
            "validators_per_query": "3",
            "min_stake": "10",
            "intents": "- name: X",
            "action": "dry-run",
        },
        token_from="/campaigns/new",
    )
    assert guided.status_code == 422  # the guided form's spec problems, as for the cost


def test_one_run_at_a_time_is_said_at_the_button(
    ctx: Context, as_role: Callable[[str], Browser]
) -> None:
    requester = as_role("requester")
    assert requester.user_id is not None
    gate = Gate()
    runs = _registry(requester)
    run = runs.start(principal(ctx, requester.user_id), "Tiny lights", gate)
    try:
        refused = _dry_run(requester, TINY, dry_workers="4")
        assert refused.status_code == 422
        message = parse(refused.text).by_id("spec-dry_run-error").text
        assert f"your dry-run {run.id} of “Tiny lights” is still running" in message
        page = requester.page(f"/dry-runs/{run.id}")
        assert page.by_id("dry-run-status").attrs["hx-get"] == f"/dry-runs/{run.id}/status"
        assert "With attackers: accepted queries" in page.by_id("dry-run-status").text
        assert page.by_id("dry-run-progress").attrs["value"] == "3"
    finally:
        gate.opened.set()
        runs.wait(run.id, timeout=10)


def test_a_run_is_its_owners_alone(ctx: Context, as_role: Callable[[str], Browser]) -> None:
    owner = as_role("requester")
    assert owner.user_id is not None
    gate = Gate()
    runs = _registry(owner)
    run = runs.start(principal(ctx, owner.user_id), "Tiny lights", gate)
    try:
        assert as_role("requester_b").get(f"/dry-runs/{run.id}").status_code == 404
        assert as_role("requester_b").get(f"/dry-runs/{run.id}/status").status_code == 404
        assert as_role("worker").get(f"/dry-runs/{run.id}").status_code == 403
        assert as_role("operator").get(f"/dry-runs/{run.id}").status_code == 200
        anonymous = as_role("anonymous").get(f"/dry-runs/{run.id}", follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    finally:
        gate.opened.set()
        runs.wait(run.id, timeout=10)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode()


def test_a_labeling_dry_run_takes_the_items_and_a_truth_file(
    as_role: Callable[[str], Browser],
) -> None:
    requester = as_role("requester")
    spec = json.dumps({**LABELING_SPEC, **NO_ONBOARDING})

    def post(truth: tuple[str, bytes]) -> Any:
        return requester.post(
            "/campaigns/new",
            {
                "source": "labeling",
                "labeling_spec": spec,
                "action": "dry-run",
                "dry_mix": "same_label=0.5",
                "dry_workers": "4",
            },
            token_from="/campaigns/new",
            files={
                "items_file": ("items.csv", io.BytesIO(_csv(LABELING_ITEMS)), "text/csv"),
                "truth_file": (truth[0], io.BytesIO(truth[1]), "text/csv"),
            },
        )

    wrong = post(("answers.csv", b"id,label\nr1,pos\n"))
    assert wrong.status_code == 422
    assert "answers.csv: no truth column" in error_at(parse(wrong.text), "truth_file")

    started = post(("truth.csv", b"id,truth\nr1,pos\nr2,neg\n"))
    assert started.status_code == 303, started.text[:500]
    run_id = started.headers["location"].rsplit("/", 1)[-1]
    done = _registry(requester).wait(run_id, timeout=240)
    assert done.status is RunStatus.DONE, done.error
    assert done.report is not None and done.report.workflow == "labeling"
    table = requester.page(f"/dry-runs/{run_id}").by_id("dry-run-table")
    assert table.find_all("tr", id="dry-run-same_label")
