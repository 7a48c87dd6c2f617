"""Rights cases as a spreadsheet, with the case list's own filters and scoping."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.principal import Principal
from matching.lib.workbook import Column, Progress, Written, write_table
from matching.placements import cases as service

STATUS = {
    "open": "受理中",
    "mediating": "调解中",
    "resolved": "已解决",
    "escalated": "移交仲裁",
    "closed": "已结案",
}
TYPE = {
    "wage_arrears": "拖欠工资",
    "unpaid_overtime": "加班无报酬",
    "unfair_dismissal": "违法辞退",
    "contract_violation": "违反合同",
    "injury": "工伤",
    "harassment": "骚扰",
    "housing": "住宿问题",
    "other": "其他",
}
OUTCOME = {
    "upheld": "诉求成立",
    "partly_upheld": "部分成立",
    "not_upheld": "不成立",
    "withdrawn_by_worker": "本人撤回",
    "referred": "已移交",
}
COLUMNS = (
    Column("编号", "int", 8),
    Column("劳动力编号", "int", 10),
    Column("输送编号", "int", 10),
    Column("用人单位编号", "int", 10),
    Column("办事处编号", "int", 10),
    Column("类型", width=12),
    Column("状态", width=10),
    Column("结果", width=10),
    Column("案情", width=40),
    Column("诉求金额（元）", "int", 12),
    Column("追回金额（元）", "int", 12),
    Column("立案时间（北京时间）", "datetime", 18),
    Column("结案时间（北京时间）", "datetime", 18),
)


async def cases(
    session: AsyncSession,
    principal: Principal,
    path: Path,
    seen: Callable[[list[int]], None],
    *,
    status: str | None,
    office_id: int | None,
    worker_id: int | None,
    progress: Progress = None,
) -> Written:
    """The cases with the list's filters (``GET /cases``), scoped as the list is; ``seen`` is
    told the workers each chunk showed."""
    where = service.list_conditions(
        principal, status=status, office_id=office_id, worker_id=worker_id
    )

    async def chunks() -> AsyncIterator[list[Sequence[Any]]]:
        async for page in service.iter_cases(session, where):
            seen([c.worker_id for c in page])
            yield [
                (
                    c.id,
                    c.worker_id,
                    c.placement_id,
                    c.employer_id,
                    c.office_id,
                    TYPE.get(c.type, c.type),
                    STATUS.get(c.status, c.status),
                    OUTCOME.get(c.outcome or "", c.outcome),
                    c.summary,
                    c.money_claimed,
                    c.money_recovered,
                    c.opened_at,
                    c.closed_at,
                )
                for c in page
            ]

    return await write_table(path, "维权案件", COLUMNS, chunks(), progress)
