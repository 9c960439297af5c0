"""Collusion flags through the services (SPEC §6.8, issue #15): a generation campaign's votes
and a labeling campaign's answers read into the κ table, who may see it, and excluding a
flagged group in one transaction (barred, revoked with a fine, an appealable sanction)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from sqlalchemy.orm import Session
from tests.services.conftest import tiny_spec

from crowdset.core.labeling.items import parse_items
from crowdset.core.labeling.spec import parse_labeling_spec
from crowdset.core.mechanism.evidence import Track
from crowdset.core.permissions import Role
from crowdset.errors import Conflict, Forbidden, NotFound, RuleViolation
from crowdset.services import accounts, campaigns, collusion, due_process, ledger, mechanism
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.storage import campaign_store, labeling_store
from crowdset.storage import mechanism_store as tracks
from crowdset.storage.models import GenerationTask, Judgment, Query, Vote

QUERIES = 40
RING_JUNK = 5  # of the queries, written by the ring
EARNED = 50  # minor units each voter earned into pending


@dataclass(frozen=True)
class Crowd:
    campaign_id: int
    honest: list[int]
    ring: list[int]
    names: dict[int, str]  # worker id → pseudonym

    def pseudonyms(self, ids: list[int]) -> list[str]:
        return [self.names[w] for w in ids]


def _track(
    session: Session, campaign_id: int, worker: int, track: Track, controls: int, failed: int
) -> None:
    row = tracks.track_row(session, campaign_id, worker, track.value)
    assert row is not None
    row.controls, row.controls_failed = controls, failed
    row.correct, row.wrong = float(controls - failed), float(failed)


def voted_crowd(
    ctx: Context,
    owner: Principal,
    make_worker: Callable[..., int],
    *,
    honest: int = 6,
    ring: int = 3,
    seed: int = 0,
) -> Crowd:
    """A running generation campaign whose 40 queries were voted on by every worker: honest
    validators right 95% of the time (30 controls, one failed), a ring that votes yes on its
    own 5 junk queries and no on the rest (20 controls, half failed). Each voter earned 50
    into pending; the rows are written as the services would have."""
    view = campaigns.create_campaign(ctx, owner, tiny_spec())
    campaigns.launch(ctx, owner, view.id)
    honest_ids = [make_worker() for _ in range(honest)]
    ring_ids = [make_worker() for _ in range(ring)]
    rng = np.random.default_rng(seed)

    def work(session: Session) -> None:
        now = ctx.now()
        task = GenerationTask(
            campaign_id=view.id, intent="LightsOn", slot_values=[], status="done", created_at=now
        )
        session.add(task)
        session.flush()
        for k in range(QUERIES):
            junk = k < RING_JUNK
            good = not junk and k % 4 != 0
            query = Query(
                campaign_id=view.id,
                task_id=task.id,
                worker_id=ring_ids[k % len(ring_ids)] if junk else honest_ids[k % honest],
                intent="LightsOn",
                text=f"query {k}",
                slot_values=[],
                spans=[],
                status="accepted" if good or junk else "rejected",
                submitted_at=now,
            )
            session.add(query)
            session.flush()
            for worker in honest_ids + ring_ids:
                if worker == query.worker_id:
                    continue
                says = junk if worker in ring_ids else bool(good ^ (rng.random() < 0.05))
                session.add(
                    Vote(
                        query_id=query.id,
                        worker_id=worker,
                        round=1,
                        valid=says,
                        intent_ok=says,
                        natural_ok=says,
                        spelling_ok=says,
                        values_ok=says,
                        created_at=now,
                    )
                )
        for worker in honest_ids:
            _track(session, view.id, worker, Track.VOTE, 30, 1)
        for worker in ring_ids:
            _track(session, view.id, worker, Track.VOTE, 20, 10)
            _track(session, view.id, worker, Track.WRITE, 0, 0)  # they wrote the junk
        mechanism.earn(
            session,
            ctx,
            view.id,
            Track.VOTE,
            [(w, EARNED) for w in honest_ids + ring_ids],
            "votes",
        )

    ctx.db.run(work)
    names = ctx.db.run(
        lambda s: campaign_store.pseudonyms(s, set(honest_ids + ring_ids)), readonly=True
    )
    return Crowd(view.id, honest_ids, ring_ids, names)


@pytest.fixture
def operator(ctx: Context) -> Principal:
    user = accounts.create_user(ctx, email="op@c.test", password="correct horse", role="operator")
    return Principal(user_id=user.id, role=Role.OPERATOR, email=user.email)


# --- the report -------------------------------------------------------------------------------


def test_the_ring_is_one_flagged_group_and_honest_pairs_are_not_flagged(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    crowd = voted_crowd(ctx, requester, make_worker)
    view = collusion.collusion_report(ctx, requester, crowd.campaign_id)
    assert (view.track, view.items, view.workers) == ("vote", QUERIES, 9)
    assert len(view.pairs) == 36  # every pair shares at least 8 queries
    [group] = view.groups
    assert set(group.workers) == set(crowd.pseudonyms(crowd.ring)) and not group.excluded
    assert {frozenset(p.workers) for p in view.flagged} == {
        frozenset(p.workers) for p in group.pairs
    }
    ring = set(crowd.pseudonyms(crowd.ring))
    for pair in view.pairs:
        if set(pair.workers) <= ring:
            assert pair.flagged and pair.observed == 1.0 and pair.kappa == pytest.approx(1.0)
            assert pair.controls == (20, 20) and pair.expected == pytest.approx(0.5, abs=0.01)
        else:
            assert not pair.flagged
    honest = [p for p in view.pairs if not set(p.workers) & ring]
    # κ alone would accuse most of them; their accuracy on controls explains it
    assert sum(p.kappa >= 0.6 for p in honest) > len(honest) / 2


def test_only_its_requester_or_an_operator_sees_the_report(
    ctx: Context,
    requester: Principal,
    operator: Principal,
    make_worker: Callable[..., int],
) -> None:
    crowd = voted_crowd(ctx, requester, make_worker)
    assert collusion.collusion_report(ctx, operator, crowd.campaign_id).groups
    other = accounts.create_user(ctx, email="x@c.test", password="correct horse", role="requester")
    stranger = Principal(other.id, Role.REQUESTER, other.email)
    with pytest.raises(NotFound, match=f"no campaign has id {crowd.campaign_id}"):
        collusion.collusion_report(ctx, stranger, crowd.campaign_id)
    [group] = collusion.flagged_groups(ctx, operator)
    assert group.campaign_id == crowd.campaign_id
    with pytest.raises(Forbidden):
        collusion.flagged_groups(ctx, requester)


def test_a_labeling_campaign_compares_answers_on_items(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = parse_labeling_spec(
        {
            "name": "Sentiment",
            "type": "classify",
            "instructions": "Positive, negative or neutral?",
            "labels": [{"name": "pos"}, {"name": "neg"}, {"name": "neu"}],
            "price_per_judgment": "0.20",
            "seconds_per_judgment": 10,
        }
    )
    rows = parse_items(
        [{"id": f"i{k}", "text": f"review {k}", "gold": None} for k in range(20)]
        + [{"id": "g", "text": "a gold review", "gold": "pos"}],
        spec,
    )
    view = campaigns.create_campaign(ctx, requester, spec, rows)
    workers = [make_worker() for _ in range(4)]
    lazy, honest = workers[:2], workers[2:]

    def work(session: Session) -> None:
        for k, item in enumerate(labeling_store.items(session, view.id)):
            truth = ["pos", "neg", "neu"][k % 3]
            for worker in workers:
                answer = "neu" if worker in lazy else truth
                session.add(
                    Judgment(
                        campaign_id=view.id,
                        item_id=item.id,
                        worker_id=worker,
                        answer=answer,
                        created_at=ctx.now(),
                    )
                )
        for worker in workers:
            _track(session, view.id, worker, Track.LABEL, 12, 8 if worker in lazy else 0)

    ctx.db.run(work)
    found = collusion.collusion_report(ctx, requester, view.id)
    assert (found.track, found.items, found.workers, len(found.pairs)) == ("label", 21, 4, 6)
    names = ctx.db.run(lambda s: campaign_store.pseudonyms(s, set(workers)), readonly=True)
    by_pair = {frozenset(p.workers): p for p in found.pairs}
    both_lazy = by_pair[frozenset(names[w] for w in lazy)]
    assert both_lazy.observed == 1.0 and both_lazy.kappa == 0.0 and not both_lazy.flagged
    both_right = by_pair[frozenset(names[w] for w in honest)]
    assert both_right.observed == 1.0 and not both_right.flagged  # 12 of 12 controls explain it
    assert found.groups == ()


# --- excluding a group ------------------------------------------------------------------------


def test_excluding_the_group_bars_revokes_and_fines_each_member_in_one_action(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    crowd = voted_crowd(ctx, requester, make_worker)
    members = crowd.pseudonyms(crowd.ring)
    before = {w: ledger.balances(ctx, w) for w in crowd.ring}
    done = collusion.exclude_group(ctx, requester, crowd.campaign_id, members, "Seen by hand.")
    assert done.workers == tuple(members) and len(done.sanctions) == 6  # vote and write
    assert done.clawed_back == 3 * EARNED and done.fined == 3 * 75  # 1.5 × what they earned
    assert done.queries_returned == RING_JUNK  # their accepted junk goes back to validation
    statuses = ctx.db.run(
        lambda s: [q.status for q in campaign_store.queries(s, crowd.campaign_id)], readonly=True
    )
    assert statuses[:RING_JUNK] == ["validating"] * RING_JUNK  # by others, not rejected outright
    for worker in crowd.ring:
        after = ledger.balances(ctx, worker)
        assert after.pending == 0 and after.staked == before[worker].staked - 75
    view = collusion.collusion_report(ctx, requester, crowd.campaign_id)
    assert view.groups[0].excluded
    member = accounts.get_user(ctx, crowd.ring[0])
    principal = Principal(member.id, Role(member.role), member.email)
    sanction, _ = due_process.list_sanctions(ctx, principal)
    assert "for collusion" in sanction.reason and "Seen by hand." in sanction.reason
    assert "κ 1.00" in sanction.reason and sanction.can_appeal
    evidence = sanction.evidence["collusion"]
    assert isinstance(evidence, dict) and set(evidence["group"]) == set(members)
    kinds = [e.kind for e in campaigns.events(ctx, requester, crowd.campaign_id)]
    assert kinds.count("blacklisted") == 3 and kinds.count("collusion_excluded") == 1
    with pytest.raises(Conflict, match="already excluded"):
        collusion.exclude_group(ctx, requester, crowd.campaign_id, members)
    honest = ledger.balances(ctx, crowd.honest[0])
    assert honest.pending == EARNED  # nobody else was touched


def test_only_members_of_one_flagged_group_can_be_excluded(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    crowd = voted_crowd(ctx, requester, make_worker)
    ring, honest = crowd.pseudonyms(crowd.ring), crowd.pseudonyms(crowd.honest)
    with pytest.raises(RuleViolation, match=f"{honest[0]} not in the same flagged group"):
        collusion.exclude_group(ctx, requester, crowd.campaign_id, [ring[0], honest[0]])
    with pytest.raises(RuleViolation, match="flagged groups: "):
        collusion.exclude_group(ctx, requester, crowd.campaign_id, [honest[1]])
    worker = accounts.get_user(ctx, crowd.honest[0])
    with pytest.raises(Forbidden):
        collusion.exclude_group(
            ctx, Principal(worker.id, Role.WORKER, worker.email), crowd.campaign_id, ring
        )
    # a part of the group may be excluded (the operator spares one)
    done = collusion.exclude_group(ctx, requester, crowd.campaign_id, ring[:2])
    assert len(done.sanctions) == 4
    assert ledger.balances(ctx, crowd.ring[2]).pending == EARNED
