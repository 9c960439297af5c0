"""Request and response shapes of the campaign and work routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from crowdset.api.schemas import Schema
from crowdset.core.generation.crossval import CrossValidationReport
from crowdset.core.generation.plan import Estimate
from crowdset.core.generation.spec import CampaignSpec
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.services.campaigns import CampaignView, Progress
from crowdset.services.context import Context
from crowdset.services.generation import OfferView, StandingView, pricing_of


class CampaignPublic(Schema):
    id: int
    name: str
    kind: str
    status: str
    requester_id: int
    created_at: datetime
    launched_at: datetime | None
    closed_at: datetime | None
    escrow_funded: int = Field(description="Minor units moved into escrow at launch.")
    spec: Annotated[
        CampaignSpec | LabelingSpec,
        Field(
            discriminator="type",
            description="A generation spec (`type: generate`) or a labeling spec (`classify`, "
            "`rate`); the same as `kind`.",
        ),
    ]


def campaign_public(view: CampaignView) -> CampaignPublic:
    return CampaignPublic.model_validate(view)


class EstimatePublic(Schema):
    queries: int
    expected_submissions: int
    votes: int
    work: int
    validation: int
    fee: int
    total: int = Field(description="Minor units launch moves into escrow.")
    worker_minutes: float
    price_per_query: int
    price_per_vote: int


def estimate_public(ctx: Context, spec: CampaignSpec, found: Estimate) -> EstimatePublic:
    prices = pricing_of(ctx, spec)
    return EstimatePublic(
        queries=found.queries,
        expected_submissions=found.expected_submissions,
        votes=found.votes,
        work=found.work,
        validation=found.validation,
        fee=found.fee,
        total=found.total,
        worker_minutes=found.worker_minutes,
        price_per_query=prices.per_query,
        price_per_vote=prices.per_vote,
    )


class IntentProgressPublic(Schema):
    intent: str
    target: int
    accepted: int
    validating: int
    rejected: int
    unvalidated: int
    refused_by_checks: int
    acceptance_rate: float | None


class ProgressPublic(Schema):
    campaign_id: int
    status: str
    accepted: int
    target: int
    intents: list[IntentProgressPublic]
    escrow_funded: int
    escrow_left: int
    paid_to_workers: int
    fees: int
    refunded: int
    cost_per_accepted: float | None
    open_offers: int
    funds_short: bool = Field(
        description="Targets not met and escrow cannot pay for one more query: top it up."
    )


def progress_public(found: Progress) -> ProgressPublic:
    return ProgressPublic.model_validate(found)


class EventPublic(Schema):
    at: datetime
    kind: str
    detail: dict[str, Any]


class FlagPublic(Schema):
    query_id: int | None
    text: str
    intent: str
    predicted_intent: str
    probability: float
    worker: str


class WorkerFlagsPublic(Schema):
    worker: str
    queries: int
    flagged: int
    share: float
    p_value: float
    abnormal: bool


class CrossValidationPublic(Schema):
    scored: int
    flag_rate: float
    folds: int
    flagged: list[FlagPublic]
    workers: list[WorkerFlagsPublic]
    notes: list[str]


def cross_validation_public(report: CrossValidationReport) -> CrossValidationPublic:
    return CrossValidationPublic.model_validate(report)


class BlacklistBody(Schema):
    worker: str = Field(min_length=1, max_length=32, description="The pseudonymous worker id.")


class SlotValuePublic(Schema):
    slot: str
    value: str


class QuestionPublic(Schema):
    field: str
    question: str


class ChoicePublic(Schema):
    value: str = Field(description="What to answer: a label's name, or a star from 1 to 5.")
    description: str


class OfferPublic(Schema):
    """What a worker sees: never the author of a query, other votes, or anyone's identity.

    Every kind has the same fields (those of another kind are empty). A label offer shows the
    item and the choices, and nothing that tells a gold item from any other: no item id."""

    id: int
    campaign_id: int
    campaign_name: str
    kind: str
    status: str
    expires_at: datetime
    intent: str
    description: str
    prompt: str
    values: list[SlotValuePublic]
    examples: list[str]
    query_text: str | None
    answer_flags: list[str] = Field(
        default_factory=list,
        description="Vote offers: what the answer-quality model saw in the query (pasted, "
        "too_fast, machine_rhythm); reject text that is not the writer's own words.",
    )
    questions: list[QuestionPublic]
    price: int
    instructions: str = Field(description="Label offers: the campaign's instructions.")
    item_text: str | None = Field(
        description="Label offers: the item to judge, as text (a review: the source sentence)."
    )
    item_target: str | None = Field(description="Review offers: the translation to rate.")
    item_image: str | None = Field(description="Label offers: the item as an image URL.")
    choices: list[ChoicePublic] = Field(description="Label offers: the labels or the stars.")
    multi_label: bool = Field(description="Label offers: pick every label that applies.")


def offer_public(offer: OfferView) -> OfferPublic:
    return OfferPublic(
        id=offer.id,
        campaign_id=offer.campaign_id,
        campaign_name=offer.campaign_name,
        kind=offer.kind,
        status=offer.status,
        expires_at=offer.expires_at,
        intent=offer.intent,
        description=offer.description,
        prompt=offer.prompt,
        values=[SlotValuePublic(slot=v.slot, value=v.value) for v in offer.values],
        examples=list(offer.examples),
        query_text=offer.query_text,
        answer_flags=list(offer.answer_flags),
        questions=[QuestionPublic(field=f, question=q) for f, q in offer.questions],
        price=offer.price,
        instructions=offer.instructions,
        item_text=offer.item_text,
        item_target=offer.item_target,
        item_image=offer.item_image,
        choices=[ChoicePublic(value=v, description=d) for v, d in offer.choices],
        multi_label=offer.multi_label,
    )


class TypingBody(Schema):
    keys: int = Field(ge=0, le=100_000, description="Keystrokes typed into the answer.")
    interval_cv: float | None = Field(
        None, ge=0, le=100, description="Std/mean of the intervals between keystrokes."
    )


class QueryBody(Schema):
    text: str = Field(min_length=1, max_length=1000)
    seconds_on_task: float | None = Field(None, ge=0, le=86_400)
    paste_events: int = Field(0, ge=0, le=10_000)
    typing: TypingBody | None = Field(
        None,
        description="Keystroke rhythm, as the task page measures it; feeds the answer-quality "
        "model (SPEC §6.7) with the time on task and the paste events.",
    )


class SubmittedPublic(Schema):
    query_id: int
    status: str


class VoteBody(Schema):
    intent_ok: bool
    natural_ok: bool
    spelling_ok: bool
    values_ok: bool
    comment: str = Field("", max_length=2000)


class StandingPublic(Schema):
    locked: bool
    generation_locked: bool
    generation_successes_to_unlock: int
    validation_locked: bool
    validation_successes_to_unlock: int
    locked_amount: int
    staked_amount: int
    explanation: str


def standing_public(view: StandingView) -> StandingPublic:
    return StandingPublic.model_validate(view)
