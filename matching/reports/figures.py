"""The federation's figures (the yearly report's numbers, live): who was transferred in a
period, her labour income, re-employment, training, job fairs and rights cases; and the
labour force they are a share of. Read only, but for the labour force an admin records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib import clock
from matching.lib.errors import FieldErrors, Forbidden, msg
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.network import repository as network_repo
from matching.reports import repository as repo
from matching.reports.schemas import (
    CaseFigures,
    CityCount,
    GroupCount,
    Income,
    JobFairFigures,
    LabourForceIn,
    LabourForceOut,
    MonthCount,
    OfficeCount,
    Reemployment,
    Summary,
    Trained,
    Transferred,
)

_TZ = ZoneInfo("Asia/Shanghai")
DISMISSALS = ("dismissed", "contract_violation", "employer_cancelled")
"""Endings that give her re-employment priority (as ``placements.service.DISMISSALS``)."""
HANDLED = ("resolved", "escalated", "closed")
"""A case is handled once concluded (as ``placements.cases.HANDLED``, ``/cases/figures``)."""
MIN_YEAR, MAX_YEAR = 2000, 2100
YEARS = "must lie in the years 2000–2100"


@dataclass(frozen=True, slots=True)
class Scope:
    """What a summary covers: an agency (None: every agency), and within it an office."""

    agency_id: int | None
    office: Any | None  # (id, agency_id, name, city)


def period(raw_from: str | None, raw_to: str | None) -> tuple[dt.date, dt.date]:
    """The period's two dates (inclusive), or 422 naming the one at fault."""
    errors = FieldErrors()
    days: dict[str, dt.date] = {}
    for field, raw in (("from", raw_from), ("to", raw_to)):
        if raw is None or not raw.strip():
            errors.add(field, msg("is required: a date as YYYY-MM-DD"))
            continue
        try:
            days[field] = dt.date.fromisoformat(raw.strip())
        except ValueError:
            errors.add(field, msg("is not a date as YYYY-MM-DD"))
            continue
        if not MIN_YEAR <= days[field].year <= MAX_YEAR:
            errors.add(field, YEARS)
    if not errors and days["from"] > days["to"]:
        errors.add("from", msg("is after the last day of the period (to)"))
    errors.raise_if_any()
    return days["from"], days["to"]


async def _scope(
    session: AsyncSession, principal: Principal, agency_id: int | None, office_id: int | None
) -> Scope:
    """Staff see their agency; admins everything (or the agency they ask for)."""
    if principal.is_staff:
        if agency_id not in (None, principal.agency_id):
            raise Forbidden(msg("staff see their own agency's figures only"))
        agency_id = principal.agency_id
    elif not principal.is_admin:
        raise Forbidden(msg("only agency staff and admins may read the figures"))
    errors = FieldErrors()
    if agency_id is not None and await network_repo.agency(session, agency_id) is None:
        errors.add("agency_id", msg("no agency with id {agency_id}"), agency_id=agency_id)
    office = None
    if office_id is not None:
        found = await repo.offices(session, [repo.OFC.id == office_id])
        if not found or (agency_id is not None and found[0].agency_id != agency_id):
            errors.add(
                "office_id", msg("no office with id {office_id} in the agency"), office_id=office_id
            )
        else:
            office = found[0]
    errors.raise_if_any()
    return Scope(agency_id if office is None else office.agency_id, office)


