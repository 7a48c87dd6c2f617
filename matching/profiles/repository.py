"""Queries on worker profiles: reads (Core statements on the hot read paths, no ORM identity
map) and the writes of her row, skills and groups."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Table,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from matching.db import models as m
from matching.db import next_starts, wage_changes
from matching.db.dialect import bulk_insert_columns, chunks, dialect_name
from matching.db.lean import LeanSelect, statement_alone

W = m.WorkerProfile.__table__.c
S = m.WorkerSkill.__table__.c
G = m.WorkerGroup.__table__.c
C = m.Consent.__table__.c

WORKER_COLUMNS = (
    W.id,
    W.agency_id,
    W.name,
    W.phone,
    W.birth_date,
    W.home_county,
    W.sex,
    W.willing_to_relocate,
    W.preferred_cities,
    W.min_monthly_wage,
    W.needs_housing,
    W.available_from,
    W.consent_matching,
    W.consent_sensitive,
    W.id_number_masked,
    W.locale,
    W.status,
    W.version,
    W.created_at,
    W.updated_at,
)


@dataclass(frozen=True, slots=True)
class WorkerFilter:
    agency_id: int | None = None
    skill: str | None = None
    priority_group: str | None = None
    status: str | None = None
    q: str | None = None


# An erased worker (``erased_at`` set) is found by no read of a profile: she answers 404.
PRESENT = W.erased_at.is_(None)


def _scoped(stmt: Select[Any], agency_id: int | None) -> Select[Any]:
    stmt = stmt.where(PRESENT)
    return stmt if agency_id is None else stmt.where(W.agency_id == agency_id)


async def get_row(session: AsyncSession, worker_id: int, agency_id: int | None) -> Row[Any] | None:
    """One worker, in the caller's agency only (``agency_id`` None: any agency)."""
    stmt = _scoped(select(*WORKER_COLUMNS).where(W.id == worker_id), agency_id)
    return (await session.execute(stmt)).first()


def _worker_with_skills_and_groups(scoped: bool) -> Select[Any]:
    """One statement for one worker with her skills and groups (built once, cached compiled).

    The outer joins give one row per (skill, group) pair: a handful, since skills and groups
    come from short reference lists. Ordered by skill, then group, so that the first appearance
    of each is in the order the separate queries used to give.
    """
    wt, st, gt = m.WorkerProfile.__table__, m.WorkerSkill.__table__, m.WorkerGroup.__table__
    stmt = (
        select(*WORKER_COLUMNS, S.skill_code, S.level, S.source, S.certified_on, G.group_code)
        .select_from(wt.outerjoin(st, S.worker_id == W.id).outerjoin(gt, G.worker_id == W.id))
        .where(W.id == bindparam("worker_id"), PRESENT)
        .order_by(S.skill_code, G.group_code)
    )
    return stmt.where(W.agency_id == bindparam("agency_id")) if scoped else stmt


_ONE_WORKER_ANY = LeanSelect(_worker_with_skills_and_groups(scoped=False))
_ONE_WORKER_SCOPED = LeanSelect(_worker_with_skills_and_groups(scoped=True))


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    row: Any
    """The worker's fields (a named tuple of ``WORKER_COLUMNS`` and the joined columns)."""
    skills: list[Any]
    """Rows with ``skill_code``, ``level``, ``source`` and ``certified_on``, by skill code."""
    groups: list[str]


async def get_with_skills_and_groups(
    source: AsyncSession | AsyncEngine, worker_id: int, agency_id: int | None
) -> WorkerRecord | None:
    """One worker with her skills and groups, in the caller's agency only, in one round trip.

    The read agency staff make most, so it is a :class:`LeanSelect`: from an engine (or a
    session that has not begun) it runs outside any transaction with none of the per-call
    execution machinery; inside a session's transaction (after a write) it goes through the
    session and sees that transaction's work.
    """
    if agency_id is None:
        lean, params = _ONE_WORKER_ANY, {"worker_id": worker_id}
    else:
        lean, params = _ONE_WORKER_SCOPED, {"worker_id": worker_id, "agency_id": agency_id}
    rows = await lean.all(source, params)
    if not rows:
        return None
    skills: list[Any] = []
    groups: list[str] = []
    seen: set[str] = set()
    for r in rows:
        if r.skill_code is not None and r.skill_code not in seen:
            seen.add(r.skill_code)
            skills.append(r)
        if r.group_code is not None and r.group_code not in groups:
            groups.append(r.group_code)
    return WorkerRecord(rows[0], skills, groups)


