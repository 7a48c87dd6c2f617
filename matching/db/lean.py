"""Single-statement reads on the hottest routes, without a Connection or a Result per request.

A ``Connection.execute`` does, on every call, work whose answer never changes for one
statement: it looks the statement up in the compiled cache, builds an execution context,
resolves bind and result processors, begins and ends a (no-op) transaction and wraps the
cursor in a ``CursorResult``. On PostgreSQL that bookkeeping cost about as much CPU as
asyncpg spends on the query itself, and a read of one worker by id is the request agency
staff make most.

:class:`LeanSelect` keeps SQLAlchemy for everything that matters and does the constant part
once per dialect: the Core statement is compiled by the dialect, the bind names in order, the
bind processors and the result processors (TypeDecorators included) are resolved on first use
and kept. A call then checks a connection out of the engine's own pool, runs the compiled SQL
through the dialect's DBAPI adapter (asyncpg's prepared statements, the same type codecs, the
same error classes), and gives the connection back, all inside one greenlet switch. Errors come
out as SQLAlchemy's ``DBAPIError`` family, and a dropped connection is invalidated, as
``Connection`` would do. Rows come back as named tuples: reading a field of one is a tuple
index, where a ``Row``'s attribute lookup cost half a microsecond a field (a worker has 24).

Only plain SELECTs qualify: no ``IN`` lists (expanding parameters are rendered per call),
no literal-execute parameters; anything else is refused. The read runs outside any
transaction (AUTOCOMMIT on PostgreSQL, where a lone SELECT is its own snapshot). Given a
session that has begun a transaction, :meth:`LeanSelect.all` reads through that session
instead, so that a caller sees its own writes.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Select, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

Processor = Callable[[Any], Any]


@dataclass(slots=True)
class _Plan:
    """What a statement needs on one dialect, worked out once."""

    sql: str
    compiled: SQLCompiler
    names: tuple[str, ...]
    """Bind parameter names in the order the DBAPI wants them (positional dialects)."""
    binds: tuple[tuple[str, Processor | None], ...]
    autocommit: bool
    """Switch the checked-out connection to AUTOCOMMIT for the read (PostgreSQL)."""
    results: list[tuple[int, Processor]] | None = None
    """Result processors by column index, from the driver's column types on the first call
    (one compiled statement always answers with the same column types)."""


class LeanSelect:
    """A Core SELECT run many times with different parameters; see the module's text."""

    __slots__ = ("_plans", "row_type", "statement")

    def __init__(self, statement: Select[Any], name: str = "Record") -> None:
        self.statement = statement
        self.row_type: Any = namedtuple(name, list(statement.selected_columns.keys()))  # type: ignore[misc]
        """The named tuple every row comes back as (fields named as the selected columns)."""
        # Keyed weakly: an engine disposed of (a test's, a CLI command's) takes its plan along.
        self._plans: WeakKeyDictionary[Dialect, _Plan] = WeakKeyDictionary()

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect)
        if plan is not None:
            return plan
        compiled = self.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise exc.ArgumentError(
                "LeanSelect takes plain bound parameters only (no IN lists, no literal_execute)"
            )
        names = tuple(compiled.positiontup or ()) if dialect.positional else ()
        binds = tuple(
            (name, bind.type.dialect_impl(dialect).bind_processor(dialect))
            for name, bind in compiled.binds.items()
        )
        plan = _Plan(
            sql=compiled.string,
            compiled=compiled,
            names=names,
            binds=binds,
            autocommit=dialect.name == "postgresql",
        )
        self._plans[dialect] = plan
        return plan

    def _parameters(
        self, plan: _Plan, params: Mapping[str, Any]
    ) -> Sequence[Any] | Mapping[str, Any]:
        values = plan.compiled.construct_params(dict(params), escape_names=False)
        for name, proc in plan.binds:
            if proc is not None and name in values:
                values[name] = proc(values[name])
        if plan.names:
            return [values[name] for name in plan.names]
        return values

    def _processors(
        self, plan: _Plan, dialect: Dialect, description: Sequence[Sequence[Any]]
    ) -> list[tuple[int, Processor]]:
        if plan.results is None:
            found: list[tuple[int, Processor]] = []
            columns = self.statement.selected_columns
            for i, (column, d) in enumerate(zip(columns, description, strict=True)):
                proc = column.type.dialect_impl(dialect).result_processor(dialect, d[1])
                if proc is not None:
                    found.append((i, proc))
            plan.results = found
            return found
        return plan.results

    def _run(self, engine: Engine, params: Mapping[str, Any]) -> list[Any]:
        dialect = engine.dialect
        plan = self._plan(dialect)
        arguments = self._parameters(plan, params)
        fetched, description = _execute(engine, plan.sql, arguments, plan.autocommit)
        if not fetched:
            return []
        processors = self._processors(plan, dialect, description)
        make = self.row_type._make
        if not processors:
            return [make(r) for r in fetched]
        rows = []
        for raw in fetched:
            values = list(raw)
            for i, proc in processors:
                values[i] = proc(values[i])
            rows.append(make(values))
        return rows

    async def all(self, source: AsyncEngine | AsyncSession, params: Mapping[str, Any]) -> list[Any]:
        """Every row, as :attr:`row_type` named tuples.

        ``source`` is an engine, or a session: a session inside a transaction is read through
        (the statement joins its transaction and sees its writes); a session that has not begun
        one, bound to an engine, has nothing of its own to see, and the read takes the lean path
        on that engine without beginning anything.
        """
        if isinstance(source, AsyncSession):
            bind = source.bind
            if source.in_transaction() or not isinstance(bind, AsyncEngine):
                result = await source.execute(self.statement, dict(params))
                make = self.row_type._make
                return [make(r) for r in result]
            source = bind
        return await greenlet_spawn(self._run, source.sync_engine, params)


