"""The match run's SQL beyond the snapshot: its runs, proposals and the reasons she was left out.

What a live offer is and how an opening's slots are counted are shared with other features:
``matching.db.rules``. Lists are scoped by the caller's conditions from
``matching.lib.principal.visible``; nothing here decides a rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import (
    RUN_LOCK_CLASS,
    RUN_LOCK_OBJECT,
    among,
    bulk_insert_columns,
    dialect_name,
)
from matching.db.rules import used_slots
from matching.matches.snapshot import available_workers
from matching.matches.solver import ProposalRow

R = m.MatchRun
P = m.Proposal.__table__.c
U = m.Unproposed.__table__.c
W = m.WorkerProfile.__table__.c
OP = m.Opening.__table__.c


# --- runs ----------------------------------------------------------------------------------


async def run_by_id(session: AsyncSession, run_id: int) -> m.MatchRun | None:
    return await session.get(R, run_id)


async def lock_runs(session: AsyncSession) -> None:
    """Hold the right to queue a run until the transaction ends, so that two requests never
    both find no overlapping live run and both queue one: a transaction-scoped advisory lock
    on PostgreSQL (of its own key), on SQLite the write lock, taken by an UPDATE of no row."""
    if dialect_name(session) == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(RUN_LOCK_CLASS, RUN_LOCK_OBJECT)))
    else:
        await session.execute(
            update(R).where(false()).values(id=R.id).execution_options(synchronize_session=False)
        )


async def live_runs(session: AsyncSession) -> list[m.MatchRun]:
    """The runs queued or running now (one per live share), oldest first."""
    stmt = (
        select(R).where(R.live.is_(True)).order_by(R.id).execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def runs_page(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[m.MatchRun], int]:
    """Runs newest first, and how many there are in all."""
    total = (await session.execute(select(func.count()).select_from(R))).scalar_one()
    rows = (
        await session.execute(select(R).order_by(R.id.desc()).limit(limit).offset(offset))
    ).scalars()
    return list(rows), int(total)


def add_run(session: AsyncSession, run: m.MatchRun) -> m.MatchRun:
    """Stage a new run; the caller flushes (and hears of a second live run there)."""
    session.add(run)
    return run


def _lapsed(now: dt.datetime) -> ColumnElement[bool]:
    """A live run's lease ran out (a run without one predates leases: its process is gone)."""
    return or_(R.lease_until.is_(None), R.lease_until < now)


