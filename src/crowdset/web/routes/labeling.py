"""The worker's labeling pages (SPEC §3): the labeling campaigns with the worker's gate in each,
a campaign's onboarding (instructions, the tutorial one question at a time with feedback, the
qualifier in one form without it) and "start working", which hands over to the offer flow of
``routes.work``. A review (SPEC §4) has "take a package" instead: the package's deposit is held
and its pairs come as offers.

Nothing here knows a gold item or a qualifier's answers: the services give the tutorial's
expected answer after each answer (the tutorial is for learning) and only a score for the
qualifier.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from crowdset.core.ids import Id, Index
from crowdset.core.labeling.spec import STARS
from crowdset.core.money import format_amount
from crowdset.core.permissions import Action
from crowdset.errors import DomainError, InsufficientFunds, NotFound
from crowdset.services import generation, labeling, offers, review_reports
from crowdset.services.context import Context
from crowdset.services.labeling import Onboarding, QualifierResult, TutorialFeedback
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash
from crowdset.web.forms import Form, message_of
from crowdset.web.rendering import page
from crowdset.web.review_views import PACKAGE_STATES, reviewer_context

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
PACKAGE_DONE = (
    "You rated every pair of your package. It is judged against its references as they come "
    "in, or at close; your packages below show how it stands. Take another when you like."
)
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


def seconds_on_page(posted: FormData) -> float | None:
    """The page's timer (task.js fills ``seconds_on_task``): a finite number of seconds in
    [0, 86400], or ``None`` (no JavaScript: the server measures the time between steps)."""
    raw = posted.get("seconds_on_task")
    try:
        value = float(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        return None
    if value is None or not math.isfinite(value) or not 0 <= value <= 86_400:
        return None
    return value


def _progress(request: Request, campaign_id: Id) -> int:
    """How many tutorial questions this browser has seen answered (to continue there)."""
    remembered = request.session.get("tutorials", {})
    found = remembered.get(str(campaign_id), 0) if isinstance(remembered, dict) else 0
    return found if isinstance(found, int) else 0


def _remember(request: Request, campaign_id: Id, answered: int) -> None:
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
        "review": (
            reviewer_context(ctx, viewer.id, found.campaign_id) if found.kind == "review" else None
        ),
        "take_error": None,
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
            "packages": review_reports.my_packages(ctx, viewer.id),
            "package_states": PACKAGE_STATES,
        },
        title="Labeling",
    )


def _onboarding_page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    found: Onboarding,
    status: int = 200,
    **overrides: Any,
) -> Response:
    context = _common(request, ctx, viewer, found) | overrides
    return page(
        request,
        "labeling_onboarding.html",
        context,
        status_code=status,
        title=found.campaign_name,
    )


@router.get("/labeling/{campaign_id}")
def onboarding(request: Request, ctx: ContextDep, viewer: Worker, campaign_id: Id) -> Response:
    return _onboarding_page(request, ctx, viewer, labeling.onboarding(ctx, viewer.id, campaign_id))


# --- the tutorial: one question at a time, feedback after each --------------------------------


def _question_page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    found: Onboarding,
    index: Index,
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
    request: Request, ctx: ContextDep, viewer: Worker, campaign_id: Id, index: Index
) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    return _question_page(request, ctx, viewer, found, index, Form())


@router.post("/labeling/{campaign_id}/tutorial/{index}")
def tutorial_answer(
    request: Request,
    ctx: ContextDep,
    viewer: Worker,
    posted: FormDep,
    campaign_id: Id,
    index: Index,
) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    form = Form.of(posted, ("seconds_on_task",))
    answer = answer_of(posted, "answer", multi_label=found.multi_label, form=form)
    if answer is None:
        return _question_page(request, ctx, viewer, found, index, form, status=422)
    try:
        feedback = labeling.answer_tutorial(
            ctx, viewer.id, campaign_id, index, answer, seconds=seconds_on_page(posted)
        )
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
def qualifier(request: Request, ctx: ContextDep, viewer: Worker, campaign_id: Id) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    return _qualifier_page(request, ctx, viewer, found, Form())


@router.post("/labeling/{campaign_id}/qualifier")
def take_qualifier(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, campaign_id: Id
) -> Response:
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    form = Form.of(posted, ("seconds_on_task",))
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
        result = labeling.take_qualifier(
            ctx, viewer.id, campaign_id, answers, seconds=seconds_on_page(posted)
        )
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
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, campaign_id: Id
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


# --- a review: take a package, then rate its pairs through the offer flow ------------------------


@router.post("/labeling/{campaign_id}/packages")
def take_package(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, campaign_id: Id
) -> Response:
    """Take a package of a review: its deposit is held from the available credits, and its
    pairs come as the reviewer's offers, the first one at once."""
    found = labeling.onboarding(ctx, viewer.id, campaign_id)
    try:
        package = labeling.take_package(ctx, viewer.id, campaign_id)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        message = message_of(error, ctx.settings)
        if isinstance(error, InsufficientFunds):  # the deposit: say what it is for
            message = (
                f"Taking a package holds its deposit from your available credits. {message} "
                "Unstake credits in your wallet, or earn some first."
            )
        else:
            message = f"You cannot take a package now: {message.rstrip('.')}."
        if found.kind != "review":  # its page has no package form to show the error at
            flash(request, message, "error")
            return _see_other(f"/labeling/{campaign_id}")
        return _onboarding_page(request, ctx, viewer, found, 422, take_error=message)
    hours = round((package.due_at - ctx.now()).total_seconds() / 3600)

    def show(minor: int) -> str:
        return format_amount(minor, ctx.settings.currency_decimals, ctx.settings.currency_name)

    flash(
        request,
        f"Package {package.id} is yours: {package.size} pairs to rate within {hours} hours. "
        f"A deposit of {show(package.deposit)} is held until it is judged; its nominal reward "
        f"is {show(package.reward)}.",
    )
    offer = offers.next_offer(ctx, viewer.id, campaign_id)
    return _see_other(f"/work/offers/{offer.id}" if offer else f"/labeling/{campaign_id}")
