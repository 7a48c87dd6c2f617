"""The login's edge: counting failures where the request's own rollback cannot undo them.

A refused login (or a password change with the wrong current password) rolls the request's
transaction back, as every refused request does; its failure is counted in a short
transaction of its own, committed before the refusal is answered, so that every API process
(they share the ``login_attempts`` table) sees it. Each failure is counted against the
username and the client's address (``request.client.host``: behind a proxy, the address the
proxy passed in X-Forwarded-For, believed only from ``LAOWU_TRUSTED_PROXIES``; see
``matching.app``).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from matching.api.deps import Runtime, runtime
from matching.api.metrics import LOGIN_FAILURES, LOGIN_REFUSALS
from matching.lib.errors import Invalid, Unauthorized
from matching.lib.principal import Principal
from matching.network import service


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def _count_failure(rt: Runtime, keys: list[str]) -> None:
    async with rt.sessionmaker() as session, session.begin():
        await service.count_login_failure(session, keys, rt.ctx.settings.login_window_seconds)
    LOGIN_FAILURES.inc()


async def _check_allowed(rt: Runtime, session: AsyncSession, keys: list[str]) -> None:
    settings = rt.ctx.settings
    try:
        await service.check_login_allowed(
            session, keys, settings.login_max_failures, settings.login_window_seconds
        )
    except service.TooManyAttempts:
        LOGIN_REFUSALS.inc()
        raise


async def sign_in(
    request: Request[Any, Any, Any], session: AsyncSession, username: str, password: str
) -> service.Login:
    """Log in through the limit: TooManyAttempts while the username or the address has too many
    failures in the window (even for the right password); a success resets the username's."""
    rt = runtime(request.app.state)
    keys = service.login_keys(username, client_address(request))
    await _check_allowed(rt, session, keys)
    try:
        login = await service.authenticate(session, username, password)
    except Unauthorized:
        await _count_failure(rt, keys)
        raise
    await service.clear_login_failures(session, username)
    return login


async def change_password(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    who: Principal,
    current: str,
    new: str,
) -> service.Login:
    """The password change: its current password is a login, limited and counted alike."""
    rt = runtime(request.app.state)
    keys = service.login_keys(who.username, client_address(request))
    await _check_allowed(rt, session, keys)
    try:
        return await service.change_password(session, who, current, new)
    except Invalid as exc:
        if any(e["field"] == "current_password" for e in exc.errors):
            await _count_failure(rt, keys)
        raise
