"""Use cases for worker profiles: register, read, search, update. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from types import SimpleNamespace
from typing import Any

import msgspec
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound, msg
from matching.lib.identity import (
    mask_id_number,
    normalise_mobile,
    parse_id_number,
    sex_of_id_number,
)
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.lib.text import clean_text, normalise, text_problem
from matching.network import repository as network_repo
from matching.offers import service as offers
from matching.profiles import repository as repo
from matching.profiles.schemas import (
    ConsentOut,
    ConsentPage,
    SkillLevel,
    SkillOut,
    Worker,
    WorkerCreate,
    WorkerPage,
    WorkerPatch,
)

MIN_AGE = 16  # Labour Law art. 15
CONSENT_TEXT_VERSION = "2026-12"
"""The code of the consent text staff show her now; an event records the text she was shown."""
CONSENT_WITHDRAWN = "她撤回了匹配同意 / she withdrew her consent to matching"
WORKER_STATUSES = ("available", "offered", "placed", "inactive")


def worker_scope(principal: Principal) -> int | None:
    """The agency a principal's worker queries are confined to (None: every agency).

    Deliberately not ``visible``: the same rule (admin all, staff her agency, employer refused),
    but as a value, not a WHERE condition, since the hot read binds it into a statement compiled
    once (``LeanSelect``) and a search carries it in ``WorkerFilter``; and staff without an
    agency are refused here, where ``visible`` would match ``agency_id IS NULL``.
    """
    if principal.is_admin:
        return None
    if principal.is_staff and principal.agency_id is not None:
        return principal.agency_id
    raise Forbidden(msg("only agency staff and admins may see worker profiles"))


def _to_worker(row: Any, skills: Sequence[Any], groups: Sequence[str]) -> Worker:
    """Her answer from anything with her fields as attributes (a row, or the values written)."""
    return Worker(
        id=row.id,
        agency_id=row.agency_id,
        name=row.name,
        phone=row.phone,
        birth_date=row.birth_date,
        home_county=row.home_county,
        sex=row.sex,
        skills=[
            SkillOut(code=s.skill_code, level=s.level, source=s.source, certified_on=s.certified_on)
            for s in skills
        ],
        priority_groups=list(groups),
        willing_to_relocate=row.willing_to_relocate,
        preferred_cities=list(row.preferred_cities or []),
        min_monthly_wage=row.min_monthly_wage,
        needs_housing=row.needs_housing,
        available_from=row.available_from,
        consent_matching=row.consent_matching,
        id_number=row.id_number_masked,
        locale=row.locale,
        status=row.status,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        consent_sensitive=row.consent_sensitive,
    )


def consent_event(
    worker_id: int,
    kind: str,
    given: bool,
    principal: Principal,
    at: dt.datetime,
    *,
    channel: str = "in_person",
    version: str | None = None,
) -> dict[str, Any]:
    """One row of ``consents``. Staff record what she said (in person unless told otherwise)."""
    return {
        "worker_id": worker_id,
        "kind": kind,
        "given": given,
        "text_version": version or CONSENT_TEXT_VERSION,
        "channel": channel,
        "recorded_by_id": principal.account_id or None,
        "at": at,
    }


def _group_names(codes: Sequence[str]) -> str:
    by_code = {g.code: g for g in reference().groups}
    return ", ".join(f"{by_code[c].zh} ({by_code[c].en})" if c in by_code else c for c in codes)


def _check_skills(errors: FieldErrors, skills: Sequence[SkillLevel]) -> None:
    known = reference().skill_codes
    seen: set[str] = set()
    for i, skill in enumerate(skills):
        if skill.code not in known:
            errors.add(
                f"skills[{i}].code",
                msg("unknown skill code {code!r}; see GET /skills"),
                code=skill.code,
            )
        elif skill.code in seen:
            errors.add(f"skills[{i}].code", msg("skill {code!r} is listed twice"), code=skill.code)
        seen.add(skill.code)


def _check_groups(errors: FieldErrors, groups: Sequence[str]) -> list[str]:
    ref = reference()
    out: list[str] = []
    for i, code in enumerate(groups):
        if code not in ref.group_codes:
            errors.add(f"priority_groups[{i}]", msg("unknown priority group {code!r}"), code=code)
        elif code not in ref.assignable_group_codes:
            errors.add(
                f"priority_groups[{i}]",
                msg("{code!r} is set by the service, not by hand"),
                code=code,
            )
        elif code in out:
            errors.add(f"priority_groups[{i}]", msg("{code!r} is listed twice"), code=code)
        else:
            out.append(code)
    return out


def _check_birth(errors: FieldErrors, birth: dt.date) -> None:
    today = clock.today()
    if birth > today:
        errors.add("birth_date", msg("is in the future"))
    elif clock.age_on(birth, today) < MIN_AGE:
        errors.add(
            "birth_date",
            msg("she must be at least {MIN_AGE} to register (Labour Law art. 15)"),
            MIN_AGE=MIN_AGE,
        )
    elif not clock.plausible(birth):
        errors.add("birth_date", msg("is not a plausible birth date"))


def _check_available(errors: FieldErrors, day: dt.date | None) -> None:
    if day is not None and not clock.plausible(day):
        errors.add("available_from", clock.OUT_OF_RANGE)


def _check_cities(errors: FieldErrors, values: Sequence[str]) -> None:
    for i, v in enumerate(values):
        c = normalise(v)
        problem = text_problem(c) if c else None  # an empty entry is dropped (see _cities)
        if problem is not None:
            errors.add(f"preferred_cities[{i}]", problem)


def _cities(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        c = normalise(v)
        if c and c not in out:
            out.append(c)
    return out


class _IdNumber(msgspec.Struct):
    enc: str | None
    hash: str | None
    masked: str | None
    sex: str | None = None
    hashes: tuple[str, ...] = ()  # under every key of the ring: what duplicates are sought by
    """What the ID number says (None: no valid ID number given)."""


def _id_number(ctx: Context, errors: FieldErrors, raw: str | None, birth: dt.date) -> _IdNumber:
    if raw is None or raw.strip() == "":
        return _IdNumber(None, None, None)
    try:
        value, born = parse_id_number(raw)
    except ValueError as exc:
        errors.add("id_number", str(exc))
        return _IdNumber(None, None, None)
    if born != birth:
        errors.add(
            "id_number", msg("its birth date {born} differs from birth_date"), born=born.isoformat()
        )
    hashes = ctx.keys.lookup_hashes(value)  # the current key's first: its lookup_hash
    return _IdNumber(
        ctx.keys.encrypt(value), hashes[0], mask_id_number(value), sex_of_id_number(value), hashes
    )


_CONTRADICTS = {
    "female": "contradicts her ID number, which says female",
    "male": "contradicts her ID number, which says male",
}


def _sex(errors: FieldErrors, declared: str | None, from_id: str | None) -> str | None:
    """Her sex, for the figures alone: what her ID number says where there is one (a declared
    value that contradicts it is refused), what staff declare otherwise."""
    if from_id is None:
        return declared
    if declared is not None and declared != from_id:
        errors.add("sex", _CONTRADICTS[from_id])
    return from_id


async def _refuse_duplicates(
    session: AsyncSession, phone: str | None, id_hashes: tuple[str, ...], exclude_id: int | None
) -> None:
    dup = await repo.find_duplicate(
        session, phone=phone, id_hashes=id_hashes, exclude_id=exclude_id
    )
    if dup is not None:
        _duplicate(*dup)


def _duplicate(field: str, existing: int) -> None:
    """Refuse the write: a worker with this phone or ID number is already registered."""
    label = "phone number" if field == "phone" else "ID number"
    raise Conflict(
        msg("a worker with this {label} is already registered (id {existing})"),
        extra={"field": field, "existing_id": existing},
        label=label,
        existing=existing,
    )


def registers_in_one_statement(principal: Principal) -> bool:
    """Whether her registration by this principal is ONE statement on PostgreSQL (see
    ``repository.insert_new_worker``): staff register for their own agency, which needs no
    read first; an admin's names an agency that is looked up."""
    return principal.is_staff


