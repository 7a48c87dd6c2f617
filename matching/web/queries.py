"""Read-only queries the console needs and the services do not offer (counts, lists, charts).

Every function takes the Principal and scopes its SQL the way the services do: staff see
their agency's workers (and what hangs off them), employer accounts their own openings, admins
everything. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.errors import Forbidden, NotFound
from matching.matches.repository import used_slots
from matching.network.principal import Principal

W = m.WorkerProfile.__table__.c
S = m.WorkerSkill.__table__.c
G = m.WorkerGroup.__table__.c
OF = m.Offer.__table__.c
OP = m.Opening.__table__.c
E = m.Employer.__table__.c
PL = m.Placement.__table__.c
FU = m.FollowUp.__table__.c
CA = m.Case.__table__.c
N = m.Notice.__table__.c

OPEN_CASE = ("open", "mediating", "escalated")


def _agency(principal: Principal) -> int | None:
    """The agency a staff member's reads are confined to; None for an admin."""
    if principal.is_admin:
        return None
    if principal.is_staff and principal.agency_id is not None:
        return principal.agency_id
    raise Forbidden("only agency staff and admins may see this")


def _by_agency(col: Any, agency: int | None) -> list[Any]:
    return [] if agency is None else [col == agency]


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    available_workers: int
    open_openings: int
    slots_left: int
    pending_offers: int
    placements_this_month: int
    followups_due: int
    open_cases: int
    failed_notices: int
    by_month: list[Bar]
    by_city: list[Bar]
    by_group: list[Bar]


async def _count(session: AsyncSession, stmt: Any) -> int:
    return int((await session.execute(stmt)).scalar_one() or 0)


async def dashboard(session: AsyncSession, principal: Principal) -> Dashboard:
    agency = _agency(principal)
    today = clock.today()
    month_start = today.replace(day=1)
    available = await _count(
        session,
        select(func.count())
        .select_from(m.WorkerProfile.__table__)
        .where(W.status == "available", *_by_agency(W.agency_id, agency)),
    )
    # Openings are one shared pool: every agency sees every open slot.
    pool = m.Opening.__table__.join(m.Employer.__table__, E.id == OP.employer_id)
    is_open = (OP.status == "open", E.suspended.is_(False))
    open_openings = await _count(session, select(func.count()).select_from(pool).where(*is_open))
    # Slots left as matching counts them (matches.repository.used_slots), in one statement.
    used = used_slots(clock.now())
    left = OP.headcount - func.coalesce(used.c.used, 0)
    slots = await _count(
        session,
        select(func.coalesce(func.sum(case((left > 0, left), else_=0)), 0))
        .select_from(pool.outerjoin(used, used.c.opening_id == OP.id))
        .where(*is_open),
    )
    pending = await _count(
        session,
        select(func.count())
        .select_from(m.Offer.__table__.join(m.WorkerProfile.__table__, W.id == OF.worker_id))
        .where(OF.status == "pending", *_by_agency(W.agency_id, agency)),
    )
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    this_month = await _count(
        session,
        select(func.count())
        .select_from(m.Placement.__table__)
        .where(
            PL.start_date >= month_start,
            PL.start_date < next_month,
            *_by_agency(PL.agency_id, agency),
        ),
    )
    due = await _count(
        session,
        select(func.count())
        .select_from(m.FollowUp.__table__.join(m.Placement.__table__, PL.id == FU.placement_id))
        .where(
            FU.status.in_(("scheduled", "due")),
            FU.due_on <= today,
            *_by_agency(PL.agency_id, agency),
        ),
    )
    cases_open = await _count(
        session,
        select(func.count())
        .select_from(m.Case.__table__)
        .where(CA.status.in_(OPEN_CASE), *_by_agency(CA.agency_id, agency)),
    )
    failed = await _count(
        session,
        select(func.count())
        .select_from(m.Notice.__table__.outerjoin(m.WorkerProfile.__table__, W.id == N.worker_id))
        .where(N.status == "failed", *_by_agency(W.agency_id, agency)),
    )
    # Charts: the last twelve months of placements, grouped in Python (both dialects alike).
    since = (month_start - dt.timedelta(days=335)).replace(day=1)
    rows = (
        await session.execute(
            select(PL.id, PL.start_date, OP.city)
            .join(m.Opening.__table__, OP.id == PL.opening_id)
            .where(PL.start_date >= since, *_by_agency(PL.agency_id, agency))
        )
    ).all()
    months: list[str] = []
    d = since
    # placements confirmed ahead of their start date count in the month they start
    last = max([today, *(r.start_date for r in rows)])
    while d <= last:
        months.append(f"{d:%Y-%m}")
        d = (d + dt.timedelta(days=32)).replace(day=1)
    per_month = Counter(f"{r.start_date:%Y-%m}" for r in rows)
    per_city = Counter(r.city for r in rows)
    groups: Counter[str] = Counter()
    ids = [r.id for r in rows]
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for code, n in (
            await session.execute(
                select(G.group_code, func.count())
                .select_from(
                    m.Placement.__table__.join(m.WorkerGroup.__table__, G.worker_id == PL.worker_id)
                )
                .where(PL.id.in_(chunk))
                .group_by(G.group_code)
            )
        ).all():
            groups[code] += n
    return Dashboard(
        available_workers=available,
        open_openings=open_openings,
        slots_left=slots,
        pending_offers=pending,
        placements_this_month=this_month,
        followups_due=due,
        open_cases=cases_open,
        failed_notices=failed,
        by_month=[Bar(mo, per_month.get(mo, 0)) for mo in months],
        by_city=[Bar(c, n) for c, n in per_city.most_common(8)],
        by_group=[Bar(c, n) for c, n in groups.most_common()],
    )


