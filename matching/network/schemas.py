"""Request and response bodies for auth, agencies, offices and staff accounts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from matching.lib.types import Id, LongName, Password, Place, Request, Response, Username


class TokenRequest(Request):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TokenResponse(Response):
    access_token: str
    token_type: str
    expires_in: int


class AgencyCreate(Request):
    name: LongName


class AgencyOut(Response):
    id: int
    name: str
    created_at: dt.datetime


class OfficeCreate(Request):
    agency_id: Id
    name: LongName
    city: Place
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class OfficeOut(Response):
    id: int
    agency_id: int
    name: str
    city: str
    phone: str | None
    created_at: dt.datetime


class StaffCreate(Request):
    username: Username
    password: Password
    role: Literal["staff", "employer", "admin"]
    agency_id: Id | None = None
    office_id: Id | None = None
    employer_id: Id | None = None


class StaffOut(Response):
    id: int
    username: str
    role: str
    agency_id: int | None
    office_id: int | None
    employer_id: int | None
    active: bool
    created_at: dt.datetime


class AgencyPage(Response):
    items: list[AgencyOut]
    total: int


class OfficePage(Response):
    items: list[OfficeOut]
    total: int


class StaffPage(Response):
    items: list[StaffOut]
    total: int
