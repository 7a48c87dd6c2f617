"""The console past the hire (回访、维权、再就业): a placement's page with its end, its check-ins
by phone or visit and its rights cases; compensation recovered on a case; the offices' tasks.

Each form calls the service the API's route calls (``placements.service.end_placement``,
``followups.record_by_staff``, ``cases.create_case``, ``cases.record_recovery``,
``tasks.finish_task``); this module only reads the form's text into the service's request,
field by field, so every field's problem is shown at once beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, get_args

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from matching.api.deps import DbSession
from matching.lib import clock
from matching.lib.errors import DomainError
from matching.lib.principal import Principal
from matching.lib.types import MAX_ID
from matching.network import service as network
from matching.placements import cases as case_service
from matching.placements import followups
from matching.placements import service as placements
from matching.placements import tasks as task_service
from matching.placements.schemas import EndReason
from matching.profiles import service as profiles
from matching.web import forms, staff
from matching.web.console import Me, Pager, field_errors, lang, render, see_other, t

AnyRequest = Request[Any, Any, Any]
Errors = dict[str, str]

END_REASONS: dict[str, str] = {
    "dismissed": "Dismissed by the employer",
    "quit": "She left of her own accord",
    "completed": "The contract term was completed",
    "contract_violation": "The employer broke the contract",
    "employer_cancelled": "The employer cancelled the hire",
}
"""Every reason the API takes (``EndReason``), as a clerk says it; unknown codes show as is."""
CASE_TYPES: tuple[str, ...] = get_args(case_service.CaseType)
CHANNELS = ("phone", "visit")
TASK_KINDS = {
    "worrying_checkin": "A check-in that worries",
    "checkin_unanswered": "A check-in not answered",
    "case_opened": "A rights case to follow",
}
MAX_NOTE = 1000


def end_reasons() -> list[str]:
    """The reasons the service's request type takes today, in its order."""
    return list(get_args(EndReason))


# --- reading a form, field by field (the training pages read theirs so too) ---


def form_text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name, "")).strip()


def bounded_text(
    form: Mapping[str, Any], name: str, errors: Errors, *, limit: int, required: bool = False
) -> str:
    value = form_text(form, name)
    if required and not value:
        errors[name] = "must not be blank"
    elif len(value) > limit:
        errors[name] = f"at most {limit} characters"
    return value


def whole_number(
    form: Mapping[str, Any], name: str, errors: Errors, *, low: int, high: int, required: bool
) -> int | None:
    raw = form_text(form, name)
    if not raw:
        if required:
            errors[name] = "must not be blank"
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = f"enter a whole number from {low} to {high}"
        return None
    return int(raw)


def chosen_id(form: Mapping[str, Any], name: str, errors: Errors) -> int | None:
    """The id of the record chosen in a select (none chosen: "choose one of the options")."""
    if not form_text(form, name):
        errors[name] = "choose one of the options"
        return None
    return whole_number(form, name, errors, low=1, high=MAX_ID, required=True)


def _yes_no(form: Mapping[str, Any], name: str, errors: Errors, *, na: bool = False) -> Any:
    raw = form_text(form, name)
    if raw in ("yes", "no"):
        return raw == "yes"
    if na and raw == "na":
        return None
    errors[name] = "answer yes or no"
    return None


def choice(form: Mapping[str, Any], name: str, allowed: Any, errors: Errors) -> str:
    raw = form_text(form, name)
    if raw not in allowed:
        errors[name] = "choose one of the options"
    return raw


def say(request: AnyRequest, errors: Errors) -> Errors:
    """Our messages in the page's language (the numbers put in after translation)."""
    out: Errors = {}
    for field, message in errors.items():
        if message.startswith("at most "):
            out[field] = t(request, "at most %(n)s characters", n=message.split()[2])
        elif message.startswith("enter a whole number from "):
            low, high = message.removeprefix("enter a whole number from ").split(" to ")
            out[field] = t(
                request, "enter a whole number from %(low)s to %(high)s", low=low, high=high
            )
        else:
            out[field] = t(request, message)
    return out


async def attempt(
    request: AnyRequest, db_session: DbSession, call: Callable[[], Awaitable[Any]]
) -> Errors:
    """Run the service; a refusal (not a 403/404, which are the error page) rolls back and
    comes back as errors beside the fields it names."""
    try:
        await call()
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        await db_session.rollback()  # a refused form writes nothing
        return field_errors(request, exc)
    return {}


async def attempt_beside(
    request: AnyRequest, db_session: DbSession, call: Callable[[], Awaitable[Any]], errors: Errors
) -> Errors:
    """``attempt`` even beside the form's own ``errors`` (the fields they name given harmless
    stand-ins), so the service's checks of the other fields show at once too; with any error,
    nothing is kept. The form's errors in the page's language, and the service's."""
    shown = await attempt(request, db_session, call)
    if errors and not shown:
        await db_session.rollback()  # the service took the stand-ins: keep none of it
    return shown | say(request, errors)


# --- a placement's page ---