async def agency_for_new_worker(
    session: AsyncSession | AsyncEngine, principal: Principal, requested: int | None
) -> int:
    if principal.is_staff:
        if requested is not None and requested != principal.agency_id:
            raise Forbidden(msg("staff register workers for their own agency only"))
        assert principal.agency_id is not None
        return principal.agency_id
    principal.require("admin")
    if requested is None:
        raise Invalid("agency_id", msg("an admin must say which agency registers her"))
    assert isinstance(session, AsyncSession), "an admin's registration reads: a session"
    if await network_repo.agency(session, requested) is None:
        raise Invalid("agency_id", msg("no agency with id {requested}"), requested=requested)
    return requested


async def _write_skills_groups(
    session: AsyncSession,
    worker_id: int,
    skills: Sequence[SkillLevel] | None,
    groups: Sequence[str] | None,
    *,
    new: bool = False,
) -> None:
    """Replace her skills and assignable groups; ``new``: she was inserted in this
    transaction, so there is nothing to keep or delete (three statements spared)."""
    if skills is not None:
        # A level certified by training keeps its source and date while staff leave it as is.
        kept: dict[str, m.WorkerSkill] = {}
        if not new:
            kept = await repo.skills_from_training(session, worker_id)
            await repo.delete_skills(session, worker_id)
        rows = []
        for s in skills:
            old = kept.get(s.code)
            same = old is not None and old.level == s.level
            rows.append(
                {
                    "worker_id": worker_id,
                    "skill_code": s.code,
                    "level": s.level,
                    "source": "training" if same else "declared",
                    "certified_on": old.certified_on if same and old else None,
                }
            )
        if rows:
            await repo.insert_skills(session, rows)
    if groups is not None:
        if not new:
            # Derived groups (re-employment) are the service's to set and lift, not the form's.
            await repo.delete_groups(session, worker_id, sorted(reference().assignable_group_codes))
        if groups:
            await repo.insert_groups(session, worker_id, groups)