async def skills_and_groups(
    session: AsyncSession, ids: Sequence[int]
) -> tuple[dict[int, list[Row[Any]]], dict[int, list[str]]]:
    skills: dict[int, list[Row[Any]]] = defaultdict(list)
    groups: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return skills, groups
    if len(ids) == 1:  # the common case: equality keeps the statement cacheable and cheap
        skill_where, group_where = S.worker_id == ids[0], G.worker_id == ids[0]
    else:
        skill_where, group_where = S.worker_id.in_(ids), G.worker_id.in_(ids)
    stmt = select(S.worker_id, S.skill_code, S.level, S.source, S.certified_on).where(skill_where)
    for row in (await session.execute(stmt.order_by(S.worker_id, S.skill_code))).all():
        skills[row.worker_id].append(row)
    gstmt = select(G.worker_id, G.group_code).where(group_where).order_by(G.worker_id, G.group_code)
    for row in (await session.execute(gstmt)).all():
        groups[row.worker_id].append(row.group_code)
    return skills, groups


async def find_duplicate(
    session: AsyncSession,
    *,
    phone: str | None,
    id_hashes: Sequence[str],
    exclude_id: int | None,
) -> tuple[str, int] | None:
    """The field and id of an existing worker with the same phone or ID number, if any (her
    ID number by its hash under each key of the ring: a row not rotated yet holds an old one)."""
    checks: list[tuple[str, Any]] = []
    if phone is not None:
        checks.append(("phone", W.phone == phone))
    if id_hashes:
        checks.append(("id_number", W.id_number_hash.in_(list(id_hashes))))
    for field, condition in checks:
        stmt = select(W.id).where(condition)
        if exclude_id is not None:
            stmt = stmt.where(W.id != exclude_id)
        found = (await session.execute(stmt.limit(1))).scalar()
        if found is not None:
            return field, int(found)
    return None


def _escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(term: str) -> str:
    return f"%{_escaped(term)}%"


def search_conditions(flt: WorkerFilter) -> list[Any]:
    """The WHERE conditions of the worker list's filters (the list and its export alike)."""
    conditions: list[Any] = [PRESENT]
    if flt.agency_id is not None:
        conditions.append(W.agency_id == flt.agency_id)
    if flt.status:
        conditions.append(W.status == flt.status)
    if flt.skill:
        conditions.append(exists().where(S.worker_id == W.id, S.skill_code == flt.skill))
    if flt.priority_group:
        conditions.append(exists().where(G.worker_id == W.id, G.group_code == flt.priority_group))
    if flt.q:
        pattern = _like(flt.q.strip())
        conditions.append(
            or_(W.name.like(pattern, escape="\\"), W.phone.like(pattern, escape="\\"))
        )
    return conditions


async def search(
    session: AsyncSession, flt: WorkerFilter, *, limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    conditions = search_conditions(flt)
    total = (
        await session.execute(
            select(func.count()).select_from(m.WorkerProfile.__table__).where(*conditions)
        )
    ).scalar_one()
    rows = (
        await session.execute(
            select(*WORKER_COLUMNS).where(*conditions).order_by(W.id).limit(limit).offset(offset)
        )
    ).all()
    return list(rows), int(total)


async def rows_after(
    session: AsyncSession, conditions: Sequence[Any], after_id: int, limit: int
) -> list[Row[Any]]:
    """The next ``limit`` workers meeting ``conditions`` with an id above ``after_id``, by id:
    a keyset page, so that an export reads a long list a chunk at a time."""
    stmt = select(*WORKER_COLUMNS).where(*conditions, W.id > after_id).order_by(W.id).limit(limit)
    return list((await session.execute(stmt)).all())


async def names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """Workers' names by id."""
    if not ids:
        return {}
    rows = (await session.execute(select(W.id, W.name).where(W.id.in_(ids)))).all()
    return {r.id: r.name for r in rows}


@dataclass(frozen=True, slots=True)
class NewWorker:
    """A registration's rows: hers (``worker_profiles`` values) and, without ``worker_id``,
    her skills, groups and consent events."""

    row: dict[str, Any]
    skills: list[dict[str, Any]]
    groups: list[str]
    consents: list[dict[str, Any]]


async def insert_new_worker(
    source: AsyncSession | AsyncEngine, new: NewWorker, *, id_hashes: Sequence[str]
) -> tuple[int | None, tuple[str, int] | None]:
    """Insert her with her skills, groups and consents unless a worker already holds her phone
    or (by its hash under any key of the ring) her ID number: (her new id, None), or (None,
    (field, the existing worker's id)). A concurrent registration that wins the race makes this
    raise ``IntegrityError``.

    On PostgreSQL this is ONE statement (the duplicate check and every insert as CTEs): in the
    session's transaction, or, given the engine (an edge whose whole unit of work it is), on
    its own, atomic as any single statement, with no BEGIN and COMMIT round trips. On SQLite,
    where a round trip is a function call, the same work is a few plain statements in the
    session's transaction."""
    if isinstance(source, AsyncEngine) or dialect_name(source) == "postgresql":
        return await _insert_new_worker_pg(source, new, id_hashes)
    session, phone = source, new.row["phone"]
    dup = await find_duplicate(session, phone=phone, id_hashes=id_hashes, exclude_id=None)
    if dup is not None:
        return None, dup
    wid = int((await session.execute(insert(W_TABLE).values(new.row).returning(W.id))).scalar_one())
    if new.skills:
        await insert_skills(session, [{"worker_id": wid, **r} for r in new.skills])
    if new.groups:
        await insert_groups(session, wid, new.groups)
    await insert_consents(session, [{"worker_id": wid, **e} for e in new.consents])
    return wid, None


W_TABLE: Table = m.WorkerProfile.__table__  # type: ignore[assignment]
_CHILDREN: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (m.WorkerSkill.__table__, ("skill_code", "level", "source", "certified_on")),
    (m.WorkerGroup.__table__, ("group_code",)),
    (m.Consent.__table__, ("kind", "given", "text_version", "channel", "recorded_by_id", "at")),
)


