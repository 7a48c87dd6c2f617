"""Use cases for placements: start one from a confirmed offer, read it, end it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, Forbidden, Invalid, NotFound, msg
from matching.lib.principal import Principal, may_see, visible
from matching.network.fees import quote_fee
from matching.network.repository import office_contact, office_phone
from matching.notices import facts, templates
from matching.notices.outbox import enqueue, notice_row
from matching.placements import repository as repo
from matching.placements.repository import DueFollowUp, PlacementRow
from matching.placements.schemas import FollowUpOut, PlacementItem, PlacementOut, PlacementPage

DISMISSALS = ("dismissed", "contract_violation", "employer_cancelled")
"""Reasons she returns to the pool first and the employer is barred: a cancellation before she
starts is the employer ending her placement, as a dismissal is."""
CANCELLED = "employer_cancelled"
NOT_STARTED = (
    "she has not started yet: before the start date a placement ends only because the employer "
    "cancels it (employer_cancelled)"
)
STARTED = "she has started: an employer ending the placement now dismisses her (dismissed)"

REEMPLOYMENT = "reemployment"
FOLLOW_UP_DAYS = (7, 30, 90)
"""Follow-ups fall due this many days after the start date (回访: 第7、30、90天)."""


@dataclass(frozen=True, slots=True)
class Start:
    """What a confirmed offer brings to the placement it starts."""

    offer_id: int
    worker_id: int
    opening_id: int
    employer_id: int
    agency_id: int
    city: str
    start_date: dt.date
    confirmed_by: str
    monthly_wage: int


def aftercare_ends(start_date: dt.date) -> dt.datetime:
    """Her link keeps working through the follow-up period, and a week beyond."""
    return dt.datetime.combine(
        start_date + dt.timedelta(days=FOLLOW_UP_DAYS[-1] + 7), dt.time(), dt.UTC
    )


async def start(session: AsyncSession, s: Start) -> int:
    """A confirmed offer becomes a placement: the fee from the published schedule, her
    re-employment noted, the follow-ups on the calendar, and she is placed. Its id."""
    industry = await repo.employer_industry(session, s.employer_id)
    fee = await quote_fee(
        session, agency_id=s.agency_id, worker_id=s.worker_id, city=s.city, industry=industry
    )
    placement = m.Placement(
        offer_id=s.offer_id,
        worker_id=s.worker_id,
        opening_id=s.opening_id,
        employer_id=s.employer_id,
        agency_id=s.agency_id,
        start_date=s.start_date,
        status="active",
        confirmed_by=s.confirmed_by,
        monthly_wage=s.monthly_wage,
        in_home_county=await repo.in_home_county(session, s.worker_id, s.opening_id),
        fee_due=fee.amount,
        fee_waived=fee.waived,
        fee_schedule_id=fee.schedule_id,
        fee_schedule_version=fee.version,
        version=1,
    )
    await repo.add_placement(session, placement)
    await note_reemployment(session, placement)
    repo.add_follow_ups(
        session,
        placement.id,
        [
            (n, s.start_date + dt.timedelta(days=days))
            for n, days in enumerate(FOLLOW_UP_DAYS, start=1)
        ],
    )
    await repo.set_worker_status(session, s.worker_id, "placed")
    await session.flush()
    return placement.id


def _scope_check(principal: Principal, p: m.Placement) -> None:
    if not may_see(principal, agency_id=p.agency_id, employer_id=p.employer_id):
        raise NotFound(msg("no placement with id {id}"), id=p.id)


async def get_placement(
    session: AsyncSession, principal: Principal, placement_id: int
) -> PlacementOut:
    p = await repo.get_placement(session, placement_id)
    if p is None:
        raise NotFound(msg("no placement with id {placement_id}"), placement_id=placement_id)
    _scope_check(principal, p)
    fus = await repo.follow_ups_of(session, p.id)
    # The employer sees when she is followed up, never what she answered (her check-ins name
    # complaints about it) nor the fee, whose waiver tells a priority group.
    hide = principal.is_employer
    job_fair_id = await repo.job_fair_of_offer(session, p.offer_id)
    return PlacementOut(
        id=p.id,
        worker_id=p.worker_id,
        opening_id=p.opening_id,
        employer_id=p.employer_id,
        offer_id=p.offer_id,
        start_date=p.start_date,
        status=p.status,
        ended_on=p.ended_on,
        end_reason=p.end_reason,
        fee_due=None if hide else p.fee_due,
        fee_waived=None if hide else p.fee_waived,
        fee_schedule_version=None if hide else p.fee_schedule_version,
        monthly_wage=p.monthly_wage,
        job_fair_id=job_fair_id,
        follow_ups=[
            FollowUpOut(n=f.n, due_on=f.due_on, status=f.status)
            if hide
            else FollowUpOut(
                n=f.n,
                due_on=f.due_on,
                status=f.status,
                answers=f.answers,
                channel=f.channel,
                answered_at=f.answered_at,
            )
            for f in fus
        ],
    )


async def placements_starting(session: AsyncSession, ctx: Context) -> int:
    """The day before she starts: one 'starting tomorrow' notice per placement."""
    notices = []
    for r in await repo.starting_on(session, clock.today() + dt.timedelta(days=1)):
        phone = await office_phone(session, r.agency_id, r.city)
        notices.append(
            notice_row(
                kind="placement_starting",
                dedupe_key=f"placement_starting:{r.id}",
                worker_id=r.worker_id,
                to_phone=r.phone,
                locale=r.locale,
                text=templates.placement_starting(facts.facts(r, ctx), phone, r.locale),
                placement_id=r.id,
            )
        )
    await enqueue(session, notices)
    return len(notices)


async def end_placement(
    session: AsyncSession,
    principal: Principal,
    placement_id: int,
    reason: str,
    note: str | None,
    ended_on: dt.date | None,
) -> PlacementOut:
    principal.require("admin", "staff")
    p = await repo.get_placement(session, placement_id)
    if p is None:
        raise NotFound(msg("no placement with id {placement_id}"), placement_id=placement_id)
    _scope_check(principal, p)
    if p.status != "active":
        raise Conflict(msg("placement {placement_id} ended already"), placement_id=placement_id)
    day = ended_on or clock.today()
    _check_end(p, reason, day)
    ended = await repo.end_active(
        session, placement_id, ended_on=day, reason=reason, note=(note or "").strip() or None
    )
    if not ended:
        raise Conflict(
            msg("placement {placement_id} ended a moment ago"), placement_id=placement_id
        )
    await repo.miss_scheduled_follow_ups(session, placement_id)
    await repo.release_placed_worker(session, p.worker_id)
    await _after_leaving(session, p, reason)
    await repo.refresh(session, p)
    return await get_placement(session, principal, placement_id)


def _check_end(p: m.Placement, reason: str, day: dt.date) -> None:
    """A confirmed placement ends on a day between its start and today, whatever the reason;
    before the start only the employer's cancellation ends it (on the day it cancels)."""
    if day > clock.today():
        raise Invalid("ended_on", msg("must not be after today"))
    if reason == CANCELLED:
        if day >= p.start_date:
            raise Invalid("reason", STARTED)
    elif day < p.start_date:
        raise Invalid("ended_on" if clock.today() >= p.start_date else "reason", NOT_STARTED)


