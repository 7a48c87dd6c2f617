"""Use cases for match runs: request one, write its outcome, read proposals and offers.

Functions here flush and never commit; the runner (``runner.py``) and the routes own the
transactions."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.reads import worker_visible
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, Invalid, NotFound, msg
from matching.lib.principal import Principal, visible
from matching.matches import partitions
from matching.matches import repository as repo
from matching.matches.partitions import WHOLE, Partition
from matching.matches.repository import (  # the run's writes keep their names here
    insert_proposals,
    insert_unproposed,
)
from matching.matches.schemas import (
    MatchRunOut,
    MatchRunPage,
    ProposalOut,
    ProposalPage,
    RunStats,
    UnproposedOut,
    UnproposedPage,
    WorkerOutcome,
)
from matching.matches.solver import Outcome, ProposalRow, Reasons
from matching.offers import service as offers

DEFAULT_LEASE = dt.timedelta(seconds=60)
"""How long a queued or running run is known alive without news from its process (the
``LAOWU_MATCH_LEASE_SECONDS`` default); the runner renews it every quarter of its lease."""


class LeaseLost(RuntimeError):
    """The run was failed as interrupted while this process still worked on it."""


R = m.MatchRun
"""The run's model, as the runner reads it."""


def run_out(run: m.MatchRun) -> MatchRunOut:
    stats = {k: v for k, v in (run.stats or {}).items() if k in RunStats.__struct_fields__}
    return MatchRunOut(
        id=run.id,
        status=run.status,
        dry_run=run.dry_run,
        trigger=run.trigger,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
        stats=RunStats(**stats),
        audit=run.audit or {},
        timings=run.timings or {},
        share=run.share,
        shares=run.shares,
    )


def lease_of(ctx: Context) -> dt.timedelta:
    return dt.timedelta(seconds=max(1, ctx.settings.match_lease_seconds))


async def _fail_if_lapsed(session: AsyncSession, live: m.MatchRun) -> bool:
    """Fail the live run as interrupted if its lease ran out; True when it did."""
    now = clock.now()
    if live.lease_until is not None and live.lease_until >= now:
        return False
    when = "never" if live.lease_until is None else live.lease_until.isoformat(timespec="seconds")
    error = f"interrupted: its process stopped renewing its lease at {when} (while {live.status})"
    return await repo.fail_lapsed(session, live.id, now, error=error)


async def request_run(
    session: AsyncSession,
    principal: Principal,
    *,
    dry_run: bool,
    trigger: str = "api",
    lease: dt.timedelta = DEFAULT_LEASE,
    partition: Partition = WHOLE,
) -> MatchRunOut:
    """Queue a run over ``partition`` (share K of N of the markets; all of them by default).

    Runs may be live at once only over disjoint shares: a live run whose share overlaps
    refuses the new one (409 with ``running_run_id``). A live run whose lease ran out died
    with its process: it is failed as interrupted and no longer blocks. The new run's lease
    (``lease``) covers the wait until a runner claims it; the runner then renews it
    (``runner.execute_run``). The check and the insert hold ``repo.lock_runs``."""
    principal.require("admin", "staff")
    partition = partitions.checked(partition.share, partition.shares)
    await repo.lock_runs(session)
    for live in await repo.live_runs(session):
        theirs = Partition(live.share, live.shares)
        if not partition.overlaps(theirs) or await _fail_if_lapsed(session, live):
            continue
        if partition.whole and theirs.whole:
            raise Conflict(
                msg("match run {id} is {status}; wait for it to finish"),
                extra={"running_run_id": live.id},
                id=live.id,
                status=live.status,
            )
        raise Conflict(
            msg(
                "match run {id} over share {theirs} is {status} and shares markets with "
                "share {wanted}; wait for it to finish"
            ),
            extra={"running_run_id": live.id, "running_partition": str(theirs)},
            id=live.id,
            theirs=str(theirs),
            status=live.status,
            wanted=str(partition),
        )
    run = repo.add_run(
        session,
        R(
            status="queued",
            live=True,
            dry_run=dry_run,
            trigger=trigger,
            requested_by_id=principal.account_id or None,
            stats={},
            audit={},
            timings={},
            lease_until=clock.now() + lease,
            share=partition.share,
            shares=partition.shares,
        ),
    )
    try:
        await session.flush()
    except IntegrityError as exc:  # another request queued one in the same instant
        raise Conflict(msg("another match run was just started")) from exc
    return run_out(run)


