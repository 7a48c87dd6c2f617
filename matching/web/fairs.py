"""The console's job fairs (招聘会): the list and a form to hold a new fair; a fair's page with
its figures, a form for the attendees and consultations the clerks counted, a form for an
employer attending with its openings, its QR code and the queue of women who registered
themselves on its phone page (confirm into the register, or reject); and a printable poster
for the fair's stand. Each form calls the service the API's route calls
(``reports.job_fairs.create``, ``update_counts``, ``add_employer``); the queue's rules are
``profiles.fair_registrations``'. The counts carry the version they were read at: a stale
form writes nothing and lists what changed since, as a worker's and an opening's edits do."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup

from matching.api.deps import Ctx, DbSession
from matching.lib import clock
from matching.lib.errors import DomainError
from matching.lib.principal import Principal
from matching.lib.types import MAX_ID
from matching.network import service as network
from matching.openings import service as openings
from matching.profiles import fair_registrations as registrations
from matching.reports import job_fairs
from matching.reports.schemas import (
    MAX_COUNT,
    JobFair,
    JobFairCreate,
    JobFairPatch,
    RegistrationConfirm,
)
from matching.web import forms
from matching.web.aftercare import (
    Errors,
    attempt,
    attempt_beside,
    bounded_text,
    chosen_id,
    form_text,
    say,
    whole_number,
)
from matching.web.console import Me, render, see_other, t
from matching.web.editing import rebased, shown_then, stale_fields

AnyRequest = Request[Any, Any, Any]
COUNT_LABELS = {"attendees": "Attendees", "consultations": "Consultations"}


def qr_svg(url: str, *, scale: int, title: str) -> Markup:
    """The fair's QR code as inline SVG: trusted markup (segno writes it, the title escaped)."""
    return Markup(registrations.qr_svg(url, scale=scale, title=title))  # noqa: S704


# --- the list, and holding a fair ---


async def _fairs_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    *,
    v: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Template:
    fairs = await job_fairs.list_fairs(db_session, me)
    agencies = (await network.list_agencies(db_session, me)).items
    return render(
        request,
        "console/fairs.html",
        status_code,
        fairs=fairs,
        agencies=agencies if me.is_admin else [],
        agency_names={a.id: a.name for a in agencies},
        v=v or {},
        errors=errors or {},
    )


@get("/fairs")
async def fairs_page(request: AnyRequest, db_session: DbSession, me: Me) -> Template:
    return await _fairs_page(request, db_session, me)


