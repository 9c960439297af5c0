"""What a worker's posterior means for them (SPEC §6.3–6.4).

- **Revoke** when the posterior's upper bound falls below the bar, after at least
  ``min_evidence`` answers' worth of evidence of which at least one control failed: never for
  one mistake, never on peers' say-so alone.
- **Release** pending pay when the posterior's lower bound clears the bar (the worker is
  confidently good enough), or at close for a worker never revoked.
- Otherwise the worker keeps working and their pay stays pending.
"""

from __future__ import annotations

from enum import StrEnum

from crowdset.core.mechanism.evidence import TrackRecord
from crowdset.core.quality import should_revoke


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
    release = bar if release_below is None else release_below
    lower = quality.quantile(1.0 - confidence)
    if record.controls > 0 and lower >= release:
        return Standing.RELEASE
    return Standing.PENDING


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
