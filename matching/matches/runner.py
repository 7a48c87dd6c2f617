"""Carry one match run from queued to done (or failed): the edge that owns its transactions.

Phases: claim (commit) → snapshot (one repeatable-read transaction) → solve (in a separate
process, so the event loop keeps serving) → write (ONE transaction: proposals, offers, reasons
and the run's stats and timings). Any failure rolls the write back whole and marks the run
failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from matching.lib import clock
from matching.lib.context import Context
from matching.matches import processes, service, snapshot
from matching.matches.schemas import MatchRunOut
from matching.matches.solver import Outcome, solve_snapshot

log = logging.getLogger("laowu.matching")

Progress = Callable[[str, str], None]


def _quiet(_phase: str, _message: str) -> None:
    pass


async def execute_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    ctx: Context,
    run_id: int,
    *,
    progress: Progress = _quiet,
    off_loop: bool = True,
) -> MatchRunOut | None:
    """Run a queued match run to the end. None when another process had already claimed it."""
    async with sessionmaker() as session, session.begin():
        if not await service.claim_run(session, run_id):
            return None
        run = await session.get(service.R, run_id)
        assert run is not None
        dry_run = run.dry_run
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        t = time.perf_counter()
        async with sessionmaker() as session:
            conn = await session.connection()
            if conn.dialect.name == "postgresql":
                await conn.exec_driver_sql(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
            snap = await snapshot.load(session, clock.now(), clock.today())
            await session.rollback()
        timings["snapshot"] = time.perf_counter() - t
        progress(
            "snapshot",
            f"{len(snap.workers)} available workers, {len(snap.openings)} openings with slots "
            f"({timings['snapshot']:.2f}s)",
        )
        t = time.perf_counter()
        outcome: Outcome
        if off_loop:
            loop = asyncio.get_running_loop()
            outcome = await loop.run_in_executor(processes.solve_pool(), solve_snapshot, snap)
        else:
            outcome = solve_snapshot(snap)
        timings.update(outcome.timings)
        timings["solve_total"] = time.perf_counter() - t
        progress(
            "solve",
            f"{outcome.stats.get('eligible_pairs', 0)} eligible pairs, "
            f"{len(outcome.proposals)} proposals "
            f"({outcome.stats.get('priority_proposals', 0)} priority) "
            f"({timings['solve_total']:.2f}s)",
        )
        t = time.perf_counter()
        async with sessionmaker() as session, session.begin():
            await service.record_outcome(
                session,
                run_id,
                outcome,
                dry_run=dry_run,
                ctx=ctx,
                timings=timings,  # record_outcome adds the write sub-phases
            )
            # The timings belong to the write: "write" and "total" run up to here, just
            # before the timings themselves are stored and the transaction commits.
            timings["write"] = time.perf_counter() - t
            timings["total"] = time.perf_counter() - started
            await _store_timings(session, run_id, timings)
        progress(
            "write",
            f"{'nothing (dry run)' if dry_run else 'proposals and offers'} "
            f"written ({timings['write']:.2f}s)",
        )
    except Exception as exc:
        log.exception("match run %s failed", run_id)
        async with sessionmaker() as session, session.begin():
            await service.fail_run(session, run_id, f"{type(exc).__name__}: {exc}")
        progress("failed", f"{type(exc).__name__}: {exc}")
    async with sessionmaker() as session:
        run = await session.get(service.R, run_id)
        assert run is not None
        return service.run_out(run)


async def _store_timings(session: AsyncSession, run_id: int, timings: dict[str, float]) -> None:
    await session.execute(
        update(service.R)
        .where(service.R.id == run_id)
        .values(timings={k: round(v, 4) for k, v in timings.items()})
        .execution_options(synchronize_session=False)
    )
