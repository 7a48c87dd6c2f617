"""The federation's figures (``GET /reports/summary``) as a workbook with Chinese headings:
the headline and every figure on a first sheet, then one sheet per breakdown. The figures are
``figures.summary``'s own; nothing is counted again here."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.principal import Principal
from matching.lib.reference import reference
from matching.lib.workbook import Column, Written, XlsxBook, remove
from matching.reports import figures
from matching.reports.schemas import Summary


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def headline(s: Summary) -> str:
    """The report's opening sentence, from the figures (as the console's 报表 writes it)."""
    tr = s.transferred
    return (
        f"全镇已转移农村劳动力 {tr.total} 人，占总劳动力的 {_percent(tr.share_of_labour_force)}，"
        f"其中转移妇女劳动力 {tr.women} 人，占 {_percent(tr.women_share)}，"
        f"劳务收入 {s.labour_income_yuan.total / 10000:,.2f} 万元。"
    )


def figure_rows(s: Summary) -> list[tuple[str, Any]]:
    """The summary's every headline figure as (Chinese heading, value); a share is 0–1."""
    tr, inc, re, trn, jf, ca = (
        s.transferred,
        s.labour_income_yuan,
        s.reemployment,
        s.trained,
        s.job_fairs,
        s.cases,
    )
    return [
        ("统计期间起", s.from_),
        ("统计期间止", s.to),
        ("总劳动力（人）", s.labour_force),
        ("已转移劳动力（人）", tr.total),
        ("其中妇女（人）", tr.women),
        ("妇女占比", tr.women_share),
        ("占总劳动力比例", tr.share_of_labour_force),
        ("就地转移（人）", tr.local),
        ("外出务工（人）", tr.away),
        ("劳务收入（元）", inc.total),
        ("其中妇女劳务收入（元）", inc.women),
        ("被辞退（人）", re.dismissed),
        ("再就业（人）", re.replaced),
        ("再就业天数中位数", re.median_days_to_replacement),
        ("培训人数", trn.people),
        ("培训期数", trn.sessions),
        ("重点群体免费培训（人）", trn.free_for_priority),
        ("招聘会（场）", jf.fairs),
        ("参会用人单位（家）", jf.employers),
        ("参会人数", jf.attendees),
        ("咨询人次", jf.consultations),
        ("现场录用（人）", jf.hires),
        ("受理维权案件（件）", ca.handled),
        ("调解成功（件）", ca.resolved),
        ("调处率", ca.mediation_rate),
        ("追回补偿（元）", ca.compensation_recovered_yuan),
    ]


SHARES = frozenset({"妇女占比", "占总劳动力比例", "调处率"})


async def summary_workbook(
    session: AsyncSession,
    principal: Principal,
    raw_from: str | None,
    raw_to: str | None,
    path: Path,
    *,
    agency_id: int | None,
    office_id: int | None,
) -> Written:
    """The figures of ``GET /reports/summary`` (computed there, not here): a first sheet of
    the headline and every figure, then one sheet per breakdown."""
    s = await figures.summary(
        session, principal, raw_from, raw_to, agency_id=agency_id, office_id=office_id
    )
    book = XlsxBook(path)
    try:
        first = book.sheet("汇总")
        first.write((headline(s),))
        first.write((f"统计期：{s.from_.isoformat()} 至 {s.to.isoformat()}",))
        first.write(("项目", "数值"))
        rows = figure_rows(s)
        for heading, value in rows:  # a share stays a fraction, shown as a percentage
            first.write((heading, value), ("text", "percent" if heading in SHARES else "text"))
        groups = book.sheet("按重点群体", [Column("重点群体", width=16), Column("转移人数", "int")])
        for g in s.by_priority_group:
            groups.write((reference().group(g.code).zh, g.transferred))
        cities = book.sheet("按输入城市", [Column("城市", width=12), Column("转移人数", "int")])
        for c in s.by_destination_city:
            cities.write((c.city, c.transferred))
        offices = book.sheet(
            "按办事处",
            [
                Column("办事处编号", "int"),
                Column("办事处", width=16),
                Column("转移人数", "int"),
                Column("受理维权案件", "int"),
            ],
        )
        for o in s.by_office:
            offices.write((o.office_id, o.name, o.transferred, o.cases_handled))
        months = book.sheet(
            "按月份",
            [Column("月份", width=10), Column("转移人数", "int"), Column("其中妇女", "int")],
        )
        for mo in s.by_month:
            months.write((mo.month, mo.transferred, mo.women))
    except BaseException:
        with contextlib.suppress(Exception):
            book.close()
        remove(path)
        raise
    book.close()
    return Written(path, len(rows))
