"""Her copy of everything held about her (PIPL arts. 45, 47) and the audit log of who read
her data (art. 51). Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import FieldErrors, NotFound, msg
from matching.lib.principal import Principal, visible
from matching.privacy import repository as repo
from matching.privacy.schemas import AccessEntry, AccessPage, WorkerExport


async def export_worker(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    worker_id: int,
    *,
    action: str,
    request_id: str | None,
) -> WorkerExport:
    """Everything held about her, logged (``action``) in the same transaction: admins, or
    staff of her agency; another agency's worker is not found, an employer is refused."""
    where = visible(
        principal,
        agency=m.WorkerProfile.__table__.c.agency_id,
        denied="only agency staff and admins may export a worker's data",
    )
    if await repo.worker_agency(session, worker_id, where) is None:
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    now = clock.now()
    await repo.append(
        session,
        {
            "at": now,
            "actor_id": principal.account_id or None,
            "action": action,
            "worker_id": worker_id,
            "request_id": request_id,
            "detail": None,
        },
    )
    found = await repo.everything_about(session, worker_id)
    worker = found.pop("worker")[0]
    enc = await repo.encrypted_id_number(session, worker_id)
    worker["id_number"] = ctx.keys.decrypt(enc) if enc else None
    worker.pop("id_number_masked", None)
    return WorkerExport(exported_at=now, worker=worker, fees=_fees(found), **found)


def _fees(found: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each fee charged to her, placement by placement and course by course."""
    fees = [
        {
            "for": "placement",
            "placement_id": p["id"],
            "employer_name": p["employer_name"],
            "fee_due": p["fee_due"],
            "fee_waived": p["fee_waived"],
            "fee_schedule_version": p["fee_schedule_version"],
        }
        for p in found["placements"]
    ]
    fees += [
        {
            "for": "training",
            "enrolment_id": e["id"],
            "course_name": e["course_name"],
            "fee_due": e["fee_due"],
            "fee_waived": e["fee_waived"],
        }
        for e in found["training"]
    ]
    return fees


_TICK = dt.timedelta(microseconds=1)


def _moment(errors: FieldErrors, field: str, raw: str | None, *, end: bool) -> dt.datetime | None:
    """A date (the whole day, where the agencies work) or an ISO 8601 time."""
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    try:
        if len(text) == 10:  # a date: from its first moment, to its last
            day = dt.date.fromisoformat(text)
            if not end:
                return clock.local(day).astimezone(dt.UTC)
            return (clock.local(day + dt.timedelta(days=1)) - _TICK).astimezone(dt.UTC)
        return clock.local(dt.datetime.fromisoformat(text)).astimezone(dt.UTC)
    except ValueError:
        errors.add(
            field, msg("must be a date (2026-12-01) or an ISO 8601 time (2026-12-01T08:00+08:00)")
        )
    except OverflowError:
        errors.add(field, msg("is out of range"))
    return None


async def audit_log(
    session: AsyncSession,
    principal: Principal,
    *,
    worker_id: int | None,
    actor_id: int | None,
    action: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    offset: int,
) -> AccessPage:
    """Who read whose data, newest first (admins only)."""
    principal.require("admin")
    errors = FieldErrors()
    start = _moment(errors, "from", since, end=False)
    stop = _moment(errors, "to", until, end=True)
    if start is not None and stop is not None and stop < start:
        errors.add("to", msg("is before from"))
    if action is not None and action not in m.ACCESS_ACTIONS:
        errors.add("action", msg("must be one of {choices}"), choices=", ".join(m.ACCESS_ACTIONS))
    errors.raise_if_any()
    flt = repo.AccessFilter(worker_id, actor_id, action, start, stop)
    rows, total = await repo.entries(session, flt, limit=limit, offset=offset)
    return AccessPage(
        items=[
            AccessEntry(
                at=r.at,
                actor_id=r.actor_id,
                action=r.action,
                worker_id=r.worker_id,
                detail=r.detail,
                request_id=r.request_id,
            )
            for r in rows
        ],
        total=total,
    )
