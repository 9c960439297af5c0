"""A generation campaign's rules as the use cases see them (SPEC §2): the spec parsed once per
process, prices in minor units, the stake the mechanism requires, values and spans as stored."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from crowdset.core.generation.checks import CheckRules
from crowdset.core.generation.copies import seed_template
from crowdset.core.generation.model import SlotValue, Span
from crowdset.core.generation.plan import Pricing, pricing, required_stake, seed_texts
from crowdset.core.generation.spec import CampaignSpec
from crowdset.core.mechanism.newcomers import bounty_tasks
from crowdset.services.context import Context
from crowdset.storage.models import Campaign


@dataclass(frozen=True)
class CampaignRules:
    """A campaign's spec with what every use case derives from it, parsed once per process."""

    spec: CampaignSpec
    seeds: dict[str, list[str]]  # intent → seed examples as plain text
    checks: CheckRules
    seed_templates: tuple[str, ...] = ()  # every intent's seeds delexicalised (SPEC §6.7)

    @property
    def seed_texts(self) -> list[str]:
        """Every intent's seeds as plain text."""
        return [text for texts in self.seeds.values() for text in texts]


@lru_cache(maxsize=64)
def _rules(digest: str, spec_json: str) -> CampaignRules:
    spec = CampaignSpec.model_validate_json(spec_json)
    return CampaignRules(
        spec=spec,
        seeds={intent.name: seed_texts(intent) for intent in spec.intents},
        checks=check_rules(spec),
        seed_templates=tuple(
            seed_template(seed) for intent in spec.intents for seed in intent.seeds
        ),
    )


_BY_DIGEST: dict[str, CampaignRules] = {}


def rules_of(campaign: Campaign) -> CampaignRules:
    """The campaign's rules. Specs never change after creation, so they are cached by the
    digest stored beside them and the (large) spec column is read only on a cache miss."""
    found = _BY_DIGEST.get(campaign.spec_digest)
    if found is None:
        found = _rules(campaign.spec_digest, json.dumps(campaign.spec, sort_keys=True))
        if len(_BY_DIGEST) > 64:
            _BY_DIGEST.clear()
        _BY_DIGEST[campaign.spec_digest] = found
    return found


def spec_of(campaign: Campaign) -> CampaignSpec:
    return rules_of(campaign).spec


def spec_digest(spec_json: dict[str, object]) -> str:
    canonical = json.dumps(spec_json, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def pricing_of(ctx: Context, spec: CampaignSpec) -> Pricing:
    settings = ctx.settings
    return pricing(
        spec,
        fair_hourly_wage=settings.fair_hourly_wage,
        minor_per_unit=settings.minor_per_unit,
        fee_share=settings.platform_fee_share,
    )


def values_of(rows: list[dict[str, str]]) -> tuple[SlotValue, ...]:
    return tuple(SlotValue(row["slot"], row["entity"], row["value"]) for row in rows)


def values_json(values: tuple[SlotValue, ...]) -> list[dict[str, str]]:
    return [{"slot": v.slot, "entity": v.entity, "value": v.value} for v in values]


def spans_of(rows: list[dict[str, object]]) -> tuple[Span, ...]:
    return tuple(
        Span(int(str(r["start"])), int(str(r["end"])), str(r["slot"]), str(r["entity"]))
        for r in rows
    )


def check_rules(spec: CampaignSpec) -> CheckRules:
    return CheckRules(
        min_words=spec.checks.min_words,
        max_words=spec.checks.max_words,
        near_duplicate_similarity=spec.checks.near_duplicate_similarity,
        language=spec.language if spec.checks.language else None,
    )


def required_stake_of(ctx: Context, spec: CampaignSpec) -> int:
    """The stake (minor units) a worker needs to get offers: the spec's ``min_stake``, raised
    to what covers the largest fines reachable before revocation (SPEC §6.4,
    :func:`crowdset.core.generation.plan.required_stake`)."""
    own = int(spec.min_stake * ctx.settings.minor_per_unit)
    return max(own, required_stake(spec, pricing_of(ctx, spec)), 1)


def bounty_tasks_of(ctx: Context, spec: CampaignSpec) -> int | None:
    """The campaign's bounty tasks (``None``: no bounty): ``bounty.tasks``, or as many as pay
    the required stake at the expected acceptance (``core.mechanism.newcomers.bounty_tasks``)."""
    if spec.bounty is None:
        return None
    return bounty_tasks(
        spec.bounty,
        required_stake=required_stake_of(ctx, spec),
        pay_per_task=pricing_of(ctx, spec).per_query,
        acceptance=spec.expected_acceptance,
    )
