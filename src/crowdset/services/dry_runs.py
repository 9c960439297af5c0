"""Dry-runs in the background (SPEC §6.9): a requester's mechanism dry-run started from the API
or the web runs in a worker thread while its page or its poller reads the progress.

The registry holds each run in memory (what it is doing, how far, then its report or its error)
and forgets a finished run an hour after it ended. It bounds the work: one run at a time per
requester and two per process; one more is refused with a ``Conflict`` naming the run in the
way. A run's work is any callable taking a progress callback ``(what, done, total)``: the
adapters bind :func:`crowdset.sim.attack.run_attack` to its inputs (the layers keep services
below the simulator), so that every run uses a throw-away database, never the live one. A job
queue that survives restarts is for a later issue.

The inputs of a run arrive as text or uploaded bytes: :func:`read_items` and :func:`read_truth`
read them with the readers campaign creation uses, errors naming the field and the row.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar

from crowdset.core.labeling.items import ItemRow, parse_items
from crowdset.core.labeling.spec import LabelingSpec
from crowdset.core.permissions import Role
from crowdset.errors import Conflict, DomainError, ImportFailed, InvalidInput, NotFound
from crowdset.formats.answers import file_format, read_table
from crowdset.services.accounts import Principal
from crowdset.services.context import system_clock

log = logging.getLogger(__name__)

R = TypeVar("R")
OnProgress = Callable[[str, int, int], None]  # (what, done, total)
Work = Callable[[OnProgress], R]

PER_REQUESTER = 1
PER_PROCESS = 2
KEEP = timedelta(hours=1)


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class RunProgress:
    what: str
    done: int
    total: int


@dataclass(frozen=True)
class DryRunView(Generic[R]):
    """One run as its owner sees it; ``report`` once done, ``error`` (and its code) once
    failed."""

    id: str
    owner_id: int
    label: str
    status: RunStatus
    created_at: datetime
    progress: RunProgress | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    report: R | None = None
    error: str | None = None
    error_code: str | None = None

    @property
    def active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class DryRuns(Generic[R]):
    """The runs of one process, in memory. Create one per app (no state at import)."""

    def __init__(
        self,
        *,
        per_requester: int = PER_REQUESTER,
        per_process: int = PER_PROCESS,
        keep: timedelta = KEEP,
        clock: Callable[[], datetime] = system_clock,
    ) -> None:
        self.per_requester = per_requester
        self.per_process = per_process
        self.keep = keep
        self.clock = clock
        self._lock = threading.Lock()
        self._runs: dict[str, DryRunView[R]] = {}
        self._threads: dict[str, threading.Thread] = {}

    # --- use cases ------------------------------------------------------------------------------

    def start(self, owner: Principal, label: str, work: Work[R]) -> DryRunView[R]:
        """Queue ``work`` in a worker thread and return the run; refuses with ``Conflict`` when
        ``owner`` already has a run going, or the process has as many as it allows."""
        with self._lock:
            self._forget_old()
            active = [run for run in self._runs.values() if run.active]
            mine = [run for run in active if run.owner_id == owner.user_id]
            if len(mine) >= self.per_requester:
                raise Conflict(
                    f"your dry-run {mine[0].id} of “{mine[0].label}” is still {mine[0].status}"
                    f"{_how_far(mine[0].progress)}: wait for it to finish, then start another "
                    f"({self.per_requester} at a time per requester)",
                    run_id=mine[0].id,
                )
            if len(active) >= self.per_process:
                raise Conflict(
                    f"{len(active)} dry-runs are running on this server, as many as it runs at "
                    "once: try again in a few minutes",
                    running=len(active),
                )
            run: DryRunView[R] = DryRunView(
                id=uuid.uuid4().hex[:12],
                owner_id=owner.user_id,
                label=label,
                status=RunStatus.QUEUED,
                created_at=self.clock(),
            )
            self._runs[run.id] = run
            thread = threading.Thread(
                target=self._run, args=(run.id, work), name=f"dry-run-{run.id}", daemon=True
            )
            self._threads[run.id] = thread
        thread.start()
        return run

    def get(self, viewer: Principal, run_id: str) -> DryRunView[R]:
        """The run, to its owner or an operator; anyone else is told it does not exist."""
        with self._lock:
            self._forget_old()
            run = self._runs.get(run_id)
        if run is None or (run.owner_id != viewer.user_id and viewer.role is not Role.OPERATOR):
            raise NotFound(
                f"no dry-run {run_id!r} of yours: a finished run is kept for "
                f"{_duration(self.keep)}; start it again",
                run_id=run_id,
            )
        return run

    def wait(self, run_id: str, timeout: float | None = None) -> DryRunView[R]:
        """Block until the run has ended (or ``timeout`` seconds passed): for tests and tools."""
        thread = self._threads.get(run_id)
        if thread is not None:
            thread.join(timeout)
        with self._lock:
            return self._runs[run_id]

    # --- the worker thread ----------------------------------------------------------------------

    def _update(self, run_id: str, **changes: object) -> None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None:
                self._runs[run_id] = replace(run, **changes)  # type: ignore[arg-type]

    def _run(self, run_id: str, work: Work[R]) -> None:
        self._update(run_id, status=RunStatus.RUNNING, started_at=self.clock())

        def on_progress(what: str, done: int, total: int) -> None:
            self._update(run_id, progress=RunProgress(what, done, total))

        try:
            report = work(on_progress)
        except DomainError as error:
            self._update(
                run_id,
                status=RunStatus.FAILED,
                finished_at=self.clock(),
                error=error.message,
                error_code=error.code,
            )
        except Exception as error:  # a bug must end the run, not hang its page
            log.exception("dry-run %s failed", run_id)
            self._update(
                run_id,
                status=RunStatus.FAILED,
                finished_at=self.clock(),
                error=f"the dry-run stopped on an internal error ({type(error).__name__}: "
                f"{error}); the server's log has the details",
                error_code="internal_error",
            )
        else:
            self._update(run_id, status=RunStatus.DONE, finished_at=self.clock(), report=report)
        finally:
            with self._lock:
                self._threads.pop(run_id, None)

    def _forget_old(self) -> None:
        """Drop the runs that ended more than ``keep`` ago (the caller holds the lock)."""
        cutoff = self.clock() - self.keep
        for run_id in [
            r.id
            for r in self._runs.values()
            if r.finished_at is not None and r.finished_at < cutoff
        ]:
            del self._runs[run_id]


def _how_far(progress: RunProgress | None) -> str:
    if progress is None:
        return ""
    return f" ({progress.what} {progress.done}/{progress.total})"


def _duration(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    return "an hour" if minutes == 60 else f"{minutes} minutes"


# --- a run's inputs -----------------------------------------------------------------------------


def _table_rows(data: bytes, name: str, field: str) -> list[dict[str, object]]:
    """The rows of a CSV, TSV, JSONL or Parquet file (by ``name``'s extension); errors name
    ``name`` as the requester called it."""
    try:
        file_format(Path(name))  # refuses an unknown extension, naming the ones it reads
    except DomainError as error:
        raise type(error)(error.message, **{**error.fields, "field": field}) from None
    with tempfile.TemporaryDirectory(prefix="crowdset-dry-run-input-") as folder:
        path = Path(folder) / f"{field}{Path(name).suffix.lower()}"
        path.write_bytes(data)
        try:
            frame = read_table(path)
        except DomainError as error:  # say the requester's name, not our temporary one
            raise ImportFailed(error.message.replace(str(path), name), field=field) from None
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def read_items(
    data: bytes, spec: LabelingSpec, *, name: str = "items.csv", field: str = "items"
) -> list[ItemRow]:
    """A labeling or review campaign's items, validated row by row against ``spec``."""
    try:
        return parse_items(_table_rows(data, name, field), spec, source=name)
    except DomainError as error:
        if error.fields.get("field") in (None, "items"):
            error.fields["field"] = field
        raise


def read_truth(data: bytes, *, name: str = "truth.csv", field: str = "truth") -> dict[str, object]:
    """Each item's true answer: a table with ``id`` and ``truth`` columns (such as the items
    file with a truth column added); empty cells give no truth."""
    rows = _table_rows(data, name, field)
    columns = set(rows[0]) if rows else set()
    missing = [c for c in ("id", "truth") if c not in columns]
    if missing:
        raise InvalidInput(
            f"{name}: no {' or '.join(missing)} column; a truth file has id and truth columns "
            f"(columns present: {', '.join(sorted(columns)) or 'none'})",
            field=field,
        )
    return {
        str(row["id"]): row["truth"]
        for row in rows
        if row["truth"] is not None and row["truth"] == row["truth"]  # NaN: no truth given
    }
