"""Liveness, readiness and the scheduler's readiness, through HTTP and the real console script."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from matching.app import create_app
from matching.db.migrate import head_revisions
from matching.settings import Settings
from tests.integration.test_scheduler import eventually, processes, scheduler_env, spawn
from tests.support import Api

HEAD = sorted(head_revisions())


async def test_ready_when_the_database_is_at_head(api: Api) -> None:
    r = await api.request("GET", "/health/ready")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "head",
        "revision": HEAD,
        "head": HEAD,
    }  # no scheduler in this process: no "scheduler" field
    r = await api.request("GET", "/health/live")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


@contextlib.asynccontextmanager
async def recorded_revision(api: Api, revision: str) -> AsyncIterator[None]:
    """The database's alembic_version says ``revision`` (its schema stays at head) meanwhile."""

    async def record(value: str) -> None:
        async with api.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": value})

    await record(revision)
    try:
        yield
    finally:
        await record(HEAD[0])


async def test_not_ready_while_the_database_is_behind_this_code(api: Api) -> None:
    async with recorded_revision(api, "0008"):
        r = await api.request("GET", "/health/ready")
        assert r.status_code == 503
        body = r.json()
        assert (body["status"], body["database"], body["migrations"]) == (
            "not_ready",
            "ok",
            "behind",
        )
        assert body["revision"] == ["0008"] and body["head"] == HEAD
        # Liveness asks nothing of the migrations: the process is alive, only not ready.
        assert (await api.request("GET", "/health/live")).status_code == 200
    assert (await api.request("GET", "/health/ready")).status_code == 200


async def test_ready_on_a_database_a_newer_release_migrated(api: Api) -> None:
    """During a rolling upgrade the old processes serve on the migrated database."""
    async with recorded_revision(api, "9999"):
        r = await api.request("GET", "/health/ready")
        assert r.status_code == 200
        assert (r.json()["migrations"], r.json()["revision"]) == ("ahead", ["9999"])


async def test_an_unreachable_database_is_not_ready_but_alive(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    if db_url.startswith("postgresql"):
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/nowhere"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}"  # a folder: SQLite cannot open it
    app = create_app(Settings(database_url=url, secret_key=settings.secret_key))
    async with AsyncTestClient(app=app) as client:
        live = await client.get("/api/v1/health/live")
        assert (live.status_code, live.json()) == (200, {"status": "ok"})
        ready = await client.get("/api/v1/health/ready")
        assert ready.status_code == 503
        assert ready.json()["database"] == "unreachable"
        assert ready.json()["status"] == "not_ready"
        assert (await client.get("/api/v1/health")).status_code == 503


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _ready(port: int) -> dict[str, object] | None:
    try:
        async with httpx.AsyncClient() as http:
            r = await http.get(f"http://127.0.0.1:{port}/api/v1/health/ready", timeout=2)
    except httpx.TransportError:
        return None
    return dict(r.json()) if r.status_code == 200 else None


async def test_a_scheduler_process_reports_its_leadership(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    env = scheduler_env(db_url)
    first_port, second_port = _port(), _port()
    with processes() as started:
        spawn(
            started,
            env,
            "scheduler",
            "--health-port",
            str(first_port),
            log=tmp_path / "first.log",
        )
        first = await eventually(lambda: _ready(first_port), 30, "the scheduler's readiness")
        assert first["scheduler"] == "leading", first
        assert first["migrations"] == "head"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{first_port}") as http:
            live = await http.get("/api/v1/health/live", timeout=2)
            assert live.json() == {"status": "ok"}
            # Only the probes: the API is not served by a scheduler.
            assert (await http.get("/api/v1/workers", timeout=2)).status_code == 404
        second = spawn(
            started,
            env,
            "scheduler",
            "--health-port",
            str(second_port),
            log=tmp_path / "second.log",
        )
        if db_url.startswith("postgresql"):
            follower = await eventually(lambda: _ready(second_port), 30, "the second's readiness")
            assert follower["scheduler"] == "following", follower
            assert (await _ready(first_port) or {})["scheduler"] == "leading"
        else:  # one scheduler per SQLite file: the second refuses to start
            assert await asyncio.to_thread(second.wait, 30) == 1
            assert "another scheduler" in (tmp_path / "second.log").read_text()


@pytest.mark.parametrize("path", ["/health", "/health/live", "/health/ready"])
async def test_the_probes_are_in_the_openapi_document(api: Api, path: str) -> None:
    paths = (await api.client.get("/schema/openapi.json")).json()["paths"]
    assert "/api/v1" + path in paths
