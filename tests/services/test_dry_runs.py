"""Dry-runs in the background (SPEC §6.9, issue #14): the registry's bounds, ownership,
progress, failures and expiry with work that waits on a signal; the inputs read from text; and
one tiny real run of the engine on a throw-away database."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from crowdset.core.labeling.spec import load_labeling_spec
from crowdset.core.permissions import Role
from crowdset.errors import Conflict, ImportFailed, InvalidInput, NotFound
from crowdset.services.accounts import Principal
from crowdset.services.dry_runs import (
    DryRuns,
    OnProgress,
    RunProgress,
    RunStatus,
    read_items,
    read_truth,
)
from crowdset.settings import Settings
from crowdset.sim.attack import AttackReport, run_attack

ANA = Principal(1, Role.REQUESTER, "ana@dry.test")
BEN = Principal(2, Role.REQUESTER, "ben@dry.test")
CAL = Principal(3, Role.REQUESTER, "cal@dry.test")
OPS = Principal(4, Role.OPERATOR, "ops@dry.test")

# Two intents of two queries each: a crowd of four finishes it in seconds.
TINY = """\
name: Tiny lights
language: en
intents:
  - name: LightsOn
    description: Switch the lights on
    target: 2
    slots: [{name: room, values: [kitchen, bedroom, garage]}]
    seeds: ['turn on the lights in the [room:kitchen]', 'switch the [room:bedroom] light on']
  - name: LightsOff
    description: Switch the lights off
    target: 2
    slots: [{name: room, values: [kitchen, bedroom, garage]}]
    seeds: ['turn off the lights in the [room:garage]', 'kill the [room:kitchen] lights']
prices: {per_query: 0.80, per_vote: 0.20}
checks: {min_words: 2, max_words: 30}
"""
SENTIMENT = """\
name: Sentiment
type: classify
instructions: Is the review positive or negative?
labels: [{name: pos, description: happy}, {name: neg, description: unhappy}]
price_per_judgment: "0.20"
seconds_per_judgment: 10
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Gate:
    """Work that reports progress, then waits until the test opens the gate."""

    def __init__(self, result: str = "report", error: Exception | None = None) -> None:
        self.opened = threading.Event()
        self.started = threading.Event()
        self.result = result
        self.error = error

    def __call__(self, progress: OnProgress) -> str:
        progress("with attackers: accepted queries", 3, 8)
        self.started.set()
        assert self.opened.wait(10)
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runs(clock: Clock) -> Iterator[DryRuns[str]]:
    registry: DryRuns[str] = DryRuns(clock=clock)
    yield registry


def finish(runs: DryRuns[str], gates: list[Gate], ids: list[str]) -> None:
    for gate in gates:
        gate.opened.set()
    for run_id in ids:
        runs.wait(run_id, timeout=10)


def test_a_run_reports_progress_then_its_result_to_its_owner(runs: DryRuns[str]) -> None:
    gate = Gate()
    run = runs.start(ANA, "Tiny lights", gate)
    assert run.status in (RunStatus.QUEUED, RunStatus.RUNNING) and run.label == "Tiny lights"
    assert gate.started.wait(10)
    running = runs.get(ANA, run.id)
    assert running.status is RunStatus.RUNNING
    assert running.progress == RunProgress("with attackers: accepted queries", 3, 8)
    finish(runs, [gate], [run.id])
    done = runs.get(ANA, run.id)
    assert (done.status, done.report, done.error) == (RunStatus.DONE, "report", None)
    assert done.finished_at is not None and not done.active
    assert runs.get(OPS, run.id).report == "report"  # an operator may read any run


def test_another_requesters_run_does_not_exist_for_them(runs: DryRuns[str]) -> None:
    gate = Gate()
    run = runs.start(ANA, "Tiny lights", gate)
    with pytest.raises(NotFound, match=f"no dry-run '{run.id}' of yours"):
        runs.get(BEN, run.id)
    with pytest.raises(NotFound):
        runs.get(ANA, "nope")
    finish(runs, [gate], [run.id])


def test_one_run_per_requester_and_two_per_process(runs: DryRuns[str]) -> None:
    first, second = Gate(), Gate()
    ana = runs.start(ANA, "Tiny lights", first)
    assert first.started.wait(10)
    with pytest.raises(Conflict) as refused:
        runs.start(ANA, "Other", Gate())
    assert refused.value.message == (
        f"your dry-run {ana.id} of “Tiny lights” is still running (with attackers: accepted "
        "queries 3/8): wait for it to finish, then start another (1 at a time per requester)"
    )
    assert refused.value.fields["run_id"] == ana.id
    ben = runs.start(BEN, "Ben's", second)
    with pytest.raises(Conflict, match="2 dry-runs are running on this server") as full:
        runs.start(CAL, "Cal's", Gate())
    assert ana.id not in full.value.message  # another requester's run is not named
    finish(runs, [first, second], [ana.id, ben.id])
    third = Gate()
    again = runs.start(ANA, "Tiny lights", third)  # a finished run no longer counts
    finish(runs, [third], [again.id])


