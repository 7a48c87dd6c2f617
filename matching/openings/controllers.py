"""Routes for employers and openings."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.response import Stream

from matching.api.deps import Ctx, DbSession, Who
from matching.api.openapi import answers
from matching.api.params import Limit, Offset, PathId, Term
from matching.api.problems import REFUSED_FIELD
from matching.api.spreadsheets import CSV, CSV_TYPE, XLSX, XLSX_TYPE, send
from matching.lib.pagination import DEFAULT_LIMIT
from matching.lib.types import MAX_ID, Request
from matching.openings import exports, rules, service, standing
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
    async def read(self, employer_id: PathId, db_session: DbSession, principal: Who) -> EmployerOut:
        return await service.get_employer(db_session, principal, employer_id)

    @patch("/{employer_id:int}")
    async def change(
        self,
        employer_id: PathId,
        data: JSONBody[EmployerPatch],
        db_session: DbSession,
        principal: Who,
    ) -> EmployerOut:
        return await service.update_employer(db_session, principal, employer_id, data)


class OpeningController(Controller):
    path = "/openings"
    tags = ["openings"]
    opt = {REFUSED_FIELD: rules.refused_field}  # a gender is refused citing the law

    @post(
        "/",
        summary="Post an opening (staff, admin, or the employer itself)",
        opt=answers(404),  # no such employer
    )
    async def create(
        self, data: JSONBody[OpeningCreate], db_session: DbSession, principal: Who
    ) -> OpeningOut:
        return await service.post_opening(db_session, principal, data)

    @get("/", summary="The shared pool of openings", opt=answers(422))  # an unknown filter value
    async def list_(
        self,
        db_session: DbSession,
        principal: Who,
        city: Term = None,
        skill: Term = None,
        status: Term = None,
        employer_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> OpeningPage:
        flt = service.OpeningFilter(city, skill, status, employer_id)
        return await service.list_openings(db_session, principal, flt, limit=limit, offset=offset)

    EXPORT = "The shared pool of openings as a spreadsheet, with the list's filters"

    @get("/export.xlsx", media_type=XLSX_TYPE, summary=EXPORT, opt=answers(422))
    async def export_xlsx(
        self,
        db_session: DbSession,
        principal: Who,
        city: Term = None,
        skill: Term = None,
        status: Term = None,
        employer_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
    ) -> Stream:
        flt = service.OpeningFilter(city, skill, status, employer_id)
        return await send(
            "openings", XLSX, lambda p: exports.openings(db_session, principal, flt, p)
        )

    @get("/export.csv", media_type=CSV_TYPE, summary=EXPORT, opt=answers(422))
    async def export_csv(
        self,
        db_session: DbSession,
        principal: Who,
        city: Term = None,
        skill: Term = None,
        status: Term = None,
        employer_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
    ) -> Stream:
        flt = service.OpeningFilter(city, skill, status, employer_id)
        return await send(
            "openings", CSV, lambda p: exports.openings(db_session, principal, flt, p)
        )

    @get("/{opening_id:int}")
    async def read(self, opening_id: PathId, db_session: DbSession, principal: Who) -> OpeningOut:
        return await service.get_opening(db_session, principal, opening_id)

    @patch("/{opening_id:int}")
    async def change(
        self,
        opening_id: PathId,
        data: JSONBody[OpeningPatch],
        db_session: DbSession,
        principal: Who,
    ) -> OpeningOut:
        return await service.update_opening(db_session, principal, opening_id, data)


class PartnerRequest(Request):
    partner: bool


class SuspendRequest(Request):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class StandingController(Controller):
    path = "/employers/{employer_id:int}"
    tags = ["employers"]

    @get("/standing", summary="Reputation and labour protection, with every change and its cause")
    async def read(
        self, employer_id: PathId, db_session: DbSession, principal: Who
    ) -> standing.StandingHistory:
        return await standing.history(db_session, principal, employer_id)

    @post("/partner", status_code=200, summary="Mark or unmark a long-term partner (admin)")
    async def partner(
        self,
        employer_id: PathId,
        data: JSONBody[PartnerRequest],
        db_session: DbSession,
        principal: Who,
    ) -> standing.StandingHistory:
        return await standing.set_partner(db_session, principal, employer_id, data.partner)

    @post("/suspend", status_code=200, summary="Suspend: openings leave matching, offers withdrawn")
    async def suspend(
        self,
        employer_id: PathId,
        data: JSONBody[SuspendRequest],
        db_session: DbSession,
        ctx: Ctx,
        principal: Who,
    ) -> standing.StandingHistory:
        return await standing.suspend(db_session, ctx, principal, employer_id, data.reason)

    @post("/reinstate", status_code=200, summary="Lift a suspension (admin)")
    async def reinstate(
        self, employer_id: PathId, db_session: DbSession, principal: Who
    ) -> standing.StandingHistory:
        return await standing.reinstate(db_session, principal, employer_id)
