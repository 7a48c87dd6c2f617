"""Bearer tokens: signed, expiring JWTs carrying the account's role and scope."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, ClassVar

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from matching.db import models as m
from matching.lib.context import Context
from matching.lib.principal import Principal

# Routes opt out with ``opt={"exclude_from_auth": True}`` (PUBLIC); the schema by its path.
PUBLIC_PATHS = [r"^/schema"]
PUBLIC = {"exclude_from_auth": True}


ENDED = "this sign-in has ended; sign in again"
CHANGE_PASSWORD_PATH = "/api/v1/auth/password"  # noqa: S105 (a path)
MUST_CHANGE = "this password was reset: set a new one first (POST /api/v1/auth/password)"


class EpochCache:
    """The token epoch of every active account, as this process last read it.

    A token and a console session carry the epoch their account had when she signed in;
    deactivation, a role or scope change and a password change bump it, which ends them. The
    check must not cost a database round trip per request, so the epochs of all active
    accounts are read in ONE query at most once per ``ttl`` (1 s) per process, by the first
    request that finds them older; requests arriving meanwhile wait for that one read. A
    change elsewhere (another API process) is therefore seen within ``ttl``; this process's
    own changes invalidate the cache when their transaction commits (``invalidate``), so the
    next request reads again. Epochs only grow, so a sign-in newer than the map (an account
    created or changed since the read, elsewhere) is looked up alone, once per read; so is an
    account missing from the map (inactive or unknown: no live sign-in).
    """

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._epochs: dict[int, int] = {}
        self._looked_up: set[int] = set()
        self._read_at = -math.inf
        self._generation = 0
        self._reading: asyncio.Future[None] | None = None

    def fresh(self, account_id: int, epoch: int) -> bool | None:
        """Whether the sign-in is live, from memory; None when the database must be asked."""
        if time.monotonic() - self._read_at > self.ttl:
            return None
        current = self._epochs.get(account_id)
        if (current is None or current < epoch) and account_id not in self._looked_up:
            return None
        return current == epoch

    async def live(self, engine: AsyncEngine, account_id: int, epoch: int) -> bool:
        answer = self.fresh(account_id, epoch)
        if answer is not None:
            return answer
        if time.monotonic() - self._read_at > self.ttl:
            if self._reading is None or self._reading.done():
                self._reading = asyncio.ensure_future(self._read(engine))
            await asyncio.shield(self._reading)
        current = self._epochs.get(account_id)
        if (current is None or current < epoch) and account_id not in self._looked_up:
            current = await self._read_one(engine, account_id)
        return current == epoch

    async def _read(self, engine: AsyncEngine) -> None:
        started, generation = time.monotonic(), self._generation
        stmt = select(A.id, A.token_epoch).where(A.active)
        async with engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        self._epochs = {int(i): int(e) for i, e in rows}
        self._looked_up = set()
        if generation == self._generation:  # no change committed while this read ran
            self._read_at = started

    async def _read_one(self, engine: AsyncEngine, account_id: int) -> int | None:
        stmt = select(A.token_epoch).where(A.id == account_id, A.active)
        async with engine.connect() as conn:
            found = (await conn.execute(stmt)).scalar()
        if found is None:
            self._epochs.pop(account_id, None)
        else:
            self._epochs[account_id] = int(found)
        self._looked_up.add(account_id)
        return None if found is None else int(found)

    def invalidate(self) -> None:
        """This process committed an epoch change: the next request reads the map again."""
        self._generation += 1
        self._read_at = -math.inf


A = m.Account


def _epochs_of(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[AsyncEngine, EpochCache]:
    rt = connection.app.state.runtime
    return rt.engine, rt.epochs


async def _principal_from_token(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> Principal | None:
    x = token.extras
    try:
        principal = Principal(
            account_id=int(token.sub),
            username=str(x["username"]),
            role=x["role"],
            agency_id=x.get("agency_id"),
            office_id=x.get("office_id"),
            employer_id=x.get("employer_id"),
        )
        epoch = int(x["ep"])
    except (KeyError, ValueError, TypeError):
        return None
    engine, epochs = _epochs_of(connection)
    live = epochs.fresh(principal.account_id, epoch)  # the hot path: no await, no database
    if live is None:
        live = await epochs.live(engine, principal.account_id, epoch)
    if not live:
        raise NotAuthorizedException(ENDED)
    if x.get("chg") and connection.scope["path"] != CHANGE_PASSWORD_PATH:
        raise PermissionDeniedException(MUST_CHANGE)
    return principal


async def session_is_live(
    connection: ASGIConnection[Any, Any, Any, Any], account_id: int, epoch: Any
) -> bool:
    """The console's check of its session cookie: the same epochs as the bearer tokens."""
    if not isinstance(epoch, int):
        return False
    engine, epochs = _epochs_of(connection)
    live = epochs.fresh(account_id, epoch)
    return live if live is not None else await epochs.live(engine, account_id, epoch)


