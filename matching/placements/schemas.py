"""Request and response bodies for placements."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from matching.lib.types import Request, Response


class FollowUpOut(Response):
    # answers, channel and answered_at are null for employer accounts: her answers are hers.
    n: int
    due_on: dt.date
    status: str
    answers: dict[str, Any] | None = None
    channel: str | None = None
    answered_at: dt.datetime | None = None


class PlacementOut(Response):
    id: int
    worker_id: int
    opening_id: int
    employer_id: int
    offer_id: int
    start_date: dt.date
    status: str
    ended_on: dt.date | None
    end_reason: str | None
    follow_ups: list[FollowUpOut]
    # The unified fee (统一收费), computed at confirmation from the published schedule; null
    # for employer accounts (a waived fee tells a priority group).
    fee_due: int | None = 0
    fee_waived: bool | None = False
    fee_schedule_version: int | None = None
    monthly_wage: int | None = None
    """What she is paid a month: agreed at confirmation, then as she reports at check-ins."""
    job_fair_id: int | None = None
    """The job fair (招聘会) she was hired at, if any."""


EndReason = Literal["dismissed", "quit", "completed", "contract_violation", "employer_cancelled"]


class EndRequest(Request):
    reason: EndReason
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    ended_on: dt.date | None = None


class PlacementItem(Response):
    """One row of the placement list: what ``GET /placements/{id}`` shows, with the names the
    console's list shows; her name is left out for an employer (the placement does not show
    it her either)."""

    id: int
    worker_id: int
    worker_name: str | None
    title: str
    employer: str
    city: str
    start_date: dt.date
    status: str


class PlacementPage(Response):
    items: list[PlacementItem]
    total: int
