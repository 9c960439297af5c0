"""Due process (SPEC §6, issue #14): a worker sees their own quality estimate per campaign and
track, why their pay is pending and when it settles; every sanction shows its reason and
evidence; a worker appeals once; the campaign's requester or an operator decides.

Rules are in ``core.mechanism.appeals``; the money moves through ``core.ledger``. Visibility:
a worker sees their own sanctions, a requester those of their campaigns, an operator all.
Anyone else is told "no sanction has id N", the same as for an id that does not exist.

A sanction's ``evidence`` may list the controls the worker failed as
``failed_controls: [{"query": id} | {"item": id}, ...]``; their content (the text, the known
answer and the worker's own answer) is shown only once the control is retired
(``control_views ≥ control_max_views``), never while it is live.

An upheld appeal gives the fine and the claw-back back (see ``reversal_plan`` for where the
money comes from after a campaign closed), reinstates the worker on the track (for labeling
also in the campaign), and restarts the track's evidence from the prior: the evidence that
revoked them was judged unsound, and kept it would revoke them again at their next answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdset.core.ledger import AccountKind, escrow_account, platform_account, user_account
from crowdset.core.mechanism.appeals import (
    MAX_APPEAL_CHARS,
    MAX_NOTE_CHARS,
    AppealStatus,
    check_text,
    control_retired,
    controls_to_release,
    reversal_drafts,
    reversal_plan,
)
from crowdset.core.mechanism.evidence import Track
from crowdset.core.mechanism.newcomers import first_run_successes
from crowdset.core.mechanism.settings import MechanismSettings
from crowdset.core.permissions import Action, Role, authorize
from crowdset.errors import Conflict, NotFound
from crowdset.services.accounts import Principal
from crowdset.services.campaigns import spec_of
from crowdset.services.context import Context
from crowdset.services.mechanism import record_of
from crowdset.storage import campaign_store, ledger_store
from crowdset.storage import mechanism_store as store
from crowdset.storage.models import (
    Campaign,
    Judgment,
    LabelItem,
    Query,
    Sanction,
    Vote,
    WorkerTrack,
)

LABELING_TRACKS = frozenset({Track.LABEL.value, Track.RATE.value})
TrackStatus = Literal["revoked", "pending", "settled"]


@dataclass(frozen=True)
class TrackQuality:
    """One worker's standing on one track of one campaign, as they are shown it."""

    campaign_id: int
    campaign_name: str
    campaign_closed: bool
    track: str
    mean: float
    lower: float  # one-sided bounds at ``confidence``: release needs lower ≥ bar,
    upper: float  # revocation upper < bar
    bar: float
    confidence: float
    evidence: float  # control-answer equivalents (decisions count half)
    min_evidence: float
    controls: int
    controls_failed: int
    decisions: int
    decisions_failed: int
    earned: int
    pending: int
    released: int
    clawed_back: int
    fined: int
    revoked_at: datetime | None
    controls_to_release: int | None  # right control answers still needed; None: at close
    first_run_left: int = 0  # accepted units held pay still waits for (SPEC §6.6)

    @property
    def controls_passed(self) -> int:
        return self.controls - self.controls_failed

    @property
    def decisions_agreed(self) -> int:
        return self.decisions - self.decisions_failed

    @property
    def status(self) -> TrackStatus:
        if self.revoked_at is not None:
            return "revoked"
        return "pending" if self.pending > 0 else "settled"

    @property
    def why_pending(self) -> str:
        return (
            f"Your estimated accuracy on {self.track} work is {self.mean:.0%}; with "
            f"{self.confidence:.0%} confidence it is at least {self.lower:.0%}, and pay is "
            f"released once that reaches the bar of {self.bar:.0%}. Evidence so far: "
            f"{self.controls_passed} of {self.controls} checks with a known answer passed, "
            f"{self.decisions_agreed} of {self.decisions} confident decisions agreed with you."
            + (
                f" It is held until a first run of accepted work (a bounty, or paid onboarding "
                f"time): {self.first_run_left} more accepted."
                if self.first_run_left
                else ""
            )
        )

    @property
    def when_settles(self) -> str:
        if self.revoked_at is not None:
            return "Never: access to this track was revoked and pending pay went back."
        if self.campaign_closed:
            return "Now: the campaign closed and releases the pay of every worker not revoked."
        if self.first_run_left:
            return (
                f"After {self.first_run_left} more accepted and the bar cleared; at close, only "
                "after that first run (otherwise it goes back to the campaign)."
            )
        needed = self.controls_to_release
        if needed is None:
            return "When the campaign closes."
        if needed == 0:
            return "With your next checked answer (your lower bound already clears the bar)."
        checks = "check" if needed == 1 else "checks"
        return (
            f"After about {needed} more {checks} answered right, or when the campaign closes, "
            "whichever comes first."
        )


