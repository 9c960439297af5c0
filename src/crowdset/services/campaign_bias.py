"""The bias report of a labeling campaign (SPEC §3): do groups of workers, by one of their
opt-in demographics, answer the same items differently?

The requester sees aggregates only: a group with fewer than ``bias_min_group_size`` workers is
suppressed before any number is computed (``crowdset.core.bias``), and no worker's own answers
to the questions ever leave this module.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from crowdset.errors import InvalidInput
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.labeling import answer_of, spec_of
from crowdset.services.labeling_reports import labeling_campaign_of
from crowdset.storage import campaign_store as store
from crowdset.storage import labeling_store as items_store
from crowdset.storage import users_store

PERMUTATIONS = 2000
RESAMPLES = 1000
NOT_GIVEN = -1  # a worker who did not share this attribute: left out, like a suppressed group


class BiasAttribute(StrEnum):
    """The demographics a campaign's answers can be grouped by."""

    GENDER = "gender"
    AGE_BAND = "age_band"
    COUNTRY = "country"
    EDUCATION = "education"


def campaign_bias(
    ctx: Context,
    viewer: Principal,
    campaign_id: int,
    by: BiasAttribute | str,
    *,
    permutations: int = PERMUTATIONS,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """The report of :func:`crowdset.formats.bias_report.bias_json` over the campaign's kept
    answers to its items (controls left out), workers grouped by ``by``: ratings for rate and
    review campaigns, labels for classify. Refused (``InvalidInput``) while fewer than two
    groups reach the minimum size."""
    from crowdset.core.bias import BiasLevel, bias_report, grouped_answers
    from crowdset.formats.bias_report import bias_json

    try:
        attribute = BiasAttribute(by)
    except ValueError:
        choices = ", ".join(a.value for a in BiasAttribute)
        raise InvalidInput(f"group by one of {choices}; got {by!r}", field="by") from None
    labeling_campaign_of(ctx, viewer, campaign_id)  # who may see it: one place

    def work(session: Session) -> tuple[Any, ...]:
        campaign = store.campaign(session, campaign_id)
        spec = spec_of(campaign)
        kept = [j for j in items_store.judgments(session, campaign.id) if j.kept and not j.gold]
        names = {item.id: item.external_id for item in items_store.items(session, campaign.id)}
        shared = users_store.demographics_of_many(session, [j.worker_id for j in kept])
        groups = {
            worker: getattr(row, attribute.value)
            for worker, row in shared.items()
            if getattr(row, attribute.value)
        }
        answers = [(names[j.item_id], j.worker_id, answer_of(j.answer)) for j in kept]
        return spec.type in ("rate", "review"), answers, groups

    ratings, answers, groups = ctx.db.run(work, readonly=True)
    codes: dict[str, dict[Any, int]] = {"task": {}, "worker": {}, "label": {}, "group": {}}

    def code(kind: str, key: Any) -> int:
        return codes[kind].setdefault(key, len(codes[kind]))

    tasks = [code("task", task) for task, _, _ in answers]
    workers = [code("worker", worker) for _, worker, _ in answers]
    labels = [code("label", label) for _, _, label in answers]
    worker_group = [
        code("group", groups[worker]) if worker in groups else NOT_GIVEN
        for worker in codes["worker"]
    ]
    label_names = [
        "|".join(label) if isinstance(label, tuple) else str(label) for label in codes["label"]
    ]
    level = BiasLevel.RATINGS if ratings else BiasLevel.LABELS
    data = grouped_answers(
        tasks,
        workers,
        labels,
        worker_group,
        level=level,
        values=[float(name) for name in label_names] if ratings else None,
        n_tasks=len(codes["task"]),
        n_labels=len(codes["label"]),
        min_group_size=ctx.settings.bias_min_group_size,
    )
    report = bias_report(data, permutations=permutations, resamples=resamples, rng=seed)
    shown = [f"{value:g}" for value in data.values] if data.values is not None else label_names
    return bias_json(
        report, attribute.value, list(codes["group"]), shown, list(codes["task"]), seed
    )
