"""The notices that did not reach her phone (发送失败的通知), with their last error, and retrying
one or all: ``notices.service.list_notices`` and ``notices.service.retry``, as the API's
``GET /api/v1/notices?status=failed`` and ``POST /api/v1/notices/{id}/retry``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from matching.api.deps import DbSession
from matching.lib.errors import Conflict
from matching.notices import service as notices
from matching.profiles import service as profiles
from matching.web.console import Me, Pager, render, see_other

AnyRequest = Request[Any, Any, Any]
STATUSES = {"failed": "failed", "pending": "waiting to be sent", "sent": "sent"}
"""A notice's statuses as a clerk says them (an offer's "pending" is another word)."""
RETRY_ALL_AT_ONCE = 500


@get("/notices")
async def notices_list(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    status: FromQuery[str | None] = "failed",
    page: FromQuery[int | None] = None,
) -> Template:
    me.require("admin", "staff")
    pager = Pager.of(page)
    chosen = status if status in STATUSES else None
    found = await notices.list_notices(
        db_session, me, status=chosen, limit=pager.size, offset=pager.offset
    )
    ids = [n.worker_id for n in found.items if n.worker_id is not None]
    return render(
        request,
        "console/notices.html",
        notices=found.items,
        names=await profiles.worker_names(db_session, ids),
        statuses=STATUSES,
        pager=pager.with_total(found.total),
        f={"status": chosen or ""},
    )


@post("/notices/{notice_id:int}/retry", status_code=200)
async def notice_retry(
    request: AnyRequest, db_session: DbSession, me: Me, notice_id: FromPath[int]
) -> Response[Any]:
    """One failed notice back to the queue (a notice not failed: the error page, 409)."""
    me.require("admin", "staff")
    await notices.retry(db_session, me, notice_id)
    return see_other("/notices", done="notice_retried")


@post("/notices/retry-failed", status_code=200)
async def notices_retry_all(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    """Every failed notice of hers to see back to the queue, one service call each."""
    me.require("admin", "staff")
    found = await notices.list_notices(
        db_session, me, status="failed", limit=RETRY_ALL_AT_ONCE, offset=0
    )
    for n in found.items:
        try:
            await notices.retry(db_session, me, n.id)
        except Conflict:
            continue  # sent again by someone else a moment ago
    return see_other("/notices", done="notices_retried")


ROUTES = [notices_list, notice_retry, notices_retry_all]
