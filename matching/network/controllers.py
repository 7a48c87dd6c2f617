"""Routes for logging in, agencies, offices and staff accounts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody

from matching.api.auth import PUBLIC, invalidate_epochs, issue_token
from matching.api.deps import Ctx, DbSession, Who, after_commit
from matching.api.openapi import answers
from matching.api.params import Limit, Offset, PathId
from matching.api.problems import problem, translate_for
from matching.lib.pagination import DEFAULT_LIMIT
from matching.network import service, signin
from matching.network.schemas import (
    AgencyCreate,
    AgencyOut,
    AgencyPage,
    OfficeCreate,
    OfficeOut,
    OfficePage,
    PasswordChange,
    PasswordReset,
    StaffCreate,
    StaffOut,
    StaffPage,
    StaffUpdate,
    TokenRequest,
    TokenResponse,
)
from matching.network.service import TooManyAttempts

AnyRequest = Request[Any, Any, Any]


def too_many(request: AnyRequest, exc: TooManyAttempts) -> Response[Any]:
    """429 problem details with ``Retry-After`` (seconds)."""
    response = problem(
        request, 429, exc.title, exc.rendered(translate_for(request)), extra=exc.extra
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def token_for(request: AnyRequest, ctx: Any, login: service.Login) -> TokenResponse:
    token = issue_token(
        request.app.state.jwt_auth,
        login.principal,
        login.epoch,
        must_change_password=login.must_change_password,
    )
    return TokenResponse(
        access_token=token,
        token_type="bearer",  # noqa: S106
        expires_in=ctx.settings.token_ttl_seconds,
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]
    exception_handlers = {TooManyAttempts: too_many}

    @post(
        "/token",
        status_code=200,
        opt=PUBLIC | answers(401, 429),
        summary="Log in: a bearer token for the API",
    )
    async def token(
        self,
        request: AnyRequest,
        data: JSONBody[TokenRequest],
        db_session: DbSession,
        ctx: Ctx,
    ) -> TokenResponse:
        login = await signin.sign_in(request, db_session, data.username, data.password)
        return token_for(request, ctx, login)

    @post(
        "/password",
        status_code=200,
        opt=answers(429),  # a wrong current password counts as a failed login
        summary="Change the signed-in account's password: ends her other sign-ins, "
        "answers a fresh token",
    )
    async def password(
        self,
        request: AnyRequest,
        data: JSONBody[PasswordChange],
        db_session: DbSession,
        ctx: Ctx,
        principal: Who,
    ) -> TokenResponse:
        login = await signin.change_password(
            request, db_session, principal, data.current_password, data.new_password
        )
        after_commit(db_session, invalidate_epochs(request))
        return token_for(request, ctx, login)


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

    @patch(
        "/{account_id:int}",
        summary="Change an account's activity, role or scope (admin): ends its sign-ins",
    )
    async def update(
        self,
        request: AnyRequest,
        account_id: PathId,
        data: JSONBody[StaffUpdate],
        db_session: DbSession,
        principal: Who,
    ) -> StaffOut:
        out = await service.update_account(db_session, principal, account_id, data)
        after_commit(db_session, invalidate_epochs(request))
        return out

    @post(
        "/{account_id:int}/reset-password",
        status_code=200,
        summary="Reset an account's password (admin): a one-time password, shown once",
    )
    async def reset_password(
        self, request: AnyRequest, account_id: PathId, db_session: DbSession, principal: Who
    ) -> PasswordReset:
        out = await service.reset_password(db_session, principal, account_id)
        after_commit(db_session, invalidate_epochs(request))
        return out
