"""Use cases for training (技能培训): courses, sessions, enrolment, completion, withdrawal.

A course belongs to one agency and trains that agency's workers. Enrolment is free for
priority-group workers (the waiver is recorded, 免费培训); completing a skill course certifies the
skill on her profile (source "training"), which the matching engine reads. Services flush, never
commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.reads import worker_visible
from matching.lib import clock
from matching.lib.errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound, msg
from matching.lib.principal import Principal, may_see, visible
from matching.lib.reference import reference
from matching.lib.text import clean_text
from matching.network import repository as network_repo
from matching.network.fees import is_priority_worker
from matching.training import repository as repo
from matching.training.schemas import (
    CourseCreate,
    CourseOut,
    CoursePage,
    EnrolmentOut,
    EnrolmentPage,
    SessionCreate,
    SessionOut,
    SessionPage,
)

C = m.Course
TS = m.TrainingSession
EN = m.Enrolment
TAKING_A_PLACE = ("enrolled", "completed")
DENIED = "only agency staff and admins run training"


def _require_trainer(principal: Principal) -> None:
    """Admins and staff of an agency run training; employers (and agency-less staff) do not."""
    if not (principal.is_admin or (principal.is_staff and principal.agency_id is not None)):
        raise Forbidden(DENIED)


def _visible(principal: Principal, agency: Any) -> list[ColumnElement[bool]]:
    """The one scoping rule (staff: their agency's courses and workers), after the role check."""
    _require_trainer(principal)
    return visible(principal, agency=agency, denied=DENIED)


def course_out(c: m.Course) -> CourseOut:
    return CourseOut(
        id=c.id,
        agency_id=c.agency_id,
        name=c.name,
        kind=c.kind,
        skill_code=c.skill_code,
        level=c.level,
        fee=c.fee,
        created_at=c.created_at,
    )


def _session_out(s: m.TrainingSession, enrolled: int) -> SessionOut:
    return SessionOut(
        id=s.id,
        course_id=s.course_id,
        starts_on=s.starts_on,
        ends_on=s.ends_on,
        place=s.place,
        capacity=s.capacity,
        enrolled=enrolled,
    )


def _enrolment_out(e: m.Enrolment, s: m.TrainingSession, c: m.Course) -> EnrolmentOut:
    return EnrolmentOut(
        id=e.id,
        session_id=e.session_id,
        worker_id=e.worker_id,
        status=e.status,
        fee_due=e.fee_due,
        fee_waived=e.fee_waived,
        enrolled_at=e.enrolled_at,
        completed_on=e.completed_on,
        course=course_out(c),
        starts_on=s.starts_on,
        ends_on=s.ends_on,
        place=s.place,
    )


async def _agency_for_course(
    session: AsyncSession, principal: Principal, requested: int | None
) -> int:
    if principal.is_staff:
        if requested is not None and not may_see(principal, agency_id=requested):
            raise Forbidden(msg("staff create courses for their own agency only"))
        assert principal.agency_id is not None
        return principal.agency_id
    if requested is None:
        raise Invalid("agency_id", msg("an admin must say which agency runs the course"))
    if await network_repo.agency(session, requested) is None:
        raise Invalid("agency_id", msg("no agency with id {requested}"), requested=requested)
    return requested


async def create_course(
    session: AsyncSession, principal: Principal, data: CourseCreate
) -> CourseOut:
    _require_trainer(principal)
    agency_id = await _agency_for_course(session, principal, data.agency_id)
    errors = FieldErrors()
    name = clean_text(errors, "name", data.name)
    if data.kind == "skill":
        if data.skill_code is None:
            errors.add("skill_code", msg("is required for a skill course; see GET /skills"))
        elif data.skill_code not in reference().skill_codes:
            errors.add(
                "skill_code",
                msg("unknown skill code {skill_code!r}; see GET /skills"),
                skill_code=data.skill_code,
            )
        if data.level is None:
            errors.add("level", msg("is required for a skill course: the level it certifies (1–5)"))
    else:
        if data.skill_code is not None:
            errors.add("skill_code", msg("a legal-rights course certifies no skill; leave it out"))
        if data.level is not None:
            errors.add("level", msg("a legal-rights course certifies no level; leave it out"))
    errors.raise_if_any()
    course = repo.add_course(
        session,
        C(
            agency_id=agency_id,
            name=name,
            kind=data.kind,
            skill_code=data.skill_code,
            level=data.level,
            fee=data.fee,
            created_at=clock.now(),
        ),
    )
    await session.flush()
    return course_out(course)


async def list_courses(
    session: AsyncSession,
    principal: Principal,
    *,
    agency_id: int | None,
    limit: int,
    offset: int,
) -> CoursePage:
    where = _visible(principal, C.agency_id)
    if principal.is_staff and agency_id not in (None, principal.agency_id):
        raise Forbidden(msg("staff see their own agency's courses only"))
    if principal.is_admin and agency_id is not None:  # staff are confined to theirs already
        where.append(C.agency_id == agency_id)
    rows, total = await repo.courses_page(session, where, limit=limit, offset=offset)
    return CoursePage(items=[course_out(c) for c in rows], total=total)


async def _course(session: AsyncSession, principal: Principal, course_id: int) -> m.Course:
    course = await repo.course_by_id(session, course_id, _visible(principal, C.agency_id))
    if course is None:
        raise NotFound(msg("no course with id {course_id}"), course_id=course_id)
    return course


async def add_session(
    session: AsyncSession, principal: Principal, course_id: int, data: SessionCreate
) -> SessionOut:
    course = await _course(session, principal, course_id)
    errors = FieldErrors()
    if data.starts_on < clock.today():
        errors.add("starts_on", msg("is in the past"))
    elif not clock.plausible(data.starts_on):
        errors.add("starts_on", clock.OUT_OF_RANGE)
    if not clock.plausible(data.ends_on):
        errors.add("ends_on", clock.OUT_OF_RANGE)
    if data.ends_on < data.starts_on:
        errors.add("ends_on", msg("must not be before starts_on"))
    place = clean_text(errors, "place", data.place)
    errors.raise_if_any()
    ts = repo.add_training_session(
        session,
        TS(
            course_id=course.id,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            place=place,
            capacity=data.capacity,
            version=1,
        ),
    )
    await session.flush()
    return _session_out(ts, 0)


async def _taken(session: AsyncSession, session_ids: list[int]) -> dict[int, int]:
    return await repo.places_taken(session, session_ids, TAKING_A_PLACE)


async def list_sessions(session: AsyncSession, principal: Principal, course_id: int) -> SessionPage:
    course = await _course(session, principal, course_id)
    rows = await repo.sessions_of_course(session, course.id)
    taken = await _taken(session, [s.id for s in rows])
    items = [_session_out(s, taken.get(s.id, 0)) for s in rows]
    return SessionPage(items=items, total=len(items))


async def _session_and_course(
    session: AsyncSession, principal: Principal, session_id: int, *, lock: bool = False
) -> tuple[m.TrainingSession, m.Course]:
    # lock, on PostgreSQL: enrolments in one session queue up here (SQLite has one writer)
    found = await repo.session_and_course(
        session, session_id, _visible(principal, C.agency_id), lock=lock
    )
    if found is None:
        raise NotFound(msg("no training session with id {session_id}"), session_id=session_id)
    return found


async def enrol(
    session: AsyncSession, principal: Principal, session_id: int, worker_id: int
) -> EnrolmentOut:
    """Enrol one of the course agency's workers; free for priority groups, recorded as waived."""
    ts, course = await _session_and_course(session, principal, session_id, lock=True)
    if ts.ends_on < clock.today():
        raise Conflict(
            msg("the session of {course} ended on {ends_on}"),
            course=course.name,
            ends_on=ts.ends_on.isoformat(),
        )
    # The course trains its own agency's workers (an admin too enrols only those).
    if not await repo.worker_of_agency(session, worker_id, course.agency_id):
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    existing = await repo.enrolment_of(session, ts.id, worker_id)
    if existing is not None and existing.status != "withdrawn":
        raise Conflict(
            msg(
                "worker {worker_id} is already enrolled in training session "
                "{session_id} (enrolment {id}, {status})"
            ),
            extra={"field": "worker_id", "enrolment_id": existing.id},
            worker_id=worker_id,
            session_id=session_id,
            id=existing.id,
            status=existing.status,
        )
    taken = (await _taken(session, [ts.id])).get(ts.id, 0)
    if taken >= ts.capacity:
        raise Conflict(
            msg(
                "training session {session_id} is full: its capacity is {capacity} and "
                "{taken} places are taken"
            ),
            extra={"field": "capacity", "capacity": ts.capacity},
            session_id=session_id,
            capacity=ts.capacity,
            taken=taken,
        )
    waived = await is_priority_worker(session, worker_id)
    fee_due = 0 if waived else course.fee
    now = clock.now()
    if existing is not None:  # she withdrew before: the same enrolment comes back
        existing.status, existing.fee_due, existing.fee_waived = "enrolled", fee_due, waived
        existing.enrolled_at, existing.completed_on = now, None
        enrolment = existing
    else:
        enrolment = repo.add_enrolment(
            session,
            EN(
                session_id=ts.id,
                worker_id=worker_id,
                status="enrolled",
                fee_due=fee_due,
                fee_waived=waived,
                enrolled_at=now,
            ),
        )
    # Every enrolment moves the session's version: two that raced past the count cannot both land.
    if not await repo.bump_session_version(session, ts.id, ts.version):
        raise Conflict(
            msg("the session of {course} changed a moment ago; try again"),
            course=course.name,
        )
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            msg("worker {worker_id} was enrolled a moment ago"), worker_id=worker_id
        ) from exc
    return _enrolment_out(enrolment, ts, course)


