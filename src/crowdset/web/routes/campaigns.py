"""Requester pages (SPEC §1–§3): campaigns, a new one from a form or a spec (a labeling spec
with its items file), its cost before launch, the lifecycle buttons, the live dashboard,
cross-validation flags and exports. A labeling campaign's dashboard, audits and results are in
``routes.labeling_campaigns``; the pages here branch on the campaign's kind."""

from __future__ import annotations

import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from crowdset.core.documents import load_document
from crowdset.core.economics import wage_floor
from crowdset.core.generation.crossval import CrossValidationReport
from crowdset.core.generation.spec import CampaignSpec, load_spec, parse_spec
from crowdset.core.ids import Id
from crowdset.core.labeling.spec import LabelingSpec, load_labeling_spec
from crowdset.core.money import parse_amount
from crowdset.core.permissions import Action
from crowdset.errors import DomainError, SpecInvalid
from crowdset.formats.nlu import NLU_FORMATS, write_dataset
from crowdset.services import campaign_stats, campaigns, generation, labeling, labeling_reports
from crowdset.services.context import Context
from crowdset.settings import Settings
from crowdset.web.deps import ContextDep, FormDep, Viewer, allowed, flash, text_of
from crowdset.web.forms import Form, message_of
from crowdset.web.rendering import page
from crowdset.web.routes import dry_runs, labeling_campaigns

router = APIRouter()
Runner = Annotated[Viewer, Depends(allowed(Action.RUN_CAMPAIGNS))]
Lifecycle = Literal["launch", "accept_pilot", "pause", "resume", "close"]
ExportFormat = Literal["snips", "rasa", "jsonl"]

EXPORTS: dict[str, tuple[str, str, str]] = {
    "snips": ("application/json", "json", "Snips NLU dataset (JSON)"),
    "rasa": ("application/yaml", "yml", "Rasa NLU (YAML)"),
    "jsonl": ("application/jsonl", "jsonl", "JSONL: spans, votes, pseudonymous workers"),
}
assert set(EXPORTS) == set(NLU_FORMATS)

# The guided form's inputs and the spec paths they fill (an error at a path shows there).
FORM_FIELDS = (
    "name",
    "language",
    "per_query",
    "per_vote",
    "validators_per_query",
    "min_stake",
    "intents",
)
SPEC_PATHS = {
    "name": "name",
    "language": "language",
    "prices.per_query": "per_query",
    "prices.per_vote": "per_vote",
    "prices": "per_query",
    "validators_per_query": "validators_per_query",
    "min_stake": "min_stake",
}
EXAMPLE_INTENTS = """\
- name: SwitchLightOn
  description: Switch the lights on
  target: 20
  slots:
    - {name: room, values: [living room, kitchen, bedroom]}
  seeds:
    - turn on the lights in the [room:living room]
    - switch the [room:kitchen] light on please
"""
EXAMPLE_FORM = {
    "name": "",
    "language": "en",
    "per_query": "0.80",
    "per_vote": "0.20",
    "validators_per_query": "3",
    "min_stake": "10",
    "intents": EXAMPLE_INTENTS,
}


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/campaigns")
def list_campaigns(request: Request, ctx: ContextDep, viewer: Runner) -> Response:
    rows: list[tuple[campaigns.CampaignView, str, int | None]] = []
    for view in campaigns.list_campaigns(ctx, viewer.principal):
        if view.kind in labeling.LABELING_KINDS:
            report = labeling_reports.report(ctx, viewer.principal, view.id)
            rows.append((view, f"{report.settled} / {report.items} settled", None))
        else:
            found = campaigns.progress(ctx, viewer.principal, view.id)
            rows.append((view, f"{found.accepted} / {found.target} accepted", found.escrow_left))
    return page(request, "campaigns.html", {"rows": rows}, title="Campaigns")


# --- a new campaign ---------------------------------------------------------------------------


def _cost(ctx: Context, spec: CampaignSpec) -> dict[str, Any]:
    """The estimate and the fair-wage floors shown before anything is spent."""
    settings = ctx.settings
    prices = generation.pricing_of(ctx, spec)  # refuses an under-priced spec with the floor
    return {
        "estimate": campaigns.estimate_cost(ctx, spec),
        "per_query": prices.per_query,
        "per_vote": prices.per_vote,
        "floor_query": wage_floor(
            spec.seconds_per_query, settings.fair_hourly_wage, settings.minor_per_unit
        ),
        "floor_vote": wage_floor(
            spec.seconds_per_vote, settings.fair_hourly_wage, settings.minor_per_unit
        ),
        "seconds_per_query": spec.seconds_per_query,
        "seconds_per_vote": spec.seconds_per_vote,
    }


