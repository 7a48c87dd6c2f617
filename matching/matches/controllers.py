"""Routes for match runs, their proposals, and a worker's offers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import JSONBody, Parameter

from matching.api.access import record
from matching.api.deps import AnyRequest, DbSession, Who, runtime
from matching.api.params import Limit, Offset, OptId, PathId
from matching.lib.pagination import DEFAULT_LIMIT
from matching.matches import service
from matching.matches.partitions import WHOLE, Partition
from matching.matches.runner import execute_run
from matching.matches.schemas import (
    MatchRunOut,
    MatchRunPage,
    ProposalPage,
    RunRequest,
    UnproposedPage,
    WorkerOutcome,
)

Lang = Annotated[Literal["zh", "en"], Parameter(description="language of the reasons")]


class MatchRunController(Controller):
    path = "/match-runs"
    tags = ["matching"]

    @post("/", status_code=202, summary="Start a match run now (answers at once)")
    async def start(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        principal: Who,
        data: JSONBody[RunRequest | None] = None,
    ) -> Response[MatchRunOut]:
        rt = runtime(request.app.state)
        run = await service.request_run(
            db_session,
            principal,
            dry_run=bool(data and data.dry_run),
            lease=service.lease_of(rt.ctx),
            partition=Partition(data.share, data.shares) if data else WHOLE,
        )
        # Runs after the response is sent, so after this request's transaction committed.
        return Response(
            run,
            status_code=202,
            background=BackgroundTask(execute_run, rt.sessionmaker, rt.ctx, run.id),
        )

    @get("/", summary="Recent match runs")
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> MatchRunPage:
        return await service.list_runs(db_session, principal, limit=limit, offset=offset)

    @get("/{run_id:int}", summary="A run: status, stats, timings per phase, fairness audit")
    async def read(self, run_id: PathId, db_session: DbSession, principal: Who) -> MatchRunOut:
        return await service.get_run(db_session, principal, run_id)

    @get("/{run_id:int}/proposals", summary="Proposals with their reasons")
    async def proposals(
        self,
        request: AnyRequest,
        run_id: PathId,
        db_session: DbSession,
        principal: Who,
        lang: Lang = "zh",
        opening_id: OptId = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> ProposalPage:
        page = await service.list_proposals(
            db_session,
            principal,
            run_id,
            lang=lang,
            opening_id=opening_id,
            limit=limit,
            offset=offset,
        )
        record(request, principal, "proposal.list", [p.worker_id for p in page.items])
        return page

    @get("/{run_id:int}/unproposed", summary="The workers left out, each with the one reason")
    async def unproposed(
        self,
        request: AnyRequest,
        run_id: PathId,
        db_session: DbSession,
        principal: Who,
        lang: Lang = "zh",
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> UnproposedPage:
        page = await service.list_unproposed(
            db_session, principal, run_id, lang=lang, limit=limit, offset=offset
        )
        record(request, principal, "match.outcome", [u.worker_id for u in page.items])
        return page

    @get("/{run_id:int}/workers/{worker_id:int}", summary="Why she was proposed, or why not")
    async def outcome(
        self,
        request: AnyRequest,
        run_id: PathId,
        worker_id: PathId,
        db_session: DbSession,
        principal: Who,
        lang: Lang = "zh",
    ) -> WorkerOutcome:
        out = await service.worker_outcome(db_session, principal, run_id, worker_id, lang=lang)
        record(request, principal, "match.outcome", (worker_id,), detail=f"run {run_id}")
        return out
