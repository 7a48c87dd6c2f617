"""The openings' SQL: employers, openings and their required skills, standing changes, and the
titles other pages read. Scoping arrives as WHERE conditions built by the service."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db import next_starts, wage_changes
from matching.db.reads import count_of

OP = m.Opening.__table__.c

E = m.Employer
O = m.Opening  # noqa: E741
SK = m.OpeningSkill


async def add(session: AsyncSession, entity: Any) -> None:
    """A new employer or opening, flushed so that its id is known (and constraints checked)."""
    session.add(entity)
    await session.flush()


# --- employers ------------------------------------------------------------------------------


async def employer(session: AsyncSession, employer_id: int) -> m.Employer | None:
    """An employer by id, whoever asks (the identity map first, as ``session.get`` does)."""
    return await session.get(m.Employer, employer_id)


async def employer_where(
    session: AsyncSession, employer_id: int, where: Sequence[ColumnElement[bool]]
) -> m.Employer | None:
    """An employer by id, if it meets the caller's conditions."""
    stmt = select(E).where(E.id == employer_id).where(*where)
    return (await session.execute(stmt)).scalar_one_or_none()


async def employers_page(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, limit: int, offset: int
) -> tuple[list[m.Employer], int]:
    """One page of employers meeting the conditions, by id, and how many there are in all."""
    base = select(E).where(*where)
    total = await count_of(session, base)
    rows = (await session.execute(base.order_by(E.id).limit(limit).offset(offset))).scalars()
    return list(rows), total


async def update_employer_at_version(
    session: AsyncSession, employer_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Write ``values`` and bump the version if the employer is still at ``version``."""
    result = await session.execute(
        update(E)
        .where(E.id == employer_id, E.version == version)
        .values(**values, version=E.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def update_employer(session: AsyncSession, employer_id: int, values: dict[str, Any]) -> None:
    """Write ``values`` and bump the version, whatever it was (the admin's standing decisions)."""
    await session.execute(
        update(E)
        .where(E.id == employer_id)
        .values(**values, version=E.version + 1)
        .execution_options(synchronize_session=False)
    )


async def reload(session: AsyncSession, entity: Any) -> None:
    """Read a loaded row's columns again (after an UPDATE that did not synchronise it)."""
    await session.refresh(entity)


async def standing_changes(session: AsyncSession, employer_id: int) -> list[m.StandingChange]:
    stmt = (
        select(m.StandingChange)
        .where(m.StandingChange.employer_id == employer_id)
        .order_by(m.StandingChange.id)
    )
    return list((await session.execute(stmt)).scalars())


# --- openings -------------------------------------------------------------------------------


def _opening_select() -> Select[Any]:
    return select(*O.__table__.c, E.name.label("employer_name")).join(E, E.id == O.employer_id)


def opening_conditions(
    *,
    city: str | None = None,
    status: str | None = None,
    employer_id: int | None = None,
    skill: str | None = None,
    hide_suspended: bool = False,
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a list's filters (each given one narrows it)."""
    conditions: list[ColumnElement[bool]] = []
    if city:
        conditions.append(O.city == city)
    if status:
        conditions.append(O.status == status)
    if employer_id is not None:
        conditions.append(O.employer_id == employer_id)
    if skill:
        conditions.append(exists().where(SK.opening_id == O.id, SK.skill_code == skill))
    if hide_suspended:
        conditions.append(E.suspended.is_(False))
    return conditions


async def opening_row(
    session: AsyncSession, opening_id: int, where: Sequence[ColumnElement[bool]]
) -> Row[Any] | None:
    """One opening's columns and its employer's name, if it meets the caller's conditions."""
    stmt = _opening_select().where(O.id == opening_id).where(*where)
    return (await session.execute(stmt)).first()


async def opening_rows_page(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    """One page of openings (columns and employer name) by id, and how many there are in all."""
    base = _opening_select().where(*where)
    total = await count_of(session, base)
    rows = (await session.execute(base.order_by(O.id).limit(limit).offset(offset))).all()
    return list(rows), total


async def opening_rows_after(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], after_id: int, limit: int
) -> list[Row[Any]]:
    """The next ``limit`` openings (with the employer's name) above ``after_id``, by id: a
    keyset page, so that an export reads a long list a chunk at a time."""
    stmt = _opening_select().where(*where, O.id > after_id).order_by(O.id).limit(limit)
    return list((await session.execute(stmt)).all())


async def required_skills(
    session: AsyncSession, opening_ids: Sequence[int]
) -> list[m.OpeningSkill]:
    """The required skills of these openings, by opening and skill code."""
    if not opening_ids:
        return []
    q = select(SK).where(SK.opening_id.in_(opening_ids)).order_by(SK.opening_id, SK.skill_code)
    return list((await session.execute(q)).scalars())


async def replace_required_skills(
    session: AsyncSession, opening_id: int, skills: Sequence[tuple[str, int]]
) -> None:
    """The opening's required skills become ``skills`` (code, lowest level)."""
    await session.execute(delete(SK).where(SK.opening_id == opening_id))
    if skills:
        await session.execute(
            insert(SK),
            [
                {"opening_id": opening_id, "skill_code": code, "min_level": level}
                for code, level in skills
            ],
        )


async def update_opening_at_version(
    session: AsyncSession, opening_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Write ``values`` and bump the version if the opening is still at ``version``. A change
    of its city moves its placements' wages in the summary's table and their workers' next
    starts in the city."""
    placed = m.Placement.__table__.c.opening_id == opening_id
    kept = wage_changes.changing(session, placed) if "city" in values else nullcontext()
    async with kept:
        result = await session.execute(
            update(O)
            .where(O.id == opening_id, O.version == version)
            .values(**values, version=O.version + 1)
            .execution_options(synchronize_session=False)
        )
    if "city" in values and result.rowcount == 1:  # type: ignore[attr-defined]
        await next_starts.follow(session, placed)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def titles(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = (await session.execute(select(OP.id, OP.title).where(OP.id.in_(ids)))).all()
    return {r.id: r.title for r in rows}


async def opening_keys(
    session: AsyncSession, employer_ids: Sequence[int]
) -> set[tuple[int, str, str, Any]]:
    """(employer, title, city, start date) of the employers' openings: what an import takes
    for the same opening posted again."""
    if not employer_ids:
        return set()
    stmt = select(OP.employer_id, OP.title, OP.city, OP.start_date).where(
        OP.employer_id.in_(sorted(set(employer_ids)))
    )
    return {(r[0], r[1], r[2], r[3]) for r in (await session.execute(stmt)).all()}
