"""Newcomers (SPEC §3, §6.6): where a worker stands on each generation campaign's bounty, and
onboarding time in a labeling campaign.

**Bounty standing** (:func:`bounty_standings`): the tasks a worker short of the required stake
may still take, the accepted work their first run still needs, and the pay held meanwhile; the
path is bounty tasks → held pay released → stake it in the wallet → ordinary offers.

**Onboarding time**, inside the caller's unit of work: each tutorial answer and qualifier
attempt adds the seconds it took to the worker's onboarding time, and a campaign with
``onboarding.pay`` pays that time at the fair wage once the worker passes — into ``pending``,
held until a first run of accepted work like bounty pay. The rules are
``core.mechanism.newcomers``; the bounty's draw is in each workflow's dispatch.

Why the pay is held, and capped: the qualifier's answers are the same for everyone, so one
person could pass it on many accounts, and a page's timer is the worker's to report. Capped at
``onboarding.seconds`` and released only after real accepted work and cleared controls, an
account that passes and stops (or works badly, and is revoked) earns nothing for it; at most
``onboarding.workers`` onboardings are paid, as the escrow holds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crowdset.core.economics import fee_for
from crowdset.core.labeling.judging import track_of
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.ledger import escrow_account
from crowdset.core.mechanism.newcomers import (
    bounty_tasks_left,
    first_run_successes,
    onboarding_pay,
    onboarding_seconds_paid,
    step_seconds,
)
from crowdset.services import mechanism
from crowdset.services.context import Context
from crowdset.services.generation_rules import bounty_tasks_of, required_stake_of, spec_of
from crowdset.storage import campaign_store, labeling_store, ledger_store, mechanism_store
from crowdset.storage.models import Campaign, CampaignWorker

# --- the bounty -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BountyStanding:
    """A worker on one generation campaign's bounty (amounts in minor units)."""

    campaign_id: int
    campaign_name: str
    tasks: int  # the bounty's tasks
    used: int  # bounty-kind offers done, ended with refusals, or held
    left: int  # tasks they may still take (0 once they hold the required stake)
    votes: bool  # vote offers are bounty tasks too
    required_stake: int
    staked: int
    release_after: int  # accepted units the first run needs
    accepted: int  # accepted units so far, on the tracks the bounty covers
    held: int  # pending pay still held until the first run and the bar
    released: int  # pay released so far in the campaign

    @property
    def first_run_done(self) -> bool:
        return self.accepted >= self.release_after

    @property
    def stake_short(self) -> int:
        """What the worker still has to stake for ordinary offers."""
        return max(0, self.required_stake - self.staked)


def bounty_standings(ctx: Context, worker_id: int) -> list[BountyStanding]:
    """The worker's standing on the bounty of every running generation campaign that has one."""

    def work(session: Session) -> list[BountyStanding]:
        found = []
        staked = campaign_store.stakes(session, [worker_id]).get(worker_id, 0)
        for campaign in campaign_store.campaigns(session, status="running"):
            if campaign.kind != "generate":
                continue
            spec = spec_of(campaign)
            tasks = bounty_tasks_of(ctx, spec)
            if spec.bounty is None or tasks is None:
                continue
            kinds = ("write", "vote") if spec.bounty.votes else ("write",)
            used = campaign_store.tasks_taken(
                session, campaign.id, [worker_id], kinds, ctx.now()
            ).get(worker_id, 0)
            rows = [
                row
                for row in mechanism_store.track_rows(
                    session, campaign_id=campaign.id, worker_id=worker_id
                )
                if row.track in kinds
            ]
            required = required_stake_of(ctx, spec)
            found.append(
                BountyStanding(
                    campaign_id=campaign.id,
                    campaign_name=campaign.name,
                    tasks=tasks,
                    used=used,
                    left=bounty_tasks_left(tasks, staked=staked, required=required, used=used),
                    votes=spec.bounty.votes,
                    required_stake=required,
                    staked=staked,
                    release_after=spec.bounty.release_after,
                    accepted=max(
                        (first_run_successes(mechanism.record_of(row)) for row in rows),
                        default=0,
                    ),
                    held=sum(row.pending for row in rows if row.release_after > 0),
                    released=sum(row.released for row in rows),
                )
            )
        return found

    return ctx.db.run(work, readonly=True)


# --- onboarding time --------------------------------------------------------------------------


def paid_at_most(spec: LabelingSpec) -> int:
    """Seconds of onboarding the campaign pays a worker at most (0 when it pays none)."""
    if not spec.onboarding.pay:
        return 0
    return onboarding_seconds_paid(
        spec.onboarding,
        questions=spec.onboarding_questions,
        seconds_per_question=spec.seconds_per_judgment,
    )


def pay_at_most(ctx: Context, spec: LabelingSpec) -> int:
    """What the campaign pays one worker's onboarding at most, in minor units (0: unpaid)."""
    seconds = paid_at_most(spec)
    if seconds <= 0:
        return 0
    return onboarding_pay(
        seconds,
        paid_at_most=seconds,
        fair_hourly_wage=ctx.settings.fair_hourly_wage,
        minor_per_unit=ctx.settings.minor_per_unit,
    )


def record_step(
    ctx: Context,
    member: CampaignWorker,
    reported: float | None,
    *,
    modelled: float,
) -> float:
    """Add one onboarding step's time to the member (``core.mechanism.newcomers.step_seconds``:
    the page's timer, else the time since their previous step, else ``modelled``); returns it."""
    now = ctx.now()
    since = None if member.onboarding_at is None else (now - member.onboarding_at).total_seconds()
    seconds = step_seconds(reported, since, modelled)
    member.onboarding_seconds = (member.onboarding_seconds or 0.0) + seconds
    member.onboarding_at = now
    return seconds


def pay_onboarding(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    spec: LabelingSpec,
    member: CampaignWorker,
) -> int:
    """The worker has just passed the onboarding: pay its time once, when the campaign pays
    it, while fewer than ``onboarding.workers`` were paid and the escrow covers it; held until
    a first run. Returns the amount earned (minor units)."""
    if not spec.onboarding.pay or member.onboarding_paid > 0:
        return 0
    if labeling_store.onboardings_paid(session, campaign.id) >= spec.onboarding.workers:
        return 0
    amount = onboarding_pay(
        member.onboarding_seconds or 0.0,
        paid_at_most=paid_at_most(spec),
        fair_hourly_wage=ctx.settings.fair_hourly_wage,
        minor_per_unit=ctx.settings.minor_per_unit,
    )
    escrow = ledger_store.balance_of(session, escrow_account(campaign.id))
    if amount <= 0 or amount + fee_for(amount, ctx.settings.platform_fee_share) > escrow:
        return 0
    track = track_of(spec)
    mechanism.earn(
        session,
        ctx,
        campaign.id,
        track,
        [(member.worker_id, amount)],
        f"campaign {campaign.id} onboarding time",
    )
    mechanism.hold_until_first_run(
        session, campaign.id, member.worker_id, track, spec.onboarding.release_after
    )
    member.onboarding_paid = amount
    return amount
