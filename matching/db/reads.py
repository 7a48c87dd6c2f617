"""Reads several repositories make alike: how many rows a statement gives, and whether a
worker lies within a scope (the conditions of ``lib.principal.visible``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m

W = m.WorkerProfile.__table__.c


async def count_of(session: AsyncSession, stmt: Any) -> int:
    """The number of rows ``stmt`` gives (for a page's total)."""
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar()
    return int(total or 0)


async def worker_visible(
    session: AsyncSession, worker_id: int, where: Sequence[ColumnElement[bool]]
) -> bool:
    """Whether the worker exists, was not erased, and meets ``where`` (her scope for the one
    asking)."""
    stmt = select(W.id).where(W.id == worker_id, W.erased_at.is_(None), *where)
    return (await session.execute(stmt)).first() is not None
