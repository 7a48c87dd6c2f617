"""Routes for an agency's published fee schedule (统一收费)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from matching.api.deps import DbSession, Who
from matching.api.params import PathId
from matching.network import fees
from matching.network.fee_schemas import FeeScheduleCreate, FeeScheduleOut


class FeeScheduleController(Controller):
    path = "/agencies/{agency_id:int}/fee-schedule"
    tags = ["fees"]

    @post("/", summary="Publish a new version of the agency's fee schedule (admin or its staff)")
    async def publish(
        self,
        agency_id: PathId,
        data: JSONBody[FeeScheduleCreate],
        db_session: DbSession,
        principal: Who,
    ) -> FeeScheduleOut:
        return await fees.publish_schedule(db_session, principal, agency_id, data)

    @get("/", summary="The agency's current fee schedule")
    async def read(
        self, agency_id: PathId, db_session: DbSession, principal: Who
    ) -> FeeScheduleOut:
        return await fees.current_schedule(db_session, principal, agency_id)
