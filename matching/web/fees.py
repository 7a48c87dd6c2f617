"""The fee schedule's page (统一收费): an agency's published versions, and a form that publishes
the next one through ``network.fees.publish_schedule``, as ``POST /agencies/{id}/fee-schedule``
does. Admins choose the agency; staff see their own. A refused form stores nothing and shows
each problem beside its row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Template

from matching.api.deps import DbSession
from matching.lib.errors import DomainError, Invalid
from matching.lib.principal import Principal
from matching.network import fees
from matching.network import service as network
from matching.web import forms
from matching.web.console import Me, field_errors, reader_translate, render, say, see_other

AnyRequest = Request[Any, Any, Any]
_RULE = re.compile(r"^rules\[(\d+)\](?:\.(destination_city|industry|amount))?$")
_FIELD = {"destination_city": "city", "industry": "industry", "amount": "amount", None: "city"}


def _rows_of(schedule: Any) -> dict[str, str]:
    """A version's rules as the form's rows (to start the next version from)."""
    out: dict[str, str] = {}
    for i, r in enumerate(schedule.rules if schedule else []):
        out[f"city_{i}"] = r.destination_city or ""
        out[f"industry_{i}"] = r.industry or ""
        out[f"amount_{i}"] = str(r.amount)
    return out


async def _agency(db_session: DbSession, me: Principal, raw: str | int | None) -> tuple[int, Any]:
    """The agency the page is about, and the agencies an admin may choose from."""
    me.require("admin", "staff")
    agencies = (await network.list_agencies(db_session, me)).items
    if me.is_admin:
        chosen = str(raw or "")
        agency_id = int(chosen) if chosen.isdigit() else (agencies[0].id if agencies else 0)
    else:
        agency_id = int(me.agency_id or 0)
    return agency_id, agencies


async def _page(
    request: AnyRequest,
    db_session: DbSession,
    me: Principal,
    agency_id: int,
    agencies: list[Any],
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    versions = await fees.list_schedules(db_session, me, agency_id) if agency_id else []
    by = [int(w) for v in versions if (w := v.published_by.rsplit(":", 1)[-1]).isdigit()]
    return render(
        request,
        "console/fee_schedule.html",
        status_code=status_code,
        agency_id=agency_id,
        agencies=agencies if me.is_admin else [],
        agency_name=next((a.name for a in agencies if a.id == agency_id), ""),
        versions=versions,
        names=await network.account_names(db_session, by),
        v=dict(values) if values is not None else _rows_of(versions[0] if versions else None),
        rows=forms.FEE_ROWS,
        errors=dict(errors or {}),
    )


@get("/fee-schedule")
async def fee_schedule(
    request: AnyRequest, db_session: DbSession, me: Me, agency: FromQuery[str | None] = None
) -> Template:
    """The agency's fee schedule: every version, and the form for the next."""
    agency_id, agencies = await _agency(db_session, me, agency)
    return await _page(request, db_session, me, agency_id, agencies)


def _service_errors(request: AnyRequest, exc: DomainError, rows: list[int]) -> dict[str, str]:
    """The service's ``rules[k].field`` errors beside the form's row of rule ``k``."""
    if not isinstance(exc, Invalid):
        return field_errors(request, exc)
    out: dict[str, str] = {}
    tr = reader_translate(request)
    for f, m in exc.messages:
        found = _RULE.match(f)
        key = "_form"
        if found and int(found.group(1)) < len(rows):
            key = f"{_FIELD[found.group(2)]}_{rows[int(found.group(1))]}"
        out.setdefault(key, m.render(tr))
    return out


@post("/fee-schedule", status_code=200)
async def fee_schedule_publish(request: AnyRequest, db_session: DbSession, me: Me) -> Response[Any]:
    """Publish the next version; later confirmations are charged by it."""
    form = await request.form()
    agency_id, agencies = await _agency(db_session, me, str(form.get("agency_id", "")))
    try:
        data, rows = forms.fee_schedule(form)
        await fees.publish_schedule(db_session, me, agency_id, data)
    except forms.FormErrors as exc:
        errors = {k: say(request, v) for k, v in exc.errors.items()}
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        await db_session.rollback()  # a refused form writes nothing
        errors = _service_errors(request, exc, rows)
    else:
        return see_other("/fee-schedule", agency=agency_id, done="saved")
    values = forms.values(form)
    return await _page(request, db_session, me, agency_id, agencies, values, errors, 422)


ROUTES = [fee_schedule, fee_schedule_publish]
