"""The mechanism dry-run (SPEC §6.9): run a campaign spec through the real services with a mix
of strategies, and report what each strategy earned per hour of modelled work.

:func:`run_attack` is the use case (the CLI's ``crowdset sim attack``; the API and the web call
it too). By default it works on a throw-away SQLite database in a temporary directory, so a
requester can try a spec before launch without touching their data:

1. a fresh requester creates and launches the campaign (its items for labeling and review);
2. a crowd is created, ``workers`` persons in the mix's shares (a sybil person has
   ``sybil_k`` accounts, and a ``sybil_baseline`` twin besides: one account holding the same
   stake and grant, working the same way), each granted credits and staking them;
3. the crowd works the campaign until it is done, idle, or the round limit: generation and
   labeling offer by offer, review package by package; modelled time moves on a simulated
   clock;
4. the campaign is closed (pending pay released, escrow refunded) and every account's ledger
   is read: net income, fines, work accepted and rejected, revocations;
5. with ``baseline``, the same crowd size all honest works the same spec on the same database,
   so the report can say what the attackers cost honest workers.

The strategies are :mod:`crowdset.sim.attackers.strategies`; the arithmetic of a row is
:mod:`crowdset.sim.attackers.report`.
"""

from __future__ import annotations

import math
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pydantic import SecretStr
from sqlalchemy import create_engine

from crowdset.core.generation.spec import CampaignSpec
from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.judging import mechanism_of
from crowdset.core.labeling.spec import Answer, LabelingSpec
from crowdset.core.permissions import Role
from crowdset.core.specs import load_any_spec
from crowdset.errors import InvalidInput
from crowdset.services import accounts, campaigns, generation, labeling, ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context, open_context
from crowdset.settings import Settings
from crowdset.sim.attackers.crowd import (
    Account,
    SimClock,
    create_accounts,
    ledger_tally,
    run_rounds,
)
from crowdset.sim.attackers.generation import GenerationAttack
from crowdset.sim.attackers.labeling import Answering, LabelingAttack, onboard
from crowdset.sim.attackers.report import Outcome, StrategyRow, rejection_rate, strategy_rows
from crowdset.sim.attackers.review import ReviewAttack
from crowdset.sim.attackers.strategies import (
    CATALOGUE,
    MAX_SYBIL_K,
    SYBIL_K,
    Strategy,
    Workflow,
    crowd_sizes,
    default_mix,
    default_persons,
    parse_mix,
)
from crowdset.sim.labelers import simulated_truth
from crowdset.storage import migrate

STAKE = 50  # credits each person stakes at least (a sybil splits it over their accounts)
GRANT = 200  # credits each person holds besides the stake
MAX_HOURS = 24.0  # modelled hours before a run is stopped

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class AttackReport:
    """What the dry-run found; ``rows()`` are the JSON objects of ``--format json``."""

    spec_name: str
    workflow: str
    seed: int
    mix: dict[str, float]
    strategies: tuple[StrategyRow, ...]
    baseline: tuple[StrategyRow, ...]  # the same crowd size, all honest; empty without one
    honest_rejection_rate: float | None
    honest_rejection_rate_without_attackers: float | None
    ring_junk_accepted_share: float | None  # generation: the ring's own queries accepted
    hours_modelled: float  # the campaign's duration on the simulated clock, baseline included
    done: bool  # the campaign reached its targets (or ran out of work) before the time limit
    ledger_ok: bool
    notes: tuple[str, ...] = field(default=())
    scale: int = 1  # the campaign's volume as a multiple of the spec's (see ``scaled``)
    sybil_k: int | None = None  # accounts per sybil person; ``None``: no sybil in the run

    def row(self, strategy: Strategy) -> StrategyRow | None:
        return next((r for r in self.strategies if r.strategy == strategy.value), None)

    def sybil_ratios(self) -> tuple[float | None, float | None]:
        """The sybil row's ``net_per_person`` and ``offer_share_per_person`` over its
        baseline's (``None`` where there is no sybil or the baseline's is 0)."""
        sybil, twin = self.row(Strategy.SYBIL), self.row(Strategy.SYBIL_BASELINE)
        if sybil is None or twin is None:
            return None, None
        return (
            sybil.net_per_person / twin.net_per_person if twin.net_per_person else None,
            sybil.offer_share_per_person / twin.offer_share_per_person
            if twin.offer_share_per_person
            else None,
        )

    @property
    def honest_net_per_hour_without_attackers(self) -> float | None:
        honest = next((r for r in self.baseline if r.strategy == Strategy.HONEST.value), None)
        return honest.net_per_hour if honest is not None else None

    def rows(self) -> list[dict[str, object]]:
        """One object per strategy; the honest row also says what the attackers cost it, the
        ring's row how much of its junk was accepted, the sybil's its accounts per person and
        its figures over its baseline's."""
        found = []
        for row in self.strategies:
            data = row.as_json()
            if row.strategy == Strategy.HONEST.value:
                data["rejection_rate"] = self.honest_rejection_rate
                data["rejection_rate_without_attackers"] = (
                    self.honest_rejection_rate_without_attackers
                )
                data["net_per_hour_without_attackers"] = self.honest_net_per_hour_without_attackers
            if row.strategy == Strategy.RING.value:
                data["junk_accepted_share"] = self.ring_junk_accepted_share
            if row.strategy == Strategy.SYBIL.value:
                net, offers = self.sybil_ratios()
                data["sybil_k"] = self.sybil_k
                data["net_per_person_ratio"] = net
                data["offer_share_per_person_ratio"] = offers
            found.append(data)
        return found


