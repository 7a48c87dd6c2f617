"""Taking back an offer (撤回录用通知) with its reason: ``POST /api/v1/offers/{id}/withdraw`` for
the staff of her agency, an admin or the opening's employer, through
``offers.service.withdraw``.

Its own page (the offer, the reason asked for), so that a blank reason, or an offer she
answered meanwhile, is said beside the field and nothing is changed; the employer's candidates
page posts its inline form here too. Both paths are spelled out: a static ``withdraw`` segment
wins over ``/offers/{id}/{action}`` in Litestar's route trie for every method.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from matching.api.access import record
from matching.api.deps import Ctx, DbSession
from matching.lib.principal import Principal
from matching.offers import service as offer_service
from matching.web.aftercare import attempt
from matching.web.console import Me, render, safe_next, see_other

AnyRequest = Request[Any, Any, Any]
LIVE = ("pending", "accepted")


def _default_back(me: Principal) -> str:
    return "/employer/candidates" if me.is_employer else "/offers"


async def _page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    offer_id: int,
    back: str,
    *,
    reason: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    v = await offer_service.view_for(db_session, me, offer_id)
    record(request, me, "console.offer.withdraw", [v.worker_id])
    return render(
        request,
        "console/offer_withdraw.html",
        status_code=status_code,
        o=v,
        live=v.status in LIVE,
        back=back,
        v={"reason": reason},
        errors=errors or {},
    )


@get("/offers/{offer_id:int}/withdraw")
async def withdraw_form(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    offer_id: FromPath[int],
    next: FromQuery[str | None] = None,
) -> Template:
    back = safe_next(next) or _default_back(me)
    return await _page(request, db_session, me, offer_id, back)


@post("/offers/{offer_id:int}/withdraw", status_code=200)
async def withdraw(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, offer_id: FromPath[int]
) -> Response[Any]:
    """Withdraw a pending or accepted offer, with its reason; she is told."""
    form = await request.form()
    back = safe_next(str(form.get("next", ""))) or _default_back(me)
    reason = str(form.get("reason", ""))
    errors = await attempt(
        request,
        db_session,
        lambda: offer_service.withdraw(db_session, ctx, me, offer_id, reason),
    )
    if not errors:
        sep = "&" if "?" in back else "?"
        return see_other(f"{back}{sep}done=withdrawn")
    return await _page(
        request, db_session, me, offer_id, back, reason=reason, errors=errors, status_code=422
    )


ROUTES = [withdraw_form, withdraw]
