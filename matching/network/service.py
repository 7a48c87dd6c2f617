"""Use cases for the network: agencies, offices, accounts and logging in."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from msgspec import UNSET
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.errors import (
    Conflict,
    DomainError,
    FieldErrors,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
    msg,
)
from matching.lib.principal import Principal, may_see, visible
from matching.lib.text import clean_text
from matching.network import repository
from matching.network.passwords import hash_password, password_problem, verify_password
from matching.network.schemas import (
    AgencyOut,
    AgencyPage,
    OfficeCreate,
    OfficeOut,
    OfficePage,
    PasswordReset,
    StaffCreate,
    StaffOut,
    StaffPage,
    StaffUpdate,
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
        must_change_password=a.must_change_password,
        created_at=a.created_at,
    )


@dataclass(frozen=True, slots=True)
class Login:
    """A successful login: who, at which token epoch, and whether only a password change is open."""

    principal: Principal
    epoch: int
    must_change_password: bool


class TooManyAttempts(DomainError):
    """Too many failed logins for this username or address: wait ``retry_after`` seconds."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            msg("too many failed logins; try again in {retry_after} seconds"),
            extra={"retry_after": retry_after},
            retry_after=retry_after,
        )
        self.retry_after = retry_after


def login_keys(username: str, address: str) -> list[str]:
    """What failed logins are counted against: the username (any case) and the client address."""
    keys = (f"u:{username.lower()}", f"a:{address}")
    return [k.replace("\x00", "\ufffd")[:200] for k in keys]  # PostgreSQL text holds no NUL


async def check_login_allowed(
    session: AsyncSession, keys: list[str], max_failures: int, window_seconds: int
) -> None:
    """Raises TooManyAttempts while any key has ``max_failures`` failures in its window."""
    now = clock.now()
    window = dt.timedelta(seconds=window_seconds)
    ends = [
        start + window
        for failures, start in await repository.login_failures(session, keys, now - window)
        if failures >= max_failures
    ]
    if ends:
        raise TooManyAttempts(max(1, math.ceil((max(ends) - now).total_seconds())))


async def count_login_failure(session: AsyncSession, keys: list[str], window_seconds: int) -> None:
    now = clock.now()
    await repository.count_failure(session, keys, now, now - dt.timedelta(seconds=window_seconds))


async def clear_login_failures(session: AsyncSession, username: str) -> None:
    """A success resets the username's count (never the address's: one good account must not
    buy an address more guesses at others)."""
    await repository.clear_failures(session, login_keys(username, "")[0])


async def authenticate(session: AsyncSession, username: str, password: str) -> Login:
    account = await repository.account_by_username(session, username)
    ok = verify_password(account.password_hash if account else None, password)
    if account is None or not ok or not account.active:
        raise Unauthorized(msg("wrong username or password"))
    return Login(principal_of(account), account.token_epoch, account.must_change_password)


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
        raise Conflict(
            msg("an agency named {clean!r} exists"), extra={"field": "name"}, clean=clean
        )
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
        errors.add("phone", msg("must not contain a NUL character"))
    if await repository.agency(session, data.agency_id) is None:
        errors.add("agency_id", msg("no agency with id {agency_id}"), agency_id=data.agency_id)
    errors.raise_if_any()
    office = m.Office(agency_id=data.agency_id, name=name, city=city, phone=data.phone)
    try:
        await repository.add(session, office)
    except IntegrityError as exc:
        raise Conflict(msg("the agency already has an office named {name!r}"), name=name) from exc
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
    problem = password_problem(data.password, data.username)
    if problem:
        errors.add("password", problem)
    await _check_scope(session, errors, data.role, data.agency_id, data.office_id, data.employer_id)
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


async def _check_scope(
    session: AsyncSession,
    errors: FieldErrors,
    role: str,
    agency_id: int | None,
    office_id: int | None,
    employer_id: int | None,
) -> None:
    """The scope each role has: staff one agency (and maybe one of its offices), an employer
    account one employer, an admin none."""
    data = _Scope(agency_id, office_id, employer_id)
    if role == "staff":
        if data.agency_id is None:
            errors.add("agency_id", msg("staff belong to an agency"))
        elif await repository.agency(session, data.agency_id) is None:
            errors.add("agency_id", msg("no agency with id {agency_id}"), agency_id=data.agency_id)
        if data.office_id is not None:
            office = await repository.office(session, data.office_id)
            if office is None or office.agency_id != data.agency_id:
                errors.add("office_id", msg("no such office in that agency"))
        if data.employer_id is not None:
            errors.add("employer_id", msg("only employer accounts belong to an employer"))
    elif role == "employer":
        if data.employer_id is None:
            errors.add("employer_id", msg("an employer account belongs to an employer"))
        elif await repository.employer(session, data.employer_id) is None:
            errors.add(
                "employer_id",
                msg("no employer with id {employer_id}"),
                employer_id=data.employer_id,
            )
        for f in ("agency_id", "office_id"):
            if getattr(data, f) is not None:
                errors.add(f, msg("employer accounts have no agency or office"))
    else:
        for f in ("agency_id", "office_id", "employer_id"):
            if getattr(data, f) is not None:
                errors.add(f, msg("admins are not scoped"))


@dataclass(frozen=True, slots=True)
class _Scope:
    agency_id: int | None
    office_id: int | None
    employer_id: int | None


_SCOPE_OF_ROLE = {
    "staff": ("agency_id", "office_id"),
    "employer": ("employer_id",),
    "admin": (),
}


