"""Admin pages: agencies, offices, staff accounts, employers with their standing and suspension."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from matching.api.auth import invalidate_epochs
from matching.api.deps import Ctx, DbSession, after_commit
from matching.lib.errors import DomainError, NotFound, msg
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.network import policy
from matching.network import service as network
from matching.network.schemas import OfficeCreate, PasswordReset, StaffCreate, StaffUpdate
from matching.openings import service as openings
from matching.openings import standing
from matching.openings.schemas import EmployerCreate
from matching.web import forms
from matching.web.console import Me, Pager, field_errors, render, say, see_other

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
    reset: PasswordReset | None = None,
) -> Template:
    me.require("admin")
    pager = Pager.of(page)
    accounts = await network.list_accounts(db_session, me, limit=pager.size, offset=pager.offset)
    employers = await openings.list_employers(db_session, me, limit=200, offset=0)
    agencies = (await network.list_agencies(db_session, me)).items
    offices = (await network.list_offices(db_session, me)).items
    return render(
        request,
        "console/admin.html",
        status_code=status_code,
        agencies=agencies,
        offices=offices,
        # the tables name an account's agency, office and employer, never show their ids
        agency_names={a.id: a.name for a in agencies},
        office_names={o.id: o.name for o in offices},
        employer_names={e.id: e.name for e in employers.items},
        reset=reset,
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


# Each path spelled out: a parameter (``/admin/{what}``) loses to the static segments of
# ``/admin/employers/{id}/...`` and ``/admin/accounts/{id}/...`` in Litestar's route trie, and
# ``POST /admin/employers`` answered 404.
CREATES = ("agencies", "offices", "accounts", "employers")


@post([f"/admin/{what}" for what in CREATES], status_code=200)
async def admin_create(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    me.require("admin")
    what = request.url.path.rsplit("/", 1)[-1]
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
            data_e = forms.struct(
                form, EmployerCreate, ints=("reputation", "labour_protection", "agency_id")
            )
            await openings.create_employer(db_session, me, data_e)
        else:
            raise NotFound(msg("nothing to create at {what!r}"), what=what)
    except forms.FormErrors as exc:
        errors = {k: say(request, v) for k, v in exc.errors.items()}
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
        raise NotFound(msg("no action {action!r}"), action=action)
    return see_other("/admin", done="saved")


@post("/admin/accounts/{account_id:int}/{action:str}", status_code=200)
async def admin_account(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    account_id: FromPath[int],
    action: FromPath[str],
) -> Response[Any]:
    """Deactivate or reactivate an account, or reset its password: each ends its sign-ins
    (the API's ``PATCH /staff/{id}`` and ``POST /staff/{id}/reset-password``). The one-time
    password is shown on this answer only, never put in a link."""
    me.require("admin")
    reset = None
    try:
        if action in ("deactivate", "activate"):
            change = StaffUpdate(active=action == "activate")
            await network.update_account(db_session, me, account_id, change)
        elif action == "reset-password":
            reset = await network.reset_password(db_session, me, account_id)
        else:
            raise NotFound(msg("no action {action!r}"), action=action)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        await db_session.rollback()
        errors = {"_form": "；".join(field_errors(request, exc).values())}  # beside no field
        return await _admin_page(request, db_session, me, None, errors, status_code=422)
    after_commit(db_session, invalidate_epochs(request))
    if reset is None:
        return see_other("/admin", done="saved")
    return await _admin_page(request, db_session, me, None, reset=reset)


# --- the priority policy ---


async def _policy_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    me.require("admin")
    found = await policy.history(db_session, me)
    by = [c.changed_by_id for c in found.changes if c.changed_by_id is not None]
    return render(
        request,
        "console/priority_policy.html",
        status_code=status_code,
        policy=found.current,
        changes=found.changes,
        groups=reference().groups,
        names=await network.account_names(db_session, by),
        errors=errors or {},
    )


@get("/admin/priority-policy")
async def priority_policy(request: AnyRequest, db_session: DbSession, me: Me) -> Template:
    """Which priority groups are placed first in matching, and every change with who and when."""
    return await _policy_page(request, db_session, me)


@post("/admin/priority-policy", status_code=200)
async def priority_policy_change(
    request: AnyRequest, db_session: DbSession, me: Me
) -> Response[Any]:
    form = await request.form()
    chosen = [str(g) for g in form.getall("groups", [])]
    note = str(form.get("note") or "") or None
    try:
        await policy.change(db_session, me, policy.PolicyChange(groups=chosen, note=note))
    except DomainError as exc:
        await db_session.rollback()  # a refused form writes nothing
        errors = field_errors(request, exc)
        return await _policy_page(request, db_session, me, errors, status_code=422)
    return see_other("/admin/priority-policy", done="saved")


ROUTES = [
    admin_home,
    admin_create,
    admin_employer,
    admin_account,
    priority_policy,
    priority_policy_change,
]
