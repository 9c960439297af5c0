"""What a worker's posterior means for them (SPEC §6.3–6.4).

- **Revoke** when the posterior's upper bound falls below the bar, after at least
  ``min_evidence`` answers' worth of evidence of which at least one control failed: never for
  one mistake, never on peers' say-so alone.
- **Release** pending pay when the posterior's lower bound clears the bar (the worker is
  confidently good enough), or at close for a worker never revoked.
- Otherwise the worker keeps working and their pay stays pending.

A worker is **established** on a track (:func:`is_established`) once both their controls and
their decided work alone put them confidently above the bar: only established workers make
consensus gold, turn a unanimous accept into a control, or alone cost a reviewer a
deposit. Until then a worker who answers controls right and the rest at random
cannot lend the trust of their controls to their other answers.
"""

from __future__ import annotations

from enum import StrEnum

from crowdset.core.mechanism.evidence import DECISION_WEIGHT, TrackRecord
from crowdset.core.quality import WorkerQuality, should_revoke


class Standing(StrEnum):
    REVOKE = "revoke"
    RELEASE = "release"
    PENDING = "pending"


def standing_of(
    record: TrackRecord,
    *,
    bar: float,
    confidence: float,
    min_evidence: float,
    release_below: float | None = None,
) -> Standing:
    """The verdict on one track record.

    ``release_below`` is the bar that the *lower* bound must clear to release pending pay
    (defaults to the revocation ``bar``). Revocation needs a failed control, or at least
    ``min_evidence`` decisions gone against the worker: one contested decision is their peers'
    view, but a worker who answers controls right and the rest at random (a control oracle)
    is caught by the decisions of validated workers alone.
    """
    quality = record.quality
    enough_against = record.controls_failed > 0 or record.decisions_failed >= min_evidence
    if enough_against and should_revoke(quality, bar, confidence, min_evidence):
        return Standing.REVOKE
    if (
        record.decisions_failed >= min_evidence
        and decided_quality(record).upper_bound(confidence) < bar
    ):
        # a control oracle: every control right, the rest at random; its controls keep the
        # whole posterior above the bar, its decided work alone does not
        return Standing.REVOKE
    release = bar if release_below is None else release_below
    if is_released(record, bar=release, confidence=confidence):
        return Standing.RELEASE
    return Standing.PENDING


def is_released(record: TrackRecord, *, bar: float, confidence: float) -> bool:
    """Checked on controls, with the posterior's lower bound at ``confidence`` clearing
    ``bar``: the rule that releases pending pay, and the one that lets a validator vouch for a
    verdict."""
    return record.controls > 0 and record.quality.quantile(1.0 - confidence) >= bar


def control_share_for(
    record: TrackRecord,
    *,
    control_share: float,
    probation_share: float,
    bar: float,
    confidence: float,
    min_evidence: float,
) -> float:
    """The chance that a worker's next offer on the track is a control (SPEC §6.1).

    While the worker's standing is still **pending** — neither released (lower bound above the
    bar) nor revoked — they are on probation and get ``max(control_share, probation_share)``;
    after that, ``control_share``. Without probation a cheat needs ~20 controls to be revoked,
    ~200 offers at a 10% share: a short campaign would close first and release their pending
    pay. An honest worker at 95% leaves probation after about 8 controls answered right.
    A campaign without controls (``control_share`` 0) has no probation either.
    """
    if control_share <= 0:
        return 0.0
    verdict = standing_of(record, bar=bar, confidence=confidence, min_evidence=min_evidence)
    if verdict is Standing.PENDING:
        return max(control_share, probation_share)
    return control_share


def decided_quality(record: TrackRecord) -> WorkerQuality:
    """The posterior from the worker's decided work alone (each decision at
    ``DECISION_WEIGHT``), the controls left out: what the rest of their work is worth."""
    agreed = record.decisions - record.decisions_failed
    return WorkerQuality(
        DECISION_WEIGHT * agreed, DECISION_WEIGHT * record.decisions_failed, record.prior
    )


def controls_to_leave_probation(bar: float, confidence: float, limit: int = 1000) -> int:
    """Controls answered right in a row before the posterior's lower bound clears ``bar``:
    7 at the defaults (bar 0.7, confidence 0.95). What a probation must offer at the least."""
    for n in range(1, limit + 1):
        if WorkerQuality(float(n), 0.0).quantile(1.0 - confidence) >= bar:
            return n
    return limit


def is_established(record: TrackRecord | None, *, bar: float, confidence: float) -> bool:
    """Is the worker's quality on the track established (see the module's doc)? Checked on
    controls, and both the whole posterior and the posterior of their decided work alone
    (agreement with confident decisions, each counted once) have their lower bound above
    ``bar``: at the defaults, at least seven decisions agreed with in a row. A cheat who
    answers controls right and the rest at random passes the first for as long as it likes;
    a random rater agreeing within a star 60% of the time passes the second 3% of the time
    at its seventh decision, and ever less after."""
    if record is None or record.controls == 0 or record.decisions == 0:
        return False
    if record.quality.quantile(1.0 - confidence) < bar:
        return False
    agreed = float(record.decisions - record.decisions_failed)
    decided = WorkerQuality(agreed, float(record.decisions_failed))
    return decided.quantile(1.0 - confidence) >= bar


DECISION_PRIOR = (1.0, 1.0)  # flat: a worker nobody has checked weighs nothing in a decision


def decision_accuracy(record: TrackRecord | None) -> float:
    """The accuracy a worker's judgment weighs with in a decision (SPEC §6.2): the posterior
    mean of their evidence under a flat prior, ``Beta(1 + correct, 1 + wrong)``. A worker
    nobody has checked weighs nothing (0.5), one right control makes 2/3, seven 0.89. The
    track's own prior, ``Beta(2, 1)`` (2/3 before any evidence), is the benefit of the doubt
    for pay and access; in decisions it let three fresh accounts of a ring accept their own
    junk at a 0.8 prior (odds ×2³ → 0.97)."""
    if record is None:
        return 0.5
    return WorkerQuality(record.correct, record.wrong, DECISION_PRIOR).posterior_mean()
