"""Requester routes: campaigns from spec to export (SPEC §2); labeling campaigns (SPEC §3) are
created and launched here too, their report and results are in ``routes.labeling``."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from crowdset.api.deps import ContextDep, IdempotencyKeyDep, PrincipalDep, allowed
from crowdset.api.pagination import PAGED_RESPONSES, PageDep
from crowdset.api.params import DB_INT_MAX, Id
from crowdset.api.schemas import AmountBody
from crowdset.api.schemas_campaigns import (
    BlacklistBody,
    CampaignPublic,
    CrossValidationPublic,
    EstimatePublic,
    EventPublic,
    ProgressPublic,
    campaign_public,
    cross_validation_public,
    estimate_public,
    progress_public,
)
from crowdset.api.schemas_labeling import LabelingEstimatePublic, labeling_estimate_public
from crowdset.core.documents import MAX_DEPTH, load_document, nesting_depth, too_deep
from crowdset.core.labeling.items import ItemRow, parse_items
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.permissions import Action
from crowdset.core.specs import AnySpec, parse_any_spec
from crowdset.errors import InvalidInput
from crowdset.formats.nlu import write_dataset
from crowdset.services import campaigns, corpora
from crowdset.services.accounts import Principal

router = APIRouter(tags=["campaigns"])
Runner = Annotated[Principal, Depends(allowed(Action.RUN_CAMPAIGNS))]
SOURCE = "request body"
CampaignStatus = Literal["draft", "pilot", "running", "paused", "closed"]


async def _document_from(request: Request) -> Any:
    """The body as data: JSON, or YAML with ``Content-Type: application/yaml``."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the spec must be UTF-8 text", field="body") from None
    content_type = request.headers.get("content-type", "")
    if "yaml" in content_type:
        return load_document(text, source=SOURCE)
    if nesting_depth(text) > MAX_DEPTH:
        raise too_deep(SOURCE)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"the spec is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}); send JSON or YAML with Content-Type: application/yaml",
            field="body",
            line=error.lineno,
        ) from None


@dataclass(frozen=True)
class _Body:
    spec: AnySpec
    items: list[ItemRow] | None
    item_count: int | None
    corpus_id: int | None = None


