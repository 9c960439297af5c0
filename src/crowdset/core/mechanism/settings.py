"""A campaign's mechanism settings (SPEC §6), shared by every campaign type's spec as its
``mechanism:`` block. Each default is stated with why."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TrackName = Literal["write", "vote", "label", "rate"]


def _track_bar_floors() -> dict[TrackName, float]:
    return {"vote": 0.8, "rate": 0.8}


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
    track_bars: dict[TrackName, float] = Field(
        default_factory=_track_bar_floors,
        description="Floors of the bar on tracks where a guess scores high: a vote is binary "
        "(a coin scores 0.5, a validator random on 60% of queries 0.68) and a constant rating "
        "is within a star of the truth 60% of the time; honest work scores about 0.95 on both. "
        "The bar on a track is the larger of ``bar`` and its floor.",
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

    @field_validator("track_bars")
    @classmethod
    def _bars_are_accuracies(cls, bars: dict[TrackName, float]) -> dict[TrackName, float]:
        for track, value in bars.items():
            if not 0.0 < value <= 1.0:
                raise ValueError(f"the bar on the {track} track must lie in (0, 1], got {value}")
        return bars

    def bar_on(self, track: str) -> float:
        """The bar on ``track`` (a ``Track`` value): ``bar``, raised to the track's floor."""
        floors = [value for name, value in self.track_bars.items() if name == track]
        return max([self.bar, *floors])
