"""Health and the no-database route that benchmarks use as their ceiling."""

from __future__ import annotations

import logging

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from matching.api.auth import PUBLIC
from matching.api.deps import runtime
from matching.lib.types import Response as Body

log = logging.getLogger("laowu.health")


class Health(Body):
    status: str
    database: str


@get("/health", tags=["system"], opt=PUBLIC, summary="Is the service and its database up?")
async def health(state: State) -> Response[Health]:
    try:
        async with runtime(state).engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is what this route reports
        log.exception("health check: database unreachable")
        return Response(Health(status="degraded", database="unreachable"), status_code=503)
    return Response(Health(status="ok", database="ok"))


@get("/ping", tags=["system"], opt=PUBLIC, summary="No database: the ceiling for benchmarks")
async def ping() -> dict[str, str]:
    return {"status": "ok"}
