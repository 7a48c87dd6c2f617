"""Who may fire jobs: one leader per database.

PostgreSQL: any number of scheduler processes run; the one holding a session advisory lock
leads. The lock lives on a dedicated asyncpg connection outside SQLAlchemy's pool, because a
pooled connection can be recycled or reset (``DISCARD ALL``) under us and the lock would vanish
without a word. Followers retry ``pg_try_advisory_lock`` every ``leader_poll_seconds``; a leader
re-checks the lock (``pg_locks``, on that connection) before each job and on every poll, and
stops leading the moment the check fails.

SQLite: only one process may schedule at all, so leadership is an exclusive ``flock`` on a file
next to the database; a second scheduler refuses to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy.engine import make_url

from matching.db.dialect import SCHEDULER_LOCK_CLASS, SCHEDULER_LOCK_OBJECT

log = logging.getLogger("laowu.scheduler.leader")

# The leader lock's key (matching.db.dialect, where /metrics also reads who holds it).
LOCK_CLASS = SCHEDULER_LOCK_CLASS
LOCK_OBJECT = SCHEDULER_LOCK_OBJECT
CHECK_TIMEOUT = 5.0
"""Seconds a lock query may take; a leader whose server does not answer in time steps down."""


class SchedulerAlreadyRunning(RuntimeError):
    """Another process schedules jobs on this SQLite database."""


class Leadership(Protocol):
    """What the scheduler asks before it fires a job."""

    @property
    def is_leader(self) -> bool:
        """The last known state, without a round trip (for logging decisions)."""

    async def start(self, on_gain: Callable[[], None]) -> None:
        """Try for leadership now and keep trying; ``on_gain`` runs each time it is won."""

    async def confirm(self) -> bool:
        """Checked now, against the lock itself: may this process fire a job?"""

    async def stop(self) -> None:
        """Release the lock and stop trying."""


def lock_path(database_url: str) -> Path | None:
    """The lock file beside a SQLite database file; None for an in-memory database."""
    database = make_url(database_url).database
    if not database or database == ":memory:":
        return None
    db = Path(database).expanduser().resolve()
    return db.with_name(db.name + ".scheduler.lock")


class FileLeadership:
    """SQLite: an exclusive, non-blocking ``flock``; held until the process ends."""

    def __init__(self, database_url: str) -> None:
        self.path = lock_path(database_url)
        self._fh: IO[str] | None = None

    @property
    def is_leader(self) -> bool:
        return self._fh is not None or self.path is None

    def acquire(self) -> None:
        """Take the lock or raise :class:`SchedulerAlreadyRunning` naming the holder."""
        import fcntl

        if self.path is None or self._fh is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise SchedulerAlreadyRunning(
                f"another scheduler ({holder}) already runs on this SQLite database "
                f"(lock {self.path}); on SQLite only one process may schedule jobs. "
                "Stop it, or run `laowu serve --no-scheduler` beside it."
            ) from None
        # The lock is on the open file; its content only names the holder for that message.
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        self._fh = fh

    async def start(self, on_gain: Callable[[], None]) -> None:
        self.acquire()
        on_gain()

    async def confirm(self) -> bool:
        return self.is_leader

    async def stop(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the descriptor releases the flock
            self._fh = None


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL as a DSN asyncpg accepts (same host, user, password, database)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PostgresLeadership:
    """PostgreSQL: a session advisory lock on a dedicated connection, polled."""

    def __init__(self, database_url: str, *, poll_seconds: float = 5.0) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.poll_seconds = max(0.2, poll_seconds)
        self._conn: Any = None  # asyncpg.Connection; Any keeps asyncpg's untyped API quiet
        self._leader = False
        # asyncpg runs one query at a time per connection; the poll and a job's check share it.
        self._io = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._on_gain: Callable[[], None] = lambda: None
        self._stepped_down_at = -1e9

    @property
    def is_leader(self) -> bool:
        return self._leader

    async def start(self, on_gain: Callable[[], None]) -> None:
        self._on_gain = on_gain
        await self._tick()  # lead at once if nobody does, instead of after the first poll
        self._task = asyncio.create_task(self._poll(), name="laowu-leader-poll")

    async def confirm(self) -> bool:
        if not self._leader:
            return False
        async with self._io:
            return await self._still_held()

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        async with self._io:
            if self._conn is not None:
                # Closing the session releases its advisory locks: a follower takes over on its
                # next poll instead of waiting for a timeout.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._conn.close(), CHECK_TIMEOUT)
                self._drop_connection()
        self._leader = False

    async def _poll(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)
            if not self._stopping.is_set():
                await self._tick()

    async def _tick(self) -> None:
        """One poll: a follower tries for the lock; a leader checks it still holds it."""
        async with self._io:
            if self._leader:
                await self._still_held()
                return
            if loop_time() - self._stepped_down_at < 2 * self.poll_seconds:
                # Just lost the lock (or its connection): give a healthy follower two polls to
                # take over before this process, the suspect one, competes again.
                return
            try:
                if self._conn is None or self._conn.is_closed():
                    self._drop_connection()
                    self._conn = await self._connect()
                got = await self._conn.fetchval(
                    "SELECT pg_try_advisory_lock($1, $2)",
                    LOCK_CLASS,
                    LOCK_OBJECT,
                    timeout=CHECK_TIMEOUT,
                )
            except Exception as exc:  # the database is away: stay a follower, retry next poll
                log.warning("cannot reach PostgreSQL for the leader lock: %s", _cause(exc))
                self._drop_connection()
                return
        if got:
            self._leader = True
            log.info("leading: this process (pid %s) now fires the jobs", os.getpid())
            self._on_gain()

    async def _still_held(self) -> bool:
        """Ask pg_locks whether this backend holds the lock; on any doubt, stop leading."""
        try:
            held = await self._conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = $1 AND objid = $2 AND objsubid = 2"
                " AND pid = pg_backend_pid() AND granted"
                " AND database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database()))",
                LOCK_CLASS,
                LOCK_OBJECT,
                timeout=CHECK_TIMEOUT,
            )
        except Exception as exc:
            self._step_down(f"the lock connection failed: {_cause(exc)}")
            return False
        if not held:
            self._step_down("the advisory lock is no longer held by this session")
            return False
        return True

    def _step_down(self, why: str) -> None:
        if self._leader:
            log.warning("no longer leading (%s); firing no jobs until the lock is won again", why)
            self._stepped_down_at = loop_time()
        self._leader = False
        self._drop_connection()

    def _drop_connection(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            self._conn.terminate()  # no round trip: the server may be the thing that is gone
        self._conn = None

    async def _connect(self) -> Any:
        import asyncpg

        return await asyncpg.connect(
            self.dsn,
            timeout=CHECK_TIMEOUT * 2,
            server_settings={
                # pg_stat_activity names the holder: operators (and the tests) find the leader.
                "application_name": f"laowu-scheduler:{os.getpid()}@{socket.gethostname()}"[:63],
                # If this machine vanishes without closing the socket, the server drops the
                # session (and so the lock) within ~30 s instead of the OS default of hours.
                "tcp_keepalives_idle": "10",
                "tcp_keepalives_interval": "5",
                "tcp_keepalives_count": "3",
            },
        )


def loop_time() -> float:
    return asyncio.get_running_loop().time()


def _cause(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def leadership_for(database_url: str, *, poll_seconds: float = 5.0) -> Leadership:
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresLeadership(database_url, poll_seconds=poll_seconds)
    return FileLeadership(database_url)
