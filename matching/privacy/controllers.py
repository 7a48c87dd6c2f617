"""Routes for her export (``/workers/{id}/export``), her erasure (``/workers/{id}/erase``) and
the audit log (``/audit-log``)."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import JSONBody, QueryParameter

from matching.api.deps import (
    AnyRequest,
    Ctx,
    DbSession,
    Who,
    principal_of,
    runtime,
    transaction,
)
from matching.api.openapi import answers
from matching.api.params import Limit, Offset, OptId, PathId, Term
from matching.api.request_id import request_id
from matching.lib.pagination import DEFAULT_LIMIT
from matching.privacy import erasure, service
from matching.privacy.schemas import AccessPage, ErasureOut, ErasureRequest, WorkerExport

_MOMENT = "a date (the whole day, Asia/Shanghai) or an ISO 8601 time"
Since = Annotated[str | None, QueryParameter(name="from", max_length=40, description=_MOMENT)]
Until = Annotated[str | None, QueryParameter(name="to", max_length=40, description=_MOMENT)]


@get(
    "/workers/{worker_id:int}/export",
    tags=["privacy"],
    summary="Everything held about her, her full ID number included (logged)",
)
async def export_worker(
    worker_id: PathId, request: AnyRequest, db_session: DbSession, ctx: Ctx, principal: Who
) -> WorkerExport:
    await runtime(request.app.state).access.flush()  # her reads up to now are in her copy
    return await service.export_worker(
        db_session,
        ctx,
        principal,
        worker_id,
        action="worker.export",
        request_id=request_id(request.scope),
    )


@get(
    "/audit-log",
    tags=["privacy"],
    summary="Who read whose personal data, newest first (admin)",
    opt=answers(422),  # a moment that is none, a period that ends before it starts
)
async def audit_log(
    db_session: DbSession,
    principal: Who,
    worker_id: OptId = None,
    actor_id: OptId = None,
    action: Term = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> AccessPage:
    return await service.audit_log(
        db_session,
        principal,
        worker_id=worker_id,
        actor_id=actor_id,
        action=action,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )


@post(
    "/workers/{worker_id:int}/erase",
    status_code=200,
    tags=["privacy"],
    summary="Erase her identity everywhere (PIPL art. 47); says what was kept and why",
)
async def erase_worker(
    worker_id: PathId, data: JSONBody[ErasureRequest], request: AnyRequest
) -> ErasureOut:
    # This handler is its own edge: it commits, then clears the SQLite WAL of her pages.
    rt = runtime(request.app.state)
    async with transaction(request.app.state) as session:
        out = await erasure.erase_worker(
            session, rt.ctx, principal_of(request), worker_id, data.reason
        )
    await erasure.clear_storage(rt.engine, rt.access)
    return out
