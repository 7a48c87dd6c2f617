"""One database fixture, chosen by URL: a SQLite file always, PostgreSQL when
LAOWU_TEST_DATABASE_URL is set. Migrated once per session; tables emptied after each test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient, transport
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from matching.app import create_app
from matching.db import migrate
from matching.db.base import metadata
from matching.db.engine import sqlite_pragmas
from matching.lib import clock
from matching.settings import Settings
from tests.support import Api


def _own_database(url: str | None) -> str | None:
    """Under pytest-xdist each worker tests against a PostgreSQL database of its own beside
    the one named (``test`` → ``test_gw0``), made when first used; the environment is changed
    too, so the tests that start real processes (and make databases beside it) follow."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base, _, name = url.rpartition("/")
    name, sep, query = name.partition("?")
    own = f"{base}/{name}_{worker}{sep}{query}"
    os.environ["LAOWU_TEST_DATABASE_URL"] = own
    return own


PG_URL = _own_database(os.environ.get("LAOWU_TEST_DATABASE_URL"))
TEST_SECRET = "test-secret-key-not-for-production-0123456789"


def _reset_postgres(url: str) -> None:
    """Start from an empty schema so the migrations are tested from scratch."""
    import asyncio

    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    server, _, database = dsn.partition("?")[0].rpartition("/")

    async def reset() -> None:
        admin = await asyncpg.connect(f"{server}/postgres")
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
                await admin.execute(f'CREATE DATABASE "{database}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()

    asyncio.run(reset())


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        if not PG_URL:
            if os.environ.get("LAOWU_REQUIRE_POSTGRES"):
                pytest.fail("LAOWU_REQUIRE_POSTGRES is set but LAOWU_TEST_DATABASE_URL is not")
            pytest.skip("LAOWU_TEST_DATABASE_URL is not set")
        _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'laowu.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=db_url,
        secret_key=TEST_SECRET,
        data_dir=Path(tmp_path_factory.mktemp("data")),
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        db_pool_size=5,
    )


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    app = create_app(settings)
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.fixture(scope="session")
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """The tests' own engine: checks the database independently of the app's pool (and loop)."""
    eng = create_async_engine(db_url, poolclass=NullPool)
    if eng.dialect.name == "sqlite":
        event.listen(eng.sync_engine, "connect", sqlite_pragmas)
    yield eng
    await eng.dispose()


async def _empty_tables(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
async def api(client: AsyncTestClient, engine: AsyncEngine) -> AsyncIterator[Api]:
    yield Api(client, engine)
    clock.reset()
    Api(client, engine).flush_access_log()  # a test's reads are not the next test's
    await _empty_tables(engine)
    # The accounts went behind the app's back (and their ids are used again): its cache of
    # their token epochs must not outlive them.
    client.app.state.runtime.epochs.invalidate()


@pytest.fixture
def client_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The client address the test client reports: set ``host[0]`` to move to another."""
    host = ["testclient"]
    original = transport.TestClientTransport.parse_request

    def parse(self: Any, request: Any) -> dict[str, Any]:
        scope = original(self, request)
        scope["client"] = (host[0], 50000)
        return scope

    monkeypatch.setattr(transport.TestClientTransport, "parse_request", parse)
    yield host


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()
