"""Use cases for employers and openings. Openings are one pool shared by every agency."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound, msg
from matching.lib.principal import Principal, may_see, visible
from matching.lib.reference import reference
from matching.lib.text import clean_optional
from matching.network import repository as network_repo
from matching.openings import repository, rules
from matching.openings.schemas import (
    EmployerCreate,
    EmployerOut,
    EmployerPage,
    EmployerPatch,
    OpeningCreate,
    OpeningOut,
    OpeningPage,
    OpeningPatch,
    RequiredSkill,
    RequiredSkillOut,
)


def employer_out(e: m.Employer) -> EmployerOut:
    return EmployerOut(
        id=e.id,
        name=e.name,
        city=e.city,
        industry=e.industry,
        reputation=e.reputation,
        labour_protection=e.labour_protection,
        partner=e.partner,
        suspended=e.suspended,
        version=e.version,
        created_at=e.created_at,
        agency_id=e.agency_id,
        local_workshop=e.local_workshop,
    )


def _given(struct: msgspec.Struct) -> dict[str, Any]:
    fields = struct.__struct_fields__
    return {f: getattr(struct, f) for f in fields if getattr(struct, f) is not msgspec.UNSET}


def _pool_scope(principal: Principal, employer: Any) -> list[ColumnElement[bool]]:
    """Employers and openings are one pool every agency sees, so staff are not confined to
    their agency's rows as ``visible`` would confine them; an employer account sees only its
    own employer's, an admin everything (as ``visible`` says)."""
    if principal.is_staff:
        return []
    return visible(principal, employer=employer)


async def _employer(session: AsyncSession, principal: Principal, employer_id: int) -> m.Employer:
    where = _pool_scope(principal, repository.E.id)
    employer = await repository.employer_where(session, employer_id, where)
    if employer is None:
        raise NotFound(msg("no employer with id {employer_id}"), employer_id=employer_id)
    return employer


def _require_owner(principal: Principal, employer: m.Employer) -> None:
    """Every agency reads the pool; an employer and its openings are changed only by the agency
    that registered it, an admin, or (its openings) the employer's own account. An opening's
    owner is its employer's agency, not the agency of whoever posted it: staff may post only
    for their own agency's employers, so the two agree, and one column answers both."""
    if not may_see(principal, agency_id=employer.agency_id, employer_id=employer.id):
        if employer.agency_id is None:
            raise Forbidden(
                msg(
                    "employer {id} was registered by an admin; only an admin changes it "
                    "and its openings"
                ),
                id=employer.id,
            )
        raise Forbidden(
            msg(
                "employer {id} was registered by another agency; only that agency or "
                "an admin changes it and its openings"
            ),
            id=employer.id,
        )


async def _check_agency(session: AsyncSession, principal: Principal, agency_id: int) -> None:
    if not principal.is_admin:
        raise Forbidden(msg("only an admin hands an employer to an agency"))
    if await network_repo.agency(session, agency_id) is None:
        raise Invalid("agency_id", msg("no agency with id {agency_id}"), agency_id=agency_id)


async def create_employer(
    session: AsyncSession, principal: Principal, data: EmployerCreate
) -> EmployerOut:
    principal.require("admin", "staff")
    if not principal.is_admin and (
        data.reputation is not None or data.labour_protection is not None
    ):
        raise Forbidden(msg("only an admin sets an employer's standing scores"))
    agency_id = principal.agency_id if principal.is_staff else data.agency_id
    if data.agency_id is not None and data.agency_id != agency_id:
        raise Forbidden(msg("staff register employers for their own agency only"))
    if principal.is_admin and agency_id is not None:
        await _check_agency(session, principal, agency_id)
    errors = FieldErrors()
    name = clean_optional(errors, "name", data.name)
    city = clean_optional(errors, "city", data.city)
    errors.raise_if_any()
    employer = m.Employer(
        agency_id=agency_id,
        name=name,
        city=city,
        industry=(data.industry or "").strip() or None,
        reputation=50 if data.reputation is None else data.reputation,
        labour_protection=50 if data.labour_protection is None else data.labour_protection,
        partner=False,
        suspended=False,
        local_workshop=data.local_workshop,
        version=1,
    )
    await repository.add(session, employer)
    return employer_out(employer)


async def get_employer(
    session: AsyncSession, principal: Principal, employer_id: int
) -> EmployerOut:
    return employer_out(await _employer(session, principal, employer_id))


async def employer_to_change(
    session: AsyncSession, principal: Principal, employer_id: int
) -> EmployerOut:
    """An employer the caller may change (its registering agency's staff, an admin), or the
    refusal ``update_employer`` would give, before any form is filled in."""
    principal.require("admin", "staff")
    employer = await _employer(session, principal, employer_id)
    _require_owner(principal, employer)
    return employer_out(employer)


