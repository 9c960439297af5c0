"""The labeling campaign spec (SPEC §3): classify (single- or multi-label) and rate (1–5 stars).

A requester writes it in YAML or JSON and uploads the items beside it (CSV, JSONL, Parquet)::

    name: Product photos
    type: classify
    instructions: Pick what the photo shows.
    labels:
      - {name: shoe, description: Any footwear}
      - {name: bag, description: Handbags, backpacks}
      - {name: other, description: Anything else}
    price_per_judgment: 0.05
    seconds_per_judgment: 8
    overlap: {min: 2, max: 5, confidence: 0.9}   # dynamic; min == max is fixed overlap
    gold: {share: 0.05}
    quality: {bar: 0.8}
    tutorial:
      - {text: "A red sneaker", answer: shoe, explanation: "Sneakers are footwear."}
    qualifier:
      pass_mark: 0.8
      questions:
        - {text: "A leather handbag", answer: bag}
    bounty: {tasks: 20, release_after: 3}   # newcomers without stake; pay held until a first run
    onboarding: {pay: true}                 # tutorial and qualifier time paid at the fair wage

A ``rate`` campaign has a ``rubric`` of five descriptions (1 to 5 stars) instead of labels.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crowdset.core.documents import load_document, spec_error
from crowdset.core.mechanism.newcomers import Bounty, OnboardingPay
from crowdset.core.mechanism.settings import MechanismSettings
from crowdset.errors import SpecInvalid

Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][\w\- .]*$")]
Credits = Annotated[Decimal, Field(ge=0, max_digits=18)]
STARS = ("1", "2", "3", "4", "5")
LABELING_TYPES = ("classify", "rate", "review")

# An answer is one label (single-label), a sorted tuple of labels (multi-label) or a star.
Answer = str | tuple[str, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelSpec(_Strict):
    name: Name
    description: str = Field("", max_length=500)


class Overlap(_Strict):
    """Judgments per item: at least ``min``; more, up to ``max``, until the item's posterior
    reaches ``confidence`` (classify) or its ratings' standard error falls to
    ``rating_tolerance`` stars (rate). ``min == max`` is a fixed overlap."""

    min: int = Field(3, ge=1, le=50)
    max: int = Field(3, ge=1, le=50)
    confidence: float = Field(0.9, gt=0.5, le=1.0)
    rating_tolerance: float = Field(0.5, gt=0, le=4)

    @model_validator(mode="after")
    def _ordered(self) -> Overlap:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    @property
    def dynamic(self) -> bool:
        return self.max > self.min


class GoldSettings(_Strict):
    share: float = Field(
        0.05, ge=0, le=0.5, description="Share of offers that are gold items (known answers)."
    )


class QualitySettings(_Strict):
    """The live quality model's revocation rule (``core.quality.should_revoke``)."""

    bar: float = Field(0.7, gt=0, le=1, description="Accuracy a worker must plausibly reach.")
    confidence: float = Field(0.95, gt=0.5, lt=1)
    min_answers: float = Field(10, ge=0, le=10_000)
    rating_tolerance: int = Field(
        1, ge=0, le=4, description="A rating within this many stars of the truth counts correct."
    )


class Question(_Strict):
    """A tutorial or qualifier question: an item with its known answer."""

    text: str | None = Field(None, min_length=1, max_length=5000)
    image: str | None = Field(None, min_length=1, max_length=2000)
    answer: str | int | list[str]
    explanation: str = Field("", max_length=2000, description="Shown after a tutorial answer.")

    @model_validator(mode="after")
    def _content(self) -> Question:
        if (self.text is None) == (self.image is None):
            raise ValueError("a question has exactly one of text or image")
        return self


class Qualifier(_Strict):
    pass_mark: float = Field(0.8, gt=0, le=1, description="Share of questions to get right.")
    attempts: int = Field(2, ge=1, le=100)
    questions: list[Question] = Field(min_length=1, max_length=200)


class Pilot(_Strict):
    units: int = Field(gt=0, le=1_000_000, description="Judgments before the requester decides.")


class Guarantee(_Strict):
    target: float = Field(0.95, gt=0, lt=1, description="Share of delivered labels correct.")
    confidence: float = Field(0.95, gt=0.5, lt=1)


REVIEW_RUBRIC = (  # SPEC §4
    "wrong translation",
    "major changes or irrelevant parts",
    "more than three words to change, but no reordering and nothing irrelevant",
    "fewer than three words to change",
    "no change needed",
)


