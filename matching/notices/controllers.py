"""Routes for notices: staff see failed ones and retry them; the gateway posts SMS replies."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, Parameter

from matching.api.auth import PUBLIC
from matching.api.deps import Ctx, DbSession, Who
from matching.api.params import Limit, Offset, PathId
from matching.api.strict import RAW_BODY
from matching.lib.pagination import DEFAULT_LIMIT
from matching.notices import service
from matching.notices.schemas import InboundOut, NoticeOut, NoticePage, NoticeStatus
from matching.notices.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER


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

    @post(
        "/inbound",
        status_code=200,
        # The gateway signs instead of logging in; the handler reads (and checks) the raw body.
        opt=PUBLIC | RAW_BODY,
        summary="An SMS reply relayed by the gateway (signed): 1 accepts, 2 declines",
    )
    async def inbound(
        self, request: Request[Any, Any, Any], db_session: DbSession, ctx: Ctx
    ) -> InboundOut:
        # The raw bytes: the signature covers the body exactly as sent.
        return await service.receive_sms(
            db_session,
            ctx,
            body=await request.body(),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
        )