def _checkin_summary(request: AnyRequest, fu: Any) -> str:
    """A case opened from a check-in starts from what she said there."""
    a = fu.answers or {}
    said = []
    if a.get("wages_on_time") is False:
        said.append(t(request, "wages not paid on time"))
    if a.get("hours_as_agreed") is False:
        said.append(t(request, "hours not as agreed"))
    if a.get("housing_as_promised") is False:
        said.append(t(request, "housing not as promised"))
    if a.get("problem"):
        said.append(str(a["problem"]))
    head = t(request, "Day-%(n)s check-in", n=followups.DAYS_OF.get(fu.n, fu.n))
    colon, semicolon = ("：", "；") if lang(request) == "zh" else (": ", "; ")
    return head + colon + semicolon.join(said) if said else head


def _case_type_of(answers: dict[str, Any]) -> str:
    """The kind of case her answers point to first."""
    for question, case_type in (
        ("wages_on_time", "wage_arrears"),
        ("hours_as_agreed", "unpaid_overtime"),
        ("housing_as_promised", "housing"),
    ):
        if answers.get(question) is False:
            return case_type
    return "other"


async def _placement_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    placement_id: int,
    *,
    errors: Errors | None = None,
    v: dict[str, str] | None = None,
    form: str = "",
    status_code: int = 200,
) -> Template:
    p = await placements.get_placement(db_session, me, placement_id)
    names = await placements.placement_names(db_session, me, placement_id)
    cases: list[Any] = []
    if not me.is_employer:
        found = await case_service.list_cases(
            db_session, me, status=None, office_id=None, worker_id=p.worker_id, limit=100, offset=0
        )
        cases = [c for c in found.items if c.placement_id == p.id]
    values = dict(v or {})
    checkin = request.query_params.get("checkin")
    if not form and checkin and checkin.isdigit():  # "open a case from this check-in"
        fu = next((f for f in p.follow_ups if f.n == int(checkin) and f.answers), None)
        if fu is not None:
            values["summary"] = _checkin_summary(request, fu)
            values["type"] = _case_type_of(fu.answers or {})
    return render(
        request,
        "console/placement.html",
        status_code=status_code,
        p=p,
        names=names,
        cases=cases,
        open_follow_ups=[f for f in p.follow_ups if f.status != "done"],
        end_reasons=end_reasons(),
        end_labels=END_REASONS,
        case_types=CASE_TYPES,
        channels=CHANNELS,
        days=followups.DAYS_OF,
        today=clock.today().isoformat(),
        v=values,
        errors=errors or {},
        form=form,
    )


@get("/placements/{placement_id:int}")
async def placement_page(
    request: AnyRequest, db_session: DbSession, me: Me, placement_id: FromPath[int]
) -> Template:
    return await _placement_page(request, db_session, me, placement_id)


@post("/placements/{placement_id:int}/end", status_code=200)
async def placement_end(
    request: AnyRequest, db_session: DbSession, me: Me, placement_id: FromPath[int]
) -> Response[Any]:
    """End a placement, with the reason (``POST /api/v1/placements/{id}/end``)."""
    me.require("admin", "staff")
    form = await request.form()
    errors: Errors = {}
    reason = choice(form, "reason", end_reasons(), errors)
    note = bounded_text(form, "note", errors, limit=MAX_NOTE)
    ended_on = forms.form_date(form, "ended_on", errors, required=False)
    shown = say(request, errors)
    if not errors:
        shown = await attempt(
            request,
            db_session,
            lambda: placements.end_placement(
                db_session, me, placement_id, reason, note or None, ended_on
            ),
        )
        if not shown:
            return see_other(f"/placements/{placement_id}", done="placement_ended")
    return await _placement_page(
        request,
        db_session,
        me,
        placement_id,
        errors=shown,
        v=forms.values(form),
        form="end",
        status_code=422,
    )


@post("/placements/{placement_id:int}/checkins", status_code=200)
async def placement_checkin(
    request: AnyRequest, db_session: DbSession, me: Me, placement_id: FromPath[int]
) -> Response[Any]:
    """A check-in by phone or visit with her answers
    (``POST /api/v1/placements/{id}/follow-ups/{n}``)."""
    me.require("admin", "staff")
    form = await request.form()
    errors: Errors = {}
    n = whole_number(form, "n", errors, low=1, high=len(followups.DAYS_OF), required=True)
    data = {
        "channel": choice(form, "channel", CHANNELS, errors),
        "wages_on_time": _yes_no(form, "wages_on_time", errors),
        "hours_as_agreed": _yes_no(form, "hours_as_agreed", errors),
        "housing_as_promised": _yes_no(form, "housing_as_promised", errors, na=True),
        "wage_paid": whole_number(form, "wage_paid", errors, low=0, high=1_000_000, required=False),
        "problem": bounded_text(form, "problem", errors, limit=MAX_NOTE),
        "note": bounded_text(form, "note", errors, limit=MAX_NOTE),
    }
    shown = say(request, errors)
    if not errors and n is not None:
        checkin = msgspec.convert(data, followups.StaffCheckin)
        shown = await attempt(
            request,
            db_session,
            lambda: followups.record_by_staff(db_session, me, placement_id, n, checkin),
        )
        if not shown:
            return see_other(f"/placements/{placement_id}", done="checkin_recorded")
    return await _placement_page(
        request,
        db_session,
        me,
        placement_id,
        errors=shown,
        v=forms.values(form),
        form="checkin",
        status_code=422,
    )


