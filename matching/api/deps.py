"""Per-request dependencies: the session (the request owns the transaction) and who asks."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from matching.lib.context import Context
from matching.lib.errors import Unauthorized
from matching.network.principal import Principal


@dataclass(slots=True)
class Runtime:
    """What the application holds for its lifetime (kept on ``app.state.runtime``)."""

    ctx: Context
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


def runtime(state: State) -> Runtime:
    rt: Runtime = state.runtime
    return rt


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session and one transaction per request: commit on success, roll back on any error."""
    async with runtime(state).sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def provide_ctx(state: State) -> Context:
    return runtime(state).ctx


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized("log in first: POST /api/v1/auth/token")
    return user


# Explicit markers for handler parameters (Litestar 3 drops inferred dependencies).
DbSession = NamedDependency[AsyncSession]
Ctx = NamedDependency[Context]
Who = NamedDependency[Principal]