@dataclass(frozen=True)
class FailedControl:
    """A control the worker failed: its content only once it is retired."""

    kind: Literal["query", "item"]
    retired: bool
    content: str | None = None
    known_answer: str | None = None
    your_answer: str | None = None


@dataclass(frozen=True)
class SanctionView:
    id: int
    campaign_id: int
    campaign_name: str
    worker_id: int
    worker: str  # pseudonym
    track: str
    at: datetime
    reason: str
    evidence: dict[str, object]
    fine: int
    clawed_back: int
    appeal_status: AppealStatus
    appeal_text: str | None
    appealed_at: datetime | None
    decided_at: datetime | None
    decision_note: str | None
    failed_controls: tuple[FailedControl, ...] = field(default=())
    can_appeal: bool = False
    can_decide: bool = False

    @property
    def live_controls_hidden(self) -> int:
        return sum(1 for c in self.failed_controls if not c.retired)


# --- reading ----------------------------------------------------------------------------------


class _Settings:
    """Each campaign's mechanism settings, parsed once per unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[int, tuple[Campaign, MechanismSettings]] = {}

    def __call__(self, campaign_id: int) -> tuple[Campaign, MechanismSettings]:
        if campaign_id not in self.found:
            campaign = campaign_store.campaign(self.session, campaign_id)
            self.found[campaign_id] = (campaign, spec_of(campaign).mechanism)
        return self.found[campaign_id]


def _track_quality(row: WorkerTrack, campaign: Campaign, mech: MechanismSettings) -> TrackQuality:
    record = record_of(row)
    quality = record.quality
    return TrackQuality(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        campaign_closed=campaign.status == "closed",
        track=row.track,
        mean=quality.posterior_mean(),
        lower=quality.quantile(1.0 - mech.confidence),
        upper=quality.upper_bound(mech.confidence),
        bar=mech.bar_on(row.track),
        confidence=mech.confidence,
        evidence=quality.evidence,
        min_evidence=mech.min_evidence,
        controls=row.controls,
        controls_failed=row.controls_failed,
        decisions=row.decisions,
        decisions_failed=row.decisions_failed,
        earned=row.earned,
        pending=row.pending,
        released=row.released,
        clawed_back=row.clawed_back,
        fined=row.fined,
        revoked_at=row.revoked_at,
        controls_to_release=controls_to_release(
            record, bar=mech.bar_on(row.track), confidence=mech.confidence
        ),
        first_run_left=max(0, row.release_after - first_run_successes(record)),
    )


def my_quality(ctx: Context, viewer: Principal) -> list[TrackQuality]:
    """The viewer's quality estimate on every campaign track they worked on."""
    authorize(viewer.role, Action.DO_WORK)
    return quality_of(ctx, viewer.user_id)


def quality_of(ctx: Context, worker_id: int) -> list[TrackQuality]:
    """A worker's tracks (for pages that already checked who asks)."""

    def work(session: Session) -> list[TrackQuality]:
        settings_of = _Settings(session)
        return [
            _track_quality(row, *settings_of(row.campaign_id))
            for row in store.track_rows(session, worker_id=worker_id)
        ]

    return ctx.db.run(work, readonly=True)


@dataclass(frozen=True)
class Pending:
    """The worker's ``pending`` balance and the tracks it waits on."""

    total: int
    tracks: tuple[TrackQuality, ...]


def pending_of(ctx: Context, worker_id: int) -> Pending:
    def work(session: Session) -> Pending:
        total = ledger_store.balance_of(session, user_account(worker_id, AccountKind.PENDING))
        settings_of = _Settings(session)
        tracks = tuple(
            _track_quality(row, *settings_of(row.campaign_id))
            for row in store.track_rows(session, worker_id=worker_id)
            if row.pending > 0
        )
        return Pending(total=total, tracks=tracks)

    return ctx.db.run(work, readonly=True)


def _may_see(session: Session, viewer: Principal, sanction: Sanction) -> bool:
    if viewer.role is Role.OPERATOR or sanction.worker_id == viewer.user_id:
        return True
    if viewer.role is Role.REQUESTER:
        return campaign_store.campaign(session, sanction.campaign_id).requester_id == viewer.user_id
    return False


def _visible(
    session: Session, viewer: Principal, sanction_id: int, *, for_update: bool = False
) -> Sanction:
    not_found = NotFound(f"no sanction has id {sanction_id}", sanction_id=sanction_id)
    try:
        sanction = store.sanction(session, sanction_id, for_update=for_update)
    except NotFound:
        raise not_found from None
    if not _may_see(session, viewer, sanction):
        raise not_found
    return sanction