@dataclass(frozen=True, slots=True)
class OfferRow:
    id: int
    worker_id: int
    worker_name: str
    opening_id: int
    title: str
    employer: str
    city: str
    status: str
    expires_at: dt.datetime
    run_id: int | None


def _offer_select() -> Any:
    return (
        select(
            OF.id,
            OF.worker_id,
            W.name.label("worker_name"),
            OF.opening_id,
            OP.title,
            E.name.label("employer"),
            OP.city,
            OF.status,
            OF.expires_at,
            OF.run_id,
        )
        .select_from(m.Offer.__table__)
        .join(m.WorkerProfile.__table__, W.id == OF.worker_id)
        .join(m.Opening.__table__, OP.id == OF.opening_id)
        .join(m.Employer.__table__, E.id == OP.employer_id)
    )


async def list_offers(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    run_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[list[OfferRow], int]:
    """Offers of her agency's workers (staff) or all (admin), newest first."""
    agency = _agency(principal)
    cond: list[Any] = _by_agency(W.agency_id, agency)
    if status:
        cond.append(OF.status == status)
    if run_id is not None:
        cond.append(OF.run_id == run_id)
    base = _offer_select().where(*cond)
    total = await _count(session, select(func.count()).select_from(base.subquery()))
    rows = (await session.execute(base.order_by(OF.id.desc()).limit(limit).offset(offset))).all()
    return [OfferRow(**r._mapping) for r in rows], total


async def offers_of_run(
    session: AsyncSession, principal: Principal, run_id: int, worker_ids: list[int]
) -> dict[int, OfferRow]:
    """The offer each proposed worker got in a run (a dry run makes none)."""
    if not worker_ids:
        return {}
    cond = [OF.run_id == run_id, OF.worker_id.in_(worker_ids)]
    if not principal.is_admin:
        cond += _by_agency(W.agency_id, _agency(principal))
    rows = (await session.execute(_offer_select().where(*cond))).all()
    return {r.worker_id: OfferRow(**r._mapping) for r in rows}


@dataclass(frozen=True, slots=True)
class Candidate:
    """What an employer may see of a proposed worker (no ID, no group, no home village)."""

    offer_id: int
    status: str
    opening_id: int
    title: str
    name: str
    skills: list[tuple[str, int]]
    available_from: dt.date | None
    expires_at: dt.datetime


async def candidates(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Candidate], int]:
    if not principal.is_employer or principal.employer_id is None:
        raise Forbidden("this list is for employer accounts")
    cond: list[Any] = [OP.employer_id == principal.employer_id]
    cond.append(OF.status == status if status else OF.status.in_(("pending", "accepted")))
    base = (
        select(
            OF.id.label("offer_id"),
            OF.status,
            OF.opening_id,
            OP.title,
            W.name,
            W.id.label("worker_id"),
            W.available_from,
            OF.expires_at,
        )
        .select_from(m.Offer.__table__)
        .join(m.Opening.__table__, OP.id == OF.opening_id)
        .join(m.WorkerProfile.__table__, W.id == OF.worker_id)
        .where(*cond)
    )
    total = await _count(session, select(func.count()).select_from(base.subquery()))
    rows = (await session.execute(base.order_by(OF.id.desc()).limit(limit).offset(offset))).all()
    skills: dict[int, list[tuple[str, int]]] = {}
    if rows:
        for s in (
            await session.execute(
                select(S.worker_id, S.skill_code, S.level)
                .where(S.worker_id.in_([r.worker_id for r in rows]))
                .order_by(S.worker_id, S.skill_code)
            )
        ).all():
            skills.setdefault(s.worker_id, []).append((s.skill_code, s.level))
    return [
        Candidate(
            offer_id=r.offer_id,
            status=r.status,
            opening_id=r.opening_id,
            title=r.title,
            name=r.name,
            skills=skills.get(r.worker_id, []),
            available_from=r.available_from,
            expires_at=r.expires_at,
        )
        for r in rows
    ], total


