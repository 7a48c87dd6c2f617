"""The reports' SQL: counts and chart rows, each confined by the caller's scope conditions
(``matching.lib.principal.visible``). Nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import SCHEDULER_LOCK_CLASS, SCHEDULER_LOCK_OBJECT
from matching.db.rules import used_slots

W = m.WorkerProfile.__table__.c
G = m.WorkerGroup.__table__.c
OF = m.Offer.__table__.c
OP = m.Opening.__table__.c
E = m.Employer.__table__.c
PL = m.Placement.__table__.c
FU = m.FollowUp.__table__.c
CA = m.Case.__table__.c
N = m.Notice.__table__.c

OPEN_CASE = ("open", "mediating", "escalated")
Where = list[ColumnElement[bool]]


async def _count(session: AsyncSession, stmt: Any) -> int:
    return int((await session.execute(stmt)).scalar_one() or 0)


async def available_workers(session: AsyncSession, where: Where) -> int:
    stmt = (
        select(func.count())
        .select_from(m.WorkerProfile.__table__)
        .where(W.status == "available", *where)
    )
    return await _count(session, stmt)


_POOL = m.Opening.__table__.join(m.Employer.__table__, E.id == OP.employer_id)
_IS_OPEN = (OP.status == "open", E.suspended.is_(False))


async def open_openings(session: AsyncSession) -> int:
    """Openings are one shared pool: every agency sees every open opening."""
    return await _count(session, select(func.count()).select_from(_POOL).where(*_IS_OPEN))


async def slots_left(session: AsyncSession, now: dt.datetime) -> int:
    """Slots left in open openings, counted as matching counts them, in one statement."""
    used = used_slots(now)
    left = OP.headcount - func.coalesce(used.c.used, 0)
    stmt = (
        select(func.coalesce(func.sum(case((left > 0, left), else_=0)), 0))
        .select_from(_POOL.outerjoin(used, used.c.opening_id == OP.id))
        .where(*_IS_OPEN)
    )
    return await _count(session, stmt)


async def pending_offers(session: AsyncSession, where: Where) -> int:
    stmt = (
        select(func.count())
        .select_from(m.Offer.__table__.join(m.WorkerProfile.__table__, W.id == OF.worker_id))
        .where(OF.status == "pending", *where)
    )
    return await _count(session, stmt)


async def placements_starting_between(
    session: AsyncSession, start: dt.date, end: dt.date, where: Where
) -> int:
    stmt = (
        select(func.count())
        .select_from(m.Placement.__table__)
        .where(PL.start_date >= start, PL.start_date < end, *where)
    )
    return await _count(session, stmt)


async def followups_due(session: AsyncSession, today: dt.date, where: Where) -> int:
    stmt = (
        select(func.count())
        .select_from(m.FollowUp.__table__.join(m.Placement.__table__, PL.id == FU.placement_id))
        .where(FU.status.in_(("scheduled", "due")), FU.due_on <= today, *where)
    )
    return await _count(session, stmt)


async def open_cases(session: AsyncSession, where: Where) -> int:
    stmt = (
        select(func.count()).select_from(m.Case.__table__).where(CA.status.in_(OPEN_CASE), *where)
    )
    return await _count(session, stmt)


async def failed_notices(session: AsyncSession, where: Where) -> int:
    stmt = (
        select(func.count())
        .select_from(m.Notice.__table__.outerjoin(m.WorkerProfile.__table__, W.id == N.worker_id))
        .where(N.status == "failed", *where)
    )
    return await _count(session, stmt)


async def placements_since(session: AsyncSession, since: dt.date, where: Where) -> list[Any]:
    """(id, start date, city) of every placement starting on or after ``since``."""
    stmt = (
        select(PL.id, PL.start_date, OP.city)
        .join(m.Opening.__table__, OP.id == PL.opening_id)
        .where(PL.start_date >= since, *where)
    )
    return list((await session.execute(stmt)).all())


async def groups_of_placements(session: AsyncSession, placement_ids: list[int]) -> Counter[str]:
    """How many of these placements' workers are in each priority group."""
    groups: Counter[str] = Counter()
    for start in range(0, len(placement_ids), 500):
        chunk = placement_ids[start : start + 500]
        stmt = (
            select(G.group_code, func.count())
            .select_from(
                m.Placement.__table__.join(m.WorkerGroup.__table__, G.worker_id == PL.worker_id)
            )
            .where(PL.id.in_(chunk))
            .group_by(G.group_code)
        )
        for code, n in (await session.execute(stmt)).all():
            groups[code] += n
    return groups


# -- what an operator watches (/metrics): unscoped, read by the metrics route only ----------

MR = m.MatchRun.__table__.c
JR = m.JobRun.__table__.c


async def notices_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(N.status, func.count()).group_by(N.status))
    return {status: int(n) for status, n in rows.all()}


async def notice_retries(session: AsyncSession) -> int:
    """Delivery attempts beyond each notice's first, over the whole outbox."""
    stmt = select(func.coalesce(func.sum(N.attempts - 1), 0)).where(N.attempts > 1)
    return await _count(session, stmt)


async def oldest_pending_notice(session: AsyncSession) -> dt.datetime | None:
    stmt = select(func.min(N.created_at)).where(N.status == "pending")
    return (await session.execute(stmt)).scalar_one_or_none()


async def match_runs_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(MR.status, func.count()).group_by(MR.status))
    return {status: int(n) for status, n in rows.all()}


async def last_done_run_timings(session: AsyncSession) -> dict[str, Any]:
    stmt = select(MR.timings).where(MR.status == "done").order_by(MR.id.desc()).limit(1)
    return dict((await session.execute(stmt)).scalar_one_or_none() or {})


async def last_job_successes(session: AsyncSession) -> dict[str, dt.datetime]:
    stmt = select(JR.job, func.max(JR.finished_at)).where(JR.outcome == "ok").group_by(JR.job)
    return {job: at for job, at in (await session.execute(stmt)).all() if at is not None}


async def scheduler_leaders(session: AsyncSession) -> int:
    """Sessions holding the scheduler's leader lock in this database (PostgreSQL only)."""
    stmt = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :c"
        " AND objid = :o AND objsubid = 2 AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    found = await session.execute(stmt, {"c": SCHEDULER_LOCK_CLASS, "o": SCHEDULER_LOCK_OBJECT})
    return int(found.scalar_one())
