"""Collusion flags (SPEC §6.8, issue #15): per campaign, the pairs of workers whose agreement
exceeds what their accuracy on controls explains, with the κ table as evidence; excluding a
flagged group in one action.

The rule is :mod:`crowdset.core.mechanism.collusion`. What it is fed:

- **generation**: every vote cast (its ``valid`` verdict) on every query, controls included;
  accuracy from the vote track's controls;
- **labeling** (classify, rate, review): every answer on every item, gold items included;
  accuracy from the campaign track's controls (gold and consensus gold).

Accuracy comes from controls alone, never from agreement with decisions: a ring that sways
decisions would otherwise vouch for itself. Workers are named by pseudonym, as everywhere a
requester looks.

**Excluding a group** (:func:`exclude_group`, the campaign's requester or an operator) does,
in one transaction, for each worker named (all of them members of one flagged group):

1. bars them from the campaign (``campaigns.bar_worker``, the blacklist: no more offers; their
   accepted queries go back to validation by others);
2. revokes every track they hold in the campaign and is not yet revoked, through
   ``mechanism.revoke``: pending pay back to the escrow (it pays for redoing the work), the
   usual fine (SPEC §6.4), and a sanction whose reason and evidence are the κ table, so the
   worker sees why and may appeal once like any sanction (``services.due_process``). Their
   votes in queries still being decided stop counting, their unsettled answers are re-queued.

Decisions already made with the group's votes are not reopened; a campaign already closed
has no validators left, so queries sent back to validation there simply leave the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crowdset.core.labeling.judging import mechanism_of, track_of
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.mechanism import MechanismSettings, Track
from crowdset.core.mechanism.collusion import (
    ALPHA,
    CollusionGroup,
    CollusionReport,
    Correction,
    PairEvidence,
    accuracy_on_controls,
    collusion_flags,
)
from crowdset.core.permissions import Action, authorize
from crowdset.errors import Conflict, InvalidInput, RuleViolation
from crowdset.services import campaigns, generation_decisions, labeling, mechanism
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.storage import campaign_store, collusion_store
from crowdset.storage import mechanism_store as tracks_store
from crowdset.storage.models import Campaign

MAX_REASON_CHARS = 1000


@dataclass(frozen=True)
class PairRow:
    """One row of the κ table, workers by pseudonym."""

    workers: tuple[str, str]
    shared: int
    agreed: int
    observed: float
    chance: float
    kappa: float
    expected: float
    accuracies: tuple[float, float]  # posterior means on controls
    controls: tuple[int, int]  # controls each answered
    p_value: float
    p_adjusted: float
    flagged: bool


@dataclass(frozen=True)
class GroupTestRow:
    """A group test (``core.mechanism.collusion_groups``): the items two or more of the
    workers answered, those on which all who answered agreed."""

    workers: tuple[str, ...]
    items: int
    agreed: int
    kappa: float  # Fleiss' κ
    p_value: float
    p_adjusted: float  # × every group of that size that could have been tested


@dataclass(frozen=True)
class GroupRow:
    workers: tuple[str, ...]
    pairs: tuple[PairRow, ...]  # the κ table among them (pairs with ≥ min_shared items)
    tests: tuple[GroupTestRow, ...]  # the flagged group tests inside the group
    excluded: bool  # every member is already barred from the campaign


@dataclass(frozen=True)
class CollusionView:
    campaign_id: int
    campaign_name: str
    kind: str
    track: str  # whose answers were compared: vote (generation), label or rate
    items: int  # items with an answer
    workers: int  # workers with an answer
    pairs: tuple[PairRow, ...]  # every pair tested (≥ min_shared items), flagged first
    groups: tuple[GroupRow, ...]
    min_shared: int
    alpha: float
    min_kappa: float
    correction: str

    @property
    def flagged(self) -> tuple[PairRow, ...]:
        return tuple(p for p in self.pairs if p.flagged)


@dataclass(frozen=True)
class _Computed:
    view: CollusionView
    report: CollusionReport[int]
    ids: dict[str, int]  # pseudonym → worker id


def _track(campaign: Campaign) -> tuple[Track, MechanismSettings, object]:
    spec = campaigns.spec_of(campaign)
    if isinstance(spec, LabelingSpec):
        return track_of(spec), mechanism_of(spec), spec
    return Track.VOTE, spec.mechanism, spec


def _hashable(answer: object) -> object:
    if isinstance(answer, list):
        return tuple(_hashable(a) for a in answer)
    if isinstance(answer, dict):
        return tuple(sorted((str(k), _hashable(v)) for k, v in answer.items()))
    return answer


def _compute(
    session: Session,
    campaign: Campaign,
    correction: Correction = Correction.HOLM,
    alpha: float = ALPHA,
) -> _Computed:
    track, _, _ = _track(campaign)
    if campaign.kind in labeling.LABELING_KINDS:
        judged = [
            (item, worker, _hashable(answer))
            for item, worker, answer in collusion_store.judgments(session, campaign.id)
        ]
    else:
        judged = [
            (query, worker, bool(valid))
            for query, worker, valid in collusion_store.votes(session, campaign.id)
        ]
    worker_ids = sorted({w for _, w, _ in judged})
    rows = tracks_store.tracks_of(session, campaign.id, track.value, worker_ids)
    quality = {w: accuracy_on_controls(mechanism.record_of(row)) for w, row in rows.items()}
    report = collusion_flags(judged, quality, correction=correction, alpha=alpha)
    names = campaign_store.pseudonyms(session, set(worker_ids))
    barred = collusion_store.barred(session, campaign.id)

    def row_of(pair: PairEvidence[int]) -> PairRow:
        i, j = pair.workers
        return PairRow(
            workers=(names[i], names[j]),
            shared=pair.shared,
            agreed=pair.agreed,
            observed=pair.observed,
            chance=pair.chance,
            kappa=pair.kappa,
            expected=pair.expected,
            accuracies=pair.accuracies,
            controls=(
                rows[i].controls if i in rows else 0,
                rows[j].controls if j in rows else 0,
            ),
            p_value=pair.p_value,
            p_adjusted=pair.p_adjusted,
            flagged=pair.flagged,
        )

    def group_of(group: CollusionGroup[int]) -> GroupRow:
        members = set(group.workers)
        return GroupRow(
            workers=tuple(sorted(names[w] for w in group.workers)),
            pairs=tuple(row_of(p) for p in report.pairs if set(p.workers) <= members),
            tests=tuple(
                GroupTestRow(
                    workers=tuple(sorted(names[w] for w in t.workers)),
                    items=t.items,
                    agreed=t.agreed,
                    kappa=t.kappa,
                    p_value=t.p_value,
                    p_adjusted=t.p_adjusted,
                )
                for t in group.tests
            ),
            excluded=all(w in barred for w in group.workers),
        )

    view = CollusionView(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        kind=campaign.kind,
        track=track.value,
        items=len({item for item, _, _ in judged}),
        workers=len(worker_ids),
        pairs=tuple(row_of(p) for p in report.pairs),
        groups=tuple(group_of(g) for g in report.groups),
        min_shared=report.min_shared,
        alpha=report.alpha,
        min_kappa=report.min_kappa,
        correction=report.correction.value,
    )
    return _Computed(view, report, {name: w for w, name in names.items()})


def collusion_report(
    ctx: Context,
    viewer: Principal,
    campaign_id: int,
    *,
    correction: Correction = Correction.HOLM,
    alpha: float = ALPHA,
) -> CollusionView:
    """The κ table and the flagged groups of one campaign (its requester or an operator).
    ``correction`` and ``alpha`` change the flags of this report only (a benchmark compares
    them); exclusion always judges at the defaults."""
    campaigns.get_campaign(ctx, viewer, campaign_id)  # who may see it: one place

    def work(session: Session) -> CollusionView:
        campaign = campaign_store.campaign(session, campaign_id)
        return _compute(session, campaign, correction, alpha).view

    return ctx.db.run(work, readonly=True)


@dataclass(frozen=True)
class FlaggedGroup:
    """A flagged group as the operator's workers page lists it."""

    campaign_id: int
    campaign_name: str
    group: GroupRow


