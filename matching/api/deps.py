"""Per-request dependencies: the session (the request owns the transaction) and who asks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from matching.api.access import AccessLog
from matching.api.auth import EpochCache
from matching.lib.context import Context
from matching.lib.errors import Unauthorized, msg
from matching.lib.principal import Principal

# Explicit markers for handler parameters (Litestar 3 drops inferred dependencies).
AnyRequest = Request[Any, Any, Any]
DbSession = NamedDependency[AsyncSession]
Ctx = NamedDependency[Context]
Who = NamedDependency[Principal]


@dataclass(slots=True)
class Runtime:
    """What the application holds for its lifetime (kept on ``app.state.runtime``)."""

    ctx: Context
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # Reads of a worker's personal data, buffered until the next flush (matching.api.access).
    access: AccessLog
    # Every account's token epoch as this process last read it (see matching.api.auth).
    epochs: EpochCache = field(default_factory=EpochCache)


def runtime(state: State) -> Runtime:
    rt: Runtime = state.runtime
    return rt


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the request's transaction has committed (not if it rolls back)."""
    event.listen(session.sync_session, "after_commit", lambda _s: callback(), once=True)


def _untouched(session: AsyncSession) -> bool:
    """Nothing begun, loaded, added or deleted: committing or closing would do nothing."""
    return not (session.in_transaction() or session.identity_map or session.new or session.deleted)


@asynccontextmanager
async def transaction(state: State) -> AsyncIterator[AsyncSession]:
    """A session whose one transaction commits when the block ends (rolls back on any error),
    for the rare handler that must act after its commit: an erasure clears the SQLite WAL,
    which cannot be done inside a transaction. Every other handler uses ``db_session``."""
    async with runtime(state).sessionmaker() as session, session.begin():
        yield session


@asynccontextmanager
async def unit_of_work(
    request: AnyRequest, *, one_statement: bool
) -> AsyncIterator[AsyncSession | AsyncEngine]:
    """What a handler's write runs on, chosen at the edge: the engine itself when the write is
    ONE statement on PostgreSQL (atomic on its own, so no session, no BEGIN and no COMMIT
    round trips), else a session whose one transaction commits when the block ends and rolls
    back on any error. For a handler that takes only ``request`` (no dependencies resolved)."""
    rt = runtime(request.app.state)
    if one_statement and rt.engine.dialect.name == "postgresql":
        yield rt.engine
        return
    async with rt.sessionmaker() as session, session.begin():
        yield session


def context_of(request: AnyRequest) -> Context:
    return runtime(request.app.state).ctx


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session and one transaction per request: commit on success, roll back on any error.

    A request that never used its session (a read that ran one autocommit statement, or a
    refusal before any query) skips the commit and close round of greenlet switches.
    """
    session = runtime(state).sessionmaker()
    try:
        try:
            yield session
        except BaseException:
            if not _untouched(session):
                await session.rollback()
            raise
        else:
            if not _untouched(session):
                await session.commit()
    finally:
        if not _untouched(session):
            await asyncio.shield(session.close())


# The three dependencies form one chain, db_session -> ctx -> principal, by design: Litestar
# resolves the dependencies of one level of the graph concurrently in an anyio task group,
# which cost a read about a tenth of its CPU; a chain has one dependency per level, and each is
# awaited directly. Every handler that asks for ``ctx`` or ``principal`` also holds a session,
# so the chain resolves nothing a handler did not already ask for, except ``ctx`` (a lookup)
# on the way to ``principal``. Neither parameter below is used.


def provide_ctx(state: State, db_session: DbSession) -> Context:
    return runtime(state).ctx


def principal_of(request: AnyRequest) -> Principal:
    """Who asks: the principal the bearer-token middleware put on the request."""
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized(msg("log in first: POST /api/v1/auth/token"))
    return user


def provide_principal(request: AnyRequest, ctx: Ctx) -> Principal:
    return principal_of(request)


def reader(request: AnyRequest) -> tuple[AsyncEngine, Principal]:
    """The engine and the caller for a handler that only reads, taken from the request itself.

    Resolving the session, context and principal dependencies (each call validated against
    its signature, the session's generator driven to its end) cost the most frequent read a
    sixth of its CPU. A handler that takes only ``request`` and calls this resolves none, and
    reads through the engine (see ``matching.db.lean``): no session, no transaction.
    """
    return runtime(request.app.state).engine, principal_of(request)
