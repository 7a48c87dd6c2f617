"""Tasks for the office in her destination city: a worrying check-in, a check-in never
answered, a case to follow. One task per cause (``dedupe_key``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.errors import Conflict, Invalid, NotFound, msg
from matching.lib.principal import Principal, visible
from matching.lib.types import Response
from matching.network.repository import office_in
from matching.placements import repository as repo

TASK_KINDS = ("worrying_checkin", "checkin_unanswered", "case_opened")


class TaskOut(Response):
    id: int
    kind: str
    status: str
    agency_id: int
    office_id: int | None
    worker_id: int
    placement_id: int | None
    case_id: int | None
    summary: str
    created_at: Any
    done_at: Any
    note: str | None


class TaskPage(Response):
    items: list[TaskOut]
    total: int


async def destination_office(session: AsyncSession, agency_id: int, city: str) -> int | None:
    """Her agency's office in the city she works in (办事处), if it has one there."""
    found = await office_in(session, agency_id, city)
    return None if found is None else found[0]


async def open_task(
    session: AsyncSession,
    *,
    kind: str,
    dedupe_key: str,
    placement: m.Placement,
    city: str,
    summary: str,
    follow_up_id: int | None = None,
    case_id: int | None = None,
) -> None:
    office_id = await destination_office(session, placement.agency_id, city)
    await repo.add_task_once(
        session,
        {
            "kind": kind,
            "dedupe_key": dedupe_key,
            "agency_id": placement.agency_id,
            "office_id": office_id,
            "worker_id": placement.worker_id,
            "placement_id": placement.id,
            "follow_up_id": follow_up_id,
            "case_id": case_id,
            "summary": summary[:500],
            "status": "open",
            "created_at": clock.now(),
        },
    )


def _out(t: m.Task) -> TaskOut:
    return TaskOut(
        id=t.id,
        kind=t.kind,
        status=t.status,
        agency_id=t.agency_id,
        office_id=t.office_id,
        worker_id=t.worker_id,
        placement_id=t.placement_id,
        case_id=t.case_id,
        summary=t.summary,
        created_at=t.created_at,
        done_at=t.done_at,
        note=t.note,
    )


def _scoped(principal: Principal) -> list[Any]:
    return visible(principal, agency=m.Task.agency_id, denied="tasks belong to agency staff")


async def list_tasks(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    office_id: int | None,
    limit: int,
    offset: int,
) -> TaskPage:
    conditions = _scoped(principal)
    if status is not None and status not in ("open", "done"):
        raise Invalid("status", msg("must be open or done"))
    rows, total = await repo.tasks(
        session, conditions, status=status, office_id=office_id, limit=limit, offset=offset
    )
    return TaskPage(items=[_out(t) for t in rows], total=total)


async def finish_task(
    session: AsyncSession, principal: Principal, task_id: int, note: str | None
) -> TaskOut:
    task = await repo.find_task(session, task_id, _scoped(principal))
    if task is None:
        raise NotFound(msg("no task with id {task_id}"), task_id=task_id)
    if task.status == "done":
        raise Conflict(msg("task {task_id} is done already"), task_id=task_id)
    await repo.finish_open_task(
        session,
        task_id,
        done_at=clock.now(),
        done_by=f"{principal.role}:{principal.account_id}",
        note=(note or "").strip()[:1000] or None,
    )
    await repo.refresh(session, task)
    return _out(task)
