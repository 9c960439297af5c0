"""The replay's crowd under the mechanism of issue #15: the dry-run's generation attackers
(:class:`crowdset.sim.attackers.generation.GenerationAttack`) working the Snips campaign, with
honest writing taken from the real utterances.

Who is in it (:class:`ReplayMix`):

- **honest**: phrase from ``train_<Intent>_full.json``, the required values in place of the
  original ones (:class:`crowdset.sim.PhrasingPool`); of up to ``HONEST_DRAFTS`` phrasings
  (the first as the utterance reads, the next with a prefix or suffix of the pool's) they write
  the first that copies neither a seed nor their own earlier queries (core
  ``copies_seed_or_own``) and is not a near-copy of a query another worker wrote for the
  intent, else the first that copies neither (a person writes their own words: the dry-run's
  honest writer, who likewise picks the draft least like what was written); they type it at a
  human pace and rhythm (the dry-run's ``signals``: log-normal time around the spec's seconds
  per query, every character typed with a few corrections, key-interval spread 0.35–1.1) and
  vote the truth with 5 % errors, rejecting what the platform marked;
- **careless**, **spammer**: the dry-run's (60 % of a careless worker's work is a query
  phrased for another intent and a random vote; a spammer writes word salad around the values
  and approves everything);
- **paraphraser**: the dry-run's: a seed's or another worker's query with the values swapped,
  half the time with a word added. One change to what validators make of it: the dry-run's
  honest validator takes every unmarked paraphrase for good work; here only a clean swap
  (the source had the task's slots) reads as good, and one whose source had other slots —
  values dropped, the others appended, ``I want to listen to by . introspective`` — reads as
  bad, as it would to a person;
- **paster**: the dry-run's: a fluent query (here a real utterance with the values swapped)
  pasted within 2–6 seconds, a few keys typed;
- **ring**: the dry-run's: ``ring_size`` validators who write word salad, approve the ring's
  queries and reject everything else.

What the replay does not take from the dry-run: its honest phrasing (openers and closers
around the seeds; here the real utterances are the pool), and its stakes (here 20–400 credits
drawn per worker, as in the 2026-11-23 run).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from crowdset.core.generation.annotation import annotate
from crowdset.core.generation.copies import copies_seed_or_own, near_copies, template_of
from crowdset.core.generation.model import SlotValue
from crowdset.core.generation.spec import CampaignSpec
from crowdset.services import ledger
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.sim import PhrasingPool
from crowdset.sim.attackers.crowd import Account, create_accounts
from crowdset.sim.attackers.generation import PARAPHRASER_EDITS, GenerationAttack
from crowdset.sim.attackers.strategies import Strategy

HONEST_DRAFTS = 12
# what a query the crowd wrote is, by how it was written ("good": honestly, for its intent)
KINDS = ("good", "wrong_intent", "salad", "paraphrase", "paraphrase_garbled", "paste")
_BAD_KIND = {
    Strategy.CARELESS: "wrong_intent",
    Strategy.INTENT_DRIFTER: "wrong_intent",
    Strategy.SPAMMER: "salad",
    Strategy.RING: "salad",
    Strategy.PARAPHRASER: "paraphrase",
    Strategy.PASTER: "paste",
}


@dataclass(frozen=True)
class ReplayMix:
    """Shares of ``workers``; the ring a number of workers; honest the rest."""

    workers: int = 40
    careless: float = 0.15
    spammers: float = 0.10
    paraphrasers: float = 0.10
    pasters: float = 0.10
    ring_size: int = 4
    grant: int = 500  # credits per worker, stake included
    stake_range: tuple[int, int] = (20, 400)  # credits staked, drawn uniformly per worker

    def sizes(self) -> dict[Strategy, int]:
        sizes = {
            Strategy.CARELESS: round(self.workers * self.careless),
            Strategy.SPAMMER: round(self.workers * self.spammers),
            Strategy.PARAPHRASER: round(self.workers * self.paraphrasers),
            Strategy.PASTER: round(self.workers * self.pasters),
            Strategy.RING: self.ring_size,
        }
        honest = self.workers - sum(sizes.values())
        if honest < 1:
            raise ValueError(f"the mix leaves no honest worker among {self.workers}: {sizes}")
        return {Strategy.HONEST: honest, **{s: n for s, n in sizes.items() if n > 0}}


def create_crowd(ctx: Context, mix: ReplayMix, rng: np.random.Generator) -> list[Account]:
    """The dry-run's accounts, each granted ``mix.grant`` credits of which 20 to 400 staked."""
    minor = ctx.settings.minor_per_unit
    low, high = mix.stake_range
    crowd = create_accounts(ctx, mix.sizes(), grant=mix.grant * minor, stake=low * minor)
    for account in crowd:
        extra = int(rng.integers(0, high - low + 1))
        if extra:
            ledger.stake(ctx, account.user_id, extra * minor)
    return crowd


