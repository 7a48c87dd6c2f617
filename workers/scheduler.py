"""The scheduler (调度): the declared table of jobs, APScheduler 3 on the running event loop,
the leader check before every job, and the JobRun log of every execution, miss and failure.

``laowu scheduler`` runs :func:`run_forever`; ``laowu serve`` runs :func:`in_process` as a
lifespan hook of the app. Either way only the leader fires (see ``leader.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from matching.db import models as m
from matching.db.dialect import insert_ignoring_conflicts
from matching.db.engine import create_engine, create_sessionmaker
from matching.lib import clock, logs
from matching.lib.context import Context
from matching.matches.processes import shutdown_pool
from matching.settings import ConfigurationError, Settings
from workers import jobs
from workers.jobs import Counts, JobRuntime
from workers.leader import Leadership, leadership_for

log = logging.getLogger("laowu.scheduler")

# Interval ticks are counted from this instant, not from each process's start: every scheduler
# then agrees on when a tick is (06:00:05, 06:00:10, ...), so "once per tick" means one thing
# across processes and (job, scheduled_at) can be the unique claim in job_runs.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

ERROR_LEN = 4000


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One row of the job table: what to call, when, and how lateness is treated.

    ``misfire_grace_time``: seconds a tick may start late (a blocked loop, a suspended
    process) and still run; later than that it is logged and recorded as missed.
    ``coalesce``: after a stall, several overdue ticks run once, not once each.
    ``max_instances``: 1 everywhere: a tick that arrives while the previous one still runs is
    skipped rather than run beside it (the job catches up the backlog on its next tick).
    ``catch_up``: on winning leadership (start, or a takeover), fire the latest tick that fell
    within the grace time, so a leader dying at 05:59 does not cost the day's 06:00 run; the
    claim in job_runs keeps it from running twice if the old leader did fire it.
    """

    name: str
    func: Callable[[JobRuntime], Awaitable[Counts]]
    trigger: Callable[[Settings], BaseTrigger]
    misfire_grace_time: int
    coalesce: bool = True
    max_instances: int = 1
    catch_up: bool = False


def _every(seconds: Callable[[Settings], int]) -> Callable[[Settings], BaseTrigger]:
    return lambda s: IntervalTrigger(seconds=max(1, seconds(s)), start_date=EPOCH, timezone=dt.UTC)


def _cron(expr: Callable[[Settings], str]) -> Callable[[Settings], BaseTrigger]:
    def make(s: Settings) -> BaseTrigger:
        try:
            return CronTrigger.from_crontab(expr(s), timezone=s.timezone)
        except ValueError as exc:
            raise ConfigurationError(f"bad cron expression {expr(s)!r}: {exc}") from exc

    return make