def _whole_number(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= DB_INT_MAX:
        raise InvalidInput(
            f"{field} must be a whole number from 1 to {DB_INT_MAX}, got {value!r}", field=field
        )
    return value


async def _body_from(request: Request) -> _Body:
    """A spec of any type (``type``: generate, classify, rate or review), with a labeling
    campaign's ``items`` (objects with ``id``, ``text`` or ``image``, and ``gold``; a review's
    have ``source`` and ``target``) and, for an estimate, their number as ``item_count``
    instead. A review may take its pairs from an imported corpus, ``corpus_id``, its ``items``
    then being the challenge pairs."""
    document = await _document_from(request)
    extra: dict[str, Any] = {}
    if isinstance(document, dict):
        document = dict(document)
        extra = {
            key: document.pop(key)
            for key in ("items", "item_count", "corpus_id")
            if key in document
        }
    spec = parse_any_spec(document, source=SOURCE)
    if not extra:
        return _Body(spec, None, None)
    if not isinstance(spec, LabelingSpec):
        raise InvalidInput(
            f"a generation campaign takes no {' or '.join(extra)}; those are for classify, "
            "rate and review campaigns (`type: classify`)",
            field=next(iter(extra)),
        )
    count = _whole_number(extra.get("item_count"), "item_count")
    corpus_id = _whole_number(extra.get("corpus_id"), "corpus_id")
    raw = extra.get("items")
    if raw is None:
        return _Body(spec, None, count, corpus_id)
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise InvalidInput(
            "items must be a list of objects like "
            '{"id": "r1", "text": "Great value", "gold": "pos"}',
            field="items",
        )
    complete = corpus_id is None  # beside a corpus, the items are its challenge pairs
    return _Body(spec, parse_items(raw, spec, source="items", complete=complete), count, corpus_id)


SPEC_BODY: dict[str, Any] = {
    "requestBody": {"content": {"application/json": {}, "application/yaml": {}}}
}


@router.post(
    "/campaigns",
    response_model=CampaignPublic,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=SPEC_BODY,
)
async def create_campaign(ctx: ContextDep, caller: Runner, request: Request) -> CampaignPublic:
    """Create a draft campaign from a spec; a bad field is named by its path (e.g.
    `intents[0].slots[1].values`), an under-priced one is refused with the floor.

    The spec's `type` says which kind: `generate` (the default), or `classify` / `rate` /
    `review` for a labeling campaign, whose body also carries its `items`: a list of objects
    with an `id`, exactly one of `text` or `image` (an http(s) or `data:image/…` URL) — a
    review's have `source` and `target` — and, for gold items, the known answer in `gold`. A
    bad item is refused whole with its `line` (row 1 is `items[0]`) and `column`. A review may
    instead name an imported corpus, `corpus_id` (see `/corpora`); its `items` are then the
    challenge pairs, each with its `gold` stars."""
    body = await _body_from(request)
    if body.corpus_id is not None:
        assert isinstance(body.spec, LabelingSpec)
        view = corpora.create_review(ctx, caller, body.spec, body.corpus_id, body.items)
        return campaign_public(view)
    return campaign_public(campaigns.create_campaign(ctx, caller, body.spec, body.items))


@router.post(
    "/campaigns/estimate",
    response_model=EstimatePublic | LabelingEstimatePublic,
    openapi_extra=SPEC_BODY,
)
async def estimate(
    ctx: ContextDep, caller: Runner, request: Request
) -> EstimatePublic | LabelingEstimatePublic:
    """What launching a spec would move into escrow, and the fair-wage floors. A labeling spec
    needs its `items` (as for create) or just their number, `item_count` (gold not counted); a
    review may name its `corpus_id` instead."""
    body = await _body_from(request)
    if not isinstance(body.spec, LabelingSpec):
        return estimate_public(ctx, body.spec, campaigns.estimate_cost(ctx, body.spec))
    count = body.item_count
    if count is None and body.corpus_id is not None:
        count = corpora.get_corpus(ctx, caller, body.corpus_id).pairs
    if count is None and body.items is not None:
        count = sum(item.gold is None for item in body.items)
    if count is None:
        raise InvalidInput(
            f"estimating a {body.spec.type} campaign needs its items: send `items` (as for "
            "create) or their number as `item_count`",
            field="items",
        )
    found = campaigns.estimate_labeling_cost(ctx, body.spec, count)
    return labeling_estimate_public(ctx, body.spec, found)


@router.get("/campaigns", response_model=list[CampaignPublic], responses=PAGED_RESPONSES)
def list_campaigns(
    ctx: ContextDep,
    caller: Runner,
    page: PageDep,
    status: Annotated[CampaignStatus | None, Query(description="Only in this status.")] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Only those whose name contains it."),
    ] = None,
) -> list[CampaignPublic]:
    """Your campaigns (an operator sees all), oldest first; `status` and `q` (a part of the
    name, any case) filter them. Paged: `limit` rows (default 50, at most 500) after `cursor`;
    the body stays a plain list, and while more rows follow the `Link` header (`rel="next"`)
    and `X-Next-Cursor` name the next page."""
    found = campaigns.list_campaigns(
        ctx, caller, status=status, name_contains=q, after=page.after, limit=page.fetch
    )
    return [campaign_public(c) for c in page.rows(found, key=lambda c: c.id)]


@router.get("/campaigns/{campaign_id}", response_model=CampaignPublic)
def get_campaign(ctx: ContextDep, caller: Runner, campaign_id: Id) -> CampaignPublic:
    return campaign_public(campaigns.get_campaign(ctx, caller, campaign_id))


@router.post("/campaigns/{campaign_id}/launch", response_model=CampaignPublic)
def launch(ctx: ContextDep, caller: Runner, campaign_id: Id) -> CampaignPublic:
    """Check the fair-wage floor, move the estimated cost into escrow, start offering work."""
    return campaign_public(campaigns.launch(ctx, caller, campaign_id))


@router.post("/campaigns/{campaign_id}/pause", response_model=CampaignPublic)
def pause(ctx: ContextDep, caller: Runner, campaign_id: Id) -> CampaignPublic:
    """Stop offering work; answers to work already taken are still accepted."""
    return campaign_public(campaigns.pause(ctx, caller, campaign_id))


