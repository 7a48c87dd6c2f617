"""The one home of the writes that keep what the summary's distinct counts read of each
placement (``docs/figures.md``, "Cost"), so that they read the placements alone, by an index,
and group by no worker: her next starts (``placements.next_start``, ``next_start_city``,
``next_start_agency``, ``next_start_place``) and copies of what the figures count her under,
the opening's city (``counted_city``) and whether she is a woman (``counted_woman``, her
profile's sex).

A grouping is a set of her placements the summary counts her once in: all of them; those in
one destination city; in one agency; in one agency and city. Order the placements of a
grouping that happened (not ended before they started) by ``(start_date, id)``; a placement's
next start is the start date of the one after it, null for the last. The placements starting
in ``[from, to]`` are a run of consecutive ones in that order, and of the run exactly the last
has a next start after ``to`` (or none): the one after it is outside the run, so it started
after ``to``, while every other's next start is the start of one in the run, so on or before
``to``. "Distinct workers placed in [from, to]" is therefore "placements starting in
[from, to] whose next start is after ``to`` or null", and each worker is counted by her latest
placement in the period. Two placements starting the same day are ordered by id: the first's
next start is that day, inside any period the two start in, so the pair counts once.

A write that changes a grouping's order or a copy calls :func:`follow` in its transaction: a
placement inserted (``placements.repository.add_placement``), ended (an end before its start
date: it never happened, ``end_active``), an opening's city changed
(``openings.repository.update_opening_at_version``), her sex corrected
(``profiles.repository.update_at_version``). It recomputes every placement of the workers
concerned (a worker has a few), so a placement put between two, moved or taken out fixes its
neighbours' columns too (a write that moved a start or deleted a placement would call it with
her ``worker_id``; none does yet). An erasure keeps her placements, their dates and her sex,
and changes none of them. A bulk load that goes around the services (the benchmark's COPY) and
migration 0028 set every placement's by :func:`rebuild` / :func:`statement`.

It lives in ``db`` because writes of three features touch it (placements, an opening's city in
openings, her sex in profiles), as ``wage_changes`` does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Update, case, func, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m

PL = m.Placement.__table__.c
GROUPINGS: dict[str, tuple[str, ...]] = {
    "next_start": (),
    "next_start_city": ("city",),
    "next_start_agency": ("agency_id",),
    "next_start_place": ("agency_id", "city"),
}
"""Each kept column and what, besides the worker, its grouping's placements share."""


def statement(*where: ColumnElement[bool]) -> Update:
    """The UPDATE that sets the next starts and the copies of every placement of the workers
    with a placement matching ``where`` (every placement when there is no condition), writing
    only the rows whose values change."""
    p = m.Placement.__table__.alias("p")
    o = m.Opening.__table__.alias("o")
    w = m.WorkerProfile.__table__.alias("w")
    happened = or_(p.c.ended_on.is_(None), p.c.ended_on >= p.c.start_date)
    keys: dict[str, Any] = {"city": o.c.city, "agency_id": p.c.agency_id}
    order = [p.c.start_date, p.c.id]
    # The placements that never happened are a partition of their own, so none of them is
    # another's next; their own columns are null.
    apart = case((happened, 1), else_=0)
    columns = [
        case(
            (
                happened,
                func.lead(p.c.start_date).over(
                    partition_by=[p.c.worker_id, apart, *(keys[k] for k in by)], order_by=order
                ),
            ),
            else_=null(),
        ).label(name)
        for name, by in GROUPINGS.items()
    ]
    copies = [o.c.city.label("counted_city"), (w.c.sex == "female").label("counted_woman")]
    found = select(p.c.id, *columns, *copies).select_from(
        p.join(o, o.c.id == p.c.opening_id).join(w, w.c.id == p.c.worker_id)
    )
    if where:
        workers = select(PL.worker_id).where(*where).correlate(None)
        found = found.where(p.c.worker_id.in_(workers))
    s = found.subquery("s")
    kept = [*GROUPINGS, "counted_city", "counted_woman"]
    changed = or_(*(PL[name].is_distinct_from(s.c[name]) for name in kept))
    return update(m.Placement).where(PL.id == s.c.id, changed).values({k: s.c[k] for k in kept})


async def follow(session: AsyncSession, *where: ColumnElement[bool]) -> None:
    """After a write to the placements matching ``where`` (or to the opening or the worker
    they join): every placement of their workers gets its next starts and copies again."""
    if not where:
        raise ValueError("follow() needs the placements written; rebuild() recomputes all")
    await session.execute(statement(*where).execution_options(synchronize_session=False))


async def rebuild(session: AsyncSession) -> None:
    """Every placement's next starts and copies from the rows as they are (a bulk load that
    went around the services)."""
    await session.execute(statement().execution_options(synchronize_session=False))
