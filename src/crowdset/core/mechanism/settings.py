"""A campaign's mechanism settings (SPEC §6), shared by every campaign type's spec as its
``mechanism:`` block. Each default is stated with why."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MechanismSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    control_share: float = Field(
        0.10,
        ge=0,
        le=0.5,
        description="Share of offers that are controls (known answer, indistinguishable).",
    )
    probation_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of a worker's offers that are controls until their quality on the "
        "track is established (released or revoked): a cheat is caught before a short campaign "
        "closes and releases their pending pay; an honest worker leaves probation after ~8 "
        "controls answered right.",
    )
    control_max_views: int = Field(
        20,
        ge=1,
        le=100_000,
        description="A control is retired after this many workers saw it (a ring pooling what "
        "it saw cannot spot controls by repetition).",
    )
    consensus_gold_confidence: float = Field(
        0.99,
        gt=0.5,
        lt=1,
        description="A unit decided at this confidence by workers above the bar becomes a control.",
    )
    bar: float = Field(
        0.7, gt=0, le=1, description="Accuracy a worker must plausibly reach on each track."
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1, description="Credibility of the bounds that revoke or release."
    )
    min_evidence: float = Field(
        10,
        ge=1,
        le=10_000,
        description="Evidence (control-answer equivalents) before anyone can be revoked.",
    )
    fine_multiplier: Decimal = Field(
        Decimal("1.5"),
        ge=0,
        le=10,
        description="Fine at revocation = this × earned in the campaign (Briko's deposit ratio), "
        "and never less than what the failed work cost.",
    )
    decision_confidence: float = Field(
        0.95,
        gt=0.5,
        lt=1,
        description="Generation: a query is accepted or rejected once its quality-weighted "
        "posterior reaches this; until then it gets one more vote.",
    )
    max_votes: int = Field(
        7,
        ge=1,
        le=25,
        description="Generation: votes a query may get; undecided at this many, it is left "
        "unvalidated (paid, kept out of the data).",
    )
    selection: Literal["stake_cap", "ln1p"] = Field(
        "stake_cap",
        description="Offer weight: min(stake, stake_cap) (sybil-neutral) or the seed's "
        "ln(1 + stake), which pays for splitting a stake over accounts.",
    )
    stake_cap: Decimal = Field(
        Decimal(1000), gt=0, description="Credits of stake above which weight stops growing."
    )
