"""Use cases for placements: confirm an accepted offer into one, read it, end it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import insert_ignoring_conflicts
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, Invalid, NotFound
from matching.matches import offers
from matching.network.fees import quote_fee
from matching.network.principal import Principal
from matching.notices import templates
from matching.notices.outbox import enqueue, notice_row
from matching.placements.schemas import FollowUpOut, PlacementOut

DISMISSALS = ("dismissed", "contract_violation")
REEMPLOYMENT = "reemployment"
FOLLOW_UP_DAYS = (7, 30, 90)
"""Follow-ups fall due this many days after the start date (回访: 第7、30、90天)."""


async def confirm(
    session: AsyncSession, ctx: Context, principal: Principal, offer_id: int
) -> PlacementOut:
    """The employer (or staff) confirms an accepted offer: the placement and its follow-ups."""
    v = await offers.view(session, offer_id)
    offers._can_decide(principal, v)
    if v.status != "accepted":
        raise Conflict(f"offer {offer_id} is {v.status}; only an accepted offer can be confirmed")
    if not await offers._set_status(session, offer_id, ["accepted"], "confirmed"):
        raise Conflict(f"offer {offer_id} changed a moment ago")
    industry = (
        await session.execute(select(m.Employer.industry).where(m.Employer.id == v.employer_id))
    ).scalar()
    fee = await quote_fee(
        session, agency_id=v.agency_id, worker_id=v.worker_id, city=v.city, industry=industry
    )
    placement = m.Placement(
        offer_id=offer_id,
        worker_id=v.worker_id,
        opening_id=v.opening_id,
        employer_id=v.employer_id,
        agency_id=v.agency_id,
        start_date=v.start_date,
        status="active",
        confirmed_by=offers._who(principal),
        fee_due=fee.amount,
        fee_waived=fee.waived,
        fee_schedule_id=fee.schedule_id,
        fee_schedule_version=fee.version,
        version=1,
    )
    session.add(placement)
    await session.flush()
    await note_reemployment(session, placement)
    session.add_all(
        m.FollowUp(
            placement_id=placement.id,
            n=n,
            due_on=v.start_date + dt.timedelta(days=days),
            status="scheduled",
        )
        for n, days in enumerate(FOLLOW_UP_DAYS, start=1)
    )
    await session.execute(
        update(m.WorkerProfile)
        .where(m.WorkerProfile.id == v.worker_id)
        .values(status="placed")
        .execution_options(synchronize_session=False)
    )
    # Her link now shows the rights pack; keep it working through the follow-up period.
    await session.execute(
        update(m.OfferLink)
        .where(m.OfferLink.offer_id == offer_id)
        .values(
            expires_at=dt.datetime.combine(
                v.start_date + dt.timedelta(days=FOLLOW_UP_DAYS[-1] + 7), dt.time(), dt.UTC
            )
        )
        .execution_options(synchronize_session=False)
    )
    phone = await offers.office_phone(session, v.agency_id, v.city)
    await enqueue(
        session,
        [
            v.notice(
                "offer_confirmed",
                templates.offer_confirmed(v.facts(ctx), phone, v.locale),
                link=offers.link_url(ctx, v.code) if v.code else "",
                placement_id=placement.id,
            )
        ],
    )
    await session.flush()
    return await get_placement(session, principal, placement.id)


def _scope_check(principal: Principal, p: m.Placement) -> None:
    if principal.is_admin:
        return
    if principal.is_staff and principal.agency_id == p.agency_id:
        return
    if principal.is_employer and principal.employer_id == p.employer_id:
        return
    raise NotFound(f"no placement with id {p.id}")


async def get_placement(
    session: AsyncSession, principal: Principal, placement_id: int
) -> PlacementOut:
    p = await session.get(m.Placement, placement_id)
    if p is None:
        raise NotFound(f"no placement with id {placement_id}")
    _scope_check(principal, p)
    fus = (
        await session.execute(
            select(m.FollowUp).where(m.FollowUp.placement_id == p.id).order_by(m.FollowUp.n)
        )
    ).scalars()
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
        fee_due=p.fee_due,
        fee_waived=p.fee_waived,
        fee_schedule_version=p.fee_schedule_version,
        follow_ups=[
            FollowUpOut(
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
    tomorrow = clock.today() + dt.timedelta(days=1)
    rows = (
        await session.execute(
            select(m.Placement.id, m.Placement.offer_id, m.Placement.agency_id).where(
                m.Placement.status == "active", m.Placement.start_date == tomorrow
            )
        )
    ).all()
    notices = []
    for r in rows:
        v = await offers.view(session, r.offer_id)
        phone = await offers.office_phone(session, r.agency_id, v.city)
        notices.append(
            notice_row(
                kind="placement_starting",
                dedupe_key=f"placement_starting:{r.id}",
                worker_id=v.worker_id,
                to_phone=v.phone,
                locale=v.locale,
                text=templates.placement_starting(v.facts(ctx), phone, v.locale),
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
    p = await session.get(m.Placement, placement_id)
    if p is None:
        raise NotFound(f"no placement with id {placement_id}")
    _scope_check(principal, p)
    if p.status != "active":
        raise Conflict(f"placement {placement_id} ended already")
    day = ended_on or clock.today()
    if day < p.start_date - dt.timedelta(days=1) or day > clock.today():
        raise Invalid("ended_on", "must lie between the start date and today")
    result = await session.execute(
        update(m.Placement)
        .where(m.Placement.id == placement_id, m.Placement.status == "active")
        .values(
            status="ended",
            ended_on=day,
            end_reason=reason,
            end_note=(note or "").strip() or None,
            version=m.Placement.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Conflict(f"placement {placement_id} ended a moment ago")
    await session.execute(
        update(m.FollowUp)
        .where(m.FollowUp.placement_id == placement_id, m.FollowUp.status == "scheduled")
        .values(status="missed")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(m.WorkerProfile)
        .where(m.WorkerProfile.id == p.worker_id, m.WorkerProfile.status == "placed")
        .values(status="available")
        .execution_options(synchronize_session=False)
    )
    await _after_leaving(session, p, reason)
    await session.refresh(p)
    return await get_placement(session, principal, placement_id)


async def _after_leaving(session: AsyncSession, p: m.Placement, reason: str) -> None:
    """Dismissed or wronged, she is re-placed first (再就业, until she works again) and never
    proposed to that employer again; a case on the placement bars the employer too."""
    dismissed = reason in DISMISSALS
    had_case = (
        await session.execute(select(m.Case.id).where(m.Case.placement_id == p.id).limit(1))
    ).first() is not None
    if dismissed or had_case:
        await session.execute(
            insert_ignoring_conflicts(session, m.EmployerBan),
            [
                {
                    "worker_id": p.worker_id,
                    "employer_id": p.employer_id,
                    "reason": f"placement {p.id} ended: {reason}" + (" (case)" if had_case else ""),
                    "at": clock.now(),
                }
            ],
        )
    if dismissed:
        await session.execute(
            insert_ignoring_conflicts(session, m.WorkerGroup),
            [{"worker_id": p.worker_id, "group_code": REEMPLOYMENT}],
        )


async def note_reemployment(session: AsyncSession, placement: m.Placement) -> None:
    """Placed again: count the days since her last placement ended, and lift the priority."""
    previous = (
        await session.execute(
            select(m.Placement.ended_on)
            .where(
                m.Placement.worker_id == placement.worker_id,
                m.Placement.id != placement.id,
                m.Placement.status == "ended",
                m.Placement.end_reason.in_(DISMISSALS),
            )
            .order_by(m.Placement.ended_on.desc())
            .limit(1)
        )
    ).scalar()
    in_group = (
        await session.execute(
            select(m.WorkerGroup.worker_id).where(
                m.WorkerGroup.worker_id == placement.worker_id,
                m.WorkerGroup.group_code == REEMPLOYMENT,
            )
        )
    ).first()
    if previous is None or in_group is None:
        return
    await session.execute(
        update(m.Placement)
        .where(m.Placement.id == placement.id)
        .values(reemployed_after_days=(placement.start_date - previous).days)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(m.WorkerGroup).where(
            m.WorkerGroup.worker_id == placement.worker_id, m.WorkerGroup.group_code == REEMPLOYMENT
        )
    )
