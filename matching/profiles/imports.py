"""Registering workers from an agency's spreadsheet (导入): every row goes through the checks
of ``POST /workers`` (``service.check_new_worker``), duplicates are found in bulk (her ID
number, else her phone, identifies her), and the new workers are written by column in the
caller's transaction (COPY on PostgreSQL). All or nothing unless ``skip_invalid``."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib import clock, collector
from matching.lib.context import Context
from matching.lib.errors import Conflict, FieldErrors, Translate, msg
from matching.lib.identity import parse_id_number
from matching.lib.imports import (
    Cells,
    Column,
    ImportResult,
    InvalidRows,
    Progress,
    RowError,
    field_of,
    header_names,
    template_workbook,
    to_struct,
    with_bad_rows,
)
from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.lib.sheets import iter_records, map_headers, read_sheet
from matching.profiles import repository as repo
from matching.profiles import service
from matching.profiles.schemas import WorkerCreate


def _names(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        out.update({item.zh: item.code, item.code: item.code, item.en.lower(): item.code})
    return out


def columns() -> tuple[Column, ...]:
    ref = reference()
    return (
        Column("name", "姓名", "text", "王秀英", required=True),
        Column(
            "phone",
            "手机号",
            "text",
            "13812345678",
            required=True,
            aliases=("手机", "手机号码", "联系电话", "电话"),
        ),
        Column(
            "id_number",
            "身份证号",
            "text",
            "320612199005171234",
            aliases=("身份证", "身份证号码", "公民身份号码"),
            note="18 位；填了它，性别和出生日期从它读出",
        ),
        Column("sex", "性别", "text", "女", note="女 或 男；有身份证号时以身份证号为准"),
        Column("birth_date", "出生日期", "date", "1990-05-17", note="有身份证号时可留空"),
        Column(
            "home_county",
            "户籍县",
            "text",
            "通州区",
            required=True,
            aliases=("户籍县区", "户籍地", "户籍"),
        ),
        Column(
            "skills",
            "技能",
            "levels",
            "缝纫:3;绣花:2",
            names=_names(ref.skills),
            note="技能:等级(1-5)，用 ; 或 、 隔开",
        ),
        Column(
            "priority_groups",
            "重点群体",
            "list",
            "贫困户;军嫂",
            names=_names(g for g in ref.groups if g.assignable),
        ),
        Column("willing_to_relocate", "愿意外出", "bool", "是"),
        Column("preferred_cities", "意向城市", "list", "上海;苏州"),
        Column("min_monthly_wage", "最低月薪", "int", "4000", note="元"),
        Column("needs_housing", "需要住宿", "bool", "是"),
        Column("available_from", "可上岗日期", "date", "2026-03-01"),
        Column(
            "consent_matching",
            "同意匹配",
            "bool",
            "是",
            note="只有写明“是”的，才记为她当面同意匹配",
        ),
        Column(
            "consent_sensitive",
            "同意保存敏感信息",
            "bool",
            "是",
            aliases=("同意敏感信息",),
            note="填写重点群体时须她同意",
        ),
    )


PHONE_OF_ANOTHER = "is the phone of another worker, whose ID number is another"
RACED = msg(
    "a worker in this file was registered by someone else while it was being imported, so "
    "nothing was written; import the file again (she will count as a duplicate)"
)
_SEX = {
    "女": "female",
    "男": "male",
    "female": "female",
    "male": "male",
    "f": "female",
    "m": "male",
}
_REQUIRED = frozenset({"name", "phone", "home_county"})
_PLACEHOLDERS = {
    "name": "-",
    "phone": "-",
    "home_county": "-",
    "birth_date": dt.date(1990, 1, 1),
    "consent_matching": False,
}


def template() -> bytes:
    return template_workbook(columns())


@dataclass(slots=True)
class _Good:
    row: int
    data: WorkerCreate
    ok: service.CheckedWorker


def _check_row(
    ctx: Context, values: dict[str, Any], failed: dict[str, str]
) -> tuple[WorkerCreate, service.CheckedWorker | None]:
    """One row's values through the struct and the registration's checks; ``failed`` gets
    every field at fault (field → message)."""
    if "sex" in values:
        sex = _SEX.get(str(values["sex"]).lower())
        if sex is None:
            failed["sex"] = "must be 女 or 男"
            del values["sex"]
        else:
            values["sex"] = sex
    if "birth_date" not in values and "birth_date" not in failed and "id_number" in values:
        # A sheet with ID numbers often leaves the birth date out: it is in the number (a bad
        # number: its own check below says what is wrong with it).
        with contextlib.suppress(ValueError):
            values["birth_date"] = parse_id_number(values["id_number"])[1]
    for name in ("name", "phone", "home_county", "birth_date"):
        if name not in values:
            if name not in failed:
                failed[name] = (
                    "is required (or give her ID number)" if name == "birth_date" else "is required"
                )
            values[name] = _PLACEHOLDERS[name]
    values.setdefault("consent_matching", False)  # only a recorded 是 is her consent
    data = to_struct(values, WorkerCreate, _PLACEHOLDERS, failed)
    errors = FieldErrors()
    ok = service.check_new_worker(ctx, errors, data)
    for path, message in errors.items:
        failed.setdefault(field_of(path), str(message))
    return data, (None if failed else ok)


async def import_workers(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    content: bytes,
    filename: str | None,
    *,
    agency_id: int | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    translate: Translate | None = None,
) -> ImportResult:
    # 100,000 checked rows stay alive until they are written: the collector would scan them
    # again and again and find no garbage (``collector``).
    with collector.paused():
        service.worker_scope(principal)
        agency = await service.agency_for_new_worker(session, principal, agency_id)
        sheet = read_sheet(content, filename, max_rows=ctx.settings.import_max_rows)
        cols = columns()
        cells = Cells({c.field: c for c in cols})
        fields = map_headers(sheet.headers, header_names(cols), _REQUIRED)
        total = len(sheet.rows)
        bad: dict[int, list[tuple[str, str]]] = {}
        good: list[_Good] = []
        rows = 0
        for n, record in iter_records(sheet, fields):
            if not record:
                continue  # a blank row in the middle of the sheet
            rows += 1
            if progress is not None and rows % 2000 == 0:
                progress("check", n - 1, total)
            problems: list[tuple[str, str]] = []
            values = cells.convert(record, problems)
            failed = dict(problems)
            data, ok = _check_row(ctx, values, failed)
            if ok is None:
                bad[n] = list(failed.items())
            else:
                good.append(_Good(n, data, ok))
        if progress is not None:
            progress("check", total, total)
        new, duplicates = await _without_duplicates(session, good, bad)
        errors = [RowError(row=n, field=f, message=msg) for n in sorted(bad) for f, msg in bad[n]]
        result = ImportResult(
            rows=rows,
            created=0,
            duplicates=duplicates,
            invalid=len(bad),
            errors=errors,
            dry_run=dry_run,
        )
        if bad and not skip_invalid:
            raise InvalidRows(result)
        if bad:
            with_bad_rows(result, sheet, bad, cols, translate)
        if dry_run:
            result.would_create = len(new)
            return result
        await _write(session, principal, agency, new, progress)
        result.created = len(new)
        return result


async def _without_duplicates(
    session: AsyncSession, good: list[_Good], bad: dict[int, list[tuple[str, str]]]
) -> tuple[list[_Good], int]:
    """The rows that register someone new, and how many name someone registered already
    (in the database or higher up the sheet). A phone that belongs to another person (her
    ID number differs) is a bad row."""
    by_phone, by_hash = await repo.registered(
        session, [g.ok.phone for g in good], [h for g in good for h in g.ok.id_hashes]
    )  # her ID number's hash under every key of the ring: a row not yet rotated holds an old one
    seen_hash: set[str] = set()
    seen_phone: dict[str, tuple[int, str | None]] = {}
    new: list[_Good] = []
    duplicates = 0
    for g in good:
        phone, hsh = g.ok.phone, g.ok.id_hash
        if hsh is not None and (hsh in seen_hash or any(h in by_hash for h in g.ok.id_hashes)):
            duplicates += 1
            continue
        other = by_phone.get(phone)
        earlier = seen_phone.get(phone)
        if other is not None or earlier is not None:
            their_hash = other[1] if other is not None else earlier[1]  # type: ignore[index]
            if hsh is not None and their_hash is not None and their_hash not in g.ok.id_hashes:
                bad[g.row] = [("phone", PHONE_OF_ANOTHER)]
                continue
            duplicates += 1
            continue
        if hsh is not None:
            seen_hash.add(hsh)
        seen_phone[phone] = (g.row, hsh)
        new.append(g)
    return new, duplicates


async def _write(
    session: AsyncSession,
    principal: Principal,
    agency_id: int,
    new: list[_Good],
    progress: Progress | None,
) -> None:
    if not new:
        return
    now = clock.now()
    total = len(new)
    if progress is not None:
        progress("write", 0, total)
    records = [service.new_worker_row(agency_id, principal, g.data, g.ok, now) for g in new]
    constant = ("agency_id", "status", "version", "created_by_id", "created_at", "updated_at")
    fixed = {k: records[0][k] for k in constant}
    # By column: one transposition of the rows' values (every row has the keys in one order).
    names = list(records[0])
    by_column = zip(*(r.values() for r in records), strict=True)
    every = dict(zip(names, map(list, by_column), strict=True))
    cols = {k: v for k, v in every.items() if k not in fixed}
    try:
        ids = await repo.insert_workers(session, cols, fixed)
    except IntegrityError as exc:  # her phone or ID number, registered since the check above
        raise Conflict(RACED) from exc
    skills: dict[str, list[Any]] = defaultdict(list)
    groups: dict[str, list[Any]] = defaultdict(list)
    consents: dict[str, list[Any]] = defaultdict(list)
    for wid, g in zip(ids, new, strict=True):
        for s in g.data.skills:
            skills["worker_id"].append(wid)
            skills["skill_code"].append(s.code)
            skills["level"].append(s.level)
        for code in g.ok.groups:
            groups["worker_id"].append(wid)
            groups["group_code"].append(code)
        for event in service.registration_consents(wid, principal, g.data, g.ok, now):
            for k, v in event.items():
                consents[k].append(v)
    if skills:
        n = len(skills["worker_id"])
        skills["source"] = ["declared"] * n
        await repo.insert_skill_columns(session, dict(skills))
    if groups:
        await repo.insert_group_columns(session, dict(groups))
    await repo.insert_consent_columns(session, dict(consents))
    if progress is not None:
        progress("write", total, total)
