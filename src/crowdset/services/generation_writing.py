"""What a written query must pass beyond the automatic checks (SPEC §6.7): copies judged on
its template, and the answer-quality model's reading of its signals.

Called by :func:`crowdset.services.generation.submit_query` inside its transaction. A copy of
a seed or of the worker's own earlier queries is a failure on the worker's write record, at
the weight of a control (the copy is certain, it rests on no peer); a template repeated past
the campaign's cap is refused without holding it against anyone. An offer takes at most
``checks.max_attempts`` refused answers: the last one ends it, and its task goes back to be
offered again.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from crowdset.core.generation.answer_quality import (
    AnswerFlag,
    AnswerReading,
    AnswerSignals,
    is_blocked,
    read_answer,
)
from crowdset.core.generation.checks import CheckReason
from crowdset.core.generation.copies import REFUSAL, CopyRules, judge_copy, near_copies
from crowdset.core.generation.model import CheckFailure
from crowdset.core.mechanism import Evidence, Track
from crowdset.services import mechanism
from crowdset.services.context import Context
from crowdset.services.generation_decisions import on_revoked
from crowdset.services.generation_rules import CampaignRules
from crowdset.storage import campaign_store as store
from crowdset.storage.models import Campaign, Offer

TYPICAL_PACE_MIN_QUERIES = 30  # before this many, the spec's seconds_per_query is the pace

BLOCKED = (
    "This campaign accepts only answers typed on the task page: pasted or implausibly fast "
    "answers are refused"
)


@dataclass(frozen=True)
class Typing:
    """Keystrokes as the task page or a client measured them."""

    keys: int
    interval_cv: float | None = None


@dataclass(frozen=True)
class CopyJudgment:
    refusal: CheckFailure | None = None
    copies_another: bool = False  # below the cap: goes to validation marked ``copied``


def judge_copies(
    session: Session,
    ctx: Context,
    campaign: Campaign,
    rules: CampaignRules,
    worker_id: int,
    template: str,
) -> CopyJudgment:
    """Judge ``template`` against the seeds, the worker's own queries and the campaign's; a
    copy is recorded as a failure on the worker's write record."""
    if not rules.spec.checks.copies:
        return CopyJudgment()
    own: list[str] = []
    others: list[str] = []
    for writer, other, status in store.written_templates(session, campaign.id):
        if writer == worker_id:
            own.append(other)
        elif status in ("accepted", "validating"):
            others.append(other)
    checks = rules.spec.checks
    kind = judge_copy(
        template,
        seeds=rules.seed_templates,
        own=own,
        others=others,
        rules=CopyRules(max_template_repeats=checks.max_template_repeats),
    )
    if kind is None:
        return CopyJudgment(copies_another=bool(near_copies(template, others)))
    if kind.is_copying:
        observed = mechanism.observe(
            session,
            ctx,
            campaign,
            rules.spec.mechanism,
            Track.WRITE,
            worker_id,
            correct=False,
            evidence=Evidence.CONTROL,
        )
        if observed.revoked_now:
            on_revoked(session, ctx, campaign, worker_id, Track.WRITE)
    return CopyJudgment(CheckFailure(CheckReason.NEAR_DUPLICATE.value, REFUSAL))


def typical_seconds(session: Session, campaign: Campaign, rules: CampaignRules) -> float:
    """The campaign's pace: the median of its latest unflagged queries once there are
    enough, never below half the spec's estimate (a crowd of pasters cannot lower the bar
    they are judged by)."""
    estimate = float(rules.spec.seconds_per_query)
    recent = store.recent_seconds(session, campaign.id)
    if len(recent) < TYPICAL_PACE_MIN_QUERIES:
        return estimate
    return max(statistics.median(recent), estimate / 2)


def read_signals(
    session: Session,
    campaign: Campaign,
    rules: CampaignRules,
    worker_id: int,
    text: str,
    *,
    seconds_on_task: float | None,
    paste_events: int,
    typing: Typing | None,
    copies_another: bool = False,
) -> AnswerReading:
    signals = AnswerSignals(
        chars=len(text),
        seconds_on_task=seconds_on_task,
        paste_events=paste_events,
        keys=typing.keys if typing else None,
        interval_cv=typing.interval_cv if typing else None,
        copies_another=copies_another,
    )
    return read_answer(
        signals,
        typical_seconds=typical_seconds(session, campaign, rules),
        worker_accuracy=mechanism.accuracy(session, campaign.id, worker_id, Track.WRITE),
    )


def blocked_refusal(reading: AnswerReading, rules: CampaignRules) -> CheckFailure | None:
    """Under ``paste: block``: a pasted, too fast or machine-typed answer is refused (a copy
    of another's query is not blocked: it may be a coincidence, validators judge it)."""
    typed = tuple(flag for flag in reading.flags if flag is not AnswerFlag.COPIED)
    if not is_blocked(replace(reading, flags=typed), rules.spec.checks.paste):
        return None
    return CheckFailure(CheckReason.BLOCKED.value, BLOCKED, {"flags": list(reading.flags)})


def count_refusal(offer: Offer, rules: CampaignRules, now: datetime) -> bool:
    """One more refused answer on the offer; ``True`` when that was its last (the offer ends
    and its task is offered again)."""
    offer.refusals += 1
    if offer.refusals < rules.spec.checks.max_attempts:
        return False
    offer.status, offer.finished_at = "skipped", now
    return True
