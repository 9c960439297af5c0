"""Request and response shapes of labeling campaigns (SPEC §3): the requester's estimate,
report, results and audits; the worker's onboarding, tutorial, qualifier and answers.

Nothing a worker receives tells a gold item from any other (see ``OfferPublic``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from crowdset.api.schemas import Schema
from crowdset.api.schemas_campaigns import ChoicePublic
from crowdset.core.labeling.judging import LabelingEstimate
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.quality import GuaranteeStatus
from crowdset.services.context import Context
from crowdset.services.labeling import Onboarding, QualifierResult, TutorialFeedback, pricing_of
from crowdset.services.labeling_reports import ItemResult, LabelingReport

# A label's name, a star (1–5, as a number or text), or a list of labels (multi-label).
RawAnswer = Annotated[
    str | int | list[Annotated[str, Field(max_length=200)]],
    Field(description="A label, a star from 1 to 5, or (multi-label) a list of labels."),
]


class LabelingEstimatePublic(Schema):
    items: int = Field(description="Items to label (gold items not counted).")
    judgments: int = Field(description="Items × the maximum overlap.")
    gold_judgments: int
    work: int
    fee: int
    total: int = Field(description="Minor units launch moves into escrow.")
    worker_minutes: float
    price_per_judgment: int
    onboarding: int = Field(
        0,
        description="Of `work`: paid onboarding time (tutorial and qualifier at the fair wage), "
        "for `onboarding.workers` workers at their most; 0 when the campaign does not pay it.",
    )


def labeling_estimate_public(
    ctx: Context, spec: LabelingSpec, found: LabelingEstimate
) -> LabelingEstimatePublic:
    return LabelingEstimatePublic(
        items=found.items,
        judgments=found.judgments,
        gold_judgments=found.gold_judgments,
        work=found.work,
        fee=found.fee,
        total=found.total,
        worker_minutes=found.worker_minutes,
        price_per_judgment=pricing_of(ctx, spec).per_judgment,
        onboarding=found.onboarding,
    )


class GuaranteePublic(Schema):
    status: GuaranteeStatus = Field(
        description="met: the interval's low end reaches the target; at_risk: its high end is "
        "below it; undecided: check more labels."
    )
    correct: int
    checked: int = Field(description="Gold items' consensus and audited labels, pooled.")
    low: float = Field(description="Wilson interval of the share correct.")
    high: float
    target: float
    confidence: float


class WorkerQualityPublic(Schema):
    worker: str = Field(description="The pseudonymous worker id.")
    answers: int
    gold_answers: int
    gold_correct: int
    accuracy_mean: float = Field(description="The live accuracy posterior's mean.")
    accuracy_low: float = Field(description="Its 95 % credible interval.")
    accuracy_high: float
    revoked: bool
    gate: str


class AgreementPublic(Schema):
    level: str = Field(description="nominal (labels) or interval (star ratings).")
    alpha: float = Field(
        description="Krippendorff's alpha of the kept answers to non-control items: 1 when "
        "workers always agree, 0 when they agree no more than chance."
    )
    low: float = Field(description="95 % bootstrap interval over items (300 resamples).")
    high: float
    items: int = Field(description="Items with two answers or more: the ones alpha uses.")
    workers: int


class LabelingReportPublic(Schema):
    campaign_id: int
    kind: str
    status: str
    items: int
    gold_items: int
    settled: int
    judgments: int
    gold_judgments: int
    kept_judgments: int = Field(description="Judgments counted (a revoked worker's are not).")
    fixed_overlap_judgments: int = Field(
        description="What the settled items would have taken at the maximum overlap."
    )
    judgments_saved: int = Field(description="Saved by dynamic overlap on settled items.")
    pilot_units: int | None
    pilot_done: int
    guarantee: GuaranteePublic | None
    audits: int
    workers: list[WorkerQualityPublic]
    agreement: AgreementPublic | None = Field(
        description="The workers' agreement; null until two items have two answers each."
    )


def labeling_report_public(found: LabelingReport) -> LabelingReportPublic:
    return LabelingReportPublic.model_validate(found)


class ItemResultPublic(Schema):
    item: str = Field(description="Your id of the item.")
    text: str | None
    image: str | None
    status: str = Field(description="settled, or open (still taking judgments).")
    answer: str | list[str] | None = Field(
        description="The consensus: a label, a list of labels (multi-label) or a star."
    )
    confidence: float | None
    judgments: int
    score: float | None = Field(description="rate, review: the reviewer-weighted score (SPEC §4).")
    mean: float | None = Field(description="rate, review: the plain mean of the kept ratings.")
    target: str | None = Field(description="review: the pair's translation (`text`: its source).")
    rank: int | None = Field(description="review: 1 is the best score.")
    keep: bool | None = Field(description="review: among the top k·P pairs.")


def answer_public(answer: object) -> str | list[str] | None:
    """A stored answer as JSON: a label or star as text, a multi-label answer as a list."""
    if answer is None:
        return None
    if isinstance(answer, list | tuple):
        return [str(a) for a in answer]
    return str(answer)


def item_result_public(found: ItemResult) -> ItemResultPublic:
    answer = found.answer
    return ItemResultPublic(
        item=found.item,
        text=found.text,
        image=found.image,
        status=found.status,
        answer=answer_public(answer),
        confidence=found.confidence,
        judgments=found.judgments,
        score=found.score,
        mean=found.mean,
        target=found.target,
        rank=found.rank,
        keep=found.keep,
    )


class AuditBody(Schema):
    item: str = Field(min_length=1, max_length=200, description="Your id of a settled item.")
    correct: bool = Field(description="Whether its delivered label is right.")


class QuestionViewPublic(Schema):
    index: int
    text: str | None
    image: str | None


class OnboardingPublic(Schema):
    campaign_id: int
    campaign_name: str
    kind: str
    gate: str = Field(
        description="tutorial, qualifier, failed, revoked, blacklisted or open (you get offers)."
    )
    instructions: str
    choices: list[ChoicePublic]
    multi_label: bool
    tutorial: list[QuestionViewPublic]
    qualifier: list[QuestionViewPublic]
    pass_mark: float | None
    attempts_left: int | None
    qualifier_score: float | None
    bounty_tasks: int | None = Field(
        description="Tasks open to workers short of the required stake (pay held until a "
        "first run of accepted work)."
    )
    price: int = Field(description="Minor units paid per answer.")
    bounty_release_after: int | None = Field(
        None, description="Accepted answers before bounty pay is released."
    )
    onboarding_pay: int = Field(
        0, description="Minor units the campaign pays at most for your onboarding time; 0: unpaid."
    )
    onboarding_seconds_paid: int = Field(0, description="Onboarding seconds paid at most.")
    onboarding_seconds: float = Field(
        0.0, description="Your time on this campaign's tutorial and qualifier so far."
    )
    onboarding_paid: int = Field(
        0,
        description="What your onboarding time earned here (pending, held until a first run "
        "of accepted work).",
    )


def onboarding_public(found: Onboarding) -> OnboardingPublic:
    return OnboardingPublic(
        campaign_id=found.campaign_id,
        campaign_name=found.campaign_name,
        kind=found.kind,
        gate=found.gate,
        instructions=found.instructions,
        choices=[ChoicePublic(value=v, description=d) for v, d in found.choices],
        multi_label=found.multi_label,
        tutorial=[QuestionViewPublic.model_validate(q) for q in found.tutorial],
        qualifier=[QuestionViewPublic.model_validate(q) for q in found.qualifier],
        pass_mark=found.pass_mark,
        attempts_left=found.attempts_left,
        qualifier_score=found.qualifier_score,
        bounty_tasks=found.bounty_tasks,
        price=found.price,
        bounty_release_after=found.bounty_release_after,
        onboarding_pay=found.onboarding_pay,
        onboarding_seconds_paid=found.onboarding_seconds_paid,
        onboarding_seconds=round(found.onboarding_seconds, 1),
        onboarding_paid=found.onboarding_paid,
    )


SecondsOnPage = Annotated[
    float | None,
    Field(
        None,
        ge=0,
        le=86_400,
        description="Seconds the page was open for this step (your onboarding time); the server "
        "measures the time since your previous step when left out.",
    ),
]


class AnswerBody(Schema):
    answer: RawAnswer
    seconds_on_task: SecondsOnPage = None


class LabelBody(Schema):
    answer: RawAnswer
    seconds_on_task: float | None = Field(None, ge=0, le=86_400)


class QualifierBody(Schema):
    answers: list[RawAnswer] = Field(max_length=200, description="One per question, in order.")
    seconds_on_task: SecondsOnPage = None


class TutorialFeedbackPublic(Schema):
    correct: bool
    expected: str | list[str]
    explanation: str
    answered: int = Field(description="Questions answered so far, in order.")
    total: int
    done: bool


def tutorial_feedback_public(found: TutorialFeedback) -> TutorialFeedbackPublic:
    expected = found.expected
    return TutorialFeedbackPublic(
        correct=found.correct,
        expected=list(expected) if isinstance(expected, tuple) else expected,
        explanation=found.explanation,
        answered=found.answered,
        total=found.total,
        done=found.done,
    )


class QualifierResultPublic(Schema):
    passed: bool
    score: float
    pass_mark: float
    attempts_left: int


def qualifier_result_public(found: QualifierResult) -> QualifierResultPublic:
    return QualifierResultPublic.model_validate(found)