async def claim_run(session: AsyncSession, run_id: int, lease: dt.timedelta) -> bool:
    """Move a queued run to running under a fresh lease; False when someone else already did
    (or the run was failed after its lease ran out unclaimed)."""
    now = clock.now()
    return await repo.claim_queued(session, run_id, started_at=now, lease_until=now + lease)


async def renew_lease(session: AsyncSession, run_id: int, lease: dt.timedelta) -> bool:
    """Extend the run's lease; False when it was failed as interrupted meanwhile."""
    return await repo.renew_lease(session, run_id, lease_until=clock.now() + lease)


async def hold_for_write(session: AsyncSession, run_id: int, lease: dt.timedelta) -> None:
    """The write transaction's first statement: renew the lease in it, or raise LeaseLost.

    From here to its commit the transaction holds the run (its row lock on PostgreSQL, the
    database's one write lock on SQLite), so nobody can fail it meanwhile; if this process
    dies, the write rolls back whole and the lease last committed runs out."""
    if not await repo.renew_lease(session, run_id, lease_until=clock.now() + lease):
        raise LeaseLost(f"match run {run_id} was failed as interrupted before its write")


async def fail_run(session: AsyncSession, run_id: int, error: str) -> None:
    await repo.mark_failed(session, run_id, error=error[:2000], finished_at=clock.now())


async def _valid_now(session: AsyncSession, rows: list[ProposalRow]) -> list[ProposalRow]:
    """Drop proposals the world moved past while the engine ran (closed opening, new edit)."""
    capacity = await repo.slots_left(session, sorted({r.opening_id for r in rows}), clock.now())
    available = await repo.available_among(session, [r.worker_id for r in rows], clock.now())
    kept: list[ProposalRow] = []
    # Priority-group proposals keep their slot first, as in the engine's objective.
    for row in sorted(rows, key=lambda r: (not r.priority, -r.score, r.worker_id)):
        if row.worker_id in available and capacity.get(row.opening_id, 0) > 0:
            capacity[row.opening_id] -= 1
            kept.append(row)
    kept.sort(key=lambda r: r.worker_id)
    return kept


async def _take_reasons(
    outcome: Outcome,
    words: Awaitable[tuple[Reasons, float]] | None,
    timings: dict[str, float],
) -> None:
    """Give each proposal the reasons the solve pool worded (none: they keep their own)."""
    if words is None:
        return
    t = time.perf_counter()
    reasons, seconds = await words
    timings["explain"] = timings.get("explain", 0.0) + seconds
    for row, said in zip(outcome.proposals, reasons, strict=True):
        row.reasons = said
    timings["write_awaiting_reasons"] = time.perf_counter() - t


async def record_outcome(
    session: AsyncSession,
    run_id: int,
    outcome: Outcome,
    *,
    dry_run: bool,
    ctx: Context,
    timings: dict[str, float],
    words: Awaitable[tuple[Reasons, float]] | None = None,
) -> None:
    """Write the run, its proposals, offers and reasons: the caller commits it as ONE unit.

    The proposals' reasons come from ``words`` (``solver.word``, under way in the solve
    pool), awaited only once the offers, their links and notices are written: those need
    none. Without ``words`` the proposals are stored with the reasons they carry.
    ``timings`` gains the write's sub-phases; the caller stores the run's timings, complete,
    in the same transaction.
    """
    stats: dict[str, Any] = dict(outcome.stats)
    if dry_run:
        # Kept to be read on the run's page, never offered and never notified: no offer, no
        # link, no notice is written, and a dry run's proposals are marked by its run.
        await _take_reasons(outcome, words, timings)
        await insert_proposals(session, run_id, outcome.proposals)
        await insert_unproposed(session, run_id, outcome.unproposed)
        stats.update(offers=0, dropped_stale=0)
    else:
        t = time.perf_counter()
        kept = await _valid_now(session, outcome.proposals)
        timings["write_recheck"] = time.perf_counter() - t
        t = time.perf_counter()
        await offers.make_offers(session, ctx, run_id, [(r.worker_id, r.opening_id) for r in kept])
        timings["write_offers_links_notices"] = time.perf_counter() - t
        await _take_reasons(outcome, words, timings)  # kept holds the same rows
        t = time.perf_counter()
        await insert_proposals(session, run_id, kept)
        timings["write_proposals"] = time.perf_counter() - t
        t = time.perf_counter()
        await insert_unproposed(session, run_id, outcome.unproposed)
        timings["write_unproposed"] = time.perf_counter() - t
        stats.update(
            offers=len(kept),
            dropped_stale=len(outcome.proposals) - len(kept),
            proposals=len(kept),
            priority_proposals=sum(1 for r in kept if r.priority),
        )
    await repo.mark_done(
        session,
        run_id,
        finished_at=clock.now(),
        stats=stats,
        audit=outcome.audit,
    )


