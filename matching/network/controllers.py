"""Routes for logging in, agencies, offices and staff accounts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody

from matching.api.auth import PUBLIC, issue_token
from matching.api.deps import Ctx, DbSession, Who
from matching.api.params import Limit, Offset, PathId
from matching.lib.pagination import DEFAULT_LIMIT
from matching.network import service
from matching.network.schemas import (
    AgencyCreate,
    AgencyOut,
    AgencyPage,
    OfficeCreate,
    OfficeOut,
    OfficePage,
    StaffCreate,
    StaffOut,
    StaffPage,
    TokenRequest,
    TokenResponse,
)


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/token", status_code=200, opt=PUBLIC, summary="Log in: a bearer token for the API")
    async def token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
        db_session: DbSession,
        ctx: Ctx,
    ) -> TokenResponse:
        principal = await service.authenticate(db_session, data.username, data.password)
        token = issue_token(request.app.state.jwt_auth, principal)
        return TokenResponse(
            access_token=token,
            token_type="bearer",  # noqa: S106
            expires_in=ctx.settings.token_ttl_seconds,
        )


class AgencyController(Controller):
    path = "/agencies"
    tags = ["network"]

    @post("/", summary="Register an agency (admin)")
    async def create(
        self, data: JSONBody[AgencyCreate], db_session: DbSession, principal: Who
    ) -> AgencyOut:
        return await service.create_agency(db_session, principal, data.name)

    @get("/", summary="Agencies (staff see their own)")
    async def list_(self, db_session: DbSession, principal: Who) -> AgencyPage:
        return await service.list_agencies(db_session, principal)

    @get("/{agency_id:int}")
    async def read(self, agency_id: PathId, db_session: DbSession, principal: Who) -> AgencyOut:
        return await service.get_agency(db_session, principal, agency_id)


class OfficeController(Controller):
    path = "/offices"
    tags = ["network"]

    @post("/", summary="Open an office in a destination city (admin)")
    async def create(
        self, data: JSONBody[OfficeCreate], db_session: DbSession, principal: Who
    ) -> OfficeOut:
        return await service.create_office(db_session, principal, data)

    @get("/")
    async def list_(self, db_session: DbSession, principal: Who) -> OfficePage:
        return await service.list_offices(db_session, principal)


class StaffController(Controller):
    path = "/staff"
    tags = ["network"]

    @post("/", summary="Create a login for staff, an employer or an admin (admin)")
    async def create(
        self, data: JSONBody[StaffCreate], db_session: DbSession, principal: Who
    ) -> StaffOut:
        return await service.create_account(db_session, principal, data)

    @get("/")
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> StaffPage:
        return await service.list_accounts(db_session, principal, limit=limit, offset=offset)
