"""The network's SQL that other features read: an agency's office in a destination city."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m

OFFICE = m.Office.__table__.c


async def office_in(
    session: AsyncSession, agency_id: int, city: str
) -> tuple[int, str | None] | None:
    """Her agency's office in the city she works in (办事处): its id and phone, if it has one."""
    stmt = (
        select(OFFICE.id, OFFICE.phone)
        .where(OFFICE.agency_id == agency_id, OFFICE.city == city)
        .order_by(OFFICE.id)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row.id, row.phone)


async def office_phone(session: AsyncSession, agency_id: int, city: str) -> str | None:
    """The phone of her agency's office in the destination city, if it has one."""
    found = await office_in(session, agency_id, city)
    return None if found is None else found[1]