async def _after_leaving(session: AsyncSession, p: m.Placement, reason: str) -> None:
    """Dismissed or wronged, she is re-placed first (再就业, until she works again) and never
    proposed to that employer again; a case on the placement bars the employer too."""
    dismissed = reason in DISMISSALS
    had_case = await repo.has_case(session, p.id)
    if dismissed or had_case:
        await repo.ban_employer(
            session,
            p.worker_id,
            p.employer_id,
            f"placement {p.id} ended: {reason}" + (" (case)" if had_case else ""),
            clock.now(),
        )
    if dismissed:
        await repo.add_worker_group(session, p.worker_id, REEMPLOYMENT)


async def note_reemployment(session: AsyncSession, placement: m.Placement) -> None:
    """Placed again: count the days since her last placement ended, and lift the priority."""
    previous = await repo.last_ended_on(
        session, placement.worker_id, other_than=placement.id, reasons=DISMISSALS
    )
    in_group = await repo.in_worker_group(session, placement.worker_id, REEMPLOYMENT)
    if previous is None or not in_group:
        return
    await repo.set_reemployed_after_days(
        session, placement.id, (placement.start_date - previous).days
    )
    await repo.remove_worker_group(session, placement.worker_id, REEMPLOYMENT)


# --- what the console lists ----------------------------------------------------------------


PLACEMENT_STATUSES = ("active", "ended")


