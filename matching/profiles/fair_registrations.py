"""A job fair's self-registration (现场扫码登记): a woman scans the fair's QR code, enters
herself on a phone page and ticks her consent; the entry waits in the fair's queue until staff
of the fair's agency confirm it into the register — through ``profiles.service``, so every rule
of POST /workers and its duplicate check apply — or reject it. Once handled (or expired after
the retention period) the entry keeps none of her personal fields. Services flush, never commit.

It lives in ``profiles`` (the fair's tables and their SQL are ``reports``'): registering her is
profiles' use case, and ``reports`` comes last in the import chain, so it may not call back up.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, FieldErrors, NotFound, msg
from matching.lib.identity import normalise_mobile
from matching.lib.principal import Principal
from matching.profiles import service as profiles
from matching.profiles.schemas import SkillLevel, WorkerCreate
from matching.reports import repository as repo
from matching.reports.schemas import (
    Registration,
    RegistrationConfirm,
    RegistrationPage,
    RegistrationSkill,
)

CONSENT_REQUIRED = "tick the box yourself to give your consent; without it you cannot register"


async def open_page(session: AsyncSession, code: str) -> m.JobFair | None:
    """The fair whose phone page this code opens (None: no such fair)."""
    return await repo.fair_by_code(session, code)


async def register(
    session: AsyncSession,
    ctx: Context,
    fair: m.JobFair,
    data: WorkerCreate,
    *,
    consent: bool,
    errors: FieldErrors,
) -> int:
    """Queue her entry: every field POST /workers would refuse, and a consent not given, are
    added to ``errors`` (which may hold the form's own) and refused together; nothing is
    written then. The answer is the entry's id."""
    profiles.check_new_worker(ctx, errors, data)
    if not consent:
        errors.add("consent", CONSENT_REQUIRED)
    errors.raise_if_any()
    now = clock.now()
    return await repo.add_registration(
        session,
        {
            "job_fair_id": fair.id,
            "status": "queued",
            "name": data.name.strip(),
            "phone": normalise_mobile(data.phone),
            "birth_date": data.birth_date,
            "home_county": data.home_county.strip(),
            "skills": [{"code": s.code, "level": s.level} for s in data.skills],
            "willing_to_relocate": data.willing_to_relocate,
            "consent_version": profiles.CONSENT_TEXT_VERSION,
            "consented_at": now,
            "created_at": now,
        },
    )


async def _queue_of(session: AsyncSession, principal: Principal, fair_id: int) -> m.JobFair:
    """A fair whose queue the caller may handle: its agency's staff, admins; else 404 (the
    queue is personal data, so not even a federation fair's queue is shown to all staff)."""
    principal.require("admin", "staff")
    fair = await repo.fair(session, fair_id)
    if fair is None or not (
        principal.is_admin or (fair.agency_id is not None and fair.agency_id == principal.agency_id)
    ):
        raise NotFound(msg("no job fair with id {fair_id}"), fair_id=fair_id)
    return fair


async def _out(session: AsyncSession, r: Any) -> Registration:
    duplicate_of = None
    if r.status == "queued" and r.phone:
        duplicate_of = await profiles.registered_with_phone(session, r.phone)
    return Registration(
        id=r.id,
        job_fair_id=r.job_fair_id,
        status=r.status,
        name=r.name,
        phone=r.phone,
        birth_date=r.birth_date,
        home_county=r.home_county,
        skills=None
        if r.skills is None
        else [RegistrationSkill(code=s["code"], level=s["level"]) for s in r.skills],
        willing_to_relocate=r.willing_to_relocate,
        consent_version=r.consent_version,
        consented_at=r.consented_at,
        created_at=r.created_at,
        handled_at=r.handled_at,
        worker_id=r.worker_id,
        duplicate_of=duplicate_of,
    )


async def queue(
    session: AsyncSession,
    principal: Principal,
    fair_id: int,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> RegistrationPage:
    await _queue_of(session, principal, fair_id)
    rows, total = await repo.registrations(session, fair_id, status, limit, offset)
    return RegistrationPage(items=[await _out(session, r) for r in rows], total=total)


async def _queued(session: AsyncSession, fair_id: int, reg_id: int) -> Any:
    r = await repo.registration(session, fair_id, reg_id)
    if r is None:
        raise NotFound(
            msg("no registration with id {reg_id} at job fair {fair_id}"),
            reg_id=reg_id,
            fair_id=fair_id,
        )
    if r.status != "queued":
        raise Conflict(msg("this registration was handled already ({status})"), status=r.status)
    return r


async def _handle(
    session: AsyncSession,
    principal: Principal,
    fair_id: int,
    reg_id: int,
    status: str,
    worker_id: int | None,
) -> Registration:
    by = principal.account_id or None
    if await repo.handle_registration(session, reg_id, status, worker_id, by, clock.now()) != 1:
        raise Conflict(msg("this registration was handled already"))
    found = await repo.registration(session, fair_id, reg_id)
    return await _out(session, found)


async def confirm(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    fair_id: int,
    reg_id: int,
    data: RegistrationConfirm,
) -> Registration:
    """Her entry into the register (consent recorded as given on the phone page, when she
    ticked it), or, when a worker holds her phone already, marked a duplicate of that worker
    and nothing registered twice. Her fields leave the queue either way."""
    fair = await _queue_of(session, principal, fair_id)
    r = await _queued(session, fair_id, reg_id)
    agency_id = data.agency_id
    if agency_id is None and principal.is_admin:
        agency_id = fair.agency_id
    worker = WorkerCreate(
        name=r.name,
        phone=r.phone,
        birth_date=r.birth_date,
        home_county=r.home_county,
        consent_matching=True,
        consent_version=r.consent_version,
        consent_channel="phone_page",
        skills=[SkillLevel(code=s["code"], level=s["level"]) for s in r.skills or []],
        willing_to_relocate=bool(r.willing_to_relocate),
        agency_id=agency_id,
    )
    try:
        made = await profiles.register_worker(
            session, ctx, principal, worker, consented_at=r.consented_at
        )
    except Conflict as exc:
        existing = exc.extra.get("existing_id")
        if existing is None:
            raise
        return await _handle(session, principal, fair_id, reg_id, "duplicate", int(existing))
    return await _handle(session, principal, fair_id, reg_id, "confirmed", made.id)


async def reject(
    session: AsyncSession, principal: Principal, fair_id: int, reg_id: int
) -> Registration:
    """Not registered (a test entry, a prank, her own wish): her fields are blanked."""
    await _queue_of(session, principal, fair_id)
    await _queued(session, fair_id, reg_id)
    return await _handle(session, principal, fair_id, reg_id, "rejected", None)


async def expire_queued(session: AsyncSession, retention_days: int) -> int:
    """Entries left unhandled longer than the retention period expire, keeping nothing of her."""
    now = clock.now()
    return await repo.expire_registrations(session, now - dt.timedelta(days=retention_days), now)


async def page_link(
    session: AsyncSession, principal: Principal, fair_id: int, public_url: str
) -> tuple[m.JobFair, str]:
    """The fair and the address of its self-registration page (what its QR code encodes),
    for the staff who may handle its queue; built on the service's public URL as her offer
    links are."""
    fair = await _queue_of(session, principal, fair_id)
    return fair, f"{public_url}/f/{fair.register_code}"


def qr_svg(url: str, *, scale: int = 8, title: str = "") -> str:
    """The QR code of ``url`` as an SVG element (segno; error correction M survives a creased
    or half-lit poster)."""
    code = segno.make(url, error="m")
    return code.svg_inline(scale=scale, border=4, title=escape(title) or None, svgclass="qr")
