"""The placements' SQL: placements and their end, follow-ups and check-in links, tasks, rights
cases, employer standing, and the lists the console shows (scoped by the caller's conditions
from ``matching.lib.principal.visible``). Functions fetch or change rows; the rules are the
services'."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db import next_starts, wage_changes
from matching.db.dialect import insert_ignoring_conflicts
from matching.db.reads import count_of
from matching.notices import facts

W = m.WorkerProfile.__table__.c
OF = m.Offer.__table__.c
OP = m.Opening.__table__.c
E = m.Employer.__table__.c
PL = m.Placement.__table__.c
FU = m.FollowUp.__table__.c


async def employer_industry(session: AsyncSession, employer_id: int) -> str | None:
    stmt = select(m.Employer.industry).where(m.Employer.id == employer_id)
    return (await session.execute(stmt)).scalar()


async def in_home_county(session: AsyncSession, worker_id: int, opening_id: int) -> bool:
    """Whether the opening is in the county she comes from."""
    w, o = m.WorkerProfile, m.Opening
    stmt = (
        select(o.county.is_not(None) & (o.county == w.home_county))
        .select_from(w)
        .join(o, o.id == opening_id)
        .where(w.id == worker_id)
    )
    return bool((await session.execute(stmt)).scalar())


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
        select(PL.id, PL.worker_id, PL.agency_id, *facts.columns())
        .select_from(facts.source().join(m.Placement.__table__, PL.offer_id == OF.id))
        .where(PL.status == "active", PL.start_date == day)
        .order_by(PL.id)
    )
    return list((await session.execute(stmt)).all())


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


def _placement_rows(*extra: Any) -> Select[Any]:
    """The placement list's columns (and ``extra`` ones), with her, the opening's and the
    employer's names."""
    return (
        select(
            PL.id,
            PL.worker_id,
            W.name.label("worker_name"),
            OP.title,
            E.name.label("employer"),
            OP.city,
            PL.start_date,
            PL.status,
            *extra,
        )
        .select_from(m.Placement.__table__)
        .join(m.WorkerProfile.__table__, W.id == PL.worker_id)
        .join(m.Opening.__table__, OP.id == PL.opening_id)
        .join(m.Employer.__table__, E.id == PL.employer_id)
    )


async def rows_after(
    session: AsyncSession, where: list[ColumnElement[bool]], after_id: int, limit: int
) -> list[Any]:
    """The next ``limit`` placements above ``after_id``, by id, with her wage, end and whether
    it is in her home county: a keyset page for an export."""
    stmt = _placement_rows(PL.monthly_wage, PL.in_home_county, PL.ended_on, PL.end_reason)
    stmt = stmt.where(*where, PL.id > after_id).order_by(PL.id).limit(limit)
    return list((await session.execute(stmt)).all())


async def rows(
    session: AsyncSession, where: list[ColumnElement[bool]], *, limit: int, offset: int
) -> tuple[list[PlacementRow], int]:
    base = _placement_rows().where(*where)
    total = await count_of(session, base)
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
        .where(FU.due_on < end, *where)
        .order_by(FU.due_on, FU.placement_id)
        .limit(2000)
    )
    return [DueFollowUp(**r._mapping) for r in (await session.execute(stmt)).all()]


