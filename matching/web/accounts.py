"""The admin's change of an account's role and scope (角色与范围): what ``PATCH
/api/v1/staff/{id}`` takes besides its activity (the admin page's own buttons), through
``network.service.update_account``.

The agency, office and employer are chosen by name. Every one is sent as the form holds it,
so a combination the role does not have (staff with an employer, an employer account with an
agency, an office of another agency) is refused by the service's own rules, each beside its
field. A change ends the account's sign-ins, as the API's does.
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from matching.api.auth import invalidate_epochs
from matching.api.deps import DbSession, after_commit
from matching.lib.principal import Principal
from matching.network import service as network
from matching.network.schemas import StaffCreate, StaffOut, StaffUpdate
from matching.openings import service as openings
from matching.web.aftercare import attempt, choice, say
from matching.web.console import Me, render, see_other

AnyRequest = Request[Any, Any, Any]
ROLES: tuple[str, ...] = get_args(
    next(f.type for f in msgspec.structs.fields(StaffCreate) if f.name == "role")
)
SCOPE = ("agency_id", "office_id", "employer_id")


def shown(a: StaffOut) -> dict[str, str]:
    """An account's role and scope as the form's values."""
    return {"role": a.role} | {
        f: "" if getattr(a, f) is None else str(getattr(a, f)) for f in SCOPE
    }


async def _form(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    a: StaffOut,
    v: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    agencies = (await network.list_agencies(db_session, me)).items
    return render(
        request,
        "console/account_form.html",
        status_code=status_code,
        a=a,
        v=v,
        roles=ROLES,
        agencies=agencies,
        agency_names={ag.id: ag.name for ag in agencies},
        offices=(await network.list_offices(db_session, me)).items,
        employers=(await openings.list_employers(db_session, me, limit=500, offset=0)).items,
        errors=errors or {},
    )


@get("/admin/accounts/{account_id:int}/edit")
async def account_edit(
    request: AnyRequest, db_session: DbSession, me: Me, account_id: FromPath[int]
) -> Template:
    me.require("admin")
    a = await network.get_account(db_session, me, account_id)
    return await _form(request, db_session, me, a, shown(a))


@post("/admin/accounts/{account_id:int}/edit", status_code=200)
async def account_update(
    request: AnyRequest, db_session: DbSession, me: Me, account_id: FromPath[int]
) -> Response[Any]:
    """Change an account's role and scope (``PATCH /api/v1/staff/{id}``)."""
    me.require("admin")
    a = await network.get_account(db_session, me, account_id)
    form = await request.form()
    errors: dict[str, str] = {}
    v = {k: str(form.get(k, "")).strip() for k in shown(a)}
    role = choice(form, "role", ROLES, errors)
    scope: dict[str, int | None] = {}
    for f in SCOPE:
        if v[f] and not v[f].isdigit():
            errors[f] = "choose one of the options"
        else:
            scope[f] = int(v[f]) if v[f] else None
    # the service checks what parsed (a bad role stands in as the one it has), so its own
    # refusals show beside the other fields at once; ours win where both speak
    change = StaffUpdate(role=a.role if "role" in errors else role, **scope)  # type: ignore[arg-type]
    shown_errors = await attempt(
        request, db_session, lambda: network.update_account(db_session, me, account_id, change)
    )
    shown_errors |= say(request, errors)
    if not shown_errors:
        after_commit(db_session, invalidate_epochs(request))
        return see_other("/admin", done="saved")
    await db_session.rollback()  # a refused form writes nothing
    return await _form(request, db_session, me, a, v, errors=shown_errors, status_code=422)


ROUTES = [account_edit, account_update]
