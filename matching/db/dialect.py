"""Where SQLite and PostgreSQL differ, one helper each with a path for both."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any

import asyncpg
import msgspec
import numpy as np
from numpy.typing import NDArray
from sqlalchemy import JSON, BigInteger, ColumnElement, Select, Table, any_, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

# The scheduler's leader lock, pg_try_advisory_lock(int4, int4): pg_locks shows it as
# classid=SCHEDULER_LOCK_CLASS, objid=SCHEDULER_LOCK_OBJECT, objsubid=2. The migration lock
# (db/migrations/env.py) uses the one-bigint form, so the two never collide. Advisory locks
# are per database: two databases on a server each get a leader.
SCHEDULER_LOCK_CLASS = 741_800
SCHEDULER_LOCK_OBJECT = 2
# Queuing a match run, pg_advisory_xact_lock(int4, int4): held to the end of the request's
# transaction, so two requests never both see no overlapping live run (matches.repository).
RUN_LOCK_CLASS = SCHEDULER_LOCK_CLASS
RUN_LOCK_OBJECT = 3
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
    try:
        await driver.copy_records_to_table(table.name, records=records, columns=names)
    except asyncpg.IntegrityConstraintViolationError as exc:
        # COPY runs on the driver itself, so its violation (a row written meanwhile by
        # another transaction) is made what an INSERT's is through SQLAlchemy.
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc


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


def chunks(ids: list[Any], size: int = _SQLITE_BATCH) -> Any:
    """Split long id (or value) lists: SQLite caps bound parameters per statement."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _compiled(connection: Any, stmt: Select[Any]) -> tuple[str, list[Any]]:
    """The statement's PostgreSQL text and its positional parameters, each bound as its
    column type binds it (a TypeDecorator's processing included)."""
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params(escape_names=False)
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and name in params:
            params[name] = process(params[name])
    return compiled.string, [params[n] for n in compiled.positiontup or ()]


_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_FIXED = frozenset(np.dtype(t) for t in (np.bool_, np.int16, np.int32, np.int64))
"""What PostgreSQL's boolean, smallint, integer and bigint are in binary COPY."""


async def copy_arrays(
    session: AsyncSession, stmt: Select[Any], dtypes: Sequence[Any]
) -> list[NDArray[Any]]:
    """A SELECT of fixed-width columns that are never NULL (boolean, smallint, integer,
    bigint: ``dtypes`` says which, in order) as one NumPy array per column, PostgreSQL only.

    It runs as ``COPY (…) TO STDOUT (FORMAT binary)`` on the session's asyncpg connection,
    inside its transaction; every row of such a result has the same length, so the whole
    answer is read by one structured ``np.frombuffer``: no Python object per value. A NULL
    or a column of another width is refused (ValueError), never misread."""
    kinds = [np.dtype(d) for d in dtypes]
    if len(kinds) != len(stmt.selected_columns) or not _FIXED.issuperset(kinds):
        raise ValueError("one dtype per selected column: bool, int16, int32 or int64")
    connection = await session.connection()
    sql, args = _compiled(connection, stmt)
    driver = await driver_connection(session)
    parts: list[bytes] = []

    async def sink(chunk: bytes) -> None:
        parts.append(chunk)

    await driver.copy_from_query(sql, *args, output=sink, format="binary")
    data = b"".join(parts)
    if not data.startswith(_BINARY_SIGNATURE):
        raise ValueError("not a binary COPY stream")
    start = len(_BINARY_SIGNATURE) + 4  # the flags
    start += 4 + int.from_bytes(data[start : start + 4], "big")  # the header extension
    row = [("fields", ">i2")]
    for i, kind in enumerate(kinds):
        row += [
            (f"len{i}", ">i4"),
            (f"v{i}", kind.newbyteorder(">") if kind.itemsize > 1 else kind),
        ]
    layout = np.dtype(row)
    body = len(data) - start - 2  # the trailer: a field count of -1
    if body % layout.itemsize or data[-2:] != b"\xff\xff":
        raise ValueError("a binary COPY row of unexpected length (a NULL or another type?)")
    records = np.frombuffer(data, dtype=layout, count=body // layout.itemsize, offset=start)
    if (records["fields"] != len(kinds)).any() or any(
        (records[f"len{i}"] != kind.itemsize).any() for i, kind in enumerate(kinds)
    ):
        raise ValueError("a binary COPY row of unexpected length (a NULL or another type?)")
    return [records[f"v{i}"].astype(kind) for i, kind in enumerate(kinds)]


async def select_columns(session: AsyncSession, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """A SELECT's result by column (one tuple per selected column), in the session's
    transaction: what turns into NumPy arrays with no object per row on the way.

    On PostgreSQL the compiled statement runs on the session's asyncpg connection itself and
    its records are cut into columns, each column's result processor (a TypeDecorator's
    included) applied over the column: no ``Row`` and no per-row processing. On SQLite,
    through the session."""
    width = len(stmt.selected_columns)
    if dialect_name(session) != "postgresql":
        rows = (await session.execute(stmt)).all()
        return [tuple(c) for c in zip(*rows, strict=True)] if rows else [()] * width
    connection = await session.connection()
    dialect = connection.dialect
    sql, args = _compiled(connection, stmt)
    driver = await driver_connection(session)
    records = await driver.fetch(sql, *args)
    if not records:
        return [()] * width
    out: list[tuple[Any, ...]] = []
    for column, values in zip(stmt.selected_columns, zip(*records, strict=True), strict=True):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        out.append(values if process is None else tuple(map(process, values)))
    return out
