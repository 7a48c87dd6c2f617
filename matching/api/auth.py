"""Bearer tokens: signed, expiring JWTs carrying the account's role and scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

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


def build_jwt_auth(ctx: Context) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
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
