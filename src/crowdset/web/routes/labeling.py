"""The worker's labeling pages (SPEC §3): the labeling campaigns with the worker's gate in each,
a campaign's onboarding (instructions, the tutorial one question at a time with feedback, the
qualifier in one form without it) and "start working", which hands over to the offer flow of
``routes.work``.

Nothing here knows a gold item or a qualifier's answers: the services give the tutorial's
expected answer after each answer (the tutorial is for learning) and only a score for the
qualifier.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from crowdset.core.labeling.spec import STARS
from crowdset.core.permissions import Action
from crowdset.errors import DomainError, NotFound
from crowdset.services import generation, labeling, offers
from crowdset.services.context import Context
from crowdset.services.labeling import Onboarding, QualifierResult, TutorialFeedback
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash
from crowdset.web.forms import Form, message_of
from crowdset.web.rendering import page

router = APIRouter()
Worker = Annotated[Viewer, Depends(allowed(Action.DO_WORK))]

GATES = {
    "tutorial": "Tutorial to do",
    "qualifier": "Qualifier to take",
    "failed": "Qualifier not passed",
    "revoked": "Access revoked",
    "blacklisted": "Barred",
    "open": "Open: start working",
}
NO_OFFER = (
    "No offer for you right now. Offers go to workers drawn in proportion to ln(1 + stake) "
    "among those who passed the onboarding: stake credits in your wallet if you have none, "
    "or ask again in a few seconds."
)


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def is_stars(choices: tuple[tuple[str, str], ...]) -> bool:
    """A rating's choices are the five stars (shown as stars with the rubric)."""
    return tuple(value for value, _ in choices) == STARS


def answer_of(posted: FormData, name: str, *, multi_label: bool, form: Form) -> object | None:
    """The answer a choice field sent: a list of labels (multi-label; none checked is an
    answer too), else exactly one value. ``None``, with the error at the field, when missing."""
    values = [v for v in posted.getlist(name) if isinstance(v, str)]
    if multi_label:
        form.values[name] = "|".join(values)
        return values
    if len(values) != 1 or not values[0]:
        form.error(name, "Choose one answer.")
        return None
    form.values[name] = values[0]
    return values[0]


def _progress(request: Request, campaign_id: int) -> int:
    """How many tutorial questions this browser has seen answered (to continue there)."""
    remembered = request.session.get("tutorials", {})
    found = remembered.get(str(campaign_id), 0) if isinstance(remembered, dict) else 0
    return found if isinstance(found, int) else 0


def _remember(request: Request, campaign_id: int, answered: int) -> None:
    remembered = request.session.get("tutorials", {})
    remembered = dict(remembered) if isinstance(remembered, dict) else {}
    remembered[str(campaign_id)] = answered
    request.session["tutorials"] = remembered


def _common(request: Request, ctx: Context, viewer: Viewer, found: Onboarding) -> dict[str, Any]:
    next_question = min(_progress(request, found.campaign_id), max(len(found.tutorial) - 1, 0))
    return {
        "campaign": found,
        "gates": GATES,
        "stars": is_stars(found.choices),
        "next_question": next_question,
        "staked": generation.worker_standing(ctx, viewer.id).staked_amount,
    }


@router.get("/labeling")
def labeling_campaigns(request: Request, ctx: ContextDep, viewer: Worker) -> Response:
    return page(
        request,
        "labeling.html",
        {
            "campaigns": labeling.labeling_campaigns(ctx, viewer.id),
            "gates": GATES,
            "staked": generation.worker_standing(ctx, viewer.id).staked_amount,
        },
        title="Labeling",
    )


@router.get("/labeling/{campaign_id}")
def onboarding(request: Request, ctx: ContextDep, viewer: Worker, campaign_id: int) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    return page(
        request,
        "labeling_onboarding.html",
        _common(request, ctx, viewer, found),
        title=found.campaign_name,
    )


# --- the tutorial: one question at a time, feedback after each --------------------------------