@dataclass(frozen=True, slots=True)
class _RegisterPlan:
    sql: str
    binds: tuple[Any, ...]
    """The bind processor of each of her row's columns (a JSON column's encoder, say)."""
    child_binds: tuple[tuple[Any, ...], ...]


_REGISTER_PLANS: dict[tuple[str, ...], _RegisterPlan] = {}


def _register_plan(dialect: Dialect, columns: tuple[str, ...]) -> _RegisterPlan:
    """The one statement of a registration for her row's ``columns``, built once: each value a
    parameter cast to its column's type, each child table's rows as arrays ``unnest`` expands."""
    plan = _REGISTER_PLANS.get(columns)
    if plan is not None:
        return plan

    def sql_type(column: Any) -> str:
        return str(column.type.compile(dialect=dialect))

    def bind(column: Any) -> Any:
        return column.type.dialect_impl(dialect).bind_processor(dialect)

    # Every name below is a column of the metadata (an unknown one is a KeyError), quoted.
    quote = dialect.identifier_preparer.quote

    n = 2  # $1 her phone, $2 her ID number's hashes
    values = []
    for c in columns:
        n += 1
        values.append(f"${n}::{sql_type(W_TABLE.c[c])}")
    listed = ", ".join(quote(c) for c in columns)
    ctes = [
        "dup AS (SELECT d.field, d.id FROM ("
        " SELECT 1 AS o, 'phone' AS field, id FROM worker_profiles WHERE phone = $1"
        " UNION ALL"
        " SELECT 2, 'id_number', id FROM worker_profiles WHERE id_number_hash = ANY($2::text[])"
        ") AS d ORDER BY d.o LIMIT 1)",
        f"w AS (INSERT INTO worker_profiles ({listed})"  # noqa: S608 (names from the metadata)
        f" SELECT {', '.join(values)} WHERE NOT EXISTS (SELECT FROM dup) RETURNING id)",
    ]
    child_binds = []
    for k, (table, names) in enumerate(_CHILDREN):
        arrays = []
        for c in names:
            n += 1
            arrays.append(f"${n}::{sql_type(table.c[c])}[]")
        child_binds.append(tuple(bind(table.c[c]) for c in names))
        cols = ", ".join(quote(table.c[c].name) for c in names)
        ctes.append(
            f"c{k} AS (INSERT INTO {quote(table.name)} (worker_id, {cols})"  # noqa: S608 (metadata)
            f" SELECT w.id, u.* FROM w CROSS JOIN unnest({', '.join(arrays)}) AS u({cols}))"
        )
    answer = "SELECT (SELECT field FROM dup), (SELECT id FROM dup), (SELECT id FROM w)"
    sql = f"WITH {', '.join(ctes)} {answer}"
    plan = _RegisterPlan(sql, tuple(bind(W_TABLE.c[c]) for c in columns), tuple(child_binds))
    _REGISTER_PLANS[columns] = plan
    return plan


def _processed(proc: Any, value: Any) -> Any:
    return value if proc is None or value is None else proc(value)


