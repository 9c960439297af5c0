"""Labeling and review attackers (SPEC §3, §4, §6.1): how each strategy answers an item, the
onboarding everyone passes honestly, and labeling's offer-by-offer work.

The simulation knows each item's truth (a gold item's gold answer, else the truth file's, else
one drawn at random) and which items are gold or challenge pairs: the control oracle is told,
and knows consensus gold too (a settled item offered again) with its decided answer.
Honest answers and random ones are :class:`crowdset.sim.labelers.LabelingCrowd`'s.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.judging import is_correct
from crowdset.core.labeling.spec import STARS, Answer, LabelingSpec
from crowdset.errors import Conflict, InvalidInput, NotFound
from crowdset.services import labeling, labeling_reports
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.sim.attackers.crowd import Account, skip
from crowdset.sim.attackers.strategies import CATALOGUE, SLEEPER_HONEST, Strategy
from crowdset.sim.labelers import LabelerKind, LabelerMix, LabelingCrowd

CARELESS_RATE = 0.6  # careless work's share: accuracy below the default bar of 0.7


def item_key(offer: OfferView) -> tuple[str, str]:
    """How the crowd recognises an offer's item: its text (or image) and translation."""
    return (offer.item_text or offer.item_image or "", offer.item_target or "")


def _as_given(answer: Answer) -> object:
    return list(answer) if isinstance(answer, tuple) else answer


@dataclass(frozen=True)
class Given:
    account: Account
    item: str | None  # the requester's id
    answer: object


class Answering:
    """What each strategy answers for an item; the seconds it takes."""

    def __init__(
        self,
        spec: LabelingSpec,
        items: Sequence[ItemRow],
        truth: Mapping[str, Answer],
        rng: np.random.Generator,
    ) -> None:
        self.spec, self.truth, self.rng = spec, truth, rng
        self.ids = {(i.text or i.image or "", i.target or ""): i.external_id for i in items}
        self.gold = {i.external_id for i in items if i.gold is not None}
        self.crowd = LabelingCrowd([], LabelerMix(), truth, rng)  # honest and random answers
        regular = [truth[k] for k in self.ids.values() if k in truth and k not in self.gold]
        self.mode = Counter(regular).most_common(1)[0][0] if regular else spec.label_names[0]
        stars = [int(str(a)) for a in regular] if spec.rating and regular else [3]
        self.mean_stars = float(np.mean(stars))
        self.ring_salt = str(int(rng.integers(1 << 30)))
        # the oracle's pooled knowledge of consensus gold: items already settled (their
        # answers), read through ``settled`` when an offered item is not known to be open
        self.settled: Callable[[], Mapping[str, object]] = dict
        self._known_settled: dict[str, object] = {}

    def seconds_per_task(self) -> float:
        review = self.spec.review
        return (
            float(review.minutes_per_pair * 60) if review else float(self.spec.seconds_per_judgment)
        )

    def seconds(self, account: Account) -> float:
        return self.seconds_per_task() * CATALOGUE[account.strategy].speed

    def onboarding_seconds(self) -> float:
        questions = len(self.spec.tutorial) + (
            len(self.spec.qualifier.questions) if self.spec.qualifier else 0
        )
        return questions * self.seconds_per_task()

    def _honest(self, truth: Answer | None) -> object:
        return self.crowd.answer(self.spec, LabelerKind.HONEST, truth)

    def _random(self) -> object:
        return self.crowd.answer(self.spec, LabelerKind.SPAMMER, None)

    def _shared(self, text: str) -> object:
        """The ring's answer: the same for every member, unrelated to the truth."""
        names = self.spec.label_names
        pick = names[zlib.crc32((self.ring_salt + text).encode()) % len(names)]
        return [pick] if self.spec.multi_label else pick

    def answer(self, account: Account, offer: OfferView) -> tuple[str | None, object]:
        key = self.ids.get(item_key(offer))
        truth = self.truth.get(key) if key is not None else None
        strategy = account.strategy
        if strategy in (Strategy.HONEST, Strategy.SYBIL, Strategy.SYBIL_BASELINE):
            return key, self._honest(truth)
        if strategy is Strategy.CARELESS:
            careless = self.rng.random() < CARELESS_RATE
            return key, self._random() if careless else self._honest(truth)
        if strategy is Strategy.SLEEPER:
            awake = account.offers <= SLEEPER_HONEST
            return key, self._honest(truth) if awake else self._random()
        if strategy is Strategy.CONTROL_ORACLE:
            if key in self.gold and truth is not None:
                return key, _as_given(truth)
            consensus = self._consensus_gold(key)
            return key, self._random() if consensus is None else consensus
        if strategy is Strategy.RING:
            return key, self._shared(item_key(offer)[0] + item_key(offer)[1])
        if strategy is Strategy.SAME_LABEL:
            return key, _as_given(self.mode)
        if strategy is Strategy.REVIEW_CONSTANT:
            return key, STARS[-1]
        if strategy is Strategy.REVIEW_NEAR_MEAN:
            stars = round(self.mean_stars + self.rng.uniform(-0.5, 0.5))
            return key, str(min(5, max(1, stars)))
        return key, self._random()  # random_label, review_random

    def _consensus_gold(self, key: str | None) -> object | None:
        """A settled item offered again is consensus gold (SPEC §6.1): its answer, which
        the oracle's group has seen decided; ``None`` for an item still open."""
        if key is None:
            return None
        if key not in self._known_settled:
            self._known_settled = dict(self.settled())
        answer = self._known_settled.get(key)
        return _as_given(self.spec.answer(answer)) if answer is not None else None

    def accepted(self, given: Given, final: Mapping[str, object]) -> bool | None:
        """Did the answer stand: a gold item's against its gold answer, another against the
        item's final answer? ``None``: not decided."""
        if given.item is None:
            return None
        expected = self.truth.get(given.item) if given.item in self.gold else final.get(given.item)
        if expected is None:
            return None
        try:
            return is_correct(self.spec, self.spec.answer(given.answer), self.spec.answer(expected))
        except ValueError:
            return None


