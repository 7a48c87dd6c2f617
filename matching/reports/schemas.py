"""Request and response bodies for the federation's figures, the labour force and job fairs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from matching.lib.types import Id, LongName, Request, Response

MAX_COUNT = 100_000_000
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]


class LabourForceIn(Request):
    agency_id: Id
    count: Count


class LabourForceOut(Response):
    agency_id: int
    year: int
    count: int


class JobFairCreate(Request):
    name: LongName
    date: dt.date
    place: LongName
    agency_id: Id | None = None
    """The agency holding it (staff: their own, the default); an admin's without one is the
    federation's own."""


class JobFairPatch(Request):
    """The counts kept at the fair; ``version`` is the one read (a stale write is refused)."""

    version: Annotated[int, msgspec.Meta(ge=1)]
    attendees: Count | UnsetType = UNSET
    consultations: Count | UnsetType = UNSET


class JobFairEmployerIn(Request):
    employer_id: Id


class JobFair(Response):
    id: int
    name: str
    date: dt.date
    place: str
    agency_id: int | None
    employers: int
    attendees: int
    consultations: int
    registrations: int
    """Women who registered themselves on the fair's phone page (every entry of its queue,
    handled or not)."""
    hires: int
    """Offers confirmed at the fair."""
    employer_ids: list[int]
    version: int


class Transferred(Response):
    total: int
    women: int
    women_share: float | None
    share_of_labour_force: float | None
    local: int
    away: int


class Income(Response):
    total: int
    women: int


class Reemployment(Response):
    dismissed: int
    replaced: int
    median_days_to_replacement: float | None


class Trained(Response):
    people: int
    sessions: int
    free_for_priority: int


class JobFairFigures(Response):
    fairs: int
    employers: int
    attendees: int
    consultations: int
    hires: int


class CaseFigures(Response):
    handled: int
    resolved: int
    mediation_rate: float | None
    compensation_recovered_yuan: int


class GroupCount(Response):
    code: str
    transferred: int


class CityCount(Response):
    city: str
    transferred: int


class OfficeCount(Response):
    office_id: int
    name: str
    transferred: int
    cases_handled: int


class MonthCount(Response):
    month: str
    transferred: int
    women: int


class Summary(Response):
    from_: dt.date = msgspec.field(name="from")
    to: dt.date
    labour_force: int | None
    transferred: Transferred
    labour_income_yuan: Income
    reemployment: Reemployment
    trained: Trained
    job_fairs: JobFairFigures
    cases: CaseFigures
    by_priority_group: list[GroupCount]
    by_destination_city: list[CityCount]
    by_office: list[OfficeCount]
    by_month: list[MonthCount]


class RegistrationSkill(Response):
    code: str
    level: int


class Registration(Response):
    """An entry of a fair's self-registration queue. Once handled (confirmed, a duplicate,
    rejected) or expired, her personal fields are null: the register holds her, or nothing."""

    id: int
    job_fair_id: int
    status: str
    """``queued``, ``confirmed``, ``duplicate``, ``rejected`` or ``expired``."""
    name: str | None
    phone: str | None
    birth_date: dt.date | None
    home_county: str | None
    skills: list[RegistrationSkill] | None
    willing_to_relocate: bool | None
    consent_version: str
    consented_at: dt.datetime
    created_at: dt.datetime
    handled_at: dt.datetime | None
    worker_id: int | None
    """Confirmed: the worker she became; duplicate: the worker already registered."""
    duplicate_of: int | None
    """Queued: a worker already registered with her phone (confirming will say so)."""


class RegistrationPage(Response):
    items: list[Registration]
    total: int


class RegistrationConfirm(Request):
    agency_id: Id | None = None
    """The agency that registers her: the fair's by default (an admin must name one for a
    federation fair)."""
