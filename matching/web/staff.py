"""Pages for agency staff (and admins): dashboard, workers, openings, match runs, offers,
placements and their follow-ups, rights cases. Each page calls the services with the Principal
rebuilt from the login session, so scoping is the API's: a foreign record is a 404 here too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, get_args

import msgspec
from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from matching.api.access import record
from matching.api.deps import Ctx, DbSession, runtime, transaction
from matching.api.request_id import request_id
from matching.lib import clock
from matching.lib.errors import DomainError, Forbidden, Invalid, msg
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.lib.types import MAX_ID
from matching.matches import service as matches
from matching.matches.runner import execute_run
from matching.network import policy
from matching.network import service as network
from matching.offers import service as offer_service
from matching.openings import service as openings
from matching.placements import cases as case_service
from matching.placements import service as placements
from matching.privacy import erasure
from matching.privacy import service as privacy
from matching.profiles import service as profiles
from matching.profiles.repository import WorkerFilter
from matching.profiles.schemas import Channel, WorkerPatch
from matching.reports import service as reports
from matching.training import service as training
from matching.web import forms
from matching.web.console import (
    Me,
    Pager,
    field_errors,
    lang,
    render,
    safe_next,
    say,
    see_other,
    t,
)

AnyRequest = Request[Any, Any, Any]
CONSENT_CHANNELS: tuple[str, ...] = get_args(Channel)


def _staff(me: Principal) -> None:
    me.require("admin", "staff")


def _opt(value: str | None) -> str | None:
    return value.strip() or None if value else None


# --- dashboard ---


@get("/dashboard")
async def dashboard(request: AnyRequest, db_session: DbSession, me: Me) -> Template:
    _staff(me)
    d = await reports.dashboard(db_session, me)
    return render(request, "console/dashboard.html", d=d)


# --- workers ---


@get("/workers")
async def workers(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    q: FromQuery[str | None] = None,
    skill: FromQuery[str | None] = None,
    group: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    page: FromQuery[int | None] = None,
) -> Template:
    _staff(me)
    pager = Pager.of(page)
    flt = WorkerFilter(
        skill=_opt(skill), priority_group=_opt(group), status=_opt(status), q=_opt(q)
    )
    found = await profiles.search_workers(
        db_session, me, flt, limit=pager.size, offset=pager.offset
    )
    # htmx swaps only the table; a history restore wants the whole page back
    partial = request.headers.get("hx-request") and not request.headers.get(
        "hx-history-restore-request"
    )
    template = "console/_workers_table.html" if partial else None
    record(request, me, "console.worker.list", [w.id for w in found.items])
    return render(
        request,
        template or "console/workers.html",
        workers=found.items,
        pager=pager.with_total(found.total),
        f={"q": q or "", "skill": skill or "", "group": group or "", "status": status or ""},
        statuses=profiles.WORKER_STATUSES,
    )


async def _worker_form(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "console/worker_form.html",
        status_code=status_code,
        v=values,
        errors=errors,
        groups=[g for g in reference().groups if g.assignable],
        first=await policy.priority_codes(db_session),  # placed first; the rest recorded only
        agencies=await _agencies_for(db_session, me),
    )


async def _agencies_for(db_session: DbSession, me: Principal) -> list[Any]:
    if not me.is_admin:
        return []
    return list((await network.list_agencies(db_session, me)).items)


async def _every_error(
    request: AnyRequest,
    db_session: DbSession,
    exc: forms.FormErrors,
    attempt: Callable[[Any], Awaitable[Any]],
) -> dict[str, str]:
    """The form's own errors, and what the service says of her other fields: it is tried with
    stand-ins for the fields the form refused, then rolled back, so every problem shows at once
    and nothing is stored."""
    errors = {k: say(request, v) for k, v in exc.errors.items()}
    if exc.data is not None:
        try:
            await attempt(exc.data)
        except Forbidden:
            raise
        except DomainError as refused:
            for k, v in field_errors(request, refused).items():
                if k != "_form":  # a refusal of the whole form waits for its fields
                    errors.setdefault(k, v)
        await db_session.rollback()
    return errors


@get("/workers/new")
async def worker_new(request: AnyRequest, db_session: DbSession, me: Me) -> Template:
    _staff(me)
    # Consent is an act of hers, never a default: every box starts unticked.
    return await _worker_form(request, db_session, me, {}, {})


@post("/workers", status_code=200)
async def worker_create(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me
) -> Response[Any]:
    _staff(me)
    form = await request.form()
    values = forms.values(form)
    values["priority_groups"] = ",".join(str(g) for g in form.getall("priority_groups", []))
    agency = None
    if me.is_admin and str(form.get("agency_id", "")).isdigit():
        agency = int(str(form.get("agency_id")))
    try:
        data = forms.worker_create(form, agency_id=agency)
        worker = await profiles.register_worker(db_session, ctx, me, data)
    except forms.FormErrors as exc:
        errors = await _every_error(
            request, db_session, exc, lambda d: profiles.register_worker(db_session, ctx, me, d)
        )
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        await db_session.rollback()  # a refused form writes nothing
        errors = field_errors(request, exc)
    else:
        return see_other(f"/workers/{worker.id}", done="registered")
    return await _worker_form(request, db_session, me, values, errors, status_code=422)


@get("/workers/{worker_id:int}")
async def worker_page(
    request: AnyRequest, db_session: DbSession, me: Me, worker_id: FromPath[int]
) -> Template:
    _staff(me)
    return await _worker_page(request, db_session, me, worker_id)


async def _worker_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    worker_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    w = await profiles.get_worker(db_session, me, worker_id)
    offers = await offer_service.worker_offers(db_session, me, worker_id, limit=20, offset=0)
    titles = await openings.opening_titles(db_session, [o.opening_id for o in offers.items])
    placed, _ = await placements.list_placements(
        db_session, me, status=None, worker_id=worker_id, limit=20, offset=0
    )
    cases = await case_service.list_cases(
        db_session, me, status=None, office_id=None, worker_id=worker_id, limit=20, offset=0
    )
    courses = await training.worker_training(db_session, me, worker_id)
    consents = await profiles.list_consents(db_session, me, worker_id, limit=50, offset=0)
    recorders = [c.recorded_by for c in consents.items if c.recorded_by is not None]
    record(request, me, "console.worker.view", (worker_id,))
    return render(
        request,
        "console/worker.html",
        status_code=status_code,
        w=w,
        offers=offers.items,
        titles=titles,
        placements=placed,
        cases=cases.items,
        training=courses.items,
        consents=consents.items,
        recorders=await network.account_names(db_session, recorders),
        first=await policy.priority_codes(db_session),
        channels=CONSENT_CHANNELS,
        errors=errors or {},
    )


@get("/workers/{worker_id:int}/erase")
async def worker_erase_confirm(
    request: AnyRequest, db_session: DbSession, me: Me, worker_id: FromPath[int]
) -> Template:
    """The confirm step of an erasure: what it does, and the reason staff must give."""
    _staff(me)
    w = await profiles.get_worker(db_session, me, worker_id)
    return render(request, "console/worker_erase.html", w=w, v={}, errors={})


@post("/workers/{worker_id:int}/erase", status_code=200)
async def worker_erase(request: AnyRequest, me: Me, worker_id: FromPath[int]) -> Response[Any]:
    """Erase her identity. Like the API's route, its own edge: it commits, then on SQLite
    clears the WAL of her pages (see ``matching.privacy.erasure``)."""
    _staff(me)
    rt = runtime(request.app.state)
    form = await request.form()
    reason = str(form.get("reason", ""))
    try:
        async with transaction(request.app.state) as session:
            await erasure.erase_worker(session, rt.ctx, me, worker_id, reason)
    except DomainError as exc:
        if exc.status_code != 422:
            raise  # not hers to see, or erased already: the error page
        async with transaction(request.app.state) as session:
            w = await profiles.get_worker(session, me, worker_id)
        return render(
            request,
            "console/worker_erase.html",
            status_code=422,
            w=w,
            v={"reason": reason},
            errors=field_errors(request, exc),
        )
    await erasure.clear_storage(rt.engine, rt.access)
    return see_other("/workers", done="erased")


@post("/workers/{worker_id:int}/consent", status_code=200)
async def worker_consent(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, worker_id: FromPath[int]
) -> Response[Any]:
    """Staff record her consent or its withdrawal, as she said it (in person, on the phone
    page, by SMS). Withdrawing consent to matching withdraws her live offers; withdrawing
    consent to holding sensitive information removes her priority groups: the service's rules."""
    _staff(me)
    form = await request.form()
    kind, given = str(form.get("kind", "")), str(form.get("given", ""))
    channel, version = str(form.get("channel", "")), str(form.get("version", ""))
    errors: dict[str, str] = {}
    if kind not in ("matching", "sensitive") or given not in ("yes", "no"):
        errors["consent"] = t(request, "Choose whether she gives or withdraws which consent.")
    if channel not in CONSENT_CHANNELS:
        errors["channel"] = t(request, "Choose how she told you.")
    if not version.isdigit() or not 1 <= int(version) <= MAX_ID:
        errors["version"] = t(request, "The page was out of date; reload it and try again.")
    if not errors:
        patch: dict[str, Any] = {
            "version": int(version),
            f"consent_{kind}": given == "yes",
            "consent_channel": channel,
        }
        try:
            await profiles.update_worker(
                db_session, ctx, me, worker_id, msgspec.convert(patch, WorkerPatch)
            )
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            await db_session.rollback()  # a refused change writes nothing
            errors = field_errors(request, exc)
        else:
            done = f"{kind}_{'given' if given == 'yes' else 'withdrawn'}"
            return see_other(f"/workers/{worker_id}", done=done)
    return await _worker_page(request, db_session, me, worker_id, errors, status_code=422)


