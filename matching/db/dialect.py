"""Where SQLite and PostgreSQL differ, one helper each with a path for both."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any

import msgspec
from sqlalchemy import JSON, BigInteger, ColumnElement, Table, any_, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

_SQLITE_BATCH = 5000  # rows per executemany, and ids per IN list (SQLite caps bound parameters)


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
    names = list(rows[0].keys())
    await bulk_insert_columns(session, model, {c: [row[c] for row in rows] for c in names})


async def bulk_insert_columns(
    session: AsyncSession,
    model: Any,
    columns: Mapping[str, Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> None:
    """``bulk_insert`` given by column: equal-length value lists, plus ``constants`` that
    every row shares. The rows are put together by ``zip`` rather than a dict per row, and a
    JSON column is encoded by msgspec (on PostgreSQL the values go to COPY as text)."""
    table: Table = model.__table__ if hasattr(model, "__table__") else model
    n = len(next(iter(columns.values()))) if columns else 0
    if n == 0:
        return
    fixed = dict(constants or {})
    names = [*columns, *fixed]
    values: list[Any] = [*columns.values(), *(repeat(v, n) for v in fixed.values())]
    if dialect_name(session) != "postgresql":
        rows = [dict(zip(names, record, strict=False)) for record in zip(*values, strict=True)]
        for start in range(0, n, _SQLITE_BATCH):
            await session.execute(table.insert(), rows[start : start + _SQLITE_BATCH])
        return
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    encode = msgspec.json.Encoder().encode
    values = [
        [encode(v).decode() for v in col] if name in json_columns else col
        for name, col in zip(names, values, strict=True)
    ]
    driver = await driver_connection(session)
    records = list(zip(*values, strict=True))
    await driver.copy_records_to_table(table.name, records=records, columns=names)


async def driver_connection(session: AsyncSession) -> Any:
    """The session's asyncpg connection, inside its transaction (PostgreSQL only)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    return driver


def among(session: AsyncSession, column: Any, ids: Sequence[int]) -> Iterator[ColumnElement[bool]]:
    """Conditions that together say ``column IN ids``: one ``= ANY(array)`` on PostgreSQL
    (one bound parameter, one statement), IN lists of at most 5000 on SQLite."""
    if dialect_name(session) == "postgresql":
        yield column == any_(literal([int(i) for i in ids], postgresql.ARRAY(BigInteger)))
        return
    yield from (column.in_(chunk) for chunk in chunks(list(ids)))


def chunks(ids: list[int], size: int = _SQLITE_BATCH) -> Any:
    """Split long id lists: SQLite caps bound parameters per statement."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
