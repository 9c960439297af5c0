"""The mechanism of SPEC §6, in one place: how a worker's quality is known, how it decides
outcomes, and how it moves money. Every workflow (generation, labeling, review) calls it.

- :mod:`.evidence` — one Beta posterior per worker × campaign × **track** (write, vote, label,
  rate), fed by **controls** (known answer, weight 1) and **confident decisions** (weight 0.5).
- :mod:`.verdicts` — from that posterior: revoke (upper bound below the bar, never for one
  mistake), release pending pay (lower bound clears the bar), or wait.
- :mod:`.decisions` — quality-weighted decisions: votes and labels summed in log-odds, decided
  once the weighted confidence reaches the target, else one more judgment up to a maximum.
- :mod:`.fines` — the fine at revocation and the bond (stake or deposit) that must cover it.
- :mod:`.settings` — the campaign's knobs with their defaults and why.
- :mod:`.newcomers` — bounty tasks without stake, pay held until a first run of accepted work,
  onboarding time measured and paid (SPEC §3, §6.6).
- :mod:`.collusion`, :mod:`.collusion_groups` — pairs and groups of workers who agree far more
  than their accuracy on controls explains, with the κ table (SPEC §6.8).

Money flow (ledger kinds in ``core.ledger``)::

    escrow ──earn──▶ worker pending ──release──▶ worker available
                          │
                          └──claw back (revoked)──▶ escrow   (pays for redoing the work)
    worker staked/locked/deposit ──fine──▶ platform fines
"""

from crowdset.core.mechanism.decisions import Verdict, weighted_verdict
from crowdset.core.mechanism.evidence import (
    CONTROL_WEIGHT,
    DECISION_WEIGHT,
    Evidence,
    Track,
    TrackRecord,
)
from crowdset.core.mechanism.fines import fine_for, required_bond
from crowdset.core.mechanism.settings import MechanismSettings
from crowdset.core.mechanism.verdicts import (
    Standing,
    control_share_for,
    controls_to_leave_probation,
    decided_quality,
    decision_accuracy,
    is_established,
    is_released,
    standing_of,
)

__all__ = [
    "CONTROL_WEIGHT",
    "DECISION_WEIGHT",
    "Evidence",
    "MechanismSettings",
    "Standing",
    "Track",
    "TrackRecord",
    "Verdict",
    "control_share_for",
    "controls_to_leave_probation",
    "decided_quality",
    "decision_accuracy",
    "fine_for",
    "is_established",
    "is_released",
    "required_bond",
    "standing_of",
    "weighted_verdict",
]
