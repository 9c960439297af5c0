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
    (defaults to the revocation ``bar``). A control must have failed before anyone is revoked:
    decisions alone are their peers' view.
    """
    quality = record.quality
    if record.controls_failed > 0 and should_revoke(quality, bar, confidence, min_evidence):
        return Standing.REVOKE
    release = bar if release_below is None else release_below
    lower = quality.quantile(1.0 - confidence)
    if record.controls > 0 and lower >= release:
        return Standing.RELEASE
    return Standing.PENDING