def workflow_of(spec: CampaignSpec | LabelingSpec) -> Workflow:
    if isinstance(spec, CampaignSpec):
        return Workflow.GENERATION
    if spec.review is not None:
        return Workflow.REVIEW
    if spec.type in ("classify", "rate"):
        return Workflow.LABELING
    raise InvalidInput(
        f"the dry-run simulates generation, classify, rate and review campaigns; a {spec.type} "
        "campaign has no simulated crowd yet",
        field="SPEC",
    )


@dataclass
class _Run:
    outcomes: list[Outcome]
    done: bool
    ring_junk_accepted_share: float | None = None


def _requester(ctx: Context, tag: str) -> Principal:
    user = accounts.create_user(
        ctx,
        email=f"attack-{tag}-requester@sim.crowdset",
        password=uuid.uuid4().hex,
        role=Role.REQUESTER.value,
        display_name="Dry-run requester",
    )
    ledger.issue_credits(ctx, None, user.id, 10_000_000 * ctx.settings.minor_per_unit)
    return Principal(user_id=user.id, role=Role.REQUESTER, email=user.email)


def _revoked(ctx: Context, owner: Principal, campaign_id: int) -> set[str]:
    return {
        str(event.detail.get("worker"))
        for event in campaigns.events(ctx, owner, campaign_id)
        if event.kind == "worker_revoked"
    }


def _outcomes(
    ctx: Context, owner: Principal, campaign_id: int, crowd: Sequence[Account]
) -> list[Outcome]:
    revoked = _revoked(ctx, owner, campaign_id)
    found = []
    for account in crowd:
        tally = ledger_tally(ctx, account.user_id)
        found.append(
            Outcome(
                strategy=account.strategy,
                person=account.person,
                offers=account.offers,
                accepted=account.accepted,
                rejected=account.rejected,
                revoked=account.pseudonym in revoked,
                fines=tally.fines,
                net=tally.worth - account.initial_total,
                seconds=account.seconds,
                written_accepted=account.written_accepted,
                written_rejected=account.written_rejected,
                refused=account.refused,
            )
        )
    return found


def _stake_cap(spec: CampaignSpec | LabelingSpec) -> float | None:
    """The campaign's ``stake_cap`` in credits; ``None`` where its rule has none (``ln1p``)."""
    mechanism = spec.mechanism if isinstance(spec, CampaignSpec) else mechanism_of(spec)
    return float(mechanism.stake_cap) if mechanism.selection == "stake_cap" else None


