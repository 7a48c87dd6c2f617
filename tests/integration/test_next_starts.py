"""The summary's distinct counts read each placement's next starts (``db/next_starts.py``):
for random small worlds — same-day starts, several cities, agencies and offices, placements
added, ended before they started, moved to another start date, deleted, an opening moved to
another city and a worker's sex corrected — every count of ``reports.repository.transferred``
equals a plain distinct count made here from the rows, for random periods and scopes, and the
kept columns equal a rebuild from scratch. On both databases."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from matching.db import models as m
from matching.db import next_starts, wage_changes
from matching.openings import repository as openings_repo
from matching.placements import repository as placements_repo
from matching.profiles import repository as profiles_repo
from matching.reports import repository as repo

PL = m.Placement.__table__.c
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY0 = dt.date(2026, 1, 1)
CITIES = ("上海", "苏州", "南通")
AGENCIES = (1, 2)
WORKERS = 5
SEX = {1: "female", 2: "male", 3: "female", 4: None, 5: "male"}
GROUPS = {1: ["poor_household"], 3: ["left_behind", "poor_household"], 4: ["left_behind"]}
# Six openings: each city twice, the second's employer a local workshop.
OPENINGS = {i: (CITIES[(i - 1) % 3], 1 + (i - 1) // 3) for i in range(1, 7)}
# Starts and period ends on a few days, month ends among them, so that ties, a next start on
# a period's first or last day and periods across a month's end are common.
DAYS = [0, 1, 2, 29, 30, 31, 32, 57, 58, 59, 60, 75]
day = st.sampled_from(DAYS)

add = st.tuples(
    st.just("add"),
    st.integers(1, WORKERS),
    st.integers(1, 6),
    st.sampled_from(AGENCIES),
    day,
    st.booleans(),
    st.none() | st.integers(1, 40),
)
change = st.one_of(
    st.tuples(st.just("end"), st.integers(0, 30), st.integers(-5, 20)),
    st.tuples(st.just("move"), st.integers(0, 30), day),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("city"), st.integers(1, 6), st.sampled_from(CITIES)),
    st.tuples(st.just("sex"), st.integers(1, WORKERS), st.sampled_from(["female", "male", None])),
)
op = st.one_of(add, add, add, change)  # three in four add a placement
scopes = st.sampled_from(
    [(None, None), *((a, None) for a in AGENCIES), *((a, c) for a in AGENCIES for c in CITIES)]
)
periods = st.tuples(day, day, st.integers(-1, 1)).map(
    lambda p: (
        DAY0 + dt.timedelta(days=min(p[0], p[1]) + p[2]),
        DAY0 + dt.timedelta(days=max(p[0], p[1])),
    )
)


async def _world(session: AsyncSession) -> None:
    for table in (
        m.WageChange, m.Placement, m.Offer, m.WorkerGroup, m.WorkerProfile, m.Opening,
        m.Employer, m.Agency,
    ):  # fmt: skip
        await session.execute(delete(table))
    await session.execute(insert(m.Agency), [{"id": a, "name": f"劳务{a}"} for a in AGENCIES])
    await session.execute(
        insert(m.Employer),
        [
            {"id": e, "name": f"单位{e}", "city": "上海", "agency_id": 1, "local_workshop": e == 2}
            for e in (1, 2)
        ],
    )
    await session.execute(
        insert(m.Opening),
        [
            {
                "id": o, "employer_id": e, "title": "岗位", "city": city, "headcount": 50,
                "monthly_wage_min": 3000, "monthly_wage_max": 5000, "housing_provided": True,
                "start_date": DAY0,
            }
            for o, (city, e) in OPENINGS.items()
        ],
    )  # fmt: skip
    await session.execute(
        insert(m.WorkerProfile),
        [
            {
                "id": w, "agency_id": 1, "name": f"劳动力{w}", "willing_to_relocate": True,
                "needs_housing": False, "consent_matching": True, "sex": SEX[w],
            }
            for w in range(1, WORKERS + 1)
        ],
    )  # fmt: skip
    rows = [{"worker_id": w, "group_code": g} for w, codes in GROUPS.items() for g in codes]
    await session.execute(insert(m.WorkerGroup), rows)


async def _apply(session: AsyncSession, ops: list[tuple[Any, ...]]) -> None:
    """Each write as the service's would make it, keeping the next starts as they do."""
    made: list[int] = []
    for n, o in enumerate(ops, start=1):
        if o[0] == "add":
            _, worker, opening, agency, day, at_home, waited = o
            await session.execute(
                insert(m.Offer).values(
                    id=n, worker_id=worker, opening_id=opening, status="confirmed",
                    expires_at=NOW, version=1,
                )
            )  # fmt: skip
            placement = m.Placement(
                offer_id=n, worker_id=worker, opening_id=opening,
                employer_id=OPENINGS[opening][1], agency_id=agency,
                start_date=DAY0 + dt.timedelta(days=day), status="active", confirmed_by="test",
                monthly_wage=4000, in_home_county=at_home, reemployed_after_days=waited,
            )  # fmt: skip
            await placements_repo.add_placement(session, placement)
            made.append(placement.id)
            continue
        if o[0] == "sex":
            worker = await session.get(m.WorkerProfile, o[1])
            assert worker is not None
            await profiles_repo.update_at_version(session, o[1], worker.version, {"sex": o[2]})
            session.expire_all()
            continue
        if o[0] == "city":
            opening = await session.get(m.Opening, o[1])
            assert opening is not None
            await openings_repo.update_opening_at_version(
                session, o[1], opening.version, {"city": o[2]}
            )
            continue
        if not made:
            continue
        pid = made[o[1] % len(made)]
        if o[0] == "end":  # an end before the start: it never happened
            start = (await session.execute(select(PL.start_date).where(PL.id == pid))).scalar()
            first = _day(start)
            assert first is not None
            ended = first + dt.timedelta(days=o[2])
            await placements_repo.end_active(session, pid, ended_on=ended, reason="quit", note=None)
        elif o[0] == "move":  # no service moves a start yet; a write that did would do this
            async with wage_changes.changing(session, PL.id == pid):
                await session.execute(
                    update(m.Placement)
                    .where(PL.id == pid)
                    .values(start_date=DAY0 + dt.timedelta(days=o[2]))
                )
            await next_starts.follow(session, PL.id == pid)
        else:  # deleted (none is, yet): her others' columns are recomputed, by her id
            worker = (await session.execute(select(PL.worker_id).where(PL.id == pid))).scalar()
            async with wage_changes.changing(session, PL.id == pid):
                await session.execute(delete(m.Placement).where(PL.id == pid))
            made.remove(pid)
            await next_starts.follow(session, PL.worker_id == worker)
        session.expire_all()


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


