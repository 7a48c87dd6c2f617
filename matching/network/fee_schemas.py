"""Request and response bodies for ``/api/v1/agencies/{id}/fee-schedule`` (统一收费)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from matching.lib.types import Place, Request, Response, Yuan

Industry = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class FeeRuleIn(Request):
    """One line of the schedule: leave out the city or the industry to mean 'any'."""

    amount: Yuan
    destination_city: Place | None = None
    industry: Industry | None = None


class FeeScheduleCreate(Request):
    rules: Annotated[list[FeeRuleIn], msgspec.Meta(min_length=1, max_length=200)]


class FeeRuleOut(Response):
    destination_city: str | None
    industry: str | None
    amount: int


class FeeScheduleOut(Response):
    id: int
    agency_id: int
    version: int
    rules: list[FeeRuleOut]
    published_at: dt.datetime
    published_by: str
