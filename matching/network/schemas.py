"""Request and response bodies for auth, agencies, offices and staff accounts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

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


class StaffUpdate(Request):
    """What an admin changes on an account; a field left out stays as it is. A role change
    drops the scope the new role does not have unless the body sets it."""

    active: bool | UnsetType = UNSET
    role: Literal["staff", "employer", "admin"] | UnsetType = UNSET
    agency_id: Id | UnsetType | None = UNSET
    office_id: Id | UnsetType | None = UNSET
    employer_id: Id | UnsetType | None = UNSET


class PasswordChange(Request):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PasswordReset(Response):
    id: int
    username: str
    one_time_password: str
    must_change_password: bool


class StaffOut(Response):
    id: int
    username: str
    role: str
    agency_id: int | None
    office_id: int | None
    employer_id: int | None
    active: bool
    must_change_password: bool
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
