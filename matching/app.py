"""create_app(): the Litestar application (API and, later, the web pages) with its plugins."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from matching import __version__
from matching.api.auth import build_jwt_auth
from matching.api.deps import Runtime, provide_ctx, provide_principal, provide_session
from matching.api.problems import EXCEPTION_HANDLERS
from matching.api.system import health, ping
from matching.db.engine import create_engine, create_sessionmaker
from matching.lib.context import Context
from matching.matches.controllers import MatchRunController, worker_offers
from matching.matches.runner import shutdown_pool
from matching.network import passwords
from matching.network.controllers import (
    AgencyController,
    AuthController,
    OfficeController,
    StaffController,
)
from matching.openings.controllers import EmployerController, OpeningController
from matching.profiles.controllers import WorkerController, list_priority_groups, list_skills
from matching.settings import Settings

log = logging.getLogger("laowu")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    ctx = Context.from_settings(settings)
    passwords.configure(settings.argon2_time_cost, settings.argon2_memory_kib)
    jwt_auth = build_jwt_auth(ctx)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        app.state.runtime = Runtime(
            ctx=ctx, engine=engine, sessionmaker=create_sessionmaker(engine)
        )
        try:
            yield
        finally:
            shutdown_pool()
            await engine.dispose()

    api = Router(
        path="/api/v1",
        route_handlers=[
            health,
            ping,
            list_skills,
            list_priority_groups,
            AuthController,
            AgencyController,
            OfficeController,
            StaffController,
            WorkerController,
            EmployerController,
            OpeningController,
            MatchRunController,
            worker_offers,
        ],
    )
    app = Litestar(
        route_handlers=[api],
        dependencies={
            "db_session": Provide(provide_session),
            "ctx": Provide(provide_ctx, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        on_app_init=[jwt_auth.on_app_init],
        lifespan=[lifespan],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Laowu (劳务通) API",
            version=__version__,
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            log_exceptions="debug",
            disable_stack_trace={400, 401, 403, 404, 409, 413, 422},
        ),
    )
    app.state.jwt_auth = jwt_auth
    app.state.settings = settings
    return app