def _new_page(
    request: Request,
    guided: Form,
    upload: Form,
    cost: dict[str, Any] | None = None,
    status: int = 200,
    labeling_form: Form | None = None,
    labeling_cost: dict[str, Any] | None = None,
) -> Response:
    return page(
        request,
        "campaign_new.html",
        {
            "guided": guided,
            "upload": upload,
            "cost": cost,
            "labeling": labeling_form or Form(),
            "labeling_cost": labeling_cost,
        },
        status_code=status,
        title="New campaign",
    )


@router.get("/campaigns/new")
def new_campaign(request: Request, viewer: Runner) -> Response:
    return _new_page(request, Form(dict(EXAMPLE_FORM)), Form())


def _guided_document(posted: FormData) -> dict[str, Any]:
    intents = load_document(text_of(posted, "intents"), source="intents")
    return {
        "name": text_of(posted, "name").strip(),
        "language": text_of(posted, "language").strip(),
        "prices": {
            "per_query": text_of(posted, "per_query"),
            "per_vote": text_of(posted, "per_vote"),
        },
        "validators_per_query": text_of(posted, "validators_per_query"),
        "min_stake": text_of(posted, "min_stake") or "0",
        "intents": intents,
    }


async def _spec_text(posted: FormData, name: str = "spec") -> str:
    """The spec from the file input ``<name>_file`` when one is chosen, else the pasted text."""
    upload = posted.get(f"{name}_file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SpecInvalid(
                f"{upload.filename} is not UTF-8 text: save the spec as UTF-8 YAML or JSON",
                field=name,
            ) from None
    return text_of(posted, name)


def _spec_problems(error: DomainError, settings: Settings) -> list[tuple[str, str]]:
    """(path, text to show) for each problem a spec error names; the text leads with the path
    where the path is not the field itself."""
    listed = error.fields.get("errors")
    if isinstance(listed, list) and listed:
        return [
            (str(item.get("field", "")), f"{item.get('field', '')}: {item.get('message', '')}")
            for item in listed
        ]
    return [(str(error.fields.get("field", "")), message_of(error, settings))]


@router.post("/campaigns/new")
async def create_campaign(
    request: Request, ctx: ContextDep, viewer: Runner, posted: FormDep
) -> Response:
    source = text_of(posted, "source")
    action = text_of(posted, "action")
    if source == "labeling":
        return await _create_labeling(request, ctx, viewer, posted, action)
    guided = (
        Form.of(posted, FORM_FIELDS + dry_runs.FIELDS)
        if source == "form"
        else Form(dict(EXAMPLE_FORM))
    )
    upload = Form.of(posted, ("spec", *dry_runs.FIELDS)) if source == "spec" else Form()
    form = guided if source == "form" else upload
    try:
        if source == "form":
            document = _guided_document(posted)
            spec = parse_spec(document, source="form")
            text = json.dumps(document, ensure_ascii=False, default=str)
        else:
            text = await _spec_text(posted)
            upload.values["spec"] = text  # an uploaded file comes back as text to fix
            if not text.strip():
                upload.error("spec", "Paste a spec or choose a YAML or JSON file.")
                return _new_page(request, guided, upload, status=422)
            spec = load_spec(text, source="spec")
        cost = _cost(ctx, spec)
        if action == "dry-run":
            return await dry_runs.start_from_form(request, ctx, viewer, text, spec, posted)
        if action != "create":
            return _new_page(request, guided, upload, cost)
        view = campaigns.create_campaign(ctx, viewer.principal, spec)
    except DomainError as error:
        for path, message in _spec_problems(error, ctx.settings):
            target = SPEC_PATHS.get(path, "intents") if source == "form" else "spec"
            form.error(path if path in dry_runs.ERROR_FIELDS else target, message)
        return _new_page(request, guided, upload, status=422)
    flash(request, f"Draft “{view.name}” created. Check the cost, then launch it.")
    return _see_other(f"/campaigns/{view.id}")