def _execute(engine: Engine, sql: str, arguments: Any, autocommit: bool) -> tuple[list[Any], Any]:
    """Run ``sql`` once on a connection of the engine's own pool through the dialect's DBAPI
    adapter (AUTOCOMMIT for the statement if asked): its rows and their description. Errors
    come out as SQLAlchemy's ``DBAPIError`` family (a unique violation as ``IntegrityError``),
    and a dropped connection is invalidated, as ``Connection`` would do."""
    dialect = engine.dialect
    connection = engine.raw_connection()  # the pool's checkout, with its events and reset
    cursor = None
    try:
        dbapi = connection.dbapi_connection
        assert dbapi is not None  # a connection just checked out is open
        if autocommit:
            dialect.set_isolation_level(dbapi, "AUTOCOMMIT")
        try:
            cursor = connection.cursor()
            cursor.execute(sql, arguments)
            fetched = cursor.fetchall() if cursor.description else []
            description = cursor.description
        finally:
            if autocommit and connection.is_valid:
                dialect.reset_isolation_level(dbapi)
    except dialect.loaded_dbapi.Error as error:
        gone = dialect.is_disconnect(error, connection.dbapi_connection, cursor)
        if gone:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            sql,
            arguments,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
        ) from error
    finally:
        if cursor is not None:
            cursor.close()
        connection.close()  # back to the pool
    return list(fetched), description


async def statement_alone(engine: AsyncEngine, sql: str, arguments: Sequence[Any]) -> list[Any]:
    """One statement in the driver's SQL, positional ``arguments`` already bound (processed),
    run on its own outside any transaction: on PostgreSQL a single statement is atomic, so a
    write that is ONE statement needs no BEGIN and COMMIT round trips. Only for an edge that
    has chosen this as its unit of work; its rows as the driver gives them."""
    autocommit = engine.dialect.name == "postgresql"
    rows, _ = await greenlet_spawn(_execute, engine.sync_engine, sql, arguments, autocommit)
    return rows
