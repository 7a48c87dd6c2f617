"""The console's dashboard (工作台): today's counts and the last twelve months' placements;
and what an operator watches (``/metrics``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from matching.db.dialect import dialect_name
from matching.lib import clock
from matching.lib.principal import Principal, visible
from matching.reports import repository as repo


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    available_workers: int
    open_openings: int
    slots_left: int
    pending_offers: int
    placements_this_month: int
    followups_due: int
    open_cases: int
    failed_notices: int
    by_month: list[Bar]
    by_city: list[Bar]
    by_group: list[Bar]


async def dashboard(session: AsyncSession, principal: Principal) -> Dashboard:
    """Staff see their agency's figures (the openings pool is shared); admins everyone's."""
    workers = visible(principal, agency=repo.W.agency_id)
    placements = visible(principal, agency=repo.PL.agency_id)
    today = clock.today()
    month_start = today.replace(day=1)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    # Charts: the last twelve months of placements, grouped in Python (both dialects alike).
    since = (month_start - dt.timedelta(days=335)).replace(day=1)
    rows = await repo.placements_since(session, since, placements)
    months: list[str] = []
    d = since
    # placements confirmed ahead of their start date count in the month they start
    last = max([today, *(r.start_date for r in rows)])
    while d <= last:
        months.append(f"{d:%Y-%m}")
        d = (d + dt.timedelta(days=32)).replace(day=1)
    per_month = Counter(f"{r.start_date:%Y-%m}" for r in rows)
    per_city = Counter(r.city for r in rows)
    groups = await repo.groups_of_placements(session, [r.id for r in rows])
    return Dashboard(
        available_workers=await repo.available_workers(session, workers),
        open_openings=await repo.open_openings(session),
        slots_left=await repo.slots_left(session, clock.now()),
        pending_offers=await repo.pending_offers(session, workers),
        placements_this_month=await repo.placements_starting_between(
            session, month_start, next_month, placements
        ),
        followups_due=await repo.followups_due(session, today, placements),
        open_cases=await repo.open_cases(session, visible(principal, agency=repo.CA.agency_id)),
        failed_notices=await repo.failed_notices(session, workers),
        by_month=[Bar(mo, per_month.get(mo, 0)) for mo in months],
        by_city=[Bar(c, n) for c, n in per_city.most_common(8)],
        by_group=[Bar(c, n) for c, n in groups.most_common()],
    )


@dataclass(frozen=True, slots=True)
class Operations:
    """What an operator watches, read off the database (so any process answers alike)."""

    notices: dict[str, int]  # the outbox by status: pending is its depth
    notice_retries: int  # attempts beyond the first, summed
    oldest_pending_age_seconds: float | None
    match_runs: dict[str, int]
    last_run_seconds: dict[str, float]  # the last finished run's phases
    job_last_success: dict[str, dt.datetime]
    follow_ups_due: int
    scheduler_leaders: int | None  # holders of the leader lock; None on SQLite (a file lock)


async def operations(session: AsyncSession) -> Operations:
    now = clock.now()
    oldest = await repo.oldest_pending_notice(session)
    timings = await repo.last_done_run_timings(session)
    leaders = None
    if dialect_name(session) == "postgresql":
        leaders = await repo.scheduler_leaders(session)
    return Operations(
        notices=await repo.notices_by_status(session),
        notice_retries=await repo.notice_retries(session),
        oldest_pending_age_seconds=(now - oldest).total_seconds() if oldest else None,
        match_runs=await repo.match_runs_by_status(session),
        last_run_seconds={k: float(v) for k, v in timings.items() if isinstance(v, int | float)},
        job_last_success=await repo.last_job_successes(session),
        follow_ups_due=await repo.followups_due(session, clock.today(), []),
        scheduler_leaders=leaders,
    )