@get("/workers/{worker_id:int}/export")
async def worker_export(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, worker_id: FromPath[int]
) -> Template:
    """Her copy of everything held about her, as a page she can be handed (and printed)."""
    _staff(me)
    await runtime(request.app.state).access.flush()  # her reads up to now are in her copy
    x = await privacy.export_worker(
        db_session,
        ctx,
        me,
        worker_id,
        action="console.worker.export",
        request_id=request_id(request.scope),
    )
    return render(request, "console/worker_export.html", x=x, w=x.worker)


# --- openings ---


@get("/openings")
async def openings_list(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    city: FromQuery[str | None] = None,
    skill: FromQuery[str | None] = None,
    status: FromQuery[str | None] = "open",
    page: FromQuery[int | None] = None,
) -> Template:
    pager = Pager.of(page)
    flt = openings.OpeningFilter(city=_opt(city), skill=_opt(skill), status=_opt(status))
    found = await openings.list_openings(db_session, me, flt, limit=pager.size, offset=pager.offset)
    return render(
        request,
        "console/openings.html",
        openings=found.items,
        pager=pager.with_total(found.total),
        f={"city": city or "", "skill": skill or "", "status": status or ""},
    )


async def _employers_for(db_session: DbSession, me: Principal) -> list[Any]:
    """The employers she may post an opening for: her agency's (an admin: all)."""
    if me.is_employer:
        return []
    found = await openings.list_employers(db_session, me, limit=500, offset=0)
    return [e for e in found.items if me.is_admin or e.agency_id == me.agency_id]


