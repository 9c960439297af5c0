"""Shapes of the collusion routes (SPEC §6.8, issue #15): the κ table, the flagged groups and
excluding one group."""

from __future__ import annotations

from pydantic import Field

from crowdset.api.schemas import Schema
from crowdset.services.collusion import (
    MAX_REASON_CHARS,
    CollusionView,
    Exclusion,
    GroupRow,
    PairRow,
)


class PairPublic(Schema):
    workers: tuple[str, str] = Field(description="The two workers' pseudonymous ids.")
    shared: int = Field(description="Items both answered.")
    agreed: int = Field(description="Shared items on which they gave the same answer.")
    observed: float = Field(description="agreed / shared.")
    chance: float = Field(
        description="Agreement by chance from the pair's own answer frequencies (Cohen)."
    )
    kappa: float = Field(description="Cohen's κ = (observed − chance) / (1 − chance).")
    expected: float = Field(
        description="Agreement their accuracy on controls explains: a·b + (1 − a)(1 − b) at "
        "their posterior means."
    )
    accuracies: tuple[float, float] = Field(
        description="Each worker's posterior mean accuracy on controls (the prior's 2/3 without)."
    )
    controls: tuple[int, int] = Field(description="Controls each worker answered.")
    p_value: float = Field(
        description="P(at least `agreed` | independent workers at their control accuracies), "
        "averaged over the accuracies' posteriors; bounded from above."
    )
    p_adjusted: float = Field(description="The p-value corrected for testing every pair.")
    flagged: bool = Field(description="p_adjusted ≤ alpha and kappa ≥ min_kappa.")


class GroupTestPublic(Schema):
    workers: list[str] = Field(description="The three to five workers tested together.")
    items: int = Field(description="Items two or more of them answered.")
    agreed: int = Field(description="Of those, the items on which all who answered agreed.")
    kappa: float = Field(description="Fleiss' κ over those items.")
    p_value: float = Field(
        description="P(at least `agreed` | independent workers at their control accuracies), "
        "averaged over the accuracies' posteriors; bounded from above."
    )
    p_adjusted: float = Field(
        description="× the number of groups of that size among the campaign's workers, × the "
        "number of sizes tested (Bonferroni)."
    )


class GroupPublic(Schema):
    workers: list[str] = Field(description="Workers joined by flagged pairs or group tests.")
    pairs: list[PairPublic] = Field(
        description="The κ table among them (pairs with at least `min_shared` items)."
    )
    tests: list[GroupTestPublic] = Field(description="The flagged group tests inside the group.")
    excluded: bool = Field(description="Every member is already barred from the campaign.")


class CollusionPublic(Schema):
    campaign_id: int
    campaign_name: str
    kind: str
    track: str = Field(description="Whose answers were compared: vote, label or rate.")
    items: int = Field(description="Items (queries, or labeling items) with an answer.")
    workers: int = Field(description="Workers with an answer.")
    min_shared: int = Field(description="Shared items before a pair is tested.")
    alpha: float = Field(description="Largest corrected p-value that flags a pair.")
    min_kappa: float = Field(description="Smallest κ that flags a pair.")
    correction: str = Field(description="holm (family-wise) or bh (false discovery rate).")
    groups: list[GroupPublic] = Field(description="Flagged groups, largest first.")
    pairs: list[PairPublic] = Field(
        description="Every pair tested (the κ table), flagged first, then by p-value."
    )


def _pair(row: PairRow) -> PairPublic:
    return PairPublic(
        workers=row.workers,
        shared=row.shared,
        agreed=row.agreed,
        observed=round(row.observed, 4),
        chance=round(row.chance, 4),
        kappa=round(row.kappa, 4),
        expected=round(row.expected, 4),
        accuracies=(round(row.accuracies[0], 4), round(row.accuracies[1], 4)),
        controls=row.controls,
        p_value=float(f"{row.p_value:.4g}"),
        p_adjusted=float(f"{row.p_adjusted:.4g}"),
        flagged=row.flagged,
    )


def _group(row: GroupRow) -> GroupPublic:
    return GroupPublic(
        workers=list(row.workers),
        pairs=[_pair(p) for p in row.pairs],
        tests=[
            GroupTestPublic(
                workers=list(t.workers),
                items=t.items,
                agreed=t.agreed,
                kappa=round(t.kappa, 4),
                p_value=float(f"{t.p_value:.4g}"),
                p_adjusted=float(f"{t.p_adjusted:.4g}"),
            )
            for t in row.tests
        ],
        excluded=row.excluded,
    )


def collusion_public(view: CollusionView) -> CollusionPublic:
    return CollusionPublic(
        campaign_id=view.campaign_id,
        campaign_name=view.campaign_name,
        kind=view.kind,
        track=view.track,
        items=view.items,
        workers=view.workers,
        min_shared=view.min_shared,
        alpha=view.alpha,
        min_kappa=view.min_kappa,
        correction=view.correction,
        groups=[_group(g) for g in view.groups],
        pairs=[_pair(p) for p in view.pairs],
    )


class ExcludeBody(Schema):
    workers: list[str] = Field(
        min_length=1,
        max_length=200,
        description="Pseudonymous ids of members of one flagged group (as the report lists).",
    )
    reason: str = Field(
        "", max_length=MAX_REASON_CHARS, description="Added to each sanction's reason."
    )


class ExclusionPublic(Schema):
    campaign_id: int
    workers: list[str]
    sanctions: list[int] = Field(description="Sanction ids, one per track revoked (appealable).")
    fined: int = Field(description="Minor units fined, all workers together.")
    clawed_back: int = Field(description="Pending pay returned to the escrow, minor units.")
    queries_returned: int = Field(
        description="The group's accepted queries sent back to validation."
    )


def exclusion_public(found: Exclusion) -> ExclusionPublic:
    return ExclusionPublic(
        campaign_id=found.campaign_id,
        workers=list(found.workers),
        sanctions=list(found.sanctions),
        fined=found.fined,
        clawed_back=found.clawed_back,
        queries_returned=found.queries_returned,
    )
