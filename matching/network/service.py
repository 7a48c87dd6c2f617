"""Use cases for the network: agencies, offices, accounts and logging in."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib.errors import Conflict, FieldErrors, Forbidden, NotFound, Unauthorized
from matching.lib.principal import Principal, may_see, visible
from matching.lib.text import clean_text
from matching.network import repository
from matching.network.passwords import hash_password, verify_password
from matching.network.schemas import (
    AgencyOut,
    AgencyPage,
    OfficeCreate,
    OfficeOut,
    OfficePage,
    StaffCreate,
    StaffOut,
    StaffPage,
)


def agency_out(a: m.Agency) -> AgencyOut:
    return AgencyOut(id=a.id, name=a.name, created_at=a.created_at)


def office_out(o: m.Office) -> OfficeOut:
    return OfficeOut(
        id=o.id,
        agency_id=o.agency_id,
        name=o.name,
        city=o.city,
        phone=o.phone,
        created_at=o.created_at,
    )


def staff_out(a: m.Account) -> StaffOut:
    return StaffOut(
        id=a.id,
        username=a.username,
        role=a.role,
        agency_id=a.agency_id,
        office_id=a.office_id,
        employer_id=a.employer_id,
        active=a.active,
        created_at=a.created_at,
    )


async def authenticate(session: AsyncSession, username: str, password: str) -> Principal:
    account = await repository.account_by_username(session, username)
    ok = verify_password(account.password_hash if account else None, password)
    if account is None or not ok or not account.active:
        raise Unauthorized("wrong username or password")
    return principal_of(account)


def _role_denied(principal: Principal) -> str:
    """What ``Principal.require`` says to a role that may not list agencies or offices."""
    return f"the {principal.role} role may not do this"


def principal_of(account: m.Account) -> Principal:
    return Principal(
        account_id=account.id,
        username=account.username,
        role=account.role,  # type: ignore[arg-type]
        agency_id=account.agency_id,
        office_id=account.office_id,
        employer_id=account.employer_id,
    )


async def create_agency(session: AsyncSession, principal: Principal, name: str) -> AgencyOut:
    principal.require("admin")
    errors = FieldErrors()
    clean = clean_text(errors, "name", name)
    errors.raise_if_any()
    if await repository.agency_named(session, clean):
        raise Conflict(f"an agency named {clean!r} exists", extra={"field": "name"})
    agency = m.Agency(name=clean)
    await repository.add(session, agency)
    return agency_out(agency)


async def list_agencies(session: AsyncSession, principal: Principal) -> AgencyPage:
    where = visible(principal, agency=m.Agency.id, denied=_role_denied(principal))
    items = [agency_out(a) for a in await repository.agencies(session, where)]
    return AgencyPage(items=items, total=len(items))


async def create_office(
    session: AsyncSession, principal: Principal, data: OfficeCreate
) -> OfficeOut:
    principal.require("admin")
    errors = FieldErrors()
    name = clean_text(errors, "name", data.name)
    city = clean_text(errors, "city", data.city)
    if "\x00" in (data.phone or ""):
        errors.add("phone", "must not contain a NUL character")
    if await repository.agency(session, data.agency_id) is None:
        errors.add("agency_id", f"no agency with id {data.agency_id}")
    errors.raise_if_any()
    office = m.Office(agency_id=data.agency_id, name=name, city=city, phone=data.phone)
    try:
        await repository.add(session, office)
    except IntegrityError as exc:
        raise Conflict(f"the agency already has an office named {name!r}") from exc
    return office_out(office)


async def list_offices(session: AsyncSession, principal: Principal) -> OfficePage:
    where = visible(principal, agency=m.Office.agency_id, denied=_role_denied(principal))
    items = [office_out(o) for o in await repository.offices(session, where)]
    return OfficePage(items=items, total=len(items))


async def create_account(
    session: AsyncSession, principal: Principal, data: StaffCreate
) -> StaffOut:
    principal.require("admin")
    errors = FieldErrors()
    if data.role == "staff":
        if data.agency_id is None:
            errors.add("agency_id", "staff belong to an agency")
        elif await repository.agency(session, data.agency_id) is None:
            errors.add("agency_id", f"no agency with id {data.agency_id}")
        if data.office_id is not None:
            office = await repository.office(session, data.office_id)
            if office is None or office.agency_id != data.agency_id:
                errors.add("office_id", "no such office in that agency")
        if data.employer_id is not None:
            errors.add("employer_id", "only employer accounts belong to an employer")
    elif data.role == "employer":
        if data.employer_id is None:
            errors.add("employer_id", "an employer account belongs to an employer")
        elif await repository.employer(session, data.employer_id) is None:
            errors.add("employer_id", f"no employer with id {data.employer_id}")
        for f in ("agency_id", "office_id"):
            if getattr(data, f) is not None:
                errors.add(f, "employer accounts have no agency or office")
    else:
        for f in ("agency_id", "office_id", "employer_id"):
            if getattr(data, f) is not None:
                errors.add(f, "admins are not scoped")
    errors.raise_if_any()
    return await _insert_account(
        session,
        data.username,
        data.password,
        data.role,
        data.agency_id,
        data.office_id,
        data.employer_id,
    )


async def _insert_account(
    session: AsyncSession,
    username: str,
    password: str,
    role: str,
    agency_id: int | None = None,
    office_id: int | None = None,
    employer_id: int | None = None,
) -> StaffOut:
    if await repository.username_taken(session, username):
        raise Conflict(f"username {username!r} is taken", extra={"field": "username"})
    account = m.Account(
        username=username,
        password_hash=hash_password(password),
        role=role,
        agency_id=agency_id,
        office_id=office_id,
        employer_id=employer_id,
        active=True,
    )
    try:
        await repository.add(session, account)
    except IntegrityError as exc:
        raise Conflict(f"username {username!r} is taken") from exc
    return staff_out(account)


async def create_admin(session: AsyncSession, username: str, password: str) -> StaffOut:
    """`laowu admin create`: the first account has no one to grant it, so no principal."""
    errors = FieldErrors()
    if not (3 <= len(username) <= 100):
        errors.add("username", "must be 3–100 characters")
    if len(password) < 8:
        errors.add("password", "must be at least 8 characters")
    errors.raise_if_any()
    return await _insert_account(session, username, password, "admin")


async def list_accounts(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> StaffPage:
    principal.require("admin")
    rows, total = await repository.accounts_page(session, limit=limit, offset=offset)
    return StaffPage(items=[staff_out(a) for a in rows], total=total)


async def get_agency(session: AsyncSession, principal: Principal, agency_id: int) -> AgencyOut:
    if not may_see(principal, agency_id=agency_id):
        if principal.is_employer:
            raise Forbidden("employers do not see agencies")
        raise NotFound(f"no agency with id {agency_id}")
    agency = await repository.agency(session, agency_id)
    if agency is None:
        raise NotFound(f"no agency with id {agency_id}")
    return agency_out(agency)
