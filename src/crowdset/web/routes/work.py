"""The worker's offer flow (SPEC §1–§4): get work, take or skip an offer, write a query, vote,
label an item or rate a review's pair (a labeling campaign's offers; its onboarding, and taking
a review's package, are in ``routes.labeling``).

Task pages send two answer-quality signals with the answer, measured in the browser by
``static/task.js``: seconds on the task page and the number of paste events.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from crowdset.core.ids import Id
from crowdset.core.permissions import Action
from crowdset.errors import AnswerRefused, Conflict, DomainError
from crowdset.services import campaign_stats, generation, labeling, newcomers, offers
from crowdset.services.context import Context
from crowdset.services.generation import VOTE_QUESTIONS, OfferView, VoteInput
from crowdset.services.generation_writing import Typing
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash, text_of
from crowdset.web.forms import Form
from crowdset.web.rendering import page
from crowdset.web.review_views import open_package
from crowdset.web.routes.labeling import PACKAGE_DONE, answer_of, is_stars

router = APIRouter()
Worker = Annotated[Viewer, Depends(allowed(Action.DO_WORK))]

QUERY_FIELDS = ("text", "seconds_on_task", "paste_events", "typed_keys")
VOTE_FIELDS = (*(name for name, _ in VOTE_QUESTIONS), "comment")
TITLES = {
    "write": "Write a query",
    "vote": "Judge a query",
    "label": "Label an item",
    "revise": "Revise a translation",
}


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/work")
def get_work(request: Request, ctx: ContextDep, viewer: Worker) -> Response:
    return page(
        request,
        "work.html",
        {
            "standing": generation.worker_standing(ctx, viewer.id),
            "open_campaigns": campaign_stats.open_campaigns(ctx),
            "bounties": newcomers.bounty_standings(ctx, viewer.id),
        },
        title="Get work",
    )


@router.post("/work/next")
def next_offer(request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep) -> Response:
    found = offers.ask_for_work(ctx, viewer.id)
    if isinstance(found, offers.NoOffer):
        flash(request, no_work_now(found), "info")
        return _see_other("/work")
    return _see_other(f"/work/offers/{found.id}")


def no_work_now(wait: offers.NoOffer) -> str:
    """The flash for an ask that drew nothing, with the wait the API sends as Retry-After."""
    return (
        f"No offer for you right now — try again in {wait.retry_after_seconds} s. Each ask "
        "enters you in a draw among the workers present, weighted by stake (up to the "
        "campaign's stake cap) and quality: asking at that pace gets you your share. "
        "No stake yet? Stake credits in your wallet first."
    )


def _blank_form(offer: OfferView) -> Form:
    """A revise offer's box starts with the translation to edit; other forms start empty."""
    if offer.kind == "revise":
        return Form.with_key(target=offer.item_target or "")
    return Form()


