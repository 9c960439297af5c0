"""``crowdset corpus estimate`` through a bare Typer app: no database is needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crowdset.cli.corpus import register
from crowdset.errors import ImportFailed, InvalidInput, UnderPriced


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings from their defaults, whatever the environment or a local crowdset.toml says."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CROWDSET_CONFIG", raising=False)
    for name in ("FAIR_HOURLY_WAGE", "RESERVE_SHARE", "CURRENCY_NAME", "CURRENCY_DECIMALS"):
        monkeypatch.delenv(f"CROWDSET_{name}", raising=False)


def estimate(app: typer.Typer, *args: str) -> str:
    result = CliRunner().invoke(app, ["corpus", "estimate", *args], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_estimate_from_a_pair_count(app: typer.Typer) -> None:
    # W = 3 · 1000 · 0.5 min / 0.95 = 1,578.9 min = 26.3 h; 1 credit/min at the default wage.
    output = estimate(app, "--pairs", "1000")
    assert "26.3 h" in output
    assert "1,578.95 credit" in output  # pool = W × price: 157,894.7 minor units, rounded up
    assert "83.10 credit" in output  # reserve on top: pool · 0.05 / 0.95, rounded down
    assert "1,662.05 credit" in output  # budget = pool + reserve
    assert "1.3 days" in output  # 1,578.9 min / (10 reviewers × 120 min a day)
    assert "3,158" in output  # ratings, challenge pairs included


def test_estimate_with_every_option(app: typer.Typer) -> None:
    output = estimate(
        app, "--pairs", "600", "--reviewers", "5", "--seconds-per-pair", "12",
        "--challenge-share", "0", "--crowd", "4", "--hours-per-day", "0.5",
        "--price-per-minute", "2",
    )  # fmt: skip
    # W = 5 · 600 · 0.2 min = 600 min = 10 h; pool 1,200 credits; 600 / (4 · 30) = 5 days.
    assert "10.0 h" in output
    assert "1,200.00 credit" in output  # pool
    assert "63.15 credit" in output  # reserve: 1,200 · 0.05 / 0.95, rounded down
    assert "1,263.15 credit" in output  # budget
    assert "5.0 days" in output


def test_price_follows_the_fair_hourly_wage(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROWDSET_FAIR_HOURLY_WAGE", "120")
    output = estimate(app, "--pairs", "600", "--seconds-per-pair", "60", "--challenge-share", "0")
    assert "2 credit" in output  # per minute
    assert "3,600.00 credit" in output  # 3 · 600 min × 2 credits


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("kept.tsv", "".join(f"source {i}\ttarget {i}\n" for i in range(7))),
        ("kept.jsonl", "".join(json.dumps({"src": f"s{i}", "tgt": f"t{i}"}) + "\n"
                               for i in range(7))),
    ],
    ids=["tsv", "jsonl"],
)  # fmt: skip
def test_estimate_counts_the_kept_file(
    app: typer.Typer, tmp_path: Path, name: str, body: str
) -> None:
    kept = tmp_path / name
    kept.write_text(body, encoding="utf-8")
    output = estimate(
        app, "--input", str(kept), "--challenge-share", "0", "--seconds-per-pair", "60"
    )
    assert "Review of 7 pairs" in output
    assert "21.00 credit" in output  # 3 reviewers · 7 pairs · 1 min at 1 credit/min


def test_estimate_counts_moses_files(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "kept.en").write_text("a b c\nd e f\n", encoding="utf-8")
    (tmp_path / "kept.de").write_text("x y z\nu v w\n", encoding="utf-8")
    output = estimate(
        app, "--input", str(tmp_path / "kept.en"), "--input", str(tmp_path / "kept.de")
    )
    assert "Review of 2 pairs" in output


def test_malformed_kept_file_names_its_line(app: typer.Typer, tmp_path: Path) -> None:
    kept = tmp_path / "kept.tsv"
    kept.write_text("a\tb\nno tab here\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["corpus", "estimate", "--input", str(kept)])
    assert isinstance(result.exception, ImportFailed)
    assert result.exception.fields["line"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either --pairs N or --input KEPT_FILE"),
        (["--pairs", "5", "--input", "x.tsv"], "give either --pairs N or --input KEPT_FILE"),
        (["--pairs", "5", "--reviewers", "0"], "--reviewers"),
        (["--pairs", "5", "--seconds-per-pair", "0"], "--seconds-per-pair"),
        (["--pairs", "5", "--price-per-minute", "cheap"], "--price-per-minute"),
        (["--pairs", "5", "--price-per-minute", "0"], "--price-per-minute"),
    ],
    ids=["neither", "both", "reviewers", "seconds", "price-word", "price-zero"],
)
def test_usage_errors_name_the_option(
    app: typer.Typer, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "x.tsv").write_text("a\tb\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["corpus", "estimate", *args], terminal_width=200)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--challenge-share", "1"], "challenge_share"),
        (["--hours-per-day", "25"], "hours_per_day"),
    ],
    ids=["challenge-share", "hours"],
)
def test_out_of_range_shares_raise_invalid_input(
    app: typer.Typer, args: list[str], field: str
) -> None:
    result = CliRunner().invoke(app, ["corpus", "estimate", "--pairs", "5", *args])
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.fields["field"] == field


def test_a_price_below_the_fair_wage_floor_is_refused_with_the_floor(app: typer.Typer) -> None:
    result = CliRunner().invoke(
        app, ["corpus", "estimate", "--pairs", "5", "--price-per-minute", "0.5"]
    )
    assert isinstance(result.exception, UnderPriced)
    assert "below the fair-wage floor of 1 credits per minute" in str(result.exception)
