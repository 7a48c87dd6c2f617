"""Spreadsheets out (issue 12, item 4): the worker register, openings and cases with their
lists' own filters, and the federation's figures, as XLSX and CSV, on both databases."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select, update

from matching.db import models as m
from tests.integration.test_aftercare import run
from tests.integration.test_cli import _env, laowu
from tests.integration.test_employer_view import PROBLEM, placed_world
from tests.integration.test_figures_summary import place
from tests.integration.test_web import _account, _login
from tests.support import Api, assert_problem, id_number_for

BORN = dt.date(1990, 5, 17)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content), read_only=False)


def cells(book: Any) -> list[str]:
    """Every cell of every sheet, as text."""
    return [
        str(v)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    ]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), content[:10]  # UTF-8 with a BOM
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def world(api: Api) -> dict[str, Any]:
    """Two agencies; five workers in the first (three with ID numbers), two in the second."""
    agency, other = await api.agency(), await api.agency()
    staff, staff_b = await api.staff(agency["id"]), await api.staff(other["id"])
    ids = [id_number_for(BORN, serial=s) for s in (102, 202, 302, 404)]
    mine = [
        await api.worker(staff, name="王秀英", id_number=ids[0]),
        await api.worker(
            staff, name="李桂兰", id_number=ids[1], skills=[{"code": "embroidery", "level": 3}]
        ),
        await api.worker(
            staff,
            name="陈小梅",
            id_number=ids[2],
            skills=[{"code": "embroidery", "level": 2}, {"code": "sewing", "level": 5}],
        ),
        await api.worker(staff, name="刘芳", sex="female"),
        await api.worker(staff, name="赵强", sex="male"),
    ]
    theirs = [
        await api.worker(staff_b, name="孙丽", id_number=ids[3]),
        await api.worker(staff_b, name="周红", sex="female"),
    ]
    return {
        "agency": agency,
        "other": other,
        "staff": staff,
        "staff_b": staff_b,
        "ids": ids,
        "mine": mine,
        "theirs": theirs,
    }


async def get(api: Api, path: str, headers: dict[str, str]) -> Any:
    r = await api.request("GET", path, headers)
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
    return r


async def test_the_worker_register_as_a_workbook(api: Api) -> None:
    w = await world(api)
    staff = w["staff"]
    # A registration just before midnight UTC is the next day in Beijing.
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    async with api.engine.begin() as conn:
        await conn.execute(
            update(m.WorkerProfile)
            .where(m.WorkerProfile.id == w["mine"][0]["id"])
            .values(created_at=late)
        )

    for query in ("", "?skill=embroidery", "?q=李"):
        listed = await api.ok("GET", f"/workers{query}", staff)
        r = await get(api, f"/workers/export.xlsx{query}", staff)
        assert r.headers["content-type"].startswith(XLSX_TYPE)
        sheet = workbook(r.content).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) - 1 == listed["total"], query  # the headings, then one row a worker
        assert [row[0] for row in rows[1:]] == sorted(x["id"] for x in listed["items"])
    assert listed["total"] == 1

    r = await get(api, "/workers/export.xlsx", staff)
    book = workbook(r.content)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    head = rows[0]
    assert head[:5] == ("编号", "姓名", "手机号", "身份证号（已隐去）", "性别"), head
    by_id = {row[0]: dict(zip(head, row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {x["id"] for x in w["mine"]}  # none of the other agency's
    first = by_id[w["mine"][0]["id"]]
    assert first["登记时间（北京时间）"] == dt.datetime(2026, 3, 2, 7, 30)
    assert first["身份证号（已隐去）"] == w["mine"][0]["id_number"]  # masked, as the API
    assert first["性别"] == "女" and first["状态"] == "待岗" and first["同意匹配"] == "是"
    assert first["重点群体"] == "贫困户" and first["技能"] == "缝纫:4"
    assert by_id[w["mine"][2]["id"]]["技能"] == "绣花:2;缝纫:5"
    assert by_id[w["mine"][4]["id"]]["性别"] == "男"
    text = cells(book)
    for full in w["ids"]:
        assert not any(full in c for c in text), full  # no full ID number in any cell

    # Every worker shown is in the access log, as the list's read is.
    api.flush_access_log()
    async with api.engine.connect() as conn:
        logged = (
            await conn.execute(
                select(m.AccessLogEntry.worker_id).where(
                    m.AccessLogEntry.action == "worker.list.export"
                )
            )
        ).scalars()
        assert set(logged) == {x["id"] for x in w["mine"]}


async def test_the_worker_register_as_csv_in_utf8_with_a_bom(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the exports are written
    w = await world(api)
    listed = await api.ok("GET", "/workers?skill=embroidery", w["staff"])
    r = await get(api, "/workers/export.csv?skill=embroidery", w["staff"])
    assert r.headers["content-type"].startswith("text/csv")
    rows = csv_rows(r.content)
    assert rows[0][:2] == ["编号", "姓名"]
    assert len(rows) - 1 == listed["total"] == 2
    assert {int(row[0]) for row in rows[1:]} == {x["id"] for x in listed["items"]}
    body = r.content.decode("utf-8-sig")
    for full in w["ids"]:
        assert full not in body
    assert_problem(await api.request("GET", "/workers/export.csv?skill=x", w["staff"]), 422)
    assert int(r.headers["content-length"]) == len(r.content)
    assert "attachment" in r.headers["content-disposition"]
    left = [n for n in os.listdir(tmp_path) if n.startswith("laowu-export-")]
    assert left == []  # sent, or refused: removed either way


async def test_other_agencies_employers_and_bad_filters_are_refused(api: Api) -> None:
    w = await world(api)
    # Staff of the other agency see only theirs, and may not ask for this agency's.
    rows = list(
        workbook((await get(api, "/workers/export.xlsx", w["staff_b"])).content)
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert {row[0] for row in rows[1:]} == {x["id"] for x in w["theirs"]}
    for path in ("/workers", "/workers/export.xlsx", "/workers/export.csv"):
        r = await api.request("GET", f"{path}?agency_id={w['agency']['id']}", w["staff_b"])
        assert_problem(r, 403)
    # An employer is refused the register, as the list refuses her.
    employer = await api.employer()
    hr = await api.employer_account(employer["id"])
    for path in ("/workers", "/workers/export.xlsx", "/workers/export.csv", "/cases/export.xlsx"):
        assert_problem(await api.request("GET", path, hr), 403)
    # Bad filter values: every one named.
    for path in ("/workers/export.xlsx", "/workers/export.csv"):
        r = await api.request("GET", f"{path}?skill=juggling&status=asleep", w["staff"])
        body = assert_problem(r, 422, "skill")
        assert {"skill", "status"} <= {e["field"] for e in body["errors"]}
        assert_problem(await api.request("GET", f"{path}?agency_id=0", w["staff"]), 400)
    r = await api.request("GET", "/openings/export.xlsx?status=maybe&skill=juggling", w["staff"])
    assert {"status", "skill"} <= {e["field"] for e in assert_problem(r, 422, "status")["errors"]}
    assert_problem(await api.request("GET", "/cases/export.csv?status=lost", w["staff"]), 422)
    assert_problem(
        await api.request("GET", "/reports/summary.xlsx?from=2026-13-01", w["staff"]), 422
    )
    assert_problem(await api.request("GET", "/workers/export.xlsx"), 401)


async def test_openings_and_cases_with_their_lists_filters(api: Api) -> None:
    admin = await api.admin()
    agency, other = await api.agency(), await api.agency()
    staff, staff_b = await api.staff(agency["id"]), await api.staff(other["id"])
    factory = await api.employer(agency_id=agency["id"], name="申美电器", city="上海")
    await api.opening(admin, factory["id"], title="平缝车工", city="上海")
    await api.opening(admin, factory["id"], title="绣花工", city="南通", county="通州区")
    for query in ("", "?city=南通"):
        listed = await api.ok("GET", f"/openings{query}", staff)
        for suffix in ("xlsx", "csv"):
            r = await get(api, f"/openings/export.{suffix}{query}", staff)
            if suffix == "xlsx":
                rows = [
                    list(x) for x in workbook(r.content).worksheets[0].iter_rows(values_only=True)
                ]
            else:
                rows = csv_rows(r.content)
            assert len(rows) - 1 == listed["total"], (query, suffix)
            assert rows[0][:3] == ["编号", "用人单位", "岗位"]
            assert all(row[11] == "招聘中" for row in rows[1:])
    assert listed["total"] == 1

    worker = await api.worker(staff, name="王秀英", id_number=id_number_for(BORN, serial=505))
    await run(api, admin)
    placement = await place(api, staff, worker["id"])
    await api.ok(
        "POST",
        "/cases",
        staff,
        json={"placement_id": placement["id"], "type": "wage_arrears", "summary": "三月工资未发"},
    )
    listed = await api.ok("GET", "/cases?status=open", staff)
    assert listed["total"] == 1
    r = await get(api, "/cases/export.xlsx?status=open", staff)
    rows = list(workbook(r.content).worksheets[0].iter_rows(values_only=True))
    assert len(rows) - 1 == 1
    case = dict(zip(rows[0], rows[1], strict=True))
    assert (
        case["类型"] == "拖欠工资" and case["状态"] == "受理中" and case["案情"] == "三月工资未发"
    )
    assert case["劳动力编号"] == worker["id"]
    assert (
        len(
            list(
                workbook((await get(api, "/cases/export.xlsx?status=resolved", staff)).content)
                .worksheets[0]
                .iter_rows()
            )
        )
        == 1
    )
    rows = csv_rows((await get(api, "/cases/export.csv", staff_b)).content)
    assert len(rows) == 1  # the other agency's staff: the headings, no case

    r = await get(api, "/placements/export.xlsx?status=active", staff)
    rows = list(workbook(r.content).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2
    placed = dict(zip(rows[0], rows[1], strict=True))
    assert placed["编号"] == placement["id"] and placed["姓名"] == "王秀英"
    assert placed["状态"] == "在职" and placed["月薪（元）"] == 4500
    assert (
        len(csv_rows((await get(api, "/placements/export.csv?status=ended", staff)).content)) == 1
    )
    assert len(csv_rows((await get(api, "/placements/export.csv", staff_b)).content)) == 1
    assert_problem(await api.request("GET", "/placements/export.xlsx?status=gone", staff), 422)


async def test_the_summary_workbook_holds_the_summarys_figures(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    await api.ok(
        "POST",
        "/offices",
        admin,
        json={"agency_id": agency["id"], "name": "上海办事处", "city": "上海"},
    )
    factory = await api.employer(agency_id=agency["id"], name="申美电器", city="上海")
    await api.opening(admin, factory["id"], headcount=5)
    for serial in (112, 224, 131):  # two women (even 17th digit) and a man
        await api.worker(staff, id_number=id_number_for(BORN, serial=serial), preferred_cities=[])
    await run(api, admin)
    page = await api.ok("GET", "/workers", staff)
    for x in page["items"]:
        await place(api, staff, x["id"])
    today = dt.date.today()
    query = f"from={today.year}-01-01&to={today.year + 1}-12-31"
    s = await api.ok("GET", f"/reports/summary?{query}", staff)
    assert s["transferred"]["total"] == 3 and s["transferred"]["women"] == 2
    r = await get(api, f"/reports/summary.xlsx?{query}", staff)
    book = workbook(r.content)
    assert book.sheetnames == ["汇总", "按重点群体", "按输入城市", "按办事处", "按月份"]
    first = list(book["汇总"].iter_rows(values_only=True))
    assert "已转移农村劳动力 3 人" in str(first[0][0]) and "妇女劳动力 2 人" in str(first[0][0])
    figures = {row[0]: row[1] for row in first[3:]}
    tr, ca = s["transferred"], s["cases"]
    expected = {
        "总劳动力（人）": s["labour_force"],
        "已转移劳动力（人）": tr["total"],
        "其中妇女（人）": tr["women"],
        "妇女占比": tr["women_share"],
        "就地转移（人）": tr["local"],
        "外出务工（人）": tr["away"],
        "劳务收入（元）": s["labour_income_yuan"]["total"],
        "其中妇女劳务收入（元）": s["labour_income_yuan"]["women"],
        "被辞退（人）": s["reemployment"]["dismissed"],
        "培训人数": s["trained"]["people"],
        "招聘会（场）": s["job_fairs"]["fairs"],
        "受理维权案件（件）": ca["handled"],
        "调处率": ca["mediation_rate"],
        "追回补偿（元）": ca["compensation_recovered_yuan"],
    }
    for heading, value in expected.items():
        assert figures[heading] == value, heading
    cities = list(book["按输入城市"].iter_rows(values_only=True))
    assert cities[1:] == [(c["city"], c["transferred"]) for c in s["by_destination_city"]]
    offices = list(book["按办事处"].iter_rows(values_only=True))
    assert [row[2] for row in offices[1:]] == [o["transferred"] for o in s["by_office"]]
    months = list(book["按月份"].iter_rows(values_only=True))
    assert [row[1] for row in months[1:]] == [mo["transferred"] for mo in s["by_month"]]
    groups = list(book["按重点群体"].iter_rows(values_only=True))
    assert [row[1] for row in groups[1:]] == [g["transferred"] for g in s["by_priority_group"]]
    # Staff see their agency's figures only, as the JSON.
    other = await api.agency()
    r = await api.request("GET", f"/reports/summary.xlsx?{query}&agency_id={other['id']}", staff)
    assert_problem(r, 403)


async def test_the_command_line_export_writes_the_file(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    w = await world(api)
    env = _env(db_url, tmp_path)
    out = tmp_path / "名册.xlsx"
    done = laowu(
        "export", "workers", str(out), "--agency-id", str(w["agency"]["id"]), env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"5 rows written to {out}")
    assert "#" in done.stderr  # the progress bar
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert {row[0] for row in rows[1:]} == {x["id"] for x in w["mine"]}
    csv_out = tmp_path / "cases.csv"
    done = laowu("export", "cases", str(csv_out), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert csv_rows(csv_out.read_bytes())[0][:2] == ["编号", "劳动力编号"]
    for what, heading in (("placements", "劳动力编号"), ("openings", "用人单位")):
        out = tmp_path / f"{what}.csv"
        done = laowu(
            "export",
            what,
            str(out),
            "--status",
            "active" if what == "placements" else "open",
            env=env,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"0 rows written to {out}"
        assert csv_rows(out.read_bytes()) == [csv_rows(out.read_bytes())[0]]
        assert csv_rows(out.read_bytes())[0][1] == heading
    refused = tmp_path / "refused.xlsx"
    done = laowu("export", "workers", str(refused), "--skill", "juggling", env=env, cwd=tmp_path)
    assert done.returncode == 1 and "juggling" in done.stderr and not refused.exists()
    bad = laowu("export", "workers", str(tmp_path / "x.pdf"), env=env, cwd=tmp_path)
    assert bad.returncode == 2 and ".xlsx or .csv" in bad.stderr


async def test_the_consoles_export_links_carry_the_pages_filters(api: Api) -> None:
    w = await world(api)
    username = await _account(api, "staff", agency_id=w["agency"]["id"])
    await _login(api, username)
    page = await api.client.get("/workers?skill=embroidery&q=")
    assert page.status_code == 200
    link = re.search(r'href="(/workers/export\.xlsx\?[^"]+)"', page.text)
    assert link and "skill=embroidery" in link.group(1), page.text
    r = await api.client.get(link.group(1).replace("&amp;", "&"))
    assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX_TYPE)
    rows = list(workbook(r.content).worksheets[0].iter_rows(values_only=True))
    assert len(rows) - 1 == 2  # the two embroiderers of her agency
    today = dt.date.today()
    report = await api.client.get(f"/reports?from={today.year}-01-01&to={today.isoformat()}")
    link = re.search(r'href="(/reports/summary\.xlsx\?[^"]+)"', report.text)
    assert link, report.text
    r = await api.client.get(link.group(1).replace("&amp;", "&"))
    assert r.status_code == 200
    assert workbook(r.content).sheetnames[0] == "汇总"
    for path in ("/openings", "/placements", "/cases"):
        html = (await api.client.get(path)).text
        assert f'href="{path}/export.xlsx' in html, path
        assert "导出 Excel" in html or "Export to Excel" in html
    api.client.cookies.clear()


async def test_the_follow_ups_with_the_calendars_filters(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    w = await placed_world(api)
    staff, hr, pid, her = w["staff"], w["hr"], w["placement_id"], w["her"]
    placement = await api.ok("GET", f"/placements/{pid}", staff)
    fus = placement["follow_ups"]
    pending = [f for f in fus if f["status"] in ("scheduled", "due")]
    assert len(pending) == 2

    r = await get(api, "/followups/export.xlsx?status=done", staff)
    assert r.headers["x-row-count"] == "1"
    rows = list(workbook(r.content).worksheets[0].iter_rows(values_only=True))
    assert len(rows) - 1 == 1
    done = dict(zip(rows[0], rows[1], strict=True))
    assert done["输送编号"] == pid and done["劳动力编号"] == her["id"]
    assert done["姓名"] == her["name"] and done["用人单位"] == "如东绣品厂"
    assert done["第几次回访"] == "第1次（第7天）" and done["状态"] == "已回访"
    assert done["应回访日期"].date() == dt.date.fromisoformat(fus[0]["due_on"])
    answered = dt.datetime.fromisoformat(fus[0]["answered_at"])
    beijing = answered.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    assert abs(done["答复时间（北京时间）"] - beijing) < dt.timedelta(seconds=1)  # Beijing time
    assert done["方式"] == "电话" and done["工资按时发放"] == "否"
    assert done["工时与约定相符"] == "否" and done["住宿与承诺相符"] == "是"
    assert done["问题"] == PROBLEM

    # without a status: the calendar's (not yet done); a due-before date narrows it
    rows = csv_rows((await get(api, "/followups/export.csv", staff)).content)
    assert len(rows) - 1 == len(pending)
    assert rows[0][:4] == ["编号", "输送编号", "劳动力编号", "姓名"]
    before = dt.date.fromisoformat(pending[0]["due_on"]) + dt.timedelta(days=1)
    rows = csv_rows((await get(api, f"/followups/export.csv?due_before={before}", staff)).content)
    assert len(rows) - 1 == 1 and rows[1][8] == "未到期"

    # every worker in it is in the access log
    api.flush_access_log()
    async with api.engine.connect() as conn:
        logged = (
            await conn.execute(
                select(m.AccessLogEntry.worker_id).where(
                    m.AccessLogEntry.action == "followup.list.export"
                )
            )
        ).scalars()
        assert set(logged) == {her["id"]}

    # another agency sees none; the employer is refused; a bad filter is a clear problem
    staff_b = await api.staff((await api.agency())["id"])
    assert len(csv_rows((await get(api, "/followups/export.csv", staff_b)).content)) == 1
    assert_problem(await api.request("GET", "/followups/export.xlsx", hr), 403)
    body = assert_problem(
        await api.request("GET", "/followups/export.xlsx?status=gone", staff), 422, "status"
    )
    assert "missed" in body["errors"][0]["message"]
    r = await api.request("GET", "/followups/export.csv?due_before=soon", staff)
    assert r.status_code in (400, 422) and "due_before" in r.text

    # the command line writes the file
    env = _env(db_url, tmp_path)
    out = tmp_path / "回访.xlsx"
    cli = laowu("export", "followups", str(out), "--status", "done", env=env, cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip().endswith(f"1 rows written to {out}")
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == [pid]
    cli = laowu("export", "followups", str(out), "--status", "gone", env=env, cwd=tmp_path)
    assert cli.returncode == 1 and "missed" in cli.stderr


async def test_the_follow_up_calendar_links_its_export(api: Api) -> None:
    w = await placed_world(api)
    staff = w["staff"]
    agency_id = (await api.ok("GET", f"/workers/{w['her']['id']}", staff))["agency_id"]
    username = await _account(api, "staff", agency_id=agency_id)
    await _login(api, username)
    try:
        page = await api.client.get("/followups")
        assert page.status_code == 200
        link = re.search(r'href="(/followups/export\.xlsx\?due_before=[^"]+)"', page.text)
        assert link, page.text
        r = await api.client.get(link.group(1).replace("&amp;", "&"))
        assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX_TYPE)
        rows = list(workbook(r.content).worksheets[0].iter_rows(values_only=True))
        assert rows[0][6] == "第几次回访"
        shown = page.text.count(w["her"]["name"])
        assert len(rows) - 1 == shown  # the calendar's rows, her name once each
    finally:
        api.client.cookies.clear()