async def _create_labeling(
    request: Request, ctx: Context, viewer: Viewer, posted: FormData, action: str
) -> Response:
    """A labeling spec and its items file: the cost, or a draft. Spec problems show at the
    spec (with their paths), items problems at the items file (with the row and column)."""
    form = Form.of(posted, ("labeling_spec", *dry_runs.FIELDS))

    def refused() -> Response:
        return _new_page(request, Form(dict(EXAMPLE_FORM)), Form(), status=422, labeling_form=form)

    spec: LabelingSpec | None = None
    try:
        text = await _spec_text(posted, "labeling_spec")
        form.values["labeling_spec"] = text  # an uploaded file comes back as text to fix
        if not text.strip():
            form.error("labeling_spec", "Paste a labeling spec or choose a YAML or JSON file.")
        else:
            spec = load_labeling_spec(text, source="spec")
    except DomainError as error:
        for _, message in _spec_problems(error, ctx.settings):
            form.error("labeling_spec", message)
    if spec is None:
        return refused()
    try:
        items, items_file = await labeling_campaigns.uploaded_items(posted, spec)
    except DomainError as error:
        form.error("items_file", message_of(error, ctx.settings))
        return refused()
    gold = sum(item.gold is not None for item in items)
    try:
        cost = labeling_campaigns.labeling_cost(ctx, spec, len(items) - gold, gold, items_file)
        if action == "dry-run":
            return await dry_runs.start_from_form(request, ctx, viewer, text, spec, posted, items)
        if action != "create":
            return _new_page(
                request,
                Form(dict(EXAMPLE_FORM)),
                Form(),
                labeling_form=form,
                labeling_cost=cost,
            )
        view = campaigns.create_campaign(ctx, viewer.principal, spec, items)
    except DomainError as error:
        target = "items_file" if error.fields.get("field") == "items" else "labeling_spec"
        for path, message in _spec_problems(error, ctx.settings):
            form.error(path if path in dry_runs.ERROR_FIELDS else target, message)
        return refused()
    flash(
        request,
        f"Draft “{view.name}” created with {len(items)} items ({gold} gold). Check the cost, "
        "then launch it.",
    )
    return _see_other(f"/campaigns/{view.id}")


# --- one campaign -----------------------------------------------------------------------------


def _series_json(ctx: Context, series: campaign_stats.CampaignSeries) -> dict[str, Any]:
    per_unit = ctx.settings.minor_per_unit
    points = series.points
    span = points[-1].at - points[0].at
    shape = "%H:%M:%S" if span.total_seconds() < 3600 else "%H:%M"
    if len({p.at.date() for p in points}) > 1:
        shape = "%m-%d %H:%M"
    return {
        "labels": [p.at.strftime(shape) for p in points],
        "submitted": [p.submitted for p in points],
        "accepted": [p.accepted for p in points],
        "rejected": [p.rejected for p in points],
        "acceptance": [
            None if p.acceptance_rate is None else round(100 * p.acceptance_rate, 1) for p in points
        ],
        "spent": [p.spent / per_unit for p in points],
        "escrow": series.escrow_funded / per_unit,
        "currency": ctx.settings.currency_name,
    }


def _dashboard(ctx: Context, viewer: Viewer, campaign_id: Id) -> dict[str, Any]:
    view = campaigns.get_campaign(ctx, viewer.principal, campaign_id)
    cost: dict[str, Any] | None = None
    cost_error = None
    if view.status == "draft":
        try:
            cost = _cost(ctx, campaigns.generation_spec(view, "cost estimate"))
        except DomainError as error:
            cost_error = message_of(error, ctx.settings)
    submitted = campaigns.submitted_queries(ctx, viewer.principal, campaign_id)
    return {
        "campaign": view,
        "progress": campaigns.progress(ctx, viewer.principal, campaign_id),
        "series": _series_json(ctx, campaign_stats.campaign_series(ctx, viewer.principal, view.id)),
        "flags": campaign_stats.stored_flags(ctx, viewer.principal, campaign_id),
        "recent": list(reversed(submitted[-20:])),
        "events": list(reversed(campaigns.events(ctx, viewer.principal, campaign_id)[-15:])),
        "actions": [a for a, states in campaigns.TRANSITIONS.items() if view.status in states],
        "cost": cost,
        "cost_error": cost_error,
        "exports": EXPORTS,
        "report": None,
        "top_up": Form.with_key(),
        "blacklist": Form(),
    }


def _dashboard_page(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    campaign_id: Id,
    status: int = 200,
    **overrides: Any,
) -> Response:
    view = campaigns.get_campaign(ctx, viewer.principal, campaign_id)
    if view.kind in labeling.LABELING_KINDS:
        return labeling_campaigns.dashboard_page(request, ctx, viewer, view, status, **overrides)
    context = _dashboard(ctx, viewer, campaign_id) | overrides
    return page(
        request, "dashboard.html", context, status_code=status, title=context["campaign"].name
    )


@router.get("/campaigns/{campaign_id}")
def dashboard(request: Request, ctx: ContextDep, viewer: Runner, campaign_id: Id) -> Response:
    return _dashboard_page(request, ctx, viewer, campaign_id)