def _stake(
    ctx: Context, spec: CampaignSpec | LabelingSpec, workflow: Workflow, sybil_k: int
) -> int:
    """Minor units each person stakes: enough for each of a sybil's ``sybil_k`` accounts to
    hold the campaign's required stake, so that every person, sybil or not, stakes the same
    (whole credits, split evenly over the sybil's accounts)."""
    if workflow is Workflow.REVIEW:
        return 0  # reviewers hold a deposit per package instead
    minor = ctx.settings.minor_per_unit
    required = (
        generation.required_stake_of(ctx, spec)
        if isinstance(spec, CampaignSpec)
        else labeling.min_stake_of(ctx, spec)
    )
    per_person = max(STAKE * minor, sybil_k * required)
    step = minor * sybil_k // math.gcd(minor, sybil_k)  # whole credits, split evenly
    return -(-per_person // step) * step  # rounded up


def _run_campaign(
    ctx: Context,
    clock: SimClock,
    owner: Principal,
    spec: CampaignSpec | LabelingSpec,
    workflow: Workflow,
    items: Sequence[ItemRow],
    truth: Mapping[str, Answer],
    sizes: Mapping[Strategy, int],
    *,
    seed: int,
    max_hours: float,
    what: str,
    on_progress: Progress | None,
    sybil_k: int,
) -> _Run:
    minor = ctx.settings.minor_per_unit
    ctx.rng = np.random.default_rng(seed)
    rng = np.random.default_rng([seed, 1])
    view = campaigns.create_campaign(ctx, owner, spec, list(items) or None)
    campaigns.launch(ctx, owner, view.id)
    stake = _stake(ctx, spec, workflow, sybil_k)
    crowd = create_accounts(ctx, sizes, grant=GRANT * minor + stake, stake=stake, sybil_k=sybil_k)
    ring_share: float | None = None
    until = clock.elapsed + max_hours * 3600

    if isinstance(spec, CampaignSpec):
        attack = GenerationAttack(ctx, owner, view.id, spec, rng)
        total = spec.total_target

        def generation_progress() -> None:
            if on_progress is not None:
                on_progress(what, attack.accepted_so_far(), total)

        done = run_rounds(
            ctx, clock, crowd, rng, view.id, attack.act,
            until=until, done=attack.done, on_work=generation_progress,
        )  # fmt: skip
        campaigns.close(ctx, owner, view.id)
        attack.tally(crowd)
        ring = [a for a in crowd if a.strategy is Strategy.RING]
        decided = sum(a.written_accepted + a.written_rejected for a in ring)
        if decided:
            ring_share = sum(a.written_accepted for a in ring) / decided
    else:
        answering = Answering(spec, items, truth, rng)
        onboarding = answering.onboarding_seconds()
        for account in crowd:
            onboard(ctx, view.id, spec, account, onboarding)
        cost = campaigns.estimate_labeling_cost(ctx, spec, sum(i.gold is None for i in items))
        total = cost.judgments + cost.gold_judgments
        if workflow is Workflow.REVIEW:
            reviewing = ReviewAttack(ctx, owner, view.id, answering)

            def review_progress() -> None:
                if on_progress is not None:
                    on_progress(what, reviewing.ratings, max(total, reviewing.ratings))

            done = reviewing.run(clock, crowd, rng, until=until, on_work=review_progress)
            campaigns.close(ctx, owner, view.id)
            reviewing.tally(crowd)
        else:
            labeling_attack = LabelingAttack(ctx, owner, view.id, answering)

            def labeling_progress() -> None:
                if on_progress is not None:
                    given = len(labeling_attack.given)
                    on_progress(what, given, max(total, given))

            done = run_rounds(
                ctx, clock, crowd, rng, view.id, labeling_attack.act,
                until=until, done=lambda: False, on_work=labeling_progress,
                idle_seconds=max(120.0, 40 * float(spec.seconds_per_judgment)),
            )  # fmt: skip
            campaigns.close(ctx, owner, view.id)
            labeling_attack.tally()
    return _Run(_outcomes(ctx, owner, view.id, crowd), done, ring_share)


def check_sybil_k(sybil_k: int | None, shares: Mapping[Strategy, float]) -> int:
    """The accounts per sybil person: ``sybil_k`` (1 to ``MAX_SYBIL_K``, and only with a sybil
    in the mix), or ``SYBIL_K`` when not given."""
    if sybil_k is None:
        return SYBIL_K
    if not 1 <= sybil_k <= MAX_SYBIL_K:
        raise InvalidInput(
            f"--sybil-k must be from 1 to {MAX_SYBIL_K} accounts per sybil person, got {sybil_k}",
            field="--sybil-k",
        )
    if Strategy.SYBIL not in shares:
        raise InvalidInput(
            "--sybil-k splits a sybil's stake, but the mix has no sybil: add one to --mix, as in "
            f"sybil=0.2 (this mix has: {', '.join(s.value for s in shares)})",
            field="--sybil-k",
        )
    return sybil_k


def scaled(
    spec: CampaignSpec | LabelingSpec,
    items: Sequence[ItemRow],
    truth: Mapping[str, object],
    scale: int,
) -> tuple[CampaignSpec | LabelingSpec, list[ItemRow], dict[str, object]]:
    """The campaign at ``scale`` times its volume, to see the mechanism at the size the real
    campaign will have: a generation spec's targets multiplied; a labeling or review campaign's
    items (gold included) repeated, each copy's text marked `` [k]`` so that the crowd tells
    copies apart (offers carry no item id), with the truth of its original."""
    if scale == 1:
        return spec, list(items), dict(truth)
    if isinstance(spec, CampaignSpec):
        intents = [i.model_copy(update={"target": i.target * scale}) for i in spec.intents]
        return spec.model_copy(update={"intents": intents}), [], {}
    rows: list[ItemRow] = list(items)
    known = dict(truth)
    for copy in range(2, scale + 1):
        for item in items:
            key = f"{item.external_id}~{copy}"
            rows.append(
                replace(
                    item,
                    external_id=key,
                    text=f"{item.text} [{copy}]" if item.text is not None else None,
                    image=f"{item.image}#{copy}" if item.image is not None else None,
                )
            )
            if item.external_id in truth:
                known[key] = truth[item.external_id]
    return spec, rows, known


def _truth_of(
    spec: CampaignSpec | LabelingSpec,
    items: Sequence[ItemRow],
    truth: Mapping[str, object],
    seed: int,
) -> dict[str, Answer]:
    if isinstance(spec, CampaignSpec):
        return {}
    return simulated_truth(items, spec, truth, np.random.default_rng([seed, 2]))


def _throwaway_settings(base: Settings, directory: Path, seed: int) -> Settings:
    url = f"sqlite:///{directory / 'dry-run.db'}"
    engine = create_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    # the crowd's passwords are never used: a cheap hash keeps account creation fast; the
    # admission tickets' key (services.admission) follows the seed, so a run repeats
    return base.model_copy(
        update={
            "database_url": url,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 1024,
            "session_secret": SecretStr(f"crowdset dry-run, seed {seed:032d}"),
        }
    )


def run_attack(
    settings_or_ctx: Settings | Context,
    spec_text: str,
    items: Sequence[ItemRow] | None = None,
    truth: Mapping[str, object] | None = None,
    mix: Mapping[Strategy, float] | str | None = None,
    seed: int = 0,
    *,
    workers: int | None = None,
    baseline: bool = True,
    max_hours: float = MAX_HOURS,
    scale: int = 1,
    sybil_k: int | None = None,
    on_progress: Progress | None = None,
    source: str = "spec.yaml",
) -> AttackReport:
    """Run the dry-run and report per strategy.

    ``settings_or_ctx``: with ``Settings``, the run uses a throw-away SQLite database (the
    settings give the fair wage, currency and fees); with a ``Context``, its database, whose
    clock and random generator are replaced for the run and restored after. ``items`` are a
    labeling or review campaign's items (challenge pairs included); ``truth`` maps item ids to
    true answers (the rest are drawn at random, gold items use their gold). ``mix`` is
    ``{strategy: share}`` or ``"ring=0.33,..."`` (what is left is honest); ``None`` is the
    workflow's default mix. ``scale`` multiplies the campaign's volume (:func:`scaled`).
    ``workers`` counts persons (default: the smallest crowd that holds
    the mix, :func:`~crowdset.sim.attackers.strategies.default_persons`). ``sybil_k`` splits
    each sybil person's stake and grant over that many accounts (1 to ``MAX_SYBIL_K``; default
    ``SYBIL_K``); each sybil person has a ``sybil_baseline`` twin besides the ``workers``: one
    account with the same stake and grant, working the same way.
    """
    spec = load_any_spec(spec_text, source=source)
    workflow = workflow_of(spec)
    if isinstance(spec, LabelingSpec) and not items:
        noun = "sentence pairs" if workflow is Workflow.REVIEW else "items"
        raise InvalidInput(f"a {spec.type} campaign's dry-run needs its {noun}", field="--items")
    if isinstance(spec, CampaignSpec) and items:
        raise InvalidInput("a generation campaign takes no items", field="--items")
    shares = (
        default_mix(workflow)
        if mix is None
        else parse_mix(mix, workflow)
        if isinstance(mix, str)
        else dict(mix)
    )
    for strategy in shares:
        if workflow not in CATALOGUE[strategy].workflows:
            raise InvalidInput(
                f"{strategy.value} does not apply to a {workflow.value} campaign", field="--mix"
            )
    persons = workers if workers is not None else default_persons(shares)
    split = check_sybil_k(sybil_k, shares)
    if not 1 <= scale <= 1000:
        raise InvalidInput(f"--scale must be from 1 to 1000, got {scale}", field="--scale")
    spec, items, truth = scaled(spec, items or (), truth or {}, scale)
    if persons < 2:
        raise InvalidInput(f"--workers must be at least 2, got {persons}", field="--workers")
    if isinstance(settings_or_ctx, Context):
        ctx = settings_or_ctx
        saved = (ctx.clock, ctx.rng)
        try:
            return _attack(
                ctx, spec, workflow, items, truth, shares, seed, persons,
                baseline=baseline, max_hours=max_hours, on_progress=on_progress,
                tag=uuid.uuid4().hex[:8], scale=scale, sybil_k=split,
            )  # fmt: skip
        finally:
            ctx.clock, ctx.rng = saved
    with tempfile.TemporaryDirectory(prefix="crowdset-dry-run-") as directory:
        ctx = open_context(_throwaway_settings(settings_or_ctx, Path(directory), seed))
        try:
            return _attack(
                ctx, spec, workflow, items, truth, shares, seed, persons,
                baseline=baseline, max_hours=max_hours, on_progress=on_progress, tag="run",
                scale=scale, sybil_k=split,
            )  # fmt: skip
        finally:
            ctx.db.dispose()


def _attack(
    ctx: Context,
    spec: CampaignSpec | LabelingSpec,
    workflow: Workflow,
    items: Sequence[ItemRow],
    truth: Mapping[str, object],
    shares: Mapping[Strategy, float],
    seed: int,
    persons: int,
    *,
    baseline: bool,
    max_hours: float,
    on_progress: Progress | None,
    tag: str,
    scale: int,
    sybil_k: int,
) -> AttackReport:
    settings = ctx.settings
    clock = SimClock(datetime.now(UTC).replace(microsecond=0))
    ctx.clock = clock
    owner = _requester(ctx, tag)
    answers = _truth_of(spec, items, truth, seed)
    sizes = crowd_sizes(shares, persons)
    if sizes.get(Strategy.SYBIL):  # each sybil person's twin: one account, the same stake
        sizes[Strategy.SYBIL_BASELINE] = sizes[Strategy.SYBIL]
    unit = "accepted queries" if workflow is Workflow.GENERATION else "answers"
    run = _run_campaign(
        ctx, clock, owner, spec, workflow, items, answers, sizes,
        seed=seed, max_hours=max_hours, what=f"with attackers: {unit}", on_progress=on_progress,
        sybil_k=sybil_k,
    )  # fmt: skip
    fair = float(settings.fair_hourly_wage)
    rows = strategy_rows(
        run.outcomes, minor_per_unit=settings.minor_per_unit, fair_wage_per_hour=fair
    )
    without: _Run | None = None
    if baseline:
        honest_persons = sum(sizes.values())
        without = _run_campaign(
            ctx, clock, owner, spec, workflow, items, answers, {Strategy.HONEST: honest_persons},
            seed=seed, max_hours=max_hours, what=f"all honest: {unit}", on_progress=on_progress,
            sybil_k=sybil_k,
        )  # fmt: skip
    notes = []
    has_sybil = bool(sizes.get(Strategy.SYBIL))
    cap = _stake_cap(spec)
    stake = _stake(ctx, spec, workflow, sybil_k) / settings.minor_per_unit
    if has_sybil and cap is not None and stake > cap:
        notes.append(
            f"each person stakes {stake:g} credits, above the campaign's stake_cap of {cap:g}: "
            "one account weighs the cap, the sybil's accounts up to their whole stake (SPEC "
            "§6.6 holds below the cap)"
        )
    if not run.done:
        notes.append(
            f"the campaign was still running after {max_hours:g} modelled hours (--max-hours)"
        )
    return AttackReport(
        spec_name=spec.name,
        workflow=workflow.value,
        seed=seed,
        mix={s.value: round(v, 4) for s, v in shares.items()},
        strategies=tuple(rows),
        baseline=tuple(
            strategy_rows(
                without.outcomes, minor_per_unit=settings.minor_per_unit, fair_wage_per_hour=fair
            )
        )
        if without is not None
        else (),
        honest_rejection_rate=rejection_rate(run.outcomes, Strategy.HONEST),
        honest_rejection_rate_without_attackers=(
            rejection_rate(without.outcomes, Strategy.HONEST) if without is not None else None
        ),
        ring_junk_accepted_share=run.ring_junk_accepted_share,
        hours_modelled=clock.elapsed / 3600,
        done=run.done,
        ledger_ok=ledger.verify(ctx).ok,
        notes=tuple(notes),
        scale=scale,
        sybil_k=sybil_k if has_sybil else None,
    )