async def get_worker(
    source: AsyncSession | AsyncEngine, principal: Principal, worker_id: int
) -> Worker:
    """One worker as the caller may see her: through a session (inside its transaction, if
    one has begun) or straight from the engine (a read on its own)."""
    found = await repo.get_with_skills_and_groups(source, worker_id, worker_scope(principal))
    if found is None:
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    return _to_worker(found.row, found.skills, found.groups)


class CheckedWorker(msgspec.Struct, frozen=True):
    """A registration that passed every check of its own (no database needed): the values
    of her row, her skills and groups, and her sensitive consent."""

    name: str
    phone: str
    home_county: str
    sex: str | None
    preferred_cities: list[str]
    groups: list[str]
    sensitive: bool
    id_enc: str | None
    id_hash: str | None
    id_masked: str | None
    id_hashes: tuple[str, ...] = ()  # under every key of the ring: what duplicates are sought by


def check_new_worker(ctx: Context, errors: FieldErrors, data: WorkerCreate) -> CheckedWorker:
    """Every rule a registration holds that needs no database, each wrong field added to
    ``errors``: what ``POST /workers`` and a spreadsheet import's every row go through."""
    name = clean_text(errors, "name", data.name)
    county = clean_text(errors, "home_county", data.home_county)
    phone = ""
    try:
        phone = normalise_mobile(data.phone)
    except ValueError as exc:
        errors.add("phone", str(exc))
    _check_birth(errors, data.birth_date)
    _check_available(errors, data.available_from)
    ident = _id_number(ctx, errors, data.id_number, data.birth_date)
    sex = _sex(errors, data.sex, ident.sex)
    _check_skills(errors, data.skills)
    _check_cities(errors, data.preferred_cities)
    groups = _check_groups(errors, data.priority_groups)
    # Her priority groups are sensitive information (PIPL art. 28/29): held only with her
    # separate consent. Staff register her in person, so groups sent with no word on that
    # consent are taken as given there (and recorded so); an explicit refusal with groups is
    # refused. Today's clients, which send groups and no ``consent_sensitive``, keep working.
    sensitive = (
        bool(data.priority_groups) if data.consent_sensitive is None else data.consent_sensitive
    )
    if not sensitive and data.priority_groups:
        errors.add(
            "priority_groups",
            msg(
                "she did not consent to holding sensitive information "
                "(consent_sensitive is false), so no priority group may be recorded "
                "(PIPL art. 29)"
            ),
        )
    return CheckedWorker(
        name=name,
        phone=phone,
        home_county=county,
        sex=sex,
        preferred_cities=_cities(data.preferred_cities),
        groups=groups,
        sensitive=sensitive,
        id_enc=ident.enc,
        id_hash=ident.hash,
        id_masked=ident.masked,
        id_hashes=ident.hashes,
    )


