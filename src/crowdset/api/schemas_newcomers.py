"""Response shapes of a worker's earnings and of the bounty path (SPEC §3, §6.6): the hourly
rate over task and onboarding time, and where a newcomer stands on each campaign's bounty."""

from __future__ import annotations

from pydantic import Field

from crowdset.api.schemas import Schema
from crowdset.services.campaign_stats import Earnings
from crowdset.services.newcomers import BountyStanding


class EarningsPublic(Schema):
    """Amounts in minor units; rates per hour."""

    earned: int = Field(description="Settled: paid into available, or released from pending.")
    pending: int = Field(description="Earned into pending, not yet released.")
    seconds_worked: float = Field(description="From taking each finished offer to answering it.")
    onboarding_seconds: float = Field(
        description="Time on tutorials and qualifiers (the pages' timers, else the server's "
        "time between steps): counted in the hourly rates, paid or not."
    )
    onboarding_paid: int = Field(
        description="What onboarding time earned where campaigns pay it (in earned or pending)."
    )
    hourly_rate: int | None = Field(
        description="Settled pay per hour of task and onboarding time; null before any time."
    )
    hourly_rate_with_pending: int | None
    fair_hourly_wage: int
    queries_written: int
    queries_accepted: int
    queries_rejected: int
    votes_cast: int
    votes_agreed: int


def earnings_public(found: Earnings) -> EarningsPublic:
    return EarningsPublic(
        earned=found.earned,
        pending=found.pending,
        seconds_worked=round(found.seconds_worked, 1),
        onboarding_seconds=round(found.onboarding_seconds, 1),
        onboarding_paid=found.onboarding_paid,
        hourly_rate=found.hourly_rate,
        hourly_rate_with_pending=found.hourly_rate_with_pending,
        fair_hourly_wage=found.fair_hourly_wage,
        queries_written=found.queries_written,
        queries_accepted=found.queries_accepted,
        queries_rejected=found.queries_rejected,
        votes_cast=found.votes_cast,
        votes_agreed=found.votes_agreed,
    )


class BountyPublic(Schema):
    """You on one generation campaign's bounty. Amounts in minor units."""

    campaign_id: int
    campaign_name: str
    tasks: int = Field(description="Bounty tasks of the campaign.")
    used: int = Field(description="Bounty offers you did, ended with refusals, or hold.")
    left: int = Field(
        description="Bounty tasks you may still take; 0 once you hold the required stake "
        "(you get ordinary offers then)."
    )
    votes: bool = Field(description="Vote offers are bounty tasks too.")
    required_stake: int
    staked: int
    stake_short: int = Field(description="What you still have to stake for ordinary offers.")
    release_after: int = Field(description="Accepted units before held pay is released.")
    accepted: int = Field(description="Your accepted units so far.")
    first_run_done: bool
    held: int = Field(description="Pending pay held until the first run and the bar.")
    released: int = Field(description="Pay released to your available credits so far.")


def bounty_public(found: BountyStanding) -> BountyPublic:
    return BountyPublic(
        campaign_id=found.campaign_id,
        campaign_name=found.campaign_name,
        tasks=found.tasks,
        used=found.used,
        left=found.left,
        votes=found.votes,
        required_stake=found.required_stake,
        staked=found.staked,
        stake_short=found.stake_short,
        release_after=found.release_after,
        accepted=found.accepted,
        first_run_done=found.first_run_done,
        held=found.held,
        released=found.released,
    )
