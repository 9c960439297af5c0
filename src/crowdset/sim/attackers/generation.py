"""Generation attackers (SPEC §2, §6.1): the crowd writes and validates queries through
``submit_query`` and ``submit_vote``, each account by its strategy.

The simulation knows what is good: a query is good for an intent when it is one of the
intent's seeds or a query written honestly for it; anything else shown for a vote (word salad,
stuffed values, another intent's query, an automatic control's shuffled or truncated text) is
bad. Honest voters judge by that, with ``HONEST_VOTE_ERROR``. The control oracle is told which
vote offers are controls: any query that no account of the crowd has waiting for validation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from crowdset.core.generation.annotation import annotate, parse_inline
from crowdset.core.generation.checks import normalise_for_comparison
from crowdset.core.generation.copies import copies_seed_or_own, template_of
from crowdset.core.generation.model import AnnotatedQuery, SlotValue
from crowdset.core.generation.spec import CampaignSpec
from crowdset.errors import AnswerRefused, Conflict, NotFound
from crowdset.services import campaigns, generation
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, VoteInput
from crowdset.services.generation_writing import Typing
from crowdset.sim.attackers.crowd import Account, skip
from crowdset.sim.attackers.strategies import CATALOGUE, Strategy
from crowdset.sim.phrasing import PhrasingPool, Template

HONEST_VOTE_ERROR = 0.05  # an honest validator's slips
CARELESS_RATE = 0.6  # careless work's share: accuracy below the default bar of 0.7
MAX_ATTEMPTS = 3  # refused answers per offer before the worker gives up (SPEC §6.7)

WORD_SALAD = (
    "orange", "ladder", "quietly", "seven", "cloud", "pencil", "under", "marble", "swim",
    "yellow", "engine", "maybe", "garden", "tuesday", "violin", "across", "button", "frozen",
)  # fmt: skip
CARRIERS = ("ok {values} please", "{values} now ok", "yes {values} do it", "{values} thing pls")
# what an honest writer varies a phrasing with, so that forty queries of one intent do not read
# as near-copies of each other (the automatic checks refuse those, unpaid)
OPENERS = (
    "", "please", "hey", "could you", "can you", "would you", "i'd like you to", "go ahead and",
    "i need you to", "ok", "alright", "so", "quickly", "would you mind if you", "i want you to",
    "assistant", "hi there", "excuse me", "right away", "just",
)  # fmt: skip
CLOSERS = (
    "", "please", "now", "for me", "thanks", "thank you", "if you can", "right now",
    "when you get a chance", "as soon as possible", "for a bit", "this evening", "straight away",
    "ok", "would you", "cheers", "at once", "if possible", "thanks a lot", "when you can",
)  # fmt: skip
HONEST_DRAFTS = 12  # phrasings an honest writer weighs before writing the least repetitive
# the signals a page measures (SPEC §6.7): an honest writer's time on task is log-normal around
# the spec's seconds per query, they type every character (and a few corrections) at a human,
# uneven pace, and now and then paste a required value into what they typed
HONEST_PACE_SIGMA = 0.35
HONEST_PASTES_A_VALUE = 0.05
PASTER_SECONDS = (2.0, 6.0)
PARAPHRASER_EDITS = ("please", "now", "for me", "thanks")

WRITES = frozenset(
    {
        Strategy.HONEST,
        Strategy.SYBIL,
        Strategy.SYBIL_BASELINE,
        Strategy.CARELESS,
        Strategy.SPAMMER,
        Strategy.SLOT_STUFFER,
        Strategy.INTENT_DRIFTER,
        Strategy.RING,
        Strategy.PARAPHRASER,
        Strategy.PASTER,
    }
)
VOTES = frozenset(
    {
        Strategy.HONEST,
        Strategy.SYBIL,
        Strategy.SYBIL_BASELINE,
        Strategy.CARELESS,
        Strategy.SPAMMER,
        Strategy.ALWAYS_YES,
        Strategy.RANDOM_VOTER,
        Strategy.RING,
        Strategy.CONTROL_ORACLE,
    }
)


def _normal(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class CastVote:
    account: Account
    text: str
    intent: str
    says_good: bool


class GenerationAttack:
    def __init__(
        self,
        ctx: Context,
        owner: Principal,
        campaign_id: int,
        spec: CampaignSpec,
        rng: np.random.Generator,
    ) -> None:
        self.ctx, self.owner, self.campaign_id, self.spec, self.rng = (
            ctx,
            owner,
            campaign_id,
            spec,
            rng,
        )
        self.pool = PhrasingPool.from_spec(spec)
        self.good: dict[str, set[str]] = {
            intent.name: {_normal(parse_inline(seed)[0]) for seed in intent.seeds}
            for intent in spec.intents
        }
        self.authors: dict[str, Account] = {}  # text → the account whose query it is
        self.status: dict[str, str] = {}  # text → last known status of that query
        self.ring_texts: set[str] = set()
        self.templates: dict[int, list[str]] = {}  # account → templates of its queries
        self.sources: dict[str, list[Template]] = {
            intent: list(self.pool.templates(intent)) for intent in self.pool.intents()
        }  # what a paraphraser copies: the seeds, then every query accepted meanwhile
        self.passable: set[str] = set()  # bad work a validator cannot tell from good unmarked
        self.pasted: set[str] = set()
        self.votes: list[CastVote] = []
        self.refusals: Counter[tuple[Strategy, str]] = Counter()  # the automatic checks' reasons

    # --- what each strategy does --------------------------------------------------------------

    def seconds(self, account: Account, kind: str) -> float:
        honest = self.spec.seconds_per_query if kind == "write" else self.spec.seconds_per_vote
        return honest * CATALOGUE[account.strategy].speed

    def is_good(self, text: str, intent: str) -> bool:
        return _normal(text) in self.good.get(intent, set())

    def looks_good(self, offer: OfferView) -> bool:
        """What a careful validator judges good: a query that reads as good — good work, a
        paraphrase or a paste (the validator knows neither every query nor how it was
        written) — unless the platform marked it (copied, pasted, too fast), which the
        validator cannot tell from the truth and so rejects, honest writers' included."""
        if offer.answer_flags:
            return False
        text = _normal(offer.query_text or "")
        return self.is_good(text, offer.intent) or text in self.passable or text in self.pasted

    def is_control(self, text: str) -> bool:
        """No account has this query waiting for validation: the platform made it a control."""
        text = _normal(text)
        if self.status.get(text) == "validating":
            self.refresh()
        return self.status.get(text) != "validating"

    def refresh(self) -> None:
        for query, status in campaigns.submitted_queries(self.ctx, self.owner, self.campaign_id):
            self.status[_normal(query.text)] = status

    def _other_intent(self, intent: str) -> str | None:
        others = [i for i in self.pool.intents() if i != intent]
        return others[int(self.rng.integers(len(others)))] if others else None

    def _salad(self, values: tuple[SlotValue, ...]) -> str:
        words = [str(w) for w in self.rng.choice(WORD_SALAD, size=int(self.rng.integers(3, 7)))]
        for value in values:
            words.insert(int(self.rng.integers(len(words) + 1)), value.value)
        return " ".join(words)

    def write(self, account: Account, offer: OfferView) -> tuple[str, bool] | None:
        """The query the account writes for the offer, and whether it is good; ``None``: it
        does not write."""
        strategy = account.strategy
        careless = strategy is Strategy.CARELESS and self.rng.random() < CARELESS_RATE
        if strategy in (Strategy.SPAMMER, Strategy.RING):
            return self._salad(offer.values), False
        if strategy is Strategy.SLOT_STUFFER:
            carrier = CARRIERS[int(self.rng.integers(len(CARRIERS)))]
            return carrier.format(values=" ".join(v.value for v in offer.values)), False
        if strategy is Strategy.INTENT_DRIFTER or careless:
            other = self._other_intent(offer.intent)
            text = self.pool.write(other, offer.values, self.rng, vary=True) if other else None
            return (text, False) if text is not None else (self._salad(offer.values), False)
        if strategy is Strategy.PARAPHRASER:
            return self._paraphrase(offer.intent, offer.values), False
        if strategy is Strategy.PASTER:
            text = self.pool.write(offer.intent, offer.values, self.rng, vary=True)
            return (text, False) if text is not None else None
        if strategy in WRITES:
            text = self._honest(account, offer.intent, offer.values)
            return (text, True) if text is not None else None
        return None

    def _honest(self, account: Account, intent: str, values: tuple[SlotValue, ...]) -> str | None:
        """A phrasing of the intent with the values, varied by an opener and a closer: of a few
        drafts that copy neither a seed nor the writer's own earlier queries (a person writes
        their own words), the one least like the intent's queries so far."""
        written = [normalise_for_comparison(t) for t in self.good.get(intent, ())]
        own = self.templates.get(account.user_id, [])
        best: tuple[float, str] | None = None
        for _ in range(HONEST_DRAFTS):
            body = self.pool.write(intent, values, self.rng, vary=False)
            if body is None:
                return None
            opener = OPENERS[int(self.rng.integers(len(OPENERS)))]
            closer = CLOSERS[int(self.rng.integers(len(CLOSERS)))]
            draft = " ".join(part for part in (opener, body, closer) if part)
            template = template_of(draft, annotate(draft, values))
            if copies_seed_or_own(template, seeds=self.pool.seed_templates, own=own):
                continue
            found = process.extractOne(normalise_for_comparison(draft), written, scorer=fuzz.ratio)
            closest = float(found[1]) if found is not None else 0.0
            if best is None or closest < best[0]:
                best = (closest, draft)
        return best[1] if best is not None else None

    def _paraphrase(self, intent: str, values: tuple[SlotValue, ...]) -> str:
        """A seed's or an accepted query's phrasing with the offer's values swapped in, half
        the time with a word added."""
        sources = self.sources.get(intent) or []
        if not sources:
            return self._salad(values)
        text = sources[int(self.rng.integers(len(sources)))].fill(values)
        if self.rng.random() < 0.5:
            edit = PARAPHRASER_EDITS[int(self.rng.integers(len(PARAPHRASER_EDITS)))]
            text = f"{edit} {text}" if self.rng.random() < 0.5 else f"{text} {edit}"
        return text

    def signals(
        self, account: Account, text: str, values: tuple[SlotValue, ...]
    ) -> tuple[float, int, Typing]:
        """Seconds on task, paste events and keystrokes as the task page would measure them."""
        honest_seconds = self.spec.seconds_per_query
        if account.strategy is Strategy.PASTER:
            low, high = PASTER_SECONDS
            return float(self.rng.uniform(low, high)), 1, Typing(int(self.rng.integers(0, 4)))
        pace = self.seconds(account, "write") / honest_seconds
        seconds = honest_seconds * pace * float(self.rng.lognormal(0.0, HONEST_PACE_SIGMA))
        pastes = 0
        keys = len(text) + int(self.rng.integers(0, 6))  # corrections
        if values and self.rng.random() < HONEST_PASTES_A_VALUE:
            pastes = 1
            keys -= len(values[0].value)
        return seconds, pastes, Typing(keys, float(self.rng.uniform(0.35, 1.1)))

    def vote(self, account: Account, offer: OfferView) -> bool | None:
        """Says the query is good?; ``None``: the account does not vote."""
        strategy = account.strategy
        text = offer.query_text or ""
        truth = self.looks_good(offer)
        if strategy not in VOTES:
            return None
        if strategy in (Strategy.SPAMMER, Strategy.ALWAYS_YES):
            return True
        if strategy is Strategy.RANDOM_VOTER or (
            strategy is Strategy.CARELESS and self.rng.random() < CARELESS_RATE
        ):
            return bool(self.rng.random() < 0.5)
        if strategy is Strategy.RING:
            return _normal(text) in self.ring_texts
        if strategy is Strategy.CONTROL_ORACLE:
            return truth if self.is_control(text) else bool(self.rng.random() < 0.5)
        return truth if self.rng.random() >= HONEST_VOTE_ERROR else not truth

    # --- acting through the services ----------------------------------------------------------

    def _skip(self, account: Account, offer: OfferView) -> bool:
        skip(self.ctx, account, offer.id)
        return False

    def act(self, account: Account, offer: OfferView) -> bool:
        if offer.kind == "vote":
            says = self.vote(account, offer)
            if says is None:
                return self._skip(account, offer)
            account.seconds += self.seconds(account, "vote")
            try:
                generation.submit_vote(
                    self.ctx, account.user_id, offer.id, VoteInput(says, says, says, says)
                )
            except (Conflict, NotFound):  # revoked or expired meanwhile
                return False
            self.votes.append(
                CastVote(account, _normal(offer.query_text or ""), offer.intent, says)
            )
            return True
        for _ in range(MAX_ATTEMPTS):
            written = self.write(account, offer)
            if written is None:
                return self._skip(account, offer)
            text, good = written
            account.seconds += self.seconds(account, "write")
            seconds, pastes, typing = self.signals(account, text, offer.values)
            try:
                generation.submit_query(
                    self.ctx,
                    account.user_id,
                    offer.id,
                    text,
                    seconds_on_task=seconds,
                    paste_events=pastes,
                    typing=typing,
                )
            except AnswerRefused as refused:
                account.refused += 1
                for reason in refused.fields.get("reasons", []):
                    self.refusals[(account.strategy, str(reason["reason"]))] += 1
                if refused.fields.get("offer_ended"):
                    return True
                continue
            except (Conflict, NotFound):
                return False
            self._written(account, offer, text, good)
            return True
        self._skip(account, offer)
        return True

    def _written(self, account: Account, offer: OfferView, text: str, good: bool) -> None:
        """Remember a query that went to validation: whose it is, whether it is good, and its
        phrasing (an honest one becomes a source for paraphrasers)."""
        text = _normal(text)  # as the service stores it, so spans index the same string
        spans = annotate(text, offer.values)
        self.templates.setdefault(account.user_id, []).append(template_of(text, spans))
        self.authors[text] = account
        self.status[text] = "validating"
        if good:
            self.good[offer.intent].add(text)
            query = AnnotatedQuery(text=text, intent=offer.intent, spans=spans)
            self.sources.setdefault(offer.intent, []).append(Template.of(query))
        if account.strategy is Strategy.RING:
            self.ring_texts.add(text)
        if account.strategy is Strategy.PARAPHRASER:
            self.passable.add(text)
        if account.strategy is Strategy.PASTER:
            self.pasted.add(text)

    def done(self) -> bool:
        state = campaigns.progress(self.ctx, self.owner, self.campaign_id)
        return all(i.accepted >= i.target for i in state.intents) and not any(
            i.validating for i in state.intents
        )

    def accepted_so_far(self) -> int:
        return campaigns.progress(self.ctx, self.owner, self.campaign_id).accepted

    # --- after close --------------------------------------------------------------------------

    def tally(self, crowd: list[Account]) -> None:
        """Each account's queries accepted or rejected, and its votes agreeing or not with the
        decision (a control's: with its truth)."""
        by_name = {a.pseudonym: a for a in crowd}
        final: dict[str, str] = {}
        for query, status in campaigns.submitted_queries(self.ctx, self.owner, self.campaign_id):
            final[_normal(query.text)] = status
            author = by_name.get(query.worker)
            if author is None or status not in ("accepted", "rejected"):
                continue
            if status == "accepted":
                author.written_accepted += 1
                author.accepted += 1
            else:
                author.written_rejected += 1
                author.rejected += 1
        for vote in self.votes:
            if vote.text in self.authors:
                decided = final.get(vote.text)
                if decided not in ("accepted", "rejected"):
                    continue
                agreed = vote.says_good == (decided == "accepted")
            else:
                agreed = vote.says_good == self.is_good(vote.text, vote.intent)
            if agreed:
                vote.account.accepted += 1
            else:
                vote.account.rejected += 1
