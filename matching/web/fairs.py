"""The console's job fairs (招聘会): the list, a fair's page with its QR code and the queue of
women who registered themselves on its phone page (confirm into the register, or reject), and
a printable poster for the fair's stand. The queue's rules are ``reports.registrations``'."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup

from matching.api.deps import Ctx, DbSession
from matching.lib.errors import DomainError
from matching.lib.principal import Principal
from matching.network import service as network
from matching.profiles import fair_registrations as registrations
from matching.reports import job_fairs
from matching.reports.schemas import RegistrationConfirm
from matching.web.console import Me, render, see_other, t

AnyRequest = Request[Any, Any, Any]


def qr_svg(url: str, *, scale: int, title: str) -> Markup:
    """The fair's QR code as inline SVG: trusted markup (segno writes it, the title escaped)."""
    return Markup(registrations.qr_svg(url, scale=scale, title=title))  # noqa: S704


@get("/fairs")
async def fairs_page(request: AnyRequest, db_session: DbSession, me: Me) -> Template:
    fairs = await job_fairs.list_fairs(db_session, me)
    return render(request, "console/fairs.html", fairs=fairs)


async def _fair_page(
    request: AnyRequest,
    session: DbSession,
    ctx: Ctx,
    me: Principal,
    fair_id: int,
    *,
    status: int = 200,
    problem: str | None = None,
) -> Template:
    fair, link = await registrations.page_link(session, me, fair_id, ctx.settings.public_url)
    queued = await registrations.queue(session, me, fair_id, status="queued", limit=200)
    handled = await registrations.queue(session, me, fair_id, limit=1)
    agencies = []
    if me.is_admin and fair.agency_id is None:
        agencies = list((await network.list_agencies(session, me)).items)
    return render(
        request,
        "console/fair.html",
        status,
        fair=await job_fairs.read(session, me, fair_id),
        link=link,
        qr=qr_svg(link, scale=5, title=t(request, "QR code of the registration page")),
        queued=queued,
        total=handled.total,
        agencies=agencies,
        problem=problem,
    )


@get("/fairs/{fair_id:int}")
async def fair_page(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, fair_id: FromPath[int]
) -> Template:
    return await _fair_page(request, db_session, ctx, me, fair_id)


@get("/fairs/{fair_id:int}/poster")
async def fair_poster(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, fair_id: FromPath[int]
) -> Template:
    fair, link = await registrations.page_link(db_session, me, fair_id, ctx.settings.public_url)
    qr = qr_svg(link, scale=12, title=t(request, "QR code of the registration page"))
    return render(request, "console/fair_poster.html", fair=fair, link=link, qr=qr)


@post("/fairs/{fair_id:int}/registrations/{reg_id:int}/{action:str}", status_code=200)
async def handle_registration(
    request: AnyRequest,
    db_session: DbSession,
    ctx: Ctx,
    me: Me,
    fair_id: FromPath[int],
    reg_id: FromPath[int],
    action: FromPath[str],
) -> Response[Any]:
    """Confirm (into the register, or found a duplicate) or reject a queued entry."""
    form = await request.form()
    raw_agency = str(form.get("agency_id", ""))
    try:
        if action == "confirm":
            data = RegistrationConfirm(agency_id=int(raw_agency) if raw_agency.isdigit() else None)
            done = await registrations.confirm(db_session, ctx, me, fair_id, reg_id, data)
            flash = f"registration_{done.status}"
        elif action == "reject":
            await registrations.reject(db_session, me, fair_id, reg_id)
            flash = "registration_rejected"
        else:
            return await _fair_page(request, db_session, ctx, me, fair_id, status=404)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        await db_session.rollback()
        problem = "; ".join(t(request, e["message"]) for e in getattr(exc, "errors", [])) or t(
            request, exc.detail
        )
        return await _fair_page(
            request, db_session, ctx, me, fair_id, status=exc.status_code, problem=problem
        )
    return see_other(f"/fairs/{fair_id}", done=flash)


ROUTES = [fairs_page, fair_page, fair_poster, handle_registration]
