"""Editing a worker in the console: every field ``PATCH /api/v1/workers/{id}`` takes (her
consents have their own form on her page), through ``profiles.service.update_worker``.

Only the fields the clerk changed are sent. The form carries the version it was read at and
what it showed (``was``); when someone else changed her meanwhile, nothing is written and the
page lists each field that changed since, what the clerk saw and what it holds now, keeping
what the clerk typed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from matching.api.access import record
from matching.api.deps import Ctx, DbSession
from matching.lib.errors import Conflict, DomainError
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.network import policy
from matching.offers import service as offer_service
from matching.openings import service as openings
from matching.openings.schemas import OpeningOut, OpeningPatch
from matching.placements import service as placements
from matching.profiles import service as profiles
from matching.profiles.schemas import Worker, WorkerPatch
from matching.web.aftercare import say
from matching.web.console import Me, field_errors, render, see_other, t

AnyRequest = Request[Any, Any, Any]
LABELS = {
    "name": "Name",
    "phone": "Mobile phone",
    "birth_date": "Birth date",
    "home_county": "Home county",
    "sex": "Sex",
    "skills": "Skills and levels (1–5)",
    "priority_groups": "Priority groups",
    "willing_to_relocate": "Willing to work away from home",
    "needs_housing": "Needs housing",
    "preferred_cities": "Preferred cities",
    "min_monthly_wage": "Lowest acceptable monthly wage (yuan)",
    "available_from": "Available from",
    "locale": "Language of her notices",
}
_LENGTH = re.compile(r"length <= (\d+)")


def _assignable() -> list[str]:
    return [g.code for g in reference().groups if g.assignable]


def shown(w: Worker) -> dict[str, str]:
    """Her profile as the edit form's text values."""
    levels = {s.code: s.level for s in w.skills}
    out = {
        "name": w.name,
        "phone": w.phone,
        "birth_date": w.birth_date.isoformat(),
        "home_county": w.home_county,
        "sex": w.sex or "",
        "priority_groups": ",".join(g for g in _assignable() if g in w.priority_groups),
        "willing_to_relocate": "on" if w.willing_to_relocate else "",
        "needs_housing": "on" if w.needs_housing else "",
        "preferred_cities": ", ".join(w.preferred_cities),
        "min_monthly_wage": "" if w.min_monthly_wage is None else str(w.min_monthly_wage),
        "available_from": w.available_from.isoformat() if w.available_from else "",
        "locale": w.locale,
    }
    for code in sorted(reference().skill_codes):
        out[f"skill_{code}"] = str(levels.get(code, 0))
    return out


def _posted(form: Any) -> dict[str, str]:
    """The form's fields in the shape of ``shown``."""
    out = {k: str(form.get(k, "")).strip() for k in shown_keys()}
    for box in ("willing_to_relocate", "needs_housing"):
        out[box] = "on" if out[box] in ("on", "true", "1", "yes") else ""
    groups = [str(g) for g in form.getall("priority_groups", [])]
    # in the reference's order; a crafted code stays, for the service to refuse
    ordered = [g for g in _assignable() if g in groups] + [
        g for g in groups if g not in _assignable()
    ]
    out["priority_groups"] = ",".join(ordered)
    for code in sorted(reference().skill_codes):
        out[f"skill_{code}"] = out[f"skill_{code}"] or "0"
    return out


def shown_keys() -> list[str]:
    return [
        "name",
        "phone",
        "birth_date",
        "home_county",
        "sex",
        "priority_groups",
        "willing_to_relocate",
        "needs_housing",
        "preferred_cities",
        "min_monthly_wage",
        "available_from",
        "locale",
        *(f"skill_{c}" for c in sorted(reference().skill_codes)),
    ]


def _field(key: str) -> str:
    return "skills" if key.startswith("skill_") else key


