"""Where SQLite and PostgreSQL differ, one helper each with a path for both."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

# The scheduler's leader lock, pg_try_advisory_lock(int4, int4): pg_locks shows it as
# classid=SCHEDULER_LOCK_CLASS, objid=SCHEDULER_LOCK_OBJECT, objsubid=2. The migration lock
# (db/migrations/env.py) uses the one-bigint form, so the two never collide. Advisory locks
# are per database: two databases on a server each get a leader.
SCHEDULER_LOCK_CLASS = 741_800
SCHEDULER_LOCK_OBJECT = 2


def dialect_name(session: AsyncSession) -> str:
    bind = session.get_bind()
    return str(bind.dialect.name)


def insert_ignoring_conflicts(session: AsyncSession, table: Table | Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: makes a job that runs twice write once."""
    target = table.__table__ if hasattr(table, "__table__") else table
    if dialect_name(session) == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing()
    return sqlite.insert(target).on_conflict_do_nothing()


async def bulk_insert(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows inside the session's transaction: COPY on PostgreSQL (tens of times
    faster than INSERT for the hundred thousand rows of a large match run), batched
    executemany on SQLite."""
    if not rows:
        return
    table: Table = model.__table__ if hasattr(model, "__table__") else model
    if dialect_name(session) != "postgresql":
        for start in range(0, len(rows), 5000):
            await session.execute(table.insert(), list(rows[start : start + 5000]))
        return
    columns = list(rows[0].keys())
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    records = [
        tuple(
            json.dumps(row[c], ensure_ascii=False) if c in json_columns else row[c] for c in columns
        )
        for row in rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


def chunks(ids: list[int], size: int = 5000) -> Any:
    """Split long id lists: SQLite caps bound parameters per statement."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
