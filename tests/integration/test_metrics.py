"""GET /metrics, scraped as Prometheus would: who may read it, and that each figure moves with
what it counts (requests, logins, the outbox, match runs, jobs, the leader lock); across
processes in multiprocess mode. Through HTTP and the real console script."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from matching.app import create_app
from matching.db import models as m
from matching.lib import clock
from matching.settings import Settings
from tests.integration.test_matching import small_world
from tests.integration.test_scheduler import AlwaysLeader, eventually, processes, spawn
from tests.support import PASSWORD, Api, assert_problem
from workers import Scheduler
from workers.leader import PostgresLeadership

TOKEN = "metrics-token-for-tests"
WORKER_ROUTE = "/api/v1/workers/{worker_id}"


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(figures: dict[Any, float], name: str, **labels: str) -> float:
    return figures.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: AsyncTestClient) -> dict[Any, float]:
    r = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return parse(r.text)


@pytest.fixture
async def watched(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """The app with a metrics token and a login limit of 2."""
    app = create_app(dataclasses.replace(settings, metrics_token=TOKEN, login_max_failures=2))
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_only_this_host_or_the_bearer_may_read_it(
    api: Api, watched: AsyncTestClient, client_host: list[str]
) -> None:
    # Without a token configured: this host only.
    client_host[0] = "203.0.113.9"
    assert_problem(await api.client.get("/metrics"), 403)
    client_host[0] = "127.0.0.1"
    assert (await api.client.get("/metrics")).status_code == 200
    # nginx on this host: its requests come from 127.0.0.1 but carry the client's address.
    proxied = await api.client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert_problem(proxied, 403)
    assert_problem(await api.client.get("/metrics", headers={"X-Real-IP": "203.0.113.9"}), 403)
    # With one: the bearer, and nothing else, opens it from elsewhere.
    client_host[0] = "203.0.113.9"
    assert_problem(await watched.get("/metrics"), 401)
    wrong = await watched.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert_problem(wrong, 401)
    staff_token = await api.admin()  # a login's bearer is not the metrics token
    assert_problem(await watched.get("/metrics", headers=staff_token), 401)
    assert ("laowu_login_failures_total", frozenset()) in await scrape(watched)


async def test_requests_are_counted_by_route_template_and_status(
    api: Api, watched: AsyncTestClient
) -> None:
    staff = await api.staff((await api.agency())["id"])
    worker = await api.worker(staff)
    before = await scrape(watched)
    for _ in range(3):
        r = await watched.get(f"/api/v1/workers/{worker['id']}", headers=staff)
        assert r.status_code == 200
    assert (await watched.get("/api/v1/workers/999999", headers=staff)).status_code == 404
    assert (await watched.get(f"/api/v1/workers/{worker['id']}")).status_code == 401
    bad = await watched.post("/api/v1/workers", headers=staff, json={"name": ""})
    assert bad.status_code == 422
    after = await scrape(watched)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    get = {"method": "GET", "route": WORKER_ROUTE}
    assert delta("laowu_http_requests_total", **get, status="200") == 3
    assert delta("laowu_http_requests_total", **get, status="404") == 1
    assert delta("laowu_http_requests_total", **get, status="401") == 1  # refused by the auth
    post = {"method": "POST", "route": "/api/v1/workers", "status": "422"}
    assert delta("laowu_http_requests_total", **post) == 1
    assert delta("laowu_http_request_duration_seconds_count", **get) == 5
    assert delta("laowu_http_request_duration_seconds_sum", **get) > 0
    # never the raw path: one series per route, whatever the ids
    assert not any(f"/workers/{worker['id']}" in dict(k[1]).get("route", "") for k in after)


async def test_login_failures_and_refusals(
    api: Api, watched: AsyncTestClient, client_host: list[str]
) -> None:
    await api.admin()
    before = await scrape(watched)
    client_host[0] = "192.0.2.50"
    wrong = {"username": "root", "password": "wrong password"}
    for _ in range(2):
        assert (await watched.post("/api/v1/auth/token", json=wrong)).status_code == 401
    right = {"username": "root", "password": PASSWORD}
    assert (await watched.post("/api/v1/auth/token", json=right)).status_code == 429
    after = await scrape(watched)
    assert (
        value(after, "laowu_login_failures_total") - value(before, "laowu_login_failures_total")
        == 2
    )
    assert (
        value(after, "laowu_login_refusals_total") - value(before, "laowu_login_refusals_total")
        == 1
    )


async def test_the_outbox_runs_and_jobs_read_off_the_database(
    api: Api, watched: AsyncTestClient, settings: Settings
) -> None:
    quiet = await scrape(watched)
    assert value(quiet, "laowu_notices", status="pending") == 0
    assert value(quiet, "laowu_outbox_oldest_pending_age_seconds") == 0
    assert value(quiet, "laowu_match_runs", status="done") == 0
    await small_world(api)
    sched = Scheduler(settings, leadership=AlwaysLeader())
    sched.open()
    try:
        assert (await sched.run_job("run_matching") or {})["proposals"] == 3
    finally:
        await sched.stop()
    clock.travel(dt.timedelta(minutes=10))
    figures = await scrape(watched)
    async with api.engine.connect() as conn:
        pending = (
            await conn.execute(
                select(func.count()).select_from(m.Notice).where(m.Notice.status == "pending")
            )
        ).scalar_one()
        finished = (
            await conn.execute(select(m.JobRun.finished_at).where(m.JobRun.job == "run_matching"))
        ).scalar_one()
    assert pending == 3 and finished is not None
    assert value(figures, "laowu_notices", status="pending") == 3
    assert 600 <= value(figures, "laowu_outbox_oldest_pending_age_seconds") < 700
    assert value(figures, "laowu_match_runs", status="done") == 1
    assert value(figures, "laowu_match_run_last_phase_seconds", phase="solve_total") > 0
    assert value(
        figures, "laowu_job_last_success_timestamp_seconds", job="run_matching"
    ) == pytest.approx(finished.timestamp())
    assert value(figures, "laowu_follow_ups_due") == 0


async def test_the_pool_in_use_and_notice_retries(
    api: Api, watched: AsyncTestClient, settings: Settings
) -> None:
    in_use = "laowu_db_pool_connections_in_use"
    # Between requests every pool of this process is idle; the scrape's own session holds one
    # connection while it answers, and gives it back (the next scrape sees one, not two).
    for _ in range(3):
        figures = await scrape(watched)
        assert value(figures, in_use) == 1
        assert value(figures, "laowu_db_pool_size") >= settings.db_pool_size

    await small_world(api)
    sched = Scheduler(settings, leadership=AlwaysLeader())
    sched.open()
    try:
        await sched.run_job("run_matching")
    finally:
        await sched.stop()
    assert value(await scrape(watched), "laowu_notice_retries") == 0
    async with api.engine.begin() as conn:  # as two failed deliveries and a third would leave it
        await conn.execute(update(m.Notice).values(attempts=3))
    assert value(await scrape(watched), "laowu_notice_retries") == 3 * 2


async def test_the_leader_lock_is_watched_on_postgres(
    api: Api, watched: AsyncTestClient, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        assert ("laowu_scheduler_leaders", frozenset()) not in await scrape(watched)
        return  # SQLite's scheduler lock is a file, seen by no one else
    assert value(await scrape(watched), "laowu_scheduler_leaders") == 0
    leadership = PostgresLeadership(db_url, poll_seconds=60)
    await leadership.start(lambda: None)
    try:
        assert leadership.is_leader
        assert value(await scrape(watched), "laowu_scheduler_leaders") == 1
    finally:
        await leadership.stop()
    assert value(await scrape(watched), "laowu_scheduler_leaders") == 0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_processes_of_one_host_count_together(api: Api, db_url: str, tmp_path: Path) -> None:
    """Two `laowu serve` processes with one PROMETHEUS_MULTIPROC_DIR: either answers for both."""
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOWU_")} | {
        "LAOWU_DATABASE_URL": db_url,
        "LAOWU_SECRET_KEY": "s" * 48,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
    }
    ports = [_port(), _port()]
    with processes() as started:
        for i, port in enumerate(ports):
            argv = ("serve", "--port", str(port), "--no-scheduler")
            spawn(started, env, *argv, log=tmp_path / f"serve{i}.log")
        async with httpx.AsyncClient() as http:
            for port in ports:

                async def up(port: int = port) -> bool:
                    try:
                        r = await http.get(f"http://127.0.0.1:{port}/api/v1/ping", timeout=2)
                    except httpx.TransportError:
                        return False
                    return r.status_code == 200

                await eventually(up, 40, f"laowu serve on {port}")
            for port, n in zip(ports, (3, 4), strict=True):
                for _ in range(n):
                    await http.get(f"http://127.0.0.1:{port}/api/v1/ping", timeout=2)
            counts = []
            for port in ports:
                r = await http.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
                assert r.status_code == 200, r.text
                counts.append(
                    value(
                        parse(r.text),
                        "laowu_http_requests_total",
                        method="GET",
                        route="/api/v1/ping",
                        status="200",
                    )
                )
    # Each process answered its own "up" pings as well: at least one each, and 3 + 4 more.
    assert counts[0] == counts[1] >= 3 + 4 + 2
    assert len(list(shared.glob("counter_*.db"))) >= 2  # one file per process
