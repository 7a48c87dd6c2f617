"""The reports' SQL: counts and chart rows, each confined by the caller's scope conditions
(``matching.lib.principal.visible``). Nothing here writes."""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections import Counter
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    case,
    cast,
    distinct,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import SCHEDULER_LOCK_CLASS, SCHEDULER_LOCK_OBJECT
from matching.db.rules import used_slots
from matching.db.wage_changes import HAPPENED
from matching.lib import clock

W = m.WorkerProfile.__table__.c
G = m.WorkerGroup.__table__.c
OF = m.Offer.__table__.c
OP = m.Opening.__table__.c
E = m.Employer.__table__.c
PL = m.Placement.__table__.c
FU = m.FollowUp.__table__.c
CA = m.Case.__table__.c
N = m.Notice.__table__.c

OPEN_CASE = ("open", "mediating", "escalated")
Where = list[ColumnElement[bool]]


async def _count(session: AsyncSession, stmt: Any) -> int:
    return int((await session.execute(stmt)).scalar_one() or 0)


async def available_workers(session: AsyncSession, where: Where) -> int:
    stmt = (
        select(func.count())
        .select_from(m.WorkerProfile.__table__)
        .where(W.status == "available", *where)
    )
    return await _count(session, stmt)


_POOL = m.Opening.__table__.join(m.Employer.__table__, E.id == OP.employer_id)
_IS_OPEN = (OP.status == "open", E.suspended.is_(False))


async def open_openings(session: AsyncSession) -> int:
    """Openings are one shared pool: every agency sees every open opening."""
    return await _count(session, select(func.count()).select_from(_POOL).where(*_IS_OPEN))


async def slots_left(session: AsyncSession, now: dt.datetime) -> int:
    """Slots left in open openings, counted as matching counts them, in one statement."""
    used = used_slots(now)
    left = OP.headcount - func.coalesce(used.c.used, 0)
    stmt = (
        select(func.coalesce(func.sum(case((left > 0, left), else_=0)), 0))
        .select_from(_POOL.outerjoin(used, used.c.opening_id == OP.id))
        .where(*_IS_OPEN)
    )
    return await _count(session, stmt)


async def pending_offers(session: AsyncSession, where: Where) -> int:
    stmt = (
        select(func.count())
        .select_from(m.Offer.__table__.join(m.WorkerProfile.__table__, W.id == OF.worker_id))
        .where(OF.status == "pending", *where)
    )
    return await _count(session, stmt)


async def placements_starting_between(
    session: AsyncSession, start: dt.date, end: dt.date, where: Where
) -> int:
    stmt = (
        select(func.count())
        .select_from(m.Placement.__table__)
        .where(PL.start_date >= start, PL.start_date < end, *where)
    )
    return await _count(session, stmt)


async def followups_due(session: AsyncSession, today: dt.date, where: Where) -> int:
    stmt = (
        select(func.count())
        .select_from(m.FollowUp.__table__.join(m.Placement.__table__, PL.id == FU.placement_id))
        .where(FU.status.in_(("scheduled", "due")), FU.due_on <= today, *where)
    )
    return await _count(session, stmt)


async def open_cases(session: AsyncSession, where: Where) -> int:
    stmt = (
        select(func.count()).select_from(m.Case.__table__).where(CA.status.in_(OPEN_CASE), *where)
    )
    return await _count(session, stmt)


async def failed_notices(session: AsyncSession, where: Where) -> int:
    stmt = (
        select(func.count())
        .select_from(m.Notice.__table__.outerjoin(m.WorkerProfile.__table__, W.id == N.worker_id))
        .where(N.status == "failed", *where)
    )
    return await _count(session, stmt)


async def placements_since(session: AsyncSession, since: dt.date, where: Where) -> list[Any]:
    """(id, start date, city) of every placement starting on or after ``since``."""
    stmt = (
        select(PL.id, PL.start_date, OP.city)
        .join(m.Opening.__table__, OP.id == PL.opening_id)
        .where(PL.start_date >= since, *where)
    )
    return list((await session.execute(stmt)).all())


