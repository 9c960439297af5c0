"""``crowdset campaign …`` and ``crowdset sim work`` over a real database: a spec file becomes a
launched campaign, a simulated crowd fills it, and the exports read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crowdset.cli.main import app
from crowdset.formats.nlu import NluFormat, read_dataset

EXAMPLE = Path(__file__).parents[2] / "examples" / "smart-lights.yaml"
REQUESTER = "req@t.org"

# Two intents, five queries each: a simulated crowd of twelve fills it in seconds. The escrow
# is sized for an acceptance of 0.4, so the spammers' rejected queries and the extra votes of
# undecided queries never starve it. No controls: the crowd of `sim work` votes "good" on any
# text it did not write, so it would fail the known-bad controls and be revoked (controls
# under attack are `sim attack`'s and the mechanism tests' subject).
SMALL_SPEC = """\
name: Small lights
language: en
intents:
  - name: SwitchLightOn
    description: Switch the lights on
    target: 5
    slots:
      - {name: room, values: [living room, kitchen, bedroom, bathroom, garage]}
    seeds:
      - turn on the lights in the [room:living room]
      - switch the [room:kitchen] light on please
      - can you light up the [room:bedroom]
  - name: SwitchLightOff
    description: Switch the lights off
    target: 5
    slots:
      - {name: room, values: [living room, kitchen, bedroom, bathroom, garage]}
    seeds:
      - turn off the lights in the [room:bathroom]
      - switch off the [room:garage] light
      - kill the lights in the [room:kitchen]
prices: {per_query: 0.80, per_vote: 0.20}
min_stake: 1
expected_acceptance: 0.4
mechanism: {control_share: 0}
# `sim work` phrases from the three seeds of an intent alone: its careless writers' seed copies
# are refused and held against them (SPEC §6.7), which in a crowd of 12 decides whether an
# escrow sized at 40 % acceptance fills; this test is about the CLI's flow, not copies
checks: {min_words: 2, max_words: 30, copies: false}
"""


class Cli:
    """Runs ``crowdset`` against one test database, as a shell would."""

    def __init__(self, database_url: str) -> None:
        self.env = {
            "CROWDSET_DATABASE_URL": database_url,
            "CROWDSET_PASSWORD_HASH_TIME_COST": "1",
            "CROWDSET_PASSWORD_HASH_MEMORY_KIB": "1024",
            "COLUMNS": "200",
        }

    def __call__(self, *args: str | Path, code: int = 0) -> Result:
        result = CliRunner().invoke(app, [str(arg) for arg in args], env=self.env)
        assert result.exit_code == code, result.output
        return result


@pytest.fixture
def cli(database_url: str) -> Cli:
    """The CLI, with a requester holding 1,000 credits."""
    run = Cli(database_url)
    run("user", "create", REQUESTER, "--role", "requester", "--password", "correct horse")
    run("ledger", "issue", REQUESTER, "1000")
    return run


def test_create_estimate_and_launch_the_example(cli: Cli) -> None:
    estimate = cli("campaign", "estimate", EXAMPLE).output
    assert "Estimate for “Smart lights”" in estimate
    assert "245.08 credit" in estimate
    created = cli("campaign", "create", EXAMPLE, "--as", REQUESTER).output
    assert "campaign 1 “Smart lights” created (draft); launching moves 245.08 credit" in created
    launched = cli("campaign", "launch", "1").output
    assert "campaign 1 is running; 245.08 credit moved into escrow" in launched
    assert "754.92 credit" in cli("ledger", "balance", REQUESTER).output
    listed = cli("campaign", "list", "--as", REQUESTER).output
    assert "Smart lights" in listed and "running" in listed
    again = cli("campaign", "launch", "1", code=4)
    assert "only a draft campaign can be launched" in again.stderr


def test_a_simulated_crowd_fills_a_campaign_end_to_end(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL_SPEC, encoding="utf-8")
    cli("campaign", "create", spec, "--as", REQUESTER)
    cli("campaign", "launch", "1")

    worked = cli("sim", "work", "1", "--workers", "12", "--seed", "1").output
    assert "Income by strategy" in worked
    assert "next: crowdset campaign status 1" in worked

    status = cli("campaign", "status", "1").output
    assert "Campaign 1: running" in status
    for intent in ("SwitchLightOn", "SwitchLightOff"):
        row = next(line for line in status.splitlines() if intent in line)
        assert "5/5" in row, status
    assert "escrow 39.82 credit funded" in status

    flags = cli("campaign", "flags", "1").output
    assert "of 10 accepted queries flagged" in flags

    closed = cli("campaign", "close", "1").output
    assert "campaign 1 is closed;" in closed and "refunded" in closed
    assert "Campaign 1: closed" in cli("campaign", "status", "1").output

    formats: list[tuple[NluFormat, str]] = [("snips", "json"), ("rasa", "yml"), ("jsonl", "jsonl")]
    for fmt, extension in formats:
        out = tmp_path / f"lights.{extension}"
        written = cli("campaign", "export", "1", "--format", fmt, "-o", out).output
        assert f"10 queries written to {out} ({fmt})" in written
        queries = read_dataset(out, fmt)
        assert sorted(q.intent for q in queries) == ["SwitchLightOff"] * 5 + ["SwitchLightOn"] * 5

    verified = cli("ledger", "verify").output
    assert "ledger intact" in verified


def test_bad_spec_exits_2_naming_the_field(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(SMALL_SPEC.replace("target: 5", "target: 0", 1), encoding="utf-8")
    result = cli("campaign", "create", spec, "--as", REQUESTER, code=2)
    assert "(spec_invalid)" in result.stderr
    assert f"{spec}: intents[0].target:" in result.stderr
    assert "greater than 0" in result.stderr
    assert "Small lights" not in cli("campaign", "list", "--as", REQUESTER).output


def test_under_priced_spec_exits_5_with_the_floor(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "cheap.yaml"
    spec.write_text(SMALL_SPEC.replace("per_query: 0.80", "per_query: 0.50"), encoding="utf-8")
    result = cli("campaign", "create", spec, "--as", REQUESTER, code=5)
    assert "(under_priced)" in result.stderr
    assert "prices.per_query is 0.50" in result.stderr
    assert "floor of 0.75" in result.stderr


def test_launch_without_enough_credit_exits_5(cli: Cli) -> None:
    cli("user", "create", "poor@t.org", "--role", "requester", "--password", "correct horse")
    cli("ledger", "issue", "poor@t.org", "10")
    cli("campaign", "create", EXAMPLE, "--as", "poor@t.org")
    result = cli("campaign", "launch", "1", code=5)
    assert "(insufficient_funds)" in result.stderr
    assert "deposit 235.08 credit more" in result.stderr
    assert "10.00 credit" in cli("ledger", "balance", "poor@t.org").output


def test_sim_needs_a_running_campaign(cli: Cli) -> None:
    cli("campaign", "create", EXAMPLE, "--as", REQUESTER)
    result = cli("sim", "work", "1", code=2)
    assert "campaign 1 is draft: launch or resume it first" in result.stderr
