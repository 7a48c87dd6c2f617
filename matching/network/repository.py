"""The network's SQL: agencies, offices, accounts and fee schedules, and what other features
read (an agency's office in a destination city). Scoping arrives as WHERE conditions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, case, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import dialect_name

OFFICE = m.Office.__table__.c
FS = m.FeeSchedule


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


async def office_contact(
    session: AsyncSession, agency_id: int, city: str | None
) -> tuple[str, str | None] | None:
    """The name and phone of her agency's office to call: the one in ``city`` if there is one,
    else the agency's first office with a phone (a printed letter or card names one office)."""
    stmt = (
        select(OFFICE.name, OFFICE.city, OFFICE.phone)
        .where(OFFICE.agency_id == agency_id)
        .order_by(
            case((OFFICE.city == (city or ""), 0), else_=1), OFFICE.phone.is_(None), OFFICE.id
        )
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return (row.name if row.city in row.name else f"{row.name}（{row.city}）", row.phone)


async def add(session: AsyncSession, entity: Any) -> None:
    """A new agency, office, account or fee schedule, flushed so that its id is known and its
    constraints are checked (an ``IntegrityError`` comes out of here)."""
    session.add(entity)
    await session.flush()


# --- agencies and offices -------------------------------------------------------------------


async def agency(session: AsyncSession, agency_id: int) -> m.Agency | None:
    return await session.get(m.Agency, agency_id)


async def agency_named(session: AsyncSession, name: str) -> bool:
    """An agency of this name exists."""
    return (
        await session.execute(select(m.Agency.id).where(m.Agency.name == name))
    ).first() is not None


async def agencies(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> list[m.Agency]:
    stmt = select(m.Agency).order_by(m.Agency.id).where(*where)
    return list((await session.execute(stmt)).scalars())


async def office(session: AsyncSession, office_id: int) -> m.Office | None:
    return await session.get(m.Office, office_id)


async def offices(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> list[m.Office]:
    stmt = select(m.Office).order_by(m.Office.id).where(*where)
    return list((await session.execute(stmt)).scalars())


async def employer(session: AsyncSession, employer_id: int) -> m.Employer | None:
    return await session.get(m.Employer, employer_id)


# --- accounts -------------------------------------------------------------------------------


async def account_by_username(session: AsyncSession, username: str) -> m.Account | None:
    stmt = select(m.Account).where(m.Account.username == username)
    return (await session.execute(stmt)).scalar_one_or_none()


async def username_taken(session: AsyncSession, username: str) -> bool:
    stmt = select(m.Account.id).where(m.Account.username == username)
    return (await session.execute(stmt)).first() is not None


async def accounts_page(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[m.Account], int]:
    """One page of accounts by id, and how many there are in all."""
    total = (await session.execute(select(func.count()).select_from(m.Account))).scalar_one()
    stmt = select(m.Account).order_by(m.Account.id).limit(limit).offset(offset)
    return list((await session.execute(stmt)).scalars()), int(total)


async def account(session: AsyncSession, account_id: int) -> m.Account | None:
    return await session.get(m.Account, account_id)


async def usernames(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(m.Account.id, m.Account.username).where(m.Account.id.in_(set(ids)))
    return {int(i): str(u) for i, u in (await session.execute(stmt)).all()}


# --- failed logins --------------------------------------------------------------------------

LA = m.LoginAttempt.__table__.c


async def login_failures(
    session: AsyncSession, keys: Sequence[str], since: dt.datetime
) -> list[tuple[int, dt.datetime]]:
    """Failures and window start of each key whose window began after ``since``."""
    stmt = select(LA.failures, LA.window_start).where(LA.key.in_(keys), LA.window_start > since)
    return [(int(f), w) for f, w in (await session.execute(stmt)).all()]


async def count_failure(
    session: AsyncSession, keys: Sequence[str], now: dt.datetime, since: dt.datetime
) -> None:
    """One more failure for each key, in one upsert per key: a window that began at or before
    ``since`` has passed, and the count starts again at 1 from ``now``."""
    dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
    ins = dialect.insert(m.LoginAttempt.__table__)
    passed = LA.window_start <= since
    at = literal(now, LA.window_start.type)
    for key in keys:
        stmt = ins.values(key=key, failures=1, window_start=now).on_conflict_do_update(
            index_elements=[LA.key],
            set_={
                "failures": case((passed, 1), else_=LA.failures + 1),
                "window_start": case((passed, at), else_=LA.window_start),
            },
        )
        await session.execute(stmt)


async def clear_failures(session: AsyncSession, key: str) -> None:
    await session.execute(delete(m.LoginAttempt).where(LA.key == key))


# --- fee schedules and who pays nothing -----------------------------------------------------


async def worker_in_groups(session: AsyncSession, worker_id: int, groups: Sequence[str]) -> bool:
    """The worker belongs to at least one of ``groups``."""
    stmt = select(m.WorkerGroup.group_code).where(
        m.WorkerGroup.worker_id == worker_id, m.WorkerGroup.group_code.in_(groups)
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def latest_fee_schedule(session: AsyncSession, agency_id: int) -> m.FeeSchedule | None:
    stmt = select(FS).where(FS.agency_id == agency_id).order_by(FS.version.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def fee_schedules(session: AsyncSession, agency_id: int, limit: int) -> list[m.FeeSchedule]:
    """The agency's published versions, newest first."""
    stmt = select(FS).where(FS.agency_id == agency_id).order_by(FS.version.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def last_fee_version(session: AsyncSession, agency_id: int) -> int | None:
    """The highest version the agency has published; None before its first."""
    stmt = select(func.max(FS.version)).where(FS.agency_id == agency_id)
    return (await session.execute(stmt)).scalar()


# --- the priority policy ------------------------------------------------------------------

PP = m.PriorityPolicy.__table__.c


async def policy_in_force(session: AsyncSession) -> Row[Any] | None:
    """The newest change of the priority policy (None: none was ever made)."""
    query = select(PP.id, PP.groups, PP.note, PP.changed_by_id, PP.changed_at)
    return (await session.execute(query.order_by(PP.id.desc()).limit(1))).first()


async def policy_changes(session: AsyncSession, *, limit: int, offset: int) -> list[Row[Any]]:
    query = select(PP.id, PP.groups, PP.note, PP.changed_by_id, PP.changed_at)
    query = query.order_by(PP.id.desc()).limit(limit).offset(offset)
    return list((await session.execute(query)).all())


async def add_policy(
    session: AsyncSession, groups: list[str], note: str | None, by: int | None, at: dt.datetime
) -> int:
    row = m.PriorityPolicy(groups=groups, note=note, changed_by_id=by, changed_at=at)
    session.add(row)
    await session.flush()
    return row.id
