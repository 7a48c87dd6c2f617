"""Alembic, driven from code: `laowu migrate`, `laowu serve` and the test suite call this."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate to ``revision``; call from synchronous code (no running event loop)."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Migrate from async code: Alembic's env runs its own loop, so give it a thread."""
    await asyncio.to_thread(upgrade, url, revision)


@functools.cache
def head_revisions() -> frozenset[str]:
    """The revisions this code migrates to (read from the scripts once per process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision this code has a script for."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(s.revision for s in scripts.walk_revisions())


def position(revisions: frozenset[str]) -> str:
    """Where a database at ``revisions`` stands to this code: ``head``; ``behind`` (this code
    needs migrations not yet run, or the database is not migrated at all); ``ahead`` (a newer
    release migrated it: during a rolling upgrade the old processes still serve on it)."""
    if revisions == head_revisions():
        return "head"
    if revisions and not revisions <= known_revisions():
        return "ahead"
    return "behind"


async def current_revisions(conn: AsyncConnection) -> frozenset[str]:
    """The revisions the database is at (its ``alembic_version`` rows; empty when unmigrated).

    Read directly rather than through Alembic's MigrationContext, which logs a line each
    time: readiness probes ask every few seconds."""

    def read(sync: Connection) -> frozenset[str]:
        if not inspect(sync).has_table(VERSION_TABLE):
            return frozenset()
        rows = sync.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))  # noqa: S608
        return frozenset(rows.scalars())

    return await conn.run_sync(read)
