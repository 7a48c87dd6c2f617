"""Routes of a job fair's self-registration queue (``/job-fairs/{id}/registrations``) and
its QR code: the fair's agency's staff and admins handle it (``fair_registrations``)."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Response, get, post
from litestar.params import FromQuery, JSONBody

from matching.api.deps import Ctx, DbSession, Who
from matching.api.openapi import answers
from matching.api.params import Limit, Offset, PathId
from matching.lib.pagination import DEFAULT_LIMIT
from matching.profiles import fair_registrations as registrations
from matching.reports.schemas import Registration, RegistrationConfirm, RegistrationPage


class FairRegistrationController(Controller):
    path = "/job-fairs"
    tags = ["reports"]

    @get(
        "/{fair_id:int}/registrations",
        summary="The fair's self-registration queue (its agency's staff; admins)",
    )
    async def registrations(
        self,
        fair_id: PathId,
        db_session: DbSession,
        principal: Who,
        status: FromQuery[
            Literal["queued", "confirmed", "duplicate", "rejected", "expired"] | None
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> RegistrationPage:
        return await registrations.queue(
            db_session, principal, fair_id, status=status, limit=limit, offset=offset
        )

    @post(
        "/{fair_id:int}/registrations/{reg_id:int}/confirm",
        status_code=200,
        summary="Confirm a queued entry into the register (or find her a duplicate)",
        opt=answers(409, 422),
    )
    async def confirm(
        self,
        fair_id: PathId,
        reg_id: PathId,
        db_session: DbSession,
        ctx: Ctx,
        principal: Who,
        data: JSONBody[RegistrationConfirm | None] = None,
    ) -> Registration:
        return await registrations.confirm(
            db_session, ctx, principal, fair_id, reg_id, data or RegistrationConfirm()
        )

    @post(
        "/{fair_id:int}/registrations/{reg_id:int}/reject",
        status_code=200,
        summary="Reject a queued entry: nothing is registered, her fields are blanked",
        opt=answers(409),
    )
    async def reject(
        self, fair_id: PathId, reg_id: PathId, db_session: DbSession, principal: Who
    ) -> Registration:
        return await registrations.reject(db_session, principal, fair_id, reg_id)

    @get(
        "/{fair_id:int}/qr.svg",
        summary="The QR code of the fair's self-registration page (SVG)",
        media_type="image/svg+xml",
    )
    async def qr(
        self, fair_id: PathId, db_session: DbSession, ctx: Ctx, principal: Who
    ) -> Response[str]:
        _, link = await registrations.page_link(
            db_session, principal, fair_id, ctx.settings.public_url
        )
        svg = registrations.qr_svg(link, title=link)
        return Response(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            + svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1),
            media_type="image/svg+xml",
            headers={"X-Registration-URL": link},
        )