async def groups_of_placements(session: AsyncSession, placement_ids: list[int]) -> Counter[str]:
    """How many of these placements' workers are in each priority group."""
    groups: Counter[str] = Counter()
    for start in range(0, len(placement_ids), 500):
        chunk = placement_ids[start : start + 500]
        stmt = (
            select(G.group_code, func.count())
            .select_from(
                m.Placement.__table__.join(m.WorkerGroup.__table__, G.worker_id == PL.worker_id)
            )
            .where(PL.id.in_(chunk))
            .group_by(G.group_code)
        )
        for code, n in (await session.execute(stmt)).all():
            groups[code] += n
    return groups


# --- the federation's figures -------------------------------------------------------------

LF = m.LabourForce.__table__.c
JF = m.JobFair.__table__.c
JE = m.JobFairEmployer.__table__.c
EN = m.Enrolment.__table__.c
TS = m.TrainingSession.__table__.c
CO = m.Course.__table__.c
OFC = m.Office.__table__.c

# What the summary's aggregates join: no more than their figures and scopes read (the foreign
# keys make each join keep every placement, so leaving one out changes no count). They read the
# opening's city and her sex from the placement's copies (``db/next_starts.py``).
_EMPLOYER = m.Placement.__table__.join(m.Employer.__table__, E.id == PL.employer_id)
_GROUPS = m.Placement.__table__.join(m.WorkerGroup.__table__, G.worker_id == PL.worker_id)


# Pro-rated income in whole integers: a day of a month of ``dim`` days is worth STEP[dim] of
# MONTH parts (MONTH = lcm(28, 29, 30, 31)), so the sum is exact and the service rounds once.
MONTH = 377_580
STEP = {28: 13_485, 29: 13_020, 30: 12_586, 31: 12_180}


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _day(pg: bool, value: dt.date) -> Any:
    """A date as a parameter: typed on PostgreSQL; on SQLite the text SQLite's dates are."""
    return cast(literal(value, Date), Date) if pg else literal(value, Date)


def _month(pg: bool, d: Any) -> Any:
    return func.to_char(d, "YYYY-MM") if pg else func.strftime("%Y-%m", d)


def _first_of_month(pg: bool, d: Any) -> Any:
    """The first day of date ``d``'s month (on PostgreSQL a timestamp without a time zone, so
    that neither the session's zone nor a conversion moves it)."""
    return func.date_trunc("month", cast(d, DateTime)) if pg else func.date(d, "start of month")


def _next_month(pg: bool, d: Any) -> Any:
    """The first day of the month after date ``d``'s."""
    if pg:
        return _first_of_month(pg, d) + text("interval '1 month'")
    return func.date(d, "start of month", "+1 month")


def _latest(column: Any, end: Any) -> Any:
    """1 for the placement a worker is counted by in a grouping over a period ending ``end``:
    her next start in it is after the period, or there is none (``db/next_starts.py``)."""
    return case((or_(column.is_(None), column > end), 1), else_=0)


def _groupings(agency_id: int | None, city: str | None) -> tuple[Any, Any, Any]:
    """The next-start columns of the scope's grouping, of the scope's grouping within a city,
    and of (agency, city): what her one count in the scope, in a city and at an office read."""
    if city is not None:
        return PL.next_start_place, PL.next_start_place, PL.next_start_place
    if agency_id is not None:
        return PL.next_start_agency, PL.next_start_place, PL.next_start_place
    return PL.next_start, PL.next_start_city, PL.next_start_place


def _in_scope(
    pg: bool, start: dt.date, end: dt.date, agency_id: int | None, city: str | None
) -> Where:
    where = [PL.start_date >= _day(pg, start), PL.start_date <= _day(pg, end), HAPPENED]
    if agency_id is not None:
        where.append(PL.agency_id == agency_id)
    if city is not None:
        where.append(PL.counted_city == city)
    return where


async def room_for_aggregates(session: AsyncSession) -> None:
    """For the rest of the transaction (PostgreSQL): memory enough that the summary's
    aggregates stay in memory instead of spilling to disk, and no JIT compilation, which costs
    about a second per summary and saves less."""
    if _postgres(session):
        await session.execute(text("SET LOCAL work_mem = '64MB'"))
        await session.execute(text("SET LOCAL jit = off"))


