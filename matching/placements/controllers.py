"""Routes for the offer's road (answer, confirm, withdraw) and placements."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, get, post
from litestar.params import JSONBody

from matching.api.deps import Ctx, DbSession, Who
from matching.api.params import PathId
from matching.lib.errors import Invalid
from matching.lib.types import Response
from matching.matches import offers
from matching.matches.offers import OfferView
from matching.placements import service
from matching.placements.schemas import (
    ConfirmOut,
    ConfirmRequest,
    EndRequest,
    PlacementOut,
    WithdrawRequest,
)


class OfferDetail(Response):
    id: int
    worker_id: int
    opening_id: int
    employer_id: int
    run_id: int | None
    status: str
    expires_at: dt.datetime
    title: str
    employer: str
    city: str
    monthly_wage_min: int
    monthly_wage_max: int
    housing_provided: bool
    start_date: dt.date


def detail(v: OfferView) -> OfferDetail:
    return OfferDetail(
        id=v.id,
        worker_id=v.worker_id,
        opening_id=v.opening_id,
        employer_id=v.employer_id,
        run_id=v.run_id,
        status=v.status,
        expires_at=v.expires_at,
        title=v.title,
        employer=v.employer,
        city=v.city,
        monthly_wage_min=v.wage_min,
        monthly_wage_max=v.wage_max,
        housing_provided=v.housing,
        start_date=v.start_date,
    )


class OfferController(Controller):
    path = "/offers"
    tags = ["offers"]

    @get("/{offer_id:int}", summary="One offer")
    async def read(self, offer_id: PathId, db_session: DbSession, principal: Who) -> OfferDetail:
        v = await offers.view(db_session, offer_id)
        offers._can_decide(principal, v)
        return detail(v)

    @post(
        "/{offer_id:int}/accept", status_code=200, summary="Accept on the worker's behalf (staff)"
    )
    async def accept(self, offer_id: PathId, db_session: DbSession, principal: Who) -> OfferDetail:
        return detail(await offers.respond_as_staff(db_session, principal, offer_id, accept=True))

    @post(
        "/{offer_id:int}/decline", status_code=200, summary="Decline on the worker's behalf (staff)"
    )
    async def decline(self, offer_id: PathId, db_session: DbSession, principal: Who) -> OfferDetail:
        return detail(await offers.respond_as_staff(db_session, principal, offer_id, accept=False))

    @post(
        "/{offer_id:int}/confirm", status_code=200, summary="Confirm an accepted offer: a placement"
    )
    async def confirm(
        self,
        offer_id: PathId,
        db_session: DbSession,
        ctx: Ctx,
        principal: Who,
        data: JSONBody[ConfirmRequest | None] = None,
    ) -> ConfirmOut:
        placement = await service.confirm(db_session, ctx, principal, offer_id)
        return ConfirmOut(placement_id=placement.id, placement=placement)

    @post(
        "/{offer_id:int}/withdraw", status_code=200, summary="Withdraw a live offer, with a reason"
    )
    async def withdraw(
        self,
        offer_id: PathId,
        data: JSONBody[WithdrawRequest],
        db_session: DbSession,
        ctx: Ctx,
        principal: Who,
    ) -> OfferDetail:
        reason = data.reason.strip()
        if not reason:
            raise Invalid("reason", "must not be blank")
        return detail(await offers.withdraw(db_session, ctx, principal, offer_id, reason))


class PlacementController(Controller):
    path = "/placements"
    tags = ["placements"]

    @get("/{placement_id:int}", summary="A placement with its follow-ups")
    async def read(
        self, placement_id: PathId, db_session: DbSession, principal: Who
    ) -> PlacementOut:
        return await service.get_placement(db_session, principal, placement_id)

    @post("/{placement_id:int}/end", status_code=200, summary="End a placement, with the reason")
    async def end(
        self,
        placement_id: PathId,
        data: JSONBody[EndRequest],
        db_session: DbSession,
        principal: Who,
    ) -> PlacementOut:
        return await service.end_placement(
            db_session, principal, placement_id, data.reason, data.note, data.ended_on
        )