def _question_page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    found: Onboarding,
    index: int,
    form: Form,
    feedback: TutorialFeedback | None = None,
    status: int = 200,
) -> Response:
    if not 0 <= index < len(found.tutorial):
        raise NotFound(
            f"campaign {found.campaign_id}'s tutorial has {len(found.tutorial)} question(s); "
            f"there is no question {index}",
            index=index,
        )
    descriptions = dict(found.choices)
    expected: list[tuple[str, str]] = []
    if feedback is not None:
        values = feedback.expected if isinstance(feedback.expected, tuple) else (feedback.expected,)
        expected = [(value, descriptions.get(value, "")) for value in values]
    context = _common(request, ctx, viewer, found) | {
        "index": index,
        "question": found.tutorial[index],
        "form": form,
        "feedback": feedback,
        "expected": expected,
    }
    title = f"Tutorial question {index + 1}"
    return page(request, "labeling_tutorial.html", context, status_code=status, title=title)


@router.get("/labeling/{campaign_id}/tutorial/{index}")
def tutorial_question(
    request: Request, ctx: ContextDep, viewer: Worker, campaign_id: int, index: int
) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    return _question_page(request, ctx, viewer, found, index, Form())


@router.post("/labeling/{campaign_id}/tutorial/{index}")
def tutorial_answer(
    request: Request,
    ctx: ContextDep,
    viewer: Worker,
    posted: FormDep,
    campaign_id: int,
    index: int,
) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    form = Form()
    answer = answer_of(posted, "answer", multi_label=found.multi_label, form=form)
    if answer is None:
        return _question_page(request, ctx, viewer, found, index, form, status=422)
    try:
        feedback = labeling.answer_tutorial(ctx, viewer.id, campaign_id, index, answer)
    except DomainError as error:
        if isinstance(error, NotFound) and "index" not in error.fields:
            raise
        form.error("answer", message_of(error, ctx.settings))
        return _question_page(request, ctx, viewer, found, index, form, status=422)
    _remember(request, campaign_id, feedback.answered)
    found = labeling.onboarding(ctx, viewer.id, campaign_id)  # the gate may have moved on
    return _question_page(request, ctx, viewer, found, index, form, feedback)


# --- the qualifier: every question in one form, a score and nothing else ----------------------


def _qualifier_page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    found: Onboarding,
    form: Form,
    result: QualifierResult | None = None,
    status: int = 200,
) -> Response:
    if not found.qualifier:
        campaign_id = found.campaign_id
        raise NotFound(f"campaign {campaign_id} has no qualifier", campaign_id=campaign_id)
    context = _common(request, ctx, viewer, found) | {"form": form, "result": result}
    return page(request, "labeling_qualifier.html", context, status_code=status, title="Qualifier")


@router.get("/labeling/{campaign_id}/qualifier")
def qualifier(request: Request, ctx: ContextDep, viewer: Worker, campaign_id: int) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    return _qualifier_page(request, ctx, viewer, found, Form())


@router.post("/labeling/{campaign_id}/qualifier")
def take_qualifier(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, campaign_id: int
) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    form = Form()
    answers = [
        answer_of(posted, f"answer-{q.index}", multi_label=found.multi_label, form=form)
        for q in found.qualifier
    ]
    missing = sum(answer is None for answer in answers)
    if missing:  # nothing is graded, no attempt used, until every question has its answer
        total = len(found.qualifier)
        form.error(
            "qualifier",
            f"You answered {total - missing} of the {total} questions: answer every question, "
            "then send.",
        )
        return _qualifier_page(request, ctx, viewer, found, form, status=422)
    try:
        result = labeling.take_qualifier(ctx, viewer.id, campaign_id, answers)
    except DomainError as error:  # not in the qualifier's gate, or an answer refused
        if isinstance(error, NotFound):
            raise
        form.error("qualifier", message_of(error, ctx.settings))
        return _qualifier_page(request, ctx, viewer, found, form, status=422)
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    return _qualifier_page(request, ctx, viewer, found, Form(), result)


# --- start working: the offer flow of routes.work -----------------------------------------------


@router.post("/labeling/{campaign_id}/next")
def next_label(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, campaign_id: int
) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    if found.gate != "open":
        flash(request, f"You cannot work on this campaign yet: {GATES[found.gate]}.", "error")
        return _see_other(f"/labeling/{campaign_id}")
    offer = offers.next_offer(ctx, viewer.id, campaign_id)
    if offer is None:
        flash(request, NO_OFFER, "info")
        return _see_other(f"/labeling/{campaign_id}")
    return _see_other(f"/work/offers/{offer.id}")
