"""The console's training pages (技能培训): the courses, a course's sessions, a session's
enrolments; a course created, a session scheduled, a worker enrolled, a completion marked, a
withdrawal (退出) recorded.

Each form calls the service the API's route calls (``training.service.create_course``,
``add_session``, ``enrol``, ``complete``, ``withdraw``); this module only reads the form's
text into the service's request, field by field, so every field's problem is shown at once
beside it. A completed skill course certifies its skill on her profile through the service.
"""

from __future__ import annotations

from typing import Any, get_args

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from matching.api.deps import DbSession
from matching.lib import clock
from matching.lib.errors import Conflict, NotFound, msg
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.profiles import repository as profile_repo
from matching.profiles import service as profiles
from matching.training import service
from matching.training.schemas import CourseCreate, CourseKind, SessionCreate
from matching.web import forms
from matching.web.aftercare import (
    AnyRequest,
    Errors,
    attempt,
    bounded_text,
    choice,
    form_text,
    say,
    whole_number,
)
from matching.web.console import Me, Pager, field_errors, render, see_other, t
from matching.web.console import reader_translate as t_of

KINDS: tuple[str, ...] = get_args(CourseKind)
KIND_LABELS = {"skill": "Skill course", "legal_rights": "Legal-rights course"}
STATUS_LABELS = {
    "enrolled": "Enrolled",
    "completed": "Completed",
    "withdrawn": "Left the session",
}
ALREADY = {  # a second withdrawal, or one after her completion, said as a clerk would
    "withdrawn": "She has left this session already; nothing was changed.",
    "completed": "She has completed this session; a completed course cannot be left.",
}


# --- the courses ---


async def _courses_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    page: int | None,
    *,
    errors: Errors | None = None,
    v: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    pager = Pager.of(page)
    found = await service.list_courses(
        db_session, me, agency_id=None, limit=pager.size, offset=pager.offset
    )
    return render(
        request,
        "console/training.html",
        status_code=status_code,
        courses=found.items,
        pager=pager.with_total(found.total),
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        skills=sorted(reference().skill_codes),
        v=v or {"kind": "skill", "fee": "0"},
        errors=errors or {},
    )


@get("/training")
async def training_list(
    request: AnyRequest, db_session: DbSession, me: Me, page: FromQuery[int | None] = None
) -> Template:
    """The agency's courses, and a form for a new one (``GET /api/v1/courses``)."""
    me.require("admin", "staff")
    return await _courses_page(request, db_session, me, page)


@post("/training/courses", status_code=200)
async def course_create(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    """A new course (``POST /api/v1/courses``)."""
    me.require("admin", "staff")
    form = await request.form()
    errors: Errors = {}
    name = bounded_text(form, "name", errors, limit=200, required=True)
    kind = choice(form, "kind", KINDS, errors)
    fee = whole_number(form, "fee", errors, low=0, high=1_000_000, required=True)
    skill_code = form_text(form, "skill_code") or None
    level = whole_number(form, "level", errors, low=1, high=5, required=False)
    agency_id = None
    if me.is_admin:
        agency_id = whole_number(
            form, "agency_id", errors, low=1, high=2_147_483_647, required=False
        )
    shown = say(request, errors)
    made: list[int] = []
    if not errors and fee is not None:
        data = CourseCreate(
            name=name,
            kind=kind,  # type: ignore[arg-type]  # checked against KINDS above
            fee=fee,
            skill_code=skill_code if kind == "skill" else None,
            level=level if kind == "skill" else None,
            agency_id=agency_id,
        )

        async def create() -> None:
            made.append((await service.create_course(db_session, me, data)).id)

        shown = await attempt(request, db_session, create)
        if not shown:
            return see_other(f"/training/courses/{made[0]}", done="course_created")
    return await _courses_page(
        request, db_session, me, None, errors=shown, v=forms.values(form), status_code=422
    )


# --- a course and its sessions ---


async def _course_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    course_id: int,
    *,
    errors: Errors | None = None,
    v: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    course = await service.get_course(db_session, me, course_id)
    sessions = await service.list_sessions(db_session, me, course_id)
    return render(
        request,
        "console/training_course.html",
        status_code=status_code,
        course=course,
        sessions=sessions.items,
        kind_labels=KIND_LABELS,
        today=clock.today().isoformat(),
        v=v or {},
        errors=errors or {},
    )


@get("/training/courses/{course_id:int}")
async def course_page(
    request: AnyRequest, db_session: DbSession, me: Me, course_id: FromPath[int]
) -> Template:
    """A course's sessions with the places taken (``GET /api/v1/courses/{id}/sessions``)."""
    me.require("admin", "staff")
    return await _course_page(request, db_session, me, course_id)


@post("/training/courses/{course_id:int}/sessions", status_code=200)
async def session_create(
    request: AnyRequest, db_session: DbSession, me: Me, course_id: FromPath[int]
) -> Response[Any]:
    """A session of the course (``POST /api/v1/courses/{id}/sessions``)."""
    me.require("admin", "staff")
    await service.get_course(db_session, me, course_id)  # theirs to run, or 404
    form = await request.form()
    errors: Errors = {}
    starts_on = forms.form_date(form, "starts_on", errors, required=True)
    ends_on = forms.form_date(form, "ends_on", errors, required=True)
    place = bounded_text(form, "place", errors, limit=200, required=True)
    capacity = whole_number(form, "capacity", errors, low=1, high=10_000, required=True)
    shown = say(request, errors)
    made: list[int] = []
    if not errors and starts_on and ends_on and capacity is not None:
        data = SessionCreate(starts_on=starts_on, ends_on=ends_on, place=place, capacity=capacity)

        async def create() -> None:
            made.append((await service.add_session(db_session, me, course_id, data)).id)

        shown = await attempt(request, db_session, create)
        if not shown:
            return see_other(f"/training/sessions/{made[0]}", done="session_created")
    return await _course_page(
        request, db_session, me, course_id, errors=shown, v=forms.values(form), status_code=422
    )


# --- a session: enrolment and completion ---


async def _session_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    session_id: int,
    *,
    q: str = "",
    errors: Errors | None = None,
    v: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    ts, course = await service.get_session(db_session, me, session_id)
    enrolments = (await service.session_enrolments(db_session, me, session_id)).items
    found: list[Any] = []
    if q:  # her agency's workers by name, phone or id number
        flt = profile_repo.WorkerFilter(agency_id=course.agency_id, q=q)
        found = (await profiles.search_workers(db_session, me, flt, limit=20, offset=0)).items
    names = await profiles.worker_names(db_session, [e.worker_id for e in enrolments])
    return render(
        request,
        "console/training_session.html",
        status_code=status_code,
        ts=ts,
        course=course,
        enrolments=enrolments,
        names=names,
        found=found,
        enrolled_ids={e.worker_id for e in enrolments if e.status != "withdrawn"},
        q=q,
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        today=clock.today().isoformat(),
        v=v or {},
        errors=errors or {},
    )


@get("/training/sessions/{session_id:int}")
async def session_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    session_id: FromPath[int],
    q: FromQuery[str | None] = None,
) -> Template:
    """A session's enrolments (``GET /api/v1/training-sessions/{id}/enrolments``), a search
    of the agency's workers to enrol, and completion for each enrolled."""
    me.require("admin", "staff")
    return await _session_page(request, db_session, me, session_id, q=(q or "").strip()[:100])


