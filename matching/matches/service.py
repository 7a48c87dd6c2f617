"""Use cases for match runs: request one, write its outcome, read proposals and offers.

Functions here flush and never commit; the runner (``runner.py``) and the routes own the
transactions."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import bulk_insert, chunks
from matching.db.rules import used_slots
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, Invalid, NotFound
from matching.lib.principal import Principal
from matching.matches.schemas import (
    MatchRunOut,
    MatchRunPage,
    ProposalOut,
    ProposalPage,
    RunStats,
    WorkerOutcome,
)
from matching.matches.snapshot import _available_workers
from matching.matches.solver import Outcome, ProposalRow
from matching.offers import service as offers

RUN_TIMEOUT = dt.timedelta(minutes=30)
"""A run still queued or running after this long died with its process; it no longer blocks."""

R = m.MatchRun
P = m.Proposal.__table__.c
U = m.Unproposed.__table__.c
W = m.WorkerProfile.__table__.c
OP = m.Opening.__table__.c


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
    )


async def _fail_stale_runs(session: AsyncSession) -> None:
    cutoff = clock.now() - RUN_TIMEOUT
    await session.execute(
        update(R)
        .where(R.live.is_(True), R.created_at < cutoff)
        .values(status="failed", live=None, finished_at=clock.now(), error="interrupted: timed out")
        .execution_options(synchronize_session=False)
    )


async def request_run(
    session: AsyncSession, principal: Principal, *, dry_run: bool, trigger: str = "api"
) -> MatchRunOut:
    """Queue a run; only one may be queued or running at a time."""
    principal.require("admin", "staff")
    await _fail_stale_runs(session)
    live = (await session.execute(select(R).where(R.live.is_(True)))).scalar_one_or_none()
    if live is not None:
        raise Conflict(
            f"match run {live.id} is {live.status}; wait for it to finish",
            extra={"running_run_id": live.id},
        )
    run = R(
        status="queued",
        live=True,
        dry_run=dry_run,
        trigger=trigger,
        requested_by_id=principal.account_id or None,
        stats={},
        audit={},
        timings={},
    )
    session.add(run)
    try:
        await session.flush()
    except IntegrityError as exc:  # another request queued one in the same instant
        raise Conflict("another match run was just started") from exc
    return run_out(run)


async def claim_run(session: AsyncSession, run_id: int) -> bool:
    """Move a queued run to running; False when someone else already did."""
    result = await session.execute(
        update(R)
        .where(R.id == run_id, R.status == "queued")
        .values(status="running", started_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def fail_run(session: AsyncSession, run_id: int, error: str) -> None:
    await session.execute(
        update(R)
        .where(R.id == run_id)
        .values(status="failed", live=None, finished_at=clock.now(), error=error[:2000])
        .execution_options(synchronize_session=False)
    )


async def _capacity_now(session: AsyncSession, opening_ids: list[int]) -> dict[int, int]:
    now = clock.now()
    used = used_slots(now)
    left: dict[int, int] = {}
    for chunk in chunks(opening_ids):
        stmt = (
            select(OP.id, (OP.headcount - func.coalesce(used.c.used, 0)).label("left"))
            .outerjoin(used, used.c.opening_id == OP.id)
            .join(m.Employer, m.Employer.id == OP.employer_id)
            .where(OP.id.in_(chunk), OP.status == "open", m.Employer.suspended.is_(False))
        )
        left.update({r.id: int(r.left) for r in (await session.execute(stmt)).all()})
    return left


async def _still_available(session: AsyncSession, worker_ids: list[int]) -> set[int]:
    avail = _available_workers(clock.now())
    found: set[int] = set()
    for chunk in chunks(worker_ids):
        found.update((await session.execute(avail.where(W.id.in_(chunk)))).scalars())
    return found


async def _valid_now(session: AsyncSession, rows: list[ProposalRow]) -> list[ProposalRow]:
    """Drop proposals the world moved past while the engine ran (closed opening, new edit)."""
    capacity = await _capacity_now(session, sorted({r.opening_id for r in rows}))
    available = await _still_available(session, [r.worker_id for r in rows])
    kept: list[ProposalRow] = []
    # Priority-group proposals keep their slot first, as in the engine's objective.
    for row in sorted(rows, key=lambda r: (not r.priority, -r.score, r.worker_id)):
        if row.worker_id in available and capacity.get(row.opening_id, 0) > 0:
            capacity[row.opening_id] -= 1
            kept.append(row)
    kept.sort(key=lambda r: r.worker_id)
    return kept


async def insert_proposals(session: AsyncSession, run_id: int, rows: list[ProposalRow]) -> None:
    await bulk_insert(
        session,
        m.Proposal,
        [
            {
                "run_id": run_id,
                "worker_id": r.worker_id,
                "opening_id": r.opening_id,
                "score": r.score,
                "priority": r.priority,
                "parts": r.parts,
                "reasons": r.reasons,
                "runners_up": r.runners_up,
            }
            for r in rows
        ],
    )


async def insert_unproposed(
    session: AsyncSession, run_id: int, rows: list[tuple[int, int, str, str]]
) -> None:
    await bulk_insert(
        session,
        m.Unproposed,
        [
            {"run_id": run_id, "worker_id": w, "reason": c, "zh": zh[:300], "en": en[:300]}
            for w, c, zh, en in rows
        ],
    )


async def record_outcome(
    session: AsyncSession,
    run_id: int,
    outcome: Outcome,
    *,
    dry_run: bool,
    ctx: Context,
    timings: dict[str, float],
) -> None:
    """Write the run, its proposals, offers and reasons: the caller commits it as ONE unit."""
    stats: dict[str, Any] = dict(outcome.stats)
    if dry_run:
        stats.update(offers=0, dropped_stale=0)
    else:
        t = time.perf_counter()
        kept = await _valid_now(session, outcome.proposals)
        timings["write_recheck"] = time.perf_counter() - t
        t = time.perf_counter()
        await insert_proposals(session, run_id, kept)
        timings["write_proposals"] = time.perf_counter() - t
        t = time.perf_counter()
        await offers.make_offers(session, ctx, run_id, [(r.worker_id, r.opening_id) for r in kept])
        timings["write_offers_links_notices"] = time.perf_counter() - t
        t = time.perf_counter()
        await insert_unproposed(session, run_id, outcome.unproposed)
        timings["write_unproposed"] = time.perf_counter() - t
        stats.update(
            offers=len(kept),
            dropped_stale=len(outcome.proposals) - len(kept),
            proposals=len(kept),
            priority_proposals=sum(1 for r in kept if r.priority),
        )
    await session.execute(
        update(R)
        .where(R.id == run_id)
        .values(
            status="done",
            live=None,
            finished_at=clock.now(),
            stats=stats,
            audit=outcome.audit,
            timings={k: round(v, 4) for k, v in timings.items()},
        )
        .execution_options(synchronize_session=False)
    )


def _require_reader(principal: Principal) -> None:
    principal.require("admin", "staff")


async def get_run(session: AsyncSession, principal: Principal, run_id: int) -> MatchRunOut:
    _require_reader(principal)
    run = await session.get(R, run_id)
    if run is None:
        raise NotFound(f"no match run with id {run_id}")
    return run_out(run)


async def list_runs(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> MatchRunPage:
    _require_reader(principal)
    total = (await session.execute(select(func.count()).select_from(R))).scalar_one()
    rows = (
        await session.execute(select(R).order_by(R.id.desc()).limit(limit).offset(offset))
    ).scalars()
    return MatchRunPage(items=[run_out(r) for r in rows], total=int(total))


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
        raise Invalid("lang", "must be zh or en")
    if principal.is_employer:
        if await session.get(R, run_id) is None:
            raise NotFound(f"no match run with id {run_id}")
    else:
        await get_run(session, principal, run_id)
    conditions: list[Any] = [P.run_id == run_id]
    if principal.is_staff:
        conditions.append(W.agency_id == principal.agency_id)
    elif principal.is_employer:
        conditions.append(OP.employer_id == principal.employer_id)
    if opening_id is not None:
        conditions.append(P.opening_id == opening_id)
    base = (
        select(
            P.worker_id,
            P.opening_id,
            P.score,
            P.priority,
            P.parts,
            P.reasons,
            P.runners_up,
            W.name.label("worker_name"),
            OP.title.label("opening_title"),
        )
        .join(m.WorkerProfile.__table__, W.id == P.worker_id)
        .join(m.Opening.__table__, OP.id == P.opening_id)
        .where(*conditions)
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (await session.execute(base.order_by(P.worker_id).limit(limit).offset(offset))).all()
    employer = principal.is_employer
    items = [
        ProposalOut(
            worker_id=r.worker_id,
            worker_name=r.worker_name,
            opening_id=r.opening_id,
            opening_title=r.opening_title,
            score=r.score,
            reasons=[x[lang] for x in r.reasons if not (employer and x["kind"] == "priority")],
            parts=r.parts,
            runners_up=r.runners_up,
            priority=None if employer else r.priority,
        )
        for r in rows
    ]
    return ProposalPage(items=items, total=int(total))


async def worker_outcome(
    session: AsyncSession, principal: Principal, run_id: int, worker_id: int, *, lang: str
) -> WorkerOutcome:
    """Why she was proposed, or why not."""
    _require_reader(principal)
    if lang not in ("zh", "en"):
        raise Invalid("lang", "must be zh or en")
    await get_run(session, principal, run_id)
    scope = [W.id == worker_id]
    if principal.is_staff:
        scope.append(W.agency_id == principal.agency_id)
    if (await session.execute(select(W.id).where(*scope))).first() is None:
        raise NotFound(f"no worker with id {worker_id}")
    prop = (
        await session.execute(
            select(P.opening_id, P.reasons).where(P.run_id == run_id, P.worker_id == worker_id)
        )
    ).first()
    if prop is not None:
        return WorkerOutcome(
            worker_id=worker_id,
            proposed=True,
            opening_id=prop.opening_id,
            reasons=[x[lang] for x in prop.reasons],
        )
    skip = (
        await session.execute(
            select(U.zh, U.en).where(U.run_id == run_id, U.worker_id == worker_id)
        )
    ).first()
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