def flagged_groups(ctx: Context, viewer: Principal) -> list[FlaggedGroup]:
    """Every flagged group of every campaign that has started (operators only)."""
    authorize(viewer.role, Action.READ_ANY_CAMPAIGN)

    def work(session: Session) -> list[FlaggedGroup]:
        found: list[FlaggedGroup] = []
        for campaign in campaign_store.campaigns(session):
            if campaign.status == "draft":
                continue
            view = _compute(session, campaign).view
            found.extend(FlaggedGroup(campaign.id, campaign.name, g) for g in view.groups)
        return found

    return ctx.db.run(work, readonly=True)


@dataclass(frozen=True)
class Exclusion:
    campaign_id: int
    workers: tuple[str, ...]
    sanctions: tuple[int, ...]  # one per track revoked
    fined: int  # minor units, all workers together
    clawed_back: int
    queries_returned: int  # accepted queries of the group sent back to validation


def _reason(group: GroupRow, pseudonym: str, note: str) -> str:
    text = (
        f"Excluded for collusion: your answers agreed with those of "
        f"{', '.join(m for m in group.workers if m != pseudonym)} far more than your "
        "accuracy on checks with a known answer explains"
    )
    mine = [p for p in group.pairs if p.flagged and pseudonym in p.workers]
    tests = [t for t in group.tests if pseudonym in t.workers]
    if mine:
        pair = min(mine, key=lambda p: p.p_value)
        other = next(w for w in pair.workers if w != pseudonym)
        text += (
            f" (with {other}: {pair.agreed} of {pair.shared} shared items, "
            f"{pair.expected:.0%} expected, κ {pair.kappa:.2f}, "
            f"p {pair.p_adjusted:.1e} after testing every pair)"
        )
    elif tests:
        test = min(tests, key=lambda t: t.p_value)
        text += (
            f" ({len(test.workers)} of you agreed on all of {test.agreed} of the {test.items} "
            f"items two or more of you answered, κ {test.kappa:.2f}, p {test.p_adjusted:.1e} "
            "after counting every group that could have been tested)"
        )
    text += "."
    return f"{text} {note}".strip() if note else text


