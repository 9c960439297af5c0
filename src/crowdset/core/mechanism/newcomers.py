"""Newcomers (SPEC §3 onboarding, §6.6): bounty tasks without stake, pay held until a first run
of accepted work, and the time tutorials and qualifiers take.

**Bounty.** A worker short of the stake a campaign requires may still take ``bounty.tasks``
tasks of it, drawn as if they had staked ``BOUNTY_STAKE`` credit (:func:`bounty_tasks_left`).
Without a bond to fine, nothing but their pay can answer for junk, so that pay is **held**:
it lands in ``pending`` like all pay (SPEC §6.3) but is released only once the worker has done a
**first run** — ``release_after`` units of accepted work (accepted queries, controls answered
right, decisions agreed with: :func:`first_run_successes`) — *and* cleared the campaign's bar
on controls (:func:`~crowdset.core.mechanism.verdicts.is_released`). At close, held pay is
released only to a worker with the first run whose posterior mean reaches the bar
(:func:`held_released_at_close`); otherwise it goes back to the escrow. So k fresh accounts
doing the bounty with junk earn nothing: junk is never accepted, and a revoked account loses
its pending pay.

**Onboarding time.** A labeling campaign's tutorial and qualifier take time that counts in
the worker's effective hourly rate; a campaign may pay it (``onboarding.pay``) at the fair
wage, at most ``seconds`` per worker and for at most ``workers`` workers (priced into the
escrow: :func:`onboarding_reserve`). It is earned when the worker passes the onboarding (the
qualifier, or the tutorial where there is none) and held like bounty pay, so passing with
copied answers on many accounts pays nothing without real work after it.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crowdset.core.economics import fee_for, wage_floor
from crowdset.core.mechanism.evidence import TrackRecord
from crowdset.core.mechanism.verdicts import is_released

BOUNTY_STAKE = 1.0
"""Credits of stake a bounty worker is drawn as if they held: against workers staking the
campaign's required stake (tens of credits) they get a small share, and k bounty accounts
hold no more than k credits of weight."""

MAX_BOUNTY_TASKS = 1000
DEFAULT_RELEASE_AFTER = 3
ONBOARDING_SLACK = 2
"""Default time paid for onboarding: each tutorial and qualifier question at this many times
``seconds_per_judgment`` (reading the instructions and the tutorial's explanations)."""
STEP_SECONDS_CAP = 1800.0
"""A single onboarding step (one tutorial answer, one qualifier attempt) counts at most this
long: a page left open overnight is not work."""


class HeldPay(BaseModel):
    """Pay held until a first run of accepted work (see the module's doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    release_after: int = Field(
        DEFAULT_RELEASE_AFTER,
        ge=1,
        le=MAX_BOUNTY_TASKS,
        description="Units of accepted work (accepted queries, controls right, decisions "
        "agreed with) before held pay is released; the bar on controls must be cleared too.",
    )


class Bounty(HeldPay):
    """Work for newcomers without stake (SPEC §3 onboarding, §6.6): up to ``tasks`` tasks,
    their pay held until a first run of ``release_after`` accepted units."""

    tasks: int | None = Field(
        None,
        ge=1,
        le=MAX_BOUNTY_TASKS,
        description="Tasks a worker short of the required stake may take; by default as many "
        "as pay that stake at the expected acceptance (bounty_tasks).",
    )

    @model_validator(mode="before")
    @classmethod
    def _short_bounty(cls, data: Any) -> Any:
        """A bounty of fewer tasks than the default first run asks that many by default."""
        if isinstance(data, dict) and "release_after" not in data:
            tasks = data.get("tasks")
            if isinstance(tasks, int) and 1 <= tasks < DEFAULT_RELEASE_AFTER:
                return {**data, "release_after": tasks}
        return data

    @model_validator(mode="after")
    def _first_run_fits(self) -> Bounty:
        if self.tasks is not None and self.release_after > self.tasks:
            raise ValueError(
                f"release_after {self.release_after} is above tasks {self.tasks}: a newcomer "
                f"could never be paid; lower release_after or raise tasks"
            )
        return self


class OnboardingPay(HeldPay):
    """Labeling: pay the tutorial and qualifier time at the fair wage (SPEC §3, §6.6)."""

    pay: bool = Field(False, description="Pay onboarding time at the fair wage, from the escrow.")
    seconds: int | None = Field(
        None,
        ge=1,
        le=4 * 3600,
        description="Onboarding time paid at most per worker; by default every tutorial and "
        "qualifier question at twice seconds_per_judgment.",
    )
    workers: int = Field(
        20,
        ge=1,
        le=100_000,
        description="Workers whose onboarding the escrow holds; later ones are not paid for it.",
    )


# --- bounty -----------------------------------------------------------------------------------


def bounty_tasks(
    bounty: Bounty, *, required_stake: int, pay_per_task: int, acceptance: float = 1.0
) -> int:
    """The bounty's tasks: ``bounty.tasks`` when set, else ``⌈required_stake / (pay ×
    acceptance)⌉`` — enough for an honest newcomer to earn the stake — within [release_after,
    1000]. Amounts in minor units."""
    if bounty.tasks is not None:
        return bounty.tasks
    earned = pay_per_task * max(min(acceptance, 1.0), 0.01)
    needed = math.ceil(required_stake / earned) if earned > 0 else MAX_BOUNTY_TASKS
    return min(max(needed, bounty.release_after), MAX_BOUNTY_TASKS)


def bounty_tasks_left(tasks: int | None, *, staked: int, required: int, used: int) -> int:
    """Bounty tasks the worker may still take: none when there is no bounty (``tasks`` None)
    or the worker holds the required stake (they get ordinary offers), else ``tasks − used``."""
    if tasks is None or staked >= required:
        return 0
    return max(0, tasks - used)


def bounty_weight(staked_credits: float) -> float:
    """The stake a bounty worker is drawn with: ``BOUNTY_STAKE``, or what they staked if more."""
    return max(BOUNTY_STAKE, staked_credits)


# --- held pay ---------------------------------------------------------------------------------


def first_run_successes(record: TrackRecord) -> int:
    """Units of accepted work on the track: controls right plus decisions agreed with (a
    writer's accepted queries are their decisions)."""
    return (record.controls - record.controls_failed) + (record.decisions - record.decisions_failed)


def held_released(
    record: TrackRecord, *, bar: float, confidence: float, release_after: int
) -> bool:
    """May held pay be released now? The first run (``release_after`` successes) and the
    release rule (:func:`~crowdset.core.mechanism.verdicts.is_released`). With
    ``release_after`` 0 (nothing held), the release rule alone."""
    if first_run_successes(record) < release_after:
        return False
    return is_released(record, bar=bar, confidence=confidence)


def held_released_at_close(record: TrackRecord, *, bar: float, release_after: int) -> bool:
    """At close, for a worker never revoked: is their held pay theirs? The first run and a
    posterior mean at the bar (a random validator sits near 0.5, an honest writer's accepted
    queries lift theirs above it). Without it, held pay goes back to the escrow."""
    if release_after <= 0:
        return True
    return first_run_successes(record) >= release_after and record.quality.posterior_mean() >= bar


# --- onboarding time --------------------------------------------------------------------------


def step_seconds(reported: float | None, since_last_step: float | None, modelled: float) -> float:
    """The time one onboarding step took: what the page's timer reported, else the server's
    time since the worker's previous step, else the modelled time of one question; never more
    than ``STEP_SECONDS_CAP``."""
    if reported is not None:
        found = reported
    elif since_last_step is not None:
        found = since_last_step
    else:
        found = modelled
    return min(max(found, 0.0), STEP_SECONDS_CAP)


def onboarding_seconds_paid(
    settings: OnboardingPay, *, questions: int, seconds_per_question: int
) -> int:
    """The most onboarding time paid per worker: ``settings.seconds``, else every question at
    ``ONBOARDING_SLACK ×`` its modelled time."""
    if settings.seconds is not None:
        return settings.seconds
    return max(1, questions) * seconds_per_question * ONBOARDING_SLACK


def onboarding_pay(
    seconds: float, *, paid_at_most: int, fair_hourly_wage: int, minor_per_unit: int
) -> int:
    """Pay for onboarding time: ``min(seconds, paid_at_most)`` at the fair wage, rounded up
    (``economics.wage_floor``); minor units."""
    worked = min(max(seconds, 0.0), float(paid_at_most))
    if worked <= 0:
        return 0
    return wage_floor(worked, fair_hourly_wage, minor_per_unit)


def onboarding_reserve(
    settings: OnboardingPay,
    *,
    paid_at_most: int,
    fair_hourly_wage: int,
    minor_per_unit: int,
    fee_share: Decimal,
) -> tuple[int, int]:
    """What the escrow holds for paid onboarding: ``(work, fee)``, ``workers`` onboardings at
    their most; ``(0, 0)`` when the campaign does not pay it."""
    if not settings.pay:
        return 0, 0
    each = onboarding_pay(
        paid_at_most,
        paid_at_most=paid_at_most,
        fair_hourly_wage=fair_hourly_wage,
        minor_per_unit=minor_per_unit,
    )
    return settings.workers * each, settings.workers * fee_for(each, fee_share)