def _require_reader(principal: Principal) -> None:
    principal.require("admin", "staff")


async def get_run(session: AsyncSession, principal: Principal, run_id: int) -> MatchRunOut:
    _require_reader(principal)
    run = await repo.run_by_id(session, run_id)
    if run is None:
        raise NotFound(msg("no match run with id {run_id}"), run_id=run_id)
    return run_out(run)


async def list_runs(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> MatchRunPage:
    _require_reader(principal)
    rows, total = await repo.runs_page(session, limit=limit, offset=offset)
    return MatchRunPage(items=[run_out(r) for r in rows], total=total)


EMPLOYER_SEES = frozenset({"skill", "training", "start", "employer", "partner", "quality"})
"""The kinds of reason (``engine.REASON_KINDS``) an employer account is shown: her skills and
levels, when she can start, and what the employer knows of itself. Never ``priority`` (her
groups), ``place`` (her home county, her preferred cities), ``pay`` or ``housing`` (her own
minimum and needs). Reasons stored before kinds were finer (kind ``rule``) are not shown."""


async def list_proposals(
    session: AsyncSession,
    principal: Principal,
    run_id: int,
    *,
    lang: str,
    opening_id: int | None,
    limit: int,
    offset: int,
) -> ProposalPage:
    if lang not in ("zh", "en"):
        raise Invalid("lang", msg("must be zh or en"))
    if principal.is_employer:
        if await repo.run_by_id(session, run_id) is None:
            raise NotFound(msg("no match run with id {run_id}"), run_id=run_id)
    else:
        await get_run(session, principal, run_id)
    # Staff see their agency's workers' proposals, an employer those for its openings.
    where = visible(principal, agency=repo.W.agency_id, employer=repo.OP.employer_id)
    rows, total = await repo.proposals_page(
        session, run_id, where, opening_id=opening_id, limit=limit, offset=offset
    )
    employer = principal.is_employer
    items = [
        ProposalOut(
            worker_id=r.worker_id,
            worker_name=r.worker_name,
            opening_id=r.opening_id,
            opening_title=r.opening_title,
            score=r.score,
            reasons=[x[lang] for x in r.reasons if not employer or x["kind"] in EMPLOYER_SEES],
            parts=r.parts,
            runners_up=[] if employer else r.runners_up,
            priority=None if employer else r.priority,
        )
        for r in rows
    ]
    return ProposalPage(items=items, total=total)


async def list_unproposed(
    session: AsyncSession, principal: Principal, run_id: int, *, lang: str, limit: int, offset: int
) -> UnproposedPage:
    """The workers a run left out, each with the one reason she was not proposed."""
    if lang not in ("zh", "en"):
        raise Invalid("lang", msg("must be zh or en"))
    await get_run(session, principal, run_id)
    where = visible(principal, agency=repo.W.agency_id)
    rows, total = await repo.unproposed_page(session, run_id, where, limit=limit, offset=offset)
    items = [
        UnproposedOut(worker_id=r.worker_id, worker_name=r.worker_name, reason=getattr(r, lang))
        for r in rows
    ]
    return UnproposedPage(items=items, total=total)


async def worker_outcome(
    session: AsyncSession, principal: Principal, run_id: int, worker_id: int, *, lang: str
) -> WorkerOutcome:
    """Why she was proposed, or why not."""
    _require_reader(principal)
    if lang not in ("zh", "en"):
        raise Invalid("lang", msg("must be zh or en"))
    await get_run(session, principal, run_id)
    if not await worker_visible(session, worker_id, visible(principal, agency=repo.W.agency_id)):
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    prop = await repo.proposal_of(session, run_id, worker_id)
    if prop is not None:
        return WorkerOutcome(
            worker_id=worker_id,
            proposed=True,
            opening_id=prop.opening_id,
            reasons=[x[lang] for x in prop.reasons],
        )
    skip = await repo.unproposed_of(session, run_id, worker_id)
    if skip is not None:
        return WorkerOutcome(
            worker_id=worker_id, proposed=False, opening_id=None, reasons=[getattr(skip, lang)]
        )
    reason = (
        "本次匹配时她不在可匹配名单中（未同意匹配、已有录用通知或已就业）"
        if lang == "zh"
        else "she was not in this run's pool (no consent to matching, a live offer, or placed)"
    )
    return WorkerOutcome(worker_id=worker_id, proposed=False, opening_id=None, reasons=[reason])