def _share(part: int, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole else None


def _yuan(x: Fraction) -> int:
    return int(x + Fraction(1, 2))  # whole yuan, half up (income is never negative)


def _months(start: dt.date, end: dt.date) -> list[str]:
    out, d = [], start.replace(day=1)
    while d <= end:
        out.append(f"{d:%Y-%m}")
        d = (d + dt.timedelta(days=32)).replace(day=1)
    return out


async def summary(
    session: AsyncSession,
    principal: Principal,
    raw_from: str | None,
    raw_to: str | None,
    *,
    agency_id: int | None = None,
    office_id: int | None = None,
) -> Summary:
    """The figures of a period, as the yearly report states them (see docs/figures.md)."""
    start, end = period(raw_from, raw_to)
    scope = await _scope(session, principal, agency_id, office_id)
    agency = [] if scope.agency_id is None else [repo.PL.agency_id == scope.agency_id]
    placed = list(agency)
    if scope.office is not None:
        placed.append(repo.PL.counted_city == scope.office.city)
    # Counted in the database (docs/figures.md, "Cost"): distinct workers whose placement
    # started in the period, local or away by her latest placement in it (local + away = total).
    await repo.room_for_aggregates(session)
    city = None if scope.office is None else scope.office.city
    t = await repo.transferred(session, start, end, scope.agency_id, city)
    labour_force = await repo.labour_force(
        session,
        end.year,
        [] if scope.agency_id is None else [repo.LF.agency_id == scope.agency_id],
    )
    total, women, local = t["total"], t["women"], t["local"]
    kept = [] if scope.agency_id is None else [repo.WC.agency_id == scope.agency_id]
    if scope.office is not None:
        kept.append(repo.WC.city == scope.office.city)
    parts, parts_women = await repo.income_parts(session, start, end, clock.today(), kept)
    dismissed = await repo.workers_dismissed(session, start, end, DISMISSALS, placed)

    agency_of = [] if scope.agency_id is None else [repo.CO.agency_id == scope.agency_id]
    people, sessions, free = await repo.training(session, start, end, agency_of)

    fairs_where = [] if scope.agency_id is None else [repo.JF.agency_id == scope.agency_id]
    fairs, employers, attendees, consultations, hires = await repo.fairs_between(
        session, start, end, fairs_where
    )

    since = dt.datetime.combine(start, dt.time(), _TZ).astimezone(dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), _TZ).astimezone(dt.UTC)
    case_where = [] if scope.agency_id is None else [repo.CA.agency_id == scope.agency_id]
    if scope.office is not None:
        case_where.append(repo.CA.office_id == scope.office.id)
    case_rows = await repo.cases_opened(
        session, since, until, handled=HANDLED, resolved="resolved", where=case_where
    )
    handled = sum(int(r.handled or 0) for r in case_rows)
    resolved = sum(int(r.resolved or 0) for r in case_rows)
    handled_by_office = {r.office_id: int(r.handled or 0) for r in case_rows}

    if scope.office is not None:
        offices = [scope.office]
    else:
        offices = await repo.offices(
            session, [] if scope.agency_id is None else [repo.OFC.agency_id == scope.agency_id]
        )
    by_office = [
        OfficeCount(
            office_id=o.id,
            name=o.name,
            transferred=t["by_place"].get((o.agency_id, o.city), 0),
            cases_handled=handled_by_office.get(o.id, 0),
        )
        for o in offices
    ]
    return Summary(
        from_=start,
        to=end,
        labour_force=labour_force,
        transferred=Transferred(
            total=total,
            women=women,
            women_share=_share(women, total),
            share_of_labour_force=_share(total, labour_force),
            local=local,
            away=total - local,
        ),
        labour_income_yuan=Income(
            total=_yuan(Fraction(parts, repo.MONTH)), women=_yuan(Fraction(parts_women, repo.MONTH))
        ),
        reemployment=Reemployment(
            dismissed=dismissed,
            replaced=t["replaced"],
            median_days_to_replacement=t["median_wait"],
        ),
        trained=Trained(people=people, sessions=sessions, free_for_priority=free),
        job_fairs=JobFairFigures(
            fairs=fairs,
            employers=employers,
            attendees=attendees,
            consultations=consultations,
            hires=hires,
        ),
        cases=CaseFigures(
            handled=handled,
            resolved=resolved,
            mediation_rate=_share(resolved, handled),
            compensation_recovered_yuan=sum(int(r.recovered or 0) for r in case_rows),
        ),
        by_priority_group=[
            GroupCount(code=g.code, transferred=t["by_group"].get(g.code, 0))
            for g in reference().groups
        ],
        by_destination_city=[
            CityCount(city=c, transferred=n)
            for c, n in sorted(t["by_city"].items(), key=lambda x: (-x[1], x[0]))
        ],
        by_office=by_office,
        by_month=[
            MonthCount(
                month=mo,
                transferred=t["by_month"].get(mo, (0, 0))[0],
                women=t["by_month"].get(mo, (0, 0))[1],
            )
            for mo in _months(start, end)
        ],
    )


def _check_year(errors: FieldErrors, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors.add("year", YEARS)


async def labour_forces(session: AsyncSession, principal: Principal, year: int) -> dict[int, int]:
    """The labour force each agency recorded for ``year``, by agency id (admin)."""
    principal.require("admin")
    errors = FieldErrors()
    _check_year(errors, year)
    errors.raise_if_any()
    return await repo.labour_forces(session, year)


async def put_labour_force(
    session: AsyncSession, principal: Principal, year: int, data: LabourForceIn
) -> LabourForceOut:
    """An admin records the labour force of an agency's township for a year (总劳动力)."""
    principal.require("admin")
    errors = FieldErrors()
    _check_year(errors, year)
    if await network_repo.agency(session, data.agency_id) is None:
        errors.add("agency_id", msg("no agency with id {agency_id}"), agency_id=data.agency_id)
    errors.raise_if_any()
    await repo.put_labour_force(
        session, data.agency_id, year, data.count, principal.account_id or None
    )
    return LabourForceOut(agency_id=data.agency_id, year=year, count=data.count)