class ReviewSettings(_Strict):
    """A review of sentence pairs (SPEC §4): every pair rated by ``reviewers`` people in
    packages that lock a deposit; the top ``keep_share`` of pairs by weighted score is kept and
    the pool is paid at close by weighted workload (SPEC §1 ``pool`` payout)."""

    reviewers: int = Field(3, ge=1, le=15, description="R: ratings per pair.")
    keep_share: float = Field(0.3, gt=0, le=1, description="P: share of pairs kept.")
    minutes_per_pair: Decimal = Field(Decimal("0.5"), gt=0, le=60, description="W_n.")
    package_size: int = Field(50, ge=2, le=5000, description="Pairs per package.")
    package_hours: int = Field(24, ge=1, le=24 * 14, description="Time to finish a package.")
    deposit_factor: Decimal = Field(Decimal("1.5"), ge=0, le=10)
    max_package_error: float = Field(
        1.5, gt=0, le=4, description="RMS stars off the reference that forfeits a package."
    )
    min_references: int = Field(
        5, ge=1, le=1000, description="Pairs with a reference needed to judge a package early."
    )
    revision_band: float = Field(
        0.0,
        ge=0,
        le=4,
        description="Pairs scored within this many stars of the cut score may be sent to "
        "revision (their translation edited, then rated again); 0 turns revision off.",
    )
    minutes_per_revision: Decimal = Field(
        Decimal("2"), gt=0, le=60, description="Paid at the fair wage, from the reserve."
    )


class LabelingSpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    type: Literal["classify", "rate", "review"]
    instructions: str = Field(min_length=1, max_length=20_000)
    labels: list[LabelSpec] = Field(default_factory=list, max_length=200)
    multi_label: bool = False
    rubric: list[str] = Field(
        default_factory=list, description="rate: five descriptions, for 1 to 5 stars."
    )
    review: ReviewSettings | None = None
    price_per_judgment: Credits | None = Field(
        None, description="classify and rate; a review pays its pool at close instead."
    )
    seconds_per_judgment: int = Field(10, gt=0, le=3600)
    overlap: Overlap = Field(default_factory=lambda: Overlap())
    gold: GoldSettings = Field(default_factory=lambda: GoldSettings())
    quality: QualitySettings = Field(default_factory=lambda: QualitySettings())
    tutorial: list[Question] = Field(default_factory=list, max_length=200)
    qualifier: Qualifier | None = None
    bounty: Bounty | None = None
    onboarding: OnboardingPay = Field(default_factory=lambda: OnboardingPay())
    pilot: Pilot | None = None
    guarantee: Guarantee | None = None
    min_stake: Credits = Decimal(0)
    offer_ttl_seconds: int = Field(600, ge=30, le=86_400)
    active_window_seconds: int = Field(900, ge=30, le=86_400)
    max_open_offers: int = Field(2, ge=1, le=1000)
    mechanism: MechanismSettings = Field(default_factory=lambda: MechanismSettings())

    @field_validator("labels")
    @classmethod
    def _unique_labels(cls, labels: list[LabelSpec]) -> list[LabelSpec]:
        seen: set[str] = set()
        for label in labels:
            if label.name in seen:
                raise ValueError(f"label {label.name!r} is declared twice")
            seen.add(label.name)
        return labels

    @model_validator(mode="before")
    @classmethod
    def _review_defaults(cls, data: Any) -> Any:
        """A review rates with SPEC §4's rubric, each pair by exactly R reviewers."""
        if isinstance(data, dict) and data.get("type") == "review":
            data = dict(data)
            data.setdefault("rubric", list(REVIEW_RUBRIC))
            review = data.get("review") or {}
            reviewers = review.get("reviewers", 3) if isinstance(review, dict) else 3
            data.setdefault("overlap", {"min": reviewers, "max": reviewers})
            data.setdefault("review", review)
        return data

    @model_validator(mode="before")
    @classmethod
    def _one_place_per_setting(cls, data: Any) -> Any:
        """A labeling spec sets the control share and the quality bar in ``gold`` and
        ``quality`` (documented since wave 1); a different value of the same settings under
        ``mechanism`` would be ignored, so it is refused naming where it belongs (a stored
        spec carries the defaults, which are accepted)."""
        mechanism = data.get("mechanism") if isinstance(data, dict) else None
        if isinstance(mechanism, dict):
            defaults = MechanismSettings()
            moved = {
                "control_share": "gold.share",
                "bar": "quality.bar",
                "confidence": "quality.confidence",
                "min_evidence": "quality.min_answers",
            }
            for key, home in moved.items():
                if key not in mechanism:
                    continue
                try:
                    same = float(mechanism[key]) == float(getattr(defaults, key))
                except (TypeError, ValueError):
                    same = False
                if not same:
                    raise ValueError(
                        f"mechanism.{key} is set by {home} in a labeling campaign: move it there"
                    )
        return data

    @property
    def rating(self) -> bool:
        """Rate and review campaigns answer with stars."""
        return self.type != "classify"

    @model_validator(mode="after")
    def _by_type(self) -> LabelingSpec:
        if self.type == "review":
            if self.review is None:
                raise ValueError("a review campaign needs its review settings")
            if self.price_per_judgment is not None:
                raise ValueError(
                    "a review pays its pool at close: give review.minutes_per_pair, not "
                    "price_per_judgment"
                )
            if self.overlap.min != self.overlap.max or self.overlap.min != self.review.reviewers:
                raise ValueError("a review has a fixed overlap: review.reviewers per pair")
        elif self.price_per_judgment is None:
            raise ValueError(f"a {self.type} campaign needs price_per_judgment")
        elif self.review is not None:
            raise ValueError("review settings are for review campaigns")
        if self.type == "classify":
            if len(self.labels) < 2:
                raise ValueError("a classify campaign needs at least two labels")
            if self.rubric:
                raise ValueError("rubric is for rate campaigns; classify uses labels")
        else:
            if self.labels or self.multi_label:
                raise ValueError("labels and multi_label are for classify; rate uses a rubric")
            if len(self.rubric) != 5:
                raise ValueError(
                    f"rubric needs five descriptions (1 to 5 stars), got {len(self.rubric)}"
                )
        for where, question in self._questions():
            try:
                self.answer(question.answer)
            except ValueError as error:
                raise ValueError(f"{where}.answer: {error}") from None
        if self.onboarding.pay and not self._questions():
            raise ValueError(
                "onboarding.pay pays the time of the tutorial and the qualifier, and this "
                "campaign has neither: add a tutorial or a qualifier, or remove onboarding.pay"
            )
        return self

    @property
    def onboarding_questions(self) -> int:
        """Tutorial and qualifier questions: what onboarding asks of a worker."""
        return len(self._questions())

    def _questions(self) -> list[tuple[str, Question]]:
        found = [(f"tutorial[{n}]", q) for n, q in enumerate(self.tutorial)]
        if self.qualifier is not None:
            found += [
                (f"qualifier.questions[{n}]", q) for n, q in enumerate(self.qualifier.questions)
            ]
        return found

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """What a worker picks from: (value, description) per label or per star."""
        if self.rating:
            return tuple(zip(STARS, self.rubric, strict=True))
        return tuple((label.name, label.description) for label in self.labels)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    def answer(self, raw: object) -> Answer:
        """A worker's or a file's answer in canonical form, or ``ValueError`` saying why not.

        Single-label and rate: one value (a star may be given as a number). Multi-label: a list
        of distinct labels, or one string of labels separated by ``|``; may be empty."""
        names = self.label_names
        if self.type == "classify" and self.multi_label:
            if isinstance(raw, str):
                parts = [p.strip() for p in raw.split("|") if p.strip()]
            elif isinstance(raw, list | tuple):
                parts = [str(p).strip() for p in raw]
            else:
                raise ValueError(f"expected a list of labels, got {raw!r}")
            unknown = [p for p in parts if p not in names]
            if unknown:
                raise ValueError(
                    f"unknown label(s) {', '.join(unknown)}; labels: {', '.join(names)}"
                )
            if len(set(parts)) != len(parts):
                raise ValueError("a label is given twice")
            return tuple(sorted(parts))
        if isinstance(raw, bool | list | tuple):
            raise ValueError(f"expected one of {', '.join(names)}, got {raw!r}")
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        value = str(raw).strip()
        if value not in names:
            raise ValueError(f"{value!r} is not one of {', '.join(names)}")
        return value


_EXAMPLE = "type: classify, labels: [{name: yes}, {name: no}], price_per_judgment: 0.05"


def parse_labeling_spec(data: Any, *, source: str = "spec") -> LabelingSpec:
    """Validate an already-parsed labeling spec document."""
    if not isinstance(data, dict):
        raise SpecInvalid(
            f"{source}: (top level): a spec is a mapping with name, type, instructions and "
            f"price_per_judgment, got {type(data).__name__}",
            field="(top level)",
            source=source,
        )
    try:
        return LabelingSpec.model_validate(data)
    except ValidationError as error:
        raise spec_error(error, LabelingSpec, source=source) from None


def load_labeling_spec(text: str, *, source: str = "spec.yaml") -> LabelingSpec:
    return parse_labeling_spec(load_document(text, source=source, example=_EXAMPLE), source=source)
