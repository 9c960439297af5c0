"""The mechanism dry-run on the web (SPEC §6.9, issue #14): a requester tries a spec from the
new-campaign page before launch, then watches ``/dry-runs/{id}``.

The new-campaign forms (``routes.campaigns``) carry a "Dry-run" button and a few options
(:data:`FIELDS`; a labeling spec also a truth file): their spec is parsed and priced there, so
its problems show at the field as for "Check the cost", then :func:`start_from_form` starts
the run in a worker thread on a throw-away database and sends the browser to the run's page.
That page shows a progress bar refreshed by htmx until the run ends, then the table per
strategy: each strategy's net per hour against the fair wage, in red where it misses its
target (a dishonest strategy that does not lose, honest work paid below the fair wage), and a
bar chart of the same numbers.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from crowdset.core.generation.spec import CampaignSpec
from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.permissions import Action
from crowdset.errors import Conflict, DomainError, InvalidInput
from crowdset.services import dry_runs
from crowdset.services.context import Context
from crowdset.services.dry_runs import DryRuns, DryRunView
from crowdset.sim.attack import AttackReport, run_attack, workflow_of
from crowdset.sim.attackers.strategies import parse_mix
from crowdset.web.deps import ContextDep, Viewer, allowed, text_of
from crowdset.web.rendering import page

router = APIRouter()
Runner = Annotated[Viewer, Depends(allowed(Action.RUN_CAMPAIGNS))]

# The options each new-campaign form carries beside its Dry-run button; errors about the run
# itself (one is already running) show at "dry_run", a labeling truth file's at "truth_file".
FIELDS = ("dry_mix", "dry_seed", "dry_workers")
ERROR_FIELDS = (*FIELDS, "dry_run", "truth_file")
MAX_WORKERS = 200
MAX_TRUTH_BYTES = 16 * 1024 * 1024


def _runs(request: Request) -> DryRuns[AttackReport]:
    runs: DryRuns[AttackReport] = request.app.state.dry_runs
    return runs


def _renamed(error: DomainError, field: str) -> DomainError:
    message = error.message.replace("--mix", "mix").replace("--workers", "workers")
    return type(error)(message, **{**error.fields, "field": field})


def _whole(posted: FormData, name: str, label: str, low: int, high: int) -> int | None:
    text = text_of(posted, name).strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise InvalidInput(
            f"{label} must be a whole number from {low} to {high}, got {text!r}", field=name
        )
    return value


async def _truth(posted: FormData) -> dict[str, object]:
    upload = posted.get("truth_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return {}
    data = await upload.read(MAX_TRUTH_BYTES + 1)
    if len(data) > MAX_TRUTH_BYTES:
        raise InvalidInput(
            f"{upload.filename} is over {MAX_TRUTH_BYTES:,} bytes: keep only the id and truth "
            "columns",
            field="truth_file",
        )
    return dry_runs.read_truth(data, name=upload.filename, field="truth_file")


async def start_from_form(
    request: Request,
    ctx: Context,
    viewer: Viewer,
    spec_text: str,
    spec: CampaignSpec | LabelingSpec,
    posted: FormData,
    items: list[ItemRow] | None = None,
) -> Response:
    """Start the dry-run of a new-campaign form's spec (already parsed and priced) with the
    form's options, and go to its page. Raises ``DomainError`` naming one of
    :data:`ERROR_FIELDS` for the form to show there."""
    seed = _whole(posted, "dry_seed", "The seed", 0, 2**31 - 1) or 0
    workers = _whole(posted, "dry_workers", "Workers", 2, MAX_WORKERS)
    mix = text_of(posted, "dry_mix").strip() or None
    try:
        workflow = workflow_of(spec)
    except InvalidInput as error:
        raise _renamed(error, "dry_run") from None
    if mix is not None:
        try:
            parse_mix(mix, workflow)
        except InvalidInput as error:
            raise _renamed(error, "dry_mix") from None
    truth = await _truth(posted) if isinstance(spec, LabelingSpec) else {}
    work = partial(
        run_attack,
        ctx.settings,  # a throw-away SQLite database: never the live one
        spec_text,
        items,
        truth,
        mix,
        seed,
        workers=workers,
        source="spec",
    )
    try:
        run = _runs(request).start(
            viewer.principal, spec.name, lambda progress: work(on_progress=progress)
        )
    except Conflict as error:
        raise _renamed(error, "dry_run") from None
    return RedirectResponse(f"/dry-runs/{run.id}", status_code=303)


def _context(ctx: Context, run: DryRunView[AttackReport]) -> dict[str, Any]:
    report = run.report
    rows = report.strategies if report is not None else ()
    fair = rows[0].fair_wage_per_hour if rows else float(ctx.settings.fair_hourly_wage)
    return {
        "run": run,
        "report": report,
        "rows": rows,
        "fair": fair,
        "series": {
            "labels": [row.strategy for row in rows],
            "net_per_hour": [round(row.net_per_hour, 2) for row in rows],
            "missed": [row.meets_target is False for row in rows],
            "fair": fair,
            "currency": ctx.settings.currency_name,
        },
    }


@router.get("/dry-runs/{run_id}")
def dry_run_page(request: Request, ctx: ContextDep, viewer: Runner, run_id: str) -> Response:
    run = _runs(request).get(viewer.principal, run_id)
    return page(request, "dry_run.html", _context(ctx, run), title=f"Dry-run of {run.label}")


@router.get("/dry-runs/{run_id}/status")
def dry_run_status(request: Request, ctx: ContextDep, viewer: Runner, run_id: str) -> Response:
    """The part of the run's page htmx refreshes until the run ends."""
    run = _runs(request).get(viewer.principal, run_id)
    return page(request, "dry_run_status.html", _context(ctx, run), fragment=True)
