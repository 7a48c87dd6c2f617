"""Admin pages: agencies, offices, staff accounts, employers with their standing and suspension;
the priority policy; and the labour force of each agency's township per year (劳动力总数, the
share transferred's denominator in the 报表), set through ``reports.figures.put_labour_force``
as ``PUT /api/v1/labour-force/{year}`` does."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from matching.api.auth import invalidate_epochs
from matching.api.deps import Ctx, DbSession, after_commit
from matching.lib import clock
from matching.lib.errors import DomainError, Invalid, NotFound, msg
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.network import policy
from matching.network import service as network
from matching.network.schemas import OfficeCreate, PasswordReset, StaffCreate, StaffUpdate
from matching.openings import service as openings
from matching.openings import standing
from matching.openings.schemas import EmployerCreate
from matching.reports import figures
from matching.reports.schemas import MAX_COUNT, LabourForceIn
from matching.web import forms
from matching.web.aftercare import attempt_beside, chosen_id, form_text, whole_number
from matching.web.aftercare import say as say_each
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


# --- the labour force ---


def _year(raw: str, errors: dict[str, str], name: str = "year") -> int | None:
    """The year typed (the service says which years it takes)."""
    if not raw:
        errors[name] = "must not be blank"
    elif not raw.isdigit() or len(raw) > 6:
        errors[name] = "enter a whole number"
    else:
        return int(raw)
    return None


async def _labour_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    view: str,
    *,
    agency: str = "",
    v: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    """The agencies' labour force in the year ``view`` (as typed; a bad one is said beside the
    year box), and the form that records one."""
    me.require("admin")
    bad: dict[str, str] = {}
    year = _year(view, bad, "view")
    bad = say_each(request, bad)
    counts: dict[int, int] = {}
    if year is not None:
        try:
            counts = await figures.labour_forces(db_session, me, year)
        except Invalid as exc:  # a year it does not take
            bad["view"] = field_errors(request, exc)["year"]
    agencies = (await network.list_agencies(db_session, me)).items
    default = {"year": view if not bad else "", "agency_id": agency}
    if agency.isdigit() and int(agency) in counts:
        default["count"] = str(counts[int(agency)])
    return render(
        request,
        "console/labour_force.html",
        status_code=422 if bad else status_code,
        view=view,
        year=None if bad else year,
        agencies=agencies,
        counts=counts,
        v=v if v is not None else default,
        errors=bad | (errors or {}),
    )


@get("/admin/labour-force")
async def labour_force(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    year: FromQuery[str | None] = None,
    agency: FromQuery[str | None] = None,
) -> Template:
    """Each agency's labour force recorded for a year (this year in Beijing unless chosen)."""
    view = (year or "").strip()[:12] or str(clock.today().year)
    return await _labour_page(request, db_session, me, view, agency=(agency or "").strip()[:12])


@post("/admin/labour-force", status_code=200)
async def labour_force_set(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    """Record (or replace) an agency's labour force for a year."""
    me.require("admin")
    form = await request.form()
    errors: dict[str, str] = {}
    year = _year(form_text(form, "year"), errors)
    agency_id = chosen_id(form, "agency_id", errors)
    count = whole_number(form, "count", errors, low=0, high=MAX_COUNT, required=True)
    shown = say_each(request, errors)
    if agency_id is not None:  # the service checks the year and the agency beside the rest
        data = LabourForceIn(agency_id=agency_id, count=count or 0)
        stand_in = figures.MIN_YEAR if year is None else year
        shown = await attempt_beside(
            request,
            db_session,
            lambda: figures.put_labour_force(db_session, me, stand_in, data),
            errors,
        )
    if not shown:
        return see_other("/admin/labour-force", year=year, done="labour_force_saved")
    # the list stays on the year typed when it is one the service takes, else on this year
    view = str(year) if year is not None and "year" not in shown else str(clock.today().year)
    return await _labour_page(
        request, db_session, me, view, v=forms.values(form), errors=shown, status_code=422
    )


ROUTES = [
    admin_home,
    admin_create,
    admin_employer,
    admin_account,
    priority_policy,
    priority_policy_change,
    labour_force,
    labour_force_set,
]
