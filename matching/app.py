"""create_app(): the Litestar application (API and the web pages) with its plugins."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, cast

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from matching import __version__
from matching.api import metrics as request_metrics
from matching.api.access import AccessLog
from matching.api.auth import build_jwt_auth
from matching.api.deps import Runtime, provide_ctx, provide_principal, provide_session
from matching.api.openapi import ProblemDocs
from matching.api.problems import EXCEPTION_HANDLERS, TRANSLATE
from matching.api.request_id import outermost as request_id_first
from matching.api.request_id import send_request_id
from matching.api.strict import strict_json_body
from matching.api.system import health, health_live, health_ready, ping
from matching.db.engine import create_engine, create_sessionmaker
from matching.lib.context import Context
from matching.matches.controllers import MatchRunController
from matching.matches.processes import shutdown_pool
from matching.network import passwords
from matching.network.controllers import (
    AgencyController,
    AuthController,
    OfficeController,
    StaffController,
)
from matching.network.fee_controllers import FeeScheduleController
from matching.notices.controllers import NoticeController
from matching.offers.controllers import OfferController, sms_reply, worker_offers
from matching.openings.controllers import (
    EmployerController,
    OpeningController,
    StandingController,
)
from matching.openings.import_controllers import OpeningImportController
from matching.placements.aftercare_controllers import (
    CaseController,
    FollowUpController,
    FollowUpListController,
    TaskController,
)
from matching.placements.controllers import PlacementController
from matching.privacy.controllers import audit_log, erase_worker, export_worker
from matching.profiles.controllers import (
    WorkerController,
    list_priority_groups,
    list_skills,
    put_priority_policy,
    read_priority_policy,
)
from matching.profiles.fair_controllers import FairRegistrationController
from matching.profiles.import_controllers import WorkerImportController
from matching.reports.controllers import (
    JobFairController,
    put_labour_force,
    summary,
    summary_xlsx,
)
from matching.reports.metrics import metrics
from matching.settings import Settings
from matching.training.controllers import (
    CourseController,
    EnrolmentController,
    TrainingSessionController,
    worker_training,
)
from matching.web import catalog, console, fair_page
from matching.web.app import session_middleware, web_router
from matching.web.worker import CheckinController, WorkerLinkController

log = logging.getLogger("laowu")


Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]

HEALTH = (health, health_live, health_ready)


def _runtime_lifespan(ctx: Context, pool_size: int) -> Lifespan:
    """The engine and what requests share, for the application's lifetime."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(ctx.settings.database_url, pool_size=pool_size)
        access = AccessLog(engine)
        app.state.runtime = Runtime(
            ctx=ctx, engine=engine, sessionmaker=create_sessionmaker(engine), access=access
        )
        unwatch = request_metrics.watch_pool(engine, pool_size)
        access.start()
        try:
            yield
        finally:
            shutdown_pool()
            await access.stop()  # what is still buffered is written before the engine goes
            await engine.dispose()
            unwatch()

    return lifespan


def _proxy_middleware(settings: Settings) -> list[DefineMiddleware]:
    """Believe X-Forwarded-For (and -Proto) only from LAOWU_TRUSTED_PROXIES: the client's
    address then is the last one in the chain that no trusted proxy added (uvicorn's rule)."""
    if not settings.trusted_proxies:
        return []
    trusted = list(settings.trusted_proxies)
    # uvicorn types its middleware with its own ASGI aliases; the calls are the same.
    return [DefineMiddleware(cast(Any, ProxyHeadersMiddleware), trusted_hosts=trusted)]


def create_probe_app(settings: Settings, *, lifespans: Sequence[Lifespan] = ()) -> Litestar:
    """Only the health routes, for a process that serves no API (``laowu scheduler
    --health-port``): its probes, on its own small pool."""
    ctx = Context.from_settings(settings)
    return Litestar(
        route_handlers=[Router(path="/api/v1", route_handlers=list(HEALTH))],
        lifespan=[_runtime_lifespan(ctx, 1), *lifespans],
        openapi_config=None,
        logging_config=None,  # as create_app's: Litestar's would replace the process's handler
    )


def create_app(settings: Settings | None = None, *, lifespans: Sequence[Lifespan] = ()) -> Litestar:
    """The application; ``lifespans`` run inside the app's own (after its engine is up), in the
    server's event loop: ``laowu serve`` passes the in-process scheduler this way, so that
    ``matching`` never imports ``workers``."""
    settings = settings or Settings.from_env()
    ctx = Context.from_settings(settings)
    passwords.configure(settings.argon2_time_cost, settings.argon2_memory_kib)
    jwt_auth = build_jwt_auth(ctx)
    lifespan = _runtime_lifespan(ctx, settings.db_pool_size)

    api = Router(
        path="/api/v1",
        before_request=strict_json_body,
        route_handlers=[
            *HEALTH,
            ping,
            list_skills,
            list_priority_groups,
            read_priority_policy,
            put_priority_policy,
            AuthController,
            AgencyController,
            OfficeController,
            StaffController,
            WorkerController,
            EmployerController,
            OpeningController,
            MatchRunController,
            worker_offers,
            OfferController,
            PlacementController,
            FollowUpController,
            FollowUpListController,
            TaskController,
            CaseController,
            StandingController,
            NoticeController,
            sms_reply,
            FeeScheduleController,
            CourseController,
            TrainingSessionController,
            EnrolmentController,
            worker_training,
            summary,
            summary_xlsx,
            put_labour_force,
            JobFairController,
            FairRegistrationController,
            export_worker,
            erase_worker,
            audit_log,
            # Spreadsheets may be larger than any JSON body: their own limit (nginx agrees).
            Router(
                path="/imports",
                route_handlers=[WorkerImportController, OpeningImportController],
                request_max_body_size=settings.import_max_bytes,
            ),
        ],
    )
    app = Litestar(
        route_handlers=[
            api,
            metrics,
            WorkerLinkController,
            CheckinController,
            fair_page.controller(settings),
            *web_router(settings),
        ],
        dependencies={
            "db_session": Provide(provide_session),
            "ctx": Provide(provide_ctx, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        exception_handlers={k: console.html_for_browsers(v) for k, v in EXCEPTION_HANDLERS.items()},
        on_app_init=[jwt_auth.on_app_init, request_metrics.first, request_id_first],
        plugins=[ProblemDocs()],
        middleware=[*_proxy_middleware(settings), session_middleware(settings)],
        lifespan=[lifespan, *lifespans],
        before_send=[send_request_id],
        request_max_body_size=settings.max_body_bytes,
        template_config=TemplateConfig(
            directory=Path(__file__).parent / "web" / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=catalog.configure,
        ),
        # Pages use a CSRF cookie and form token; the API uses bearer tokens and is exempt.
        csrf_config=CSRFConfig(
            secret=ctx.keys.link.hex(),
            cookie_httponly=True,
            cookie_secure=settings.public_url.startswith("https://"),
            exclude=[r"^/api/", r"^/schema"],
        ),
        openapi_config=OpenAPIConfig(
            title="Laowu (劳务通) API",
            version=__version__,
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        # The `laowu` command configures the process's logging (lib.logs: JSON or human, the
        # request id on each line); Litestar's own would add a second handler and format.
        logging_config=None,
    )
    app.state.jwt_auth = jwt_auth
    app.state[TRANSLATE] = console.reader_translate
    app.state.settings = settings
    return app
