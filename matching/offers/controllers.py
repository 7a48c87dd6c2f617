"""Routes for the offer's road (answer, confirm, withdraw), a worker's offers, and the SMS
replies the gateway relays (``/notices/inbound``: the path the gateway was given)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import HeaderParameter, JSONBody

from matching.api.access import record
from matching.api.auth import PUBLIC
from matching.api.deps import AnyRequest, Ctx, DbSession, Who
from matching.api.openapi import answers
from matching.api.params import Limit, Offset, PathId
from matching.api.strict import RAW_BODY
from matching.lib.pagination import DEFAULT_LIMIT
from matching.notices.schemas import InboundOut
from matching.notices.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER
from matching.offers import service, sms
from matching.offers.repository import OfferView
from matching.offers.schemas import (
    ConfirmOut,
    ConfirmRequest,
    OfferDetail,
    OfferPage,
    WithdrawRequest,
)


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
        return detail(await service.view_for(db_session, principal, offer_id))

    @post(
        "/{offer_id:int}/accept", status_code=200, summary="Accept on the worker's behalf (staff)"
    )
    async def accept(self, offer_id: PathId, db_session: DbSession, principal: Who) -> OfferDetail:
        return detail(await service.respond_as_staff(db_session, principal, offer_id, accept=True))

    @post(
        "/{offer_id:int}/decline", status_code=200, summary="Decline on the worker's behalf (staff)"
    )
    async def decline(self, offer_id: PathId, db_session: DbSession, principal: Who) -> OfferDetail:
        return detail(await service.respond_as_staff(db_session, principal, offer_id, accept=False))

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
        placement = await service.confirm(
            db_session,
            ctx,
            principal,
            offer_id,
            monthly_wage=data.monthly_wage if data else None,
            job_fair_id=data.job_fair_id if data else None,
        )
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
        return detail(await service.withdraw(db_session, ctx, principal, offer_id, data.reason))


@get("/workers/{worker_id:int}/offers", tags=["matching"], summary="A worker's offers")
async def worker_offers(
    worker_id: PathId,
    request: AnyRequest,
    db_session: DbSession,
    principal: Who,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> OfferPage:
    page = await service.worker_offers(db_session, principal, worker_id, limit=limit, offset=offset)
    record(request, principal, "worker.offers", (worker_id,))
    return page


@post(
    "/notices/inbound",
    status_code=200,
    tags=["notices"],
    # The gateway signs instead of logging in; the handler reads (and checks) the raw body.
    opt=PUBLIC | RAW_BODY | answers(401),
    summary="An SMS reply relayed by the gateway (signed): 1 accepts, 2 declines",
)
async def sms_reply(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    ctx: Ctx,
    # declared (so the OpenAPI document shows them) and checked by the signature alone
    timestamp: Annotated[
        str | None, HeaderParameter(name=TIMESTAMP_HEADER, description="Unix seconds")
    ] = None,
    signature: Annotated[
        str | None,
        HeaderParameter(
            name=SIGNATURE_HEADER,
            description='sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">',
        ),
    ] = None,
) -> InboundOut:
    # The raw bytes: the signature covers the body exactly as sent.
    body = await request.body()
    return await sms.receive(db_session, ctx, body=body, timestamp=timestamp, signature=signature)
