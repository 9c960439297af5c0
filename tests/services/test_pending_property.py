"""Issue #14, Must show 3: for random crowds on a real campaign, the ledger verifies and every
credit the mechanism moved is accounted for, to the minor unit, on SQLite and PostgreSQL.

Each example launches a fresh campaign (so its escrow is real) with a few fresh workers, then
runs a random sequence of ``earn`` (pay into pending), ``observe`` (a control or a decision,
right or wrong, which may release pending pay or revoke with a claw-back and a fine) and
``release_at_close``, and checks:

- ``crowdset ledger verify`` passes (the chain and every cached balance);
- per worker × track: ``pending + released + clawed_back == earned``;
- ledger-wide, from the postings themselves: Σ pending balances + Σ released + Σ clawed back
  == Σ earned; what the escrow lost is what was earned plus fees, less what came back;
- fines: what ``platform:fines`` gained == Σ ``Sanction.fine`` == Σ fined per track, and each
  worker's money (pending included) changed by exactly earned − clawed back − fined.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from tests.services.conftest import tiny_spec

from crowdset.core.ledger import (
    AccountKind,
    TransactionKind,
    escrow_account,
    platform_account,
    user_account,
)
from crowdset.core.mechanism.evidence import Evidence, Track
from crowdset.core.permissions import Role
from crowdset.errors import InsufficientFunds
from crowdset.services import accounts, campaigns, ledger, mechanism
from crowdset.services.accounts import Principal
from crowdset.services.campaigns import spec_of
from crowdset.services.context import Context
from crowdset.storage import campaign_store, ledger_store
from crowdset.storage import mechanism_store as store
from crowdset.storage.models import LedgerAccount, LedgerPosting, LedgerTransaction

WORKERS = 3
TRACKS = (Track.WRITE, Track.VOTE)


@dataclass(frozen=True)
class Earn:
    worker: int
    track: Track
    amount: int


@dataclass(frozen=True)
class Observe:
    worker: int
    track: Track
    roll: float  # right when below the worker's accuracy
    evidence: Evidence
    failure_cost: int


@dataclass(frozen=True)
class ReleaseAtClose:
    pass


Step = Earn | Observe | ReleaseAtClose
workers = st.integers(0, WORKERS - 1)
tracks = st.sampled_from(TRACKS)
observations = st.builds(
    Observe,
    workers,
    tracks,
    st.floats(0, 1, exclude_max=True),
    st.sampled_from(Evidence),
    st.integers(0, 60),
)
steps = st.one_of(  # observations thrice as often: enough evidence to release and to revoke
    st.builds(Earn, workers, tracks, st.integers(1, 400)),
    observations,
    observations,
    observations,
    st.just(ReleaseAtClose()),
)
crowds = st.tuples(
    st.lists(st.sampled_from([0.05, 0.5, 0.97]), min_size=WORKERS, max_size=WORKERS),
    st.lists(st.integers(0, 400), min_size=WORKERS, max_size=WORKERS),  # stakes, minor units
    st.lists(steps, min_size=40, max_size=80),
)
serial = itertools.count(1)


def new_user(ctx: Context, role: str, credits: int) -> int:
    user = accounts.create_user(
        ctx, email=f"{role}{next(serial)}@pending.test", password="correct horse", role=role
    )
    if credits:
        ledger.issue_credits(ctx, None, user.id, credits)
    return user.id


def flows(session: Session, key: str) -> Counter[str]:
    """Σ postings to the account ``key``, by transaction kind (signed)."""
    rows = (
        session.query(LedgerTransaction.kind, LedgerPosting.amount)
        .join(LedgerPosting, LedgerPosting.transaction_seq == LedgerTransaction.seq)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .filter(LedgerAccount.key == key)
    )
    out: Counter[str] = Counter()
    for kind, amount in rows:
        out[kind] += amount
    return out


def run_step(
    ctx: Context, campaign_id: int, ids: list[int], accuracy: list[float], step: Step
) -> None:
    def work(session: Session) -> None:
        campaign = campaign_store.campaign(session, campaign_id)
        if isinstance(step, Earn):
            mechanism.earn(
                session, ctx, campaign_id, step.track, [(ids[step.worker], step.amount)], "task"
            )
        elif isinstance(step, Observe):
            mechanism.observe(
                session,
                ctx,
                campaign,
                spec_of(campaign).mechanism,
                step.track,
                ids[step.worker],
                correct=step.roll < accuracy[step.worker],
                evidence=step.evidence,
                failure_cost=step.failure_cost,
            )
        else:
            mechanism.release_at_close(session, ctx, campaign)

    with contextlib.suppress(InsufficientFunds):  # escrow ran dry: refused whole, nothing moved
        ctx.db.run(work)


def money_of(ctx: Context, worker: int) -> int:
    found = ledger.balances(ctx, worker)
    return found.total + found.pending


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(crowd=crowds)
@example(  # one sure revocation (pending clawed back, a fine from a thin stake) and one release
    crowd=(
        [0.05, 0.97, 0.5],
        [120, 0, 400],
        [
            Earn(0, Track.VOTE, 200),
            Earn(1, Track.WRITE, 150),
            *[Observe(0, Track.VOTE, 0.5, Evidence.CONTROL, 30) for _ in range(8)],
            *[Observe(1, Track.WRITE, 0.0, Evidence.CONTROL, 0) for _ in range(12)],
            Earn(2, Track.VOTE, 90),
        ],
    )
)
def test_pending_settled_returned_and_fined_add_up_to_what_was_earned(
    ctx: Context, crowd: tuple[list[float], list[int], list[Step]]
) -> None:
    accuracy, stakes, sequence = crowd
    requester_id = new_user(ctx, "requester", 1_000_000)
    requester = Principal(requester_id, Role.REQUESTER, "")
    spec = tiny_spec(mechanism={"min_evidence": 4, "bar": 0.7})
    campaign_id = campaigns.create_campaign(ctx, requester, spec).id
    campaigns.launch(ctx, requester, campaign_id)
    ids = [new_user(ctx, "worker", 300 + stake) for stake in stakes]
    for worker, stake in zip(ids, stakes, strict=True):
        if stake:
            ledger.stake(ctx, worker, stake)
    start = {worker: money_of(ctx, worker) for worker in ids}
    escrow_key = escrow_account(campaign_id).key

    def balances_now(session: Session) -> tuple[int, int, int]:
        return (
            ledger_store.balance_of(session, escrow_account(campaign_id)),
            ledger_store.balance_of(session, platform_account(AccountKind.FINES)),
            ledger_store.balance_of(session, platform_account(AccountKind.FEES)),
        )

    escrow0, fines0, fees0 = ctx.db.run(balances_now, readonly=True)
    for step in [*sequence, ReleaseAtClose()]:
        run_step(ctx, campaign_id, ids, accuracy, step)

    report = ledger.verify(ctx)
    assert report.ok, report.problems

    def check(session: Session) -> None:
        rows = store.track_rows(session, campaign_id=campaign_id)
        for row in rows:
            assert row.pending + row.released + row.clawed_back == row.earned, row.track
            if row.revoked_at is None:
                assert row.pending == 0  # released at close
        earned = sum(r.earned for r in rows)
        released = sum(r.released for r in rows)
        clawed = sum(r.clawed_back for r in rows)
        fined = sum(r.fined for r in rows)
        pending_balances = sum(
            ledger_store.balance_of(session, user_account(w, AccountKind.PENDING)) for w in ids
        )
        assert pending_balances + released + clawed == earned
        # the same sums, read from the postings alone
        moved: Counter[str] = Counter()
        for worker in ids:
            moved.update(flows(session, user_account(worker, AccountKind.PENDING).key))
        assert moved[TransactionKind.EARN.value] == earned
        assert -moved[TransactionKind.RELEASE.value] == released
        assert -moved[TransactionKind.CLAW_BACK.value] == clawed
        escrow, fines, fees = balances_now(session)
        assert escrow0 - escrow == earned + (fees - fees0) - clawed
        sanctions = store.sanctions(session, campaign_id=campaign_id)
        assert fines - fines0 == sum(s.fine for s in sanctions) == fined
        assert sum(s.clawed_back for s in sanctions) == clawed
        assert flows(session, escrow_key)[TransactionKind.CLAW_BACK.value] == clawed

    ctx.db.run(check, readonly=True)
    rows = ctx.db.run(lambda s: store.track_rows(s, campaign_id=campaign_id), readonly=True)
    for worker in ids:  # each worker's money, pending included: earned − clawed back − fined
        change = sum(r.earned - r.clawed_back - r.fined for r in rows if r.worker_id == worker)
        assert money_of(ctx, worker) - start[worker] == change, worker