@dataclass(frozen=True, slots=True)
class PlacementRow:
    id: int
    worker_id: int
    worker_name: str
    title: str
    employer: str
    city: str
    start_date: dt.date
    status: str


async def list_placements(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    worker_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[list[PlacementRow], int]:
    cond: list[Any] = []
    if principal.is_employer:
        cond.append(PL.employer_id == principal.employer_id)
    else:
        cond += _by_agency(PL.agency_id, _agency(principal))
    if status:
        cond.append(PL.status == status)
    if worker_id is not None:
        cond.append(PL.worker_id == worker_id)
    base = (
        select(
            PL.id,
            PL.worker_id,
            W.name.label("worker_name"),
            OP.title,
            E.name.label("employer"),
            OP.city,
            PL.start_date,
            PL.status,
        )
        .select_from(m.Placement.__table__)
        .join(m.WorkerProfile.__table__, W.id == PL.worker_id)
        .join(m.Opening.__table__, OP.id == PL.opening_id)
        .join(m.Employer.__table__, E.id == PL.employer_id)
        .where(*cond)
    )
    total = await _count(session, select(func.count()).select_from(base.subquery()))
    rows = (await session.execute(base.order_by(PL.id.desc()).limit(limit).offset(offset))).all()
    return [PlacementRow(**r._mapping) for r in rows], total


@dataclass(frozen=True, slots=True)
class DueFollowUp:
    placement_id: int
    n: int
    due_on: dt.date
    status: str
    worker_id: int
    worker_name: str
    employer: str
    city: str


async def followups_between(
    session: AsyncSession, principal: Principal, start: dt.date, end: dt.date
) -> list[DueFollowUp]:
    """Follow-ups not yet done falling due in [start, end), and overdue ones before start."""
    agency = _agency(principal)
    rows = (
        await session.execute(
            select(
                FU.placement_id,
                FU.n,
                FU.due_on,
                FU.status,
                PL.worker_id,
                W.name.label("worker_name"),
                E.name.label("employer"),
                OP.city,
            )
            .select_from(m.FollowUp.__table__)
            .join(m.Placement.__table__, PL.id == FU.placement_id)
            .join(m.WorkerProfile.__table__, W.id == PL.worker_id)
            .join(m.Opening.__table__, OP.id == PL.opening_id)
            .join(m.Employer.__table__, E.id == PL.employer_id)
            .where(
                FU.due_on < end,
                PL.status == "active",
                and_(FU.status.in_(("scheduled", "due"))),
                *_by_agency(PL.agency_id, agency),
            )
            .order_by(FU.due_on, FU.placement_id)
            .limit(2000)
        )
    ).all()
    return [DueFollowUp(**r._mapping) for r in rows]


async def placement_names(
    session: AsyncSession, principal: Principal, placement_id: int
) -> dict[str, Any]:
    """The worker, opening and employer names a placement page shows (scoped as the service)."""
    row = (
        await session.execute(
            select(
                W.name.label("worker_name"),
                OP.title,
                OP.city,
                E.name.label("employer"),
                PL.agency_id,
                PL.employer_id,
            )
            .select_from(m.Placement.__table__)
            .join(m.WorkerProfile.__table__, W.id == PL.worker_id)
            .join(m.Opening.__table__, OP.id == PL.opening_id)
            .join(m.Employer.__table__, E.id == PL.employer_id)
            .where(PL.id == placement_id)
        )
    ).first()
    ok = row is not None and (
        principal.is_admin
        or (principal.is_staff and principal.agency_id == row.agency_id)
        or (principal.is_employer and principal.employer_id == row.employer_id)
    )
    if not ok or row is None:
        raise NotFound(f"no placement with id {placement_id}")
    return dict(row._mapping)


async def worker_names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """Names for ids the caller already obtained through a scoped service."""
    if not ids:
        return {}
    rows = (await session.execute(select(W.id, W.name).where(W.id.in_(ids)))).all()
    return {r.id: r.name for r in rows}


async def opening_titles(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = (await session.execute(select(OP.id, OP.title).where(OP.id.in_(ids)))).all()
    return {r.id: r.title for r in rows}