async def _insert_new_worker_pg(
    source: AsyncSession | AsyncEngine, new: NewWorker, id_hashes: Sequence[str]
) -> tuple[int | None, tuple[str, int] | None]:
    columns = tuple(new.row)
    bind = source if isinstance(source, AsyncEngine) else source.get_bind()
    plan = _register_plan(bind.dialect, columns)
    params: list[Any] = [new.row["phone"], list(id_hashes)]
    params += [_processed(p, new.row[c]) for c, p in zip(columns, plan.binds, strict=True)]
    children = (new.skills, [{"group_code": g} for g in new.groups], new.consents)
    for (_table, names), rows, binds in zip(_CHILDREN, children, plan.child_binds, strict=True):
        params += [[_processed(p, r[c]) for r in rows] for c, p in zip(names, binds, strict=True)]
    if isinstance(source, AsyncEngine):
        ((field, existing, wid),) = await statement_alone(source, plan.sql, params)
    else:
        # Through the session's connection, so that it begins (and joins) its transaction.
        connection = await source.connection()
        field, existing, wid = (await connection.exec_driver_sql(plan.sql, tuple(params))).one()
    if wid is None:
        return None, (str(field), int(existing))
    return int(wid), None


async def encrypted_id_number(session: AsyncSession, worker_id: int) -> str | None:
    """Her stored (encrypted) ID number; None when she has none (or there is no such worker)."""
    worker = await session.get(m.WorkerProfile, worker_id)
    return None if worker is None else worker.id_number_enc