async def followups_after(
    session: AsyncSession, where: list[ColumnElement[bool]], after_id: int, limit: int
) -> list[Any]:
    """The next ``limit`` follow-ups above ``after_id``, by id, with her, the opening's and the
    employer's names and her answers: a keyset page for an export."""
    stmt = (
        select(
            FU.id,
            FU.placement_id,
            FU.n,
            FU.due_on,
            FU.status,
            FU.answered_at,
            FU.channel,
            FU.answers,
            PL.worker_id,
            W.name.label("worker_name"),
            OP.title,
            E.name.label("employer"),
        )
        .select_from(m.FollowUp.__table__)
        .join(m.Placement.__table__, PL.id == FU.placement_id)
        .join(m.WorkerProfile.__table__, W.id == PL.worker_id)
        .join(m.Opening.__table__, OP.id == PL.opening_id)
        .join(m.Employer.__table__, E.id == PL.employer_id)
        .where(*where, FU.id > after_id)
        .order_by(FU.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def names(session: AsyncSession, placement_id: int) -> Any:
    """The worker, opening and employer names a placement page shows, with its scope keys."""
    stmt = (
        select(
            W.name.label("worker_name"),
            OP.title,
            OP.city,
            OP.county,
            E.name.label("employer"),
            m.Agency.__table__.c.name.label("agency"),
            PL.agency_id,
            PL.employer_id,
        )
        .select_from(m.Placement.__table__)
        .join(m.WorkerProfile.__table__, W.id == PL.worker_id)
        .join(m.Opening.__table__, OP.id == PL.opening_id)
        .join(m.Employer.__table__, E.id == PL.employer_id)
        .join(m.Agency.__table__, m.Agency.__table__.c.id == PL.agency_id)
        .where(PL.id == placement_id)
    )
    return (await session.execute(stmt)).first()


# --- one placement: starting, reading, ending ------------------------------------------------


async def get_placement(session: AsyncSession, placement_id: int) -> m.Placement | None:
    return await session.get(m.Placement, placement_id)


async def add_placement(session: AsyncSession, placement: m.Placement) -> None:
    """Insert a new placement (its id is set on return), its wage in the summary's table and
    her placements' next starts (it may start before one of hers)."""
    session.add(placement)
    await session.flush()
    await wage_changes.add(session, PL.id == placement.id)
    await next_starts.follow(session, PL.id == placement.id)


async def job_fair_of_offer(session: AsyncSession, offer_id: int) -> int | None:
    """The job fair an offer was confirmed at (None: none)."""
    stmt = select(m.Offer.job_fair_id).where(m.Offer.id == offer_id)
    return (await session.execute(stmt)).scalar()


async def set_monthly_wage(session: AsyncSession, placement_id: int, wage: int) -> None:
    """What she reports she is paid a month becomes the placement's wage."""
    async with wage_changes.changing(session, PL.id == placement_id):
        await session.execute(
            update(m.Placement).where(m.Placement.id == placement_id).values(monthly_wage=wage)
        )


def add_follow_ups(
    session: AsyncSession, placement_id: int, due: list[tuple[int, dt.date]]
) -> None:
    """A placement's follow-ups, as (n, due_on), all scheduled; written with the next flush."""
    session.add_all(
        m.FollowUp(placement_id=placement_id, n=n, due_on=due_on, status="scheduled")
        for n, due_on in due
    )


async def follow_ups_of(session: AsyncSession, placement_id: int) -> list[m.FollowUp]:
    stmt = select(m.FollowUp).where(m.FollowUp.placement_id == placement_id).order_by(m.FollowUp.n)
    return list((await session.execute(stmt)).scalars())


async def refresh(session: AsyncSession, entity: Any) -> None:
    """Reload a loaded row from the database (after a Core UPDATE of it)."""
    await session.refresh(entity)


async def end_active(
    session: AsyncSession,
    placement_id: int,
    *,
    ended_on: dt.date,
    reason: str,
    note: str | None,
) -> bool:
    """End the placement if it is still active; False when it was not. An end before its start
    date means it never happened: her placements' next starts leave it out."""
    async with wage_changes.changing(session, PL.id == placement_id):
        result = await session.execute(
            update(m.Placement)
            .where(m.Placement.id == placement_id, m.Placement.status == "active")
            .values(
                status="ended",
                ended_on=ended_on,
                end_reason=reason,
                end_note=note,
                version=m.Placement.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
    if result.rowcount:  # type: ignore[attr-defined]
        await next_starts.follow(session, PL.id == placement_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def miss_scheduled_follow_ups(session: AsyncSession, placement_id: int) -> None:
    """The placement's follow-ups not yet due become missed."""
    await session.execute(
        update(m.FollowUp)
        .where(m.FollowUp.placement_id == placement_id, m.FollowUp.status == "scheduled")
        .values(status="missed")
        .execution_options(synchronize_session=False)
    )


async def release_placed_worker(session: AsyncSession, worker_id: int) -> None:
    """A placed worker becomes available again (no change in any other status; an erased
    worker stays inactive)."""
    await session.execute(
        update(m.WorkerProfile)
        .where(
            m.WorkerProfile.id == worker_id,
            m.WorkerProfile.status == "placed",
            m.WorkerProfile.erased_at.is_(None),
        )
        .values(status="available")
        .execution_options(synchronize_session=False)
    )


async def has_case(session: AsyncSession, placement_id: int) -> bool:
    stmt = select(m.Case.id).where(m.Case.placement_id == placement_id).limit(1)
    return (await session.execute(stmt)).first() is not None


async def ban_employer(
    session: AsyncSession, worker_id: int, employer_id: int, reason: str, at: dt.datetime
) -> None:
    """Never propose her to this employer again (once: a second ban is ignored)."""
    await session.execute(
        insert_ignoring_conflicts(session, m.EmployerBan),
        [{"worker_id": worker_id, "employer_id": employer_id, "reason": reason, "at": at}],
    )


async def add_worker_group(session: AsyncSession, worker_id: int, group_code: str) -> None:
    """Put her in a (derived) priority group; nothing when she is in it already."""
    await session.execute(
        insert_ignoring_conflicts(session, m.WorkerGroup),
        [{"worker_id": worker_id, "group_code": group_code}],
    )


async def in_worker_group(session: AsyncSession, worker_id: int, group_code: str) -> bool:
    stmt = select(m.WorkerGroup.worker_id).where(
        m.WorkerGroup.worker_id == worker_id, m.WorkerGroup.group_code == group_code
    )
    return (await session.execute(stmt)).first() is not None


async def remove_worker_group(session: AsyncSession, worker_id: int, group_code: str) -> None:
    await session.execute(
        delete(m.WorkerGroup).where(
            m.WorkerGroup.worker_id == worker_id, m.WorkerGroup.group_code == group_code
        )
    )


async def last_ended_on(
    session: AsyncSession, worker_id: int, *, other_than: int, reasons: tuple[str, ...]
) -> dt.date | None:
    """When her latest ended placement (but ``other_than``) for one of ``reasons`` ended."""
    stmt = (
        select(m.Placement.ended_on)
        .where(
            m.Placement.worker_id == worker_id,
            m.Placement.id != other_than,
            m.Placement.status == "ended",
            m.Placement.end_reason.in_(reasons),
        )
        .order_by(m.Placement.ended_on.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar()


async def set_reemployed_after_days(session: AsyncSession, placement_id: int, days: int) -> None:
    await session.execute(
        update(m.Placement)
        .where(m.Placement.id == placement_id)
        .values(reemployed_after_days=days)
        .execution_options(synchronize_session=False)
    )


async def opening_city(session: AsyncSession, opening_id: int) -> str | None:
    opening = await session.get(m.Opening, opening_id)
    return None if opening is None else opening.city


# --- follow-ups and her check-in link --------------------------------------------------------


async def get_follow_up(session: AsyncSession, follow_up_id: int) -> m.FollowUp | None:
    return await session.get(m.FollowUp, follow_up_id)


async def follow_up(session: AsyncSession, placement_id: int, n: int) -> m.FollowUp:
    """A placement's n-th follow-up (every placement has all of them)."""
    stmt = select(m.FollowUp).where(m.FollowUp.placement_id == placement_id, m.FollowUp.n == n)
    return (await session.execute(stmt)).scalar_one()


async def mark_follow_up_done(
    session: AsyncSession,
    follow_up_id: int,
    *,
    answers: dict[str, Any],
    channel: str,
    recorded_by: str,
    answered_at: dt.datetime,
) -> None:
    """Store her answers on a follow-up not yet done."""
    await session.execute(
        update(m.FollowUp)
        .where(m.FollowUp.id == follow_up_id, m.FollowUp.status != "done")
        .values(
            status="done",
            answers=answers,
            channel=channel,
            recorded_by=recorded_by,
            answered_at=answered_at,
        )
        .execution_options(synchronize_session=False)
    )


async def move_follow_up(session: AsyncSession, follow_up_id: int, *, from_: str, to: str) -> bool:
    """Move a follow-up from one status to another; False when it was not in ``from_``."""
    moved = await session.execute(
        update(m.FollowUp)
        .where(m.FollowUp.id == follow_up_id, m.FollowUp.status == from_)
        .values(status=to)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def scheduled_follow_ups_due(session: AsyncSession, day: dt.date) -> list[Any]:
    """(follow-up, placement, worker, employer) of active placements' scheduled follow-ups
    due on or before ``day``."""
    stmt = (
        select(m.FollowUp, m.Placement, m.WorkerProfile, m.Employer)
        .join(m.Placement, m.Placement.id == m.FollowUp.placement_id)
        .join(m.WorkerProfile, m.WorkerProfile.id == m.Placement.worker_id)
        .join(m.Employer, m.Employer.id == m.Placement.employer_id)
        .where(
            m.FollowUp.status == "scheduled",
            m.FollowUp.due_on <= day,
            m.Placement.status == "active",
        )
    )
    return list((await session.execute(stmt)).all())


async def due_follow_ups_before(session: AsyncSession, day: dt.date) -> list[Any]:
    """(follow-up, placement) of follow-ups still due that fell due before ``day``."""
    stmt = (
        select(m.FollowUp, m.Placement)
        .join(m.Placement, m.Placement.id == m.FollowUp.placement_id)
        .where(m.FollowUp.status == "due", m.FollowUp.due_on < day)
    )
    return list((await session.execute(stmt)).all())


def add_checkin_link(
    session: AsyncSession, *, code: str, follow_up_id: int, worker_id: int, expires_at: dt.datetime
) -> None:
    """A new check-in link, written with the session's next flush."""
    session.add(
        m.CheckinLink(
            code=code, follow_up_id=follow_up_id, worker_id=worker_id, expires_at=expires_at
        )
    )


async def get_checkin_link(session: AsyncSession, code: str) -> m.CheckinLink | None:
    return await session.get(m.CheckinLink, code)


async def mark_checkin_link_used(session: AsyncSession, code: str, at: dt.datetime) -> None:
    await session.execute(
        update(m.CheckinLink)
        .where(m.CheckinLink.code == code)
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )


async def get_employer(session: AsyncSession, employer_id: int) -> m.Employer | None:
    return await session.get(m.Employer, employer_id)


async def get_worker(session: AsyncSession, worker_id: int) -> m.WorkerProfile | None:
    return await session.get(m.WorkerProfile, worker_id)


# --- tasks -----------------------------------------------------------------------------------


async def add_task_once(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a task unless one with its ``dedupe_key`` exists."""
    await session.execute(insert_ignoring_conflicts(session, m.Task), [values])


async def tasks(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    *,
    status: str | None,
    office_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[m.Task], int]:
    """A page of tasks, newest first, and how many there are in all."""
    conditions = list(where)
    if status is not None:
        conditions.append(m.Task.status == status)
    if office_id is not None:
        conditions.append(m.Task.office_id == office_id)
    total = (
        await session.execute(select(func.count()).select_from(m.Task).where(*conditions))
    ).scalar_one()
    found = (
        await session.execute(
            select(m.Task).where(*conditions).order_by(m.Task.id.desc()).limit(limit).offset(offset)
        )
    ).scalars()
    return list(found), int(total)


async def find_task(
    session: AsyncSession, task_id: int, where: list[ColumnElement[bool]]
) -> m.Task | None:
    stmt = select(m.Task).where(m.Task.id == task_id, *where)
    return (await session.execute(stmt)).scalar_one_or_none()


async def finish_open_task(
    session: AsyncSession, task_id: int, *, done_at: dt.datetime, done_by: str, note: str | None
) -> None:
    await session.execute(
        update(m.Task)
        .where(m.Task.id == task_id, m.Task.status == "open")
        .values(status="done", done_at=done_at, done_by=done_by, note=note)
        .execution_options(synchronize_session=False)
    )


# --- rights cases ----------------------------------------------------------------------------


async def add_case(session: AsyncSession, case: m.Case) -> None:
    """Insert a new case (its id is set on return)."""
    session.add(case)
    await session.flush()


async def add_case_entry(session: AsyncSession, entry: m.CaseEntry) -> None:
    session.add(entry)
    await session.flush()


async def find_case(
    session: AsyncSession, case_id: int, where: list[ColumnElement[bool]]
) -> m.Case | None:
    stmt = select(m.Case).where(m.Case.id == case_id, *where)
    return (await session.execute(stmt)).scalar_one_or_none()


async def case_entries(session: AsyncSession, case_ids: list[int]) -> dict[int, list[m.CaseEntry]]:
    """Each case's log, in the order it was written."""
    out: dict[int, list[m.CaseEntry]] = {i: [] for i in case_ids}
    if case_ids:
        stmt = (
            select(m.CaseEntry)
            .where(m.CaseEntry.case_id.in_(case_ids))
            .order_by(m.CaseEntry.case_id, m.CaseEntry.id)
        )
        for e in (await session.execute(stmt)).scalars():
            out[e.case_id].append(e)
    return out


def case_conditions(
    *, status: str | None, office_id: int | None, worker_id: int | None
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the case list's filters (each given one narrows it)."""
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(m.Case.status == status)
    if office_id is not None:
        conditions.append(m.Case.office_id == office_id)
    if worker_id is not None:
        conditions.append(m.Case.worker_id == worker_id)
    return conditions


async def cases(
    session: AsyncSession, conditions: list[ColumnElement[bool]], *, limit: int, offset: int
) -> tuple[list[m.Case], int]:
    """A page of cases, newest first, and how many there are in all."""
    total = (
        await session.execute(select(func.count()).select_from(m.Case).where(*conditions))
    ).scalar_one()
    found = (
        await session.execute(
            select(m.Case).where(*conditions).order_by(m.Case.id.desc()).limit(limit).offset(offset)
        )
    ).scalars()
    return list(found), int(total)


async def cases_after(
    session: AsyncSession, conditions: list[ColumnElement[bool]], after_id: int, limit: int
) -> list[m.Case]:
    """The next ``limit`` cases above ``after_id``, by id: a keyset page for an export."""
    stmt = select(m.Case).where(*conditions, m.Case.id > after_id).order_by(m.Case.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def cases_of_worker(session: AsyncSession, worker_id: int) -> list[m.Case]:
    stmt = select(m.Case).where(m.Case.worker_id == worker_id).order_by(m.Case.id)
    return list((await session.execute(stmt)).scalars())


async def add_recovered(session: AsyncSession, case_id: int, amount: int) -> None:
    await session.execute(
        update(m.Case)
        .where(m.Case.id == case_id)
        .values(money_recovered=m.Case.money_recovered + amount, version=m.Case.version + 1)
        .execution_options(synchronize_session=False)
    )


async def set_case_status(
    session: AsyncSession,
    case_id: int,
    *,
    version: int,
    status: str,
    outcome: str | None,
    closed_at: dt.datetime | None,
) -> bool:
    """Change a case still at ``version``; False when someone changed it first."""
    result = await session.execute(
        update(m.Case)
        .where(m.Case.id == case_id, m.Case.version == version)
        .values(status=status, outcome=outcome, closed_at=closed_at, version=m.Case.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def case_counts_by_office(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    *,
    open_: tuple[str, ...],
    handled: tuple[str, ...],
    resolved: str,
) -> list[Any]:
    """Per office (by id; the office's name or ""): cases, those in ``open_``, ``handled`` and
    ``resolved`` statuses, money claimed and recovered."""

    def counted(condition: ColumnElement[bool]) -> Any:
        return func.sum(sql_case((condition, 1), else_=0))

    stmt = (
        select(
            m.Case.office_id,
            func.coalesce(m.Office.name, "").label("office"),
            func.count().label("cases"),
            counted(m.Case.status.in_(open_)).label("open"),
            counted(m.Case.status.in_(handled)).label("handled"),
            counted(m.Case.status == resolved).label("resolved"),
            func.sum(m.Case.money_claimed).label("claimed"),
            func.sum(m.Case.money_recovered).label("recovered"),
        )
        .outerjoin(m.Office, m.Office.id == m.Case.office_id)
        .where(*where)
        .group_by(m.Case.office_id, m.Office.name)
        .order_by(m.Case.office_id)
    )
    return list((await session.execute(stmt)).all())


# --- employer standing -----------------------------------------------------------------------


async def standing_cause_seen(session: AsyncSession, cause_key: str) -> bool:
    stmt = select(m.StandingChange.id).where(m.StandingChange.cause_key == cause_key).limit(1)
    return (await session.execute(stmt)).first() is not None


async def lock_employer(session: AsyncSession, employer_id: int) -> m.Employer | None:
    """The employer, locked for update (PostgreSQL) until the transaction ends."""
    return await session.get(m.Employer, employer_id, with_for_update=True)


async def add_standing_changes(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    await session.execute(insert_ignoring_conflicts(session, m.StandingChange), changes)


async def set_employer_scores(
    session: AsyncSession, employer_id: int, scores: dict[str, int]
) -> None:
    await session.execute(
        update(m.Employer)
        .where(m.Employer.id == employer_id)
        .values(**scores, version=m.Employer.version + 1)
        .execution_options(synchronize_session=False)
    )


async def uncredited_active_since(session: AsyncSession, day: dt.date) -> list[Any]:
    """(id, employer_id) of active placements started on or before ``day`` whose day-90
    credit is not yet given."""
    stmt = select(m.Placement.id, m.Placement.employer_id).where(
        m.Placement.status == "active",
        m.Placement.start_date <= day,
        m.Placement.day90_credited.is_(False),
    )
    return list((await session.execute(stmt)).all())


async def mark_day90_credited(session: AsyncSession, placement_id: int) -> None:
    await session.execute(
        update(m.Placement)
        .where(m.Placement.id == placement_id)
        .values(day90_credited=True)
        .execution_options(synchronize_session=False)
    )


# --- erasure --------------------------------------------------------------------------------

CHECKIN_FREE_TEXT = ("problem", "note")
"""The keys of a follow-up's answers that hold what she (or staff) wrote, not a yes or no."""


async def records_of_worker(session: AsyncSession, worker_id: int) -> tuple[list[Any], list[Any]]:
    """Her placements (id, status, fee) and rights cases (id, status, money), by id."""
    placements = await session.execute(
        select(PL.id, PL.status, PL.fee_due).where(PL.worker_id == worker_id).order_by(PL.id)
    )
    ca = m.Case.__table__.c
    cases = await session.execute(
        select(ca.id, ca.status, ca.money_claimed, ca.money_recovered)
        .where(ca.worker_id == worker_id)
        .order_by(ca.id)
    )
    return list(placements.all()), list(cases.all())


async def forget_worker(
    session: AsyncSession,
    worker_id: int,
    erased: str,
    *,
    at: dt.datetime,
    open_case: tuple[str, ...],
) -> dict[str, int]:
    """What her placements, follow-ups, tasks and cases hold of her goes; their rows, dates,
    statuses and sums stay (the figures count them). Texts become ``erased``; follow-ups not
    yet answered are missed (nobody is left to ask); her links and bans go.
    ``open_case``: the statuses of a case still being handled, whose tasks stay open."""
    mine = select(PL.id).where(PL.worker_id == worker_id).scalar_subquery()
    notes = await session.execute(
        update(m.Placement)
        .where(PL.worker_id == worker_id, PL.end_note.is_not(None))
        .values(end_note=None)
        .execution_options(synchronize_session=False)
    )
    missed = await session.execute(
        update(m.FollowUp)
        .where(FU.placement_id.in_(mine), FU.status.in_(("scheduled", "due")))
        .values(status="missed")
        .execution_options(synchronize_session=False)
    )
    answered = (
        await session.execute(
            select(FU.id, FU.answers).where(FU.placement_id.in_(mine), FU.answers.is_not(None))
        )
    ).all()
    for row in answered:
        kept = {k: ("" if k in CHECKIN_FREE_TEXT else v) for k, v in dict(row.answers).items()}
        await session.execute(
            update(m.FollowUp)
            .where(FU.id == row.id)
            .values(answers=kept)
            .execution_options(synchronize_session=False)
        )
    links = await session.execute(delete(m.CheckinLink).where(m.CheckinLink.worker_id == worker_id))
    tk = m.Task.__table__.c
    tasks = await session.execute(
        update(m.Task)
        .where(tk.worker_id == worker_id)
        .values(summary=erased, note=None)
        .execution_options(synchronize_session=False)
    )
    ca = m.Case.__table__.c
    her_cases = select(ca.id).where(ca.worker_id == worker_id).scalar_subquery()
    cases = await session.execute(
        update(m.Case)
        .where(ca.worker_id == worker_id)
        .values(summary=erased, version=ca.version + 1)
        .execution_options(synchronize_session=False)
    )
    ce = m.CaseEntry.__table__.c
    entries = await session.execute(
        update(m.CaseEntry)
        .where(ce.case_id.in_(her_cases))
        .values(text=erased)
        .execution_options(synchronize_session=False)
    )
    # A task of a case no longer handled is done: no one will act on a closed case for her.
    await session.execute(
        update(m.Task)
        .where(
            tk.worker_id == worker_id,
            tk.status == "open",
            ~tk.case_id.in_(select(ca.id).where(ca.status.in_(open_case))) | tk.case_id.is_(None),
        )
        .values(status="done", done_at=at, done_by="erasure")
        .execution_options(synchronize_session=False)
    )
    bans = await session.execute(delete(m.EmployerBan).where(m.EmployerBan.worker_id == worker_id))
    return {
        "placement_notes": int(notes.rowcount),  # type: ignore[attr-defined]
        "follow_ups_missed": int(missed.rowcount),  # type: ignore[attr-defined]
        "check_in_answers": len(answered),
        "check_in_links": int(links.rowcount),  # type: ignore[attr-defined]
        "tasks": int(tasks.rowcount),  # type: ignore[attr-defined]
        "case_summaries": int(cases.rowcount),  # type: ignore[attr-defined]
        "case_log_entries": int(entries.rowcount),  # type: ignore[attr-defined]
        "employer_bans": int(bans.rowcount),  # type: ignore[attr-defined]
    }
