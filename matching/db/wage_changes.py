"""The one home of the writes that keep ``wage_changes`` current (the summary's labour income,
``docs/figures.md``, "Cost").

A placement that happened (not ended before it started) adds its monthly wage on its start
date and, once ended, takes it off on the day after its end date; the rows sum these changes
per (day, agency, destination city, woman, running). A write that changes what a placement
adds — its start, its wage, its end, her sex, its opening's city — calls :func:`changing`
around its UPDATE (the old contributions come off, the new ones go on) or :func:`add` after an
INSERT, in the same transaction, so the table is never out of step with the placements.

It lives in ``db`` because writes of several features touch it (placements, a worker's sex in
profiles, an opening's city in openings) and none of them may import a later one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    delete,
    false,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m

PL = m.Placement.__table__.c
W = m.WorkerProfile.__table__.c
OP = m.Opening.__table__.c
WC = m.WageChange.__table__.c
KEY = ("day", "agency_id", "city", "woman", "running")

_JOINED = m.Placement.__table__.join(m.WorkerProfile.__table__, W.id == PL.worker_id).join(
    m.Opening.__table__, OP.id == PL.opening_id
)
HAPPENED = or_(PL.ended_on.is_(None), PL.ended_on >= PL.start_date)
_WOMAN = case((W.sex == "female", true()), else_=false())


def changes(pg: bool, *where: ColumnElement[bool]) -> Select[tuple[object, ...]]:
    """The wage changes of the placements matching ``where``, summed per key."""
    after_end = PL.ended_on + 1 if pg else func.date(PL.ended_on, "+1 day")
    starts = (
        select(
            PL.start_date.label("day"),
            PL.agency_id,
            OP.city,
            _WOMAN.label("woman"),
            PL.ended_on.is_(None).label("running"),
            PL.monthly_wage.label("wage"),
        )
        .select_from(_JOINED)
        .where(HAPPENED, *where)
    )
    ends = (
        select(
            after_end.label("day"),
            PL.agency_id,
            OP.city,
            _WOMAN.label("woman"),
            false().label("running"),
            (-PL.monthly_wage).label("wage"),
        )
        .select_from(_JOINED)
        .where(PL.ended_on.is_not(None), HAPPENED, *where)
    )
    u = union_all(starts, ends).subquery("changes")
    key = [u.c[k] for k in KEY]
    return select(*key, func.sum(u.c.wage).label("wage")).group_by(*key)


async def add(session: AsyncSession, *where: ColumnElement[bool], sign: int = 1) -> None:
    """Add (``sign`` 1) or take off (-1) what the placements matching ``where`` contribute."""
    pg = session.get_bind().dialect.name == "postgresql"
    found = changes(pg, *where).subquery("found")
    rows = select(*(found.c[k] for k in KEY), found.c.wage * sign).where(true())
    ins = (postgresql.insert if pg else sqlite.insert)(m.WageChange)
    stmt = ins.from_select([*KEY, "wage"], rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(KEY), set_={"wage": WC.wage + stmt.excluded.wage}
    )
    await session.execute(stmt)


@asynccontextmanager
async def changing(session: AsyncSession, *where: ColumnElement[bool]) -> AsyncIterator[None]:
    """Around a write to the placements matching ``where`` (or to what they join): their old
    contributions come off before it, their new ones go on after it."""
    await add(session, *where, sign=-1)
    yield
    await add(session, *where)


async def rebuild(session: AsyncSession) -> None:
    """The whole table from the placements as they are (a migration's backfill, a bulk load
    that went around the services)."""
    await session.execute(delete(m.WageChange))
    await add(session)