@router.get("/campaigns/{campaign_id}/live")
def live(request: Request, ctx: ContextDep, viewer: Runner, campaign_id: Id) -> Response:
    """The part of the dashboard htmx refreshes while the campaign runs."""
    view = campaigns.get_campaign(ctx, viewer.principal, campaign_id)
    if view.kind in labeling.LABELING_KINDS:
        context = labeling_campaigns.dashboard_context(ctx, viewer, view, full=False)
        return page(request, "dashboard_labeling_live.html", context, fragment=True)
    return page(request, "dashboard_live.html", _dashboard(ctx, viewer, campaign_id), fragment=True)


def _lifecycle_route(action: Lifecycle) -> None:
    move = {
        "launch": campaigns.launch,
        "accept_pilot": campaigns.accept_pilot,
        "pause": campaigns.pause,
        "resume": campaigns.resume,
        "close": campaigns.close,
    }[action]

    def change(
        request: Request, ctx: ContextDep, viewer: Runner, posted: FormDep, campaign_id: Id
    ) -> Response:
        try:
            view = move(ctx, viewer.principal, campaign_id)
        except DomainError as error:
            if error.status == 404:
                raise
            flash(request, message_of(error, ctx.settings), "error")
        else:
            flash(request, f"Campaign {campaigns.PAST[action]}: it is {view.status} now.")
        return _see_other(f"/campaigns/{campaign_id}")

    router.add_api_route(
        f"/campaigns/{{campaign_id}}/{action.replace('_', '-')}",
        change,
        methods=["POST"],
        name=action,
    )


for _action in ("launch", "accept_pilot", "pause", "resume", "close"):
    _lifecycle_route(_action)


@router.post("/campaigns/{campaign_id}/escrow")
def top_up(
    request: Request, ctx: ContextDep, viewer: Runner, posted: FormDep, campaign_id: Id
) -> Response:
    form = Form.of(posted, ("amount", "idempotency_key"))
    try:
        amount = parse_amount(text_of(posted, "amount") or "0", ctx.settings.currency_decimals)
        if amount <= 0:
            form.error("amount", "Enter an amount above zero, like 50 or 12.50.")
        else:
            campaigns.top_up(
                ctx,
                viewer.principal,
                campaign_id,
                amount,
                idempotency_key=form.value("idempotency_key") or None,
            )
    except DomainError as error:
        if error.status == 404:
            raise
        form.fail(error, ctx.settings, default="amount")
    if form.invalid:
        form.renew_key()
        return _dashboard_page(request, ctx, viewer, campaign_id, 422, top_up=form)
    flash(request, f"Added {form.value('amount')} to the escrow.")
    return _see_other(f"/campaigns/{campaign_id}")


@router.post("/campaigns/{campaign_id}/cross-validation")
def cross_validation(
    request: Request, ctx: ContextDep, viewer: Runner, posted: FormDep, campaign_id: Id
) -> Response:
    report: CrossValidationReport | None = None
    try:
        report = campaigns.cross_validation(ctx, viewer.principal, campaign_id)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(request, message_of(error, ctx.settings), "error")
        return _see_other(f"/campaigns/{campaign_id}")
    return _dashboard_page(request, ctx, viewer, campaign_id, report=report)


@router.post("/campaigns/{campaign_id}/blacklist")
def blacklist(
    request: Request, ctx: ContextDep, viewer: Runner, posted: FormDep, campaign_id: Id
) -> Response:
    form = Form.of(posted, ("worker",))
    worker = form.value("worker").strip()
    try:
        returned = campaigns.blacklist(ctx, viewer.principal, campaign_id, worker)
    except DomainError as error:
        if error.status == 404 and "worker" not in error.fields:
            raise
        form.fail(error, ctx.settings, default="worker")
        return _dashboard_page(request, ctx, viewer, campaign_id, 422, blacklist=form)
    flash(
        request,
        f"Worker {worker} is barred from this campaign; {returned} accepted "
        "queries went back to validation.",
    )
    return _see_other(f"/campaigns/{campaign_id}")


@router.get("/campaigns/{campaign_id}/export/{format}")
def export(ctx: ContextDep, viewer: Runner, campaign_id: Id, format: ExportFormat) -> Response:
    view = campaigns.get_campaign(ctx, viewer.principal, campaign_id)
    queries = campaigns.accepted_queries(ctx, viewer.principal, campaign_id)
    buffer = io.StringIO()
    write_dataset(
        queries, format, buffer, language=campaigns.generation_spec(view, "export").language
    )
    media_type, extension, _ = EXPORTS[format]
    return Response(
        buffer.getvalue(),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}.{extension}"'
        },
    )
