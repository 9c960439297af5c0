"""The mechanism dry-run's pieces (SPEC §6.9): mixes, crowd sizes, what each strategy answers,
and the report's arithmetic; then one tiny run through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from crowdset.cli.main import app
from crowdset.core.generation.model import SlotValue
from crowdset.core.generation.spec import CampaignSpec, load_spec
from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.spec import load_labeling_spec
from crowdset.errors import InvalidInput
from crowdset.services.generation import OfferView
from crowdset.settings import Settings
from crowdset.sim.attack import run_attack, scaled
from crowdset.sim.attackers import generation as gen
from crowdset.sim.attackers.crowd import Account
from crowdset.sim.attackers.labeling import Answering
from crowdset.sim.attackers.report import Outcome, at_least_the_wage, rejection_rate, strategy_rows
from crowdset.sim.attackers.strategies import (
    CATALOGUE,
    Strategy,
    Workflow,
    applicable,
    crowd_sizes,
    default_mix,
    default_persons,
    parse_mix,
)

EXAMPLES = Path(__file__).parents[2] / "examples"

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


# --- mixes and crowd sizes --------------------------------------------------------------------


@pytest.mark.parametrize("workflow", list(Workflow), ids=str)
def test_default_mix_has_every_applicable_strategy_and_an_honest_majority(
    workflow: Workflow,
) -> None:
    mix = default_mix(workflow)
    assert set(mix) == set(applicable(workflow))
    assert mix[Strategy.HONEST] == pytest.approx(0.6)
    assert sum(mix.values()) == pytest.approx(1.0)


def test_parse_mix_leaves_the_rest_honest() -> None:
    assert parse_mix("ring=0.33", Workflow.GENERATION) == pytest.approx(
        {Strategy.RING: 0.33, Strategy.HONEST: 0.67}
    )
    assert parse_mix(" spammer=0.1 , always_yes=0.1,", Workflow.GENERATION) == pytest.approx(
        {Strategy.SPAMMER: 0.1, Strategy.ALWAYS_YES: 0.1, Strategy.HONEST: 0.8}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rings=0.3", "no strategy is called 'rings'; a generation campaign has: honest, "),
        ("same_label=0.2", "same_label does not apply to a generation campaign"),
        ("ring=1.5", "'ring=1.5' needs a share from 0 to 1, as in ring=0.1"),
        ("ring", "'ring' needs a share from 0 to 1"),
        ("ring=0.7,spammer=0.7", "the shares add up to 1.40"),
    ],
    ids=["unknown", "wrong-workflow", "above-one", "no-share", "too-much"],
)
def test_parse_mix_refuses_with_the_fix(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=r"^--mix: ") as error:
        parse_mix(text, Workflow.GENERATION)
    assert message in error.value.message


def test_crowd_sizes_give_each_strategy_a_person_a_ring_two_and_honest_the_rest() -> None:
    sizes = crowd_sizes(default_mix(Workflow.GENERATION), 25)
    assert sizes[Strategy.RING] == 2
    assert all(sizes[s] == 1 for s in sizes if s not in (Strategy.RING, Strategy.HONEST))
    assert sizes[Strategy.HONEST] == 25 - 10
    assert crowd_sizes({Strategy.HONEST: 0.67, Strategy.RING: 0.33}, 12) == {
        Strategy.RING: 4,
        Strategy.HONEST: 8,
    }


# --- what the strategies do -------------------------------------------------------------------


def _offer(kind: str, intent: str = "LightsOn", text: str | None = None, **extra: Any) -> OfferView:
    return OfferView(
        id=1,
        campaign_id=1,
        campaign_name="Tiny lights",
        kind=kind,
        status="open",
        expires_at=datetime(2026, 1, 1, tzinfo=UTC),
        intent=intent,
        description="",
        values=(SlotValue("room", "room", "garage"),),
        prompt="",
        query_text=text,
        **extra,
    )


def _account(strategy: Strategy) -> Account:
    return Account(1, "w-1", strategy, 1, 0)


@pytest.fixture
def attack() -> gen.GenerationAttack:
    spec = load_spec(TINY)
    return gen.GenerationAttack(None, None, 1, spec, np.random.default_rng(0))  # type: ignore[arg-type]


def test_generation_truth_is_seeds_and_honest_queries_of_the_intent(
    attack: gen.GenerationAttack,
) -> None:
    assert attack.is_good("turn on the lights in the kitchen", "LightsOn")
    assert not attack.is_good("turn on the lights in the kitchen", "LightsOff")  # wrong intent
    assert not attack.is_good("the lights kitchen in turn on the", "LightsOn")  # shuffled


@pytest.mark.parametrize(
    ("strategy", "writes"),
    [(s, s in gen.WRITES) for s in CATALOGUE if Workflow.GENERATION in CATALOGUE[s].workflows],
    ids=str,
)
def test_each_generation_strategy_writes_only_if_it_is_a_writer(
    attack: gen.GenerationAttack, strategy: Strategy, writes: bool
) -> None:
    written = attack.write(_account(strategy), _offer("write"))
    assert (written is not None) == writes
    if written is not None:
        text, good = written
        assert "garage" in text  # every writer keeps the required values
        assert good == (strategy in (Strategy.HONEST, Strategy.SYBIL)) or strategy is (
            Strategy.CARELESS
        )


def test_intent_drifter_writes_a_fluent_query_of_another_intent(
    attack: gen.GenerationAttack,
) -> None:
    text, good = attack.write(_account(Strategy.INTENT_DRIFTER), _offer("write")) or ("", True)
    assert not good and ("off" in text or "kill" in text)


def test_voters_by_strategy(attack: gen.GenerationAttack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen, "HONEST_VOTE_ERROR", 0.0)
    seed = _offer("vote", text="turn on the lights in the kitchen")
    junk = _offer("vote", text="orange garage ladder")
    vote = attack.vote
    assert vote(_account(Strategy.HONEST), seed) is True
    assert vote(_account(Strategy.HONEST), junk) is False
    assert vote(_account(Strategy.ALWAYS_YES), junk) is True
    assert vote(_account(Strategy.SPAMMER), junk) is True
    assert vote(_account(Strategy.SLOT_STUFFER), seed) is None  # writes only
    assert vote(_account(Strategy.RING), seed) is False  # not the ring's
    attack.ring_texts.add("orange garage ladder")
    assert vote(_account(Strategy.RING), junk) is True
    # a query no account has waiting for validation is a control: the oracle knows its truth
    assert vote(_account(Strategy.CONTROL_ORACLE), seed) is True
    assert vote(_account(Strategy.CONTROL_ORACLE), junk) is False


LABELS = """\
name: Tiny sentiment
type: classify
instructions: Positive or negative?
labels: [{name: pos}, {name: neg}, {name: neutral}]
price_per_judgment: 0.20
"""


@pytest.fixture
def answering() -> Answering:
    items = [ItemRow(f"i{n}", f"text {n}", None, "neg" if n == 9 else None) for n in range(10)]
    truth = {f"i{n}": "pos" if n < 6 else "neg" for n in range(10)}
    return Answering(load_labeling_spec(LABELS), items, truth, np.random.default_rng(0))


def test_labeling_strategies(answering: Answering) -> None:
    gold = _offer("label", item_text="text 9")
    regular = _offer("label", item_text="text 3")
    assert answering.answer(_account(Strategy.SAME_LABEL), regular) == ("i3", "pos")  # the mode
    assert answering.answer(_account(Strategy.SAME_LABEL), gold) == ("i9", "pos")
    assert answering.answer(_account(Strategy.CONTROL_ORACLE), gold) == ("i9", "neg")
    rings = {answering.answer(_account(Strategy.RING), regular)[1] for _ in range(5)}
    assert len(rings) == 1  # the ring shares one answer per item
    spread = {answering.answer(_account(Strategy.RANDOM_LABEL), regular)[1] for _ in range(40)}
    assert spread == {"pos", "neg", "neutral"}


def test_seconds_are_the_spec_s_times_the_strategy_s_speed(
    attack: gen.GenerationAttack, answering: Answering
) -> None:
    assert attack.seconds(_account(Strategy.HONEST), "write") == 45
    assert attack.seconds(_account(Strategy.HONEST), "vote") == 10
    assert attack.seconds(_account(Strategy.ALWAYS_YES), "vote") == pytest.approx(1.5)
    assert answering.seconds(_account(Strategy.RANDOM_LABEL)) == pytest.approx(1.5)


# --- the report's arithmetic ------------------------------------------------------------------


def test_strategy_rows_add_up_per_person() -> None:
    hour = 3600.0
    outcomes = [
        Outcome(Strategy.HONEST, 1, offers=30, accepted=9, rejected=1, revoked=False, fines=0,
                net=6_000, seconds=hour),
        Outcome(Strategy.HONEST, 2, offers=30, accepted=10, rejected=0, revoked=False, fines=0,
                net=6_000, seconds=hour),
        Outcome(Strategy.SPAMMER, 3, offers=20, accepted=0, rejected=5, revoked=True,
                fines=4_500, net=-4_500, seconds=hour / 4),
        *(Outcome(Strategy.SYBIL, 4, offers=10, accepted=3, rejected=0, revoked=False, fines=0,
                  net=1_000, seconds=hour / 3) for _ in range(3)),
    ]  # fmt: skip
    rows = {r.strategy: r for r in strategy_rows(outcomes, minor_per_unit=100,
                                                 fair_wage_per_hour=60.0)}  # fmt: skip
    honest, spammer, sybil = rows["honest"], rows["spammer"], rows["sybil"]
    assert honest.net_per_hour == pytest.approx(60.0)
    assert honest.net_per_person == pytest.approx(60.0)
    assert honest.offer_share_per_person == pytest.approx(30 / 110)
    assert honest.accepted_share == pytest.approx(19 / 20)
    assert honest.fined_or_revoked_share == 0.0 and honest.honest
    assert spammer.net_per_hour == pytest.approx(-180.0)
    assert spammer.fined_or_revoked_share == 1.0 and spammer.fines == 45.0
    assert spammer.accepted_share == 0.0 and not spammer.honest
    assert (sybil.persons, sybil.workers) == (1, 3)
    assert sybil.net_per_person == pytest.approx(30.0)
    assert sybil.offer_share_per_person == pytest.approx(30 / 110)
    assert sybil.net_per_hour == pytest.approx(30.0)
    assert list(rows) == ["honest", "spammer", "sybil"]  # the catalogue's order
    assert set(honest.as_json()) >= {
        "strategy", "honest", "workers", "net_per_hour", "net_per_person",
        "offer_share_per_person", "fair_wage_per_hour", "fined_or_revoked_share",
        "accepted_share",
    }  # fmt: skip


def test_rejection_rate_counts_queries_where_there_are_any() -> None:
    writer = Outcome(Strategy.HONEST, 1, 10, accepted=30, rejected=10, revoked=False, fines=0,
                     net=0, seconds=1, written_accepted=19, written_rejected=1)  # fmt: skip
    labeler = Outcome(Strategy.RING, 2, 10, accepted=3, rejected=1, revoked=False, fines=0,
                      net=0, seconds=1)  # fmt: skip
    assert rejection_rate([writer, labeler], Strategy.HONEST) == pytest.approx(0.05)
    assert rejection_rate([writer, labeler], Strategy.RING) == pytest.approx(0.25)
    assert rejection_rate([writer], Strategy.SPAMMER) is None


# --- refusals and one tiny run ----------------------------------------------------------------


def test_a_labeling_dry_run_needs_its_items() -> None:
    with pytest.raises(InvalidInput, match="needs its items"):
        run_attack(Settings(), (EXAMPLES / "sentiment.yaml").read_text())


def test_sim_attack_prints_json_rows_for_a_tiny_campaign(tmp_path: Path) -> None:
    """On a throw-away database: nothing to initialise, nothing left behind."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    result = CliRunner().invoke(
        app,
        ["sim", "attack", str(spec), "--mix", "spammer=0.25,always_yes=0.25",
         "--workers", "4", "--no-baseline", "--format", "json"],
        env={"CROWDSET_DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.db'}"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["strategy"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"honest", "spammer", "always_yes"}
    assert rows["honest"]["honest"] is True and rows["spammer"]["honest"] is False
    assert rows["honest"]["workers"] == 2
    assert rows["honest"]["fair_wage_per_hour"] == 60.0
    assert list(tmp_path.iterdir()) == [spec]  # the configured database was never touched


@pytest.mark.parametrize(
    ("workflow", "persons"),
    [(Workflow.GENERATION, 25), (Workflow.LABELING, 20), (Workflow.REVIEW, 13)],
    ids=str,
)
def test_default_crowd_is_the_smallest_that_holds_the_mix(workflow: Workflow, persons: int) -> None:
    mix = default_mix(workflow)
    assert default_persons(mix) == persons
    sizes = crowd_sizes(mix, persons)
    assert sizes[Strategy.HONEST] / persons >= 0.6
    assert default_persons(parse_mix("ring=0.33", Workflow.GENERATION)) == 10  # the floor


def test_scaled_multiplies_targets_or_repeats_items_with_their_truth() -> None:
    spec = load_spec(TINY)
    bigger, none, no_truth = scaled(spec, [], {}, 3)
    assert isinstance(bigger, CampaignSpec)
    assert [i.target for i in bigger.intents] == [6, 6] and none == [] and no_truth == {}
    labels = load_labeling_spec(LABELS)
    items = [ItemRow("a", "good", None, None), ItemRow("g", "bad", None, "neg")]
    same, rows, truth = scaled(labels, items, {"a": "pos"}, 2)
    assert same is labels
    assert [(r.external_id, r.text, r.gold) for r in rows] == [
        ("a", "good", None), ("g", "bad", "neg"), ("a~2", "good [2]", None),
        ("g~2", "bad [2]", "neg"),
    ]  # fmt: skip
    assert truth == {"a": "pos", "a~2": "pos"}


def test_pay_of_exactly_the_wage_meets_the_honest_target() -> None:
    """A review pays passed work at exactly the fair wage: 1,389.50 credits over 23.1583… h
    is 60/h, which floating point writes as 59.999…"""
    hours = 1389.5 / 60
    assert 1389.5 / hours < 60
    assert at_least_the_wage(1389.5 / hours, 60.0)
    assert at_least_the_wage(60.5, 60.0)
    assert not at_least_the_wage(59.99, 60.0)
