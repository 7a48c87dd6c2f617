"""Routes for placements: read one, end one."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from matching.api.access import record
from matching.api.deps import AnyRequest, DbSession, Who
from matching.api.params import PathId
from matching.placements import service
from matching.placements.schemas import EndRequest, PlacementOut


class PlacementController(Controller):
    path = "/placements"
    tags = ["placements"]

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