async def list_employers(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> EmployerPage:
    where = _pool_scope(principal, repository.E.id)
    rows, total = await repository.employers_page(session, where, limit=limit, offset=offset)
    return EmployerPage(items=[employer_out(e) for e in rows], total=total)


async def update_employer(
    session: AsyncSession, principal: Principal, employer_id: int, patch: EmployerPatch
) -> EmployerOut:
    principal.require("admin", "staff")
    employer = await _employer(session, principal, employer_id)
    _require_owner(principal, employer)
    given = _given(patch)
    given.pop("version")
    if not principal.is_admin and ({"reputation", "labour_protection"} & given.keys()):
        raise Forbidden(msg("only an admin sets an employer's standing scores"))
    if given.get("agency_id") is not None:
        await _check_agency(session, principal, given["agency_id"])
    elif "agency_id" in given and not principal.is_admin:
        raise Forbidden(msg("only an admin hands an employer to an agency"))
    errors = FieldErrors()
    for f in ("name", "city"):
        if f in given:
            given[f] = clean_optional(errors, f, given[f])
    errors.raise_if_any()
    if patch.version != employer.version:  # also keeps an out-of-range version from the database
        raise Conflict(
            msg("employer {employer} was changed by someone else; reload and try again"),
            extra={"field": "version", "current_version": employer.version},
            employer=employer.name,
        )
    if not await repository.update_employer_at_version(session, employer_id, patch.version, given):
        raise Conflict(
            msg("employer {employer} was changed by someone else; reload and try again"),
            extra={"field": "version", "current_version": employer.version},
            employer=employer.name,
        )
    await repository.reload(session, employer)
    return employer_out(employer)


def _check_required(errors: FieldErrors, skills: Sequence[RequiredSkill]) -> None:
    known = reference().skill_codes
    seen: set[str] = set()
    for i, s in enumerate(skills):
        if s.code not in known:
            errors.add(
                f"required_skills[{i}].code",
                msg("unknown skill code {code!r}; see GET /skills"),
                code=s.code,
            )
        elif s.code in seen:
            errors.add(
                f"required_skills[{i}].code", msg("skill {code!r} is listed twice"), code=s.code
            )
        seen.add(s.code)


def _check_free_text(errors: FieldErrors, field: str, text: str | None) -> None:
    if rules.gender_requirement(text):  # the law on the field holds in its words too
        errors.add(field, rules.GENDER_IN_TEXT)


def _check_headcount(errors: FieldErrors, headcount: int) -> None:
    if headcount < 1:
        errors.add("headcount", msg("must be at least {n}"), n=1)


def _check_start(errors: FieldErrors, day: dt.date) -> None:
    if day < clock.today():
        errors.add("start_date", msg("is in the past"))
    elif not clock.plausible(day):
        errors.add("start_date", clock.OUT_OF_RANGE)


def _check_terms(errors: FieldErrors, wage_min: int, wage_max: int) -> None:
    if wage_min > wage_max:
        errors.add("monthly_wage_min", msg("must not exceed monthly_wage_max"))


@dataclass(frozen=True, slots=True)
class OpeningFilter:
    city: str | None = None
    skill: str | None = None
    status: str | None = None
    employer_id: int | None = None


async def _openings_out(session: AsyncSession, rows: Sequence[Any]) -> list[OpeningOut]:
    skills: dict[int, list[RequiredSkillOut]] = defaultdict(list)
    for s in await repository.required_skills(session, [r.id for r in rows]):
        skills[s.opening_id].append(RequiredSkillOut(code=s.skill_code, min_level=s.min_level))
    return [
        OpeningOut(
            id=r.id,
            employer_id=r.employer_id,
            employer_name=r.employer_name,
            title=r.title,
            city=r.city,
            county=r.county,
            required_skills=skills.get(r.id, []),
            headcount=r.headcount,
            monthly_wage_min=r.monthly_wage_min,
            monthly_wage_max=r.monthly_wage_max,
            housing_provided=r.housing_provided,
            start_date=r.start_date,
            status=r.status,
            version=r.version,
            created_at=r.created_at,
        )
        for r in rows
    ]


async def get_opening(session: AsyncSession, principal: Principal, opening_id: int) -> OpeningOut:
    where = _pool_scope(principal, repository.O.employer_id)
    row = await repository.opening_row(session, opening_id, where)
    if row is None:
        raise NotFound(msg("no opening with id {opening_id}"), opening_id=opening_id)
    return (await _openings_out(session, [row]))[0]


async def list_openings(
    session: AsyncSession, principal: Principal, flt: OpeningFilter, *, limit: int, offset: int
) -> OpeningPage:
    where = list_conditions(principal, flt)
    rows, total = await repository.opening_rows_page(session, where, limit=limit, offset=offset)
    return OpeningPage(items=await _openings_out(session, rows), total=total)


async def iter_openings(
    session: AsyncSession, where: list[ColumnElement[bool]], *, chunk: int = 2000
) -> AsyncIterator[list[OpeningOut]]:
    """Every opening meeting ``where`` (from :func:`list_conditions`), by id, a chunk at a time."""
    after = 0
    while rows := await repository.opening_rows_after(session, where, after, chunk):
        yield await _openings_out(session, rows)
        after = rows[-1].id


def list_conditions(principal: Principal, flt: OpeningFilter) -> list[ColumnElement[bool]]:
    """The opening list's conditions for ``principal`` (the list and its export alike), or 422
    naming every filter value that names no status or skill."""
    errors = FieldErrors()
    if flt.status and flt.status not in ("open", "closed"):
        errors.add("status", msg("must be open or closed"))
    if flt.skill and flt.skill not in reference().skill_codes:
        errors.add("skill", msg("unknown skill code {skill!r}"), skill=flt.skill)
    errors.raise_if_any()
    where = repository.opening_conditions(
        city=flt.city,
        status=flt.status,
        employer_id=flt.employer_id,
        skill=flt.skill,
        hide_suspended=not principal.is_admin,  # a suspended employer's openings leave the lists
    )
    return where + _pool_scope(principal, repository.O.employer_id)


async def post_opening(
    session: AsyncSession, principal: Principal, data: OpeningCreate
) -> OpeningOut:
    employer = await _employer(session, principal, data.employer_id)
    _require_owner(principal, employer)
    errors = FieldErrors()
    title, city, county = check_new_opening(errors, data)
    errors.raise_if_any()
    if employer.suspended:
        raise Conflict(
            msg("employer {employer} is suspended and may not post openings"),
            employer=employer.name,
        )
    opening_id = await write_opening(session, principal, data, title, city, county)
    return await get_opening(session, principal, opening_id)


def check_new_opening(errors: FieldErrors, data: OpeningCreate) -> tuple[str, str, str | None]:
    """Every rule a new opening holds that needs no database (its title, city and county
    cleaned), each wrong field added to ``errors``: ``POST /openings`` and an import's rows."""
    title = clean_optional(errors, "title", data.title)
    _check_free_text(errors, "title", title)
    city = clean_optional(errors, "city", data.city)
    county = clean_optional(errors, "county", data.county)
    _check_headcount(errors, data.headcount)
    _check_terms(errors, data.monthly_wage_min, data.monthly_wage_max)
    _check_start(errors, data.start_date)
    _check_required(errors, data.required_skills)
    assert title is not None and city is not None
    return title, city, county


async def employer_for_opening(
    session: AsyncSession, principal: Principal, employer_id: int
) -> str | None:
    """Why ``principal`` may not post an opening for this employer (None: it may)."""
    try:
        employer = await _employer(session, principal, employer_id)
        _require_owner(principal, employer)
    except (NotFound, Forbidden) as exc:
        return exc.detail
    if employer.suspended:
        return f"employer {employer.id} is suspended and may not post openings"
    return None


async def write_opening(
    session: AsyncSession,
    principal: Principal,
    data: OpeningCreate,
    title: str,
    city: str,
    county: str | None,
) -> int:
    """Write an opening that passed every check; answers its id."""
    now = clock.now()
    opening = m.Opening(
        employer_id=data.employer_id,
        title=title,
        city=city,
        county=county,
        headcount=data.headcount,
        monthly_wage_min=data.monthly_wage_min,
        monthly_wage_max=data.monthly_wage_max,
        housing_provided=data.housing_provided,
        start_date=data.start_date,
        status="open",
        version=1,
        created_by_id=principal.account_id or None,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, opening)
    await _write_required(session, opening.id, data.required_skills)
    return opening.id


async def _write_required(
    session: AsyncSession, opening_id: int, skills: Sequence[RequiredSkill]
) -> None:
    required = [(s.code, s.min_level) for s in skills]
    await repository.replace_required_skills(session, opening_id, required)


async def update_opening(
    session: AsyncSession, principal: Principal, opening_id: int, patch: OpeningPatch
) -> OpeningOut:
    current = await get_opening(session, principal, opening_id)
    _require_owner(principal, await _employer(session, principal, current.employer_id))
    given = _given(patch)
    given.pop("version")
    errors = FieldErrors()
    for f in ("title", "city", "county"):
        if f in given:
            given[f] = clean_optional(errors, f, given[f])
    if "title" in given:
        _check_free_text(errors, "title", given["title"])
    if "headcount" in given:
        _check_headcount(errors, given["headcount"])
    _check_terms(
        errors,
        given.get("monthly_wage_min", current.monthly_wage_min),
        given.get("monthly_wage_max", current.monthly_wage_max),
    )
    if "start_date" in given:
        _check_start(errors, given["start_date"])
    skills = given.pop("required_skills", None)
    if skills is not None:
        _check_required(errors, skills)
    errors.raise_if_any()
    if patch.version != current.version:  # also keeps an out-of-range version from the database
        raise Conflict(
            msg("opening {opening} was changed by someone else; reload and try again"),
            extra={"field": "version", "current_version": current.version},
            opening=current.title,
        )
    given["updated_at"] = clock.now()
    if not await repository.update_opening_at_version(session, opening_id, patch.version, given):
        raise Conflict(
            msg("opening {opening} was changed by someone else; reload and try again"),
            extra={"field": "version", "current_version": current.version},
            opening=current.title,
        )
    if skills is not None:
        await _write_required(session, opening_id, skills)
    return await get_opening(session, principal, opening_id)


async def opening_titles(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """Titles for ids the caller already obtained through a scoped service (the pool is shared)."""
    return await repository.titles(session, ids)