def _date(raw: str, name: str, errors: dict[str, str]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "enter a date as YYYY-MM-DD"
        return None


def check_each(patch: Mapping[str, Any], errors: dict[str, str], type_: type[Any]) -> None:
    """Each field of a PATCH body against the API's own versioned type, on its own, so that
    every wrong one is named at once (a field already refused keeps its first error)."""
    for f, value in patch.items():
        if f in errors:
            continue
        try:
            msgspec.convert({"version": 1, f: value}, type_)
        except msgspec.ValidationError as exc:
            found = _LENGTH.search(str(exc))
            errors[f] = f"at most {found.group(1)} characters" if found else "is not valid"


def changes(
    before: dict[str, str], after: dict[str, str], id_number: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The PATCH body of what the clerk changed, and each field's problem (all at once)."""
    errors: dict[str, str] = {}
    patch: dict[str, Any] = {}
    fields = {_field(k) for k in after if after[k] != before.get(k)}
    for f in ("name", "phone", "home_county"):
        if f in fields:
            patch[f] = after[f]
            if not after[f]:
                errors[f] = "must not be blank"
    if "birth_date" in fields:
        patch["birth_date"] = _date(after["birth_date"], "birth_date", errors)
        if patch["birth_date"] is None:
            errors.setdefault("birth_date", "must not be blank")
    if "sex" in fields:
        patch["sex"] = after["sex"] or None
    if "locale" in fields:
        patch["locale"] = after["locale"]
    if "skills" in fields:
        skills = []
        for code in sorted(reference().skill_codes):
            raw = after[f"skill_{code}"]
            if not raw.isdigit() or int(raw) > 5:
                errors["skills"] = "choose a level from 1 to 5, or none"
            elif int(raw) > 0:
                skills.append({"code": code, "level": int(raw)})
        patch["skills"] = skills
    if "priority_groups" in fields:
        patch["priority_groups"] = [g for g in after["priority_groups"].split(",") if g]
    for box in ("willing_to_relocate", "needs_housing"):
        if box in fields:
            patch[box] = after[box] == "on"
    if "preferred_cities" in fields:
        patch["preferred_cities"] = [
            c for c in re.split(r"[,，、\s]+", after["preferred_cities"]) if c
        ]
    if "min_monthly_wage" in fields:
        raw = after["min_monthly_wage"]
        if raw and not raw.isdigit():
            errors["min_monthly_wage"] = "enter a whole number"
        patch["min_monthly_wage"] = int(raw) if raw.isdigit() else None
    if "available_from" in fields:
        patch["available_from"] = _date(after["available_from"], "available_from", errors)
    if id_number:
        patch["id_number"] = id_number
    check_each(patch, errors, WorkerPatch)
    return patch, errors


def stale_fields(
    request: AnyRequest,
    before: Mapping[str, str],
    now: Mapping[str, str],
    labels: Mapping[str, str],
    skills_field: str,
) -> list[tuple[str, str, str]]:
    """Each field someone else changed since a form was read: (label, then, now). The keys are
    ``now``'s; a ``skill_<code>`` key belongs to ``skills_field``, shown as the skill list."""
    rows: dict[str, tuple[str, str, str]] = {}
    for k in now:
        if before.get(k, "") != now.get(k, ""):
            if k.startswith("skill_"):
                f, then_, now_ = skills_field, _skill_text(before), _skill_text(now)
            else:
                f, then_, now_ = k, before.get(k, ""), now.get(k, "")
            rows[f] = (t(request, labels[f]), then_ or "—", now_ or "—")
    return list(rows.values())


def rebased(
    before: Mapping[str, str], after: Mapping[str, str], now: Mapping[str, str]
) -> dict[str, str]:
    """What a stale form shows again: each field the clerk changed as she typed it, and each
    field she left as she read it at its value now, so that saving it again sends her changes
    and does not put back what a colleague changed meanwhile."""
    return {
        k: now[k] if k in now and k in before and typed == before[k] else typed
        for k, typed in after.items()
    }


def _stale(
    before: dict[str, str], now: dict[str, str], request: AnyRequest
) -> list[tuple[str, str, str]]:
    return stale_fields(request, before, now, LABELS, "skills")


def _skill_text(values: Mapping[str, str]) -> str:
    return "、".join(
        f"{reference().skill(c).zh} {values.get(f'skill_{c}')}"
        for c in sorted(reference().skill_codes)
        if values.get(f"skill_{c}", "0") not in ("0", "")
    )


async def _page(
    request: AnyRequest,
    db_session: DbSession,
    w: Worker,
    v: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    stale: list[tuple[str, str, str]] | None = None,
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "console/worker_form.html",
        status_code=status_code,
        w=w,
        v=v,
        was=json.dumps(shown(w), ensure_ascii=False),
        errors=errors or {},
        stale=stale,
        groups=[g for g in reference().groups if g.assignable],
        first=await policy.priority_codes(db_session),  # placed first; the rest recorded only
        agencies=[],
    )


@get("/workers/{worker_id:int}/edit")
async def worker_edit(
    request: AnyRequest, db_session: DbSession, me: Me, worker_id: FromPath[int]
) -> Template:
    me.require("admin", "staff")
    w = await profiles.get_worker(db_session, me, worker_id)
    return await _page(request, db_session, w, shown(w))


def was_of(form: Mapping[str, Any]) -> dict[str, str]:
    """What a form showed when it was read (its ``was`` field, JSON), to send only changes."""
    try:
        was = json.loads(str(form.get("was", "")))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in was.items()} if isinstance(was, dict) else {}


def shown_then(form: Mapping[str, Any], now: Mapping[str, str]) -> dict[str, str]:
    """What a form showed of each of ``now``'s fields when it was read (``now``'s value where
    its ``was`` does not say)."""
    was = was_of(form)
    return {k: was.get(k, v) for k, v in now.items()}


async def _save(
    request: AnyRequest, db_session: DbSession, ctx: Any, me: Principal, worker_id: int
) -> Response[Any]:
    form = await request.form()
    current = await profiles.get_worker(db_session, me, worker_id)
    after = _posted(form)
    before = was_of(form) or shown(current)
    version = str(form.get("version", ""))
    if not version.isdigit() or int(version) != current.version:
        stale = _stale(before, shown(current), request)
        again = rebased(before, after, shown(current))
        return await _page(request, db_session, current, again, stale=stale, status_code=409)
    patch, errors = changes(before, after, str(form.get("id_number", "")).strip())
    shown_errors = say(request, errors)
    if not patch:
        return see_other(f"/workers/{worker_id}", done="saved")
    # The fields that parsed go to the service even when others did not, so that its own
    # checks (phone, ID number, groups) show at once too; then nothing is kept.
    body = {"version": current.version, **{k: v for k, v in patch.items() if k not in errors}}
    try:
        await profiles.update_worker(
            db_session, ctx, me, worker_id, msgspec.convert(body, WorkerPatch)
        )
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        await db_session.rollback()  # a refused form writes nothing
        if isinstance(exc, Conflict) and exc.extra.get("field") == "version":
            fresh = await profiles.get_worker(db_session, me, worker_id)  # a moment ago
            stale = _stale(before, shown(fresh), request)
            again = rebased(before, after, shown(fresh))
            return await _page(request, db_session, fresh, again, stale=stale, status_code=409)
        shown_errors = field_errors(request, exc) | shown_errors
    else:
        if not errors:
            return see_other(f"/workers/{worker_id}", done="saved")
        await db_session.rollback()
    return await _page(request, db_session, current, after, errors=shown_errors, status_code=422)


@post("/workers/{worker_id:int}/edit", status_code=200)
async def worker_update(
    request: AnyRequest, db_session: DbSession, ctx: Ctx, me: Me, worker_id: FromPath[int]
) -> Response[Any]:
    me.require("admin", "staff")
    return await _save(request, db_session, ctx, me, worker_id)


ROUTES = [worker_edit, worker_update]


# --- an opening: its page (candidates, placements), editing, closing -------------------------

OPENING_TEXT = ("title", "city", "county")
OPENING_NUMBERS = ("headcount", "monthly_wage_min", "monthly_wage_max")
OPENING_STALE = (
    "Someone else changed this opening after you opened the form; reload it and try again."
)
OPENING_LABELS = {
    "title": "Title",
    "city": "City",
    "county": "County (for local work)",
    "headcount": "Headcount",
    "monthly_wage_min": "Lowest monthly wage (yuan)",
    "monthly_wage_max": "Highest monthly wage (yuan)",
    "housing_provided": "Housing provided",
    "start_date": "Start date",
    "required_skills": "Required skills and lowest level",
}


def opening_shown(o: OpeningOut) -> dict[str, str]:
    """An opening as its edit form's text values."""
    levels = {s.code: s.min_level for s in o.required_skills}
    out = {
        "title": o.title,
        "city": o.city,
        "county": o.county or "",
        "headcount": str(o.headcount),
        "monthly_wage_min": str(o.monthly_wage_min),
        "monthly_wage_max": str(o.monthly_wage_max),
        "housing_provided": "on" if o.housing_provided else "",
        "start_date": o.start_date.isoformat(),
    }
    for code in sorted(reference().skill_codes):
        out[f"skill_{code}"] = str(levels.get(code, 0))
    return out


def opening_changes(
    before: dict[str, str], form: Any
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The PATCH body of what changed, every field's problem, and the form's values."""
    after = {k: str(form.get(k, "")).strip() for k in before}
    after["housing_provided"] = "on" if after["housing_provided"] in ("on", "true", "1") else ""
    errors: dict[str, str] = {}
    patch: dict[str, Any] = {}
    changed = {k for k in after if after[k] != before[k]}
    for f in OPENING_TEXT:
        if f in changed:
            patch[f] = after[f] or None if f == "county" else after[f]
            if f != "county" and not after[f]:
                errors[f] = "must not be blank"
    for f in OPENING_NUMBERS:
        if f in changed:
            if not after[f].isdigit():
                errors[f] = "enter a whole number"
            else:
                patch[f] = int(after[f])
    if "housing_provided" in changed:
        patch["housing_provided"] = after["housing_provided"] == "on"
    if "start_date" in changed:
        patch["start_date"] = _date(after["start_date"], "start_date", errors)
        if patch["start_date"] is None:
            errors.setdefault("start_date", "must not be blank")
    if any(k.startswith("skill_") for k in changed):
        skills = []
        for code in sorted(reference().skill_codes):
            raw = after[f"skill_{code}"] or "0"
            if not raw.isdigit() or int(raw) > 5:
                errors["required_skills"] = "choose a level from 1 to 5, or none"
            elif int(raw) > 0:
                skills.append({"code": code, "min_level": int(raw)})
        patch["required_skills"] = skills
    check_each(patch, errors, OpeningPatch)
    return {k: v for k, v in patch.items() if k not in errors}, errors, after


async def _opening_page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    opening_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    o = await openings.get_opening(db_session, me, opening_id)
    offers: list[Any] = []
    if not me.is_employer:
        offers, _ = await offer_service.list_offers(
            db_session, me, status=None, opening_id=opening_id, limit=100, offset=0
        )
    placed, _ = await placements.list_placements(
        db_session, me, status=None, opening_id=opening_id, limit=100, offset=0
    )
    record(request, me, "console.opening.view", sorted({x.worker_id for x in offers}))
    return render(
        request,
        "console/opening.html",
        status_code=status_code,
        o=o,
        offers=offers,
        placements=placed,
        errors=errors or {},
    )


@get("/openings/{opening_id:int}")
async def opening_page(
    request: AnyRequest, db_session: DbSession, me: Me, opening_id: FromPath[int]
) -> Template:
    """An opening with its candidates (offers) and placements."""
    return await _opening_page(request, db_session, me, opening_id)


def _opening_form(
    request: AnyRequest,
    o: OpeningOut,
    v: dict[str, str],
    errors: dict[str, str],
    code: int,
    stale: list[tuple[str, str, str]] | None = None,
) -> Template:
    return render(
        request,
        "console/opening_form.html",
        status_code=code,
        o=o,
        v=v,
        was=json.dumps(opening_shown(o), ensure_ascii=False),
        errors=errors,
        stale=stale,
        employers=[],
    )


@get("/openings/{opening_id:int}/edit")
async def opening_edit(
    request: AnyRequest, db_session: DbSession, me: Me, opening_id: FromPath[int]
) -> Template:
    o = await openings.get_opening(db_session, me, opening_id)
    return _opening_form(request, o, opening_shown(o), {}, 200)


async def _patch_opening(
    request: AnyRequest, db_session: DbSession, me: Principal, opening_id: int, body: dict[str, Any]
) -> dict[str, str]:
    """``openings.service.update_opening``; its refusal as errors beside the fields."""
    try:
        await openings.update_opening(
            db_session, me, opening_id, msgspec.convert(body, OpeningPatch)
        )
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        await db_session.rollback()  # a refused form writes nothing
        if isinstance(exc, Conflict) and exc.extra.get("field") == "version":
            return {"version": t(request, OPENING_STALE)}
        return field_errors(request, exc)
    return {}


@post("/openings/{opening_id:int}/edit", status_code=200)
async def opening_update(
    request: AnyRequest, db_session: DbSession, me: Me, opening_id: FromPath[int]
) -> Response[Any]:
    """Edit an opening (``PATCH /api/v1/openings/{id}``): only what changed is sent."""
    form = await request.form()
    o = await openings.get_opening(db_session, me, opening_id)
    version = str(form.get("version", ""))
    now = opening_shown(o)
    # what the form showed: only what the clerk changed is sent, and a stale form lists the rest
    before = shown_then(form, now)
    patch, errors, after = opening_changes(before, form)
    if version.isdigit() and int(version) != o.version:
        stale = stale_fields(request, before, now, OPENING_LABELS, "required_skills")
        return _opening_form(request, o, rebased(before, after, now), {}, 409, stale=stale)
    shown_errors = say(request, errors)
    if not version.isdigit():
        shown_errors["version"] = t(request, "The page was out of date; reload it and try again.")
    elif patch or errors:
        # the parsed fields go to the service even beside bad ones, so its checks show too
        found = await _patch_opening(
            request, db_session, me, opening_id, {"version": int(version), **patch}
        )
        if errors and not found:
            await db_session.rollback()
        shown_errors = found | shown_errors
    if not shown_errors:
        return see_other(f"/openings/{opening_id}", done="saved")
    return _opening_form(request, o, after, shown_errors, 409 if "version" in shown_errors else 422)


@post("/openings/{opening_id:int}/status", status_code=200)
async def opening_status(
    request: AnyRequest, db_session: DbSession, me: Me, opening_id: FromPath[int]
) -> Response[Any]:
    """Close an opening, or open it again (``PATCH`` with ``status``)."""
    form = await request.form()
    version, status = str(form.get("version", "")), str(form.get("status", ""))
    errors: dict[str, str] = {}
    if status not in ("open", "closed"):
        errors["status"] = t(request, "choose one of the options")
    if not version.isdigit() or int(version) < 1:
        errors["version"] = t(request, "The page was out of date; reload it and try again.")
    if not errors:
        body = {"version": int(version), "status": status}
        errors = await _patch_opening(request, db_session, me, opening_id, body)
        if not errors:
            return see_other(f"/openings/{opening_id}", done="saved")
    return await _opening_page(
        request, db_session, me, opening_id, errors, 409 if "version" in errors else 422
    )


ROUTES += [opening_page, opening_edit, opening_update, opening_status]
