"""The mechanism of SPEC §6 inside the caller's unit of work: pay earned into ``pending``,
evidence observed on a track, release when the worker clears the bar, revocation with a fine
and its evidence, release at close. The rules are ``core.mechanism``; every workflow
(generation, labeling, review) calls these functions, so money moves one way everywhere.

Use cases that reach a person (a worker's own quality, appeals) are in
``services.due_process``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crowdset.core import ledger
from crowdset.core.economics import fee_for
from crowdset.core.ledger import FINE_SOURCES, AccountKind, user_account
from crowdset.core.mechanism import (
    Evidence,
    MechanismSettings,
    Standing,
    Track,
    TrackRecord,
    control_share_for,
    decided_quality,
    decision_accuracy,
    fine_for,
    is_established,
    is_released,
    standing_of,
)
from crowdset.core.mechanism.newcomers import held_released, held_released_at_close
from crowdset.services.context import Context
from crowdset.storage import campaign_store, ledger_store
from crowdset.storage import mechanism_store as store
from crowdset.storage.models import Campaign, Sanction, WorkerTrack


def record_of(row: WorkerTrack) -> TrackRecord:
    return TrackRecord(
        correct=row.correct,
        wrong=row.wrong,
        controls=row.controls,
        controls_failed=row.controls_failed,
        decisions=row.decisions,
        decisions_failed=row.decisions_failed,
    )


def _store_record(row: WorkerTrack, record: TrackRecord) -> None:
    row.correct, row.wrong = record.correct, record.wrong
    row.controls, row.controls_failed = record.controls, record.controls_failed
    row.decisions, row.decisions_failed = record.decisions, record.decisions_failed


TRACK_WORK = {
    Track.WRITE.value: "writing queries",
    Track.VOTE.value: "validating queries",
    Track.LABEL.value: "labeling",
    Track.RATE.value: "rating",
}


def _post(session: Session, ctx: Context, draft: ledger.TransactionDraft) -> None:
    ledger_store.post(session, draft, now=ctx.now(), actor_id=None)


def accuracy(session: Session, campaign_id: int, worker_id: int, track: Track) -> float:
    """The worker's posterior mean accuracy on the track (the prior's mean when unknown)."""
    row = store.track_row(session, campaign_id, worker_id, track.value, create=False)
    return (record_of(row) if row is not None else TrackRecord()).quality.posterior_mean()


def accuracies(
    session: Session, campaign_id: int, track: Track, worker_ids: Sequence[int]
) -> dict[int, float]:
    rows = store.tracks_of(session, campaign_id, track.value, worker_ids)
    prior = TrackRecord().quality.posterior_mean()
    return {
        w: record_of(rows[w]).quality.posterior_mean() if w in rows else prior for w in worker_ids
    }


def control_shares(
    session: Session,
    campaign_id: int,
    settings: MechanismSettings,
    track: Track,
    worker_ids: Sequence[int],
) -> dict[int, float]:
    """Each worker's chance that their next offer on the track is a control: higher while on
    probation (``core.mechanism.control_share_for``)."""
    rows = store.tracks_of(session, campaign_id, track.value, worker_ids)
    return {
        worker: control_share_for(
            record_of(rows[worker]) if worker in rows else TrackRecord(),
            control_share=settings.control_share,
            probation_share=settings.probation_share,
            bar=settings.bar_on(track.value),
            confidence=settings.confidence,
            min_evidence=settings.min_evidence,
        )
        for worker in worker_ids
    }


def _workers_where(
    session: Session,
    campaign_id: int,
    settings: MechanismSettings,
    track: Track,
    worker_ids: Sequence[int],
    rule: Callable[..., bool],
) -> set[int]:
    """Those of ``worker_ids`` not revoked whose track record meets ``rule`` at the track's
    bar and the campaign's confidence."""
    rows = store.tracks_of(session, campaign_id, track.value, worker_ids)
    bar, confidence = settings.bar_on(track.value), settings.confidence
    return {
        worker
        for worker, row in rows.items()
        if row.revoked_at is None and rule(record_of(row), bar=bar, confidence=confidence)
    }


def established(
    session: Session,
    campaign_id: int,
    settings: MechanismSettings,
    track: Track,
    worker_ids: Sequence[int],
) -> set[int]:
    """Those whose quality on the track is established (``core.mechanism.is_established``)."""
    return _workers_where(session, campaign_id, settings, track, worker_ids, is_established)


def released(
    session: Session,
    campaign_id: int,
    settings: MechanismSettings,
    track: Track,
    worker_ids: Sequence[int],
) -> set[int]:
    """Those released on controls (``core.mechanism.is_released``): the rule that releases
    pending pay."""
    return _workers_where(session, campaign_id, settings, track, worker_ids, is_released)