def invalidate_epochs(connection: ASGIConnection[Any, Any, Any, Any]) -> Callable[[], None]:
    """What to call once an epoch change has committed (see ``deps.after_commit``)."""
    return _epochs_of(connection)[1].invalidate


class CachedToken(Token):
    """A Token whose verified decodes are remembered until they expire.

    Verifying a JWT (HMAC, base64, JSON, claim checks) costs about as much CPU as a whole
    no-database request; a client sends the same token many times, so each is verified once
    per process. Only successful decodes are kept; a hit must have been verified with the same
    secret, algorithm and claim checks, and is checked against the real clock (as PyJWT checks
    ``exp``) on every use.
    """

    _cache: ClassVar[OrderedDict[str, tuple[tuple[Any, ...], Token, float]]] = OrderedDict()
    _cache_size: ClassVar[int] = 10_000

    @classmethod
    def decode(  # type: ignore[override]
        cls, encoded_token: str, secret: str, algorithm: str, *args: Any, **kwargs: Any
    ) -> Token:
        checks = (secret, algorithm, args, kwargs)
        hit = cls._cache.get(encoded_token)
        if hit is not None and hit[0] == checks and hit[2] > time.time():
            cls._cache.move_to_end(encoded_token)
            return hit[1]
        token = super().decode(encoded_token, secret, algorithm, *args, **kwargs)
        cls._cache[encoded_token] = (checks, token, token.exp.timestamp())
        if len(cls._cache) > cls._cache_size:
            cls._cache.popitem(last=False)
        return token


class BearerMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, reading the one header it needs straight from the scope.

    ``connection.headers`` parses every header of the request into a multi-dict; on a cheap
    read that was a tenth of the authentication's cost, and an API request needs no other.
    """

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        wanted = self.auth_header.lower().encode("latin-1")
        for name, value in connection.scope["headers"]:
            if name.lower() == wanted:  # ASGI servers lower-case names; be sure anyway
                if value:
                    token = value.decode("latin-1").partition(" ")[-1]
                    return await self.authenticate_token(encoded_token=token, connection=connection)
                break
        raise NotAuthorizedException("No JWT token found in request header")


def build_jwt_auth(ctx: Context) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        token_cls=CachedToken,
        authentication_middleware_class=BearerMiddleware,
        retrieve_user_handler=_principal_from_token,
        token_secret=ctx.keys.token.hex(),
        exclude=PUBLIC_PATHS,
        default_token_expiration=dt.timedelta(seconds=ctx.settings.token_ttl_seconds),
    )


def issue_token(
    auth: JWTAuth[Principal, Token],
    principal: Principal,
    epoch: int,
    *,
    must_change_password: bool = False,
) -> str:
    """A token for ``principal`` at her account's ``epoch``; one issued after an admin's reset
    opens only the password change."""
    extras: dict[str, Any] = {
        "username": principal.username,
        "role": principal.role,
        "agency_id": principal.agency_id,
        "office_id": principal.office_id,
        "employer_id": principal.employer_id,
        "ep": epoch,
    }
    if must_change_password:
        extras["chg"] = True
    return auth.create_token(identifier=str(principal.account_id), token_extras=extras)
