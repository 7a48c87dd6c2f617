"""The access log's reads (and the one write an export makes in its own transaction), and
every row held about one worker, table by table, for her export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.reads import count_of

L = m.AccessLogEntry.__table__.c
A = m.Account.__table__.c
W = m.WorkerProfile.__table__.c


@dataclass(frozen=True, slots=True)
class AccessFilter:
    worker_id: int | None = None
    actor_id: int | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _where(flt: AccessFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.worker_id is not None:
        where.append(L.worker_id == flt.worker_id)
    if flt.actor_id is not None:
        where.append(L.actor_id == flt.actor_id)
    if flt.action is not None:
        where.append(L.action == flt.action)
    if flt.since is not None:
        where.append(L.at >= flt.since)
    if flt.until is not None:
        where.append(L.at <= flt.until)
    return where


async def entries(
    session: AsyncSession, flt: AccessFilter, *, limit: int, offset: int
) -> tuple[list[Any], int]:
    """Rows of the access log, newest first."""
    stmt = select(L.at, L.actor_id, L.action, L.worker_id, L.request_id, L.detail).where(
        *_where(flt)
    )
    total = await count_of(session, stmt)
    page = stmt.order_by(L.at.desc(), L.id.desc()).limit(limit).offset(offset)
    return list((await session.execute(page)).all()), total


async def append(session: AsyncSession, row: dict[str, Any]) -> None:
    """One row, in the caller's transaction: an export is logged if and only if it happens."""
    await session.execute(insert(m.AccessLogEntry).values(row))


async def worker_agency(
    session: AsyncSession, worker_id: int, where: Sequence[ColumnElement[bool]]
) -> int | None:
    """Her agency, if she exists within ``where`` (the caller's scope)."""
    stmt = select(W.agency_id).where(W.id == worker_id, *where)
    found = (await session.execute(stmt)).first()
    return None if found is None else int(found.agency_id)


# --- her export: every row held about her ---------------------------------------------------

# Columns never exported: the keys that protect her ID number (it is exported in full,
# decrypted, instead), and the outbox's internal keys and the gateway's signature.
HIDDEN = {
    "id_number_enc",
    "id_number_hash",
    "dedupe_key",
    "idempotency_key",
    "signature",
}


def _columns(table: Any, *extra: Any) -> list[Any]:
    return [c for c in table.c if c.name not in HIDDEN] + list(extra)


def _hers(table: Any, worker_id: int, *order: str) -> Select[Any]:
    """Every row of ``table`` about her (by its ``worker_id``), ordered by ``order``."""
    where = table.c.worker_id == worker_id
    return select(*_columns(table)).where(where).order_by(*(table.c[o] for o in order))


def _sections(worker_id: int) -> dict[str, Select[Any]]:
    """One statement per section of her export, each row a record held about her."""
    wt, op, em = (m.WorkerProfile.__table__, m.Opening.__table__, m.Employer.__table__)
    pr, of = m.Proposal.__table__, m.Offer.__table__
    pl, fu, ca, ce = (t.__table__ for t in (m.Placement, m.FollowUp, m.Case, m.CaseEntry))
    en, ts, co, ac = (
        t.__table__ for t in (m.Enrolment, m.TrainingSession, m.Course, m.AccessLogEntry)
    )
    opening = (op.c.title.label("opening_title"), op.c.city.label("opening_city"))
    employer = (em.c.name.label("employer_name"),)
    return {
        "worker": select(*_columns(wt)).where(wt.c.id == worker_id),
        "skills": _hers(m.WorkerSkill.__table__, worker_id, "skill_code"),
        "priority_groups": _hers(m.WorkerGroup.__table__, worker_id, "group_code"),
        "consents": _hers(m.Consent.__table__, worker_id, "at", "id"),
        "proposals": select(*_columns(pr), *opening)
        .join(op, op.c.id == pr.c.opening_id)
        .where(pr.c.worker_id == worker_id)
        .order_by(pr.c.id),
        "left_out": _hers(m.Unproposed.__table__, worker_id, "run_id"),
        "offers": select(*_columns(of), *opening, *employer)
        .join(op, op.c.id == of.c.opening_id)
        .join(em, em.c.id == op.c.employer_id)
        .where(of.c.worker_id == worker_id)
        .order_by(of.c.id),
        "placements": select(*_columns(pl), *opening, *employer)
        .join(op, op.c.id == pl.c.opening_id)
        .join(em, em.c.id == pl.c.employer_id)
        .where(pl.c.worker_id == worker_id)
        .order_by(pl.c.id),
        "follow_ups": select(*_columns(fu))
        .join(pl, pl.c.id == fu.c.placement_id)
        .where(pl.c.worker_id == worker_id)
        .order_by(fu.c.placement_id, fu.c.n),
        "cases": select(*_columns(ca), *employer)
        .join(em, em.c.id == ca.c.employer_id)
        .where(ca.c.worker_id == worker_id)
        .order_by(ca.c.id),
        "case_logs": select(*_columns(ce))
        .join(ca, ca.c.id == ce.c.case_id)
        .where(ca.c.worker_id == worker_id)
        .order_by(ce.c.case_id, ce.c.at, ce.c.id),
        "tasks": _hers(m.Task.__table__, worker_id, "id"),
        "notices": _hers(m.Notice.__table__, worker_id, "id"),
        "messages_from_her": _hers(m.InboundMessage.__table__, worker_id, "id"),
        "training": select(
            *_columns(en),
            co.c.name.label("course_name"),
            co.c.kind.label("course_kind"),
            co.c.skill_code.label("course_skill"),
            co.c.level.label("course_level"),
            ts.c.starts_on,
            ts.c.ends_on,
            ts.c.place,
        )
        .join(ts, ts.c.id == en.c.session_id)
        .join(co, co.c.id == ts.c.course_id)
        .where(en.c.worker_id == worker_id)
        .order_by(en.c.id),
        "employer_bans": select(*_columns(m.EmployerBan.__table__), *employer)
        .join(em, em.c.id == m.EmployerBan.__table__.c.employer_id)
        .where(m.EmployerBan.__table__.c.worker_id == worker_id)
        .order_by(m.EmployerBan.__table__.c.at),
        "access_log": select(
            ac.c.at,
            ac.c.actor_id,
            A.username.label("actor"),
            A.role.label("actor_role"),
            ac.c.action,
            ac.c.request_id,
            ac.c.detail,
        )
        .outerjoin(m.Account.__table__, A.id == ac.c.actor_id)
        .where(ac.c.worker_id == worker_id)
        .order_by(ac.c.at, ac.c.id),
    }


async def everything_about(
    session: AsyncSession, worker_id: int
) -> dict[str, list[dict[str, Any]]]:
    """Every section of her export, as lists of column → value."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, stmt in _sections(worker_id).items():
        out[name] = [dict(r) for r in (await session.execute(stmt)).mappings()]
    return out


async def encrypted_id_number(session: AsyncSession, worker_id: int) -> str | None:
    stmt = select(W.id_number_enc).where(W.id == worker_id)
    return (await session.execute(stmt)).scalar()
