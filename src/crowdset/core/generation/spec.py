"""The generation campaign spec (SPEC §2), validated with errors that name the field path.

A requester writes it in YAML or JSON::

    name: Smart lights
    language: en
    intents:
      - name: TurnLightsOn
        description: Switch the lights on
        target: 100
        slots:
          - {name: room, entity: room, values: [living room, kitchen]}
        seeds:
          - turn on the lights in the [room:living room]
    prices: {per_query: 0.50, per_vote: 0.10}

Prices are in credits (decimals allowed down to the currency's minor unit); the services turn
them into integer minor units once, with :func:`prices_in_minor_units`.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crowdset.core.documents import load_document, spec_error
from crowdset.core.generation.annotation import parse_inline
from crowdset.core.mechanism.newcomers import Bounty
from crowdset.core.mechanism.settings import MechanismSettings
from crowdset.core.money import parse_amount
from crowdset.errors import InvalidInput, SpecInvalid

Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")]
Credits = Annotated[Decimal, Field(ge=0, max_digits=18)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlotSpec(_Strict):
    name: Name
    entity: str = Field("", max_length=80, description="Entity type; defaults to the slot name.")
    values: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        stripped = [" ".join(value.split()) for value in values]
        if any(not value for value in stripped):
            raise ValueError("a slot value cannot be blank")
        seen: set[str] = set()
        for value in stripped:
            if value.casefold() in seen:
                raise ValueError(f"value {value!r} is listed twice")
            seen.add(value.casefold())
        return stripped

    @property
    def entity_name(self) -> str:
        return self.entity or self.name


class IntentSpec(_Strict):
    name: Name
    description: str = Field(min_length=1, max_length=300)
    target: int = Field(gt=0, le=1_000_000, description="Accepted queries wanted.")
    slots: list[SlotSpec] = Field(default_factory=list)
    seeds: list[str] = Field(default_factory=list, max_length=1000)
    combinations: list[list[str]] | None = Field(
        None,
        description="Slot combinations a task may ask for; by default every combination of 0 "
        "to max_slots_per_task slots.",
    )

    @field_validator("slots")
    @classmethod
    def _unique_slots(cls, slots: list[SlotSpec]) -> list[SlotSpec]:
        names = [slot.name for slot in slots]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"slot {name!r} is declared twice; slot names must be unique")
        return slots

    @model_validator(mode="after")
    def _check_slots(self) -> IntentSpec:
        names = [slot.name for slot in self.slots]
        for position, seed in enumerate(self.seeds):
            try:
                _, spans = parse_inline(seed)
            except InvalidInput as error:
                raise ValueError(f"seeds[{position}]: {error}") from None
            for _, _, slot in spans:
                if slot not in names:
                    raise ValueError(
                        f"seeds[{position}] annotates slot {slot!r}, which is not declared; "
                        f"declared slots: {', '.join(names) or 'none'}"
                    )
        for position, combination in enumerate(self.combinations or []):
            unknown = [slot for slot in combination if slot not in names]
            if unknown:
                raise ValueError(
                    f"combinations[{position}] names unknown slot(s) {', '.join(unknown)}; "
                    f"declared slots: {', '.join(names) or 'none'}"
                )
            if len(set(combination)) != len(combination):
                raise ValueError(f"combinations[{position}] repeats a slot")
        return self

    def slot(self, name: str) -> SlotSpec:
        return next(slot for slot in self.slots if slot.name == name)

    def slot_combinations(self, max_slots: int) -> list[tuple[str, ...]]:
        """Every combination a task may ask for, in a stable order."""
        if self.combinations is not None:
            return [tuple(sorted(combination)) for combination in self.combinations]
        names = sorted(slot.name for slot in self.slots)
        return [
            combination
            for size in range(min(max_slots, len(names)) + 1)
            for combination in itertools.combinations(names, size)
        ]


class Prices(_Strict):
    per_query: Credits = Field(description="Paid to the writer of each accepted query.")
    per_vote: Credits = Field(
        description="Paid per validation vote, every vote (controls included); pending until "
        "the validator clears the bar (SPEC §6.3)."
    )


class GenerationBounty(Bounty):
    """Bounty tasks for newcomers without stake (SPEC §6.6): write offers, and vote offers too
    when ``votes`` is on. Their pay is held until a first run (``core.mechanism.newcomers``)."""

    votes: bool = Field(False, description="Bounty workers may take vote offers too.")


class CheckSettings(_Strict):
    min_words: int = Field(3, ge=1, le=100)
    max_words: int = Field(40, ge=1, le=500)
    near_duplicate_similarity: float = Field(90.0, gt=0, le=100)
    language: bool = Field(True, description="Refuse queries confidently in another language.")
    copies: bool = Field(
        True,
        description="Judge copies on the template (SPEC §6.7): refuse near-copies of a seed or "
        "of the worker's own queries (a failure on their record) and cap each template's repeats.",
    )
    max_template_repeats: int = Field(
        3,
        ge=1,
        le=1000,
        description="Queries one template (the query with its values as slot names) may have "
        "in the campaign (SPEC §6.7); a near-copy of another's query is marked instead.",
    )
    max_attempts: int = Field(
        3, ge=1, le=20, description="Refused answers an offer takes before it ends (SPEC §6.7)."
    )
    paste: Literal["allow", "flag", "block"] = Field(
        "flag",
        description="Pasted or implausibly fast answers: allow them unmarked, flag them for "
        "validators (a rejected flagged answer counts as a failure), or block them.",
    )

    @model_validator(mode="after")
    def _bounds(self) -> CheckSettings:
        if self.min_words > self.max_words:
            raise ValueError(f"min_words {self.min_words} is above max_words {self.max_words}")
        return self


class CampaignSpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    type: Literal["generate"] = "generate"
    language: str = Field(min_length=2, max_length=3, pattern=r"^[a-z]{2,3}$")
    intents: list[IntentSpec] = Field(min_length=1, max_length=500)
    prices: Prices
    validators_per_query: int = Field(3, ge=1, le=15)
    min_stake: Credits = Decimal(0)
    seconds_per_query: int = Field(45, gt=0, le=3600, description="Expected time to write one.")
    seconds_per_vote: int = Field(10, gt=0, le=3600, description="Expected time to vote once.")
    payout: Literal["per_task"] = Field(
        "per_task", description="Generation pays per accepted query and per vote, into pending."
    )
    max_slots_per_task: int = Field(2, ge=0, le=10)
    expected_acceptance: float = Field(
        0.8, gt=0, le=1, description="Share of submitted queries expected to pass: sizes escrow."
    )
    checks: CheckSettings = Field(default_factory=lambda: CheckSettings())
    offer_ttl_seconds: int = Field(900, ge=30, le=86_400)
    active_window_seconds: int = Field(
        900, ge=30, le=86_400, description="A worker counts as active this long after asking."
    )
    max_open_offers: int = Field(2, ge=1, le=1000, description="Offers a worker may hold at once.")
    quality_weighting: bool = Field(
        True, description="Multiply each worker's offer weight by their predicted quality."
    )
    bounty: GenerationBounty | None = Field(
        None,
        description="Tasks a newcomer short of the required stake may do, their pay held until "
        "a first run of accepted work (SPEC §6.6).",
    )
    mechanism: MechanismSettings = Field(default_factory=lambda: MechanismSettings())

    @model_validator(mode="before")
    @classmethod
    def _no_forfeit(cls, data: Any) -> Any:
        if isinstance(data, dict) and "forfeit_on_repeat_failure" in data:
            raise ValueError(
                "forfeit_on_repeat_failure was replaced by mechanism.fine_multiplier: a worker "
                "whose accuracy falls confidently below mechanism.bar is revoked and fined "
                "fine_multiplier × what they earned in the campaign (SPEC §6.4); remove "
                "forfeit_on_repeat_failure from the spec"
            )
        return data

    @model_validator(mode="after")
    def _votes_fit(self) -> CampaignSpec:
        if self.mechanism.max_votes < self.validators_per_query:
            raise ValueError(
                f"mechanism.max_votes {self.mechanism.max_votes} is below validators_per_query "
                f"{self.validators_per_query}: raise max_votes to at least "
                f"{self.validators_per_query}"
            )
        return self

    @field_validator("validators_per_query")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError("validators_per_query must be odd so a majority exists; use 3 or 5")
        return value

    @field_validator("intents")
    @classmethod
    def _unique_intents(cls, intents: list[IntentSpec]) -> list[IntentSpec]:
        names = [intent.name for intent in intents]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"intent {name!r} is declared twice; intent names must be unique")
        return intents

    def intent(self, name: str) -> IntentSpec:
        for intent in self.intents:
            if intent.name == name:
                return intent
        raise InvalidInput(f"campaign has no intent {name!r}", field="intent", value=name)

    @property
    def total_target(self) -> int:
        return sum(intent.target for intent in self.intents)


_EXAMPLE = "intents: [{name: TurnOn, description: Switch lights on, target: 50}]"


def parse_spec(data: Any, *, source: str = "spec") -> CampaignSpec:
    """Validate an already-parsed spec document."""
    if not isinstance(data, dict):
        raise SpecInvalid(
            f"{source}: (top level): a spec is a mapping with name, language, intents and "
            f"prices, got {type(data).__name__}",
            field="(top level)",
            source=source,
        )
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as error:
        raise spec_error(error, CampaignSpec, source=source) from None


def load_spec(text: str, *, source: str = "spec.yaml") -> CampaignSpec:
    """Parse and validate spec text, YAML or JSON."""
    return parse_spec(load_document(text, source=source, example=_EXAMPLE), source=source)


def to_minor(credits: Decimal, decimals: int, field: str) -> int:
    """Credits → minor units, refusing fractions finer than the currency's."""
    try:
        return parse_amount(str(credits), decimals)
    except InvalidInput as error:
        raise SpecInvalid(f"{field}: {error}", field=field, value=str(credits)) from None