async def fail_lapsed(session: AsyncSession, run_id: int, now: dt.datetime, *, error: str) -> bool:
    """The live run ``run_id`` fails with ``error`` if its lease ran out before ``now``;
    False when it had been renewed or had finished meanwhile."""
    result = await session.execute(
        update(R)
        .where(R.id == run_id, R.live.is_(True), _lapsed(now))
        .values(status="failed", live=None, finished_at=now, error=error)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_queued(
    session: AsyncSession, run_id: int, *, started_at: dt.datetime, lease_until: dt.datetime
) -> bool:
    """queued → running under a fresh lease; False when the run was not queued (someone else
    claimed it, or it was failed after its lease ran out)."""
    result = await session.execute(
        update(R)
        .where(R.id == run_id, R.status == "queued", R.live.is_(True))
        .values(status="running", started_at=started_at, lease_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def renew_lease(session: AsyncSession, run_id: int, *, lease_until: dt.datetime) -> bool:
    """Extend a running run's lease; False when it is no longer ours to run (it was failed
    as interrupted, or finished)."""
    result = await session.execute(
        update(R)
        .where(R.id == run_id, R.status == "running", R.live.is_(True))
        .values(lease_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(
    session: AsyncSession, run_id: int, *, error: str, finished_at: dt.datetime
) -> None:
    """A live run fails; one already failed (interrupted) or done keeps its outcome."""
    await session.execute(
        update(R)
        .where(R.id == run_id, R.live.is_(True))
        .values(status="failed", live=None, finished_at=finished_at, error=error)
        .execution_options(synchronize_session=False)
    )


async def mark_done(
    session: AsyncSession,
    run_id: int,
    *,
    finished_at: dt.datetime,
    stats: dict[str, Any],
    audit: dict[str, Any],
) -> None:
    await session.execute(
        update(R)
        .where(R.id == run_id)
        .values(status="done", live=None, finished_at=finished_at, stats=stats, audit=audit)
        .execution_options(synchronize_session=False)
    )


# --- the re-check before writing -----------------------------------------------------------


async def slots_left(
    session: AsyncSession, opening_ids: list[int], now: dt.datetime
) -> dict[int, int]:
    """Slots left now of those openings still open at an employer not suspended."""
    used = used_slots(now)
    left: dict[int, int] = {}
    for wanted in among(session, OP.id, opening_ids):
        stmt = (
            select(OP.id, (OP.headcount - func.coalesce(used.c.used, 0)).label("left"))
            .outerjoin(used, used.c.opening_id == OP.id)
            .join(m.Employer, m.Employer.id == OP.employer_id)
            .where(wanted, OP.status == "open", m.Employer.suspended.is_(False))
        )
        left.update({r.id: int(r.left) for r in (await session.execute(stmt)).all()})
    return left


async def available_among(
    session: AsyncSession, worker_ids: list[int], now: dt.datetime
) -> set[int]:
    """Those of ``worker_ids`` who are in the matching pool now (the snapshot's own rule)."""
    avail = available_workers(now)
    found: set[int] = set()
    for wanted in among(session, W.id, worker_ids):
        found.update((await session.execute(avail.where(wanted))).scalars())
    return found


# --- proposals and the reasons she was left out --------------------------------------------


async def insert_proposals(session: AsyncSession, run_id: int, rows: list[ProposalRow]) -> None:
    await bulk_insert_columns(
        session,
        m.Proposal,
        {
            "worker_id": [r.worker_id for r in rows],
            "opening_id": [r.opening_id for r in rows],
            "score": [r.score for r in rows],
            "priority": [r.priority for r in rows],
            "parts": [r.parts for r in rows],
            "reasons": [r.reasons for r in rows],
            "runners_up": [r.runners_up for r in rows],
        },
        {"run_id": run_id},
    )


async def insert_unproposed(
    session: AsyncSession, run_id: int, rows: list[tuple[int, int, str, str]]
) -> None:
    await bulk_insert_columns(
        session,
        m.Unproposed,
        {
            "worker_id": [w for w, _, _, _ in rows],
            "reason": [c for _, c, _, _ in rows],
            "zh": [zh[:300] for _, _, zh, _ in rows],
            "en": [en[:300] for _, _, _, en in rows],
        },
        {"run_id": run_id},
    )


async def proposals_page(
    session: AsyncSession,
    run_id: int,
    where: Sequence[ColumnElement[bool]],
    *,
    opening_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """A run's proposals with her name and the opening's title, by worker id, and the total."""
    conditions: list[Any] = [P.run_id == run_id, *where]
    if opening_id is not None:
        conditions.append(P.opening_id == opening_id)
    base = (
        select(
            P.worker_id,
            P.opening_id,
            P.score,
            P.priority,
            P.parts,
            P.reasons,
            P.runners_up,
            W.name.label("worker_name"),
            OP.title.label("opening_title"),
        )
        .join(m.WorkerProfile.__table__, W.id == P.worker_id)
        .join(m.Opening.__table__, OP.id == P.opening_id)
        .where(*conditions)
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (await session.execute(base.order_by(P.worker_id).limit(limit).offset(offset))).all()
    return list(rows), int(total)


async def unproposed_page(
    session: AsyncSession,
    run_id: int,
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """The workers a run left out, with her name and the reason in both languages, and the
    total."""
    base = (
        select(U.worker_id, U.zh, U.en, W.name.label("worker_name"))
        .join(m.WorkerProfile.__table__, W.id == U.worker_id)
        .where(U.run_id == run_id, *where)
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (await session.execute(base.order_by(U.worker_id).limit(limit).offset(offset))).all()
    return list(rows), int(total)


async def proposal_of(session: AsyncSession, run_id: int, worker_id: int) -> Any | None:
    """Her proposal in a run (opening and reasons), if she had one."""
    stmt = select(P.opening_id, P.reasons).where(P.run_id == run_id, P.worker_id == worker_id)
    return (await session.execute(stmt)).first()


async def unproposed_of(session: AsyncSession, run_id: int, worker_id: int) -> Any | None:
    """Why a run left her out (zh, en), if it recorded a reason."""
    stmt = select(U.zh, U.en).where(U.run_id == run_id, U.worker_id == worker_id)
    return (await session.execute(stmt)).first()


# --- erasure --------------------------------------------------------------------------------


async def forget_worker(session: AsyncSession, worker_id: int) -> dict[str, int]:
    """Her proposals stay (each run's counts stand) without their reasons, which name her
    groups and her home county; why she was left out of a run goes."""
    reasons = await session.execute(
        update(m.Proposal)
        .where(P.worker_id == worker_id)
        .values(reasons=[])
        .execution_options(synchronize_session=False)
    )
    unproposed = await session.execute(delete(m.Unproposed).where(U.worker_id == worker_id))
    return {
        "proposal_reasons": int(reasons.rowcount),  # type: ignore[attr-defined]
        "unproposed": int(unproposed.rowcount),  # type: ignore[attr-defined]
    }