@post("/training/sessions/{session_id:int}/enrolments", status_code=200)
async def enrol(
    request: AnyRequest, db_session: DbSession, me: Me, session_id: FromPath[int]
) -> Response[Any]:
    """Enrol one of the agency's workers (``POST /api/v1/training-sessions/{id}/enrolments``)."""
    me.require("admin", "staff")
    await service.get_session(db_session, me, session_id)  # theirs to run, or 404
    form = await request.form()
    errors: Errors = {}
    worker_id = whole_number(form, "worker_id", errors, low=1, high=2_147_483_647, required=True)
    shown = say(request, errors)
    if not errors and worker_id is not None:
        try:
            shown = await attempt(
                request, db_session, lambda: service.enrol(db_session, me, session_id, worker_id)
            )
        except NotFound as exc:  # the session is hers (checked above): the number names nobody
            await db_session.rollback()
            shown = field_errors(request, exc)
        if "_form" in shown and "worker_id" not in shown:  # "no worker with id …" is hers
            shown["worker_id"] = shown.pop("_form")
        if not shown:
            return see_other(f"/training/sessions/{session_id}", done="enrolled")
    return await _session_page(
        request,
        db_session,
        me,
        session_id,
        q=form_text(form, "q"),
        errors=shown,
        v=forms.values(form),
        status_code=422,
    )


@post("/training/enrolments/{enrolment_id:int}/complete", status_code=200)
async def complete(
    request: AnyRequest, db_session: DbSession, me: Me, enrolment_id: FromPath[int]
) -> Response[Any]:
    """She completed the course (``POST /api/v1/enrolments/{id}/complete``): a skill course
    certifies its level on her profile."""
    me.require("admin", "staff")
    form = await request.form()
    session_id = whole_number(form, "session_id", {}, low=1, high=2_147_483_647, required=True)
    errors: Errors = {}
    day = forms.form_date(form, "completed_on", errors, required=False)
    shown = say(request, errors)
    if not errors:
        shown = await attempt(
            request, db_session, lambda: service.complete(db_session, me, enrolment_id, day)
        )
        if not shown:
            return see_other(f"/training/sessions/{session_id}", done="training_completed")
    if session_id is None:  # the form names its session; without it there is no page to show
        raise NotFound(msg("no training session with id {session_id}"), session_id="")
    shown = {f"{k}-{enrolment_id}": v for k, v in shown.items()}
    return await _session_page(
        request, db_session, me, session_id, errors=shown, v=forms.values(form), status_code=422
    )


@post("/training/enrolments/{enrolment_id:int}/withdraw", status_code=200)
async def withdraw(
    request: AnyRequest, db_session: DbSession, me: Me, enrolment_id: FromPath[int]
) -> Response[Any]:
    """She leaves the session before completing it (``POST /api/v1/enrolments/{id}/withdraw``):
    her place is freed, the enrolment stays on record. Only an enrolled one may leave."""
    me.require("admin", "staff")
    form = await request.form()
    session_id = whole_number(form, "session_id", {}, low=1, high=2_147_483_647, required=True)
    if session_id is None:  # the form names its session; without it there is no page to show
        raise NotFound(msg("no training session with id {session_id}"), session_id="")
    try:
        await service.withdraw(db_session, me, enrolment_id)
    except Conflict as exc:  # she left already, or completed: nothing is changed
        await db_session.rollback()
        status = str(exc.extra.get("status", ""))
        said = t(request, ALREADY[status]) if status in ALREADY else exc.rendered(t_of(request))
        return await _session_page(
            request,
            db_session,
            me,
            session_id,
            errors={f"withdraw-{enrolment_id}": said},
            status_code=409,
        )
    return see_other(f"/training/sessions/{session_id}", done="training_withdrawn")


ROUTES = [
    training_list,
    course_create,
    course_page,
    session_create,
    session_page,
    enrol,
    complete,
    withdraw,
]