def _normal(text: str) -> str:
    return " ".join(text.split())


class ReplayCrowd(GenerationAttack):
    """The dry-run's generation crowd, honest phrasing from the real utterances, and a record
    of what each query it wrote is (``kind``, ``author``)."""

    def __init__(
        self,
        ctx: Context,
        owner: Principal,
        campaign_id: int,
        spec: CampaignSpec,
        rng: np.random.Generator,
        pool: PhrasingPool,
    ) -> None:
        super().__init__(ctx, owner, campaign_id, spec, rng)
        # paraphrasers' sources stay the seeds (then what honest workers write); honest,
        # careless and pasted text comes from the real utterances
        self.pool = pool
        self.kind: dict[str, str] = {}  # query text → one of KINDS
        self.author: dict[str, Strategy] = {}
        self.written: dict[str, list[tuple[int, str]]] = defaultdict(list)  # intent → templates
        self.honest_marked_drafts = 0  # honest queries written although near-copies of others'
        self.garbled: set[str] = set()  # paraphrases whose source had other slots
        self._clean = True  # the last paraphrase's source had the task's slots

    def _honest(self, account: Account, intent: str, values: tuple[SlotValue, ...]) -> str | None:
        own = self.templates.get(account.user_id, [])
        others = [t for user, t in self.written[intent] if user != account.user_id]
        fallback: str | None = None
        for draft in range(HONEST_DRAFTS):
            text = self.pool.write(intent, values, self.rng, vary=draft > 0)
            if text is None:
                return None
            template = template_of(text, annotate(text, values))
            if copies_seed_or_own(template, seeds=self.pool.seed_templates, own=own):
                continue
            if not near_copies(template, others):
                return text
            fallback = fallback or text
        if fallback is not None:
            self.honest_marked_drafts += 1
        return fallback

    def _paraphrase(self, intent: str, values: tuple[SlotValue, ...]) -> str:
        """The dry-run's paraphrase (``GenerationAttack._paraphrase``), noting whether its
        source had the task's slots."""
        sources = self.sources.get(intent) or []
        if not sources:
            return self._salad(values)
        source = sources[int(self.rng.integers(len(sources)))]
        self._clean = sorted(source.slots) == sorted(v.slot for v in values)
        text = source.fill(values)
        if self.rng.random() < 0.5:
            edit = PARAPHRASER_EDITS[int(self.rng.integers(len(PARAPHRASER_EDITS)))]
            text = f"{edit} {text}" if self.rng.random() < 0.5 else f"{text} {edit}"
        return text

    def _written(self, account: Account, offer: OfferView, text: str, good: bool) -> None:
        super()._written(account, offer, text, good)
        text = _normal(text)
        if account.strategy is Strategy.PARAPHRASER and not self._clean:
            self.passable.discard(text)  # reads as bad to an honest validator
            self.garbled.add(text)
        self.kind[text] = "good" if good else _BAD_KIND.get(account.strategy, "salad")
        if text in self.garbled:
            self.kind[text] = "paraphrase_garbled"
        self.author[text] = account.strategy
        template = template_of(text, annotate(text, offer.values))
        self.written[offer.intent].append((account.user_id, template))

    def refusals_by_strategy(self) -> dict[str, dict[str, int]]:
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for (strategy, reason), count in self.refusals.items():
            found[strategy.value][reason] += count
        return {strategy: dict(reasons) for strategy, reasons in sorted(found.items())}
