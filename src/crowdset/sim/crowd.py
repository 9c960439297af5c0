"""Simulated workers: honest, careless and spamming, writing and voting through the services.

Each agent both writes and votes. The simulation knows which queries are good (it wrote them),
which is how a report can say how many bad queries the platform let through.

- honest: writes from the phrasing pool; votes the truth, wrong with ``honest_error``.
- careless: with ``careless_rate`` writes a query for another intent (values included, so it
  passes the automatic checks) and votes at random; otherwise behaves honestly.
- spammer: writes word salad around the required values and approves everything it is shown
  (agreeing with most majorities is how a spammer farms vote payments).
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from crowdset.core.generation.annotation import annotate
from crowdset.core.generation.copies import copies_seed_or_own, template_of
from crowdset.core.permissions import Role
from crowdset.errors import AnswerRefused, Conflict
from crowdset.services import accounts, campaigns, generation, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, VoteInput
from crowdset.sim.pacing import modelled_time
from crowdset.sim.phrasing import PhrasingPool

_SALAD = [
    "banana",
    "window",
    "seven",
    "purple",
    "quickly",
    "table",
    "river",
    "sings",
    "under",
    "blue",
    "machine",
    "jump",
    "coffee",
    "never",
    "elephant",
    "sometimes",
    "paper",
    "orbit",
    "candle",
]


class Strategy(StrEnum):
    HONEST = "honest"
    CARELESS = "careless"
    SPAMMER = "spammer"


HONEST_DRAFTS = 12  # phrasings an honest writer weighs to avoid copying a seed or themselves


@dataclass(frozen=True)
class CrowdMix:
    workers: int = 20
    careless: float = 0.15  # share of workers
    spammers: float = 0.10
    careless_rate: float = 0.5  # how often a careless worker does careless work
    honest_error: float = 0.05  # how often an honest validator votes wrongly
    grant: int = 500  # credits issued to each simulated worker
    stake_range: tuple[int, int] = (20, 400)  # credits staked, drawn uniformly


@dataclass
class Agent:
    user_id: int
    pseudonym: str
    strategy: Strategy
    staked: int
    initial_total: int


@dataclass
class SimulationReport:
    """What happened, judged against the simulation's own knowledge of good and bad queries."""

    submitted: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (intent, good)
    refused: Counter[str] = field(default_factory=Counter)  # by check reason
    actions: int = 0
    rounds: int = 0
    income: dict[Strategy, list[int]] = field(default_factory=lambda: defaultdict(list))

    def income_by_strategy(self) -> dict[str, float]:
        return {s.value: float(np.mean(v)) for s, v in self.income.items() if v}


