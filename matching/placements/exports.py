"""Placements and rights cases as spreadsheets, with their lists' own filters and scoping."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.principal import Principal
from matching.lib.workbook import YES_NO, Column, Progress, Written, write_table
from matching.placements import cases as service
from matching.placements import service as placements
from matching.placements.followups import DAYS_OF

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


PLACEMENT_STATUS = {"active": "在职", "ended": "已结束"}
END_REASON = {
    "dismissed": "被辞退",
    "quit": "本人离职",
    "completed": "合同期满",
    "contract_violation": "用人单位违约",
    "employer_cancelled": "用人单位取消",
}
PLACEMENT_COLUMNS = (
    Column("编号", "int", 8),
    Column("劳动力编号", "int", 10),
    Column("姓名", width=10),
    Column("岗位", width=16),
    Column("用人单位", width=20),
    Column("城市", width=10),
    Column("开工日期", "date", 12),
    Column("状态", width=8),
    Column("月薪（元）", "int", 10),
    Column("就地转移", width=8),
    Column("结束日期", "date", 12),
    Column("结束原因", width=12),
)


async def placements_list(
    session: AsyncSession,
    principal: Principal,
    path: Path,
    seen: Callable[[list[int]], None],
    *,
    status: str | None,
    worker_id: int | None,
    progress: Progress = None,
) -> Written:
    """The placements with the list's filters (the console's 输送就业 list), scoped as it is."""
    where = placements.list_conditions(principal, status=status, worker_id=worker_id)

    async def chunks() -> AsyncIterator[list[Sequence[Any]]]:
        async for page in placements.iter_placements(session, where):
            seen([p.worker_id for p in page])
            yield [
                (
                    p.id,
                    p.worker_id,
                    p.worker_name,
                    p.title,
                    p.employer,
                    p.city,
                    p.start_date,
                    PLACEMENT_STATUS.get(p.status, p.status),
                    p.monthly_wage,
                    YES_NO[bool(p.in_home_county)],
                    p.ended_on,
                    END_REASON.get(p.end_reason or "", p.end_reason),
                )
                for p in page
            ]

    return await write_table(path, "输送就业", PLACEMENT_COLUMNS, chunks(), progress)


FOLLOW_UP_STATUS = {"scheduled": "未到期", "due": "待答复", "done": "已回访", "missed": "未答复"}
CHANNEL = {"worker_link": "本人链接", "phone": "电话", "visit": "上门"}
FOLLOW_UP_COLUMNS = (
    Column("编号", "int", 8),
    Column("输送编号", "int", 10),
    Column("劳动力编号", "int", 10),
    Column("姓名", width=10),
    Column("用人单位", width=20),
    Column("岗位", width=16),
    Column("第几次回访", width=10),
    Column("应回访日期", "date", 12),
    Column("状态", width=8),
    Column("答复时间（北京时间）", "datetime", 18),
    Column("方式", width=8),
    Column("工资按时发放", width=8),
    Column("工时与约定相符", width=8),
    Column("住宿与承诺相符", width=8),
    Column("实发工资（元）", "int", 10),
    Column("问题", width=40),
)


def _yes_no(value: Any) -> str | None:
    return None if value is None else YES_NO[bool(value)]


async def followups_list(
    session: AsyncSession,
    principal: Principal,
    path: Path,
    seen: Callable[[list[int]], None],
    *,
    status: str | None,
    worker_id: int | None,
    due_before: dt.date | None,
    progress: Progress = None,
) -> Written:
    """The follow-ups with the 回访 list's filters, scoped as it is; ``seen`` is told the
    workers each chunk showed."""
    where = placements.followup_conditions(
        principal, status=status, worker_id=worker_id, due_before=due_before
    )

    async def chunks() -> AsyncIterator[list[Sequence[Any]]]:
        async for page in placements.iter_followups(session, where):
            seen([f.worker_id for f in page])
            rows: list[Sequence[Any]] = []
            for f in page:
                a = f.answers or {}
                rows.append(
                    (
                        f.id,
                        f.placement_id,
                        f.worker_id,
                        f.worker_name,
                        f.employer,
                        f.title,
                        f"第{f.n}次（第{DAYS_OF.get(f.n, f.n)}天）",
                        f.due_on,
                        FOLLOW_UP_STATUS.get(f.status, f.status),
                        f.answered_at,
                        CHANNEL.get(f.channel or "", f.channel),
                        _yes_no(a.get("wages_on_time")),
                        _yes_no(a.get("hours_as_agreed")),
                        _yes_no(a.get("housing_as_promised")),
                        a.get("wage_paid"),
                        a.get("problem") or None,
                    )
                )
            yield rows

    return await write_table(path, "回访", FOLLOW_UP_COLUMNS, chunks(), progress)