def decision_accuracies(
    session: Session,
    campaign_id: int,
    settings: MechanismSettings,
    track: Track,
    worker_ids: Sequence[int],
) -> dict[int, float]:
    """The accuracy each worker's judgment weighs with in a decision: their evidence under a
    flat prior, so nobody weighs before a check (``core.mechanism.decision_accuracy``). A
    campaign without controls has nothing to check against: there the track's posterior
    mean (the prior's benefit of the doubt) weighs, or nothing could ever be decided."""
    if settings.control_share <= 0:
        return accuracies(session, campaign_id, track, worker_ids)
    rows = store.tracks_of(session, campaign_id, track.value, worker_ids)
    return {
        worker: decision_accuracy(record_of(rows[worker]) if worker in rows else None)
        for worker in worker_ids
    }


def is_revoked(session: Session, campaign_id: int, worker_id: int, track: Track) -> bool:
    row = store.track_row(session, campaign_id, worker_id, track.value, create=False)
    return row is not None and row.revoked_at is not None


# --- money ------------------------------------------------------------------------------------


def earn(
    session: Session,
    ctx: Context,
    campaign_id: int,
    track: Track,
    payouts: Sequence[tuple[int, int]],
    memo: str,
) -> None:
    """SPEC §6.3: pay earned per task lands in each worker's ``pending`` account (the fee goes
    to the platform at once); each worker's track row counts it as earned and pending."""
    paid = [(worker, amount) for worker, amount in payouts if amount > 0]
    if not paid:
        return
    fee = sum(fee_for(amount, ctx.settings.platform_fee_share) for _, amount in paid)
    _post(session, ctx, ledger.earn(campaign_id, paid, fee, memo))
    for worker, amount in paid:
        row = store.track_row(session, campaign_id, worker, track.value)
        assert row is not None
        row.earned += amount
        row.pending += amount


def add_cost_of_failure(
    session: Session, campaign_id: int, worker_id: int, track: Track, amount: int
) -> None:
    """What catching one failed unit of the worker cost the campaign (the votes or judgments
    paid to refuse it): the floor of their fine (SPEC §6.4)."""
    if amount <= 0:
        return
    row = store.track_row(session, campaign_id, worker_id, track.value)
    assert row is not None
    row.cost_of_failures += amount


def hold_until_first_run(
    session: Session, campaign_id: int, worker_id: int, track: Track, release_after: int
) -> None:
    """SPEC §6.6: the worker's pending pay on the track is held until ``release_after`` units
    of accepted work (a bounty, a paid onboarding); ``core.mechanism.newcomers``."""
    row = store.track_row(session, campaign_id, worker_id, track.value)
    assert row is not None
    row.release_after = max(row.release_after or 0, release_after)


def release(session: Session, ctx: Context, row: WorkerTrack, memo: str) -> int:
    """Move the row's pending pay to the worker's ``available``; returns the amount."""
    amount = row.pending
    if amount <= 0:
        return 0
    _post(session, ctx, ledger.release(row.worker_id, amount, memo))
    row.pending = 0
    row.released += amount
    return amount


# --- evidence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    standing: Standing
    revoked_now: bool  # this observation revoked the worker: withdraw offers, re-queue work
    sanction_id: int | None = None


def observe(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    settings: MechanismSettings,
    track: Track,
    worker_id: int,
    *,
    correct: bool,
    evidence: Evidence,
    failure_cost: int = 0,
    weight: float | None = None,
) -> Observation:
    """Add one control answer or one decided judgment to the worker's track record, then apply
    the verdict: revoke with a fine, release pending pay, or wait. ``failure_cost`` is added to
    the cost of failures when ``correct`` is false; ``weight`` overrides the evidence's
    default weight."""
    row = store.track_row(session, campaign.id, worker_id, track.value)
    assert row is not None
    if row.revoked_at is not None:
        return Observation(Standing.REVOKE, revoked_now=False)
    record = record_of(row).observed(correct, evidence, weight)
    _store_record(row, record)
    if not correct and failure_cost > 0:
        row.cost_of_failures += failure_cost
    verdict = standing_of(
        record,
        bar=settings.bar_on(track.value),
        confidence=settings.confidence,
        min_evidence=settings.min_evidence,
    )
    if verdict is Standing.REVOKE:
        sanction = revoke(session, ctx, campaign, settings, row)
        return Observation(verdict, revoked_now=True, sanction_id=sanction.id)
    if verdict is Standing.RELEASE and held_released(
        record,
        bar=settings.bar_on(track.value),
        confidence=settings.confidence,
        release_after=row.release_after,
    ):
        release(session, ctx, row, f"campaign {campaign.id} {track.value}: quality cleared the bar")
    return Observation(verdict, revoked_now=False)