async def update_at_version(
    session: AsyncSession, worker_id: int, version: int, values: dict[str, Any]
) -> int:
    """Write ``values`` to the worker if she is still at ``version``; rows changed (0 or 1).
    A change of her sex moves her placements' wages in the summary's table and their copy of
    it."""
    placed = m.Placement.__table__.c.worker_id == worker_id
    kept = wage_changes.changing(session, placed) if "sex" in values else nullcontext()
    async with kept:
        result = await session.execute(
            update(m.WorkerProfile)
            .where(m.WorkerProfile.id == worker_id, m.WorkerProfile.version == version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if "sex" in values and result.rowcount:  # type: ignore[attr-defined]
        await next_starts.follow(session, placed)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def skills_from_training(session: AsyncSession, worker_id: int) -> dict[str, m.WorkerSkill]:
    """Her skills whose level was certified by training, by skill code."""
    stmt = select(m.WorkerSkill).where(
        m.WorkerSkill.worker_id == worker_id, m.WorkerSkill.source == "training"
    )
    return {r.skill_code: r for r in (await session.execute(stmt)).scalars()}


async def delete_skills(session: AsyncSession, worker_id: int) -> None:
    await session.execute(delete(m.WorkerSkill).where(m.WorkerSkill.worker_id == worker_id))


async def insert_skills(session: AsyncSession, skills: list[dict[str, Any]]) -> None:
    await session.execute(insert(m.WorkerSkill), skills)


async def delete_groups(session: AsyncSession, worker_id: int, codes: Sequence[str]) -> None:
    """Take her out of the groups ``codes`` (others stay)."""
    await session.execute(
        delete(m.WorkerGroup).where(
            m.WorkerGroup.worker_id == worker_id, m.WorkerGroup.group_code.in_(codes)
        )
    )


async def insert_groups(session: AsyncSession, worker_id: int, codes: Sequence[str]) -> None:
    await session.execute(
        insert(m.WorkerGroup), [{"worker_id": worker_id, "group_code": g} for g in codes]
    )


async def insert_consents(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Consent events (``worker_id``, ``kind``, ``given``, ``text_version``, ``channel``,
    ``recorded_by_id``, ``at``); never updated afterwards."""
    if events:
        await session.execute(insert(m.Consent), events)


async def consents(
    session: AsyncSession, worker_id: int, *, limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    """Her consent events, newest first (by time, then by the order they were written)."""
    total = (
        await session.execute(select(func.count()).where(C.worker_id == worker_id))
    ).scalar_one()
    stmt = (
        select(C.kind, C.given, C.text_version, C.channel, C.recorded_by_id, C.at)
        .where(C.worker_id == worker_id)
        .order_by(C.at.desc(), C.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list((await session.execute(stmt)).all()), int(total)


# --- erasure --------------------------------------------------------------------------------


async def erasure_target(session: AsyncSession, worker_id: int, agency_id: int | None) -> Any:
    """(id, name, phone, erased_at) of the worker, erased or not, in the caller's agency only
    (``agency_id`` None: any agency), locked for the erasure on PostgreSQL; None if not found."""
    stmt = select(W.id, W.name, W.phone, W.erased_at).where(W.id == worker_id)
    if agency_id is not None:
        stmt = stmt.where(W.agency_id == agency_id)
    return (await session.execute(stmt.with_for_update())).first()


async def erase_identity(
    session: AsyncSession, worker_id: int, *, name: str, at: dt.datetime
) -> None:
    """Her row keeps what the figures count (agency, skills and groups, dates of record) and
    loses who she is: ``name`` stands in for her name; her phone, birth date, home county,
    preferences and ID number (ciphertext, keyed hash, masked form) are NULL; she is inactive
    and consents to nothing."""
    await session.execute(
        update(m.WorkerProfile)
        .where(W.id == worker_id)
        .values(
            name=name,
            phone=None,
            birth_date=None,
            home_county=None,
            preferred_cities=[],
            min_monthly_wage=None,
            available_from=None,
            id_number_enc=None,
            id_number_hash=None,
            id_number_masked=None,
            consent_matching=False,
            status="inactive",
            erased_at=at,
            updated_at=at,
            version=W.version + 1,
        )
        .execution_options(synchronize_session=False)
    )


async def insert_erasure(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(m.Erasure).values(**values))


async def id_numbers_after(
    session: AsyncSession, after_id: int, limit: int, *, not_prefixed: str | None = None
) -> list[tuple[int, str]]:
    """``(id, ciphertext)`` of the next workers holding an ID number, by id after
    ``after_id``; with ``not_prefixed``, only those whose ciphertext does not start so."""
    stmt = select(W.id, W.id_number_enc).where(W.id > after_id, W.id_number_enc.is_not(None))
    if not_prefixed is not None:
        stmt = stmt.where(W.id_number_enc.not_like(_escaped(not_prefixed) + "%", escape="\\"))
    rows = (await session.execute(stmt.order_by(W.id).limit(limit))).all()
    return [(int(r.id), str(r.id_number_enc)) for r in rows]


async def replace_id_number(
    session: AsyncSession, worker_id: int, old_enc: str, enc: str, id_hash: str
) -> bool:
    """Her ID number sealed anew, if it is still ``old_enc`` (a PATCH meanwhile wins)."""
    result = await session.execute(
        update(m.WorkerProfile)
        .where(m.WorkerProfile.id == worker_id, m.WorkerProfile.id_number_enc == old_enc)
        .values(id_number_enc=enc, id_number_hash=id_hash)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


# --- spreadsheet import ---------------------------------------------------------------------


def _among_text(session: AsyncSession, column: Any, values: Sequence[str]) -> list[Any]:
    """``column IN values`` for many text values: one ``= ANY(array)`` on PostgreSQL, IN
    lists of at most 5000 on SQLite (which caps bound parameters)."""
    if dialect_name(session) == "postgresql":
        return [column == any_(literal(list(values), postgresql.ARRAY(String)))]
    return [column.in_(chunk) for chunk in chunks(list(values))]


async def registered(
    session: AsyncSession, phones: Sequence[str], id_hashes: Sequence[str]
) -> tuple[dict[str, tuple[int, str | None]], dict[str, int]]:
    """Who is registered already, erased or not: by phone (→ id and ID-number hash) and by
    ID-number hash (→ id), among the values given; a query per 5000 values on SQLite."""
    by_phone: dict[str, tuple[int, str | None]] = {}
    by_hash: dict[str, int] = {}
    if phones:
        for where in _among_text(session, W.phone, phones):
            stmt = select(W.phone, W.id, W.id_number_hash).where(where)
            for phone, wid, hsh in (await session.execute(stmt)).all():
                by_phone[phone] = (int(wid), hsh)
    if id_hashes:
        for where in _among_text(session, W.id_number_hash, id_hashes):
            stmt = select(W.id_number_hash, W.id).where(where)
            for hsh, wid in (await session.execute(stmt)).all():
                by_hash[hsh] = int(wid)
    return by_phone, by_hash


async def insert_workers(
    session: AsyncSession, columns: dict[str, list[Any]], constants: dict[str, Any]
) -> list[int]:
    """Insert many workers given by column (COPY on PostgreSQL, executemany on SQLite) in the
    session's transaction; answers their ids, in the order given (found again by phone,
    which is unique and every new worker has)."""
    await bulk_insert_columns(session, m.WorkerProfile, columns, constants)
    phones: list[str] = columns["phone"]
    ids: dict[str, int] = {}
    for where in _among_text(session, W.phone, phones):
        for phone, wid in (await session.execute(select(W.phone, W.id).where(where))).all():
            ids[phone] = int(wid)
    return [ids[p] for p in phones]


async def insert_skill_columns(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    await bulk_insert_columns(session, m.WorkerSkill, columns)


async def insert_group_columns(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    await bulk_insert_columns(session, m.WorkerGroup, columns)


async def insert_consent_columns(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    await bulk_insert_columns(session, m.Consent, columns)