def new_worker_row(
    agency_id: int,
    principal: Principal,
    data: WorkerCreate,
    ok: CheckedWorker,
    now: dt.datetime,
    consented_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Her ``worker_profiles`` row as registration writes it (``consented_at``: when she gave
    her consent herself, if not now)."""
    return {
        "agency_id": agency_id,
        "name": ok.name,
        "phone": ok.phone,
        "birth_date": data.birth_date,
        "home_county": ok.home_county,
        "sex": ok.sex,
        "willing_to_relocate": data.willing_to_relocate,
        "preferred_cities": ok.preferred_cities,
        "min_monthly_wage": data.min_monthly_wage,
        "needs_housing": data.needs_housing,
        "available_from": data.available_from,
        "consent_matching": data.consent_matching,
        "consent_at": (consented_at or now) if data.consent_matching else None,
        "consent_sensitive": ok.sensitive,
        "id_number_enc": ok.id_enc,
        "id_number_hash": ok.id_hash,
        "id_number_masked": ok.id_masked,
        "locale": data.locale,
        "status": "available",
        "version": 1,
        "created_by_id": principal.account_id or None,
        "created_at": now,
        "updated_at": now,
    }


def registration_consents(
    worker_id: int, principal: Principal, data: WorkerCreate, ok: CheckedWorker, at: dt.datetime
) -> list[dict[str, Any]]:
    """The consent events a registration records, dated ``at`` (when she gave them): matching
    always, sensitive when it was asked (sent, or implied by her groups)."""
    channel, version = data.consent_channel, data.consent_version
    events = [
        consent_event(
            worker_id,
            "matching",
            data.consent_matching,
            principal,
            at,
            channel=channel,
            version=version,
        )
    ]
    if data.consent_sensitive is not None or data.priority_groups:
        events.append(
            consent_event(
                worker_id,
                "sensitive",
                ok.sensitive,
                principal,
                at,
                channel=channel,
                version=version,
            )
        )
    return events


async def register_worker(
    source: AsyncSession | AsyncEngine,
    ctx: Context,
    principal: Principal,
    data: WorkerCreate,
    *,
    consented_at: dt.datetime | None = None,
) -> Worker:
    """Register her; ``consented_at``: when she gave the consents herself (her own entry on a
    fair's page, confirmed later by staff), else now. ``source``: the caller's session (its
    transaction), or the engine where ``registers_in_one_statement`` and the edge has made
    that one statement its whole unit of work."""
    worker_scope(principal)
    agency_id = await agency_for_new_worker(source, principal, data.agency_id)
    errors = FieldErrors()
    ok = check_new_worker(ctx, errors, data)
    errors.raise_if_any()
    now = clock.now()
    row = new_worker_row(agency_id, principal, data, ok, now, consented_at)
    skills = [
        {"skill_code": s.code, "level": s.level, "source": "declared", "certified_on": None}
        for s in sorted(data.skills, key=lambda s: s.code)
    ]
    consents = registration_consents(0, principal, data, ok, consented_at or now)
    for event in consents:
        del event["worker_id"]  # hers once she has an id: the insert gives it
    new = repo.NewWorker(row, skills, sorted(ok.groups), consents)
    try:
        worker_id, dup = await repo.insert_new_worker(source, new, id_hashes=ok.id_hashes)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict(msg("a worker with this phone or ID number is already registered")) from exc
    if dup is not None:
        _duplicate(*dup)
    assert worker_id is not None
    # Her answer is what was just written (read back, it would be the same values): the row,
    # her skills by code and her groups by code, as ``get_worker`` orders them.
    written = SimpleNamespace(id=worker_id, **row)
    return _to_worker(written, [SimpleNamespace(**r) for r in skills], new.groups)


async def update_worker(
    session: AsyncSession, ctx: Context, principal: Principal, worker_id: int, patch: WorkerPatch
) -> Worker:
    row = await repo.get_row(session, worker_id, worker_scope(principal))
    if row is None:
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    given = {
        f: getattr(patch, f)
        for f in patch.__struct_fields__
        if getattr(patch, f) is not msgspec.UNSET
    }
    given.pop("version")
    if "name" in given:
        values["name"] = clean_text(errors, "name", given["name"])
    if "home_county" in given:
        values["home_county"] = clean_text(errors, "home_county", given["home_county"])
    if "phone" in given:
        try:
            values["phone"] = normalise_mobile(given["phone"])
        except ValueError as exc:
            errors.add("phone", str(exc))
    birth = given.get("birth_date", row.birth_date)
    if "birth_date" in given:
        _check_birth(errors, birth)
        values["birth_date"] = birth
    id_hashes: tuple[str, ...] = ()
    if "id_number" in given:
        ident = _id_number(ctx, errors, given["id_number"], birth)
        id_hashes = ident.hashes
        values.update(
            id_number_enc=ident.enc, id_number_hash=ident.hash, id_number_masked=ident.masked
        )
        if ident.sex is not None:  # a new ID number: her sex is what it says
            values["sex"] = _sex(errors, given.get("sex"), ident.sex)
        elif "sex" in given:  # no (valid) ID number now: declared
            values["sex"] = given["sex"]
    elif ("birth_date" in given or "sex" in given) and row.id_number_masked is not None:
        enc = await repo.encrypted_id_number(session, worker_id)
        assert enc is not None
        stored, born = parse_id_number(ctx.keys.decrypt(enc))
        if "birth_date" in given and born != birth:
            errors.add("birth_date", msg("differs from the birth date in her ID number"))
        if "sex" in given:
            from_id = sex_of_id_number(stored)
            if given["sex"] != from_id:
                errors.add("sex", _CONTRADICTS[from_id])
            values["sex"] = from_id
    elif "sex" in given:
        values["sex"] = given["sex"]
    skills = given.get("skills")
    if skills is not None:
        _check_skills(errors, skills)
    groups = _check_groups(errors, given["priority_groups"]) if "priority_groups" in given else None
    for f in (
        "willing_to_relocate",
        "min_monthly_wage",
        "needs_housing",
        "available_from",
        "locale",
    ):
        if f in given:
            values[f] = given[f]
    if "available_from" in given:
        _check_available(errors, given["available_from"])
    if "preferred_cities" in given:
        _check_cities(errors, given["preferred_cities"])
        values["preferred_cities"] = _cities(given["preferred_cities"])
    now = clock.now()
    consents = _consent_changes(errors, row, given, groups)
    events: list[dict[str, Any]] = []
    for kind, value in consents.items():
        channel = given.get("consent_channel", "in_person")
        version = given.get("consent_version")
        events.append(
            consent_event(worker_id, kind, value, principal, now, channel=channel, version=version)
        )
        values[f"consent_{kind}"] = value
        if kind == "matching" and value:
            values["consent_at"] = now  # withdrawn: the time of the last consent stays
    errors.raise_if_any()
    await _refuse_duplicates(session, values.get("phone"), id_hashes, worker_id)
    stale = Conflict(
        msg(
            "worker {worker_id} was changed by someone else (you sent version "
            "{version}, it is now {current}); reload and try again"
        ),
        extra={"field": "version", "current_version": row.version},
        worker_id=worker_id,
        version=patch.version,
        current=row.version,
    )
    if patch.version != row.version:  # also keeps an out-of-range version away from the database
        raise stale
    values.update(version=row.version + 1, updated_at=now)
    if await repo.update_at_version(session, worker_id, patch.version, values) != 1:
        raise stale
    effects: list[str] = []
    if consents.get("sensitive") is False:
        held = [g for g in await _held_groups(session, worker_id) if g in _declared()]
        groups = []  # her declared groups go; see _declared for the derived one
        effects.append(
            f"priority groups removed: {_group_names(held)}; she will no longer be matched first "
            "as a member of them"
            if held
            else "no priority group was held; none will be recorded without her consent"
        )
    await _write_skills_groups(session, worker_id, skills, groups)
    await repo.insert_consents(session, events)
    if consents.get("matching") is False and row.consent_matching:
        n = await offers.withdraw_for_worker(
            session, ctx, principal, worker_id, CONSENT_WITHDRAWN, at_her_request=True
        )
        effects.append(
            f"{n} live offer(s) withdrawn and she was told; she is left out of every match run "
            "until she consents again (a confirmed placement stays)"
        )
    found = await get_worker(session, principal, worker_id)
    return msgspec.structs.replace(found, effects=effects) if effects else found


def _declared() -> frozenset[str]:
    """The groups she declares, held only with her sensitive consent. ``reemployment`` is not
    one: the service derives it from its own record of her placement ending (dismissed, her
    employer cancelled), it is no status of hers like a poor household or a military family,
    and it lifts itself when she is placed again; withdrawing sensitive consent keeps it."""
    return frozenset(reference().assignable_group_codes)


async def _held_groups(session: AsyncSession, worker_id: int) -> list[str]:
    _, groups = await repo.skills_and_groups(session, [worker_id])
    return groups.get(worker_id, [])


def _consent_changes(
    errors: FieldErrors, row: Row[Any], given: dict[str, Any], groups: list[str] | None
) -> dict[str, bool]:
    """The consents a PATCH records, by kind: each sent consent that changes (or is given
    again to the text ``consent_version`` names), and the sensitive consent that new
    priority groups sent by staff imply when she had not given it (the registration's rule)."""
    out: dict[str, bool] = {}
    renewed = "consent_version" in given
    for kind in ("matching", "sensitive"):
        field = f"consent_{kind}"
        if field in given and (given[field] != getattr(row, field) or renewed):
            out[kind] = given[field]
    sensitive = given.get("consent_sensitive")
    if sensitive is False and groups:
        errors.add(
            "priority_groups",
            msg(
                "cannot be recorded while she withdraws her consent to holding "
                "sensitive information (consent_sensitive is false; PIPL art. 29)"
            ),
        )
    elif sensitive is None and groups and not row.consent_sensitive:
        out["sensitive"] = True  # staff record her groups in person: the consent with them
    if not out and ("consent_channel" in given or "consent_version" in given):
        errors.add(
            "consent_channel" if "consent_channel" in given else "consent_version",
            msg(
                "says how a consent was given or withdrawn; send it with "
                "consent_matching or consent_sensitive"
            ),
        )
    return out


async def search_workers(
    session: AsyncSession,
    principal: Principal,
    flt: repo.WorkerFilter,
    *,
    limit: int,
    offset: int,
) -> WorkerPage:
    flt = checked_filter(principal, flt)
    rows, total = await repo.search(session, flt, limit=limit, offset=offset)
    skills, groups = await repo.skills_and_groups(session, [r.id for r in rows])
    return WorkerPage(
        items=[_to_worker(r, skills.get(r.id, []), groups.get(r.id, [])) for r in rows], total=total
    )


async def iter_workers(
    session: AsyncSession, flt: repo.WorkerFilter, *, chunk: int = 2000
) -> AsyncIterator[list[Worker]]:
    """Every worker the (checked) filter finds, by id, ``chunk`` at a time: an export reads a
    list of any length without holding it."""
    conditions, after = repo.search_conditions(flt), 0
    while rows := await repo.rows_after(session, conditions, after, chunk):
        skills, groups = await repo.skills_and_groups(session, [r.id for r in rows])
        yield [_to_worker(r, skills.get(r.id, []), groups.get(r.id, [])) for r in rows]
        after = rows[-1].id


def checked_filter(principal: Principal, flt: repo.WorkerFilter) -> repo.WorkerFilter:
    """The worker list's filter confined to what ``principal`` may see, or 422 naming every
    filter value that names no skill, group or status (the list and its export alike)."""
    scope = worker_scope(principal)
    if scope is not None:
        if flt.agency_id not in (None, scope):
            raise Forbidden(msg("staff see their own agency's workers only"))
        flt = repo.WorkerFilter(scope, flt.skill, flt.priority_group, flt.status, flt.q)
    errors = FieldErrors()
    if flt.skill is not None and flt.skill not in reference().skill_codes:
        errors.add("skill", msg("unknown skill code {skill!r}"), skill=flt.skill)
    if flt.priority_group is not None and flt.priority_group not in reference().group_codes:
        errors.add(
            "priority_group",
            msg("unknown priority group {priority_group!r}"),
            priority_group=flt.priority_group,
        )
    if flt.status is not None and flt.status not in WORKER_STATUSES:
        errors.add("status", msg("must be one of {choices}"), choices=", ".join(WORKER_STATUSES))
    errors.raise_if_any()
    return flt


async def list_consents(
    session: AsyncSession, principal: Principal, worker_id: int, *, limit: int, offset: int
) -> ConsentPage:
    """Her consent events, newest first (staff of her agency, admins)."""
    if await repo.get_row(session, worker_id, worker_scope(principal)) is None:
        raise NotFound(msg("no worker with id {worker_id}"), worker_id=worker_id)
    rows, total = await repo.consents(session, worker_id, limit=limit, offset=offset)
    return ConsentPage(
        items=[
            ConsentOut(
                kind=r.kind,
                given=r.given,
                version=r.text_version,
                channel=r.channel,
                recorded_by=r.recorded_by_id,
                at=r.at,
            )
            for r in rows
        ],
        total=total,
    )


async def worker_names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """Names for ids the caller already obtained through a scoped service."""
    return await repo.names(session, ids)


async def registered_with_phone(session: AsyncSession, phone: str) -> int | None:
    """The id of a worker already registered with this phone (E.164), if any: staff see it
    beside a fair's queued entry before they confirm it."""
    dup = await repo.find_duplicate(session, phone=phone, id_hashes=(), exclude_id=None)
    return None if dup is None else dup[1]