def onboard(
    ctx: Context, campaign_id: int, spec: LabelingSpec, account: Account, seconds: float
) -> None:
    """Tutorial and qualifier, answered right (a sleeper passes like anyone)."""
    for index, question in enumerate(spec.tutorial):
        labeling.answer_tutorial(ctx, account.user_id, campaign_id, index, question.answer)
    if spec.qualifier is not None:
        labeling.take_qualifier(
            ctx, account.user_id, campaign_id, [q.answer for q in spec.qualifier.questions]
        )
    account.seconds += seconds


class LabelingAttack:
    """Offer by offer: each account answers by its strategy through ``submit_label``."""

    def __init__(
        self,
        ctx: Context,
        owner: Principal,
        campaign_id: int,
        answering: Answering,
    ) -> None:
        self.ctx, self.owner, self.campaign_id, self.answering = ctx, owner, campaign_id, answering
        self.given: list[Given] = []
        answering.settled = self.final_answers

    def final_answers(self) -> dict[str, object]:
        """Each settled item's answer (the requester's view; the simulation reads it)."""
        return {
            r.item: r.answer
            for r in labeling_reports.results(self.ctx, self.owner, self.campaign_id)
            if r.status == "settled" and r.answer is not None
        }

    def act(self, account: Account, offer: OfferView) -> bool:
        if offer.kind != "label":  # a review's revision: not this crowd's work
            skip(self.ctx, account, offer.id)
            return False
        key, answer = self.answering.answer(account, offer)
        seconds = self.answering.seconds(account)
        account.seconds += seconds
        try:
            labeling.submit_label(
                self.ctx, account.user_id, offer.id, answer, seconds_on_task=seconds
            )
        except (Conflict, NotFound, InvalidInput):  # revoked, withdrawn or expired meanwhile
            return False
        self.given.append(Given(account, key, answer))
        return True

    def tally(self) -> None:
        """Each account's answers that stood (gold: right; others: the final answer)."""
        final = self.final_answers()
        for given in self.given:
            stood = self.answering.accepted(given, final)
            if stood is True:
                given.account.accepted += 1
            elif stood is False:
                given.account.rejected += 1