@post("/fairs", status_code=200)
async def fair_create(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    """Hold a job fair (``POST /api/v1/job-fairs``): staff for their own agency, an admin for
    the agency chosen, or for the federation itself (no agency)."""
    me.require("admin", "staff")
    form = await request.form()
    errors: Errors = {}
    name = bounded_text(form, "name", errors, limit=200, required=True)
    day = forms.form_date(form, "date", errors, required=True)
    place = bounded_text(form, "place", errors, limit=200, required=True)
    agency_id = None
    if me.is_admin:
        agency_id = whole_number(form, "agency_id", errors, low=1, high=MAX_ID, required=False)
    data = JobFairCreate(  # a field refused above goes as a stand-in the service accepts
        name=name if "name" not in errors else "-",
        date=day or clock.today(),
        place=place if "place" not in errors else "-",
        agency_id=agency_id,
    )
    made: list[int] = []

    async def create() -> None:
        made.append((await job_fairs.create(db_session, me, data)).id)

    shown = await attempt_beside(request, db_session, create, errors)
    if not shown:
        return see_other(f"/fairs/{made[0]}", done="fair_created")
    return await _fairs_page(
        request, db_session, me, v=forms.values(form), errors=shown, status_code=422
    )


# --- a fair's page ---


def counts_shown(fair: JobFair) -> dict[str, str]:
    """A fair's counts as its form's text values."""
    return {"attendees": str(fair.attendees), "consultations": str(fair.consultations)}


async def _fair_page(
    request: AnyRequest,
    session: DbSession,
    ctx: Ctx,
    me: Principal,
    fair_id: int,
    *,
    status: int = 200,
    problem: str | None = None,
    v: dict[str, str] | None = None,
    errors: Errors | None = None,
    stale: list[tuple[str, str, str]] | None = None,
) -> Template:
    _, link = await registrations.page_link(session, me, fair_id, ctx.settings.public_url)
    fair = await job_fairs.read(session, me, fair_id)
    queued = await registrations.queue(session, me, fair_id, status="queued", limit=200)
    handled = await registrations.queue(session, me, fair_id, limit=1)
    agencies = []
    if me.is_admin and fair.agency_id is None:
        agencies = list((await network.list_agencies(session, me)).items)
    pool = (await openings.list_employers(session, me, limit=500, offset=0)).items
    attending = set(fair.employer_ids)
    return render(
        request,
        "console/fair.html",
        status,
        fair=fair,
        link=link,
        qr=qr_svg(link, scale=5, title=t(request, "QR code of the registration page")),
        queued=queued,
        total=handled.total,
        agencies=agencies,
        problem=problem,
        may_change=job_fairs.may_change(me, fair.agency_id),
        attending=[e for e in pool if e.id in attending],
        choices=[e for e in pool if e.id not in attending],
        v=v if v is not None else counts_shown(fair),
        was=json.dumps(counts_shown(fair)),
        errors=errors or {},
        stale=stale,
    )


@get("/fairs/{fair_id:int}")
async def fair_page(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, fair_id: FromPath[int]
) -> Template:
    return await _fair_page(request, db_session, ctx, me, fair_id)


@post("/fairs/{fair_id:int}/counts", status_code=200)
async def fair_counts(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, fair_id: FromPath[int]
) -> Response[Any]:
    """Record the attendees and consultations counted (``PATCH /api/v1/job-fairs/{id}``): only
    what the clerk changed is sent, at the version the form was read at."""
    form = await request.form()
    current = await job_fairs.read(db_session, me, fair_id)  # hers to see, or 404
    now = counts_shown(current)
    before = shown_then(form, now)
    after = {k: form_text(form, k) for k in now}
    errors: Errors = {}
    counts = {k: whole_number(form, k, errors, low=0, high=MAX_COUNT, required=True) for k in now}
    version = form_text(form, "version")
    patch = {k: n for k, n in counts.items() if n is not None and after[k] != before[k]}
    shown: Errors = {"version": ""}  # a form without its version is as stale as an old one
    if version.isdigit():
        body = JobFairPatch(version=int(version), **patch)
        shown = await attempt_beside(
            request,
            db_session,
            lambda: job_fairs.update_counts(db_session, me, fair_id, body),
            errors,
        )
    if "version" in shown:  # someone else recorded counts since the form was read
        fresh = await job_fairs.read(db_session, me, fair_id)
        stale = stale_fields(request, before, counts_shown(fresh), COUNT_LABELS, "")
        return await _fair_page(
            request,
            db_session,
            ctx,
            me,
            fair_id,
            status=409,
            v=rebased(before, after, counts_shown(fresh)),
            errors=say(request, errors),
            stale=stale,
        )
    if not shown:
        return see_other(f"/fairs/{fair_id}", done="fair_counts_saved")
    return await _fair_page(
        request, db_session, ctx, me, fair_id, status=422, v=after, errors=shown
    )


@post("/fairs/{fair_id:int}/employers", status_code=200)
async def fair_employer(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, fair_id: FromPath[int]
) -> Response[Any]:
    """An employer attends with its openings (``POST /api/v1/job-fairs/{id}/employers``)."""
    await job_fairs.read(db_session, me, fair_id)  # hers to see, or 404
    form = await request.form()
    errors: Errors = {}
    employer_id = chosen_id(form, "employer_id", errors)
    shown = say(request, errors)
    if employer_id is not None:
        shown = await attempt(
            request,
            db_session,
            lambda: job_fairs.add_employer(db_session, me, fair_id, employer_id),
        )
        if "_form" in shown:  # "attends already" belongs beside the choice
            shown.setdefault("employer_id", shown.pop("_form"))
        if not shown:
            return see_other(f"/fairs/{fair_id}", done="fair_employer_added")
    return await _fair_page(request, db_session, ctx, me, fair_id, status=422, errors=shown)


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


ROUTES = [
    fairs_page,
    fair_create,
    fair_page,
    fair_counts,
    fair_employer,
    fair_poster,
    handle_registration,
]
