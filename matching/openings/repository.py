"""The openings' SQL that other pages read: titles by id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m

OP = m.Opening.__table__.c


async def titles(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = (await session.execute(select(OP.id, OP.title).where(OP.id.in_(ids)))).all()
    return {r.id: r.title for r in rows}