def _answer_text(value: object) -> str:
    if isinstance(value, bool):
        return "valid" if value else "not valid"
    return "–" if value is None else str(value)


def _failed_controls(
    session: Session, sanction: Sanction, mech: MechanismSettings
) -> tuple[FailedControl, ...]:
    listed = sanction.evidence.get("failed_controls", [])
    out: list[FailedControl] = []
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, dict):
            continue
        if isinstance(query_id := entry.get("query"), int):
            query = session.get(Query, query_id)
            if query is None:
                continue
            if not control_retired(query.control_views, mech.control_max_views):
                out.append(FailedControl("query", retired=False))
                continue
            vote = session.execute(
                select(Vote.valid).where(
                    Vote.query_id == query.id, Vote.worker_id == sanction.worker_id
                )
            ).scalar_one_or_none()
            out.append(
                FailedControl(
                    "query",
                    retired=True,
                    content=f"[{query.intent}] {query.text}",
                    known_answer=_answer_text(query.control == "good"),
                    your_answer=_answer_text(vote),
                )
            )
        elif isinstance(item_id := entry.get("item"), int):
            item = session.get(LabelItem, item_id)
            if item is None:
                continue
            if not control_retired(item.control_views, mech.control_max_views):
                out.append(FailedControl("item", retired=False))
                continue
            answer = session.execute(
                select(Judgment.answer).where(
                    Judgment.item_id == item.id, Judgment.worker_id == sanction.worker_id
                )
            ).scalar_one_or_none()
            content = item.text or item.image or ""
            if item.target:
                content = f"{content} → {item.target}"
            out.append(
                FailedControl(
                    "item",
                    retired=True,
                    content=content,
                    known_answer=_answer_text(item.gold),
                    your_answer=_answer_text(answer),
                )
            )
    return tuple(out)


def _view(
    session: Session, viewer: Principal, sanction: Sanction, settings_of: _Settings
) -> SanctionView:
    campaign, mech = settings_of(sanction.campaign_id)
    status = AppealStatus(sanction.appeal_status)
    pseudonym = campaign_store.pseudonyms(session, {sanction.worker_id})[sanction.worker_id]
    may_decide = viewer.role is Role.OPERATOR or (
        viewer.role is Role.REQUESTER and campaign.requester_id == viewer.user_id
    )
    return SanctionView(
        id=sanction.id,
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        worker_id=sanction.worker_id,
        worker=pseudonym,
        track=sanction.track,
        at=sanction.at,
        reason=sanction.reason,
        evidence={k: v for k, v in sanction.evidence.items() if k != "failed_controls"},
        fine=sanction.fine,
        clawed_back=sanction.clawed_back,
        appeal_status=status,
        appeal_text=sanction.appeal_text,
        appealed_at=sanction.appealed_at,
        decided_at=sanction.decided_at,
        decision_note=sanction.decision_note,
        failed_controls=_failed_controls(session, sanction, mech),
        can_appeal=sanction.worker_id == viewer.user_id and status is AppealStatus.NONE,
        can_decide=may_decide and status is AppealStatus.OPEN,
    )


