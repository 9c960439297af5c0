"""Issue #14, must-show 2: SPEC §6's targets, asserted on the dry-run of each shipped example
with one fixed seed (the docs' table, docs/benchmarks.md, averages five seeds of the same runs).

- every dishonest strategy nets below zero per hour of modelled work;
- honest workers earn at least the fair wage per hour and are fined or revoked ≤ 1 %;
- a sybil earns and is offered no more per person than its one-account twin with the same
  stake, within 5 %;
- a ring holding a third of the validators gets < 2 % of its junk accepted and moves the honest
  rejection rate by < 2 points against the same crowd size all honest.

The runs are bench/mechanism/run.sh's for seed 1: the examples as shipped, each with its default
crowd (the smallest that holds the default mix), the ring with 12 persons, each campaign at the
volume where every worker meets enough controls to be judged (``scale``: generation × 3,
labeling × 20, review × 20; at × 1 the 40-item labeling example gives an account 2–22 answers,
too few for any evidence to decide). A few minutes on SQLite; each run is one module-scoped
fixture, shared by the tests that read it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crowdset.cli.labeling import items_for
from crowdset.cli.sim import _known_truth, _review_truth
from crowdset.core.labeling.spec import load_labeling_spec
from crowdset.settings import Settings
from crowdset.sim.attack import AttackReport, run_attack
from crowdset.sim.attackers.report import StrategyRow, at_least_the_wage
from crowdset.sim.attackers.strategies import Strategy

pytestmark = [pytest.mark.mechanism, pytest.mark.slow, pytest.mark.timeout(1200)]

EXAMPLES = Path(__file__).parents[2] / "examples"
SEED = 1
SCALES = {"generation": 3, "ring": 2, "labeling": 20, "review": 20}  # bench/mechanism/run.sh


def _generation_text() -> str:
    return (EXAMPLES / "smart-lights.yaml").read_text()


@pytest.fixture(scope="module")
def generation() -> AttackReport:
    return run_attack(
        Settings(), _generation_text(), seed=SEED, baseline=False, scale=SCALES["generation"]
    )


@pytest.fixture(scope="module")
def ring() -> AttackReport:
    """A third of the crowd in the ring; the baseline is the same 12 persons, all honest."""
    return run_attack(
        Settings(),
        _generation_text(),
        mix="ring=0.33",
        seed=SEED,
        workers=12,
        scale=SCALES["ring"],
    )


@pytest.fixture(scope="module")
def labeling() -> AttackReport:
    text = (EXAMPLES / "sentiment.yaml").read_text()
    items = items_for(load_labeling_spec(text), EXAMPLES / "sentiment-items.csv")
    truth = _known_truth(EXAMPLES / "sentiment-truth.csv")
    return run_attack(
        Settings(), text, items, truth, seed=SEED, baseline=False, scale=SCALES["labeling"]
    )


@pytest.fixture(scope="module")
def review() -> AttackReport:
    text = (EXAMPLES / "review.yaml").read_text()
    items = items_for(
        load_labeling_spec(text),
        EXAMPLES / "review-pairs.tsv",
        EXAMPLES / "review-challenges.jsonl",
    )
    truth = _review_truth(EXAMPLES / "review-truth.csv", items)
    return run_attack(
        Settings(), text, items, truth, seed=SEED, baseline=False, scale=SCALES["review"]
    )


EXAMPLE_RUNS = ["generation", "labeling", "review"]


def _report(request: pytest.FixtureRequest, name: str) -> AttackReport:
    report: AttackReport = request.getfixturevalue(name)
    assert report.done, f"{name}: {report.notes}"
    assert report.ledger_ok
    return report


def _row(report: AttackReport, strategy: Strategy) -> StrategyRow:
    row = report.row(strategy)
    assert row is not None, f"no {strategy.value} in {[r.strategy for r in report.strategies]}"
    return row


def _figures(rows: list[StrategyRow]) -> str:
    return "; ".join(
        f"{r.strategy} {r.net_per_hour:+.1f}/h (net {r.net:+.2f} in {r.hours:.2f} h, "
        f"{r.revoked} revoked, fines {r.fines:.2f})"
        for r in rows
    )


@pytest.mark.parametrize("example", EXAMPLE_RUNS)
def test_every_dishonest_strategy_nets_below_zero(
    request: pytest.FixtureRequest, example: str
) -> None:
    report = _report(request, example)
    dishonest = [
        r for r in report.strategies if not r.honest and r.strategy != Strategy.SYBIL.value
    ]
    assert dishonest
    paying = [r for r in dishonest if r.net_per_hour >= 0]
    assert not paying, f"{example}: dishonesty paid: {_figures(paying)}"


@pytest.mark.parametrize("example", EXAMPLE_RUNS)
def test_honest_workers_earn_the_fair_wage(request: pytest.FixtureRequest, example: str) -> None:
    honest = _row(_report(request, example), Strategy.HONEST)
    assert at_least_the_wage(honest.net_per_hour, honest.fair_wage_per_hour), (
        f"{example}: {_figures([honest])}"
    )


@pytest.mark.parametrize("example", EXAMPLE_RUNS)
def test_honest_workers_are_rarely_fined_or_revoked(
    request: pytest.FixtureRequest, example: str
) -> None:
    honest = _row(_report(request, example), Strategy.HONEST)
    assert honest.fined_or_revoked_share <= 0.01, (
        f"{example}: {honest.fined_or_revoked} of {honest.persons} honest persons fined or "
        f"revoked ({honest.revoked} revoked, fines {honest.fines:.2f})"
    )


@pytest.mark.parametrize("example", ["generation", "labeling"])
def test_many_accounts_earn_no_more_than_one(request: pytest.FixtureRequest, example: str) -> None:
    """Issue #15: the sybil person (3 accounts asking in parallel) against its sybil_baseline
    twin (one account, the same stake and work), within 5 %. One person against one in one
    seed: this run meets it, but chance alone moves a person's figures by several percent;
    bench/mechanism/sybil.sh measures four against four on five seeds (docs/benchmarks.md)."""
    report = _report(request, example)
    sybil = _row(report, Strategy.SYBIL)
    twin = _row(report, Strategy.SYBIL_BASELINE)
    assert sybil.meets_target, (
        f"{example}: a sybil person ({sybil.workers} accounts) got {sybil.net_per_person:.2f} "
        f"and {sybil.offer_share_per_person:.2%} of the offers; its one-account twin "
        f"{twin.net_per_person:.2f} and {twin.offer_share_per_person:.2%}"
    )


def test_a_ring_of_a_third_gets_under_two_percent_of_its_junk_accepted(
    ring: AttackReport,
) -> None:
    assert ring.done and ring.ledger_ok
    accepted = ring.ring_junk_accepted_share
    assert accepted is not None and accepted < 0.02, f"ring's junk accepted: {accepted}"


def test_a_ring_of_a_third_moves_honest_rejections_by_under_two_points(
    ring: AttackReport,
) -> None:
    with_ring = ring.honest_rejection_rate
    without = ring.honest_rejection_rate_without_attackers
    assert with_ring is not None and without is not None
    assert abs(with_ring - without) < 0.02, (
        f"honest rejection rate {with_ring:.1%} with the ring, {without:.1%} without"
    )