def exclude_group(
    ctx: Context,
    viewer: Principal,
    campaign_id: int,
    workers: Sequence[str],
    reason: str = "",
) -> Exclusion:
    """Bar and revoke the named workers (pseudonyms), all members of one flagged group of the
    campaign, in one transaction (see the module's doc). ``reason`` is added to each
    sanction's reason."""
    authorize(viewer.role, Action.BLACKLIST_WORKERS)
    named = list(dict.fromkeys(w.strip() for w in workers if w.strip()))
    if not named:
        raise InvalidInput(
            "workers: name the pseudonyms of the group to exclude, as the collusion report "
            "lists them",
            field="workers",
        )
    note = reason.strip()
    if len(note) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"reason is {len(note)} characters long; keep it to {MAX_REASON_CHARS}",
            field="reason",
        )
    campaigns.get_campaign(ctx, viewer, campaign_id)  # who may see it: one place

    def work(session: Session) -> Exclusion:
        campaign = campaign_store.campaign(session, campaign_id, for_update=True)
        computed = _compute(session, campaign)
        group = next((g for g in computed.view.groups if named[0] in g.workers), None)
        outside = [w for w in named if group is None or w not in group.workers]
        if group is None or outside:
            flagged = "; ".join(", ".join(g.workers) for g in computed.view.groups) or "none"
            raise RuleViolation(
                f"{', '.join(outside or named)} not in the same flagged group of campaign "
                f"{campaign_id}; only the members of one flagged group can be excluded "
                f"together (flagged groups: {flagged})",
                field="workers",
                workers=outside or named,
            )
        barred = collusion_store.barred(session, campaign.id)
        live = {
            row.worker_id
            for row in tracks_store.track_rows(session, campaign_id=campaign.id)
            if row.revoked_at is None
        }
        done = [w for w in named if computed.ids[w] in barred and computed.ids[w] not in live]
        if len(done) == len(named):
            raise Conflict(
                f"{', '.join(named)} already excluded from campaign {campaign_id} (barred, "
                "every track revoked); nothing left to do",
                workers=named,
            )
        track, settings, spec = _track(campaign)
        evidence = [
            {
                "workers": list(p.workers),
                "shared": p.shared,
                "agreed": p.agreed,
                "expected": round(p.expected, 4),
                "chance": round(p.chance, 4),
                "kappa": round(p.kappa, 4),
                "p_value": p.p_value,
                "p_adjusted": p.p_adjusted,
            }
            for p in group.pairs
        ]
        tests = [
            {
                "workers": list(t.workers),
                "items": t.items,
                "agreed": t.agreed,
                "kappa": round(t.kappa, 4),
                "p_value": t.p_value,
                "p_adjusted": t.p_adjusted,
            }
            for t in group.tests
        ]
        sanctions: list[int] = []
        fined = clawed = returned = 0
        for pseudonym in named:
            worker_id = computed.ids[pseudonym]
            text = _reason(group, pseudonym, note)
            for row in tracks_store.track_rows(
                session, campaign_id=campaign.id, worker_id=worker_id
            ):
                if row.revoked_at is not None:
                    continue
                sanction = mechanism.revoke(session, ctx, campaign, settings, row, reason=text)
                sanction.evidence = {
                    **sanction.evidence,
                    "collusion": {
                        "group": list(group.workers),
                        "pairs": evidence,
                        "tests": tests,
                    },
                }
                sanctions.append(sanction.id)
                fined += sanction.fine
                clawed += sanction.clawed_back
                if isinstance(spec, LabelingSpec):
                    labeling.on_revoked(session, ctx, campaign, spec, worker_id, sanction.id)
                else:
                    generation_decisions.on_revoked(
                        session, ctx, campaign, worker_id, Track(row.track)
                    )
            # after the revocation, which rejects their queries still in validation: those
            # the group's votes accepted are validated again, by others
            returned += campaigns.bar_worker(
                session, ctx, campaign, worker_id, pseudonym, viewer.user_id,
                detail={"collusion_group": list(group.workers)},
            )  # fmt: skip
        campaign_store.add_event(
            session,
            campaign.id,
            "collusion_excluded",
            at=ctx.now(),
            actor_id=viewer.user_id,
            detail={
                "workers": named,
                "group": list(group.workers),
                "track": track.value,
                "pairs": evidence,
                "tests": tests,
                "sanctions": sanctions,
                "reason": note,
            },
        )
        return Exclusion(
            campaign_id=campaign.id,
            workers=tuple(named),
            sanctions=tuple(sanctions),
            fined=fined,
            clawed_back=clawed,
            queries_returned=returned,
        )

    return ctx.db.run(work)
