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

    def observed(self, correct: bool, evidence: Evidence) -> TrackRecord:
        """The record after one more control answer or one more decided judgment."""
        updated = self.quality.updated(correct, WEIGHTS[evidence])
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
