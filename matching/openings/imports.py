"""Posting openings from a spreadsheet (导入岗位): every row through the checks of
``POST /openings`` (``service.check_new_opening``, and the employer's: found, the caller's to
post for, not suspended), the same opening posted again counted as a duplicate (employer,
title, city and start date). All or nothing unless ``skip_invalid``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.context import Context
from matching.lib.errors import FieldErrors, Translate
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
from matching.openings import repository, service
from matching.openings.schemas import OpeningCreate


def columns() -> tuple[Column, ...]:
    skills: dict[str, str] = {}
    for s in reference().skills:
        skills.update({s.zh: s.code, s.code: s.code, s.en.lower(): s.code})
    return (
        Column("employer_id", "用人单位编号", "int", "12", required=True, note="见 用人单位 页"),
        Column("title", "岗位名称", "text", "平缝车工", required=True, aliases=("岗位",)),
        Column("city", "城市", "text", "上海", required=True, aliases=("工作城市",)),
        Column("county", "区县", "text", "松江区"),
        Column(
            "required_skills",
            "技能要求",
            "levels",
            "缝纫:3",
            names=skills,
            level_key="min_level",
            note="技能:最低等级(1-5)",
        ),
        Column("headcount", "招工人数", "int", "20", required=True),
        Column("monthly_wage_min", "最低月薪", "int", "4500", required=True, note="元"),
        Column("monthly_wage_max", "最高月薪", "int", "6000", required=True, note="元"),
        Column("housing_provided", "提供住宿", "bool", "是", required=True),
        Column("start_date", "到岗日期", "date", "2026-03-01", required=True),
    )


_REQUIRED = frozenset(c.field for c in columns() if c.required)


def template() -> bytes:
    return template_workbook(columns())


async def import_openings(
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
    """``agency_id`` is not used: an opening belongs to its employer, whose agency it is."""
    principal.require("admin", "staff")
    sheet = read_sheet(content, filename, max_rows=ctx.settings.import_max_rows)
    cols = columns()
    cells = Cells({c.field: c for c in cols})
    fields = map_headers(sheet.headers, header_names(cols), _REQUIRED)
    bad: dict[int, list[tuple[str, str]]] = {}
    good: list[tuple[int, OpeningCreate, tuple[str, str, str | None]]] = []
    refusals: dict[int, str | None] = {}
    rows = 0
    for n, record in iter_records(sheet, fields):
        if not record:
            continue
        rows += 1
        problems: list[tuple[str, str]] = []
        values = cells.convert(record, problems)
        failed = dict(problems)
        for name in _REQUIRED:
            if name not in values and name not in failed:
                failed[name] = "is required"
        if failed:  # a required cell missing or unreadable: its other checks wait for it
            bad[n] = list(failed.items())
            continue
        data = to_struct(values, OpeningCreate, {}, failed)
        errors = FieldErrors()
        cleaned = service.check_new_opening(errors, data)
        for path, message in errors.items:
            failed.setdefault(field_of(path), str(message))
        if data.employer_id not in refusals:
            refusals[data.employer_id] = await service.employer_for_opening(
                session, principal, data.employer_id
            )
        refused = refusals[data.employer_id]
        if refused is not None:
            failed.setdefault("employer_id", refused)
        if failed:
            bad[n] = list(failed.items())
        else:
            good.append((n, data, cleaned))
        if progress is not None:
            progress("check", n - 1, len(sheet.rows))
    known = await repository.opening_keys(session, [d.employer_id for _, d, _ in good])
    new: list[tuple[OpeningCreate, tuple[str, str, str | None]]] = []
    duplicates = 0
    for _, data, cleaned in good:
        key: tuple[int, str, str, Any] = (data.employer_id, cleaned[0], cleaned[1], data.start_date)
        if key in known:
            duplicates += 1
        else:
            known.add(key)
            new.append((data, cleaned))
    result = ImportResult(
        rows=rows,
        created=0,
        duplicates=duplicates,
        invalid=len(bad),
        errors=[RowError(row=n, field=f, message=m) for n in sorted(bad) for f, m in bad[n]],
        dry_run=dry_run,
    )
    if bad and not skip_invalid:
        raise InvalidRows(result)
    if bad:
        with_bad_rows(result, sheet, bad, cols, translate)
    if dry_run:
        result.would_create = len(new)
        return result
    for i, (data, (title, city, county)) in enumerate(new, start=1):
        await service.write_opening(session, principal, data, title, city, county)
        if progress is not None and i % 100 == 0:
            progress("write", i, len(new))
    result.created = len(new)
    return result
