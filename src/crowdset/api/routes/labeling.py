"""Labeling campaigns (SPEC §3). The requester's report, results, audits and pilot; the worker's
onboarding (tutorial with feedback, qualifier without) and answers to label offers.

Offers themselves are the work routes' (``/work/next``, ``/work/offers/{id}``); nothing a
worker gets from any route tells a gold item from any other.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from crowdset.api.deps import ContextDep, SubmissionKeyDep, allowed, mark_replayed
from crowdset.api.pagination import NEXT_PAGE_HEADERS, PageDep
from crowdset.api.params import Id, Index
from crowdset.api.schemas_campaigns import CampaignPublic, campaign_public
from crowdset.api.schemas_labeling import (
    AnswerBody,
    AuditBody,
    ItemResultPublic,
    LabelBody,
    LabelingReportPublic,
    OnboardingPublic,
    QualifierBody,
    QualifierResultPublic,
    TutorialFeedbackPublic,
    item_result_public,
    labeling_report_public,
    onboarding_public,
    qualifier_result_public,
    tutorial_feedback_public,
)
from crowdset.core.permissions import Action
from crowdset.formats.items import results_text
from crowdset.services import campaigns, labeling, labeling_reports
from crowdset.services.accounts import Principal

router = APIRouter()
Runner = Annotated[Principal, Depends(allowed(Action.RUN_CAMPAIGNS))]
Worker = Annotated[Principal, Depends(allowed(Action.DO_WORK))]
DOWNLOADS = {"csv": "text/csv", "jsonl": "application/jsonl"}


# --- the requester's side ---------------------------------------------------------------------


@router.get(
    "/campaigns/{campaign_id}/report", response_model=LabelingReportPublic, tags=["campaigns"]
)
def report(ctx: ContextDep, caller: Runner, campaign_id: Id) -> LabelingReportPublic:
    """A labeling campaign's state: items settled, judgments and those dynamic overlap saved,
    the pilot, the guarantee with its Wilson interval, and every worker's live quality (answers,
    gold right of total, accuracy posterior with its 95 % interval, revoked or not)."""
    return labeling_report_public(labeling_reports.report(ctx, caller, campaign_id))


@router.get(
    "/campaigns/{campaign_id}/results",
    response_model=list[ItemResultPublic],
    tags=["campaigns"],
    responses={200: {"content": {t: {} for t in DOWNLOADS.values()}, "headers": NEXT_PAGE_HEADERS}},
)
def results(
    ctx: ContextDep,
    caller: Runner,
    campaign_id: Id,
    page: PageDep,
    format: Annotated[Literal["json", "csv", "jsonl"], Query()] = "json",
) -> list[ItemResultPublic] | Response:
    """The delivered labels, one per regular item in the order you sent them (gold items are
    yours already): consensus, confidence, judgments and, for ratings, the weighted score and
    the plain mean. `format=json` is paged (`limit` and `cursor`, the next page in the `Link`
    and `X-Next-Cursor` headers); `format=csv` or `jsonl` downloads them all as a file
    (multi-label answers joined by `|` in CSV)."""
    found = labeling_reports.results(ctx, caller, campaign_id)
    if format == "json":
        # scores and ranks need every item: the report is whole in memory, the page a slice
        return [item_result_public(row) for row in page.of(found, key=lambda row: row.item)]
    rows = [item_result_public(row).model_dump() for row in found]
    return Response(
        results_text(rows, format),
        media_type=DOWNLOADS[format],
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-results.{format}"'
        },
    )


@router.post(
    "/campaigns/{campaign_id}/audits",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["campaigns"],
)
def audit(ctx: ContextDep, caller: Runner, campaign_id: Id, body: AuditBody) -> Response:
    """You checked one delivered label by hand (`item` is your id of a settled item): it counts
    toward the guarantee, pooled with the gold items."""
    labeling_reports.audit(ctx, caller, campaign_id, body.item, body.correct)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/campaigns/{campaign_id}/accept-pilot", response_model=CampaignPublic, tags=["campaigns"]
)
def accept_pilot(ctx: ContextDep, caller: Runner, campaign_id: Id) -> CampaignPublic:
    """You have looked at the pilot's results (see the report): let the campaign scale."""
    return campaign_public(campaigns.accept_pilot(ctx, caller, campaign_id))


# --- the worker's side ------------------------------------------------------------------------


@router.get("/work/labeling", response_model=list[OnboardingPublic], tags=["work"])
def labeling_campaigns(ctx: ContextDep, caller: Worker) -> list[OnboardingPublic]:
    """Labeling campaigns taking workers, with where you stand in each (`gate`): do the
    tutorial, pass the qualifier, then ask `/work/next` for offers."""
    return [onboarding_public(o) for o in labeling.labeling_campaigns(ctx, caller.user_id)]


@router.get(
    "/work/campaigns/{campaign_id}/onboarding", response_model=OnboardingPublic, tags=["work"]
)
def onboarding(ctx: ContextDep, caller: Worker, campaign_id: Id) -> OnboardingPublic:
    """A labeling campaign's instructions, choices, tutorial and qualifier questions, and your
    gate."""
    return onboarding_public(labeling.onboarding(ctx, caller.user_id, campaign_id))


@router.post(
    "/work/campaigns/{campaign_id}/tutorial/{index}",
    response_model=TutorialFeedbackPublic,
    tags=["work"],
)
def tutorial(
    ctx: ContextDep, caller: Worker, campaign_id: Id, index: Index, body: AnswerBody
) -> TutorialFeedbackPublic:
    """Answer tutorial question `index` (in order, repeat at will): you get the expected answer
    and its explanation. Answering the last one completes the tutorial. `seconds_on_task`, the
    page's timer, counts as your onboarding time (the earnings' hourly rate includes it)."""
    found = labeling.answer_tutorial(
        ctx, caller.user_id, campaign_id, index, body.answer, seconds=body.seconds_on_task
    )
    return tutorial_feedback_public(found)


@router.post(
    "/work/campaigns/{campaign_id}/qualifier",
    response_model=QualifierResultPublic,
    tags=["work"],
)
def qualifier(
    ctx: ContextDep, caller: Worker, campaign_id: Id, body: QualifierBody
) -> QualifierResultPublic:
    """Take the qualifier: every answer at once, in order. You learn your score and whether you
    passed, not which answers were wrong. Passing earns the onboarding pay where the campaign
    pays it (held until a first run of accepted work); failing earns nothing."""
    found = labeling.take_qualifier(
        ctx, caller.user_id, campaign_id, list(body.answers), seconds=body.seconds_on_task
    )
    return qualifier_result_public(found)


@router.post("/work/offers/{offer_id}/label", status_code=status.HTTP_204_NO_CONTENT, tags=["work"])
def label(
    ctx: ContextDep, caller: Worker, offer_id: Id, body: LabelBody, key: SubmissionKeyDep
) -> Response:
    """Your answer to a label offer: a label, a list of labels (multi-label) or a star from 1
    to 5. It is paid now, like every answer."""
    done = labeling.submit_label(
        ctx,
        caller.user_id,
        offer_id,
        body.answer,
        seconds_on_task=body.seconds_on_task,
        idempotency_key=key,
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    mark_replayed(response, done.replayed)
    return response
