"""Job fairs (招聘会): held by an agency (or the federation), employers attend with their
openings, the clerks count attendees and consultations, and an offer confirmed at the fair
carries its id: the fair's hires. Services flush, never commit."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound, msg
from matching.lib.principal import Principal
from matching.lib.text import clean_text
from matching.network import repository as network_repo
from matching.reports import repository as repo
from matching.reports.schemas import JobFair, JobFairCreate, JobFairPatch


def _may_see(principal: Principal, fair: m.JobFair) -> bool:
    """Admins every fair; staff their agency's and the federation's own (no agency)."""
    if principal.is_admin:
        return True
    return principal.is_staff and fair.agency_id in (None, principal.agency_id)


def may_change(principal: Principal, agency_id: int | None) -> bool:
    """Whether the caller changes a fair held by ``agency_id``: its own agency's staff, admins
    any (the federation's own fairs, no agency, admins only)."""
    return principal.is_admin or (principal.is_staff and agency_id == principal.agency_id)


async def _changeable(session: AsyncSession, principal: Principal, fair_id: int) -> m.JobFair:
    """A fair the caller may change: its own agency's (staff), any (admins)."""
    principal.require("admin", "staff")
    fair = await _fair(session, principal, fair_id)
    if not may_change(principal, fair.agency_id):
        raise Forbidden(msg("only the agency holding a fair (or an admin) changes it"))
    return fair


async def _out(session: AsyncSession, fair: m.JobFair) -> JobFair:
    employers = await repo.fair_employers(session, fair.id)
    return JobFair(
        id=fair.id,
        name=fair.name,
        date=fair.date,
        place=fair.place,
        agency_id=fair.agency_id,
        employers=len(employers),
        attendees=fair.attendees,
        consultations=fair.consultations,
        registrations=await repo.registration_count(session, fair.id),
        hires=await repo.fair_hires(session, fair.id),
        employer_ids=employers,
        version=fair.version,
    )


async def _fair(session: AsyncSession, principal: Principal, fair_id: int) -> m.JobFair:
    fair = await repo.fair(session, fair_id)
    if fair is None or not _may_see(principal, fair):
        raise NotFound(msg("no job fair with id {fair_id}"), fair_id=fair_id)
    return fair


async def create(session: AsyncSession, principal: Principal, data: JobFairCreate) -> JobFair:
    principal.require("admin", "staff")
    errors = FieldErrors()
    name = clean_text(errors, "name", data.name)
    place = clean_text(errors, "place", data.place)
    if not clock.plausible(data.date):
        errors.add("date", clock.OUT_OF_RANGE)
    agency_id = data.agency_id
    if principal.is_staff:
        if agency_id not in (None, principal.agency_id):
            raise Forbidden(msg("staff hold job fairs for their own agency only"))
        agency_id = principal.agency_id
    elif agency_id is not None and await network_repo.agency(session, agency_id) is None:
        errors.add("agency_id", msg("no agency with id {agency_id}"), agency_id=agency_id)
    errors.raise_if_any()
    fair = m.JobFair(
        name=name,
        date=data.date,
        place=place,
        agency_id=agency_id,
        attendees=0,
        consultations=0,
        register_code=secrets.token_urlsafe(12),  # 96 random bits: her page's unguessable key
        version=1,
        created_by_id=principal.account_id or None,
    )
    await repo.add_fair(session, fair)
    return await _out(session, fair)


async def read(session: AsyncSession, principal: Principal, fair_id: int) -> JobFair:
    principal.require("admin", "staff")
    return await _out(session, await _fair(session, principal, fair_id))


async def list_fairs(
    session: AsyncSession, principal: Principal, limit: int = 100
) -> list[JobFair]:
    """The newest fairs the caller may see (staff: their agency's and the federation's)."""
    principal.require("admin", "staff")
    agency = None if principal.is_admin else principal.agency_id
    return [await _out(session, f) for f in await repo.fairs(session, agency, limit)]


async def update_counts(
    session: AsyncSession, principal: Principal, fair_id: int, patch: JobFairPatch
) -> JobFair:
    fair = await _changeable(session, principal, fair_id)
    values: dict[str, Any] = {
        f: getattr(patch, f)
        for f in ("attendees", "consultations")
        if getattr(patch, f) is not msgspec.UNSET
    }
    stale = Conflict(
        msg(
            "job fair {fair_id} was changed by someone else (you sent version "
            "{version}, it is now {current}); reload and try again"
        ),
        extra={"field": "version", "current_version": fair.version},
        fair_id=fair_id,
        version=patch.version,
        current=fair.version,
    )
    if patch.version != fair.version:
        raise stale
    if values and await repo.update_fair_at_version(session, fair_id, patch.version, values) != 1:
        raise stale
    await session.refresh(fair)
    return await _out(session, fair)


async def add_employer(
    session: AsyncSession, principal: Principal, fair_id: int, employer_id: int
) -> JobFair:
    """An employer (from the shared pool) attends the fair with its openings."""
    fair = await _changeable(session, principal, fair_id)
    employer = await network_repo.employer(session, employer_id)
    if employer is None:
        raise Invalid(
            "employer_id", msg("no employer with id {employer_id}"), employer_id=employer_id
        )
    if not await repo.add_fair_employer(session, fair_id, employer_id):
        raise Conflict(
            msg("employer {employer} attends job fair {fair} already"),
            employer=employer.name,
            fair=fair.name,
        )
    return await _out(session, fair)


async def hire_problem(
    session: AsyncSession, principal: Principal, fair_id: int, employer_id: int
) -> str | None:
    """Why a hire by ``employer_id`` cannot be counted at this fair (None: it can): the fair
    must be one the confirming account may see, and the employer must attend it."""
    fair = await repo.fair(session, fair_id)
    attends = fair is not None and employer_id in await repo.fair_employers(session, fair_id)
    if fair is None or not (_may_see(principal, fair) or (principal.is_employer and attends)):
        return f"no job fair with id {fair_id}"
    if not attends:
        return f"the opening's employer does not attend job fair {fair_id}"
    return None
