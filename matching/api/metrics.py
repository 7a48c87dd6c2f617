"""What this process counts for Prometheus: requests by route template and status with their
latency, its database pool in use, and the login limit's failures and refusals
(``prometheus-client``).

With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts) the counts live in files
there, shared by every process of the host, and any of them answers for all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from time import perf_counter
from typing import Any

from litestar.config.app import AppConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

REQUESTS = Counter(
    "laowu_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "laowu_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Summed over the live processes of a host in multiprocess mode.
POOL_IN_USE = Gauge(
    "laowu_db_pool_connections_in_use",
    "Database connections checked out of the processes' pools",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "laowu_db_pool_size",
    "Connections the processes' pools keep (LAOWU_DB_POOL_SIZE each)",
    multiprocess_mode="livesum",
)
LOGIN_FAILURES = Counter(
    "laowu_login_failures_total", "Failed logins (a wrong username, password or current password)"
)
LOGIN_REFUSALS = Counter(
    "laowu_login_refusals_total", "Logins refused with 429 by the limit per username or address"
)


class RequestMetrics:
    """ASGI middleware: one count and one latency observation per answered request.

    Outermost (``first``), so a request the bearer-token check refuses counts too. Litestar
    runs it after routing, so ``path_template`` names the route
    (``/api/v1/workers/{worker_id}``), never the raw path. The labelled children are looked
    up once per (method, route, status): the hot read pays a dict lookup, an increment and an
    observation.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        status = 500  # what the server answers when the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            # Raised past this middleware (the bearer-token check runs outside the routes'
            # own exception handling): the app answers with the exception's status.
            status = getattr(exc, "status_code", 500)
            raise
        finally:
            key = (str(scope.get("method")), str(scope.get("path_template")), status)
            child = self._children.get(key)
            if child is None:
                child = (REQUESTS.labels(key[0], key[1], str(status)), LATENCY.labels(*key[:2]))
                self._children[key] = child
            child[0].inc()
            child[1].observe(perf_counter() - start)


def first(app_config: AppConfig) -> AppConfig:
    """An ``on_app_init`` hook, after the auth's (which puts its middleware first)."""
    app_config.middleware.insert(0, RequestMetrics)
    return app_config


def watch_pool(engine: AsyncEngine, size: int) -> Callable[[], None]:
    """Count ``engine``'s checked-out connections (the pool's own events); returns the undo."""

    def out(*_: Any) -> None:
        POOL_IN_USE.inc()

    def back(*_: Any) -> None:
        POOL_IN_USE.dec()

    sync = engine.sync_engine
    event.listen(sync, "checkout", out)
    event.listen(sync, "checkin", back)
    POOL_SIZE.inc(size)

    def stop() -> None:
        event.remove(sync, "checkout", out)
        event.remove(sync, "checkin", back)
        POOL_SIZE.dec(size)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            mark_process_dead(os.getpid())  # its live gauges leave the host's sums

    return stop


def exposition() -> bytes:
    """This process's metrics, or, in multiprocess mode, every process's of this host."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
