"""Employers (用人单位) in the console: agency staff register one for their agency (``POST
/api/v1/employers``, through ``openings.service.create_employer``), and its agency's staff or an
admin edit one: every field ``PATCH /api/v1/employers/{id}`` takes (the scores and the agency
are the admin's alone, so staff are not shown them), through
``openings.service.update_employer``.

As the worker's and the opening's forms do, it sends only what the admin changed, carries the
version it was read at and what it showed (``was``), and on a stale form writes nothing and
lists each field someone else changed since, keeping what the admin typed. The agency is chosen
by name.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from matching.api.deps import DbSession
from matching.lib.errors import Conflict, DomainError
from matching.lib.principal import Principal
from matching.network import service as network
from matching.openings import service as openings
from matching.openings.schemas import EmployerCreate, EmployerOut, EmployerPatch
from matching.web.aftercare import attempt, say
from matching.web.console import Me, field_errors, render, see_other, t
from matching.web.editing import check_each, rebased, shown_then, stale_fields

AnyRequest = Request[Any, Any, Any]
TEXT = ("name", "city", "industry")
SCORES = ("reputation", "labour_protection")
LABELS = {
    "name": "Company name",
    "city": "City",
    "industry": "Industry",
    "reputation": "Reputation",
    "labour_protection": "Labour protection",
    "local_workshop": "A local workshop: its openings count as local transfer",
    "agency_id": "Registering agency (changes it and its openings)",
}


ADMINS_ONLY = ("reputation", "labour_protection", "agency_id")


def shown(e: EmployerOut, me: Principal) -> dict[str, str]:
    """An employer as its edit form's text values (what the caller may change)."""
    values = {
        "name": e.name,
        "city": e.city,
        "industry": e.industry or "",
        "reputation": str(e.reputation),
        "labour_protection": str(e.labour_protection),
        "local_workshop": "on" if e.local_workshop else "",
        "agency_id": "" if e.agency_id is None else str(e.agency_id),
    }
    return {k: v for k, v in values.items() if me.is_admin or k not in ADMINS_ONLY}