def test_a_refusal_fails_the_run_with_its_message(runs: DryRuns[str]) -> None:
    gate = Gate(error=InvalidInput("--mix: no strategy is called 'lazy'", field="--mix"))
    run = runs.start(ANA, "Tiny lights", gate)
    finish(runs, [gate], [run.id])
    failed = runs.get(ANA, run.id)
    assert failed.status is RunStatus.FAILED
    assert (failed.error, failed.error_code) == (
        "--mix: no strategy is called 'lazy'",
        "invalid_input",
    )


def test_a_bug_fails_the_run_and_frees_the_slot(
    runs: DryRuns[str], caplog: pytest.LogCaptureFixture
) -> None:
    gate = Gate(error=ZeroDivisionError("division by zero"))
    run = runs.start(ANA, "Tiny lights", gate)
    finish(runs, [gate], [run.id])
    failed = runs.get(ANA, run.id)
    assert failed.status is RunStatus.FAILED and failed.error_code == "internal_error"
    assert failed.error is not None and "ZeroDivisionError: division by zero" in failed.error
    assert "dry-run" in caplog.text
    other = Gate()
    finish(runs, [other], [runs.start(ANA, "Again", other).id])


def test_a_finished_run_is_forgotten_an_hour_after_it_ended(
    runs: DryRuns[str], clock: Clock
) -> None:
    gate = Gate()
    run = runs.start(ANA, "Tiny lights", gate)
    clock.now += timedelta(hours=5)  # still running: kept however long it takes
    assert runs.get(ANA, run.id).active
    finish(runs, [gate], [run.id])
    clock.now += timedelta(minutes=59)
    assert runs.get(ANA, run.id).status is RunStatus.DONE
    clock.now += timedelta(minutes=2)
    with pytest.raises(NotFound, match="a finished run is kept for an hour; start it again"):
        runs.get(ANA, run.id)


# --- the inputs ---------------------------------------------------------------------------------


def test_items_and_truth_are_read_from_csv_text() -> None:
    spec = load_labeling_spec(SENTIMENT, source="spec")
    items = read_items(b"id,text,gold\nr1,Love it,pos\nr2,Broke at once,\n", spec)
    assert [(i.external_id, i.text, i.gold) for i in items] == [
        ("r1", "Love it", "pos"),
        ("r2", "Broke at once", None),
    ]
    assert read_truth(b"id,truth\nr1,pos\nr2,neg\nr3,\n") == {"r1": "pos", "r2": "neg"}


def test_inputs_refuse_with_the_field_and_the_fix() -> None:
    with pytest.raises(InvalidInput, match=r"no truth column; a truth file has id and truth") as e:
        read_truth(b"id,label\nr1,pos\n", name="answers.csv", field="truth_file")
    assert e.value.fields["field"] == "truth_file" and "answers.csv" in e.value.message
    with pytest.raises(InvalidInput, match=r"truth\.xlsx") as e:
        read_truth(b"whatever", name="truth.xlsx")
    assert e.value.fields["field"] == "truth"
    with pytest.raises(ImportFailed, match=r"'truth\.jsonl' line 1 is not valid JSON"):
        read_truth(b"{not json\n", name="truth.jsonl")
    spec = load_labeling_spec(SENTIMENT, source="spec")
    with pytest.raises(InvalidInput) as e:
        read_items(b"id,text,gold\nr1,Love it,maybe\n", spec)
    assert e.value.fields["field"] == "items" and "maybe" in e.value.message


# --- one real run -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_tiny_real_run_reports_every_strategy_of_its_mix() -> None:
    """The engine on a throw-away database, bound the way the API and the web bind it."""
    runs: DryRuns[AttackReport] = DryRuns()
    settings = Settings(database_url="sqlite:///never-touched.db")
    work: Callable[..., AttackReport] = partial(
        run_attack, settings, TINY, None, None, "spammer=0.5", 0, workers=4, baseline=False
    )
    run = runs.start(ANA, "Tiny lights", lambda progress: work(on_progress=progress))
    done = runs.wait(run.id, timeout=240)
    assert done.status is RunStatus.DONE, done.error
    assert done.report is not None and done.report.ledger_ok
    rows = {row["strategy"]: row for row in done.report.rows()}
    assert set(rows) == {"honest", "spammer"}
    assert rows["honest"]["workers"] == 2 and rows["honest"]["fair_wage_per_hour"] == 60.0
    assert done.progress is not None and done.progress.what.startswith("with attackers")
