"""The console's 导出 Excel links: each list page's current filters (named as the page names
them) and the 报表 page's period, as the same spreadsheets the API answers, for the signed-in
clerk (her session, not a bearer token)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Stream

from matching.api.deps import DbSession
from matching.api.spreadsheets import XLSX, XLSX_TYPE, logged, send
from matching.openings import exports as opening_exports
from matching.openings.service import OpeningFilter
from matching.placements import exports as placement_exports
from matching.profiles import exports as worker_exports
from matching.profiles.repository import WorkerFilter
from matching.reports import exports as report_exports
from matching.web.console import Me

AnyRequest = Request[Any, Any, Any]


def _opt(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@get("/workers/export.xlsx", media_type=XLSX_TYPE)
async def workers_xlsx(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    q: FromQuery[str | None] = None,
    skill: FromQuery[str | None] = None,
    group: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
) -> Stream:
    flt = WorkerFilter(None, _opt(skill), _opt(group), _opt(status), _opt(q))
    seen = logged(request, me, "console.worker.list.export", XLSX)
    return await send(
        "workers", XLSX, lambda p: worker_exports.workers(db_session, me, flt, p, seen)
    )


@get("/openings/export.xlsx", media_type=XLSX_TYPE)
async def openings_xlsx(
    db_session: DbSession,
    me: Me,
    city: FromQuery[str | None] = None,
    skill: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
) -> Stream:
    flt = OpeningFilter(city=_opt(city), skill=_opt(skill), status=_opt(status))
    return await send("openings", XLSX, lambda p: opening_exports.openings(db_session, me, flt, p))


@get("/cases/export.xlsx", media_type=XLSX_TYPE)
async def cases_xlsx(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    status: FromQuery[str | None] = None,
) -> Stream:
    seen = logged(request, me, "console.case.list.export", XLSX)
    return await send(
        "cases",
        XLSX,
        lambda p: placement_exports.cases(
            db_session, me, p, seen, status=_opt(status), office_id=None, worker_id=None
        ),
    )


@get("/placements/export.xlsx", media_type=XLSX_TYPE)
async def placements_xlsx(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    status: FromQuery[str | None] = None,
) -> Stream:
    seen = logged(request, me, "console.placement.list.export", XLSX)
    return await send(
        "placements",
        XLSX,
        lambda p: placement_exports.placements_list(
            db_session, me, p, seen, status=_opt(status), worker_id=None
        ),
    )


@get("/followups/export.xlsx", media_type=XLSX_TYPE)
async def followups_xlsx(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    due_before: FromQuery[str | None] = None,
) -> Stream:
    """The 回访 calendar's follow-ups: those not yet done, due before the calendar's end."""
    try:
        before = dt.date.fromisoformat(due_before) if due_before else None
    except ValueError:
        before = None
    seen = logged(request, me, "console.followup.list.export", XLSX)
    return await send(
        "followups",
        XLSX,
        lambda p: placement_exports.followups_list(
            db_session, me, p, seen, status=None, worker_id=None, due_before=before
        ),
    )


@get("/reports/summary.xlsx", media_type=XLSX_TYPE)
async def summary_xlsx(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    to: FromQuery[str | None] = None,
    agency_id: FromQuery[str | None] = None,
) -> Stream:
    raw_from = request.query_params.get("from")  # a Python keyword: read off the query
    return await send(
        "summary",
        XLSX,
        lambda p: report_exports.summary_workbook(
            db_session, me, raw_from, to, p, agency_id=_id(agency_id), office_id=None
        ),
    )


ROUTES = [
    workers_xlsx,
    openings_xlsx,
    placements_xlsx,
    cases_xlsx,
    followups_xlsx,
    summary_xlsx,
]
