"""Bearer tokens: signed, expiring JWTs carrying the account's role and scope."""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from typing import Any, ClassVar

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from matching.lib.context import Context
from matching.lib.principal import Principal

# Routes opt out with ``opt={"exclude_from_auth": True}`` (PUBLIC); the schema by its path.
PUBLIC_PATHS = [r"^/schema"]
PUBLIC = {"exclude_from_auth": True}


async def _principal_from_token(
    token: Token, _connection: ASGIConnection[Any, Any, Any, Any]
) -> Principal | None:
    x = token.extras
    try:
        return Principal(
            account_id=int(token.sub),
            username=str(x["username"]),
            role=x["role"],
            agency_id=x.get("agency_id"),
            office_id=x.get("office_id"),
            employer_id=x.get("employer_id"),
        )
    except (KeyError, ValueError, TypeError):
        return None


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


def issue_token(auth: JWTAuth[Principal, Token], principal: Principal) -> str:
    return auth.create_token(
        identifier=str(principal.account_id),
        token_extras={
            "username": principal.username,
            "role": principal.role,
            "agency_id": principal.agency_id,
            "office_id": principal.office_id,
            "employer_id": principal.employer_id,
        },
    )