async def _expected(
    session: AsyncSession, start: dt.date, end: dt.date, agency: int | None, city: str | None
) -> dict[str, Any]:
    """The counts made plainly: the placements in the period and scope, as sets of workers."""
    op_ = m.Opening.__table__.c
    wp = m.WorkerProfile.__table__.c
    sex: dict[int, str | None] = {
        r.id: r.sex for r in (await session.execute(select(wp.id, wp.sex))).all()
    }
    rows = (
        await session.execute(
            select(PL.id, PL.worker_id, PL.agency_id, PL.start_date, PL.ended_on,
                   PL.in_home_county, PL.employer_id, PL.reemployed_after_days, op_.city)
            .join(m.Opening.__table__, op_.id == PL.opening_id)
        )
    ).all()  # fmt: skip
    took = [
        r
        for r in rows
        if (r.ended_on is None or _day(r.ended_on) >= _day(r.start_date))  # type: ignore[operator]
        and start <= _day(r.start_date) <= end  # type: ignore[operator]
        and agency in (None, r.agency_id)
        and city in (None, r.city)
    ]
    latest: dict[int, Any] = {}
    for r in sorted(took, key=lambda r: (_day(r.start_date), r.id)):
        latest[r.worker_id] = r
    months: dict[str, set[int]] = defaultdict(set)
    cities: dict[str, set[int]] = defaultdict(set)
    places: dict[tuple[int, str], set[int]] = defaultdict(set)
    for r in took:
        months[f"{_day(r.start_date):%Y-%m}"].add(r.worker_id)
        cities[r.city].add(r.worker_id)
        places[(r.agency_id, r.city)].add(r.worker_id)
    groups: dict[str, set[int]] = defaultdict(set)
    for w in latest:
        for g in GROUPS.get(w, []):
            groups[g].add(w)
    waits = [r.reemployed_after_days for r in took if r.reemployed_after_days is not None]
    return {
        "total": len(latest),
        "women": sum(sex[w] == "female" for w in latest),
        "local": sum(bool(r.in_home_county or r.employer_id == 2) for r in latest.values()),
        "replaced": len({r.worker_id for r in took if r.reemployed_after_days is not None}),
        "median_wait": statistics.median(waits) if waits else None,
        "by_month": {k: (len(v), sum(sex[w] == "female" for w in v)) for k, v in months.items()},
        "by_city": {k: len(v) for k, v in cities.items()},
        "by_place": {k: len(v) for k, v in places.items()},
        "by_group": {k: len(v) for k, v in groups.items()},
    }


async def _kept(session: AsyncSession) -> list[Any]:
    cols = [PL.id, *(PL[k] for k in next_starts.GROUPINGS), PL.counted_city, PL.counted_woman]
    return list((await session.execute(select(*cols).order_by(PL.id))).all())


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    ops=st.lists(op, min_size=8, max_size=30),
    asked=st.lists(st.tuples(periods, scopes), min_size=1, max_size=6),
)
async def test_the_counts_by_next_starts_are_the_distinct_counts(
    engine: AsyncEngine,
    ops: list[tuple[Any, ...]],
    asked: list[tuple[tuple[dt.date, dt.date], tuple[int | None, str | None]]],
) -> None:
    async with AsyncSession(engine) as session:  # rolled back when it closes
        await _world(session)
        await _apply(session, ops)
        for (start, end), (agency, city) in asked:
            got = await repo.transferred(session, start, end, agency, city)
            assert got == await _expected(session, start, end, agency, city)
        kept = await _kept(session)
        await next_starts.rebuild(session)
        assert await _kept(session) == kept
