"""Routes for training (技能培训): courses, their sessions, enrolments, and her training record."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, Parameter

from matching.api.access import record
from matching.api.deps import AnyRequest, DbSession, Who
from matching.api.params import Limit, Offset, PathId
from matching.lib.pagination import DEFAULT_LIMIT
from matching.lib.types import MAX_ID
from matching.training import service
from matching.training.schemas import (
    CompleteRequest,
    CourseCreate,
    CourseOut,
    CoursePage,
    EnrolmentCreate,
    EnrolmentOut,
    EnrolmentPage,
    NoBody,
    SessionCreate,
    SessionOut,
    SessionPage,
)


class CourseController(Controller):
    path = "/courses"
    tags = ["training"]

    @post("/", summary="Create a course (staff for their own agency; an admin names agency_id)")
    async def create(
        self, data: JSONBody[CourseCreate], db_session: DbSession, principal: Who
    ) -> CourseOut:
        return await service.create_course(db_session, principal, data)

    @get("/", summary="Courses (staff see their own agency's)")
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        agency_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> CoursePage:
        return await service.list_courses(
            db_session, principal, agency_id=agency_id, limit=limit, offset=offset
        )

    @post("/{course_id:int}/sessions", summary="Schedule a session of the course")
    async def add_session(
        self,
        course_id: PathId,
        data: JSONBody[SessionCreate],
        db_session: DbSession,
        principal: Who,
    ) -> SessionOut:
        return await service.add_session(db_session, principal, course_id, data)

    @get("/{course_id:int}/sessions", summary="The course's sessions with places taken")
    async def sessions(
        self, course_id: PathId, db_session: DbSession, principal: Who
    ) -> SessionPage:
        return await service.list_sessions(db_session, principal, course_id)


class TrainingSessionController(Controller):
    path = "/training-sessions"
    tags = ["training"]

    @post("/{session_id:int}/enrolments", summary="Enrol one of the agency's workers")
    async def enrol(
        self,
        session_id: PathId,
        data: JSONBody[EnrolmentCreate],
        db_session: DbSession,
        principal: Who,
    ) -> EnrolmentOut:
        return await service.enrol(db_session, principal, session_id, data.worker_id)

    @get("/{session_id:int}/enrolments", summary="The session's enrolments")
    async def enrolments(
        self, session_id: PathId, db_session: DbSession, principal: Who
    ) -> EnrolmentPage:
        return await service.session_enrolments(db_session, principal, session_id)


class EnrolmentController(Controller):
    path = "/enrolments"
    tags = ["training"]

    @post(
        "/{enrolment_id:int}/complete",
        status_code=200,
        summary="She completed the course: a skill course certifies its level on her profile",
    )
    async def complete(
        self,
        enrolment_id: PathId,
        db_session: DbSession,
        principal: Who,
        data: JSONBody[CompleteRequest | None] = None,
    ) -> EnrolmentOut:
        day = data.completed_on if data is not None else None
        return await service.complete(db_session, principal, enrolment_id, day)

    @post("/{enrolment_id:int}/withdraw", status_code=200, summary="She leaves the session")
    async def withdraw(
        self,
        enrolment_id: PathId,
        db_session: DbSession,
        principal: Who,
        data: JSONBody[NoBody | None] = None,
    ) -> EnrolmentOut:
        return await service.withdraw(db_session, principal, enrolment_id)


@get(
    "/workers/{worker_id:int}/training",
    tags=["training", "workers"],
    summary="Her training: enrolments with the course, the fee and whether it was waived",
)
async def worker_training(
    worker_id: PathId, request: AnyRequest, db_session: DbSession, principal: Who
) -> EnrolmentPage:
    page = await service.worker_training(db_session, principal, worker_id)
    record(request, principal, "worker.training", (worker_id,))
    return page
