"""Notices for staff: the outbox scoped to their agency, and retrying a failed notice."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib import clock
from matching.lib.errors import Conflict, NotFound, msg
from matching.lib.principal import Principal, visible
from matching.notices import repository as repo
from matching.notices.schemas import NoticeOut, NoticePage

# --- staff: the outbox -----------------------------------------------------------------------


def _out(r: Any) -> NoticeOut:
    return NoticeOut(
        id=r.id,
        kind=r.kind,
        worker_id=r.worker_id,
        offer_id=r.offer_id,
        placement_id=r.placement_id,
        to=r.to_phone,
        locale=r.locale,
        text=r.text,
        link=r.link,
        status=r.status,
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        created_at=r.created_at,
        sent_at=r.sent_at,
    )


def _scope(principal: Principal) -> list[Any]:
    """Staff see their agency's workers' notices; admins all; employers none."""
    return visible(
        principal, agency=repo.W.agency_id, denied="notices to workers are for agency staff"
    )


async def list_notices(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None = None,
    worker_id: int | None = None,
    limit: int,
    offset: int,
) -> NoticePage:
    where = _scope(principal)
    if status is not None:
        where.append(repo.C.status == status)
    if worker_id is not None:
        where.append(repo.C.worker_id == worker_id)
    rows, total = await repo.page(session, where, limit=limit, offset=offset)
    return NoticePage(items=[_out(r) for r in rows], total=total)


async def _get(session: AsyncSession, principal: Principal, notice_id: int) -> Any:
    row = await repo.one(session, notice_id, _scope(principal))
    if row is None:
        raise NotFound(msg("no notice with id {notice_id}"), notice_id=notice_id)
    return row


async def retry(session: AsyncSession, principal: Principal, notice_id: int) -> NoticeOut:
    """A failed notice goes back to the queue with a fresh count of attempts. It keeps its
    idempotency key: if an earlier attempt did reach her phone, the gateway drops the repeat."""
    row = await _get(session, principal, notice_id)
    if row.status != "failed":
        raise Conflict(
            msg("notice {notice_id} is {status}; only a failed notice is retried"),
            notice_id=notice_id,
            status=row.status,
        )
    if not await repo.requeue_failed(session, notice_id, clock.now()):
        raise Conflict(msg("notice {notice_id} changed a moment ago"), notice_id=notice_id)
    return _out(await _get(session, principal, notice_id))


__all__ = ["list_notices", "retry"]