def changes(
    before: dict[str, str], form: Any
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The PATCH body of what changed, every field's problem, and the form's values."""
    after = {k: str(form.get(k, "")).strip() for k in before}
    after["local_workshop"] = "on" if after["local_workshop"] in ("on", "true", "1") else ""
    errors: dict[str, str] = {}
    patch: dict[str, Any] = {}
    for f in (k for k in after if after[k] != before[k]):
        raw = after[f]
        if f in ("name", "city") and not raw:
            errors[f] = "must not be blank"
        elif f == "industry":
            patch[f] = raw or None
        elif f in SCORES:
            if raw.isdigit() and int(raw) <= 100:
                patch[f] = int(raw)
            else:
                errors[f] = "enter a whole number from 0 to 100"
        elif f == "local_workshop":
            patch[f] = raw == "on"
        elif f == "agency_id":
            if raw and not raw.isdigit():
                errors[f] = "choose one of the options"
            else:
                patch[f] = int(raw) if raw else None
        else:
            patch[f] = raw
    check_each(patch, errors, EmployerPatch)
    return {k: v for k, v in patch.items() if k not in errors}, errors, after


async def _form(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    e: EmployerOut,
    v: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    stale: list[tuple[str, str, str]] | None = None,
    status_code: int = 200,
) -> Template:
    agencies = (await network.list_agencies(db_session, me)).items
    return render(
        request,
        "console/employer_form.html",
        status_code=status_code,
        e=e,
        v=v,
        was=json.dumps(shown(e, me), ensure_ascii=False),
        errors=errors or {},
        stale=stale,
        agencies=agencies,
        home=home(me),
    )


def _readable(values: dict[str, str], agency_names: dict[str, str], yes: str, no: str) -> Any:
    """The values as the stale list says them: the agency by name, the box as yes or no."""
    out = dict(values)
    out["agency_id"] = agency_names.get(values.get("agency_id", ""), values.get("agency_id", ""))
    out["local_workshop"] = yes if values.get("local_workshop") == "on" else no
    return out


def home(me: Principal) -> str:
    """Where the form leads back to: the admin's employers table, a clerk's openings."""
    return "/admin" if me.is_admin else "/openings"


@get("/employers/{employer_id:int}/edit")
async def employer_edit(
    request: AnyRequest, db_session: DbSession, me: Me, employer_id: FromPath[int]
) -> Template:
    e = await openings.employer_to_change(db_session, me, employer_id)
    return await _form(request, db_session, me, e, shown(e, me))


@post("/employers/{employer_id:int}/edit", status_code=200)
async def employer_update(
    request: AnyRequest, db_session: DbSession, me: Me, employer_id: FromPath[int]
) -> Response[Any]:
    """Edit an employer (``PATCH /api/v1/employers/{id}``): only what changed is sent."""
    form = await request.form()
    e = await openings.employer_to_change(db_session, me, employer_id)
    now = shown(e, me)
    before = shown_then(form, now)
    patch, errors, after = changes(before, form)
    version = str(form.get("version", ""))
    if version.isdigit() and int(version) != e.version:
        return await _stale(request, db_session, me, e, before, after)
    shown_errors = say(request, errors)
    if not version.isdigit():
        shown_errors["version"] = t(request, "The page was out of date; reload it and try again.")
    elif patch or errors:
        # the parsed fields go to the service even beside bad ones, so its checks show too
        body = {"version": int(version), **patch}
        try:
            patch_ = msgspec.convert(body, EmployerPatch)
            await openings.update_employer(db_session, me, employer_id, patch_)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            await db_session.rollback()  # a refused form writes nothing
            if isinstance(exc, Conflict) and exc.extra.get("field") == "version":
                fresh = await openings.get_employer(db_session, me, employer_id)  # a moment ago
                return await _stale(request, db_session, me, fresh, before, after)
            shown_errors = field_errors(request, exc) | shown_errors
        else:
            if errors:
                await db_session.rollback()
    if not shown_errors:
        return see_other(home(me), done="saved")
    code = 409 if "version" in shown_errors else 422
    return await _form(request, db_session, me, e, after, errors=shown_errors, status_code=code)


async def _stale(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    e: EmployerOut,
    before: dict[str, str],
    after: dict[str, str],
) -> Template:
    """Nothing written: what changed since the form was read, and what the admin typed."""
    names = {str(a.id): a.name for a in (await network.list_agencies(db_session, me)).items}
    yes, no = t(request, "yes"), t(request, "no")
    then_, now_ = _readable(before, names, yes, no), _readable(shown(e, me), names, yes, no)
    stale = stale_fields(request, then_, now_, LABELS, "")
    again = rebased(before, after, shown(e, me))
    return await _form(request, db_session, me, e, again, stale=stale, status_code=409)


# --- staff register an employer for their agency ---


def _new_form(
    request: AnyRequest, v: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Template:
    return render(request, "console/employer_new.html", status_code=status_code, v=v, errors=errors)


@get("/employers/new")
async def employer_new(request: AnyRequest, me: Me) -> Template:
    """Register an employer for her agency (an admin registers on the admin page)."""
    me.require("staff")
    return _new_form(request, {}, {})


@post("/employers", status_code=200)
async def employer_create(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    """A new employer of her agency (``POST /api/v1/employers``); then its first opening."""
    me.require("staff")
    form = await request.form()
    errors: dict[str, str] = {}
    v = {k: str(form.get(k, "")).strip() for k in ("name", "city", "industry")}
    v["local_workshop"] = "on" if str(form.get("local_workshop", "")) == "on" else ""
    body = {"name": v["name"], "city": v["city"], "industry": v["industry"] or None}
    for f in ("name", "city"):
        if not v[f]:
            errors[f] = "must not be blank"
    check_each({k: x for k, x in body.items() if k not in errors}, errors, EmployerPatch)
    shown_errors = say(request, errors)
    made: list[int] = []
    # what parsed goes to the service, so its own checks show beside the rest at once
    data = {k: x for k, x in body.items() if k not in errors} | {"name": "-", "city": "-"}
    data |= {k: body[k] for k in ("name", "city") if k not in errors}
    create = msgspec.convert(data | {"local_workshop": v["local_workshop"] == "on"}, EmployerCreate)

    async def call() -> None:
        made.append((await openings.create_employer(db_session, me, create)).id)

    shown_errors = await attempt(request, db_session, call) | shown_errors
    if not shown_errors:
        return see_other("/openings/new", done="employer_registered", employer_id=made[0])
    await db_session.rollback()  # a refused form writes nothing
    return _new_form(request, v, shown_errors, 422)


ROUTES = [employer_edit, employer_update, employer_new, employer_create]