def list_sanctions(
    ctx: Context,
    viewer: Principal,
    *,
    campaign_id: int | None = None,
    appeal_status: AppealStatus | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[SanctionView]:
    """A worker's own sanctions; a requester's, those of their campaigns; an operator's, all;
    in id order, ``limit`` of them with an id above ``after``."""

    def work(session: Session) -> list[SanctionView]:
        worker = viewer.user_id if viewer.role is Role.WORKER else None
        # the query keeps only what the viewer may see, so that a page is full when more follow
        requester = viewer.user_id if viewer.role is Role.REQUESTER else None
        found = store.sanctions(
            session,
            campaign_id=campaign_id,
            worker_id=worker,
            appeal_status=appeal_status.value if appeal_status else None,
            requester_id=requester,
            after=after,
            limit=limit,
        )
        settings_of = _Settings(session)
        return [
            _view(session, viewer, s, settings_of) for s in found if _may_see(session, viewer, s)
        ]

    return ctx.db.run(work, readonly=True)


def get_sanction(ctx: Context, viewer: Principal, sanction_id: int) -> SanctionView:
    def work(session: Session) -> SanctionView:
        sanction = _visible(session, viewer, sanction_id)
        return _view(session, viewer, sanction, _Settings(session))

    return ctx.db.run(work, readonly=True)


# --- appeals ----------------------------------------------------------------------------------


def appeal(ctx: Context, viewer: Principal, sanction_id: int, text: str) -> SanctionView:
    """The sanctioned worker appeals, once, with ``text`` (1 to 2000 characters)."""
    authorize(viewer.role, Action.DO_WORK)
    checked = check_text(text, field="text", limit=MAX_APPEAL_CHARS, what="the appeal")

    def work(session: Session) -> SanctionView:
        sanction = _visible(session, viewer, sanction_id, for_update=True)
        if sanction.worker_id != viewer.user_id:
            raise NotFound(f"no sanction has id {sanction_id}", sanction_id=sanction_id)
        if sanction.appeal_status != AppealStatus.NONE:
            when = f"{sanction.appealed_at:%Y-%m-%d}" if sanction.appealed_at else "before"
            raise Conflict(
                f"sanction {sanction_id} was already appealed ({when}, now "
                f"{sanction.appeal_status}): a sanction may be appealed once",
                sanction_id=sanction_id,
                appeal_status=sanction.appeal_status,
            )
        now = ctx.now()
        sanction.appeal_status = AppealStatus.OPEN.value
        sanction.appeal_text = checked
        sanction.appealed_at = now
        campaign_store.add_event(
            session,
            sanction.campaign_id,
            "sanction_appealed",
            at=now,
            detail={"sanction": sanction.id, "track": sanction.track},
        )
        return _view(session, viewer, sanction, _Settings(session))

    return ctx.db.run(work)


def decide(
    ctx: Context, viewer: Principal, sanction_id: int, *, uphold: bool, note: str
) -> SanctionView:
    """The campaign's requester or an operator decides an open appeal, with a ``note`` saying
    why. Upheld: the money comes back through the ledger and the worker is reinstated on the
    track. Denied: final."""
    authorize(viewer.role, Action.RUN_CAMPAIGNS)
    checked = check_text(note, field="note", limit=MAX_NOTE_CHARS, what="the decision note")

    def work(session: Session) -> SanctionView:
        sanction = _visible(session, viewer, sanction_id, for_update=True)
        status = AppealStatus(sanction.appeal_status)
        if status is AppealStatus.NONE:
            raise Conflict(
                f"sanction {sanction_id} has no appeal to decide: the worker has not appealed it",
                sanction_id=sanction_id,
                appeal_status=status.value,
            )
        if status is not AppealStatus.OPEN:
            raise Conflict(
                f"the appeal of sanction {sanction_id} was already {status.value}: a decision "
                "is final",
                sanction_id=sanction_id,
                appeal_status=status.value,
            )
        campaign = campaign_store.campaign(session, sanction.campaign_id, for_update=True)
        now = ctx.now()
        if uphold:
            _reverse(session, ctx, viewer, sanction, campaign)
        sanction.appeal_status = (AppealStatus.UPHELD if uphold else AppealStatus.DENIED).value
        sanction.decided_by = viewer.user_id
        sanction.decided_at = now
        sanction.decision_note = checked
        campaign_store.add_event(
            session,
            campaign.id,
            "appeal_upheld" if uphold else "appeal_denied",
            at=now,
            actor_id=viewer.user_id,
            detail={
                "sanction": sanction.id,
                "track": sanction.track,
                "fine": sanction.fine,
                "clawed_back": sanction.clawed_back,
            },
        )
        return _view(session, viewer, sanction, _Settings(session))

    return ctx.db.run(work)


def _reverse(
    session: Session, ctx: Context, viewer: Principal, sanction: Sanction, campaign: Campaign
) -> None:
    plan = reversal_plan(
        fine=sanction.fine,
        clawed_back=sanction.clawed_back,
        escrow=ledger_store.balance_of(session, escrow_account(campaign.id)),
        requester_available=ledger_store.balance_of(
            session, user_account(campaign.requester_id, AccountKind.AVAILABLE)
        ),
        fines_held=ledger_store.balance_of(session, platform_account(AccountKind.FINES)),
    )
    drafts = reversal_drafts(
        plan,
        worker_id=sanction.worker_id,
        campaign_id=campaign.id,
        requester_id=campaign.requester_id,
        memo=f"campaign {campaign.id} {sanction.track}: appeal of sanction {sanction.id} upheld",
    )
    for draft in drafts:
        ledger_store.post(session, draft, now=ctx.now(), actor_id=viewer.user_id)
    row = store.track_row(
        session, sanction.campaign_id, sanction.worker_id, sanction.track, create=False
    )
    if row is not None:
        row.fined -= plan.fine
        row.clawed_back -= plan.clawed_back
        row.released += plan.clawed_back  # the clawed-back pay reached the worker after all
        row.revoked_at = None
        row.correct = row.wrong = 0.0  # the track's evidence starts again from the prior
        row.controls = row.controls_failed = row.decisions = row.decisions_failed = 0
    if sanction.track in LABELING_TRACKS:
        member = campaign_store.campaign_worker(session, campaign.id, sanction.worker_id)
        if member is not None:
            member.revoked_at = None
