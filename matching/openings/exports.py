"""The shared pool of openings as a spreadsheet, with the opening list's own filters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.principal import Principal
from matching.lib.workbook import YES_NO, Column, Progress, Written, skills_text, write_table
from matching.openings import service

STATUS = {"open": "招聘中", "closed": "已关闭"}
COLUMNS = (
    Column("编号", "int", 8),
    Column("用人单位", width=20),
    Column("岗位", width=16),
    Column("城市", width=10),
    Column("区县", width=10),
    Column("技能要求", width=20),
    Column("招工人数", "int", 8),
    Column("最低月薪（元）", "int", 12),
    Column("最高月薪（元）", "int", 12),
    Column("提供住宿", width=8),
    Column("开工日期", "date", 12),
    Column("状态", width=8),
    Column("发布时间（北京时间）", "datetime", 18),
)


async def openings(
    session: AsyncSession,
    principal: Principal,
    flt: service.OpeningFilter,
    path: Path,
    progress: Progress = None,
) -> Written:
    """The openings with the list's filters (``GET /openings``), seen as the list sees them."""
    where = service.list_conditions(principal, flt)

    async def chunks() -> AsyncIterator[list[Sequence[Any]]]:
        async for page in service.iter_openings(session, where):
            yield [
                (
                    o.id,
                    o.employer_name,
                    o.title,
                    o.city,
                    o.county,
                    skills_text((s.code, s.min_level) for s in o.required_skills),
                    o.headcount,
                    o.monthly_wage_min,
                    o.monthly_wage_max,
                    YES_NO[o.housing_provided],
                    o.start_date,
                    STATUS.get(o.status, o.status),
                    o.created_at,
                )
                for o in page
            ]

    return await write_table(path, "岗位", COLUMNS, chunks(), progress)
