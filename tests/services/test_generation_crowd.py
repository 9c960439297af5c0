"""Whole campaigns: offer shares under the selection rule, and a simulated crowd from launch to
export with the money accounted for to the minor unit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chisquare
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import FakeClock
from tests.services.conftest import CREDIT, tiny_spec

from crowdset.core.generation.spec import load_spec
from crowdset.formats.nlu import NLU_FORMATS, read_dataset, write_dataset
from crowdset.services import campaigns, generation, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.sim import Crowd, CrowdMix, PhrasingPool, run_generation
from crowdset.sim.crowd import Strategy
from crowdset.storage import campaign_store as store
from crowdset.storage.models import Offer

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("rule", ["stake_cap", "ln1p"])
def test_offer_shares_follow_the_selection_rule(
    ctx: Context,
    clock: FakeClock,
    requester: Principal,
    make_worker: Callable[..., int],
    rule: str,
) -> None:
    """≥ 10,000 offers, expired and re-drawn round after round by a dispatch for everyone (no
    asker): χ² against min(stake, stake_cap) or ln(1 + stake). The asker's lottery, which
    keeps these shares when workers ask for themselves: tests/api/test_offer_shares.py."""
    spec = tiny_spec(
        intents=[
            {
                "name": "LightsOn",
                "description": "Switch the lights on",
                "target": 50,
                "slots": [{"name": "room", "values": ["kitchen", "bedroom"]}],
            }
        ],
        prices={"per_query": "0.02", "per_vote": "0.02"},
        seconds_per_query=1,
        seconds_per_vote=1,
        max_open_offers=50,
        offer_ttl_seconds=30,
        active_window_seconds=86_400,
        mechanism={"selection": rule, "stake_cap": 100},
    )
    view = campaigns.create_campaign(ctx, requester, spec)
    campaigns.launch(ctx, requester, view.id)
    stakes = [5, 10, 20, 60, 200, 450]  # all above the required stake (4.40 credits here)
    workers = [make_worker(stake=stake) for stake in stakes]

    def dispatch(session: Session) -> None:
        campaign = store.campaign(session, view.id, for_update=True)
        for worker in workers:
            store.touch_worker(session, view.id, worker, clock())
        session.flush()
        generation.dispatch(session, ctx, campaign)

    for _ in range(200):
        clock.advance(seconds=31)  # every offer expires and is re-drawn
        ctx.db.run(dispatch)

    def count(session: Session) -> Counter[int]:
        rows = session.execute(
            select(Offer.worker_id, func.count())
            .where(Offer.campaign_id == view.id)
            .group_by(Offer.worker_id)
        )
        return Counter({worker: int(n) for worker, n in rows.all()})

    offered = ctx.db.run(count, readonly=True)
    observed = np.array([offered[w] for w in workers], dtype=float)
    assert observed.sum() >= 10_000
    stake = np.array(stakes, dtype=float)
    weights = np.log1p(stake) if rule == "ln1p" else np.minimum(stake, 100)
    expected = observed.sum() * weights / weights.sum()
    result = chisquare(observed, expected)
    assert result.pvalue >= 0.01, (observed, expected)


def test_a_simulated_crowd_runs_a_campaign_to_export(
    ctx: Context, requester: Principal, tmp_path: Path
) -> None:
    text = (EXAMPLES / "smart-lights.yaml").read_text()
    spec = load_spec(text.replace("target: 40", "target: 6"))
    view = campaigns.create_campaign(ctx, requester, spec)
    campaigns.launch(ctx, requester, view.id)
    crowd = Crowd.create(
        ctx, CrowdMix(workers=10, careless=0.2, spammers=0.1), PhrasingPool.from_spec(spec), seed=3
    )
    report = run_generation(ctx, requester, view.id, crowd, max_rounds=200)
    state = campaigns.progress(ctx, requester, view.id)
    assert state.accepted == 18 or state.funds_short
    assert report.submitted and sum(report.refused.values()) >= 0

    closed = campaigns.close(ctx, requester, view.id)
    state = campaigns.progress(ctx, requester, view.id)
    # every minor unit of escrow is either paid (to workers or as fees) or refunded
    assert state.paid_to_workers + state.fees + state.refunded == closed.escrow_funded
    assert state.escrow_left == 0
    assert ledger.verify(ctx).ok

    queries = campaigns.accepted_queries(ctx, requester, view.id)
    assert len(queries) == state.accepted
    pseudonyms = {agent.pseudonym for agent in crowd.agents}
    assert {q.worker for q in queries} <= pseudonyms  # pseudonymous ids only
    for fmt in NLU_FORMATS:
        path = tmp_path / f"export.{fmt}"
        assert write_dataset(queries, fmt, path, language=spec.language) == len(queries)
        back = read_dataset(path, fmt)
        assert sorted((q.intent, q.text, q.spans) for q in back) == sorted(
            (q.intent, q.text, q.spans) for q in queries
        )
    # pay is pending until it is released (SPEC §6.3): income is counted after the close
    income: dict[Strategy, list[int]] = {}
    for agent in crowd.agents:
        net = ledger.balances(ctx, agent.user_id).total - agent.initial_total
        income.setdefault(agent.strategy, []).append(net)
    assert np.mean(income[Strategy.HONEST]) > np.mean(income[Strategy.SPAMMER])
    assert ledger.balances(ctx, requester.user_id).available == 10_000 * CREDIT - (
        state.paid_to_workers + state.fees
    )


def test_concurrent_workers_never_get_the_same_unit(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """Several API processes drawing at once: the campaign row lock keeps each unit on one
    offer (run on both databases; PostgreSQL is the multi-process case)."""
    spec = tiny_spec(max_open_offers=1)
    view = campaigns.create_campaign(ctx, requester, spec)
    campaigns.launch(ctx, requester, view.id)
    workers = [make_worker() for _ in range(8)]

    def open_offers(session: Session) -> list[tuple[int | None, int]]:
        rows = session.execute(
            select(Offer.task_id, Offer.worker_id).where(
                Offer.campaign_id == view.id, Offer.status == "open"
            )
        )
        return [(task, worker) for task, worker in rows.all()]

    # each ask is a draw among the present workers (SPEC §6.6): everyone asks at once, round
    # after round, until every unit is out
    answers: list[OfferView | None] = []
    for _ in range(30):
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda w: offers.next_offer(ctx, w, view.id), workers))
        held = ctx.db.run(open_offers, readonly=True)
        tasks = [task for task, _ in held]
        assert len(tasks) == len(set(tasks))  # no unit twice, ever
        assert len({worker for _, worker in held}) == len(held)  # at most one offer per worker
        if len(held) == spec.total_target:
            break
    assert len(held) == spec.total_target  # every unit once
    assert sum(o is not None for o in answers) == spec.total_target
