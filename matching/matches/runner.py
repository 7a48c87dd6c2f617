"""Carry one match run from queued to done (or failed): the edge that owns its transactions.

Phases: claim (commit) → snapshot (one repeatable-read transaction) → solve (in a separate
process, so the event loop keeps serving) → write (ONE transaction: offers, their links and
notices, then proposals with their reasons, which the solve pool words meanwhile, and the
run's stats and timings). Any failure rolls the write back whole and marks the run failed.

The run is live only while its lease is: from the claim to the write, a heartbeat task on
this loop renews it every quarter lease, each time in a short transaction of its own (on its
own connection, so never inside the snapshot's or the write's transaction). The solve runs in
the solve pool, off this loop, so the heartbeat keeps beating through it. The heartbeat stops
when the write begins: the write's first statement renews the lease inside the write and
takes the run's row (PostgreSQL's row lock; on SQLite the single write lock, which a
heartbeat from another connection could only queue behind), so nobody can fail the run while
it writes. A process killed mid-write rolls its write back, leaving the lease last committed
to run out within one lease; the next request then fails the run as interrupted
(``service.request_run``). If that happened while this process still worked (it stalled for a
whole lease), the heartbeat or the write sees the run is no longer ours and writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from functools import partial

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from matching.lib import clock
from matching.lib.context import Context
from matching.matches import processes, service, snapshot
from matching.matches.partitions import Partition
from matching.matches.schemas import MatchRunOut
from matching.matches.solver import Outcome, Reasons, solve_snapshot, word
from matching.network import policy

log = logging.getLogger("laowu.matching")

RENEWALS_PER_LEASE = 4
"""The heartbeat renews the lease this many times per lease length."""

Progress = Callable[[str, str], None]


def _quiet(_phase: str, _message: str) -> None:
    pass


async def execute_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    ctx: Context,
    run_id: int,
    *,
    progress: Progress = _quiet,
) -> MatchRunOut | None:
    """Run a queued match run to the end. None when another process had already claimed it
    (or it was failed as interrupted before anyone claimed it)."""
    lease = service.lease_of(ctx)
    async with sessionmaker() as session, session.begin():
        if not await service.claim_run(session, run_id, lease):
            return None
        run = await session.get(service.R, run_id)
        assert run is not None
        dry_run = run.dry_run
        partition = Partition(run.share, run.shares)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    heartbeat = Heartbeat(sessionmaker, run_id, lease)
    words: asyncio.Future[tuple[Reasons, float]] | None = None
    try:
        processes.warm_solve_pool()  # its process starts while the snapshot is read
        t, cpu = time.perf_counter(), time.process_time()
        async with sessionmaker() as session:
            conn = await session.connection()
            if conn.dialect.name == "postgresql":
                await conn.exec_driver_sql(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
            priority = await policy.priority_codes(session)  # in force, read with the rest
            snap = await snapshot.load(session, clock.now(), clock.today(), priority)
            await session.rollback()
        timings["snapshot"] = time.perf_counter() - t
        timings["snapshot_cpu"] = time.process_time() - cpu  # this process's; not the database's
        progress(
            "snapshot",
            f"{len(snap.workers)} available workers, {len(snap.openings)} openings with slots "
            f"({timings['snapshot']:.2f}s)",
        )
        t = time.perf_counter()
        loop = asyncio.get_running_loop()
        outcome: Outcome = await loop.run_in_executor(
            processes.solve_pool(), partial(solve_snapshot, snap, partition=partition)
        )
        timings.update(outcome.timings)
        timings["solve_total"] = time.perf_counter() - t
        progress(
            "solve",
            ("" if partition.whole else f"share {partition}: {outcome.stats['markets']} markets, ")
            + f"{outcome.stats.get('eligible_pairs', 0)} eligible pairs, "
            f"{len(outcome.proposals)} proposals "
            f"({outcome.stats.get('priority_proposals', 0)} priority) "
            f"({timings['solve_total']:.2f}s)",
        )
        # The reasons are worded in the solve pool while the offers are written.
        result, outcome.result = outcome.result, None
        if result is not None:  # a dry run keeps its proposals with their reasons too
            words = loop.run_in_executor(processes.solve_pool(), word, result)
        await heartbeat.stop()  # the write holds the run itself, from its first statement
        t, cpu = time.perf_counter(), time.process_time()
        async with sessionmaker() as session, session.begin():
            await service.hold_for_write(session, run_id, lease)
            await service.record_outcome(
                session,
                run_id,
                outcome,
                dry_run=dry_run,
                ctx=ctx,
                timings=timings,  # record_outcome adds the write sub-phases
                words=words,
            )
            # The timings belong to the write: "write" and "total" run up to here, just
            # before the timings themselves are stored and the transaction commits.
            timings["write"] = time.perf_counter() - t
            timings["write_cpu"] = time.process_time() - cpu
            timings["total"] = time.perf_counter() - started
            await _store_timings(session, run_id, timings)
        progress(
            "write",
            f"{'nothing (dry run)' if dry_run else 'proposals and offers'} "
            f"written ({timings['write']:.2f}s)",
        )
    except service.LeaseLost as exc:
        log.error("match run %s: %s; nothing written", run_id, exc)
        progress("failed", f"{exc}; nothing written")
    except Exception as exc:
        log.exception("match run %s failed", run_id)
        async with sessionmaker() as session, session.begin():
            await service.fail_run(session, run_id, f"{type(exc).__name__}: {exc}")
        progress("failed", f"{type(exc).__name__}: {exc}")
    finally:
        await heartbeat.stop()
        if words is not None:  # the write may have failed before it needed them
            words.cancel()
            if words.done() and not words.cancelled():
                words.exception()  # seen, so never reported as lost
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


class Heartbeat:
    """Renews a running run's lease every ``lease / RENEWALS_PER_LEASE`` until stopped.

    Starts at once; each renewal is a transaction of its own. A renewal that fails (the
    database briefly unreachable) is logged and retried at the next beat: the lease has
    three more beats of slack. It stops by itself when the run is no longer ours."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], run_id: int, lease: dt.timedelta
    ) -> None:
        self._sessionmaker = sessionmaker
        self._run_id = run_id
        self._lease = lease
        self._every = lease.total_seconds() / RENEWALS_PER_LEASE
        self._stopping = asyncio.Event()
        self.renewals = 0
        self.lost = False
        self._task = asyncio.create_task(self._beat(), name=f"match-run-{run_id}-lease")

    async def _beat(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._every)
                return
            try:
                async with self._sessionmaker() as session, session.begin():
                    ours = await service.renew_lease(session, self._run_id, self._lease)
            except Exception:
                log.warning("match run %s: lease renewal failed", self._run_id, exc_info=True)
                continue
            if not ours:
                self.lost = True
                log.error("match run %s was failed as interrupted while it ran", self._run_id)
                return
            self.renewals += 1

    async def stop(self) -> None:
        """Stop renewing; a renewal under way finishes first. Idempotent."""
        self._stopping.set()
        await self._task
