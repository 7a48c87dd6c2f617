"""The worker register as a spreadsheet, with the worker list's own filters and scoping:
ID numbers masked (as the API shows them), times in Beijing time, codes in Chinese."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.principal import Principal
from matching.lib.workbook import (
    YES_NO,
    Column,
    Progress,
    Written,
    groups_text,
    skills_text,
    write_table,
)
from matching.profiles import service
from matching.profiles.repository import WorkerFilter

SEX = {"female": "女", "male": "男"}
STATUS = {"available": "待岗", "offered": "已发通知", "placed": "已就业", "inactive": "不参与"}
COLUMNS = (
    Column("编号", "int", 8),
    Column("姓名", width=10),
    Column("手机号", width=16),
    Column("身份证号（已隐去）", width=22),
    Column("性别", width=6),
    Column("出生日期", "date", 12),
    Column("户籍县", width=12),
    Column("技能", width=20),
    Column("重点群体", width=16),
    Column("愿意外出", width=8),
    Column("意向城市", width=16),
    Column("最低月薪（元）", "int", 12),
    Column("需要住宿", width=8),
    Column("可上岗日期", "date", 12),
    Column("同意匹配", width=8),
    Column("状态", width=10),
    Column("中介公司编号", "int", 10),
    Column("登记时间（北京时间）", "datetime", 18),
)


async def workers(
    session: AsyncSession,
    principal: Principal,
    flt: WorkerFilter,
    path: Path,
    seen: Callable[[list[int]], None],
    progress: Progress = None,
) -> Written:
    """The register with the list's filters (``GET /workers``), scoped as the list is; ``seen``
    is told the ids each chunk showed."""
    flt = service.checked_filter(principal, flt)

    async def chunks() -> AsyncIterator[list[Sequence[Any]]]:
        async for page in service.iter_workers(session, flt):
            seen([w.id for w in page])
            yield [
                (
                    w.id,
                    w.name,
                    w.phone,
                    w.id_number,  # masked by the service, as the API answers it
                    SEX.get(w.sex or ""),
                    w.birth_date,
                    w.home_county,
                    skills_text((s.code, s.level) for s in w.skills),
                    groups_text(w.priority_groups),
                    YES_NO[w.willing_to_relocate],
                    "、".join(w.preferred_cities),
                    w.min_monthly_wage,
                    YES_NO[w.needs_housing],
                    w.available_from,
                    YES_NO[w.consent_matching],
                    STATUS.get(w.status, w.status),
                    w.agency_id,
                    w.created_at,
                )
                for w in page
            ]

    return await write_table(path, "劳动力名册", COLUMNS, chunks(), progress)
