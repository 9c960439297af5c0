"""Engine factory and the unit of work. Nothing here runs at import time.

A use case runs as ``db.run(work)``: ``work(session)`` executes inside one transaction that is
committed when it returns and rolled back when it raises. Transient conflicts (PostgreSQL deadlock
or serialization failure, SQLite busy) roll back and re-run ``work`` a few times with jittered
back-off, so callers never see a deadlock that retrying would have solved.

A connection lost before the commit (a terminated backend, a restarted server) is retried the
same way on a fresh connection: nothing of the transaction was applied. What cannot be retried
here becomes :class:`crowdset.errors.Unavailable` (503 with ``Retry-After``, never a 500): no
free connection within ``database_pool_timeout_seconds``, a server refusing clients, a
connection lost during the commit itself (it may or may not have committed: the client
retries with its ``Idempotency-Key``), conflicts still there after every attempt.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from crowdset.errors import Unavailable
from crowdset.settings import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)

_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
# too_many_connections, admin/crash shutdown, cannot_connect_now, connection exceptions
_UNAVAILABLE_SQLSTATES = {"53300", "57P01", "57P02", "57P03", "08000", "08001", "08003", "08006"}
MAX_ATTEMPTS = 8
RETRY_AFTER_SECONDS = 1


def make_engine(settings: Settings) -> Engine:
    """An engine for ``settings.database_url``; SQLite gets WAL, foreign keys, busy timeout and
    ``BEGIN IMMEDIATE`` for writing transactions (so two writers queue instead of deadlocking on a
    lock upgrade)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (pysqlite's own handling is wrong for us).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        readonly = connection.get_execution_options().get("crowdset_readonly", False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def is_retryable(error: BaseException) -> bool:
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(error.orig)


def is_lost_connection(error: BaseException) -> bool:
    """The connection died under the transaction (it was rolled back with it)."""
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    return bool(error.connection_invalidated) or sqlstate in {"57P01", "57P02", "08006"}


def is_unavailable(error: BaseException) -> bool:
    """The database cannot serve now: the pool is exhausted, the server refuses clients or is
    going away, or the connection is lost."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    return is_lost_connection(error) or sqlstate in _UNAVAILABLE_SQLSTATES


def unavailable(error: BaseException) -> Unavailable:
    if isinstance(error, PoolTimeout):
        message = "every database connection of this server is busy: retry in a moment"
    elif is_retryable(error):
        message = "the database is busy with conflicting changes: retry in a moment"
    else:
        message = "the database cannot be reached right now: retry in a moment"
    log.warning("answering 503: %s", str(error).splitlines()[0] if str(error) else error)
    return Unavailable(message, retry_after=RETRY_AFTER_SECONDS)


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # a dead connection cannot roll back: it is discarded with the session
        log.info("rollback failed on a lost connection", exc_info=True)


class Database:
    """Owns the engine and hands out units of work."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        reader_options: dict[str, Any] = {"crowdset_readonly": True}
        if self.engine.dialect.name == "postgresql":
            # One snapshot per read: a verification sees balances and postings of the same moment.
            reader_options["isolation_level"] = "REPEATABLE READ"
        self._reader = sessionmaker(
            self.engine.execution_options(**reader_options), expire_on_commit=False
        )

    @property
    def kind(self) -> str:
        return self.engine.dialect.name

    def run(self, work: Callable[[Session], T], *, readonly: bool = False) -> T:
        """Run ``work`` in one transaction: commit on return, roll back on error, retry
        transient conflicts."""
        factory = self._reader if readonly else self._writer
        for attempt in range(1, MAX_ATTEMPTS + 1):
            session = factory()
            committing = False
            try:
                result = work(session)
                if not readonly:
                    committing = True
                    session.commit()
                return result  # a read-only session is simply closed (nothing to keep)
            except Exception as error:
                _rollback(session)
                # a lost connection is retried unless it was lost in the commit (applied or
                # not, nobody knows: the client's Idempotency-Key makes its retry safe)
                again = is_retryable(error) or (is_lost_connection(error) and not committing)
                if not again or attempt == MAX_ATTEMPTS:
                    if is_unavailable(error) or is_retryable(error):
                        raise unavailable(error) from error
                    raise
                log.info("retrying after transient failure (attempt %d): %s", attempt, error)
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # jitter spreads retries
            finally:
                session.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:
            if is_unavailable(error):
                raise unavailable(error) from error
            raise
        return True

    def dispose(self) -> None:
        self.engine.dispose()
