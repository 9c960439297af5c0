"""Shapes of the due-process routes (SPEC §6, issue #14): a worker's quality per campaign
track, sanctions with their evidence, appeals and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from crowdset.api.schemas import Schema
from crowdset.core.mechanism.appeals import MAX_APPEAL_CHARS, MAX_NOTE_CHARS, AppealStatus
from crowdset.services.due_process import FailedControl, SanctionView, TrackQuality


class TrackQualityPublic(Schema):
    campaign_id: int
    campaign_name: str
    track: str = Field(description="write, vote, label or rate.")
    status: Literal["revoked", "pending", "settled"]
    mean: float = Field(description="Posterior mean accuracy.")
    lower: float = Field(
        description="One-sided lower bound at `confidence`: pay is released once it reaches `bar`."
    )
    upper: float = Field(
        description="One-sided upper bound at `confidence`: below `bar` "
        "(with enough evidence and a failed control) revokes."
    )
    bar: float
    confidence: float
    evidence: float = Field(description="Control-answer equivalents (a decision counts half).")
    controls_passed: int
    controls_failed: int
    decisions_agreed: int
    decisions_contradicted: int
    earned: int
    pending: int
    released: int
    clawed_back: int
    fined: int
    revoked_at: datetime | None
    why_pending: str
    when_settles: str
    controls_to_release: int | None = Field(
        description="Right control answers still needed to release pending pay; null: at close."
    )


def track_quality_public(found: TrackQuality) -> TrackQualityPublic:
    return TrackQualityPublic(
        campaign_id=found.campaign_id,
        campaign_name=found.campaign_name,
        track=found.track,
        status=found.status,
        mean=round(found.mean, 4),
        lower=round(found.lower, 4),
        upper=round(found.upper, 4),
        bar=found.bar,
        confidence=found.confidence,
        evidence=found.evidence,
        controls_passed=found.controls_passed,
        controls_failed=found.controls_failed,
        decisions_agreed=found.decisions_agreed,
        decisions_contradicted=found.decisions_failed,
        earned=found.earned,
        pending=found.pending,
        released=found.released,
        clawed_back=found.clawed_back,
        fined=found.fined,
        revoked_at=found.revoked_at,
        why_pending=found.why_pending,
        when_settles=found.when_settles,
        controls_to_release=found.controls_to_release,
    )


class FailedControlPublic(Schema):
    kind: Literal["query", "item"]
    retired: bool = Field(description="Content is shown only once the control is retired.")
    content: str | None
    known_answer: str | None
    your_answer: str | None


class SanctionPublic(Schema):
    id: int
    campaign_id: int
    campaign_name: str
    worker: str = Field(description="The worker's pseudonym.")
    track: str
    at: datetime
    reason: str
    evidence: dict[str, object] = Field(
        description="Counts of controls and decisions (and failures), the posterior at "
        "revocation, the bar, what was earned and what failures cost."
    )
    fine: int = Field(description="Minor units moved from the worker's bond to fines.")
    clawed_back: int = Field(description="Pending pay returned to the campaign's escrow.")
    failed_controls: list[FailedControlPublic]
    appeal_status: AppealStatus
    appeal_text: str | None
    appealed_at: datetime | None
    decided_at: datetime | None
    decision_note: str | None
    can_appeal: bool
    can_decide: bool


def _control(found: FailedControl) -> FailedControlPublic:
    return FailedControlPublic(
        kind=found.kind,
        retired=found.retired,
        content=found.content,
        known_answer=found.known_answer,
        your_answer=found.your_answer,
    )


def sanction_public(found: SanctionView) -> SanctionPublic:
    return SanctionPublic(
        id=found.id,
        campaign_id=found.campaign_id,
        campaign_name=found.campaign_name,
        worker=found.worker,
        track=found.track,
        at=found.at,
        reason=found.reason,
        evidence=found.evidence,
        fine=found.fine,
        clawed_back=found.clawed_back,
        failed_controls=[_control(c) for c in found.failed_controls],
        appeal_status=found.appeal_status,
        appeal_text=found.appeal_text,
        appealed_at=found.appealed_at,
        decided_at=found.decided_at,
        decision_note=found.decision_note,
        can_appeal=found.can_appeal,
        can_decide=found.can_decide,
    )


class AppealBody(Schema):
    text: str = Field(
        max_length=MAX_APPEAL_CHARS * 2,  # the service counts trimmed text and says the limit
        description=f"Why the sanction is wrong, at most {MAX_APPEAL_CHARS} characters.",
    )


class DecisionBody(Schema):
    decision: Literal["uphold", "deny"] = Field(
        description="uphold: the fine and the clawed-back pay come back and the worker is "
        "reinstated; deny: final."
    )
    note: str = Field(
        max_length=MAX_NOTE_CHARS * 2,
        description=f"Why, at most {MAX_NOTE_CHARS} characters (shown to the worker).",
    )