async def transferred(
    session: AsyncSession, start: dt.date, end: dt.date, agency_id: int | None, city: str | None
) -> dict[str, Any]:
    """Who was transferred in [start, end] among the placements of the agency (None: every
    agency) in the city (None: every city): distinct workers, women, local by her latest
    placement, those placed again after a dismissal and the days they waited (per placement,
    as counts per number of days, for the median), and the breakdowns by month, city,
    (agency, city) and priority group.

    No count groups by worker: a worker is counted, in each grouping, by her one placement in
    the period whose next start in that grouping is after it (``db/next_starts.py``); in a
    month, by the one whose next start is after the month (or the period). So one read of the
    period's placements (an index-only scan of the start date index on PostgreSQL) summed into
    a few hundred rows per (agency, city, month, woman, local) gives every count but the
    groups' (a second read, joined to the groups) and the re-employment's (the placements
    with a wait, a partial index of their own)."""
    pg = _postgres(session)
    until = _day(pg, end)
    scope, in_city, at_office = _groupings(agency_id, city)
    where = _in_scope(pg, start, end, agency_id, city)
    latest = _latest(scope, until)
    in_month = case(
        (or_(scope.is_(None), scope > until, scope >= _next_month(pg, PL.start_date)), 1),
        else_=0,
    )
    woman = case((PL.counted_woman.is_(True), 1), else_=0)
    local = case((or_(PL.in_home_county.is_(True), E.local_workshop.is_(True)), 1), else_=0)
    month = _first_of_month(pg, PL.start_date)
    sums = (
        select(
            PL.agency_id,
            PL.counted_city,
            month,
            woman,
            local,
            func.sum(latest),
            func.sum(in_month),
            func.sum(_latest(in_city, until)),
            func.sum(_latest(at_office, until)),
        )
        .select_from(_EMPLOYER)
        .where(*where)
        .group_by(PL.agency_id, PL.counted_city, month, woman, local)
    )
    out: dict[str, Any] = {
        "total": 0, "women": 0, "local": 0,
        "by_month": {}, "by_city": Counter(), "by_place": Counter(), "by_group": {},
    }  # fmt: skip
    months: dict[str, tuple[int, int]] = {}
    for agency, place, first, is_woman, is_local, n, n_month, n_city, n_place in (
        await session.execute(sums)
    ).all():
        n, n_month = int(n), int(n_month)
        out["total"] += n
        out["women"] += n if is_woman else 0
        out["local"] += n if is_local else 0
        key = str(first)[:7]  # a date, a timestamp or SQLite's text: YYYY-MM first
        people, women = months.get(key, (0, 0))
        months[key] = (people + n_month, women + (n_month if is_woman else 0))
        out["by_city"][str(place)] += int(n_city)
        out["by_place"][(agency, place)] += int(n_place)
    out["by_month"] = months
    out["by_city"] = {k: v for k, v in out["by_city"].items() if v}
    out["by_place"] = {k: v for k, v in out["by_place"].items() if v}

    groups = (
        select(G.group_code, func.count())
        .select_from(_GROUPS)
        .where(*where, scope.is_(None) | (scope > until))
        .group_by(G.group_code)
    )
    out["by_group"] = {str(code): int(n) for code, n in (await session.execute(groups)).all()}

    waited = (
        select(PL.worker_id, PL.reemployed_after_days.label("waited"))
        .where(*where, PL.reemployed_after_days.is_not(None))
        .subquery("waited")
    )
    none_int = cast(null(), BigInteger)
    stmt = union_all(
        select(none_int, func.count(distinct(waited.c.worker_id))),
        select(waited.c.waited, func.count()).group_by(waited.c.waited),
    )
    waits: dict[int, int] = {}
    for days, n in (await session.execute(stmt)).all():
        if days is None:
            out["replaced"] = int(n)
        else:
            waits[int(days)] = int(n)
    out["median_wait"] = _median(waits)
    return out


