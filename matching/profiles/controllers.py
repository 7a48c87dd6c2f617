"""Routes for worker profiles (``/api/v1/workers``) and the reference lists."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post, put
from litestar.params import JSONBody, Parameter
from litestar.response import Stream

from matching.api.access import record
from matching.api.auth import PUBLIC
from matching.api.deps import (
    AnyRequest,
    Ctx,
    DbSession,
    Who,
    context_of,
    principal_of,
    reader,
    unit_of_work,
)
from matching.api.openapi import answers
from matching.api.params import Limit, Offset, PathId, Term
from matching.api.spreadsheets import CSV, CSV_TYPE, XLSX, XLSX_TYPE, logged, send
from matching.lib.pagination import DEFAULT_LIMIT
from matching.lib.reference import reference
from matching.lib.types import MAX_ID, Response
from matching.network import policy
from matching.profiles import exports, service
from matching.profiles.repository import WorkerFilter
from matching.profiles.schemas import (
    ConsentPage,
    Worker,
    WorkerCreate,
    WorkerPage,
    WorkerPatch,
)


class WorkerController(Controller):
    path = "/workers"
    tags = ["workers"]

    @post("/", summary="Register a worker (staff register for their own agency)")
    async def register(self, data: JSONBody[WorkerCreate], request: AnyRequest) -> Worker:
        principal = principal_of(request)  # no dependencies resolved: see deps.unit_of_work
        alone = service.registers_in_one_statement(principal)
        async with unit_of_work(request, one_statement=alone) as source:
            return await service.register_worker(source, context_of(request), principal, data)

    @get("/{worker_id:int}", summary="One worker; the ID number comes back masked")
    async def read(self, worker_id: PathId, request: AnyRequest) -> Worker:
        engine, principal = reader(request)  # the most frequent request: no dependencies
        worker = await service.get_worker(engine, principal, worker_id)
        record(request, principal, "worker.read", (worker_id,))
        return worker

    @patch("/{worker_id:int}", summary="Change a worker; send the version you read")
    async def change(
        self,
        worker_id: PathId,
        data: JSONBody[WorkerPatch],
        db_session: DbSession,
        ctx: Ctx,
        principal: Who,
    ) -> Worker:
        return await service.update_worker(db_session, ctx, principal, worker_id, data)

    @get("/{worker_id:int}/consents", summary="Her consent events, newest first")
    async def consents(
        self,
        worker_id: PathId,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> ConsentPage:
        page = await service.list_consents(
            db_session, principal, worker_id, limit=limit, offset=offset
        )
        record(request, principal, "worker.consents", (worker_id,))
        return page

    @get(
        "/",
        summary="Search workers by skill, priority group, status, name or phone",
        opt=answers(422),  # a filter value that names no skill, group or status
    )
    async def search(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        skill: Term = None,
        priority_group: Term = None,
        status: Term = None,
        q: Term = None,
        agency_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> WorkerPage:
        flt = WorkerFilter(agency_id, skill, priority_group, status, q)
        page = await service.search_workers(db_session, principal, flt, limit=limit, offset=offset)
        # One row per worker shown, so that "who read her" finds a list that showed her too.
        record(request, principal, "worker.list", [w.id for w in page.items])
        return page

    # The list as a spreadsheet: the same filters and scoping, ID numbers masked.
    EXPORT = "The worker register as a spreadsheet, with the list's filters (ID numbers masked)"

    @get("/export.xlsx", media_type=XLSX_TYPE, summary=EXPORT, opt=answers(422))
    async def export_xlsx(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        skill: Term = None,
        priority_group: Term = None,
        status: Term = None,
        q: Term = None,
        agency_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
    ) -> Stream:
        flt = WorkerFilter(agency_id, skill, priority_group, status, q)
        return await _export(XLSX, request, db_session, principal, flt)

    @get("/export.csv", media_type=CSV_TYPE, summary=EXPORT, opt=answers(422))
    async def export_csv(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        skill: Term = None,
        priority_group: Term = None,
        status: Term = None,
        q: Term = None,
        agency_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
    ) -> Stream:
        flt = WorkerFilter(agency_id, skill, priority_group, status, q)
        return await _export(CSV, request, db_session, principal, flt)


async def _export(
    suffix: str, request: AnyRequest, session: DbSession, principal: Who, flt: WorkerFilter
) -> Stream:
    seen = logged(request, principal, "worker.list.export", suffix)
    return await send(
        "workers", suffix, lambda path: exports.workers(session, principal, flt, path, seen)
    )


class Label(Response):
    code: str
    zh: str
    en: str


class GroupLabel(Label):
    priority: bool
    assignable: bool


class LabelPage(Response):
    items: list[Label]
    total: int


class GroupPage(Response):
    items: list[GroupLabel]
    total: int


@get(
    "/skills", tags=["reference"], opt=PUBLIC, summary="Skill codes with Chinese and English labels"
)
async def list_skills() -> LabelPage:
    items = [Label(code=s.code, zh=s.zh, en=s.en) for s in reference().skills]
    return LabelPage(items=items, total=len(items))


@get(
    "/priority-groups",
    tags=["reference"],
    opt=PUBLIC,
    summary="Priority groups (重点群体); ``priority``: placed first under the policy in force",
)
async def list_priority_groups(db_session: DbSession) -> GroupPage:
    first = await policy.priority_codes(db_session)
    items = [
        GroupLabel(code=g.code, zh=g.zh, en=g.en, priority=g.code in first, assignable=g.assignable)
        for g in reference().groups
    ]
    return GroupPage(items=items, total=len(items))


@get(
    "/priority-policy",
    tags=["reference"],
    summary="Which groups are placed first, with every change (who and when)",
)
async def read_priority_policy(db_session: DbSession, principal: Who) -> policy.PolicyHistory:
    return await policy.history(db_session, principal)


@put(
    "/priority-policy",
    tags=["reference"],
    summary="Set which priority groups are placed first from the next match run (admin)",
)
async def put_priority_policy(
    data: JSONBody[policy.PolicyChange], db_session: DbSession, principal: Who
) -> policy.Policy:
    return await policy.change(db_session, principal, data)
