"""Request and response bodies for offers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from matching.lib.types import Id, Request, Response, Yuan
from matching.placements.schemas import PlacementOut


class OfferOut(Response):
    id: int
    worker_id: int
    opening_id: int
    run_id: int | None
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime
    responded_at: dt.datetime | None


class OfferPage(Response):
    items: list[OfferOut]
    total: int


class OfferDetail(Response):
    id: int
    worker_id: int
    opening_id: int
    employer_id: int
    run_id: int | None
    status: str
    expires_at: dt.datetime
    title: str
    employer: str
    city: str
    monthly_wage_min: int
    monthly_wage_max: int
    housing_provided: bool
    start_date: dt.date


class ConfirmRequest(Request):
    """The fee comes from the published schedule, never by hand; the wage agreed may be sent
    (within the opening's range; left out: the range's lowest, the wage the opening promises
    at least), and the job fair the hire was made at."""

    monthly_wage: Yuan | None = None
    job_fair_id: Id | None = None


class ConfirmOut(Response):
    placement_id: int
    placement: PlacementOut


class WithdrawRequest(Request):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
