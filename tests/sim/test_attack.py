"""The mechanism dry-run's pieces (SPEC §6.9): mixes, crowd sizes, what each strategy answers,
and the report's arithmetic; then one tiny run through the CLI."""

from __future__ import annotations

import json
import re
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
from crowdset.services import ledger
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.settings import Settings
from crowdset.sim.attack import run_attack, scaled
from crowdset.sim.attackers import generation as gen
from crowdset.sim.attackers.crowd import Account, create_accounts
from crowdset.sim.attackers.labeling import Answering
from crowdset.sim.attackers.report import (
    Outcome,
    at_least_the_wage,
    no_more_than,
    rejection_rate,
    strategy_rows,
)
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
    assert sizes[Strategy.HONEST] == 25 - 12  # ten strategies of one person, a ring of two
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
        honest_work = (Strategy.HONEST, Strategy.SYBIL, Strategy.SYBIL_BASELINE)
        assert good == (strategy in honest_work) or strategy is Strategy.CARELESS


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
    [(Workflow.GENERATION, 30), (Workflow.LABELING, 20), (Workflow.REVIEW, 13)],
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


# --- a sybil split k ways, beside its one-account twin (SPEC §6.6, issue #15) -----------------


def test_sybil_baseline_comes_with_a_sybil_and_takes_no_share() -> None:
    for workflow in Workflow:
        assert Strategy.SYBIL_BASELINE not in default_mix(workflow)
        assert Strategy.SYBIL_BASELINE not in applicable(workflow)
    with pytest.raises(InvalidInput, match=r"sybil_baseline takes no share.*give sybil a share"):
        parse_mix("sybil_baseline=0.2", Workflow.GENERATION)


@pytest.mark.parametrize(
    ("mix", "sybil_k", "message"),
    [
        ("sybil=0.5", 0, "--sybil-k must be from 1 to 50 accounts per sybil person, got 0"),
        ("sybil=0.5", 51, "--sybil-k must be from 1 to 50 accounts per sybil person, got 51"),
        ("spammer=0.5", 3, "the mix has no sybil: add one to --mix, as in sybil=0.2 "),
    ],
    ids=["zero", "above-50", "no-sybil"],
)
def test_sybil_k_refuses_with_the_fix(mix: str, sybil_k: int, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)) as refused:
        run_attack(Settings(), TINY, mix=mix, workers=2, sybil_k=sybil_k)
    assert refused.value.fields["field"] == "--sybil-k"


def test_create_accounts_splits_a_sybil_and_gives_its_twin_the_whole(ctx: Context) -> None:
    """k = 3 accounts share one person's grant and stake; the twin holds what they hold
    together, in one account (the remainder of an uneven split is nobody's)."""
    crowd = create_accounts(
        ctx,
        {Strategy.SYBIL: 1, Strategy.SYBIL_BASELINE: 1, Strategy.HONEST: 1},
        grant=3001,
        stake=1000,
        sybil_k=3,
    )
    by_strategy: dict[Strategy, list[Account]] = {}
    for account in crowd:
        by_strategy.setdefault(account.strategy, []).append(account)
    sybil, twin = by_strategy[Strategy.SYBIL], by_strategy[Strategy.SYBIL_BASELINE]
    assert len(sybil) == 3 and len({a.person for a in sybil}) == 1 and len(twin) == 1
    staked = [ledger.balances(ctx, a.user_id).staked for a in sybil]
    assert staked == [333, 333, 333]
    assert ledger.balances(ctx, twin[0].user_id).staked == sum(staked) == 999
    assert twin[0].initial_total == sum(a.initial_total for a in sybil) == 3000
    honest = by_strategy[Strategy.HONEST][0]
    assert (honest.initial_total, ledger.balances(ctx, honest.user_id).staked) == (3001, 1000)


def _outcome(strategy: Strategy, person: int, offers: int, net: int) -> Outcome:
    return Outcome(strategy, person, offers=offers, accepted=1, rejected=0, revoked=False,
                   fines=0, net=net, seconds=3600)  # fmt: skip


@pytest.mark.parametrize(
    ("sybil_net", "sybil_offers", "met"),
    [(2050, 21, True), (1000, 10, True), (2150, 20, False), (2000, 22, False)],
    ids=["within-5%", "below", "net-above", "offers-above"],
)
def test_a_sybil_is_measured_against_its_twin(sybil_net: int, sybil_offers: int, met: bool) -> None:
    """Two sybil accounts of one person against one account: ``net_per_person`` and
    ``offer_share_per_person`` no more than the twin's + 5 %; the twin has no target."""
    outcomes = [
        _outcome(Strategy.HONEST, 1, 59, 2000),
        _outcome(Strategy.SYBIL, 2, sybil_offers - 10, sybil_net - 1000),
        _outcome(Strategy.SYBIL, 2, 10, 1000),
        _outcome(Strategy.SYBIL_BASELINE, 3, 20, 2000),
    ]
    rows = {r.strategy: r for r in strategy_rows(outcomes, minor_per_unit=100,
                                                 fair_wage_per_hour=60.0)}  # fmt: skip
    sybil, twin = rows["sybil"], rows["sybil_baseline"]
    assert (sybil.persons, sybil.workers, twin.persons, twin.workers) == (1, 2, 1, 1)
    assert sybil.net_per_person == pytest.approx(sybil_net / 100)
    total = 59 + sybil_offers + 20
    assert sybil.offer_share_per_person == pytest.approx(sybil_offers / total)
    assert twin.offer_share_per_person == pytest.approx(20 / total)
    assert sybil.meets_target is met
    assert twin.meets_target is None and twin.honest
    assert list(rows) == ["honest", "sybil", "sybil_baseline"]


@pytest.mark.parametrize(
    ("value", "baseline", "expected"),
    [(10.4, 10.0, True), (10.6, 10.0, False), (-9.6, -10.0, True), (-9.4, -10.0, False),
     (0.0, 0.0, True), (0.1, 0.0, False)],
    ids=["within", "above", "negative-within", "negative-above", "zero", "above-zero"],
)  # fmt: skip
def test_no_more_than(value: float, baseline: float, expected: bool) -> None:
    assert no_more_than(value, baseline) is expected


def test_sim_attack_sybil_k_gives_the_sybil_and_its_twin(tmp_path: Path) -> None:
    """``--sybil-k 2``: the sybil person has two accounts, its twin one; the sybil's row
    carries k and its figures over the twin's."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    result = CliRunner().invoke(
        app,
        ["sim", "attack", str(spec), "--mix", "sybil=0.5", "--workers", "2", "--sybil-k", "2",
         "--no-baseline", "--format", "json"],
        env={"CROWDSET_DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.db'}"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["strategy"]: row for row in json.loads(result.stdout)}
    assert list(rows) == ["honest", "sybil", "sybil_baseline"]
    sybil, twin = rows["sybil"], rows["sybil_baseline"]
    assert (sybil["persons"], sybil["workers"], sybil["sybil_k"]) == (1, 2, 2)
    assert (twin["persons"], twin["workers"], twin["honest"]) == (1, 1, True)
    for key in ("net_per_person", "offer_share_per_person"):
        ratio = sybil[f"{key}_ratio"]
        assert ratio is None or ratio == pytest.approx(sybil[key] / twin[key])
    assert "sybil_baseline" in sybil["target"] and "5%" in sybil["target"]


def test_sim_attack_refuses_a_sybil_k_out_of_range(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    result = CliRunner().invoke(app, ["sim", "attack", str(spec), "--sybil-k", "0"])
    assert result.exit_code != 0
    assert "--sybil-k must be from 1 to 50" in result.output