JOBS: tuple[JobSpec, ...] = (
    # The daily batch (default 06:00 Asia/Shanghai, LAOWU_MATCH_CRON). An hour's grace: after a
    # short outage the morning's offers still go out; much later and staff, who answer the
    # workers' questions during the day, start one on demand instead. coalesce: days of outage
    # give one run, not one per day. A live run (on demand or elsewhere) makes it skip.
    JobSpec(
        "run_matching",
        jobs.run_matching,
        _cron(lambda s: s.match_cron),
        misfire_grace_time=3600,
        catch_up=True,
    ),
    # The outbox, every few seconds. Grace of one interval: a late tick still runs, a very late
    # one is pointless because the next is due. max_instances=1 matters: a slow gateway must
    # not get a second sender for the same due rows (the lease would hold them off, but the
    # batches would race for the same budget).
    JobSpec(
        "dispatch_notices",
        jobs.dispatch_notices,
        _every(lambda s: s.dispatch_interval_seconds),
        misfire_grace_time=30,
    ),
    # Every minute: an expired offer frees her and the slot, so it should not wait long; the
    # reminder query is cheap (reminded_at IS NULL). A missed minute is caught by the next.
    JobSpec(
        "expire_offers",
        jobs.expire_offers,
        _every(lambda s: s.expire_interval_seconds),
        misfire_grace_time=60,
    ),
    JobSpec(
        "remind_expiring_offers",
        jobs.remind_expiring_offers,
        _every(lambda s: s.expire_interval_seconds),
        misfire_grace_time=60,
    ),
    # "Starting tomorrow": hourly in the day (08:00–20:00 Shanghai), never at night — her
    # phone is not a pager, and a placement confirmed in the afternoon is still caught.
    JobSpec(
        "announce_placements_starting",
        jobs.announce_placements_starting,
        lambda s: CronTrigger(hour="8-20", minute=0, timezone=s.timezone),
        misfire_grace_time=1800,
        catch_up=True,
    ),
    # Follow-ups (回访): check-in notices go out in the morning (09:30) and again at 15:30 for
    # anything a late start missed; never at night. Unanswered check-ins (3 days) become office
    # tasks and day-90 placements credit the employer's standing, once a day after the morning
    # round. Each is safe twice: only 'scheduled'/'due' rows move, standing changes once per cause.
    JobSpec(
        "send_follow_ups",
        jobs.send_follow_ups,
        lambda s: CronTrigger(hour="9,15", minute=30, timezone=s.timezone),
        misfire_grace_time=3600,
        catch_up=True,
    ),
    JobSpec(
        "flag_unanswered_follow_ups",
        jobs.flag_unanswered_follow_ups,
        lambda s: CronTrigger(hour=10, minute=0, timezone=s.timezone),
        misfire_grace_time=6 * 3600,
        catch_up=True,
    ),
    JobSpec(
        "credit_lasting_placements",
        jobs.credit_lasting_placements,
        lambda s: CronTrigger(hour=10, minute=15, timezone=s.timezone),
        misfire_grace_time=6 * 3600,
        catch_up=True,
    ),
    # Nightly: a fair's self-registrations left in the queue past the retention period.
    JobSpec(
        "expire_fair_registrations",
        jobs.expire_fair_registrations,
        lambda s: CronTrigger(hour=3, minute=40, timezone=s.timezone),
        misfire_grace_time=6 * 3600,
        catch_up=True,
    ),
)

# The tick a running job belongs to. APScheduler 3 does not hand it to the job function, but
# the executor creates the job's task inside _do_submit_job, and a task copies the context it
# is created in: setting the variable around that call gives each task its own tick.
_SCHEDULED: ContextVar[dt.datetime | None] = ContextVar("laowu_scheduled", default=None)


