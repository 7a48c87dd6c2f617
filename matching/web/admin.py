"""Admin pages: agencies, offices, staff accounts, employers with their standing and suspension."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from matching.api.deps import Ctx, DbSession
from matching.lib.errors import DomainError
from matching.lib.principal import Principal
from matching.network import service as network
from matching.network.schemas import OfficeCreate, StaffCreate
from matching.openings import service as openings
from matching.openings import standing
from matching.openings.schemas import EmployerCreate
from matching.web import forms
from matching.web.console import Me, Pager, field_errors, render, see_other, t

AnyRequest = Request[Any, Any, Any]


async def _admin_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    page: int | None,
    errors: dict[str, str] | None = None,
    form_name: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    me.require("admin")
    pager = Pager.of(page)
    accounts = await network.list_accounts(db_session, me, limit=pager.size, offset=pager.offset)
    employers = await openings.list_employers(db_session, me, limit=200, offset=0)
    return render(
        request,
        "console/admin.html",
        status_code=status_code,
        agencies=(await network.list_agencies(db_session, me)).items,
        offices=(await network.list_offices(db_session, me)).items,
        accounts=accounts.items,
        pager=pager.with_total(accounts.total),
        employers=employers.items,
        errors=errors or {},
        form_name=form_name,
        v=values or {},
    )


@get("/admin")
async def admin_home(
    request: AnyRequest, db_session: DbSession, me: Me, page: FromQuery[int | None] = None
) -> Template:
    return await _admin_page(request, db_session, me, page)


@post("/admin/{what:str}", status_code=200)
async def admin_create(
    request: AnyRequest, db_session: DbSession, me: Me, what: FromPath[str]
) -> Response[Any]:
    me.require("admin")
    form = await request.form()
    try:
        if what == "agencies":
            await network.create_agency(db_session, me, str(form.get("name", "")).strip())
        elif what == "offices":
            await network.create_office(
                db_session, me, forms.struct(form, OfficeCreate, ints=("agency_id",))
            )
        elif what == "accounts":
            data = forms.struct(form, StaffCreate, ints=("agency_id", "office_id", "employer_id"))
            await network.create_account(db_session, me, data)
        elif what == "employers":
            data_e = forms.struct(form, EmployerCreate, ints=("reputation", "labour_protection"))
            await openings.create_employer(db_session, me, data_e)
        else:
            from matching.lib.errors import NotFound

            raise NotFound(f"nothing to create at {what!r}")
    except forms.FormErrors as exc:
        errors = {k: t(request, v) for k, v in exc.errors.items()}
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        await db_session.rollback()
        errors = field_errors(request, exc)
    else:
        return see_other("/admin", done="saved")
    return await _admin_page(
        request, db_session, me, None, errors, what, forms.values(form), status_code=422
    )


@post("/admin/employers/{employer_id:int}/{action:str}", status_code=200)
async def admin_employer(
    request: AnyRequest,
    db_session: DbSession,
    ctx: Ctx,
    me: Me,
    employer_id: FromPath[int],
    action: FromPath[str],
) -> Response[Any]:
    me.require("admin")
    form = await request.form()
    if action == "suspend":
        reason = str(form.get("reason", ""))
        await standing.suspend(db_session, ctx, me, employer_id, reason)
    elif action == "reinstate":
        await standing.reinstate(db_session, me, employer_id)
    elif action in ("partner", "unpartner"):
        await standing.set_partner(db_session, me, employer_id, action == "partner")
    else:
        from matching.lib.errors import NotFound

        raise NotFound(f"no action {action!r}")
    return see_other("/admin", done="saved")


ROUTES = [admin_home, admin_create, admin_employer]