def _collect(session: Session, ctx: Context, worker_id: int, amount: int, memo: str) -> int:
    """Take up to ``amount`` from the worker's bond — staked, locked, deposit, then available —
    into ``fines``; returns what was collected."""
    if amount <= 0:
        return 0
    taken: dict[AccountKind, int] = {}
    left = amount
    for kind in FINE_SOURCES:
        if left <= 0:
            break
        have = ledger_store.balance_of(session, user_account(worker_id, kind))
        take = min(have, left)
        if take > 0:
            taken[kind] = take
            left -= take
    if taken:
        _post(session, ctx, ledger.fine(worker_id, taken, memo))
    return amount - left


def revoke(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    settings: MechanismSettings,
    row: WorkerTrack,
    reason: str | None = None,
) -> Sanction:
    """SPEC §6.4: access to the track ends, pending pay goes back to the escrow (it pays for
    redoing the work), and a fine ``max(fine_multiplier × earned, cost of failures)`` moves from
    the worker's bond to ``fines``. The sanction keeps the reason and the evidence."""
    now = ctx.now()
    row.revoked_at = now
    memo = f"campaign {campaign.id} {row.track}: revoked"
    clawed = row.pending
    if clawed > 0:
        _post(session, ctx, ledger.claw_back(row.worker_id, campaign.id, clawed, memo))
        row.pending = 0
        row.clawed_back += clawed
    due = fine_for(row.earned, row.cost_of_failures, settings.fine_multiplier)
    collected = _collect(session, ctx, row.worker_id, due, f"{memo}, fine")
    row.fined += collected
    quality = record_of(row).quality
    evidence: dict[str, object] = {
        "controls": row.controls,
        "controls_failed": row.controls_failed,
        "decisions": row.decisions,
        "decisions_failed": row.decisions_failed,
        "accuracy_mean": round(quality.posterior_mean(), 4),
        "accuracy_upper_bound": round(quality.upper_bound(settings.confidence), 4),
        "bar": settings.bar_on(row.track),
        "confidence": settings.confidence,
        "earned": row.earned,
        "cost_of_failures": row.cost_of_failures,
        "fine_due": due,
    }
    text = reason or (
        f"Your accuracy at {TRACK_WORK.get(row.track, row.track)} in this campaign is below "
        f"the bar of "
        f"{settings.bar_on(row.track):.0%} with {settings.confidence:.0%} confidence: "
        f"{row.controls_failed} of {row.controls} checks with a known answer and "
        f"{row.decisions_failed} of {row.decisions} confident decisions went against you."
    )
    if reason is None and row.controls_failed == 0:
        decided = decided_quality(record_of(row)).posterior_mean()
        text += (
            f" You passed the checks, but the rest of your work agreed with the confident "
            f"decisions only about {decided:.0%} of the time."
        )
        evidence["decided_accuracy_mean"] = round(decided, 4)
    sanction = Sanction(
        campaign_id=campaign.id,
        worker_id=row.worker_id,
        track=row.track,
        at=now,
        reason=text,
        evidence=evidence,
        fine=collected,
        clawed_back=clawed,
        appeal_status="none",
    )
    session.add(sanction)
    session.flush()
    campaign_store.add_event(
        session,
        campaign.id,
        "worker_revoked",
        at=now,
        detail={
            "worker": campaign_store.pseudonyms(session, {row.worker_id})[row.worker_id],
            "track": row.track,
            "fine": collected,
            "clawed_back": clawed,
            "sanction": sanction.id,
            **{k: v for k, v in evidence.items() if k != "fine_due"},
        },
    )
    return sanction


def release_at_close(
    session: Session, ctx: Context, campaign: Campaign, settings: MechanismSettings | None = None
) -> int:
    """At close every worker never revoked gets their pending pay; returns the total. Pay
    held until a first run (SPEC §6.6) is released only where the first run was done with a
    posterior mean at the track's bar (``settings``; the defaults when not given), else it
    goes back to the escrow."""
    bars = settings or MechanismSettings()
    total = 0
    for row in store.track_rows(session, campaign_id=campaign.id):
        if row.revoked_at is not None or row.pending <= 0:
            continue
        if held_released_at_close(
            record_of(row), bar=bars.bar_on(row.track), release_after=row.release_after
        ):
            total += release(session, ctx, row, f"campaign {campaign.id} closed")
        else:
            memo = f"campaign {campaign.id} {row.track} closed: no first run of accepted work"
            _post(session, ctx, ledger.claw_back(row.worker_id, campaign.id, row.pending, memo))
            row.clawed_back += row.pending
            row.pending = 0
    return total
