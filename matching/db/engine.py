"""Engine and session factory for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten content is zeroed in the file, so an erased worker's name, phone
    # and ID number do not linger in free space (the WAL is cleared by ``checkpoint_truncate``).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


async def checkpoint_truncate(engine: AsyncEngine) -> bool:
    """On SQLite, copy the WAL into the database file and truncate the WAL to nothing, so the
    old page images it holds are gone. True when it completed; False when a reader held it
    back (or not SQLite). A checkpoint cannot run inside a transaction: call it after the
    commit."""
    if engine.dialect.name != "sqlite":
        return False
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        row = (await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
    return row is not None and row[0] == 0


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        ensure_sqlite_folder(url)
        engine = create_async_engine(
            url, echo=echo, hide_parameters=True, connect_args={"timeout": 15}
        )
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        # Her name, phone or ID number can be a statement's parameter: never in an error's text.
        hide_parameters=True,
        # A fixed set of long-lived connections: with overflow, a busy server opened and closed
        # a connection (a new PostgreSQL backend, TLS negotiation) on many requests. Requests
        # beyond pool_size wait for a connection instead (one process needs few).
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
        pool_pre_ping=False,
        # asyncpg's statement cache makes repeated queries cheap; keep it on. But each of its
        # prepared statements is planned for its own values (a custom plan), never once for
        # any value (PostgreSQL's generic plan, which it adopts after five runs): a generic
        # plan is made from the statistics of that moment and kept, so a server that starts
        # on few rows keeps plans made for few rows as the tables grow (auto_explain showed
        # the registration's duplicate check by ID-number hash as a sequential scan of
        # worker_profiles, run on every registration as the table grew). Measured on the
        # registration benchmark (benchmarks/api.py, POST /workers, 32 connections):
        # PostgreSQL's CPU per registration fell from 1.1 to 0.65 ms, and 1,080 req/s rose to
        # 1,320-1,420. Planning every run has its cost: the M match run's write, many repeated
        # statements, became about 2.8 s slower with it (issue 15), still to be won back.
        connect_args={
            "server_settings": {
                "application_name": "laowu",
                "timezone": "UTC",
                "plan_cache_mode": "force_custom_plan",
            }
        },
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