async def _enrolment(
    session: AsyncSession, principal: Principal, enrolment_id: int
) -> tuple[m.Enrolment, m.TrainingSession, m.Course]:
    found = await repo.enrolment_with_course(
        session, enrolment_id, _visible(principal, C.agency_id)
    )
    if found is None:
        raise NotFound(msg("no enrolment with id {enrolment_id}"), enrolment_id=enrolment_id)
    return found


async def _move(session: AsyncSession, e: m.Enrolment, to: str, **values: Any) -> None:
    """enrolled → ``to``, once: a second completion or withdrawal is a conflict."""
    if e.status != "enrolled":
        raise Conflict(
            msg("enrolment {id} is {status} already"),
            extra={"status": e.status},
            id=e.id,
            status=e.status,
        )
    if not await repo.move_enrolment(session, e, "enrolled", to, **values):
        raise Conflict(msg("enrolment {id} changed a moment ago"), id=e.id)


async def _certify(
    session: AsyncSession, worker_id: int, code: str, level: int, day: dt.date
) -> None:
    """Her skill at max(held, certified), marked as certified by training on ``day``."""
    held = await repo.skill_level(session, worker_id, code)
    if held is None:
        await repo.insert_skill(
            session, worker_id, code, level=level, source="training", certified_on=day
        )
    else:
        await repo.update_skill(
            session,
            worker_id,
            code,
            level=max(int(held), level),
            source="training",
            certified_on=day,
        )
    # Her profile changed: a PATCH made from an older read must not overwrite the certificate.
    await repo.bump_worker_version(session, worker_id, updated_at=clock.now())


