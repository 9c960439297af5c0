"""The mechanism dry-run over the API (SPEC §6.9, issue #14): start one on a spec, then poll it.

``POST /sim/attack`` checks the spec (problems with their field paths), the items and the mix
at once, then runs :func:`crowdset.sim.attack.run_attack` in a worker thread on a throw-away
database and answers 202 with the run's address; ``GET /sim/attack/{id}`` says how far it is
and, once done, gives one row per strategy and the summary. Requesters and operators only; a
run is its owner's (an operator may read any).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from crowdset.api.deps import ContextDep, allowed
from crowdset.api.schemas_dry_runs import DryRunBody, DryRunPublic, dry_run_public
from crowdset.core.labeling.items import ItemRow
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.permissions import Action
from crowdset.core.specs import load_any_spec
from crowdset.errors import InvalidInput
from crowdset.services import dry_runs
from crowdset.services.accounts import Principal
from crowdset.services.dry_runs import DryRuns
from crowdset.sim.attack import AttackReport, check_sybil_k, run_attack, workflow_of
from crowdset.sim.attackers.strategies import default_mix, parse_mix

router = APIRouter(tags=["dry-run"])
Runner = Annotated[Principal, Depends(allowed(Action.RUN_CAMPAIGNS))]


def get_dry_runs(request: Request) -> DryRuns[AttackReport]:
    runs: DryRuns[AttackReport] = request.app.state.dry_runs
    return runs


DryRunsDep = Annotated[DryRuns[AttackReport], Depends(get_dry_runs)]


def _renamed(error: InvalidInput, field: str) -> InvalidInput:
    """The engine names the CLI's options (``--mix``); the API says its own field."""
    message = error.message.replace(f"--{field}", field)
    return type(error)(message, **{**error.fields, "field": field})


@router.post(
    "/sim/attack",
    response_model=DryRunPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "You (or the server) already run as many as allowed."}},
)
def start_dry_run(
    request: Request,
    response: Response,
    ctx: ContextDep,
    caller: Runner,
    runs: DryRunsDep,
    body: DryRunBody,
) -> DryRunPublic:
    """Start the mechanism dry-run of a spec: a fresh requester launches its campaign on a
    throw-away database and a crowd with a mix of strategies works it through the real
    services; then each strategy's net income per hour is set against the fair wage. Answers
    202 with the run (poll its `Location`); one run at a time per requester."""
    spec = load_any_spec(body.spec, source="spec")
    try:
        workflow = workflow_of(spec)
    except InvalidInput as error:
        raise _renamed(error, "spec") from None
    items: list[ItemRow] | None = None
    truth: dict[str, object] = {}
    if isinstance(spec, LabelingSpec):
        if not body.items:
            noun = "sentence pairs" if spec.review is not None else "items"
            raise InvalidInput(
                f"a {spec.type} campaign's dry-run needs its {noun}: send them as CSV text in "
                "`items` (id, text or image, gold)",
                field="items",
            )
        items = dry_runs.read_items(body.items.encode(), spec)
        if body.truth:
            truth = dry_runs.read_truth(body.truth.encode())
    elif body.items or body.truth:
        raise InvalidInput(
            "a generation campaign takes no items or truth; those are for classify, rate and "
            "review specs",
            field="items" if body.items else "truth",
        )
    shares = default_mix(workflow)
    if body.mix:
        try:
            shares = parse_mix(body.mix, workflow)
        except InvalidInput as error:
            raise _renamed(error, "mix") from None
    try:
        check_sybil_k(body.sybil_k, shares)
    except InvalidInput as error:
        message = error.message.replace("--sybil-k", "sybil_k").replace("--mix", "mix")
        raise InvalidInput(message, field="sybil_k") from None
    work = partial(
        run_attack,
        ctx.settings,  # a throw-away SQLite database: never the live one
        body.spec,
        items,
        truth,
        body.mix or None,
        body.seed,
        workers=body.workers,
        max_hours=body.max_hours,
        sybil_k=body.sybil_k,
        source="spec",
    )
    run = runs.start(caller, spec.name, lambda progress: work(on_progress=progress))
    response.headers["Location"] = str(request.app.url_path_for("get_dry_run", run_id=run.id))
    return dry_run_public(run)


@router.get("/sim/attack/{run_id}", response_model=DryRunPublic)
def get_dry_run(caller: Runner, runs: DryRunsDep, run_id: str) -> DryRunPublic:
    """A dry-run's status (queued, running, done or failed) and progress; once done, one row
    per strategy and the summary. A finished run is kept for an hour."""
    return dry_run_public(runs.get(caller, run_id))
