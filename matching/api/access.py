"""The access log's writer: reads of a worker's personal data are appended to an in-process
buffer (a tuple each, no database round trip on the read) and written by a background task
every ``interval`` seconds, or as soon as ``batch`` rows wait, in multi-row INSERTs.

A flush that fails puts its rows back and is tried again at the next tick (and logged); rows
are dropped only past ``max_pending`` (a database gone for a long time), and then each one is
logged at ERROR, so that none goes unrecorded. Stopping (the app's shutdown) flushes what is
left. ``flush()`` is also how a test (or an export, before it reads her log) writes what is
buffered now.

The write is one statement whatever the number of rows, so that it costs the API process
little: on PostgreSQL one INSERT … SELECT FROM unnest() of six arrays (asyncpg encodes them in
C); on SQLite one prepared INSERT run over every row by the driver (``executemany``). A Core
``insert().values([...])`` of a few hundred rows cost the process more than the reads it
logged (it builds and keys a bind parameter per value)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from matching.api.request_id import request_id
from matching.db import models as m
from matching.lib import clock
from matching.lib.principal import Principal

log = logging.getLogger("laowu.access")

T = m.AccessLogEntry.__table__
COLUMNS = ("at", "actor_id", "action", "worker_id", "request_id", "detail")
# Written out, not built: constants, and the columns in the order of COLUMNS.
PG_INSERT = (
    "INSERT INTO access_log (at, actor_id, action, worker_id, request_id, detail) "
    "SELECT * FROM unnest($1::timestamptz[], $2::integer[], $3::varchar[], $4::integer[], "
    "$5::varchar[], $6::varchar[])"
)
SQLITE_INSERT = (
    "INSERT INTO access_log (at, actor_id, action, worker_id, request_id, detail) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def _time_processor(dialect: Dialect) -> Any:
    """How the ``at`` column stores a time on this database (UTC; SQLite's text format)."""
    return T.c.at.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)


async def write_rows(conn: AsyncConnection, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (tuples in the order of ``COLUMNS``) in one statement."""
    stored = _time_processor(conn.dialect)
    if conn.dialect.name == "postgresql":
        columns = [list(c) for c in zip(*rows, strict=True)]
        columns[0] = [stored(v) for v in columns[0]]
        await conn.exec_driver_sql(PG_INSERT, tuple(columns))
    else:
        await conn.exec_driver_sql(SQLITE_INSERT, [(stored(r[0]), *r[1:]) for r in rows])


def _as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(COLUMNS, row, strict=True))


class AccessLog:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        interval: float = 0.5,
        batch: int = 1000,
        max_pending: int = 200_000,
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.batch = batch
        self.max_pending = max_pending
        self._rows: list[tuple[Any, ...]] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return len(self._rows)

    def add(
        self,
        actor_id: int | None,
        action: str,
        worker_ids: Iterable[int],
        request: str | None,
        detail: str | None = None,
    ) -> None:
        """One row per worker read; costs a tuple, never waits."""
        at = clock.now()
        rows = self._rows
        for worker_id in worker_ids:
            rows.append((at, actor_id, action, worker_id, request, detail))
        if len(rows) >= self.batch:
            self._wake.set()

    async def flush(self) -> int:
        """Write every buffered row now; answer how many were written. On an error the rows
        go back to the buffer and the error is raised."""
        async with self._lock:
            rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                async with self.engine.begin() as conn:
                    await write_rows(conn, rows)
            except BaseException:
                self._rows[:0] = rows  # before anything added meanwhile: the order stays
                self._drop_excess()
                raise
            return len(rows)

    def _drop_excess(self) -> None:
        excess = len(self._rows) - self.max_pending
        if excess > 0:
            dropped, self._rows = self._rows[:excess], self._rows[excess:]
            for r in dropped:
                log.error("access log row NOT WRITTEN (buffer full): %s", _as_dict(r))

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("access log: %d rows not written yet; retrying", self.pending)

    def start(self) -> None:
        """Start the background flush (in the loop that serves the requests: the lifespan's)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="access-log")

    async def stop(self, attempts: int = 3) -> None:
        """Stop the background task and write what is left (tried ``attempts`` times; rows
        that still cannot be written are logged at ERROR, one line each)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for attempt in range(attempts):
            try:
                await self.flush()
                return
            except Exception:
                log.exception("access log: final flush failed (attempt %d)", attempt + 1)
                await asyncio.sleep(0.2 * (attempt + 1))
        rows, self._rows = self._rows, []
        for r in rows:
            log.error("access log row NOT WRITTEN (shutdown): %s", _as_dict(r))


def record(
    request: Any,
    principal: Principal,
    action: str,
    worker_ids: Iterable[int],
    detail: str | None = None,
) -> None:
    """Log that ``principal`` read these workers' personal data in this request (buffered).

    ``detail`` says what was read, never her name, phone or ID number."""
    access: AccessLog = request.app.state.runtime.access
    access.add(principal.account_id or None, action, worker_ids, request_id(request.scope), detail)
