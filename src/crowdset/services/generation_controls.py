"""Validation controls inside a generation campaign (SPEC §6.1): which control a drawn
validator gets, and making new ones when none fits. Runs inside the caller's unit of work
(``generation.dispatch``); the rules that make a control are ``core.generation.controls``.

- A control is a ``Query`` row whose ``control`` is ``'good'`` or ``'bad'``: made-up ones have
  status ``control`` (they never count toward targets, exports or statistics); a unanimously
  accepted query stays ``accepted`` and is marked ``'good'``.
- Its ``worker_id`` is the author of what it was made from (the requester for seeds), so it is
  never shown to its author; nobody sees one control twice; it is retired once
  ``control_max_views`` validators have been offered it (answered or still holding it), so a
  group pooling what it saw cannot spot controls by repetition.
- Known-good and known-bad controls are offered equally often, so a validator who ignores the
  query (always yes, always no, at random) scores 0.5 on controls whatever the campaign's
  acceptance rate. Accepted queries are preferred to seeds as known-good controls, because a
  seed can be recognised from the examples shown to writers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from crowdset.core.generation.annotation import annotate
from crowdset.core.generation.controls import Control, ControlKind, Source, make_bad_control
from crowdset.core.generation.controls import seed_sources as intent_seed_sources
from crowdset.core.generation.model import SlotValue
from crowdset.core.generation.spec import CampaignSpec
from crowdset.storage import campaign_store as store
from crowdset.storage.models import Campaign, GenerationTask, Offer, Query


def _values_of(rows: list[dict[str, str]]) -> tuple[SlotValue, ...]:
    return tuple(SlotValue(row["slot"], row["entity"], row["value"]) for row in rows)


def _values_json(values: tuple[SlotValue, ...]) -> list[dict[str, str]]:
    return [{"slot": v.slot, "entity": v.entity, "value": v.value} for v in values]


@dataclass
class ControlPool:
    """The campaign's live controls as one dispatch sees them (loaded once per dispatch)."""

    campaign: Campaign
    spec: CampaignSpec
    live: list[Query]
    voters: dict[int, set[int]]  # control id → who answered it
    offered: dict[int, set[int]]  # control id → who holds an open offer on it
    _sources: list[tuple[Source, int]] | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls, session: Session, campaign: Campaign, spec: CampaignSpec, offers: list[Offer]
    ) -> ControlPool:
        live = store.live_controls(session, campaign.id, spec.mechanism.control_max_views)
        ids = {q.id for q in live}
        offered: dict[int, set[int]] = {q.id: set() for q in live}
        for offer in offers:
            if offer.kind == "vote" and offer.query_id in ids:
                offered[offer.query_id].add(offer.worker_id)
        return cls(campaign, spec, live, store.voters(session, sorted(ids)), offered)

    def fits(self, query: Query, worker_id: int) -> bool:
        """May ``worker_id`` be offered this control now?"""
        seen = self.voters.get(query.id, set()) | self.offered.get(query.id, set())
        views = query.control_views + len(self.offered.get(query.id, set()))
        return (
            query.worker_id != worker_id
            and worker_id not in seen
            and views < self.spec.mechanism.control_max_views
        )

    def offered_to(self, query: Query, worker_id: int) -> None:
        self.offered.setdefault(query.id, set()).add(worker_id)

    def pick(
        self, session: Session, rng: np.random.Generator, worker_id: int, now: datetime
    ) -> Query | None:
        """A control for ``worker_id``: known-good or known-bad with equal chance (the other
        kind when none fits), an existing one when one fits, else a new one."""
        want_good = bool(rng.random() < 0.5)
        for good in (want_good, not want_good):
            found = self._existing(rng, worker_id, good)
            if found is None:
                found = self._make(session, rng, good, now)
                if found is not None and not self.fits(found, worker_id):
                    found = None
            if found is not None:
                return found
        return None

    def _existing(self, rng: np.random.Generator, worker_id: int, good: bool) -> Query | None:
        verdict = "good" if good else "bad"
        fitting = [q for q in self.live if q.control == verdict and self.fits(q, worker_id)]
        if good:  # accepted queries first: a seed can be recognised
            accepted = [q for q in fitting if q.status == "accepted"]
            fitting = accepted or fitting
        if not fitting:
            return None
        return fitting[int(rng.integers(len(fitting)))]

    def _make(
        self, session: Session, rng: np.random.Generator, good: bool, now: datetime
    ) -> Query | None:
        made = store.made_controls(session, self.campaign.id)
        if good:
            used = {(q.intent, q.text) for q in made if q.control == "good"}
            fresh = [
                source
                for intent in self.spec.intents
                for source in intent_seed_sources(intent)
                if (source.intent, source.text) not in used
            ]
            if not fresh:
                return None
            source = fresh[int(rng.integers(len(fresh)))]
            control = Control(ControlKind.SEED, source.text, source.intent, source.values)
            return self._store(session, control, self.campaign.requester_id, now)
        sources = self._bad_sources(session)
        slots = {i.name: [s.name for s in i.slots] for i in self.spec.intents}
        existing = {(q.intent, q.text.casefold()) for q in made}
        for _ in range(4):
            found = make_bad_control([s for s, _ in sources], slots, rng)
            if found is None:
                return None
            index, control = found
            if (control.intent, control.text.casefold()) not in existing:
                return self._store(session, control, sources[index][1], now)
        return None

    def _bad_sources(self, session: Session) -> list[tuple[Source, int]]:
        """What known-bad controls are made from, with each one's author: accepted queries
        and seeds (the requester's)."""
        if self._sources is None:
            accepted = store.queries(session, self.campaign.id, status="accepted")
            self._sources = [
                (Source(q.text, q.intent, _values_of(q.slot_values)), q.worker_id) for q in accepted
            ] + [
                (source, self.campaign.requester_id)
                for intent in self.spec.intents
                for source in intent_seed_sources(intent)
            ]
        return self._sources

    def _store(self, session: Session, control: Control, author: int, now: datetime) -> Query:
        values = _values_json(control.values)
        task = GenerationTask(
            campaign_id=self.campaign.id,
            intent=control.intent,
            slot_values=values,
            status="done",
            created_at=now,
        )
        session.add(task)
        session.flush()
        query = Query(
            campaign_id=self.campaign.id,
            task_id=task.id,
            worker_id=author,
            intent=control.intent,
            text=control.text,
            slot_values=values,
            spans=[
                {"start": s.start, "end": s.end, "slot": s.slot, "entity": s.entity}
                for s in annotate(control.text, control.values)
            ],
            status="control",
            round=1,
            paid=True,  # nobody is paid for writing it
            submitted_at=now,
            paste_events=0,
            control="good" if control.good else "bad",
            control_views=0,
        )
        session.add(query)
        session.flush()
        self.live.append(query)
        self.voters[query.id] = set()
        self.offered[query.id] = set()
        return query
