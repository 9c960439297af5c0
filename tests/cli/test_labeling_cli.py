"""``crowdset campaign …`` and ``crowdset sim label`` for labeling campaigns (SPEC §3), over a
real database: the example specs and items become campaigns, a simulated crowd labels one, and
the report, results, audits and pilot work from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.test_campaign_cli import EXAMPLE as LIGHTS
from tests.cli.test_campaign_cli import REQUESTER, Cli

EXAMPLES = Path(__file__).parents[2] / "examples"
SENTIMENT = EXAMPLES / "sentiment.yaml"
SENTIMENT_ITEMS = EXAMPLES / "sentiment-items.csv"
SENTIMENT_TRUTH = EXAMPLES / "sentiment-truth.csv"
RATINGS = EXAMPLES / "ratings.yaml"
RATINGS_ITEMS = EXAMPLES / "ratings-items.jsonl"

SMALL = """\
name: Small sentiment
type: classify
instructions: Positive or negative?
labels: [{name: pos}, {name: neg}]
price_per_judgment: 0.20
overlap: {min: 1, max: 1}
gold: {share: 0}
pilot: {units: 1}
"""


@pytest.fixture
def cli(database_url: str) -> Cli:
    """The CLI, with a requester holding 1,000 credits."""
    run = Cli(database_url)
    run("user", "create", REQUESTER, "--role", "requester", "--password", "correct horse")
    run("ledger", "issue", REQUESTER, "1000")
    return run


@pytest.mark.parametrize(
    ("spec", "items", "kind", "counts", "escrow"),
    [
        # 32 items × 5 judgments = 160, plus ceil(160 × 0.15 / 0.85) = 29 gold and 50 controls
        # of probation (5 for each of 10 workers), at 0.06 + 0.01
        pytest.param(
            SENTIMENT, SENTIMENT_ITEMS, "classify", (32, 8), "16.73 credit", id="sentiment"
        ),
        # 16 items × 5 judgments = 80, plus ceil(80 × 0.1 / 0.9) = 9 gold and 72 controls of
        # probation (10 for each of 10 workers at the rate track's bar of 0.8, at most
        # ceil(80 × (1 − 1/9))), at 0.10 + 0.01
        pytest.param(RATINGS, RATINGS_ITEMS, "rate", (16, 3), "17.71 credit", id="ratings"),
    ],
)
def test_the_examples_estimate_and_create(
    cli: Cli, spec: Path, items: Path, kind: str, counts: tuple[int, int], escrow: str
) -> None:
    estimate = cli("campaign", "estimate", spec, "--items", items).output
    row = next(line for line in estimate.splitlines() if "items to label" in line)
    assert row.split("│")[2].strip() == str(counts[0]), estimate
    assert escrow in estimate
    created = cli("campaign", "create", spec, "--items", items, "--as", REQUESTER).output
    assert f"created (draft, {kind}, {counts[0]} items and {counts[1]} gold items)" in created
    assert f"launching moves {escrow} into escrow" in created
    listed = cli("campaign", "list", "--as", REQUESTER).output
    assert kind in listed and "draft" in listed


def test_a_labeling_spec_needs_its_items_and_a_generation_spec_takes_none(cli: Cli) -> None:
    missing = cli("campaign", "create", SENTIMENT, "--as", REQUESTER, code=2)
    assert "a classify campaign needs its items: pass --items FILE" in missing.stderr
    assert "needs its items" in cli("campaign", "estimate", RATINGS, code=2).stderr
    extra = cli("campaign", "create", LIGHTS, "--items", SENTIMENT_ITEMS, "--as", REQUESTER, code=2)
    assert "--items is for labeling campaigns" in extra.stderr


def test_a_bad_items_file_exits_2_naming_the_row_and_column(cli: Cli, tmp_path: Path) -> None:
    items = tmp_path / "items.csv"
    items.write_text("id,text,gold\na,fine,positive\nb,odd,great\n", encoding="utf-8")
    result = cli("campaign", "create", SENTIMENT, "--items", items, "--as", REQUESTER, code=2)
    assert "(import_failed)" in result.stderr
    assert f"{items}: row 2, column 'gold': 'great' is not one of" in result.stderr
    assert "Review sentiment" not in cli("campaign", "list", "--as", REQUESTER).output


def test_a_simulated_crowd_labels_the_example_end_to_end(cli: Cli, tmp_path: Path) -> None:
    created = cli(
        "campaign", "create", SENTIMENT, "--items", SENTIMENT_ITEMS, "--as", REQUESTER, "--launch"
    ).output
    assert "campaign 1 is running" in created
    worked = cli(
        "sim", "label", "1", "--workers", "10", "--spammers", "0.3", "--seed", "2",
        "--truth", SENTIMENT_TRUTH,
    ).output  # fmt: skip
    assert "Income by kind" in worked
    assert "32/32 items settled" in worked
    assert "next: crowdset campaign report 1" in worked

    report = cli("campaign", "report", "1").output
    assert "Campaign 1 (classify): running" in report
    for column in ("answers", "gold right", "accuracy", "95 % interval", "revoked"):
        assert column in report
    assert "items settled 32/32 (plus 8 gold)" in report
    assert "dynamic overlap: settled items took" in report and "saved" in report
    assert "guarantee: 90% correct" in report and "Wilson 95% interval" in report
    assert cli("campaign", "status", "1").output == report  # status shows the report

    out = tmp_path / "labels.csv"
    written = cli("campaign", "results", "1", "-o", out).output
    assert f"32 items written to {out} (32 settled)" in written
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["item"] for r in rows] == [f"rev-{n:03d}" for n in range(1, 33)]
    truth = dict(csv.reader(io.StringIO(SENTIMENT_TRUTH.read_text(encoding="utf-8"))))
    right = sum(r["answer"] == truth[r["item"]] for r in rows)
    assert right >= 26, right  # honest majority: most delivered labels are right
    jsonl = tmp_path / "labels.jsonl"
    cli("campaign", "results", "1", "-o", jsonl)
    assert json.loads(jsonl.read_text().splitlines()[0])["item"] == "rev-001"

    audited = cli("campaign", "audit", "1", "rev-001", "--correct").output
    assert "item rev-001 audited: correct" in audited and "guarantee:" in audited
    assert "(1 audits)" in cli("campaign", "report", "1").output
    gold = cli("campaign", "audit", "1", "chk-001", "--wrong", code=2)
    assert "no delivered label to audit yet" in gold.stderr
    unknown = cli("campaign", "audit", "1", "nope", "--wrong", code=3)
    assert "campaign 1 has no item 'nope'" in unknown.stderr

    closed = cli("campaign", "close", "1").output
    assert "campaign 1 is closed;" in closed and "refunded" in closed
    assert "ledger intact" in cli("ledger", "verify").output


def test_generation_commands_refuse_a_labeling_campaign(cli: Cli, tmp_path: Path) -> None:
    cli("campaign", "create", SENTIMENT, "--items", SENTIMENT_ITEMS, "--as", REQUESTER, "--launch")
    exported = cli("campaign", "export", "1", "-o", tmp_path / "x.jsonl", code=2)
    assert "campaign 1 is a classify campaign" in exported.stderr
    assert "labeling report and results" in exported.stderr
    assert "labeling report and results" in cli("campaign", "flags", "1", code=2).stderr
    worked = cli("sim", "work", "1", code=2)
    assert "simulate it with `crowdset sim label 1`" in worked.stderr
    cli("campaign", "create", LIGHTS, "--as", REQUESTER)
    assert "is a generate campaign, not a labeling campaign" in (
        cli("campaign", "report", "2", code=2).stderr
    )
    labeled = cli("sim", "label", "2", code=2)
    assert "use `crowdset sim work 2`" in labeled.stderr


def test_a_pilot_waits_for_accept_pilot(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL, encoding="utf-8")
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "x", "text": "lovely"}\n{"id": "y", "text": "awful"}\n')
    created = cli("campaign", "create", spec, "--items", items, "--as", REQUESTER, "--launch")
    assert "campaign 1 is pilot" in created.output
    cli("sim", "label", "1", "--workers", "3", "--spammers", "0")
    report = cli("campaign", "report", "1").output
    assert "pilot: 1/1 judgments; scale up with `crowdset campaign accept-pilot 1`" in report
    assert "campaign 1 is running" in cli("campaign", "accept-pilot", "1").output
    again = cli("campaign", "accept-pilot", "1", code=4)
    assert "only a pilot campaign can be moved past its pilot" in again.stderr
    out = tmp_path / "results.jsonl"
    cli("campaign", "results", "1", "-o", out)
    answers = [json.loads(line)["status"] for line in out.read_text().splitlines()]
    assert sorted(answers) == ["open", "settled"]  # the pilot's one judgment settled one item


def test_sim_label_reads_the_truth_file(cli: Cli, tmp_path: Path) -> None:
    cli("campaign", "create", SENTIMENT, "--items", SENTIMENT_ITEMS, "--as", REQUESTER, "--launch")
    bad = tmp_path / "truth.csv"
    bad.write_text("item,answer\nrev-001,positive\n", encoding="utf-8")
    result = cli("sim", "label", "1", "--truth", bad, code=2)
    assert "no id or truth column" in result.stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,truth\nrev-001,glowing\n", encoding="utf-8")
    result = cli("sim", "label", "1", "--truth", wrong, code=2)
    assert "truth of item 'rev-001': 'glowing' is not one of" in result.stderr
