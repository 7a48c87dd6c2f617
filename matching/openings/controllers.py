"""Routes for employers and openings."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter

from matching.api.deps import DbSession, Who
from matching.lib.pagination import DEFAULT_LIMIT, MAX_LIMIT
from matching.openings import service
from matching.openings.schemas import (
    EmployerCreate,
    EmployerOut,
    EmployerPage,
    EmployerPatch,
    OpeningCreate,
    OpeningOut,
    OpeningPage,
    OpeningPatch,
)

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000)]
Term = Annotated[str | None, Parameter(max_length=100)]


class EmployerController(Controller):
    path = "/employers"
    tags = ["employers"]

    @post("/", summary="Register an employer (staff or admin; only admins set standing scores)")
    async def create(
        self, data: JSONBody[EmployerCreate], db_session: DbSession, principal: Who
    ) -> EmployerOut:
        return await service.create_employer(db_session, principal, data)

    @get("/")
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> EmployerPage:
        return await service.list_employers(db_session, principal, limit=limit, offset=offset)

    @get("/{employer_id:int}")
    async def read(
        self, employer_id: FromPath[int], db_session: DbSession, principal: Who
    ) -> EmployerOut:
        return await service.get_employer(db_session, principal, employer_id)

    @patch("/{employer_id:int}")
    async def change(
        self,
        employer_id: FromPath[int],
        data: JSONBody[EmployerPatch],
        db_session: DbSession,
        principal: Who,
    ) -> EmployerOut:
        return await service.update_employer(db_session, principal, employer_id, data)


class OpeningController(Controller):
    path = "/openings"
    tags = ["openings"]

    @post("/", summary="Post an opening (staff, admin, or the employer itself)")
    async def create(
        self, data: JSONBody[OpeningCreate], db_session: DbSession, principal: Who
    ) -> OpeningOut:
        return await service.post_opening(db_session, principal, data)

    @get("/", summary="The shared pool of openings")
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        city: Term = None,
        skill: Term = None,
        status: Term = None,
        employer_id: Annotated[int | None, Parameter(ge=1)] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> OpeningPage:
        flt = service.OpeningFilter(city, skill, status, employer_id)
        return await service.list_openings(db_session, principal, flt, limit=limit, offset=offset)

    @get("/{opening_id:int}")
    async def read(
        self, opening_id: FromPath[int], db_session: DbSession, principal: Who
    ) -> OpeningOut:
        return await service.get_opening(db_session, principal, opening_id)

    @patch("/{opening_id:int}")
    async def change(
        self,
        opening_id: FromPath[int],
        data: JSONBody[OpeningPatch],
        db_session: DbSession,
        principal: Who,
    ) -> OpeningOut:
        return await service.update_opening(db_session, principal, opening_id, data)
