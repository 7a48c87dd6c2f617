"""Routes for notices: staff see failed ones and retry them. (The gateway's SMS replies arrive
at ``/notices/inbound``, handled with the offer they answer: ``matching.offers.controllers``.)"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, Parameter

from matching.api.deps import DbSession, Who
from matching.api.params import Limit, Offset, PathId
from matching.lib.pagination import DEFAULT_LIMIT
from matching.notices import service
from matching.notices.schemas import NoticeOut, NoticePage, NoticeStatus


class NoticeController(Controller):
    path = "/notices"
    tags = ["notices"]

    @get("/", summary="Notices to workers (staff: their agency's; e.g. ?status=failed)")
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        status: FromQuery[NoticeStatus | None] = None,
        worker_id: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> NoticePage:
        return await service.list_notices(
            db_session, principal, status=status, worker_id=worker_id, limit=limit, offset=offset
        )

    @post("/{notice_id:int}/retry", status_code=200, summary="Send a failed notice again")
    async def retry(self, notice_id: PathId, db_session: DbSession, principal: Who) -> NoticeOut:
        return await service.retry(db_session, principal, notice_id)
