"""Worker routes: the offer flow of SPEC §1–§2 (next, accept, submit or vote, skip)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from crowdset.api.deps import ContextDep, SubmissionKeyDep, allowed, mark_replayed
from crowdset.api.params import Id
from crowdset.api.schemas_campaigns import (
    OfferPublic,
    QueryBody,
    StandingPublic,
    SubmittedPublic,
    VoteBody,
    offer_public,
    standing_public,
)
from crowdset.api.schemas_newcomers import BountyPublic, bounty_public
from crowdset.core.permissions import Action
from crowdset.services import generation, newcomers, offers
from crowdset.services.accounts import Principal
from crowdset.services.generation import VoteInput
from crowdset.services.generation_writing import Typing

router = APIRouter(tags=["work"])
Worker = Annotated[Principal, Depends(allowed(Action.DO_WORK))]


@router.get(
    "/work/next",
    response_model=OfferPublic,
    responses={
        204: {
            "description": "No offer for you right now; ask again after `Retry-After` seconds.",
            "headers": {
                "Retry-After": {
                    "description": "Seconds to wait: one task's modelled time, 2 to 60.",
                    "schema": {"type": "integer"},
                }
            },
        }
    },
)
def next_offer(
    ctx: ContextDep,
    caller: Worker,
    campaign_id: Annotated[Id | None, Query()] = None,
) -> OfferPublic | Response:
    """Your current offer. Each ask enters you in a draw among the campaign's active workers,
    weighted by `min(stake, stake_cap)` × quality (or `ln(1 + stake)` where the campaign says
    so), so an empty answer (204) means "ask again after `Retry-After` seconds", not "no work
    exists". Everyone is told the same wait, one task's time: asking at that pace, your share
    of the offers follows your weight."""
    found = offers.ask_for_work(ctx, caller.user_id, campaign_id)
    if isinstance(found, offers.NoOffer):
        return Response(
            status_code=status.HTTP_204_NO_CONTENT,
            headers={"Retry-After": str(found.retry_after_seconds)},
        )
    return offer_public(found)


@router.get("/work/offers/{offer_id}", response_model=OfferPublic)
def get_offer(ctx: ContextDep, caller: Worker, offer_id: Id) -> OfferPublic:
    return offer_public(offers.get_offer(ctx, caller.user_id, offer_id))


@router.post("/work/offers/{offer_id}/accept", response_model=OfferPublic)
def accept(ctx: ContextDep, caller: Worker, offer_id: Id) -> OfferPublic:
    """Take the offer; it stays yours until `expires_at`."""
    return offer_public(offers.accept_offer(ctx, caller.user_id, offer_id))


@router.post("/work/offers/{offer_id}/skip", status_code=status.HTTP_204_NO_CONTENT)
def skip(ctx: ContextDep, caller: Worker, offer_id: Id) -> Response:
    """Decline the offer; it goes to someone else."""
    offers.skip_offer(ctx, caller.user_id, offer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/work/offers/{offer_id}/query",
    response_model=SubmittedPublic,
    status_code=status.HTTP_201_CREATED,
)
def submit_query(
    ctx: ContextDep,
    caller: Worker,
    offer_id: Id,
    body: QueryBody,
    key: SubmissionKeyDep,
    response: Response,
) -> SubmittedPublic:
    """Submit the query you wrote. A query failing an automatic check or the copy rules is
    refused (422, `answer_refused`) with every reason; fix it and submit again, up to the
    campaign's `max_attempts` (the problem's `offer_ended` says the offer is over). A pasted
    or implausibly fast answer goes to validation marked, or is refused where the campaign
    blocks those. With an `Idempotency-Key`, a retry gets the first answer back (200)."""
    result = generation.submit_query(
        ctx,
        caller.user_id,
        offer_id,
        body.text,
        seconds_on_task=body.seconds_on_task,
        paste_events=body.paste_events,
        typing=Typing(body.typing.keys, body.typing.interval_cv) if body.typing else None,
        idempotency_key=key,
    )
    mark_replayed(response, result.replayed, status.HTTP_200_OK)
    return SubmittedPublic(query_id=result.query_id, status=result.status)


@router.post("/work/offers/{offer_id}/vote", status_code=status.HTTP_204_NO_CONTENT)
def vote(
    ctx: ContextDep, caller: Worker, offer_id: Id, body: VoteBody, key: SubmissionKeyDep
) -> Response:
    """Your blind verdict on a query: the query is good only if every answer is yes."""
    done = generation.submit_vote(
        ctx,
        caller.user_id,
        offer_id,
        VoteInput(
            intent_ok=body.intent_ok,
            natural_ok=body.natural_ok,
            spelling_ok=body.spelling_ok,
            values_ok=body.values_ok,
            comment=body.comment,
        ),
        idempotency_key=key,
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    mark_replayed(response, done.replayed)
    return response


@router.get("/work/bounties", response_model=list[BountyPublic])
def bounties(ctx: ContextDep, caller: Worker) -> list[BountyPublic]:
    """Your standing on the bounty of each running generation campaign that has one (SPEC
    §6.6): bounty tasks left while you are short of the required stake, the accepted work
    your first run still needs, and the pay held until then. Once it is released, stake it
    (`POST /stake`) and you get ordinary offers."""
    return [bounty_public(found) for found in newcomers.bounty_standings(ctx, caller.user_id)]


@router.get("/work/standing", response_model=StandingPublic)
def standing(ctx: ContextDep, caller: Worker) -> StandingPublic:
    """Whether your stake is locked, and how many successes in a row unlock it."""
    return standing_public(generation.worker_standing(ctx, caller.user_id))