async def complete(
    session: AsyncSession, principal: Principal, enrolment_id: int, completed_on: dt.date | None
) -> EnrolmentOut:
    """She finished the course: a skill course certifies its skill level on her profile."""
    e, ts, course = await _enrolment(session, principal, enrolment_id)
    day = completed_on or clock.today()
    if e.status == "enrolled":
        if day > clock.today():
            raise Invalid("completed_on", msg("is in the future"))
        if day < ts.starts_on:
            raise Invalid(
                "completed_on",
                msg("is before the session starts ({starts_on})"),
                starts_on=ts.starts_on.isoformat(),
            )
    await _move(session, e, "completed", completed_on=day)
    if course.kind == "skill" and course.skill_code is not None and course.level is not None:
        await _certify(session, e.worker_id, course.skill_code, course.level, day)
    await session.flush()
    return _enrolment_out(e, ts, course)


async def withdraw(session: AsyncSession, principal: Principal, enrolment_id: int) -> EnrolmentOut:
    """She leaves before completing; her place is freed (the enrolment stays on record)."""
    e, ts, course = await _enrolment(session, principal, enrolment_id)
    await _move(session, e, "withdrawn")
    return _enrolment_out(e, ts, course)


async def worker_training(
    session: AsyncSession, principal: Principal, worker_id: int
) -> EnrolmentPage:
    """Her enrolments, oldest first, with the course, the fee and whether it was waived."""
    where = _visible(principal, repo.W.agency_id)
    if not await worker_visible(session, worker_id, where):
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    rows = await repo.enrolments_of_worker(session, worker_id)
    items = [_enrolment_out(e, ts, c) for e, ts, c in rows]
    return EnrolmentPage(items=items, total=len(items))


async def get_course(session: AsyncSession, principal: Principal, course_id: int) -> CourseOut:
    """One course the caller runs (staff: their agency's), or 404."""
    return course_out(await _course(session, principal, course_id))


async def get_session(
    session: AsyncSession, principal: Principal, session_id: int
) -> tuple[SessionOut, CourseOut]:
    """One training session with its course and the places taken, or 404."""
    ts, course = await _session_and_course(session, principal, session_id)
    taken = (await _taken(session, [ts.id])).get(ts.id, 0)
    return _session_out(ts, taken), course_out(course)


async def session_enrolments(
    session: AsyncSession, principal: Principal, session_id: int
) -> EnrolmentPage:
    """Who is enrolled in a session (withdrawn ones too), in the order they came."""
    ts, course = await _session_and_course(session, principal, session_id)
    rows = await repo.enrolments_of_session(session, ts.id)
    items = [_enrolment_out(e, ts, course) for e in rows]
    return EnrolmentPage(items=items, total=len(items))
