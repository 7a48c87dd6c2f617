"""Request and response bodies for ``/api/v1/employers`` and ``/api/v1/openings``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from matching.lib.types import (
    Code,
    Id,
    Level,
    LongName,
    LongNameText,
    Place,
    PlaceText,
    Request,
    Response,
    Score,
    Yuan,
)

Headcount = Annotated[int, msgspec.Meta(le=100_000)]
"""At least 1: the service checks it, so it is named with the opening's other wrong fields."""
Industry = Annotated[str, msgspec.Meta(max_length=100)]


class EmployerCreate(Request):
    name: LongName
    city: Place
    industry: Industry | None = None
    reputation: Score | None = None
    labour_protection: Score | None = None
    local_workshop: bool = False
    """A local workshop (绣花点, 绗缝厂): its openings count as local transfer (就地转移)."""
    # The agency that registers it and alone (with admins) may change it and its openings:
    # staff register for their own agency (leave it out); an admin may name one, or leave it
    # out to keep the employer for admins.
    agency_id: Id | None = None


class EmployerPatch(Request):
    version: Annotated[int, msgspec.Meta(ge=1)]
    name: LongName | UnsetType = UNSET
    city: Place | UnsetType = UNSET
    industry: Industry | UnsetType | None = UNSET
    reputation: Score | UnsetType = UNSET
    labour_protection: Score | UnsetType = UNSET
    local_workshop: bool | UnsetType = UNSET
    agency_id: Id | UnsetType | None = UNSET  # admin only: hand the employer to an agency


class EmployerOut(Response):
    id: int
    name: str
    city: str
    industry: str | None
    reputation: int
    labour_protection: int
    partner: bool
    suspended: bool
    version: int
    created_at: dt.datetime
    agency_id: int | None = None
    local_workshop: bool = False  # who changes it and its openings; null: admins only


class EmployerPage(Response):
    items: list[EmployerOut]
    total: int


class RequiredSkill(Request):
    code: Code
    min_level: Level


class OpeningCreate(Request):
    employer_id: Id
    title: LongNameText
    city: PlaceText
    headcount: Headcount
    monthly_wage_min: Yuan
    monthly_wage_max: Yuan
    housing_provided: bool
    start_date: dt.date
    county: Place | None = None
    required_skills: Annotated[list[RequiredSkill], msgspec.Meta(max_length=10)] = []


class OpeningPatch(Request):
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: LongName | UnsetType = UNSET
    city: Place | UnsetType = UNSET
    county: Place | UnsetType | None = UNSET
    headcount: Headcount | UnsetType = UNSET
    monthly_wage_min: Yuan | UnsetType = UNSET
    monthly_wage_max: Yuan | UnsetType = UNSET
    housing_provided: bool | UnsetType = UNSET
    start_date: dt.date | UnsetType = UNSET
    required_skills: Annotated[list[RequiredSkill], msgspec.Meta(max_length=10)] | UnsetType = UNSET
    status: Literal["open", "closed"] | UnsetType = UNSET


class RequiredSkillOut(Response):
    code: str
    min_level: int


class OpeningOut(Response):
    id: int
    employer_id: int
    employer_name: str
    title: str
    city: str
    county: str | None
    required_skills: list[RequiredSkillOut]
    headcount: int
    monthly_wage_min: int
    monthly_wage_max: int
    housing_provided: bool
    start_date: dt.date
    status: str
    version: int
    created_at: dt.datetime


class OpeningPage(Response):
    items: list[OpeningOut]
    total: int
