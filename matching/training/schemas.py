"""Request and response bodies for courses, training sessions and enrolments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from matching.lib.types import Code, Id, Level, LongName, Request, Response, Yuan

CourseKind = Literal["skill", "legal_rights"]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class CourseCreate(Request):
    name: LongName
    kind: CourseKind
    fee: Yuan
    skill_code: Code | None = None
    level: Level | None = None
    agency_id: Id | None = None


class CourseOut(Response):
    id: int
    agency_id: int
    name: str
    kind: str
    skill_code: str | None
    level: int | None
    fee: int
    created_at: dt.datetime


class CoursePage(Response):
    items: list[CourseOut]
    total: int


class SessionCreate(Request):
    starts_on: dt.date
    ends_on: dt.date
    place: LongName
    capacity: Capacity


class SessionOut(Response):
    id: int
    course_id: int
    starts_on: dt.date
    ends_on: dt.date
    place: str
    capacity: int
    enrolled: int
    """Places taken: enrolled or completed (a withdrawal frees its place)."""


class SessionPage(Response):
    items: list[SessionOut]
    total: int


class EnrolmentCreate(Request):
    worker_id: Id


class CompleteRequest(Request):
    completed_on: dt.date | None = None


class NoBody(Request):
    """An action that takes no fields: ``{}`` or no body; any field is refused."""


class EnrolmentOut(Response):
    id: int
    session_id: int
    worker_id: int
    status: str
    fee_due: int
    fee_waived: bool
    enrolled_at: dt.datetime
    completed_on: dt.date | None
    course: CourseOut
    starts_on: dt.date
    ends_on: dt.date
    place: str


class EnrolmentPage(Response):
    items: list[EnrolmentOut]
    total: int