class Crowd:
    """A set of agents with accounts, credits and stake."""

    def __init__(
        self, agents: list[Agent], mix: CrowdMix, pool: PhrasingPool, rng: np.random.Generator
    ) -> None:
        self.agents = agents
        self.mix = mix
        self.pool = pool
        self.rng = rng
        self.truth: dict[str, bool] = {}  # query text → written as a good query
        self.templates: dict[int, list[str]] = {}  # agent → templates of its queries
        self.written_for: dict[str, str] = {}  # query text → the intent its phrasing came from

    @classmethod
    def create(
        cls,
        ctx: Context,
        mix: CrowdMix,
        pool: PhrasingPool,
        *,
        seed: int = 0,
        operator_id: int | None = None,
    ) -> Crowd:
        rng = np.random.default_rng(seed)
        minor = ctx.settings.minor_per_unit
        n_careless = round(mix.workers * mix.careless)
        n_spam = round(mix.workers * mix.spammers)
        strategies = (
            [Strategy.CARELESS] * n_careless
            + [Strategy.SPAMMER] * n_spam
            + [Strategy.HONEST] * (mix.workers - n_careless - n_spam)
        )
        rng.shuffle(strategies)
        run = uuid.uuid4().hex[:8]
        agents = []
        for number, strategy in enumerate(strategies):
            user = accounts.create_user(
                ctx,
                email=f"sim-{run}-{number}@sim.crowdset",
                password=uuid.uuid4().hex,
                role=Role.WORKER.value,
                display_name=f"Simulated {strategy.value} {number}",
            )
            ledger.issue_credits(
                ctx, operator_id, user.id, mix.grant * minor, memo="simulation grant"
            )
            staked = int(rng.integers(mix.stake_range[0], mix.stake_range[1] + 1))
            ledger.stake(ctx, user.id, staked * minor)
            agents.append(
                Agent(user.id, user.pseudonym, strategy, staked * minor, mix.grant * minor)
            )
        return cls(agents, mix, pool, rng)

    def strategy_of(self, pseudonym: str) -> Strategy:
        return next(a.strategy for a in self.agents if a.pseudonym == pseudonym)

    # --- writing ---

    def _write(self, agent: Agent, offer: OfferView, attempt: int) -> tuple[str, bool, str] | None:
        careless = (
            agent.strategy is Strategy.CARELESS and self.rng.random() < self.mix.careless_rate
        )
        if agent.strategy is Strategy.SPAMMER:
            words = list(self.rng.choice(_SALAD, size=int(self.rng.integers(3, 7))))
            for value in offer.values:
                words.insert(int(self.rng.integers(len(words) + 1)), value.value)
            return " ".join(words), False, ""
        if careless:
            others = [i for i in self.pool.intents() if i != offer.intent]
            if others:
                wrong = others[int(self.rng.integers(len(others)))]
                text = self.pool.write(wrong, offer.values, self.rng, vary=attempt > 0)
                if text is not None:
                    return text, False, wrong
        return self._honest(agent, offer, attempt)

    def _honest(self, agent: Agent, offer: OfferView, attempt: int) -> tuple[str, bool, str] | None:
        """A phrasing of the pool's that copies neither a seed nor the writer's own earlier
        queries (SPEC §6.7: a person writes their own words); ``None`` (the writer passes) when
        the pool has nothing new left for them."""
        own = self.templates.setdefault(agent.user_id, [])
        for draft in range(HONEST_DRAFTS):
            text = self.pool.write(offer.intent, offer.values, self.rng, vary=draft + attempt > 0)
            if text is None:
                return None
            template = template_of(text, annotate(text, offer.values))
            if not copies_seed_or_own(template, seeds=self.pool.seed_templates, own=own):
                return text, True, offer.intent
        return None

    def _vote(self, agent: Agent, offer: OfferView) -> VoteInput:
        """An honest validator knows what the crowd wrote and for which intent, and the
        intent's real utterances; anything else shown for a vote (a query of another intent,
        shuffled words, a value removed: the platform's known-bad controls) is bad."""
        text = " ".join((offer.query_text or "").split())
        if text in self.truth:
            good = self.truth[text] and self.written_for.get(text, offer.intent) == offer.intent
        else:
            good = self.pool.is_utterance_of(offer.intent, text)
        if agent.strategy is Strategy.SPAMMER:
            verdict = True
        elif agent.strategy is Strategy.CARELESS and self.rng.random() < self.mix.careless_rate:
            verdict = bool(self.rng.random() < 0.5)
        else:
            verdict = good if self.rng.random() >= self.mix.honest_error else not good
        return VoteInput(verdict, verdict, verdict, verdict)

    def act(self, ctx: Context, agent: Agent, offer: OfferView, report: SimulationReport) -> None:
        try:
            offer = offers.accept_offer(ctx, agent.user_id, offer.id)
        except Conflict:
            return
        if offer.kind == "vote":
            with contextlib.suppress(Conflict):  # revoked or withdrawn meanwhile
                generation.submit_vote(ctx, agent.user_id, offer.id, self._vote(agent, offer))
            return
        for attempt in range(3):
            written = self._write(agent, offer, attempt)
            if written is None:
                break
            text, good, source_intent = written
            try:
                generation.submit_query(
                    ctx, agent.user_id, offer.id, text, seconds_on_task=30.0 + attempt * 10
                )
            except AnswerRefused as refused:
                for reason in refused.fields.get("reasons", []):
                    report.refused[str(reason["reason"])] += 1
                continue
            except Conflict:  # revoked or withdrawn meanwhile
                return
            self.truth[" ".join(text.split())] = good
            self.written_for[" ".join(text.split())] = source_intent
            self.templates.setdefault(agent.user_id, []).append(
                template_of(text, annotate(text, offer.values))
            )
            report.submitted[(offer.intent, good)] += 1
            return
        with contextlib.suppress(Conflict):  # the last refused attempt ended it (max_attempts)
            offers.skip_offer(ctx, agent.user_id, offer.id)


def run_generation(
    ctx: Context,
    viewer: Principal,
    campaign_id: int,
    crowd: Crowd,
    *,
    max_rounds: int = 10_000,
    tick: Callable[[], None] | None = None,
    on_round: Callable[[int, int], None] | None = None,
) -> SimulationReport:
    """Let the crowd work until the campaign has its target or no work is handed out for a
    few rounds.

    ``viewer`` is the campaign's requester (progress is theirs to read); ``tick`` advances a
    simulated clock between actions (default: ``pacing.modelled_time``); ``on_round`` reports
    ``(round, accepted)`` for progress bars.
    """
    with modelled_time(ctx, tick) as step:
        return _rounds(ctx, viewer, campaign_id, crowd, max_rounds, step, on_round)


def _rounds(
    ctx: Context,
    viewer: Principal,
    campaign_id: int,
    crowd: Crowd,
    max_rounds: int,
    tick: Callable[[], None],
    on_round: Callable[[int, int], None] | None,
) -> SimulationReport:
    report = SimulationReport()
    idle = 0
    for round_number in range(1, max_rounds + 1):
        report.rounds = round_number
        worked = False
        order = crowd.rng.permutation(len(crowd.agents))
        for index in order:
            agent = crowd.agents[int(index)]
            offer = offers.next_offer(ctx, agent.user_id, campaign_id)
            tick()
            if offer is None:
                continue
            worked = True
            report.actions += 1
            crowd.act(ctx, agent, offer, report)
        state = campaigns.progress(ctx, viewer, campaign_id)
        if on_round is not None:
            on_round(round_number, state.accepted)
        done = all(i.accepted >= i.target for i in state.intents)
        pending = sum(i.validating for i in state.intents)
        if done and not pending:
            break
        idle = 0 if worked else idle + 1
        if idle >= 3:
            break
    for agent in crowd.agents:
        balances = ledger.balances(ctx, agent.user_id)
        report.income[agent.strategy].append(balances.total - agent.initial_total)
    return report
