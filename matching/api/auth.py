"""Bearer tokens: signed, expiring JWTs carrying the account's role and scope."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any, ClassVar

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from matching.lib.context import Context
from matching.network.principal import Principal

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
    per process. Only successful decodes are kept, and expiry is checked on every hit.
    """

    _cache: ClassVar[OrderedDict[tuple[Any, ...], Token]] = OrderedDict()
    _cache_size: ClassVar[int] = 10_000

    @classmethod
    def decode(  # type: ignore[override]
        cls, encoded_token: str, secret: str, algorithm: str, *args: Any, **kwargs: Any
    ) -> Token:
        key = (encoded_token, secret, algorithm, repr(args), repr(sorted(kwargs.items())))
        hit = cls._cache.get(key)
        if hit is not None and hit.exp > dt.datetime.now(dt.UTC):
            cls._cache.move_to_end(key)
            return hit
        token = super().decode(encoded_token, secret, algorithm, *args, **kwargs)
        cls._cache[key] = token
        if len(cls._cache) > cls._cache_size:
            cls._cache.popitem(last=False)
        return token


def build_jwt_auth(ctx: Context) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        token_cls=CachedToken,
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
