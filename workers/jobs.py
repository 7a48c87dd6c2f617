"""The jobs: each opens its own session(s), calls one service, commits once and returns counts.

No rule lives here. Every job is safe to run twice (two schedulers in a split second, a retry
after a crash): the services dedupe — one live match run at a time, offers only for workers
without a live offer, notices keyed by ``dedupe_key``, expiry an UPDATE of pending rows only.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from matching.lib.context import Context
from matching.lib.errors import Conflict
from matching.lib.principal import SYSTEM
from matching.matches.runner import execute_run
from matching.matches.service import lease_of, request_run
from matching.notices.channels import Channel, channel_from_settings
from matching.notices.dispatch import drain
from matching.offers.service import expire_due, remind_expiring
from matching.placements import followups, standing
from matching.placements.service import placements_starting
from matching.profiles.fair_registrations import expire_queued
from matching.settings import Settings

log = logging.getLogger("laowu.scheduler.jobs")

Counts = dict[str, Any]


class JobFailed(RuntimeError):
    """The service finished but reported failure (a match run that ended ``failed``)."""


@dataclass(slots=True)
class JobRuntime:
    """What a job needs: the session factory, the context, and the delivery channel."""

    sessionmaker: async_sessionmaker[AsyncSession]
    ctx: Context
    _channel: Channel | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def channel(self) -> Channel:
        """The notice channel, made once per process (a webhook keeps its HTTP client)."""
        if self._channel is None:
            self._channel = channel_from_settings(self.settings)
        return self._channel

    async def aclose(self) -> None:
        if self._channel is not None:
            await self._channel.aclose()
            self._channel = None


async def run_matching(rt: JobRuntime) -> Counts:
    """The scheduled match run: queue one (trigger "schedule") and carry it to the end."""
    try:
        async with rt.sessionmaker() as session, session.begin():
            queued = await request_run(
                session, SYSTEM, dry_run=False, trigger="schedule", lease=lease_of(rt.ctx)
            )
    except Conflict as exc:  # a run (on demand, or this job elsewhere) is live: nothing to do
        log.info("run_matching skipped: %s", exc.detail)
        return {"skipped": 1}
    # execute_run is an edge of its own (claim, snapshot, one write transaction); the solve runs
    # in a worker process so this loop keeps answering the leader check and the other jobs.
    result = await execute_run(rt.sessionmaker, rt.ctx, queued.id)
    if result is None:
        return {"run_id": queued.id, "skipped": 1}
    if result.status != "done":
        raise JobFailed(f"match run {result.id} ended {result.status}: {result.error}")
    return {
        "run_id": result.id,
        "proposals": result.stats.proposals,
        "priority_proposals": result.stats.priority_proposals,
    }


async def dispatch_notices(rt: JobRuntime) -> Counts:
    """Send due notices from the outbox through the configured channel."""
    # drain owns its transactions: claim (commit), send outside any transaction, record; it
    # repeats batches while they come back full, so a backlog clears within one tick.
    result = await drain(rt.sessionmaker, rt.ctx, rt.channel())
    return _as_counts(result)


async def expire_offers(rt: JobRuntime) -> Counts:
    """Pending offers past their time become expired; she and the slot are free again."""
    async with rt.sessionmaker() as session, session.begin():
        return {"expired": await expire_due(session)}


async def remind_expiring_offers(rt: JobRuntime) -> Counts:
    """One 'about to expire' notice per pending offer entering its last day."""
    async with rt.sessionmaker() as session, session.begin():
        return {"reminded": await remind_expiring(session, rt.ctx)}


async def announce_placements_starting(rt: JobRuntime) -> Counts:
    """The day before she starts: one 'starting tomorrow' notice per placement."""
    async with rt.sessionmaker() as session, session.begin():
        return {"announced": await placements_starting(session, rt.ctx)}


async def send_follow_ups(rt: JobRuntime) -> Counts:
    """Follow-ups due on day 7, 30 and 90: her check-in notice and link."""
    async with rt.sessionmaker() as session, session.begin():
        return {"sent": await followups.send_due(session, rt.ctx)}


async def flag_unanswered_follow_ups(rt: JobRuntime) -> Counts:
    """Check-ins not answered within three days: a task for the office in her city."""
    async with rt.sessionmaker() as session, session.begin():
        return {"flagged": await followups.flag_unanswered(session)}


async def credit_lasting_placements(rt: JobRuntime) -> Counts:
    """Placements that last to day 90 raise the employer's standing, once each."""
    async with rt.sessionmaker() as session, session.begin():
        return {"credited": await standing.credit_lasting_placements(session)}


async def expire_fair_registrations(rt: JobRuntime) -> Counts:
    """A fair's queued self-registrations nobody handled within the retention period keep
    nothing of her (LAOWU_FAIR_QUEUE_DAYS)."""
    async with rt.sessionmaker() as session, session.begin():
        return {"expired": await expire_queued(session, rt.settings.fair_queue_days)}


def _as_counts(result: Any) -> Counts:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    if isinstance(result, dict):
        return dict(result)
    return {"result": str(result)}
