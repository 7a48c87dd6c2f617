"""Health, readiness and the no-database route that benchmarks use as their ceiling.

``/health`` is the contract's check of the process and its database; ``/health/live`` asks
nothing of the database (a liveness probe must not restart every process when the database is
away); ``/health/ready`` says whether this process should get traffic: the database answers
and is migrated to this code's head (or past it, by a newer release rolling out), and, where
this process runs the scheduler, whether it leads (a follower is ready too: it takes over
when the leader dies).
"""

from __future__ import annotations

import logging
from typing import Protocol

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from matching.api.auth import PUBLIC
from matching.api.deps import runtime
from matching.db.migrate import current_revisions, head_revisions, position
from matching.lib.types import Response as Body

log = logging.getLogger("laowu.health")


class Leading(Protocol):
    """What readiness asks of a scheduler in this process (``app.state.leadership``)."""

    @property
    def is_leader(self) -> bool: ...


class Health(Body):
    status: str
    database: str


class Liveness(Body):
    status: str


class Readiness(Body, omit_defaults=True):
    status: str  # "ready" | "not_ready"
    database: str  # "ok" | "unreachable"
    migrations: str  # "head" | "behind" | "ahead" (see db.migrate.position) | "unknown"
    revision: list[str]
    head: list[str]
    scheduler: str | None = None  # "leading" | "following"; absent without a scheduler here


@get("/health", tags=["system"], opt=PUBLIC, summary="Is the service and its database up?")
async def health(state: State) -> Response[Health]:
    try:
        async with runtime(state).engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is what this route reports
        log.exception("health check: database unreachable")
        return Response(Health(status="degraded", database="unreachable"), status_code=503)
    return Response(Health(status="ok", database="ok"))


@get("/health/live", tags=["system"], opt=PUBLIC, summary="Is this process serving? (no database)")
async def health_live() -> Liveness:
    return Liveness(status="ok")


@get("/health/ready", tags=["system"], opt=PUBLIC, summary="Should this process get traffic?")
async def health_ready(state: State) -> Response[Readiness]:
    head = head_revisions()
    database, migrations, revision = "ok", "unknown", frozenset[str]()
    try:
        async with runtime(state).engine.connect() as conn:
            revision = await current_revisions(conn)
        migrations = position(revision)
    except Exception:  # unreachable, or no alembic_version table we can read
        log.exception("readiness check: database unreachable")
        database = "unreachable"
    leadership: Leading | None = state.get("leadership")
    scheduler = None
    if leadership is not None:
        scheduler = "leading" if leadership.is_leader else "following"
    # A database ahead of this code is one a newer release migrated while this process still
    # serves its requests (migrations add before they take away): still ready.
    ready = database == "ok" and migrations in ("head", "ahead")
    body = Readiness(
        status="ready" if ready else "not_ready",
        database=database,
        migrations=migrations,
        revision=sorted(revision),
        head=sorted(head),
        scheduler=scheduler,
    )
    return Response(body, status_code=200 if ready else 503)


@get("/ping", tags=["system"], opt=PUBLIC, summary="No database: the ceiling for benchmarks")
async def ping() -> dict[str, str]:
    return {"status": "ok"}