@post("/placements/{placement_id:int}/cases", status_code=200)
async def placement_case(
    request: AnyRequest, db_session: DbSession, me: Me, placement_id: FromPath[int]
) -> Response[Any]:
    """Open a rights case on this placement (``POST /api/v1/cases``)."""
    me.require("admin", "staff")
    await placements.get_placement(db_session, me, placement_id)  # hers to see, or 404
    form = await request.form()
    errors: Errors = {}
    case_type = choice(form, "type", CASE_TYPES, errors)
    summary = bounded_text(form, "summary", errors, limit=2000, required=True)
    claimed = whole_number(form, "money_claimed", errors, low=0, high=1_000_000, required=False)
    shown = say(request, errors)
    opened: list[int] = []
    if not errors:

        async def create() -> None:
            body = {"placement_id": placement_id, "type": case_type, "summary": summary}
            data = msgspec.convert(body | {"money_claimed": claimed or 0}, case_service.CaseCreate)
            opened.append((await case_service.create_case(db_session, me, data)).id)

        shown = await attempt(request, db_session, create)
        if not shown:
            return see_other(f"/cases/{opened[0]}", done="case_opened")
    return await _placement_page(
        request,
        db_session,
        me,
        placement_id,
        errors=shown,
        v=forms.values(form),
        form="case",
        status_code=422,
    )


# --- a case: compensation recovered ---


@post("/cases/{case_id:int}/recovered", status_code=200)
async def case_recovered(
    request: AnyRequest, db_session: DbSession, me: Me, case_id: FromPath[int]
) -> Response[Any]:
    """Compensation recovered for her (``POST /api/v1/cases/{id}/recovered``)."""
    me.require("admin", "staff")
    form = await request.form()
    errors: Errors = {}
    amount = whole_number(form, "amount", errors, low=1, high=10_000_000, required=True)
    note = bounded_text(form, "recovered_note", errors, limit=2000, required=True)
    shown = say(request, errors)
    if not errors and amount is not None:
        data = case_service.Recovery(amount=amount, note=note)
        shown = await attempt(
            request, db_session, lambda: case_service.record_recovery(db_session, me, case_id, data)
        )
        # the service names its note "note"; on this page that field is "recovered_note"
        if "note" in shown:
            shown["recovered_note"] = shown.pop("note")
        if not shown:
            return see_other(f"/cases/{case_id}", done="recovered")
    return await staff.case_view(request, db_session, me, case_id, shown, 422, v=forms.values(form))


# --- the offices' tasks ---


async def _tasks_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    status: str,
    office: str,
    page: int | None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Template:
    pager = Pager.of(page)
    office_id = int(office) if office.isdigit() else None
    found = await task_service.list_tasks(
        db_session,
        me,
        status=status or None,
        office_id=office_id,
        limit=pager.size,
        offset=pager.offset,
    )
    offices = (await network.list_offices(db_session, me)).items
    return render(
        request,
        "console/tasks.html",
        status_code=status_code,
        tasks=found.items,
        names=await profiles.worker_names(db_session, [x.worker_id for x in found.items]),
        offices=offices,
        office_names={o.id: f"{o.name}（{o.city}）" for o in offices},
        kinds=TASK_KINDS,
        pager=pager.with_total(found.total),
        f={"status": status, "office": office},
        errors=errors or {},
    )


@get("/tasks")
async def tasks_list(
    request: AnyRequest,
    db_session: DbSession,
    me: Me,
    status: FromQuery[str | None] = "open",
    office: FromQuery[str | None] = None,
    page: FromQuery[int | None] = None,
) -> Template:
    """The tasks of an office (待办): worrying or unanswered check-ins, cases to follow."""
    me.require("admin", "staff")
    if office is None and me.office_id is not None:
        office = str(me.office_id)  # a clerk of an office sees hers first
    status = status if status in ("open", "done") else ""
    return await _tasks_page(request, db_session, me, status, office or "", page)


@post("/tasks/{task_id:int}/done", status_code=200)
async def task_done(
    request: AnyRequest, db_session: DbSession, me: Me, task_id: FromPath[int]
) -> Response[Any]:
    me.require("admin", "staff")
    form = await request.form()
    errors: Errors = {}
    note = bounded_text(form, "note", errors, limit=MAX_NOTE)
    shown = say(request, errors)
    if not errors:
        shown = await attempt(
            request, db_session, lambda: task_service.finish_task(db_session, me, task_id, note)
        )
        if not shown:
            return see_other("/tasks", done="task_done")
    shown = {f"{k}-{task_id}": v for k, v in shown.items()}
    return await _tasks_page(request, db_session, me, "open", "", None, shown, 422)


ROUTES = [
    placement_page,
    placement_end,
    placement_checkin,
    placement_case,
    case_recovered,
    tasks_list,
    task_done,
]
