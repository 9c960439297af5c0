"""The bias tab of a labeling campaign (SPEC §3, issue #21): pick a demographic, see whether
the groups of workers answer the same items differently, with the plot. Aggregates only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from crowdset.core.ids import Id
from crowdset.core.permissions import Action
from crowdset.errors import InvalidInput
from crowdset.services import campaigns
from crowdset.services.campaign_bias import BiasAttribute, campaign_bias
from crowdset.web.deps import ContextDep, Viewer, allowed
from crowdset.web.rendering import page

router = APIRouter()
Runner = Annotated[Viewer, Depends(allowed(Action.RUN_CAMPAIGNS))]
ATTRIBUTES = {
    BiasAttribute.GENDER: "Gender",
    BiasAttribute.AGE_BAND: "Age band",
    BiasAttribute.COUNTRY: "Country",
    BiasAttribute.EDUCATION: "Education",
}


@router.get("/campaigns/{campaign_id}/bias")
def bias(
    request: Request,
    ctx: ContextDep,
    viewer: Runner,
    campaign_id: Id,
    by: Annotated[BiasAttribute, Query()] = BiasAttribute.GENDER,
) -> Response:
    from crowdset.formats.bias_report import bias_svg

    campaign = campaigns.get_campaign(ctx, viewer.principal, campaign_id)
    report: dict[str, Any] | None = None
    problem = None
    try:
        report = campaign_bias(ctx, viewer.principal, campaign_id, by)
    except InvalidInput as error:  # too few groups yet: said on the page, with the choices
        problem = error.message
    return page(
        request,
        "bias.html",
        {
            "campaign": campaign,
            "by": by,
            "attributes": ATTRIBUTES,
            "report": report,
            "problem": problem,
            "plot": None if report is None else bias_svg(report, f"by {ATTRIBUTES[by].lower()}"),
            "min_group_size": ctx.settings.bias_min_group_size,
        },
        title=f"Bias · {campaign.name}",
    )
