"""Employer standing (信誉与劳保): its history, and the admin's partner and suspension decisions.
The scores move with evidence from placements (``matching.placements.standing``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.context import Context
from matching.lib.errors import Conflict, Invalid, NotFound, msg
from matching.lib.principal import Principal
from matching.lib.types import Response
from matching.offers import service as offers
from matching.openings import repository


class StandingChangeOut(Response):
    field: str
    old: int
    new: int
    cause: str
    at: dt.datetime


class StandingHistory(Response):
    employer_id: int
    reputation: int
    labour_protection: int
    partner: bool
    suspended: bool
    changes: list[StandingChangeOut]


async def history(session: AsyncSession, principal: Principal, employer_id: int) -> StandingHistory:
    principal.require("admin", "staff")
    employer = await repository.employer(session, employer_id)
    if employer is None:
        raise NotFound(msg("no employer with id {employer_id}"), employer_id=employer_id)
    changes = await repository.standing_changes(session, employer_id)
    return StandingHistory(
        employer_id=employer.id,
        reputation=employer.reputation,
        labour_protection=employer.labour_protection,
        partner=employer.partner,
        suspended=employer.suspended,
        changes=[
            StandingChangeOut(field=c.field, old=c.old, new=c.new, cause=c.cause, at=c.at)
            for c in changes
        ],
    )


async def set_partner(
    session: AsyncSession, principal: Principal, employer_id: int, partner: bool
) -> StandingHistory:
    """A long-term partner (长期合作) gets a quality bonus in matching."""
    principal.require("admin")
    employer = await repository.employer(session, employer_id)
    if employer is None:
        raise NotFound(msg("no employer with id {employer_id}"), employer_id=employer_id)
    await repository.update_employer(session, employer_id, {"partner": partner})
    return await history(session, principal, employer_id)


async def suspend(
    session: AsyncSession, ctx: Context, principal: Principal, employer_id: int, reason: str
) -> StandingHistory:
    """Suspend: its openings leave matching and the lists; its live offers are withdrawn."""
    principal.require("admin")
    reason = reason.strip()
    if not reason:
        raise Invalid("reason", msg("must not be blank"))
    employer = await repository.employer(session, employer_id)
    if employer is None:
        raise NotFound(msg("no employer with id {employer_id}"), employer_id=employer_id)
    if employer.suspended:
        raise Conflict(msg("employer {employer} is suspended already"), employer=employer.name)
    await repository.update_employer(session, employer_id, {"suspended": True})
    await offers.withdraw_for_employer(
        session, ctx, principal, employer_id, f"用工单位已暂停合作 / employer suspended: {reason}"
    )
    return await history(session, principal, employer_id)


async def reinstate(
    session: AsyncSession, principal: Principal, employer_id: int
) -> StandingHistory:
    principal.require("admin")
    employer = await repository.employer(session, employer_id)
    if employer is None:
        raise NotFound(msg("no employer with id {employer_id}"), employer_id=employer_id)
    if not employer.suspended:
        raise Conflict(msg("employer {employer} is not suspended"), employer=employer.name)
    await repository.update_employer(session, employer_id, {"suspended": False})
    return await history(session, principal, employer_id)
