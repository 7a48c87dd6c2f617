"""The placements' SQL: starting one, the day-before notice's facts, and the lists the console
shows (scoped by the caller's conditions from ``matching.lib.principal.visible``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m

W = m.WorkerProfile.__table__.c
OF = m.Offer.__table__.c
OP = m.Opening.__table__.c
E = m.Employer.__table__.c
PL = m.Placement.__table__.c
FU = m.FollowUp.__table__.c
LINK = m.OfferLink.__table__.c


async def employer_industry(session: AsyncSession, employer_id: int) -> str | None:
    stmt = select(m.Employer.industry).where(m.Employer.id == employer_id)
    return (await session.execute(stmt)).scalar()


async def set_worker_status(session: AsyncSession, worker_id: int, status: str) -> None:
    await session.execute(
        update(m.WorkerProfile)
        .where(m.WorkerProfile.id == worker_id)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


async def starting_on(session: AsyncSession, day: dt.date) -> list[Any]:
    """Active placements starting on ``day``, with what the day-before notice says."""
    stmt = (
        select(
            PL.id,
            PL.worker_id,
            PL.agency_id,
            W.name.label("worker_name"),
            W.phone,
            W.locale,
            E.name.label("employer"),
            OP.city,
            OP.title,
            OP.monthly_wage_min.label("wage_min"),
            OP.monthly_wage_max.label("wage_max"),
            OP.housing_provided.label("housing"),
            OP.start_date,
            OF.expires_at,
            LINK.code,
        )
        .select_from(m.Placement.__table__)
        .join(m.Offer.__table__, OF.id == PL.offer_id)
        .join(m.WorkerProfile.__table__, W.id == OF.worker_id)
        .join(m.Opening.__table__, OP.id == OF.opening_id)
        .join(m.Employer.__table__, E.id == OP.employer_id)
        .outerjoin(m.OfferLink.__table__, LINK.offer_id == OF.id)
        .where(PL.status == "active", PL.start_date == day)
        .order_by(PL.id)
    )
    return list((await session.execute(stmt)).all())


async def _count(session: AsyncSession, stmt: Any) -> int:
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar()
    return int(total or 0)


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


async def rows(
    session: AsyncSession, where: list[ColumnElement[bool]], *, limit: int, offset: int
) -> tuple[list[PlacementRow], int]:
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
        .where(*where)
    )
    total = await _count(session, base)
    found = (await session.execute(base.order_by(PL.id.desc()).limit(limit).offset(offset))).all()
    return [PlacementRow(**r._mapping) for r in found], total


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


async def followups_before(
    session: AsyncSession, end: dt.date, where: list[ColumnElement[bool]]
) -> list[DueFollowUp]:
    """Follow-ups of active placements not yet done, falling due before ``end``."""
    stmt = (
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
            FU.status.in_(("scheduled", "due")),
            *where,
        )
        .order_by(FU.due_on, FU.placement_id)
        .limit(2000)
    )
    return [DueFollowUp(**r._mapping) for r in (await session.execute(stmt)).all()]


async def names(session: AsyncSession, placement_id: int) -> Any:
    """The worker, opening and employer names a placement page shows, with its scope keys."""
    stmt = (
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
    return (await session.execute(stmt)).first()
