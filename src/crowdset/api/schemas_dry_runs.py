"""Shapes of the mechanism dry-run routes (SPEC §6.9, issue #14): what to try, then the run's
status, progress and, once done, one row per strategy and the run's summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from crowdset.api.schemas import Schema
from crowdset.services.dry_runs import DryRunView, RunStatus
from crowdset.sim.attack import MAX_HOURS, AttackReport
from crowdset.sim.attackers.strategies import MAX_SYBIL_K, SYBIL_K

MAX_WORKERS = 200


class DryRunBody(Schema):
    spec: str = Field(
        min_length=1,
        description="The campaign spec as YAML or JSON text, like examples/smart-lights.yaml.",
    )
    items: str | None = Field(
        None,
        description="A labeling or review campaign's items as CSV text (id, text or image, "
        "gold; a review's source and target). Required for those, refused for generation.",
    )
    truth: str | None = Field(
        None,
        description="Each item's true answer as CSV text with id and truth columns; items "
        "without one get a random truth (gold items use their gold).",
    )
    mix: str | None = Field(
        None,
        description='Shares of the crowd by strategy, like "ring=0.33,spammer=0.1" (the rest '
        "is honest); default: every strategy of the campaign's kind, 60% honest.",
        examples=["ring=0.33,spammer=0.1"],
    )
    seed: int = Field(0, ge=0, description="Random seed of the crowd and the offers.")
    workers: int | None = Field(
        None,
        ge=2,
        le=MAX_WORKERS,
        description="Persons in the crowd (a sybil has several accounts); default 25 (20 for "
        "review).",
    )
    max_hours: float = Field(
        MAX_HOURS,
        gt=0,
        le=MAX_HOURS,
        description="Stop the campaign after this many hours on the simulated clock.",
    )
    sybil_k: int | None = Field(
        None,
        ge=1,
        le=MAX_SYBIL_K,
        description=f"Accounts per sybil person (default {SYBIL_K}): the person's stake and "
        "grant split over them; the mix must hold a sybil. Each sybil person has a "
        "sybil_baseline twin, one account with the same stake and work; the sybil's row "
        "carries its figures over the twin's (net_per_person_ratio, "
        "offer_share_per_person_ratio).",
        examples=[10],
    )


class ProgressPublic(Schema):
    what: str = Field(description='What is counted, like "with attackers: accepted queries".')
    done: int
    total: int


class DryRunSummary(Schema):
    spec_name: str
    workflow: str = Field(description="generation, labeling or review.")
    seed: int
    mix: dict[str, float]
    fair_wage_per_hour: float | None
    honest_rejection_rate: float | None
    honest_rejection_rate_without_attackers: float | None
    honest_net_per_hour_without_attackers: float | None
    ring_junk_accepted_share: float | None
    sybil_k: int | None = Field(description="Accounts per sybil person; null: no sybil.")
    hours_modelled: float = Field(
        description="The campaign's duration on the simulated clock, the honest baseline included."
    )
    done: bool = Field(description="The campaign was done before the time limit.")
    ledger_ok: bool = Field(description="The throw-away ledger verified after the run.")
    notes: list[str]


class DryRunPublic(Schema):
    id: str
    status: RunStatus
    spec_name: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: ProgressPublic | None
    error: str | None = Field(description="Why a failed run stopped.")
    error_code: str | None
    rows: list[dict[str, Any]] | None = Field(
        description="Once done, one object per strategy, as `crowdset sim attack --format "
        "json` prints: strategy, honest, workers, net_per_hour, net_per_person, "
        "offer_share_per_person, fair_wage_per_hour, fined_or_revoked_share, "
        "accepted_share, target, meets_target, … (a sybil's: sybil_k, net_per_person_ratio, "
        "offer_share_per_person_ratio over its sybil_baseline row)"
    )
    summary: DryRunSummary | None


def summary_of(report: AttackReport) -> DryRunSummary:
    return DryRunSummary(
        spec_name=report.spec_name,
        workflow=report.workflow,
        seed=report.seed,
        mix=report.mix,
        fair_wage_per_hour=(report.strategies[0].fair_wage_per_hour if report.strategies else None),
        honest_rejection_rate=report.honest_rejection_rate,
        honest_rejection_rate_without_attackers=report.honest_rejection_rate_without_attackers,
        honest_net_per_hour_without_attackers=report.honest_net_per_hour_without_attackers,
        ring_junk_accepted_share=report.ring_junk_accepted_share,
        sybil_k=report.sybil_k,
        hours_modelled=round(report.hours_modelled, 3),
        done=report.done,
        ledger_ok=report.ledger_ok,
        notes=list(report.notes),
    )


def dry_run_public(run: DryRunView[AttackReport]) -> DryRunPublic:
    report = run.report
    return DryRunPublic(
        id=run.id,
        status=run.status,
        spec_name=run.label,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        progress=(
            ProgressPublic(what=run.progress.what, done=run.progress.done, total=run.progress.total)
            if run.progress is not None
            else None
        ),
        error=run.error,
        error_code=run.error_code,
        rows=report.rows() if report is not None else None,
        summary=summary_of(report) if report is not None else None,
    )
