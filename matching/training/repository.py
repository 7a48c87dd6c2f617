"""Training's SQL: courses, their sessions, enrolments and the skills training certifies.

Reads are scoped by the caller's conditions from ``matching.lib.principal.visible``; nothing
here decides a rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m

C = m.Course
TS = m.TrainingSession
EN = m.Enrolment
WS = m.WorkerSkill
W = m.WorkerProfile

Where = Sequence[ColumnElement[bool]]


# --- agencies and workers ------------------------------------------------------------------


async def worker_of_agency(session: AsyncSession, worker_id: int, agency_id: int) -> bool:
    """Whether the worker is registered with that agency (and was not erased)."""
    stmt = select(W.id).where(W.id == worker_id, W.agency_id == agency_id, W.erased_at.is_(None))
    return (await session.execute(stmt)).first() is not None


# --- courses and sessions ------------------------------------------------------------------


def add_course(session: AsyncSession, course: m.Course) -> m.Course:
    session.add(course)
    return course


async def courses_page(
    session: AsyncSession, where: Where, *, limit: int, offset: int
) -> tuple[list[m.Course], int]:
    """Courses by id, and how many there are in all."""
    base = select(C).where(*where)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (await session.execute(base.order_by(C.id).limit(limit).offset(offset))).scalars()
    return list(rows), int(total)


async def course_by_id(session: AsyncSession, course_id: int, where: Where) -> m.Course | None:
    stmt = select(C).where(C.id == course_id, *where)
    return (await session.execute(stmt)).scalar_one_or_none()


def add_training_session(session: AsyncSession, ts: m.TrainingSession) -> m.TrainingSession:
    session.add(ts)
    return ts


async def sessions_of_course(session: AsyncSession, course_id: int) -> list[m.TrainingSession]:
    """A course's sessions, earliest first."""
    stmt = select(TS).where(TS.course_id == course_id).order_by(TS.starts_on, TS.id)
    return list((await session.execute(stmt)).scalars())


async def session_and_course(
    session: AsyncSession, session_id: int, where: Where, *, lock: bool = False
) -> tuple[m.TrainingSession, m.Course] | None:
    """A training session with its course; ``lock`` holds the session's row (PostgreSQL)."""
    stmt = select(TS, C).join(C, C.id == TS.course_id).where(TS.id == session_id, *where)
    if lock:
        stmt = stmt.with_for_update(of=TS)
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def places_taken(
    session: AsyncSession, session_ids: list[int], statuses: Sequence[str]
) -> dict[int, int]:
    """Per training session, how many enrolments are in one of ``statuses``."""
    if not session_ids:
        return {}
    stmt = (
        select(EN.session_id, func.count())
        .where(EN.session_id.in_(session_ids), EN.status.in_(statuses))
        .group_by(EN.session_id)
    )
    return {int(r[0]): int(r[1]) for r in (await session.execute(stmt)).all()}


async def bump_session_version(session: AsyncSession, session_id: int, version: int) -> bool:
    """version → version + 1; False when the session's version had already moved on."""
    result = await session.execute(
        update(TS)
        .where(TS.id == session_id, TS.version == version)
        .values(version=TS.version + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


# --- enrolments ----------------------------------------------------------------------------


def add_enrolment(session: AsyncSession, enrolment: m.Enrolment) -> m.Enrolment:
    session.add(enrolment)
    return enrolment


async def enrolment_of(
    session: AsyncSession, session_id: int, worker_id: int
) -> m.Enrolment | None:
    """Her enrolment in a training session, whatever its status."""
    stmt = select(EN).where(EN.session_id == session_id, EN.worker_id == worker_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def enrolment_with_course(
    session: AsyncSession, enrolment_id: int, where: Where
) -> tuple[m.Enrolment, m.TrainingSession, m.Course] | None:
    stmt = (
        select(EN, TS, C)
        .join(TS, TS.id == EN.session_id)
        .join(C, C.id == TS.course_id)
        .where(EN.id == enrolment_id, *where)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1], row[2])


async def move_enrolment(
    session: AsyncSession, enrolment: m.Enrolment, from_: str, to: str, **values: Any
) -> bool:
    """``from_`` → ``to`` (with ``values``), reloading the enrolment; False when it was not
    ``from_`` any more."""
    result = await session.execute(
        update(EN)
        .where(EN.id == enrolment.id, EN.status == from_)
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.refresh(enrolment)
    return True


async def enrolments_of_worker(
    session: AsyncSession, worker_id: int
) -> list[tuple[m.Enrolment, m.TrainingSession, m.Course]]:
    """Her enrolments with their sessions and courses, oldest first."""
    stmt = (
        select(EN, TS, C)
        .join(TS, TS.id == EN.session_id)
        .join(C, C.id == TS.course_id)
        .where(EN.worker_id == worker_id)
        .order_by(EN.enrolled_at, EN.id)
    )
    return [(r[0], r[1], r[2]) for r in (await session.execute(stmt)).all()]


# --- skills training certifies -------------------------------------------------------------


async def skill_level(session: AsyncSession, worker_id: int, code: str) -> int | None:
    """The level she holds in a skill, if any."""
    stmt = select(WS.level).where(WS.worker_id == worker_id, WS.skill_code == code)
    return (await session.execute(stmt)).scalar()


async def insert_skill(
    session: AsyncSession,
    worker_id: int,
    code: str,
    *,
    level: int,
    source: str,
    certified_on: dt.date,
) -> None:
    await session.execute(
        insert(WS).values(
            worker_id=worker_id,
            skill_code=code,
            level=level,
            source=source,
            certified_on=certified_on,
        )
    )


async def update_skill(
    session: AsyncSession,
    worker_id: int,
    code: str,
    *,
    level: int,
    source: str,
    certified_on: dt.date,
) -> None:
    await session.execute(
        update(WS)
        .where(WS.worker_id == worker_id, WS.skill_code == code)
        .values(level=level, source=source, certified_on=certified_on)
        .execution_options(synchronize_session=False)
    )


async def bump_worker_version(
    session: AsyncSession, worker_id: int, *, updated_at: dt.datetime
) -> None:
    """Her profile's version moves on, so an edit made from an older read is refused."""
    await session.execute(
        update(W)
        .where(W.id == worker_id)
        .values(version=W.version + 1, updated_at=updated_at)
        .execution_options(synchronize_session=False)
    )


async def enrolments_of_session(session: AsyncSession, session_id: int) -> list[m.Enrolment]:
    """A session's enrolments, in the order they came."""
    stmt = select(EN).where(EN.session_id == session_id).order_by(EN.enrolled_at, EN.id)
    return list((await session.execute(stmt)).scalars())