def _offer_page(
    request: Request,
    ctx: Context,
    worker_id: int,
    offer: OfferView,
    form: Form | None = None,
    reasons: list[dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    expired = offer.expires_at <= ctx.now()
    finished = expired or offer.status not in ("open", "accepted")
    pair = offer.kind == "label" and offer.item_target is not None  # a review's pair
    title = "Rate a translation" if pair else TITLES.get(offer.kind, "A task")
    return page(
        request,
        "offer.html",
        {
            "offer": offer,
            "pair": pair,
            "package": open_package(ctx, worker_id, offer.campaign_id) if pair else None,
            "form": form or _blank_form(offer),
            "reasons": reasons or [],
            "finished": finished,
            "state": "expired" if expired else offer.status,
            "expires_in_minutes": max(
                0, math.ceil((offer.expires_at - ctx.now()).total_seconds() / 60)
            ),
            "stars": is_stars(offer.choices),
        },
        status_code=status,
        title=title,
    )


@router.get("/work/offers/{offer_id}")
def show_offer(request: Request, ctx: ContextDep, viewer: Worker, offer_id: Id) -> Response:
    return _offer_page(request, ctx, viewer.id, offers.get_offer(ctx, viewer.id, offer_id))


@router.post("/work/offers/{offer_id}/accept")
def accept(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, offer_id: Id
) -> Response:
    try:
        offers.accept_offer(ctx, viewer.id, offer_id)
    except Conflict as error:
        flash(request, error.message, "error")
        return _see_other("/work")
    return _see_other(f"/work/offers/{offer_id}")


@router.post("/work/offers/{offer_id}/skip")
def skip(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, offer_id: Id
) -> Response:
    offer = offers.get_offer(ctx, viewer.id, offer_id)
    try:
        offers.skip_offer(ctx, viewer.id, offer_id)
    except Conflict as error:
        flash(request, error.message, "error")
    else:
        flash(request, "Skipped: the task goes to someone else.", "info")
    return _see_other(f"/labeling/{offer.campaign_id}" if offer.kind == "label" else "/work")


def _number(posted: FormData, name: str, largest: float) -> float | None:
    """A finite number in [0, largest] from a hidden field, or ``None`` (absent without JS)."""
    try:
        value = float(text_of(posted, name))
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= largest else None


def _signals(posted: FormData) -> tuple[float | None, int, Typing | None]:
    """Seconds on task, paste events and keystroke rhythm as the page measured them."""
    seconds = _number(posted, "seconds_on_task", 86_400)
    pastes = int(_number(posted, "paste_events", 10_000) or 0)
    keys = _number(posted, "typed_keys", 100_000)
    typing = (
        Typing(int(keys), _number(posted, "key_interval_cv", 100)) if keys is not None else None
    )
    return seconds, pastes, typing


@router.post("/work/offers/{offer_id}/query")
def submit_query(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, offer_id: Id
) -> Response:
    form = Form.of(posted, QUERY_FIELDS)
    offer = offers.get_offer(ctx, viewer.id, offer_id)
    text = text_of(posted, "text")
    reasons: list[dict[str, str]] = []
    if not text.strip():
        form.error("text", "Write your query before sending it.")
    elif len(text) > 1000:
        form.error("text", f"Your query is {len(text)} characters long: keep it under 1,000.")
    else:
        seconds, pastes, typing = _signals(posted)
        try:
            generation.submit_query(
                ctx,
                viewer.id,
                offer_id,
                text,
                seconds_on_task=seconds,
                paste_events=pastes,
                typing=typing,
            )
        except AnswerRefused as error:
            if error.fields.get("offer_ended"):
                flash(request, error.message, "error")
                return _see_other("/work")
            reasons = list(error.fields.get("reasons", []))
            form.error("text", "An automatic check refused this query: fix it and send again.")
        except Conflict as error:
            flash(request, error.message, "error")
            return _see_other("/work")
        except DomainError as error:
            form.fail(error, ctx.settings, default="text")
        else:
            flash(
                request,
                "Sent to validation: other workers will judge it blind. You are paid when a "
                "majority accepts it.",
            )
            return _see_other("/work")
    return _offer_page(request, ctx, viewer.id, offer, form, reasons, 422)


@router.post("/work/offers/{offer_id}/vote")
def submit_vote(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, offer_id: Id
) -> Response:
    form = Form.of(posted, VOTE_FIELDS)
    offer = offers.get_offer(ctx, viewer.id, offer_id)
    answers: dict[str, bool] = {}
    for name, _ in VOTE_QUESTIONS:
        answer = text_of(posted, name)
        if answer not in ("yes", "no"):
            form.error(name, "Answer yes or no.")
        answers[name] = answer == "yes"
    if not form.invalid:
        try:
            generation.submit_vote(
                ctx,
                viewer.id,
                offer_id,
                VoteInput(**answers, comment=text_of(posted, "comment").strip()),
            )
        except Conflict as error:
            flash(request, error.message, "error")
            return _see_other("/work")
        except DomainError as error:
            form.fail(error, ctx.settings, default="comment")
        else:
            flash(request, "Vote recorded. You are paid when your vote agrees with the majority.")
            return _see_other("/work")
    return _offer_page(request, ctx, viewer.id, offer, form, status=422)


@router.post("/work/offers/{offer_id}/revision")
def submit_revision(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, offer_id: Id
) -> Response:
    """Record the edited translation of a pair near a review's cut (SPEC §4 revision)."""
    form = Form.of(posted, ("target",))
    offer = offers.get_offer(ctx, viewer.id, offer_id)
    try:
        labeling.submit_revision(ctx, viewer.id, offer_id, form.value("target"))
    except Conflict as error:
        flash(request, error.message, "error")
        return _see_other(f"/labeling/{offer.campaign_id}")
    except DomainError as error:
        form.fail(error, ctx.settings, default="target")
        return _offer_page(request, ctx, viewer.id, offer, form, status=422)
    flash(request, "Translation sent: the pair will be rated again. Thank you.", "info")
    return _see_other(f"/labeling/{offer.campaign_id}")


@router.post("/work/offers/{offer_id}/label")
def submit_label(
    request: Request, ctx: ContextDep, viewer: Worker, posted: FormDep, offer_id: Id
) -> Response:
    """Record the answer, then go straight to the worker's next offer of the same campaign."""
    form = Form.of(posted, ("seconds_on_task",))
    offer = offers.get_offer(ctx, viewer.id, offer_id)
    answer = answer_of(posted, "answer", multi_label=offer.multi_label, form=form)
    if answer is not None:
        seconds, _, _ = _signals(posted)
        try:
            labeling.submit_label(ctx, viewer.id, offer_id, answer, seconds_on_task=seconds)
        except Conflict as error:
            flash(request, error.message, "error")
            return _see_other(f"/labeling/{offer.campaign_id}")
        except DomainError as error:
            form.fail(error, ctx.settings, default="answer")
        else:
            following = offers.ask_for_work(ctx, viewer.id, offer.campaign_id)
            pair = offer.item_target is not None
            if isinstance(following, offers.NoOffer):
                after = PACKAGE_DONE if pair else no_work_now(following)
                flash(request, f"Answer recorded. {after}", "info")
                return _see_other(f"/labeling/{offer.campaign_id}")
            flash(request, f"Answer recorded. Here is your next {'pair' if pair else 'item'}.")
            return _see_other(f"/work/offers/{following.id}")
    return _offer_page(request, ctx, viewer.id, offer, form, status=422)