@get("/openings/new")
async def opening_new(
    request: AnyRequest, db_session: DbSession, me: Me, employer_id: FromQuery[int | None] = None
) -> Template:
    """The form; ``employer_id`` chooses the employer (one just registered)."""
    start = (clock.today() + dt.timedelta(days=14)).isoformat()
    v = {"start_date": start, "headcount": "1", "employer_id": str(employer_id or "")}
    return render(
        request,
        "console/opening_form.html",
        v=v,
        errors={},
        employers=await _employers_for(db_session, me),
    )


@post("/openings", status_code=200)
async def opening_create(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    form = await request.form()
    values = forms.values(form)
    try:
        data = forms.opening_create(form, employer_id=me.employer_id if me.is_employer else None)
        opening = await openings.post_opening(db_session, me, data)
    except forms.FormErrors as exc:
        errors = await _every_error(
            request, db_session, exc, lambda d: openings.post_opening(db_session, me, d)
        )
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        await db_session.rollback()  # a refused form writes nothing
        errors = field_errors(request, exc)
    else:
        home = "/employer" if me.is_employer else "/openings"
        return see_other(home, done="posted", opening=opening.id)
    return render(
        request,
        "console/opening_form.html",
        status_code=422,
        v=values,
        errors=errors,
        employers=await _employers_for(db_session, me),
    )


# --- match runs ---


@get("/runs")
async def runs(
    request: AnyRequest, db_session: DbSession, me: Me, page: FromQuery[int | None] = None
) -> Template:
    _staff(me)
    pager = Pager.of(page)
    found = await matches.list_runs(db_session, me, limit=pager.size, offset=pager.offset)
    return render(
        request, "console/runs.html", runs=found.items, pager=pager.with_total(found.total)
    )


@post("/runs", status_code=200)
async def run_now(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    _staff(me)
    form = await request.form()
    rt = runtime(request.app.state)
    run = await matches.request_run(
        db_session,
        me,
        dry_run=str(form.get("dry_run", "")) == "on",
        trigger="api",
        lease=matches.lease_of(rt.ctx),
    )
    response = see_other(f"/runs/{run.id}")
    # Runs after the response is sent, so after this request's transaction committed.
    response.background = BackgroundTask(execute_run, rt.sessionmaker, rt.ctx, run.id)
    return response


@get("/runs/{run_id:int}")
async def run_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    run_id: FromPath[int],
    page: FromQuery[int | None] = None,
) -> Template:
    _staff(me)
    run = await matches.get_run(db_session, me, run_id)
    pager = Pager.of(page)
    props = await matches.list_proposals(
        db_session,
        me,
        run_id,
        lang=lang(request),
        opening_id=None,
        limit=pager.size,
        offset=pager.offset,
    )
    offers = await offer_service.offers_of_run(
        db_session, me, run_id, [p.worker_id for p in props.items]
    )
    left_out = await matches.list_unproposed(
        db_session, me, run_id, lang=lang(request), limit=LEFT_OUT_SHOWN, offset=0
    )
    shown = [p.worker_id for p in props.items] + [u.worker_id for u in left_out.items]
    record(request, me, "console.run.view", shown)
    metrics: list[str] = []
    for row in run.audit.values():
        if isinstance(row, dict):
            metrics += [k for k in row if k not in metrics]
    return render(
        request,
        "console/run.html",
        run=run,
        proposals=props.items,
        offers=offers,
        pager=pager.with_total(props.total),
        metrics=metrics,
        left_out=left_out,
        first=run.audit.get("priority_groups"),  # the policy the run read (None: before 0016)
    )


LEFT_OUT_SHOWN = 200
"""How many of the workers a run left out its page lists (the API pages through them all)."""


@get("/runs/{run_id:int}/status")
async def run_status(
    request: AnyRequest, db_session: DbSession, me: Me, run_id: FromPath[int]
) -> Template:
    """The htmx poll: the status badge while it runs; a full refresh when it is done."""
    _staff(me)
    run = await matches.get_run(db_session, me, run_id)
    page = render(request, "console/_run_status.html", run=run)
    if run.status in ("done", "failed"):
        page.headers["HX-Refresh"] = "true"
    return page


# --- offers ---


@get("/offers")
async def offers_list(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    status: FromQuery[str | None] = "pending",
    page: FromQuery[int | None] = None,
) -> Template:
    _staff(me)
    pager = Pager.of(page)
    rows, total = await offer_service.list_offers(
        db_session, me, status=_opt(status), limit=pager.size, offset=pager.offset
    )
    return render(
        request,
        "console/offers.html",
        offers=rows,
        pager=pager.with_total(total),
        f={"status": status or ""},
    )


def _back(form: Any, default: str) -> str:
    return safe_next(str(form.get("next", ""))) or default


@post("/offers/{offer_id:int}/{action:str}", status_code=200)
async def offer_action(
    request: AnyRequest,
    db_session: DbSession,
    ctx: Ctx,
    me: Me,
    offer_id: FromPath[int],
    action: FromPath[str],
) -> Response[Any]:
    form = await request.form()
    back = _back(form, "/employer/candidates" if me.is_employer else "/offers")
    if action in ("accept", "decline"):
        await offer_service.respond_as_staff(db_session, me, offer_id, accept=action == "accept")
        done = "accepted" if action == "accept" else "declined"
    elif action == "confirm":
        placement = await offer_service.confirm(db_session, ctx, me, offer_id)
        if not me.is_employer:
            return see_other(f"/placements/{placement.id}", done="confirmed")
        done = "confirmed"
    else:
        from matching.lib.errors import NotFound

        raise NotFound(msg("no action {action!r}"), action=action)
    sep = "&" if "?" in back else "?"
    return see_other(f"{back}{sep}done={done}")


# --- placements and follow-ups ---


@get("/placements")
async def placements_list(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    status: FromQuery[str | None] = "active",
    page: FromQuery[int | None] = None,
) -> Template:
    pager = Pager.of(page)
    rows, total = await placements.list_placements(
        db_session, me, status=_opt(status), limit=pager.size, offset=pager.offset
    )
    return render(
        request,
        "console/placements.html",
        placements=rows,
        pager=pager.with_total(total),
        f={"status": status or ""},
    )


# a placement's own page (its end, check-ins and cases) is in web/aftercare.py


@get("/followups")
async def followups(
    request: AnyRequest, db_session: DbSession, me: Me, start: FromQuery[str | None] = None
) -> Template:
    """A month-sized calendar of follow-ups due (回访), overdue ones first."""
    _staff(me)
    today = clock.today()
    try:
        first = dt.date.fromisoformat(start) if start else today
    except ValueError:
        first = today
    if not clock.plausible(first):  # a calendar near 0001 or 9999 overflows its own weeks
        raise Invalid("start", clock.OUT_OF_RANGE)
    first = first - dt.timedelta(days=first.weekday())  # weeks start on Monday
    end = first + dt.timedelta(days=35)
    rows = await placements.followups_between(db_session, me, first, end)
    by_day: dict[dt.date, list[placements.DueFollowUp]] = {}
    overdue = [r for r in rows if r.due_on < first]
    for r in rows:
        if r.due_on >= first:
            by_day.setdefault(r.due_on, []).append(r)
    weeks = [[first + dt.timedelta(days=7 * w + d) for d in range(7)] for w in range(5)]
    return render(
        request,
        "console/followups.html",
        weeks=weeks,
        by_day=by_day,
        overdue=overdue,
        today=today,
        prev=(first - dt.timedelta(days=28)).isoformat(),
        next_=(first + dt.timedelta(days=28)).isoformat(),
        end=end.isoformat(),
    )


# --- cases ---

CASE_COLUMNS = ("open", "mediating", "escalated", "resolved", "closed")


@get("/cases")
async def cases_board(request: AnyRequest, db_session: DbSession, me: Me) -> Template:
    _staff(me)
    columns = []
    for status in CASE_COLUMNS:
        page = await case_service.list_cases(
            db_session, me, status=status, office_id=None, worker_id=None, limit=20, offset=0
        )
        columns.append((status, page.items, page.total))
    names = await profiles.worker_names(
        db_session, [c.worker_id for _, items, _ in columns for c in items]
    )
    return render(request, "console/cases.html", columns=columns, names=names)


async def case_view(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    case_id: FromPath[int],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    v: dict[str, str] | None = None,
) -> Template:
    case = await case_service.get_case(db_session, me, case_id)
    names = await profiles.worker_names(db_session, [case.worker_id])
    return render(
        request,
        "console/case.html",
        status_code=status_code,
        c=case,
        authors=await _authors(request, db_session, [e.who for e in case.log]),
        worker_name=names.get(case.worker_id, ""),
        next_statuses=case_service.NEXT.get(case.status, ()),
        outcomes=("upheld", "partly_upheld", "not_upheld", "withdrawn_by_worker", "referred"),
        actions=("note", "call", "visit", "mediation", "employer_contact"),
        errors=errors or {},
        v=v or {},
    )


async def _authors(request: AnyRequest, db_session: DbSession, whos: list[str]) -> dict[str, str]:
    """A log entry's author (``staff:2``, ``worker:checkin``) as a reader says it: a username,
    or "she, at a check-in"."""
    ids = {w: int(w.split(":", 1)[1]) for w in whos if w.split(":", 1)[-1].isdigit()}
    names = await network.account_names(db_session, list(ids.values()))
    out = {w: names.get(i, w) for w, i in ids.items()}
    for w in whos:
        if w.startswith("worker:"):
            out[w] = t(request, "she herself, at a check-in")
    return out


@get("/cases/{case_id:int}")
async def case_page(
    request: AnyRequest, db_session: DbSession, me: Me, case_id: FromPath[int]
) -> Template:
    _staff(me)
    return await case_view(request, db_session, me, case_id)


@post("/cases/{case_id:int}/entries", status_code=200)
async def case_entry(
    request: AnyRequest, db_session: DbSession, me: Me, case_id: FromPath[int]
) -> Response[Any]:
    _staff(me)
    form = await request.form()
    try:
        data = forms.struct(form, case_service.EntryCreate)
        await case_service.add_entry(db_session, me, case_id, data)
    except forms.FormErrors as exc:
        errs = {k: say(request, v) for k, v in exc.errors.items()}
        return await case_view(request, db_session, me, case_id, errs, 422)
    return see_other(f"/cases/{case_id}", done="saved")


@post("/cases/{case_id:int}/status", status_code=200)
async def case_status(
    request: AnyRequest, db_session: DbSession, me: Me, case_id: FromPath[int]
) -> Response[Any]:
    _staff(me)
    form = await request.form()
    try:
        data = forms.struct(form, case_service.StatusChange, ints=("version",))
        await case_service.change_status(db_session, me, case_id, data)
    except forms.FormErrors as exc:
        errs = {k: say(request, v) for k, v in exc.errors.items()}
        return await case_view(request, db_session, me, case_id, errs, 422)
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        await db_session.rollback()
        return await case_view(request, db_session, me, case_id, field_errors(request, exc), 422)
    return see_other(f"/cases/{case_id}", done="saved")


ROUTES = [
    dashboard,
    workers,
    worker_new,
    worker_create,
    worker_page,
    worker_erase_confirm,
    worker_erase,
    worker_consent,
    worker_export,
    openings_list,
    opening_new,
    opening_create,
    runs,
    run_now,
    run_page,
    run_status,
    offers_list,
    offer_action,
    placements_list,
    followups,
    cases_board,
    case_page,
    case_entry,
    case_status,
]