def _median(counts: dict[int, int]) -> float | None:
    """The median of values given as value → how many times (the middle one, or the mean of
    the middle two)."""
    n = sum(counts.values())
    if n == 0:
        return None
    middle, seen, found = ((n - 1) // 2, n // 2), 0, []
    for value in sorted(counts):
        lo, seen = seen, seen + counts[value]
        found += [value for i in middle if lo <= i < seen]
    return sum(found) / 2


WC = m.WageChange.__table__.c


def parts(d: dt.date) -> int:
    """Date ``d`` on a line of month parts: MONTH × (12·year + month) + the parts of the days
    of its month before it, so the pro-rated months between two dates are a difference (a
    whole month is MONTH)."""
    return MONTH * (12 * d.year + d.month) + (d.day - 1) * STEP[monthrange(d.year, d.month)[1]]


async def income_parts(
    session: AsyncSession, start: dt.date, end: dt.date, today: dt.date, where: Where
) -> tuple[int, int]:
    """Labour income over [start, end] in month parts (÷ MONTH for yuan), all and women's:
    each placement's monthly wage for the days it was active in the period (to its end date,
    or today while it runs), pro rata by the days of each calendar month.

    Read from the kept table ``wage_changes`` (``where`` on its agency and city): the wages
    being earned change on the days it records, so a change on day ``d`` earns
    ``wage × (parts(H + 1) − parts(max(d, start)))`` to the period's last day ``H`` (today for
    a placement still running). The changes before the period are summed into one row."""
    day = case((WC.day < _day(_postgres(session), start), None), else_=WC.day)
    stmt = (
        select(WC.running, WC.woman, day, func.sum(WC.wage))
        .where(WC.day <= _day(_postgres(session), end), *where)
        .group_by(WC.running, WC.woman, day)
    )
    total = women = 0
    for running, woman, on, wage in (await session.execute(stmt)).all():
        last = min(end, today) if running else end
        on = start if on is None else on
        if isinstance(on, str):  # SQLite hands a CASE's date back as its text
            on = dt.date.fromisoformat(on)
        if last < start or on > last:
            continue
        earned = int(wage) * (parts(last + dt.timedelta(days=1)) - parts(on))
        total += earned
        if woman:
            women += earned
    return total, women


async def workers_dismissed(
    session: AsyncSession, start: dt.date, end: dt.date, reasons: tuple[str, ...], where: Where
) -> int:
    """Distinct workers whose placement ended in [start, end] for one of ``reasons``."""
    stmt = select(func.count(distinct(PL.worker_id))).where(
        PL.ended_on >= start, PL.ended_on <= end, PL.end_reason.in_(reasons), *where
    )
    return await _count(session, stmt)


async def labour_force(session: AsyncSession, year: int, where: Where) -> int | None:
    """The labour force of the agencies in scope in ``year``; None when none recorded it."""
    stmt = select(func.sum(LF.count)).where(LF.year == year, *where)
    value = (await session.execute(stmt)).scalar()
    return None if value is None else int(value)


async def labour_forces(session: AsyncSession, year: int) -> dict[int, int]:
    """Each agency's recorded labour force in ``year``, by agency id (unrecorded: absent)."""
    stmt = select(LF.agency_id, LF.count).where(LF.year == year)
    return {int(a): int(n) for a, n in (await session.execute(stmt)).all()}


async def put_labour_force(
    session: AsyncSession, agency_id: int, year: int, count: int, by: int | None
) -> None:
    """Record (or replace) an agency's labour force for a year."""
    row = await session.get(m.LabourForce, (agency_id, year))
    if row is None:
        session.add(m.LabourForce(agency_id=agency_id, year=year, count=count, updated_by_id=by))
    else:
        row.count, row.updated_by_id, row.updated_at = count, by, clock.now()
    await session.flush()


async def training(
    session: AsyncSession, start: dt.date, end: dt.date, where: Where
) -> tuple[int, int, int]:
    """(people who completed a course in [start, end], sessions starting then, people among
    the first whose fee was waived as a priority group's)."""
    done = (
        select(
            func.count(distinct(EN.worker_id)),
            func.count(distinct(case((EN.fee_waived.is_(True), EN.worker_id)))),
        )
        .select_from(
            m.Enrolment.__table__.join(m.TrainingSession.__table__, TS.id == EN.session_id).join(
                m.Course.__table__, CO.id == TS.course_id
            )
        )
        .where(EN.status == "completed", EN.completed_on >= start, EN.completed_on <= end, *where)
    )
    people, free = (await session.execute(done)).one()
    sessions = (
        select(func.count())
        .select_from(m.TrainingSession.__table__.join(m.Course.__table__, CO.id == TS.course_id))
        .where(TS.starts_on >= start, TS.starts_on <= end, *where)
    )
    return int(people or 0), await _count(session, sessions), int(free or 0)


async def fairs_between(
    session: AsyncSession, start: dt.date, end: dt.date, where: Where
) -> tuple[int, int, int, int, int]:
    """(fairs held in [start, end], employers attending them, attendees, consultations, hires:
    offers confirmed at them)."""
    fairs = select(JF.id).where(JF.date >= start, JF.date <= end, *where).subquery()
    totals = select(
        func.count(),
        func.coalesce(func.sum(JF.attendees), 0),
        func.coalesce(func.sum(JF.consultations), 0),
    ).where(JF.id.in_(select(fairs.c.id)))
    n, attendees, consultations = (await session.execute(totals)).one()
    employers = select(func.count()).where(JE.job_fair_id.in_(select(fairs.c.id)))
    hires = select(func.count()).where(
        OF.job_fair_id.in_(select(fairs.c.id)), OF.status == "confirmed"
    )
    return (
        int(n),
        await _count(session, employers),
        int(attendees),
        int(consultations),
        await _count(session, hires),
    )


async def cases_opened(
    session: AsyncSession,
    since: dt.datetime,
    until: dt.datetime,
    *,
    handled: tuple[str, ...],
    resolved: str,
    where: Where,
) -> list[Any]:
    """Per office (None: no office), of the cases opened in [since, until): those now handled,
    resolved, and the money recovered on all of them."""
    stmt = (
        select(
            CA.office_id,
            func.sum(case((CA.status.in_(handled), 1), else_=0)).label("handled"),
            func.sum(case((CA.status == resolved, 1), else_=0)).label("resolved"),
            func.coalesce(func.sum(CA.money_recovered), 0).label("recovered"),
        )
        .where(CA.opened_at >= since, CA.opened_at < until, *where)
        .group_by(CA.office_id)
    )
    return list((await session.execute(stmt)).all())


async def offices(session: AsyncSession, where: Where) -> list[Any]:
    """(id, agency_id, name, city) of the offices in scope, by id."""
    stmt = select(OFC.id, OFC.agency_id, OFC.name, OFC.city).where(*where).order_by(OFC.id)
    return list((await session.execute(stmt)).all())


# --- job fairs ------------------------------------------------------------------------------


async def add_fair(session: AsyncSession, fair: m.JobFair) -> None:
    session.add(fair)
    await session.flush()


async def fair(session: AsyncSession, fair_id: int) -> m.JobFair | None:
    return await session.get(m.JobFair, fair_id)


async def fairs(session: AsyncSession, agency_id: int | None, limit: int) -> list[m.JobFair]:
    """The newest fairs: every one (agency_id None), or an agency's and the federation's."""
    stmt = select(m.JobFair).order_by(m.JobFair.date.desc(), m.JobFair.id.desc()).limit(limit)
    if agency_id is not None:
        stmt = stmt.where(or_(m.JobFair.agency_id == agency_id, m.JobFair.agency_id.is_(None)))
    return list((await session.execute(stmt)).scalars())


async def fair_employers(session: AsyncSession, fair_id: int) -> list[int]:
    stmt = select(JE.employer_id).where(JE.job_fair_id == fair_id).order_by(JE.employer_id)
    return [int(x) for x in (await session.execute(stmt)).scalars()]


async def fair_hires(session: AsyncSession, fair_id: int) -> int:
    stmt = select(func.count()).where(OF.job_fair_id == fair_id, OF.status == "confirmed")
    return await _count(session, stmt)


async def add_fair_employer(session: AsyncSession, fair_id: int, employer_id: int) -> bool:
    """The employer attends the fair; False when it was listed already."""
    if await session.get(m.JobFairEmployer, (fair_id, employer_id)) is not None:
        return False
    session.add(m.JobFairEmployer(job_fair_id=fair_id, employer_id=employer_id))
    await session.flush()
    return True


async def update_fair_at_version(
    session: AsyncSession, fair_id: int, version: int, values: dict[str, Any]
) -> int:
    result = await session.execute(
        update(m.JobFair)
        .where(m.JobFair.id == fair_id, m.JobFair.version == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- what an operator watches (/metrics): unscoped, read by the metrics route only ----------

MR = m.MatchRun.__table__.c
JR = m.JobRun.__table__.c


async def notices_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(N.status, func.count()).group_by(N.status))
    return {status: int(n) for status, n in rows.all()}


async def notice_retries(session: AsyncSession) -> int:
    """Delivery attempts beyond each notice's first, over the whole outbox."""
    stmt = select(func.coalesce(func.sum(N.attempts - 1), 0)).where(N.attempts > 1)
    return await _count(session, stmt)


async def oldest_pending_notice(session: AsyncSession) -> dt.datetime | None:
    stmt = select(func.min(N.created_at)).where(N.status == "pending")
    return (await session.execute(stmt)).scalar_one_or_none()


async def match_runs_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(MR.status, func.count()).group_by(MR.status))
    return {status: int(n) for status, n in rows.all()}


async def last_done_run_timings(session: AsyncSession) -> dict[str, Any]:
    stmt = select(MR.timings).where(MR.status == "done").order_by(MR.id.desc()).limit(1)
    return dict((await session.execute(stmt)).scalar_one_or_none() or {})


async def last_job_successes(session: AsyncSession) -> dict[str, dt.datetime]:
    stmt = select(JR.job, func.max(JR.finished_at)).where(JR.outcome == "ok").group_by(JR.job)
    return {job: at for job, at in (await session.execute(stmt)).all() if at is not None}


async def scheduler_leaders(session: AsyncSession) -> int:
    """Sessions holding the scheduler's leader lock in this database (PostgreSQL only)."""
    stmt = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :c"
        " AND objid = :o AND objsubid = 2 AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    found = await session.execute(stmt, {"c": SCHEDULER_LOCK_CLASS, "o": SCHEDULER_LOCK_OBJECT})
    return int(found.scalar_one())


# --- a fair's self-registration queue ------------------------------------------------------

FRT = m.FairRegistration.__table__
FR = FRT.c
PERSONAL = ("name", "phone", "birth_date", "home_county", "skills", "willing_to_relocate")
"""Her fields on a queue entry, blanked once it is handled or expired."""


async def fair_by_code(session: AsyncSession, code: str) -> m.JobFair | None:
    stmt = select(m.JobFair).where(m.JobFair.register_code == code)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_registration(session: AsyncSession, values: dict[str, Any]) -> int:
    result = await session.execute(insert(m.FairRegistration).values(**values).returning(FR.id))
    return int(result.scalar_one())


async def registration_count(session: AsyncSession, fair_id: int) -> int:
    return await _count(session, select(func.count()).where(FR.job_fair_id == fair_id))


async def registrations(
    session: AsyncSession, fair_id: int, status: str | None, limit: int, offset: int
) -> tuple[list[Any], int]:
    where = [FR.job_fair_id == fair_id, *([FR.status == status] if status else [])]
    total = await _count(session, select(func.count()).select_from(FRT).where(*where))
    stmt = select(FRT).where(*where).order_by(FR.id).limit(limit).offset(offset)
    return list((await session.execute(stmt)).all()), total


async def registration(session: AsyncSession, fair_id: int, reg_id: int) -> Any | None:
    stmt = select(FRT).where(FR.id == reg_id, FR.job_fair_id == fair_id)
    return (await session.execute(stmt)).first()


async def handle_registration(
    session: AsyncSession,
    reg_id: int,
    status: str,
    worker_id: int | None,
    by_id: int | None,
    at: dt.datetime,
) -> int:
    """Mark a queued entry handled and blank her fields; 0 when it was handled already."""
    result = await session.execute(
        update(m.FairRegistration)
        .where(FR.id == reg_id, FR.status == "queued")
        .values(
            status=status,
            worker_id=worker_id,
            handled_by_id=by_id,
            handled_at=at,
            **dict.fromkeys(PERSONAL),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def expire_registrations(session: AsyncSession, before: dt.datetime, at: dt.datetime) -> int:
    """Queued entries older than ``before`` expire: their personal fields are blanked."""
    result = await session.execute(
        update(m.FairRegistration)
        .where(FR.status == "queued", FR.created_at < before)
        .values(status="expired", handled_at=at, **dict.fromkeys(PERSONAL))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
