"""The console's routes as Litestar routers: the pages (behind the login session) and the
vendored static assets. ``matching.app.create_app`` mounts what ``web_router`` returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from matching.api.auth import PUBLIC
from matching.settings import Settings
from matching.web import (
    accounts,
    admin,
    aftercare,
    console,
    editing,
    employer,
    employers,
    exports,
    fairs,
    fees,
    imports,
    outbox,
    printing,
    reports,
    staff,
    training,
    withdrawal,
)

STATIC = Path(__file__).parent / "static"


def session_middleware(settings: Settings) -> Any:
    """App-level (a router's middleware is deep-copied, and the cipher cannot be), but only
    the console's paths: the API, the worker's link pages and static files skip it."""
    config = console.session_config(settings)
    config.exclude = [r"^/api/", r"^/schema", r"^/static/", r"^/o/", r"^/c/", r"^/f/"]
    return config.middleware


def web_router(settings: Settings) -> list[Any]:
    """The pages opt out of bearer-token auth (PUBLIC) and use the session cookie instead."""
    pages = Router(
        path="/",
        opt=PUBLIC,
        include_in_schema=False,
        dependencies={"me": Provide(console.provide_me)},
        exception_handlers=console.EXCEPTION_HANDLERS,
        route_handlers=[
            console.index,
            console.login_form,
            console.login,
            console.logout,
            console.password_form,
            console.password_change,
            console.switch_language,
            *staff.ROUTES,
            *aftercare.ROUTES,
            *training.ROUTES,
            *editing.ROUTES,
            *outbox.ROUTES,
            *employer.ROUTES,
            *admin.ROUTES,
            *employers.ROUTES,
            *accounts.ROUTES,
            *withdrawal.ROUTES,
            *reports.ROUTES,
            *exports.ROUTES,
            *fairs.ROUTES,
            *fees.ROUTES,
            *printing.ROUTES,
        ],
    )
    # The import page takes a spreadsheet: the imports' own body limit, as the API's routes.
    uploads = Router(
        path="/",
        opt=PUBLIC,
        include_in_schema=False,
        dependencies={"me": Provide(console.provide_me)},
        exception_handlers=console.EXCEPTION_HANDLERS,
        route_handlers=imports.ROUTES,
        request_max_body_size=settings.import_max_bytes,
    )
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        opt=PUBLIC,
        include_in_schema=False,
        # vendored files change only with a release; a day's cache spares poor connections
        cache_control=CacheControlHeader(max_age=86400),
    )
    return [pages, uploads, static]
