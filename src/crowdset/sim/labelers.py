"""Simulated labelers: honest and spamming workers of classify and rate campaigns, going
through the same services as people (onboarding, offers, answers).

The simulation knows each item's true answer (``truth``: the requester's id → answer), which is
how a test can judge the delivered labels.

- honest: right with probability ``honest_accuracy`` (classify; otherwise another label at
  random); for ratings, the truth plus rounded Gaussian noise of ``honest_noise`` stars.
- spammer: passes the onboarding honestly (a "sleeper": qualifiers alone do not stop them),
  then answers uniformly at random.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.spec import Answer, LabelingSpec
from crowdset.core.permissions import Role
from crowdset.errors import Conflict, InvalidInput
from crowdset.services import accounts, labeling, ledger, offers
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.sim.pacing import modelled_time


class LabelerKind(StrEnum):
    HONEST = "honest"
    SPAMMER = "spammer"


@dataclass(frozen=True)
class LabelerMix:
    workers: int = 20
    spammers: float = 0.3  # share of workers
    honest_accuracy: float = 0.9
    honest_noise: float = 0.6  # stars (standard deviation)
    grant: int = 200
    stake: int = 50


@dataclass
class Labeler:
    user_id: int
    pseudonym: str
    kind: LabelerKind
    initial_total: int


@dataclass
class LabelingRun:
    rounds: int = 0
    answers: int = 0
    income: dict[str, list[int]] = field(default_factory=dict)


class LabelingCrowd:
    def __init__(
        self,
        labelers: list[Labeler],
        mix: LabelerMix,
        truth: Mapping[str, Answer],
        rng: np.random.Generator,
    ) -> None:
        self.labelers = labelers
        self.mix = mix
        self.truth = truth
        self.rng = rng
        self.by_text: dict[str, str] = {}  # item text → requester's id (filled by the caller)

    @classmethod
    def create(
        cls,
        ctx: Context,
        mix: LabelerMix,
        truth: Mapping[str, Answer],
        *,
        seed: int = 0,
        operator_id: int | None = None,
        role: str = "labeler",
    ) -> LabelingCrowd:
        """``role`` names the accounts (``labeler-…@sim.crowdset``, ``reviewer-…``)."""
        rng = np.random.default_rng(seed)
        minor = ctx.settings.minor_per_unit
        n_spam = round(mix.workers * mix.spammers)
        kinds = [LabelerKind.SPAMMER] * n_spam + [LabelerKind.HONEST] * (mix.workers - n_spam)
        rng.shuffle(kinds)
        run = uuid.uuid4().hex[:8]
        labelers = []
        for number, kind in enumerate(kinds):
            user = accounts.create_user(
                ctx,
                email=f"{role}-{run}-{number}@sim.crowdset",
                password=uuid.uuid4().hex,
                role=Role.WORKER.value,
                display_name=f"Simulated {kind.value} {role} {number}",
            )
            ledger.issue_credits(ctx, operator_id, user.id, mix.grant * minor, memo="simulation")
            if mix.stake:
                ledger.stake(ctx, user.id, mix.stake * minor)
            labelers.append(Labeler(user.id, user.pseudonym, kind, mix.grant * minor))
        return cls(labelers, mix, truth, rng)

    # --- answering ---

    def answer(self, spec: LabelingSpec, kind: LabelerKind, truth: Answer | None) -> object:
        names = spec.label_names
        if kind is LabelerKind.SPAMMER or truth is None:
            if spec.multi_label:
                return [n for n in names if self.rng.random() < 0.5]
            return names[int(self.rng.integers(len(names)))]
        if spec.rating:
            noisy = int(str(truth)) + self.rng.normal(0, self.mix.honest_noise)
            return str(int(min(5, max(1, round(noisy)))))
        if spec.multi_label:
            chosen = set(truth)
            for name in names:
                if self.rng.random() > self.mix.honest_accuracy:
                    chosen ^= {name}
            return sorted(chosen)
        if self.rng.random() < self.mix.honest_accuracy:
            return truth
        others = [n for n in names if n != truth]
        return others[int(self.rng.integers(len(others)))]

    def onboard(self, ctx: Context, campaign_id: int, spec: LabelingSpec) -> None:
        """Every labeler answers the tutorial and the qualifier honestly (spammers too)."""
        for labeler in self.labelers:
            for index, question in enumerate(spec.tutorial):
                labeling.answer_tutorial(ctx, labeler.user_id, campaign_id, index, question.answer)
            if spec.qualifier is not None:
                labeling.take_qualifier(
                    ctx,
                    labeler.user_id,
                    campaign_id,
                    [q.answer for q in spec.qualifier.questions],
                )

    def _item_key(self, offer: OfferView) -> str | None:
        return self.by_text.get(offer.item_text or offer.item_image or "")


def run_labeling(
    ctx: Context,
    campaign_id: int,
    crowd: LabelingCrowd,
    spec: LabelingSpec,
    *,
    max_rounds: int = 2_000,
    tick: Callable[[], None] | None = None,
    on_round: Callable[[int, int], None] | None = None,
) -> LabelingRun:
    """Let the crowd work until no offer is handed out for three rounds in a row.

    ``tick`` runs after every request for work (a test moves its clock there; default:
    ``pacing.modelled_time``); ``on_round`` gets the round's number and the answers so far (a
    progress bar)."""
    with modelled_time(ctx, tick) as step:
        return _rounds(ctx, campaign_id, crowd, spec, max_rounds, step, on_round)


def _rounds(
    ctx: Context,
    campaign_id: int,
    crowd: LabelingCrowd,
    spec: LabelingSpec,
    max_rounds: int,
    tick: Callable[[], None],
    on_round: Callable[[int, int], None] | None,
) -> LabelingRun:
    run = LabelingRun()
    idle = 0
    for round_number in range(1, max_rounds + 1):
        run.rounds = round_number
        worked = False
        for index in crowd.rng.permutation(len(crowd.labelers)):
            labeler = crowd.labelers[int(index)]
            offer = offers.next_offer(ctx, labeler.user_id, campaign_id)
            tick()
            if offer is None:
                continue
            key = crowd._item_key(offer)
            answer = crowd.answer(spec, labeler.kind, crowd.truth.get(key) if key else None)
            try:
                labeling.submit_label(ctx, labeler.user_id, offer.id, answer)
            except Conflict:  # revoked or withdrawn meanwhile
                continue
            worked = True
            run.answers += 1
        idle = 0 if worked else idle + 1
        if on_round is not None:
            on_round(round_number, run.answers)
        if idle >= 3:
            break
    for labeler in crowd.labelers:
        total = ledger.balances(ctx, labeler.user_id).total
        run.income.setdefault(labeler.kind.value, []).append(total - labeler.initial_total)
    return run


def simulated_truth(
    items: Sequence[ItemRow],
    spec: LabelingSpec,
    known: Mapping[str, object],
    rng: np.random.Generator,
) -> dict[str, Answer]:
    """Each item's true answer for a simulated crowd (by the requester's item id): its gold
    answer; else its value in ``known`` (a truth file's); else one drawn at random from the
    spec's choices (multi-label: each label with probability one half)."""
    names = spec.label_names
    truth: dict[str, Answer] = {}
    for item in items:
        key = item.external_id
        if item.gold is not None:
            truth[key] = item.gold
        elif key in known:
            try:
                truth[key] = spec.answer(known[key])
            except ValueError as error:
                raise InvalidInput(f"truth of item {key!r}: {error}", item=key) from None
        elif spec.multi_label:
            truth[key] = tuple(n for n in names if rng.random() < 0.5)
        else:
            truth[key] = names[int(rng.integers(len(names)))]
    return truth


def items_by_content(items: Sequence[ItemRow]) -> dict[str, str]:
    """Item text (or image URL) → the requester's id: how the crowd recognises an offer's
    item, since offers carry no item id. Items with the same text share one truth."""
    return {(item.text or item.image or ""): item.external_id for item in items}
