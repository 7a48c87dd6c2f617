"""The outbox's SQL for staff: the notices they may see, and putting a failed one back."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m

N = cast(Table, m.Notice.__table__)
C = N.c
W = m.WorkerProfile.__table__.c


def _select(where: list[ColumnElement[bool]]) -> Any:
    # Outer join: a notice to no worker shows only to those who see every row (admins).
    return (
        select(N)
        .select_from(N.outerjoin(m.WorkerProfile.__table__, W.id == C.worker_id))
        .where(*where)
    )


async def page(
    session: AsyncSession, where: list[ColumnElement[bool]], *, limit: int, offset: int
) -> tuple[list[Any], int]:
    stmt = _select(where)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar()
    ordered = stmt.order_by(C.created_at.desc(), C.id.desc()).limit(limit).offset(offset)
    return list((await session.execute(ordered)).all()), int(total or 0)


async def one(session: AsyncSession, notice_id: int, where: list[ColumnElement[bool]]) -> Any:
    return (await session.execute(_select([C.id == notice_id, *where]))).first()


async def requeue_failed(session: AsyncSession, notice_id: int, now: dt.datetime) -> bool:
    result = await session.execute(
        update(N)
        .where(C.id == notice_id, C.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
