"""A requester's labeling campaign (SPEC §3) on the web: the items file uploaded beside the spec,
the cost before launch, the dashboard (progress, the judgments dynamic overlap saved, the
workers' live accuracy with its interval, revocations, the pilot, the guarantee), audits and
the results download. A review (SPEC §4) adds its packages, the pool payout at close and the
kept and removed pairs' downloads (``web.review_views``).

``routes.campaigns`` owns the pages every campaign shares (new, dashboard, lifecycle) and calls
here when the campaign is a labeling one.
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from crowdset.core.economics import wage_floor
from crowdset.core.ids import Id
from crowdset.core.labeling.items import ItemRow, parse_items
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.permissions import Action
from crowdset.errors import DomainError, ImportFailed, InvalidInput
from crowdset.formats.answers import FORMATS, file_format, read_table
from crowdset.formats.items import results_text
from crowdset.formats.parallel_writers import OutputFormat
from crowdset.formats.review import write_reviewed, write_reviewed_jsonl
from crowdset.services import campaigns, labeling, labeling_reports, review_reports
from crowdset.services.campaigns import CampaignView
from crowdset.services.context import Context
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash
from crowdset.web.forms import Form, message_of
from crowdset.web.rendering import page
from crowdset.web.review_views import requester_context, review_cost

router = APIRouter()
Runner = Annotated[Viewer, Depends(allowed(Action.RUN_CAMPAIGNS))]
ResultsFormat = Literal["csv", "jsonl"]

RESULTS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv", "CSV: one row per item; several labels joined by |"),
    "jsonl": ("application/jsonl", "JSONL: one object per item; several labels as a list"),
}
PAIR_DOWNLOADS: dict[str, tuple[str, str]] = {
    "kept/tsv": ("text/tab-separated-values", "Kept pairs, TSV: source, tab, target"),
    "kept/jsonl": ("application/jsonl", "Kept pairs, JSONL with score, mean, rank and ratings"),
    "removed/jsonl": ("application/jsonl", "Removed pairs, JSONL with the reason for each"),
}
MAX_ITEMS_BYTES = 64 * 1024 * 1024
PREVIEW_ROWS = 10
EVENTS_SHOWN = 20


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- a new labeling campaign: the spec and its items file ---------------------------------------


async def uploaded_items(posted: FormData, spec: LabelingSpec) -> tuple[list[ItemRow], str]:
    """The items of the form's ``items_file``, validated row by row against ``spec``; errors
    name the file as the requester called it, the row and the column.

    Image cells must be URLs (http(s) or ``data:``): a file uploaded to the server names no
    image on the requester's disk, and the server's own files are not for embedding."""
    upload = posted.get("items_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput(
            "Choose the items file: CSV, TSV, JSONL or Parquet with a text (or image) column, "
            "and optionally id and gold.",
            field="items",
        )
    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    file_format(Path(name))  # refuses an unknown extension, naming the ones it reads
    data = await upload.read(MAX_ITEMS_BYTES + 1)
    if len(data) > MAX_ITEMS_BYTES:
        raise ImportFailed(
            f"{name} is over {MAX_ITEMS_BYTES:,} bytes: split the items into several campaigns",
            field="items",
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"items{suffix}"
        path.write_bytes(data)
        try:
            frame = read_table(path)
        except DomainError as error:  # say the requester's file name, not our temporary one
            raise ImportFailed(error.message.replace(str(path), name), field="items") from None
    rows = [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
    return parse_items(rows, spec, source=name), name


def labeling_cost(
    ctx: Context, spec: LabelingSpec, items: int, gold: int, items_file: str = ""
) -> dict[str, Any]:
    """What launching would move into escrow (``items`` regular items) and the fair-wage
    floor; refuses an under-priced spec with the floor."""
    settings = ctx.settings
    return {
        "estimate": campaigns.estimate_labeling_cost(ctx, spec, items),
        "per_judgment": labeling.pricing_of(ctx, spec).per_judgment,
        "floor": wage_floor(
            spec.seconds_per_judgment, settings.fair_hourly_wage, settings.minor_per_unit
        ),
        "seconds": spec.seconds_per_judgment,
        "spec": spec,
        "gold_items": gold,
        "items_file": items_file,
    }


# --- the dashboard ------------------------------------------------------------------------------


def dashboard_context(
    ctx: Context, viewer: Viewer, view: CampaignView, *, full: bool = True
) -> dict[str, Any]:
    """What the labeling dashboard shows; ``full`` adds what its refreshed part leaves out."""
    spec = view.spec
    assert isinstance(spec, LabelingSpec)
    report = labeling_reports.report(ctx, viewer.principal, view.id)
    cost: dict[str, Any] | None = None
    cost_error = None
    if view.status == "draft":
        try:
            if spec.review is not None:
                cost = review_cost(ctx, spec, report.items, report.gold_items)
            else:
                cost = labeling_cost(ctx, spec, report.items, report.gold_items)
        except DomainError as error:
            cost_error = message_of(error, ctx.settings)
    try:
        price: int | None = labeling.pricing_of(ctx, spec).per_judgment
    except DomainError:
        price = None
    events = campaigns.events(ctx, viewer.principal, view.id)
    preview: list[labeling_reports.ItemResult] = []
    if full:
        results = labeling_reports.results(ctx, viewer.principal, view.id)
        preview = [r for r in results if r.status == "settled"][:PREVIEW_ROWS]
    review: dict[str, Any] | None = None
    if spec.review is not None:
        review = requester_context(ctx, viewer.principal, view.id, events)
    return {
        "review": review,
        "pair_downloads": PAIR_DOWNLOADS,
        "campaign": view,
        "spec": spec,
        "report": report,
        "price": price,
        "cost": cost,
        "cost_error": cost_error,
        "events": list(reversed(events[-EVENTS_SHOWN:])),
        "revocations": sum(e.kind == "worker_revoked" for e in events),
        "pilot_complete": report.pilot_units is not None
        and report.pilot_done >= report.pilot_units,
        "actions": [a for a, states in campaigns.TRANSITIONS.items() if view.status in states],
        "results_formats": RESULTS,
        "preview": preview,
        "top_up": Form.with_key(),
        "blacklist": Form(),
        "audit": Form(),
    }


def dashboard_page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    view: CampaignView,
    status: int = 200,
    **overrides: Any,
) -> Response:
    context = dashboard_context(ctx, viewer, view) | overrides
    return page(request, "dashboard_labeling.html", context, status_code=status, title=view.name)


# --- audits and results -------------------------------------------------------------------------


@router.post("/campaigns/{campaign_id}/audit")
def audit(
    request: Request, ctx: ContextDep, viewer: Runner, posted: FormDep, campaign_id: Id
) -> Response:
    """The requester checked one delivered label by hand: it counts toward the guarantee."""
    view = campaigns.get_campaign(ctx, viewer.principal, campaign_id)
    if view.kind not in labeling.LABELING_KINDS:
        raise InvalidInput(
            f"campaign {campaign_id} is a {view.kind} campaign: audits are for labeling campaigns",
            campaign_id=campaign_id,
        )
    form = Form.of(posted, ("item", "verdict"))
    item = form.value("item").strip()
    verdict = form.value("verdict")
    if not item:
        form.error("item", "Enter the item's id, as in your items file and the results.")
    if verdict not in ("correct", "wrong"):
        form.error("verdict", "Say whether the delivered label is correct or wrong.")
    if not form.invalid:
        try:
            labeling_reports.audit(ctx, viewer.principal, campaign_id, item, verdict == "correct")
        except DomainError as error:
            if error.status == 404 and "external_id" not in error.fields:
                raise  # the campaign itself: not found
            form.error("item", message_of(error, ctx.settings))
    if form.invalid:
        return dashboard_page(request, ctx, viewer, view, 422, audit=form)
    flash(request, f"Item {item} audited: its label is {verdict}. It counts toward the guarantee.")
    return _see_other(f"/campaigns/{campaign_id}#guarantee-heading")


def _pairs_download(
    ctx: Context, viewer: Viewer, campaign_id: Id, which: Literal["kept", "removed"], format: str
) -> Response:
    """A review's kept pairs (TSV, or JSONL with their scores) or removed pairs (JSONL with
    the reason); challenge pairs are the requester's own and not included."""
    found = review_reports.reviewed_pairs(ctx, viewer.principal, campaign_id)
    records = [dataclasses.asdict(p) for p in (found.kept if which == "kept" else found.removed)]
    buffer = io.StringIO()
    if format == "tsv":
        write_reviewed(records, OutputFormat.TSV, [buffer])
    else:
        write_reviewed_jsonl(records, buffer)
    media_type, _ = PAIR_DOWNLOADS[f"{which}/{format}"]
    return Response(
        buffer.getvalue(),
        media_type=media_type,
        headers={
            "Content-Disposition": (
                f'attachment; filename="campaign-{campaign_id}-{which}.{format}"'
            )
        },
    )


@router.get("/campaigns/{campaign_id}/pairs/kept/{format}")
def kept_pairs(
    ctx: ContextDep, viewer: Runner, campaign_id: Id, format: Literal["tsv", "jsonl"]
) -> Response:
    return _pairs_download(ctx, viewer, campaign_id, "kept", format)


@router.get("/campaigns/{campaign_id}/pairs/removed/{format}")
def removed_pairs(
    ctx: ContextDep, viewer: Runner, campaign_id: Id, format: Literal["jsonl"]
) -> Response:
    return _pairs_download(ctx, viewer, campaign_id, "removed", format)


@router.get("/campaigns/{campaign_id}/results/{format}")
def results(ctx: ContextDep, viewer: Runner, campaign_id: Id, format: ResultsFormat) -> Response:
    """The delivered labels of the regular items (gold items are the requester's own)."""
    rows = [
        dataclasses.asdict(row)
        for row in labeling_reports.results(ctx, viewer.principal, campaign_id)
    ]
    media_type, _ = RESULTS[format]
    return Response(
        results_text(rows, format),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-results.{format}"'
        },
    )


assert set(RESULTS) <= set(FORMATS.values())