async def update_account(
    session: AsyncSession, principal: Principal, account_id: int, data: StaffUpdate
) -> StaffOut:
    """An admin's change of an account's activity, role or scope, by the rules of creating one.
    Any change of these ends the account's live tokens and console sessions (its epoch)."""
    principal.require("admin")
    account = await repository.account(session, account_id)
    if account is None:
        raise NotFound(msg("no account with id {account_id}"), account_id=account_id)
    errors = FieldErrors()
    role = account.role if data.role is UNSET else data.role
    scope = {f: getattr(account, f) for f in ("agency_id", "office_id", "employer_id")}
    for f in scope:
        given = getattr(data, f)
        if given is not UNSET:
            scope[f] = given
        elif role != account.role and f not in _SCOPE_OF_ROLE[role]:
            scope[f] = None  # a role change drops the scope the new role does not have
    if account.id == principal.account_id:
        if data.active is False:
            errors.add("active", msg("an admin may not deactivate her own account"))
        if role != account.role:
            errors.add("role", msg("an admin may not change her own role"))
    await _check_scope(session, errors, role, **scope)
    errors.raise_if_any()
    active = account.active if data.active is UNSET else data.active
    changed = active != account.active or role != account.role
    changed = changed or any(getattr(account, f) != v for f, v in scope.items())
    if changed:
        account.active, account.role = active, role
        for f, v in scope.items():
            setattr(account, f, v)
        account.token_epoch += 1
        await session.flush()
    return staff_out(account)


async def change_password(
    session: AsyncSession, principal: Principal, current: str, new: str
) -> Login:
    """The signed-in account's own change; ends every other sign-in of hers (its epoch).
    A wrong current password raises Unauthorized (counted as a failed login by the edge)."""
    account = await repository.account(session, principal.account_id)
    if account is None or not account.active:
        raise Unauthorized(msg("this sign-in has ended; sign in again"))
    if not verify_password(account.password_hash, current):
        raise Invalid("current_password", msg("is not the account's password"))
    problem = password_problem(new, account.username)
    if problem is None and new == current:
        problem = "must differ from the current password"
    if problem:
        raise Invalid("new_password", problem)
    account.password_hash = hash_password(new)
    account.must_change_password = False
    account.token_epoch += 1
    await session.flush()
    return Login(principal_of(account), account.token_epoch, False)


async def reset_password(
    session: AsyncSession, principal: Principal, account_id: int
) -> PasswordReset:
    """An admin's reset: a random one-time password, shown in this answer only (only its hash
    is stored). It ends the account's sign-ins, and a sign-in with it opens nothing but the
    password change until she has chosen her own."""
    principal.require("admin")
    account = await repository.account(session, account_id)
    if account is None:
        raise NotFound(msg("no account with id {account_id}"), account_id=account_id)
    one_time = secrets.token_urlsafe(12)
    while password_problem(one_time, account.username):  # pragma: no cover (all but never)
        one_time = secrets.token_urlsafe(12)
    account.password_hash = hash_password(one_time)
    account.must_change_password = True
    account.token_epoch += 1
    await session.flush()
    return PasswordReset(
        id=account.id,
        username=account.username,
        one_time_password=one_time,
        must_change_password=True,
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
        raise Conflict(
            msg("username {username!r} is taken"), extra={"field": "username"}, username=username
        )
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
        raise Conflict(msg("username {username!r} is taken"), username=username) from exc
    return staff_out(account)


async def create_admin(session: AsyncSession, username: str, password: str) -> StaffOut:
    """`laowu admin create`: the first account has no one to grant it, so no principal."""
    errors = FieldErrors()
    if not (3 <= len(username) <= 100):
        errors.add("username", msg("must be 3–100 characters"))
    problem = password_problem(password, username)
    if problem:
        errors.add("password", problem)
    errors.raise_if_any()
    return await _insert_account(session, username, password, "admin")


async def list_accounts(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> StaffPage:
    principal.require("admin")
    rows, total = await repository.accounts_page(session, limit=limit, offset=offset)
    return StaffPage(items=[staff_out(a) for a in rows], total=total)


async def get_account(session: AsyncSession, principal: Principal, account_id: int) -> StaffOut:
    """One account, for the admin who changes it (or 404)."""
    principal.require("admin")
    account = await repository.account(session, account_id)
    if account is None:
        raise NotFound(msg("no account with id {account_id}"), account_id=account_id)
    return staff_out(account)


async def account_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    """Usernames for account ids the caller already obtained through a scoped service (who
    recorded a consent, who wrote a case entry): a page shows a name, never ``staff:2``."""
    return await repository.usernames(session, ids)


async def get_agency(session: AsyncSession, principal: Principal, agency_id: int) -> AgencyOut:
    if not may_see(principal, agency_id=agency_id):
        if principal.is_employer:
            raise Forbidden(msg("employers do not see agencies"))
        raise NotFound(msg("no agency with id {agency_id}"), agency_id=agency_id)
    agency = await repository.agency(session, agency_id)
    if agency is None:
        raise NotFound(msg("no agency with id {agency_id}"), agency_id=agency_id)
    return agency_out(agency)


async def agency_contact(
    session: AsyncSession, principal: Principal, agency_id: int
) -> tuple[str, str | None, str | None]:
    """Her agency's name, and the office and phone a printed card gives her to call."""
    agency = await get_agency(session, principal, agency_id)
    office = await repository.office_contact(session, agency_id, None)
    return (agency.name, *(office if office else (None, None)))