class _TickExecutor(AsyncIOExecutor):
    def _do_submit_job(self, job: Any, run_times: list[dt.datetime]) -> None:
        token = _SCHEDULED.set(run_times[-1])  # coalesce=True: the only one that runs
        try:
            super()._do_submit_job(job, run_times)
        finally:
            _SCHEDULED.reset(token)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _cause(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class Scheduler:
    """The job table on an AsyncIOScheduler, firing only while ``leadership`` says so."""

    def __init__(
        self,
        settings: Settings,
        *,
        leadership: Leadership | None = None,
        table: Sequence[JobSpec] = JOBS,
    ) -> None:
        self.settings = settings
        self.table = {spec.name: spec for spec in table}
        self.leadership = leadership or leadership_for(
            settings.database_url, poll_seconds=settings.leader_poll_seconds
        )
        self.host = socket.gethostname()[:255]
        self._engine: AsyncEngine | None = None
        self._rt: JobRuntime | None = None
        self._aps: AsyncIOScheduler | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def runtime(self) -> JobRuntime:
        assert self._rt is not None, "start() the scheduler first"
        return self._rt

    def open(self) -> None:
        """The engine and the jobs' runtime, without scheduling anything (tests use run_job)."""
        if self._engine is None:
            self._engine = create_engine(self.settings.database_url, pool_size=3)
            self._rt = JobRuntime(
                create_sessionmaker(self._engine), Context.from_settings(self.settings)
            )

    async def start(self) -> None:
        """Take (or queue for) leadership, then schedule the table on the running loop.

        Raises :class:`~workers.leader.SchedulerAlreadyRunning` on a SQLite database that
        another process schedules.
        """
        settings = self.settings
        self.open()
        assert self._engine is not None
        aps = AsyncIOScheduler(timezone=settings.timezone, executors={"default": _TickExecutor()})
        for spec in self.table.values():
            aps.add_job(
                self._fire,
                spec.trigger(settings),
                args=[spec.name],
                id=spec.name,
                name=spec.name,
                misfire_grace_time=spec.misfire_grace_time,
                coalesce=spec.coalesce,
                max_instances=spec.max_instances,
            )
        aps.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        aps.add_listener(self._on_busy, EVENT_JOB_MAX_INSTANCES)
        # Our listeners log misses and failures with their cause (and record them); the
        # executor's own log lines would repeat each traceback.
        logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)
        try:
            await self.leadership.start(self._on_leadership_gained)
        except BaseException:
            await self._engine.dispose()
            self._engine = None
            raise
        aps.start()
        self._aps = aps
        log.info(
            "scheduler started (pid %s; %s): %s",
            os.getpid(),
            "leading" if self.leadership.is_leader else "following",
            ", ".join(f"{j.id} [{j.trigger}]" for j in aps.get_jobs()),
        )

    async def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.leadership.stop()
        if self._rt is not None:
            await self._rt.aclose()
        shutdown_pool()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        log.info("scheduler stopped (pid %s)", os.getpid())

    # -- firing ------------------------------------------------------------------------------

    async def _fire(self, name: str) -> Counts | None:
        """What APScheduler calls on a tick: re-check leadership, then run the job once."""
        scheduled = _SCHEDULED.get() or clock.now()
        if not await self.leadership.confirm():
            return None  # a follower: the leader fires this tick
        return await self.run_job(name, scheduled)

    async def run_job(self, name: str, scheduled: dt.datetime | None = None) -> Counts | None:
        """Claim the tick in job_runs, run the job, record and log its outcome.

        None when the tick was claimed already (another scheduler fired it). A failure is
        recorded, then raised again so APScheduler reports EVENT_JOB_ERROR.
        """
        spec = self.table[name]
        scheduled = _utc(scheduled or clock.now())
        run_id = await self._claim(name, scheduled)
        if run_id is None:
            log.info("%s: tick %s already fired elsewhere; skipped", name, scheduled.isoformat())
            return None
        with logs.bind(job=name, run_id=run_id):  # every line of this run names it
            try:
                counts = await spec.func(self.runtime)
            except Exception as exc:
                await self._finish(
                    run_id, "failed", {}, _cause(exc) + "\n" + traceback.format_exc()
                )
                raise
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await asyncio.shield(
                        self._finish(run_id, "failed", {}, "cancelled at shutdown")
                    )
                raise
            await self._finish(run_id, "ok", counts, None)
            log.info("%s: ok %s", name, counts)
        return counts

    async def _claim(self, name: str, scheduled: dt.datetime) -> int | None:
        async with self.runtime.sessionmaker() as session, session.begin():
            stmt = insert_ignoring_conflicts(session, m.JobRun).returning(m.JobRun.id)
            row = await session.execute(
                stmt,
                {
                    "job": name,
                    "scheduled_at": scheduled,
                    "started_at": clock.now(),
                    "pid": os.getpid(),
                    "host": self.host,
                    "outcome": "running",
                    "counts": {},
                },
            )
            found = row.scalar_one_or_none()
            return int(found) if found is not None else None

    async def _finish(self, run_id: int, outcome: str, counts: Counts, error: str | None) -> None:
        async with self.runtime.sessionmaker() as session, session.begin():
            await session.execute(
                update(m.JobRun)
                .where(m.JobRun.id == run_id)
                .values(
                    outcome=outcome,
                    finished_at=clock.now(),
                    counts=counts,
                    error=error[:ERROR_LEN] if error else None,
                )
                .execution_options(synchronize_session=False)
            )

    # -- events ------------------------------------------------------------------------------

    def _on_event(self, event: JobEvent) -> None:
        assert isinstance(event, JobExecutionEvent)
        if event.code == EVENT_JOB_ERROR:
            # Recorded in job_runs by run_job; here the cause goes to the log, traceback and all.
            log.error(
                "%s failed (tick %s): %s\n%s",
                event.job_id,
                event.scheduled_run_time.isoformat(),
                _cause(event.exception),
                event.traceback or "",
            )
            return
        if not self.leadership.is_leader:
            return  # a follower would not have fired it anyway
        late = dt.datetime.now(dt.UTC) - event.scheduled_run_time
        grace = self.table[event.job_id].misfire_grace_time
        cause = (
            f"missed: the scheduler woke {late.total_seconds():.1f}s after the tick, beyond the "
            f"{grace}s grace (event loop blocked, process suspended, or clock jump)"
        )
        log.warning("%s tick %s %s", event.job_id, event.scheduled_run_time.isoformat(), cause)
        self._spawn(self._record_missed(event.job_id, _utc(event.scheduled_run_time), cause))

    def _on_busy(self, event: JobEvent) -> None:
        if self.leadership.is_leader:
            log.warning("%s: skipped a tick, the previous run still runs", event.job_id)

    async def _record_missed(self, name: str, scheduled: dt.datetime, cause: str) -> None:
        try:
            async with self.runtime.sessionmaker() as session, session.begin():
                await session.execute(
                    insert_ignoring_conflicts(session, m.JobRun),
                    {
                        "job": name,
                        "scheduled_at": scheduled,
                        "finished_at": clock.now(),
                        "pid": os.getpid(),
                        "host": self.host,
                        "outcome": "missed",
                        "counts": {},
                        "error": cause,
                    },
                )
        except Exception:
            log.exception("could not record the missed tick of %s", name)

    def _on_leadership_gained(self) -> None:
        now = dt.datetime.now(dt.UTC)
        for spec in self.table.values():
            if not spec.catch_up:
                continue
            # The first tick at or after (now - grace); if it is not in the future, it was due
            # within the grace time and this process never fired it.
            trigger = spec.trigger(self.settings)
            since = now - dt.timedelta(seconds=spec.misfire_grace_time)
            tick = trigger.get_next_fire_time(None, since)
            last = None
            while tick is not None and tick <= now:
                last, tick = tick, trigger.get_next_fire_time(tick, tick + dt.timedelta(seconds=1))
            if last is not None:
                log.info("%s: catching up the tick of %s", spec.name, last.isoformat())
                self._spawn(self._catch_up(spec.name, last))

    async def _catch_up(self, name: str, tick: dt.datetime) -> None:
        try:
            if await self.leadership.confirm():
                await self.run_job(name, tick)
        except Exception as exc:
            log.error("%s failed (catch-up of %s): %s", name, tick.isoformat(), _cause(exc))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def run_forever(settings: Settings) -> None:
    """``laowu scheduler``: run until SIGTERM or SIGINT, then release the lock and stop."""
    scheduler = Scheduler(settings)
    await scheduler.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await scheduler.stop()


@contextlib.asynccontextmanager
async def in_process(settings: Settings) -> AsyncIterator[Scheduler | None]:
    """``laowu serve``: the scheduler in the server's loop for the app's lifetime.

    On SQLite another process may already schedule (a ``laowu scheduler`` beside the server):
    then the server serves without one and says so, rather than refusing to start.
    """
    from workers.leader import SchedulerAlreadyRunning

    scheduler = Scheduler(settings)
    try:
        await scheduler.start()
    except SchedulerAlreadyRunning as exc:
        log.warning("serving without the in-process scheduler: %s", exc)
        yield None
        return
    try:
        yield scheduler
    finally:
        await scheduler.stop()
