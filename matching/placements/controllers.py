"""Routes for placements: read one, end one."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, Parameter
from litestar.response import Stream

from matching.api.access import record
from matching.api.deps import AnyRequest, DbSession, Who
from matching.api.openapi import answers
from matching.api.params import Limit, Offset, OptId, PathId
from matching.api.spreadsheets import CSV, CSV_TYPE, XLSX, XLSX_TYPE, logged, send
from matching.lib.pagination import DEFAULT_LIMIT
from matching.placements import exports, service
from matching.placements.schemas import EndRequest, PlacementOut, PlacementPage

Status = Annotated[str | None, Parameter(max_length=20)]


class PlacementController(Controller):
    path = "/placements"
    tags = ["placements"]

    @get(
        "/",
        summary="Placements: by status (active, ended), worker or opening",
        opt=answers(422),  # an unknown status
    )
    async def list_(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        worker_id: OptId = None,
        opening_id: OptId = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> PlacementPage:
        page = await service.placement_page(
            db_session,
            principal,
            status=status,
            worker_id=worker_id,
            opening_id=opening_id,
            limit=limit,
            offset=offset,
        )
        # One row per worker shown, as the worker list logs the workers it shows.
        record(request, principal, "placement.list", [p.worker_id for p in page.items])
        return page

    EXPORT = "Placements as a spreadsheet: by status (active, ended) or worker"

    @get("/export.xlsx", media_type=XLSX_TYPE, summary=EXPORT, opt=answers(422))
    async def export_xlsx(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        worker_id: OptId = None,
    ) -> Stream:
        return await _export(XLSX, request, db_session, principal, status, worker_id)

    @get("/export.csv", media_type=CSV_TYPE, summary=EXPORT, opt=answers(422))
    async def export_csv(
        self,
        request: AnyRequest,
        db_session: DbSession,
        principal: Who,
        status: Status = None,
        worker_id: OptId = None,
    ) -> Stream:
        return await _export(CSV, request, db_session, principal, status, worker_id)

    @get("/{placement_id:int}", summary="A placement with its follow-ups")
    async def read(
        self, placement_id: PathId, request: AnyRequest, db_session: DbSession, principal: Who
    ) -> PlacementOut:
        placement = await service.get_placement(db_session, principal, placement_id)
        record(
            request,
            principal,
            "placement.read",
            (placement.worker_id,),
            f"placement {placement_id}",
        )
        return placement

    @post("/{placement_id:int}/end", status_code=200, summary="End a placement, with the reason")
    async def end(
        self,
        placement_id: PathId,
        data: JSONBody[EndRequest],
        db_session: DbSession,
        principal: Who,
    ) -> PlacementOut:
        return await service.end_placement(
            db_session, principal, placement_id, data.reason, data.note, data.ended_on
        )


async def _export(
    suffix: str,
    request: AnyRequest,
    session: DbSession,
    principal: Who,
    status: str | None,
    worker_id: int | None,
) -> Stream:
    seen = logged(request, principal, "placement.list.export", suffix)
    return await send(
        "placements",
        suffix,
        lambda path: exports.placements_list(
            session, principal, path, seen, status=status, worker_id=worker_id
        ),
    )