@router.post("/campaigns/{campaign_id}/resume", response_model=CampaignPublic)
def resume(ctx: ContextDep, caller: Runner, campaign_id: Id) -> CampaignPublic:
    return campaign_public(campaigns.resume(ctx, caller, campaign_id))


@router.post("/campaigns/{campaign_id}/close", response_model=CampaignPublic)
def close(ctx: ContextDep, caller: Runner, campaign_id: Id) -> CampaignPublic:
    """Settle queries in validation and refund what is left in escrow."""
    return campaign_public(campaigns.close(ctx, caller, campaign_id))


@router.get("/campaigns/{campaign_id}/progress", response_model=ProgressPublic)
def progress(ctx: ContextDep, caller: Runner, campaign_id: Id) -> ProgressPublic:
    """Per intent: accepted, in validation, rejected, refused by checks; money spent and left."""
    return progress_public(campaigns.progress(ctx, caller, campaign_id))


@router.get(
    "/campaigns/{campaign_id}/events", response_model=list[EventPublic], responses=PAGED_RESPONSES
)
def events(ctx: ContextDep, caller: Runner, campaign_id: Id, page: PageDep) -> list[EventPublic]:
    """What happened to the campaign, oldest first: lifecycle, cross-validation, blacklisting;
    for labeling campaigns also revoked workers (`worker_revoked`, with their accuracy), the
    pilot's end (`pilot_complete`) and audits. Paged: `limit` and `cursor`, the next page in
    the `Link` and `X-Next-Cursor` headers."""
    found = campaigns.events(ctx, caller, campaign_id, after=page.after, limit=page.fetch)
    return [EventPublic.model_validate(e) for e in page.rows(found, key=lambda e: e.id)]


MEDIA_TYPES = {
    "snips": ("application/json", "json"),
    "rasa": ("application/yaml", "yml"),
    "jsonl": ("application/jsonl", "jsonl"),
}


@router.get(
    "/campaigns/{campaign_id}/export",
    response_class=Response,
    responses={200: {"content": {t: {} for t, _ in MEDIA_TYPES.values()}}},
)
def export(
    ctx: ContextDep,
    caller: Runner,
    campaign_id: Id,
    format: Annotated[Literal["snips", "rasa", "jsonl"], Query()] = "jsonl",
) -> Response:
    """The accepted queries as a Snips NLU dataset, Rasa NLU YAML or JSONL (spans, votes,
    pseudonymous worker ids); JSONL loads with Hugging Face `datasets`."""
    view = campaigns.get_campaign(ctx, caller, campaign_id)
    queries = campaigns.accepted_queries(ctx, caller, campaign_id)
    buffer = io.StringIO()
    write_dataset(
        queries, format, buffer, language=campaigns.generation_spec(view, "export").language
    )
    media_type, extension = MEDIA_TYPES[format]
    return Response(
        buffer.getvalue(),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}.{extension}"'
        },
    )


@router.post("/campaigns/{campaign_id}/cross-validation", response_model=CrossValidationPublic)
def cross_validation(
    ctx: ContextDep,
    caller: Runner,
    campaign_id: Id,
    confidence: Annotated[float | None, Query(gt=0, le=1)] = None,
) -> CrossValidationPublic:
    """Train an intent classifier out-of-fold on the accepted queries; list those whose intent
    it confidently disputes and workers with an abnormal share of them."""
    return cross_validation_public(
        campaigns.cross_validation(ctx, caller, campaign_id, confidence=confidence)
    )


@router.post("/campaigns/{campaign_id}/blacklist")
def blacklist(
    ctx: ContextDep, caller: PrincipalDep, campaign_id: Id, body: BlacklistBody
) -> dict[str, int]:
    """Bar a worker (by pseudonymous id) and send their accepted queries back to validation."""
    return {"queries_returned": campaigns.blacklist(ctx, caller, campaign_id, body.worker)}


@router.post("/campaigns/{campaign_id}/escrow", response_model=CampaignPublic)
def top_up(
    ctx: ContextDep,
    caller: Runner,
    campaign_id: Id,
    body: AmountBody,
    key: IdempotencyKeyDep,
) -> CampaignPublic:
    """Add credits to the campaign's escrow when acceptance runs below the estimate
    (`funds_short` in the progress)."""
    return campaign_public(
        campaigns.top_up(ctx, caller, campaign_id, body.amount, idempotency_key=key)
    )
