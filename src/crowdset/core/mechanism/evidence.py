"""Evidence about a worker (SPEC §6.1–6.2): one Beta posterior per worker × campaign × track.

A worker is judged only on evidence whose truth does not rest on the accused's peers alone:

- a **control** (a task with a known answer that looks like any other) counts
  ``CONTROL_WEIGHT`` = 1;
- agreement with a **confident decision** (one reached at the campaign's target confidence by
  workers whose own quality was established on controls) counts ``DECISION_WEIGHT`` = 0.5: it is
  evidence, not truth, and the worker's own answer helped make it.

The posterior itself is :class:`crowdset.core.quality.WorkerQuality` (``Beta(a + correct,
b + wrong)``): one model of quality for every workflow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from crowdset.core.quality import DEFAULT_PRIOR, WorkerQuality
from crowdset.errors import InvalidInput

CONTROL_WEIGHT = 1.0
DECISION_WEIGHT = 0.5


class Track(StrEnum):
    """What the worker does in a campaign; each has its own posterior and its own access."""

    WRITE = "write"  # generation: writing queries
    VOTE = "vote"  # generation: validating queries
    LABEL = "label"  # labeling: classification
    RATE = "rate"  # labeling: ratings and reviews


class Evidence(StrEnum):
    CONTROL = "control"
    DECISION = "decision"


WEIGHTS = {Evidence.CONTROL: CONTROL_WEIGHT, Evidence.DECISION: DECISION_WEIGHT}


@dataclass(frozen=True)
class TrackRecord:
    """What is known of one worker on one track of one campaign: weighted counts for the
    posterior, and plain counts for due process (what the worker is shown as evidence)."""

    correct: float = 0.0
    wrong: float = 0.0
    controls: int = 0
    controls_failed: int = 0
    decisions: int = 0
    decisions_failed: int = 0
    prior: tuple[float, float] = DEFAULT_PRIOR

    @property
    def quality(self) -> WorkerQuality:
        return WorkerQuality(self.correct, self.wrong, self.prior)

    def observed(
        self, correct: bool, evidence: Evidence, weight: float | None = None
    ) -> TrackRecord:
        """The record after one more control answer or one more decided judgment; ``weight``
        overrides the evidence's default weight (see :func:`balanced_decision_weight`)."""
        updated = self.quality.updated(correct, WEIGHTS[evidence] if weight is None else weight)
        if evidence is Evidence.CONTROL:
            return replace(
                self,
                correct=updated.correct,
                wrong=updated.wrong,
                controls=self.controls + 1,
                controls_failed=self.controls_failed + (not correct),
            )
        return replace(
            self,
            correct=updated.correct,
            wrong=updated.wrong,
            decisions=self.decisions + 1,
            decisions_failed=self.decisions_failed + (not correct),
        )


def balanced_decision_weight(decided_good: bool, prior_good: float, *, vetted: bool) -> float:
    """The weight of one vote's agreement with a confident decision (SPEC §6.1–6.2).

    Votes on a binary question are judged **class-balanced**: when a share ``π`` of the units
    are good, agreeing with a "good" decision counts ``(1 − π) / π`` of agreeing with a "bad"
    one (for ``π > 1/2``; the other way round below), so a validator who ignores the unit and
    always says the common answer scores 1/2 in expectation, like a coin — agreement with the
    base rate earns no credit. ``vetted`` decisions (reached by validators whose quality rests
    on controls, without this vote) count as much as a control; others ``DECISION_WEIGHT``.
    """
    if not 0.0 < prior_good < 1.0:
        raise InvalidInput(f"prior_good must lie in (0, 1), got {prior_good!r}", field="prior_good")
    base = CONTROL_WEIGHT if vetted else DECISION_WEIGHT
    common_is_good = prior_good >= 0.5
    ratio = (1.0 - prior_good) / prior_good if common_is_good else prior_good / (1.0 - prior_good)
    return base * (ratio if decided_good == common_is_good else 1.0)
