"""Routes for follow-ups, tasks and rights cases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import Stream

from matching.api.deps import AnyRequest, DbSession, Who
from matching.api.openapi import answers
from matching.api.params import Limit, Offset, OptId, PathId
from matching.api.spreadsheets import CSV, CSV_TYPE, XLSX, XLSX_TYPE, logged, send
from matching.lib.pagination import DEFAULT_LIMIT
from matching.lib.types import Request
from matching.placements import cases, exports, followups, service, tasks
from matching.placements.schemas import PlacementOut

Status = Annotated[str | None, Parameter(max_length=20)]


class TaskDone(Request):
    note: str | None = None


class FollowUpController(Controller):
    path = "/placements/{placement_id:int}/follow-ups"
    tags = ["placements"]

    @post("/{n:int}", status_code=200, summary="Record a check-in by phone or visit (staff)")
    async def record(
        self,
        placement_id: PathId,
        n: FromPath[int],
        data: JSONBody[followups.StaffCheckin],
        db_session: DbSession,
        principal: Who,
    ) -> PlacementOut:
        await followups.record_by_staff(db_session, principal, placement_id, n, data)
        return await service.get_placement(db_session, principal, placement_id)


class FollowUpListController(Controller):
    path = "/followups"
    tags = ["aftercare"]

    EXPORT = (
        "Follow-ups (回访) as a spreadsheet, with the calendar's filters: without a status the "
        "ones not yet done of active placements; by status, worker, or due before a date"
    )

    @get("/export.xlsx", media_type=XLSX_TYPE, summary=EXPORT, opt=answers(422))
    async def export_xlsx(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        worker_id: OptId = None,
        due_before: FromQuery[dt.date | None] = None,
    ) -> Stream:
        return await _export_followups(
            XLSX, request, db_session, principal, status, worker_id, due_before
        )

    @get("/export.csv", media_type=CSV_TYPE, summary=EXPORT, opt=answers(422))
    async def export_csv(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        worker_id: OptId = None,
        due_before: FromQuery[dt.date | None] = None,
    ) -> Stream:
        return await _export_followups(
            CSV, request, db_session, principal, status, worker_id, due_before
        )


async def _export_followups(
    suffix: str,
    request: AnyRequest,
    session: DbSession,
    principal: Who,
    status: str | None,
    worker_id: int | None,
    due_before: dt.date | None,
) -> Stream:
    seen = logged(request, principal, "followup.list.export", suffix)
    return await send(
        "followups",
        suffix,
        lambda path: exports.followups_list(
            session,
            principal,
            path,
            seen,
            status=status,
            worker_id=worker_id,
            due_before=due_before,
        ),
    )


class TaskController(Controller):
    path = "/tasks"
    tags = ["aftercare"]

    @get(
        "/",
        summary="Tasks for the offices: worrying check-ins, unanswered ones, cases",
        opt=answers(422),  # an unknown status
    )
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        office_id: OptId = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> tasks.TaskPage:
        return await tasks.list_tasks(
            db_session, principal, status=status, office_id=office_id, limit=limit, offset=offset
        )

    @post("/{task_id:int}/done", status_code=200)
    async def done(
        self,
        task_id: PathId,
        db_session: DbSession,
        principal: Who,
        data: JSONBody[TaskDone | None] = None,
    ) -> tasks.TaskOut:
        return await tasks.finish_task(db_session, principal, task_id, data.note if data else None)


class CaseController(Controller):
    path = "/cases"
    tags = ["aftercare"]

    @post("/", summary="Open a rights case (维权案件) on a placement")
    async def create(
        self, data: JSONBody[cases.CaseCreate], db_session: DbSession, principal: Who
    ) -> cases.CaseOut:
        return await cases.create_case(db_session, principal, data)

    @get("/", summary="Cases, by status, office or worker", opt=answers(422))  # unknown status
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        office_id: OptId = None,
        worker_id: OptId = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> cases.CasePage:
        return await cases.list_cases(
            db_session,
            principal,
            status=status,
            office_id=office_id,
            worker_id=worker_id,
            limit=limit,
            offset=offset,
        )

    EXPORT = "Rights cases as a spreadsheet, with the list's filters"

    @get("/export.xlsx", media_type=XLSX_TYPE, summary=EXPORT, opt=answers(422))
    async def export_xlsx(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        office_id: OptId = None,
        worker_id: OptId = None,
    ) -> Stream:
        return await _export(XLSX, request, db_session, principal, status, office_id, worker_id)

    @get("/export.csv", media_type=CSV_TYPE, summary=EXPORT, opt=answers(422))
    async def export_csv(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        office_id: OptId = None,
        worker_id: OptId = None,
    ) -> Stream:
        return await _export(CSV, request, db_session, principal, status, office_id, worker_id)

    @get("/figures", summary="Cases handled, mediation rate, compensation: per office and total")
    async def figures(self, db_session: DbSession, principal: Who) -> cases.FiguresOut:
        return await cases.figures(db_session, principal)

    @get("/{case_id:int}", summary="A case with its log")
    async def read(self, case_id: PathId, db_session: DbSession, principal: Who) -> cases.CaseOut:
        return await cases.get_case(db_session, principal, case_id)

    @post("/{case_id:int}/entries", summary="Add a dated entry to the case's log")
    async def entry(
        self,
        case_id: PathId,
        data: JSONBody[cases.EntryCreate],
        db_session: DbSession,
        principal: Who,
    ) -> cases.CaseOut:
        return await cases.add_entry(db_session, principal, case_id, data)

    @post("/{case_id:int}/status", status_code=200, summary="Move the case along its road")
    async def status(
        self,
        case_id: PathId,
        data: JSONBody[cases.StatusChange],
        db_session: DbSession,
        principal: Who,
    ) -> cases.CaseOut:
        return await cases.change_status(db_session, principal, case_id, data)

    @post("/{case_id:int}/recovered", status_code=200, summary="Record compensation recovered")
    async def recovered(
        self,
        case_id: PathId,
        data: JSONBody[cases.Recovery],
        db_session: DbSession,
        principal: Who,
    ) -> cases.CaseOut:
        return await cases.record_recovery(db_session, principal, case_id, data)


async def _export(
    suffix: str,
    request: AnyRequest,
    session: DbSession,
    principal: Who,
    status: str | None,
    office_id: int | None,
    worker_id: int | None,
) -> Stream:
    seen = logged(request, principal, "case.list.export", suffix)
    return await send(
        "cases",
        suffix,
        lambda path: exports.cases(
            session, principal, path, seen, status=status, office_id=office_id, worker_id=worker_id
        ),
    )
