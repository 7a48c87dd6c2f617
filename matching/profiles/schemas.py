"""Request and response bodies for ``/api/v1/workers``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from matching.lib.types import (
    Code,
    Id,
    Level,
    Name,
    NameText,
    Place,
    PlaceText,
    Request,
    Response,
    Yuan,
)

IdNumber = Annotated[str, msgspec.Meta(max_length=32)]
Phone = Annotated[str, msgspec.Meta(max_length=32)]
"""Checked by ``lib.identity`` in the service (blank included), beside her other fields."""
Locale = Literal["zh", "en"]
Sex = Literal["female", "male"]
"""For the federation's figures only; read from her ID number when there is one."""
Channel = Literal["in_person", "phone_page", "sms"]
TextVersion = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z._-]{1,16}$")]
"""A short code of the consent text she was shown, e.g. ``2026-12``."""


class SkillLevel(Request):
    code: Code
    level: Level


class WorkerCreate(Request):
    name: NameText
    phone: Phone
    birth_date: dt.date
    home_county: PlaceText
    consent_matching: bool
    sex: Sex | None = None
    """Declared; with an ID number it is read from it (and a contradicting value refused)."""
    consent_sensitive: bool | None = None
    """Separate consent to holding her priority groups; left out: given when groups are sent
    (staff register her in person), not asked otherwise."""
    consent_version: TextVersion | None = None
    consent_channel: Channel = "in_person"
    """How she gave the consents sent with it (``phone_page``: her own entry on a fair's page)."""
    skills: Annotated[list[SkillLevel], msgspec.Meta(max_length=20)] = []
    priority_groups: Annotated[list[Code], msgspec.Meta(max_length=10)] = []
    willing_to_relocate: bool = False
    preferred_cities: Annotated[list[Place], msgspec.Meta(max_length=20)] = []
    min_monthly_wage: Yuan | None = None
    needs_housing: bool = False
    available_from: dt.date | None = None
    id_number: IdNumber | None = None
    agency_id: Id | None = None
    locale: Locale = "zh"


class WorkerPatch(Request):
    """Every field optional but ``version``: the version read, so a stale write is refused."""

    version: Annotated[int, msgspec.Meta(ge=1)]
    name: Name | UnsetType = UNSET
    phone: Phone | UnsetType = UNSET
    birth_date: dt.date | UnsetType = UNSET
    home_county: Place | UnsetType = UNSET
    sex: Sex | UnsetType | None = UNSET
    consent_matching: bool | UnsetType = UNSET
    consent_sensitive: bool | UnsetType = UNSET
    consent_channel: Channel | UnsetType = UNSET
    """How she gave or withdrew the consent sent with it (default ``in_person``)."""
    consent_version: TextVersion | UnsetType = UNSET
    """The consent text she was shown (default: the current text's code)."""
    skills: Annotated[list[SkillLevel], msgspec.Meta(max_length=20)] | UnsetType = UNSET
    priority_groups: Annotated[list[Code], msgspec.Meta(max_length=10)] | UnsetType = UNSET
    willing_to_relocate: bool | UnsetType = UNSET
    preferred_cities: Annotated[list[Place], msgspec.Meta(max_length=20)] | UnsetType = UNSET
    min_monthly_wage: Yuan | UnsetType | None = UNSET
    needs_housing: bool | UnsetType = UNSET
    available_from: dt.date | UnsetType | None = UNSET
    id_number: IdNumber | UnsetType | None = UNSET
    locale: Locale | UnsetType = UNSET


class SkillOut(Response):
    code: str
    level: int
    source: str = "declared"
    certified_on: dt.date | None = None


class Worker(Response):
    id: int
    agency_id: int
    name: str
    phone: str
    birth_date: dt.date
    home_county: str
    sex: str | None
    skills: list[SkillOut]
    priority_groups: list[str]
    willing_to_relocate: bool
    preferred_cities: list[str]
    min_monthly_wage: int | None
    needs_housing: bool
    available_from: dt.date | None
    consent_matching: bool
    consent_sensitive: bool
    id_number: str | None
    locale: str
    status: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    effects: list[str] = []
    """What a change of consent did (offers withdrawn, priority groups removed); only on the
    answer to the write that did it."""


class WorkerPage(Response):
    items: list[Worker]
    total: int


class ConsentOut(Response):
    kind: str
    given: bool
    version: str
    channel: str
    recorded_by: int | None
    at: dt.datetime


class ConsentPage(Response):
    items: list[ConsentOut]
    total: int