async def list_placements(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    worker_id: int | None = None,
    opening_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[list[PlacementRow], int]:
    where = list_conditions(principal, status=status, worker_id=worker_id, opening_id=opening_id)
    return await repo.rows(session, where, limit=limit, offset=offset)


async def placement_page(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    worker_id: int | None,
    opening_id: int | None,
    limit: int,
    offset: int,
) -> PlacementPage:
    """``GET /placements``: the list's conditions as the export's, her name hidden from an
    employer as ``GET /placements/{id}`` hides it."""
    rows, total = await list_placements(
        session,
        principal,
        status=status,
        worker_id=worker_id,
        opening_id=opening_id,
        limit=limit,
        offset=offset,
    )
    hide = principal.is_employer
    items = [
        PlacementItem(
            id=r.id,
            worker_id=r.worker_id,
            worker_name=None if hide else r.worker_name,
            title=r.title,
            employer=r.employer,
            city=r.city,
            start_date=r.start_date,
            status=r.status,
        )
        for r in rows
    ]
    return PlacementPage(items=items, total=total)


def list_conditions(
    principal: Principal,
    *,
    status: str | None,
    worker_id: int | None,
    opening_id: int | None = None,
) -> list[ColumnElement[bool]]:
    """The placement list's conditions for ``principal`` (the list and its export alike), or
    422 on a status that is none."""
    if status and status not in PLACEMENT_STATUSES:
        raise Invalid(
            "status", msg("must be one of {choices}"), choices=", ".join(PLACEMENT_STATUSES)
        )
    where = visible(principal, agency=repo.PL.agency_id, employer=repo.PL.employer_id)
    if status:
        where.append(repo.PL.status == status)
    if worker_id is not None:
        where.append(repo.PL.worker_id == worker_id)
    if opening_id is not None:
        where.append(repo.PL.opening_id == opening_id)
    return where


async def iter_placements(
    session: AsyncSession, where: list[ColumnElement[bool]], *, chunk: int = 2000
) -> AsyncIterator[list[Any]]:
    """Every placement meeting ``where`` (from :func:`list_conditions`), a chunk at a time."""
    after = 0
    while rows := await repo.rows_after(session, where, after, chunk):
        yield rows
        after = rows[-1].id


FOLLOW_UP_STATUSES = ("scheduled", "due", "done", "missed")


def followup_conditions(
    principal: Principal,
    *,
    status: str | None = None,
    worker_id: int | None = None,
    due_before: dt.date | None = None,
) -> list[ColumnElement[bool]]:
    """The follow-up list's conditions for ``principal`` (the 回访 calendar and its export
    alike): without ``status`` the calendar's, those not yet done of placements still active;
    or 422 on a status that is none. Staff and admins only."""
    if status and status not in FOLLOW_UP_STATUSES:
        raise Invalid(
            "status", msg("must be one of {choices}"), choices=", ".join(FOLLOW_UP_STATUSES)
        )
    where = visible(principal, agency=repo.PL.agency_id)
    if status:
        where.append(repo.FU.status == status)
    else:
        where += [repo.PL.status == "active", repo.FU.status.in_(("scheduled", "due"))]
    if worker_id is not None:
        where.append(repo.PL.worker_id == worker_id)
    if due_before is not None:
        where.append(repo.FU.due_on < due_before)
    return where


async def followups_between(
    session: AsyncSession, principal: Principal, start: dt.date, end: dt.date
) -> list[DueFollowUp]:
    """Follow-ups not yet done falling due in [start, end), and overdue ones before start."""
    return await repo.followups_before(session, end, followup_conditions(principal))


async def iter_followups(
    session: AsyncSession, where: list[ColumnElement[bool]], *, chunk: int = 2000
) -> AsyncIterator[list[Any]]:
    """Every follow-up meeting ``where`` (from :func:`followup_conditions`), a chunk at a time."""
    after = 0
    while rows := await repo.followups_after(session, where, after, chunk):
        yield rows
        after = rows[-1].id


async def placement_names(
    session: AsyncSession, principal: Principal, placement_id: int
) -> dict[str, Any]:
    """The worker, opening and employer names a placement page shows (scoped as the service)."""
    row = await repo.names(session, placement_id)
    if row is None or not may_see(principal, agency_id=row.agency_id, employer_id=row.employer_id):
        raise NotFound(msg("no placement with id {placement_id}"), placement_id=placement_id)
    return dict(row._mapping)


async def placement_letter(
    session: AsyncSession, principal: Principal, placement_id: int
) -> tuple[PlacementOut, dict[str, Any]]:
    """What her placement letter (上岗介绍信) prints: the placement, its names, the workplace
    (the employer has no address on file: the opening's city and county), and the office of her
    agency she calls there. Staff of her agency and admins only: it is the agency's letter to
    her, with whom to call when the employer wrongs her."""
    if principal.is_employer:
        raise Forbidden(msg("the placement letter is her agency's, not the employer's"))
    p = await get_placement(session, principal, placement_id)
    names = await placement_names(session, principal, placement_id)
    office = await office_contact(session, names["agency_id"], names["city"])
    names["office"], names["office_phone"] = office if office else (None, None)
    return p, names
