"""The strategies of the mechanism dry-run (SPEC §6.9): who they are, how fast they work, which
workflows they apply to, and the mix of them a crowd is made of.

Each strategy states its speed as a fraction of the spec's honest seconds per task
(``seconds_per_query``, ``seconds_per_vote``, ``seconds_per_judgment``, a review's
``minutes_per_pair``): a cheat works faster than an honest worker, which is what makes cheating
tempting per hour. Onboarding (tutorial, qualifier) is done honestly and at honest speed by
everyone: a qualifier alone stops no sleeper.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from crowdset.errors import InvalidInput


class Workflow(StrEnum):
    GENERATION = "generation"
    LABELING = "labeling"
    REVIEW = "review"


class Strategy(StrEnum):
    HONEST = "honest"
    CARELESS = "careless"
    SPAMMER = "spammer"
    SLOT_STUFFER = "slot_stuffer"
    INTENT_DRIFTER = "intent_drifter"
    ALWAYS_YES = "always_yes"
    RANDOM_VOTER = "random_voter"
    RING = "ring"
    CONTROL_ORACLE = "control_oracle"
    SAME_LABEL = "same_label"
    RANDOM_LABEL = "random_label"
    SLEEPER = "sleeper"
    REVIEW_CONSTANT = "review_constant"
    REVIEW_RANDOM = "review_random"
    REVIEW_NEAR_MEAN = "review_near_mean"
    SYBIL = "sybil"
    SYBIL_BASELINE = "sybil_baseline"  # added with every sybil, never in a mix
    PARAPHRASER = "paraphraser"
    PASTER = "paster"


G, L, R = Workflow.GENERATION, Workflow.LABELING, Workflow.REVIEW
SLEEPER_HONEST = 30  # a sleeper's honest answers: probation ends after about 14


@dataclass(frozen=True)
class StrategyInfo:
    honest: bool
    speed: float  # seconds per task as a fraction of the spec's honest seconds
    workflows: frozenset[Workflow]
    summary: str


CATALOGUE: dict[Strategy, StrategyInfo] = {
    Strategy.HONEST: StrategyInfo(
        True, 1.0, frozenset({G, L, R}), "does the task as asked; errs now and then"
    ),
    Strategy.CARELESS: StrategyInfo(
        False,
        0.7,
        frozenset({G, L, R}),
        "60 % of its work careless (another intent, random answers): below the bar",
    ),
    Strategy.SPAMMER: StrategyInfo(
        False, 0.2, frozenset({G}), "word salad around the required values; votes yes"
    ),
    Strategy.SLOT_STUFFER: StrategyInfo(
        False, 0.25, frozenset({G}), "the required values with a stock carrier; writes only"
    ),
    Strategy.INTENT_DRIFTER: StrategyInfo(
        False, 0.6, frozenset({G}), "fluent queries of another intent; writes only"
    ),
    Strategy.ALWAYS_YES: StrategyInfo(False, 0.15, frozenset({G}), "votes yes; votes only"),
    Strategy.RANDOM_VOTER: StrategyInfo(False, 0.15, frozenset({G}), "votes at random; votes only"),
    Strategy.RING: StrategyInfo(
        False,
        0.3,
        frozenset({G, L}),
        "writes junk, backs the ring's junk, rejects the rest (labeling: shares one answer)",
    ),
    Strategy.CONTROL_ORACLE: StrategyInfo(
        False, 0.3, frozenset({G, L, R}), "told which tasks are controls: right there, random else"
    ),
    Strategy.SAME_LABEL: StrategyInfo(False, 0.1, frozenset({L}), "always the same label"),
    Strategy.RANDOM_LABEL: StrategyInfo(False, 0.15, frozenset({L}), "labels at random"),
    Strategy.SLEEPER: StrategyInfo(
        False,
        0.5,
        frozenset({L}),
        f"honest for its first {SLEEPER_HONEST} answers (past probation), then labels at random",
    ),
    Strategy.PARAPHRASER: StrategyInfo(
        False,
        0.3,
        frozenset({G}),
        "swaps the values of a seed or an accepted query, now and then adds a word; writes only",
    ),
    Strategy.PASTER: StrategyInfo(
        False, 0.1, frozenset({G}), "pastes fluent machine-written text within seconds; writes only"
    ),
    Strategy.REVIEW_CONSTANT: StrategyInfo(False, 0.1, frozenset({R}), "always 5 stars"),
    Strategy.REVIEW_RANDOM: StrategyInfo(False, 0.15, frozenset({R}), "stars at random"),
    Strategy.REVIEW_NEAR_MEAN: StrategyInfo(
        False, 0.2, frozenset({R}), "stars near the campaign's mean, without reading"
    ),
    Strategy.SYBIL: StrategyInfo(
        False,
        1.0,
        frozenset({G, L}),
        "honest work, one person's stake split over k accounts that ask in parallel",
    ),
    Strategy.SYBIL_BASELINE: StrategyInfo(
        True, 1.0, frozenset({G, L}), "a sybil's twin: the same work and stake, one account"
    ),
}

SYBIL_K = 3  # accounts per sybil person by default (--sybil-k)
MAX_SYBIL_K = 50
HONEST_SHARE = 0.6  # the default mix: honest the majority, every other strategy a small share


def applicable(workflow: Workflow) -> list[Strategy]:
    """The strategies a mix may hold (a sybil brings its baseline by itself)."""
    return [
        s
        for s, info in CATALOGUE.items()
        if workflow in info.workflows and s is not Strategy.SYBIL_BASELINE
    ]


def default_mix(workflow: Workflow) -> dict[Strategy, float]:
    """Every strategy that applies to the workflow: honest 60 %, the rest shared evenly."""
    others = [s for s in applicable(workflow) if s is not Strategy.HONEST]
    share = (1.0 - HONEST_SHARE) / len(others)
    return {Strategy.HONEST: HONEST_SHARE, **dict.fromkeys(others, share)}


def parse_mix(text: str, workflow: Workflow) -> dict[Strategy, float]:
    """``STRATEGY=SHARE,...`` (shares of persons); what is left to 1 is honest.

    ``ring=0.33`` is a third of the crowd in the ring and two thirds honest."""
    mix: dict[Strategy, float] = {}
    known = ", ".join(s.value for s in applicable(workflow))
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        try:
            strategy = Strategy(name)
        except ValueError:
            raise InvalidInput(
                f"--mix: no strategy is called {name!r}; a {workflow.value} campaign has: {known}",
                field="--mix",
            ) from None
        if strategy is Strategy.SYBIL_BASELINE:
            raise InvalidInput(
                "--mix: sybil_baseline takes no share: every run with a sybil has one "
                "sybil_baseline person per sybil person; give sybil a share instead",
                field="--mix",
            )
        if workflow not in CATALOGUE[strategy].workflows:
            raise InvalidInput(
                f"--mix: {name} does not apply to a {workflow.value} campaign; its strategies "
                f"are: {known}",
                field="--mix",
            )
        try:
            share = float(value) if sep else math.nan
        except ValueError:
            share = math.nan
        if not 0.0 <= share <= 1.0:
            raise InvalidInput(
                f"--mix: {part!r} needs a share from 0 to 1, as in {name}=0.1", field="--mix"
            )
        mix[strategy] = share
    others = sum(v for s, v in mix.items() if s is not Strategy.HONEST)
    if others > 1.0 + 1e-9:
        raise InvalidInput(
            f"--mix: the shares add up to {others:.2f}; they are shares of the crowd and "
            "cannot exceed 1",
            field="--mix",
        )
    if Strategy.HONEST not in mix:
        mix[Strategy.HONEST] = max(0.0, 1.0 - others)
    total = sum(mix.values())
    if total <= 0:
        raise InvalidInput("--mix: give some strategy a share above 0", field="--mix")
    return {s: v / total for s, v in mix.items() if v > 0}


MIN_PERSONS = 10


def default_persons(mix: Mapping[Strategy, float]) -> int:
    """The smallest crowd in which every strategy of the mix has its people (one each, a
    ring two) and honest keeps its share; at least ``MIN_PERSONS``. Small on purpose: the
    fewer the persons, the more work each does, and the more evidence the mechanism has."""
    honest = mix.get(Strategy.HONEST, 0.0)
    others = sum(
        2 if s is Strategy.RING else 1 for s, v in mix.items() if s is not Strategy.HONEST and v > 0
    )
    if honest >= 1.0 or others == 0:
        return MIN_PERSONS
    return max(MIN_PERSONS, math.ceil(others / (1.0 - honest) - 1e-9))


def crowd_sizes(mix: Mapping[Strategy, float], persons: int) -> dict[Strategy, int]:
    """Persons per strategy: each strategy with a share gets at least one person (a ring at
    least two, or it is no ring), honest the rest; ``persons`` grows when the mix needs more."""
    sizes: dict[Strategy, int] = {}
    for strategy, share in mix.items():
        if strategy is Strategy.HONEST or share <= 0:
            continue
        least = 2 if strategy is Strategy.RING else 1
        sizes[strategy] = max(least, round(share * persons))
    honest_share = mix.get(Strategy.HONEST, 0.0)
    if honest_share > 0:
        sizes[Strategy.HONEST] = max(1, persons - sum(sizes.values()))
    return sizes
