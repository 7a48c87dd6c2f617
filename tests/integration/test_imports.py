"""Spreadsheets in: workers (and openings) from .xlsx and .csv (UTF-8, GBK), all or nothing
unless skip_invalid, duplicates found again, every refusal clear and nothing written."""

from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select, text

from matching.app import create_app
from matching.db import models as m
from matching.settings import Settings
from tests.integration.test_cli import LAOWU, _env, laowu
from tests.support import Api, assert_problem, id_number_for

HEADERS = [
    "姓名",
    "手机号",
    "身份证号",
    "出生日期",
    "户籍县",
    "技能",
    "重点群体",
    "愿意外出",
    "意向城市",
    "最低月薪",
    "需要住宿",
    "可上岗日期",
    "同意匹配",
]
BAD_PHONE, BAD_ID, BAD_SKILL = 7, 19, 33  # sheet rows (the header is row 1)


def worker_rows(n: int = 50, first_phone: int = 13900000000) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for i in range(n):
        born = dt.date(1980 + i % 20, 1 + i % 12, 1 + i % 28)
        id_number = id_number_for(born, serial=100 + 2 * (i % 400))  # even: a woman
        rows.append(
            [
                f"工人{i}",
                str(first_phone + i),
                id_number,
                born.isoformat(),
                "通州区",
                "缝纫:3;绣花:2" if i % 2 else "sewing:4",
                "贫困户" if i % 5 == 0 else "",
                "是",
                "上海、苏州",
                "4000",
                "否",
                "",
                "是" if i % 10 else "否",
            ]
        )
    if n < BAD_SKILL:
        return rows  # a clean sheet
    rows[BAD_PHONE - 2][1] = "12345"
    bad_id = rows[BAD_ID - 2][2]
    rows[BAD_ID - 2][2] = bad_id[:17] + ("0" if bad_id[17] != "0" else "1")
    rows[BAD_SKILL - 2][5] = "烹饪:3"
    return rows


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS, **extra: Any) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = book.add_worksheet()
    ws.write_row(0, 0, headers)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            ws.write_string(i, j, str(v))
    if "formula" in extra:
        ws.write_formula(extra["formula"], "=1+1")
    if "merge" in extra:
        ws.merge_range(extra["merge"], "合并")
    book.close()
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str, headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


async def post(
    api: Api,
    headers: dict[str, str],
    content: bytes,
    filename: str = "workers.xlsx",
    path: str = "/imports/workers",
    **params: Any,
) -> Any:
    query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
    return await api.request(
        "POST", path, headers=headers, files={"file": (filename, content)}, params=query
    )


async def workers_in_db(api: Api) -> list[Any]:
    async with api.engine.connect() as conn:
        rows = await conn.execute(select(m.WorkerProfile.__table__).order_by(text("id")))
        return list(rows.all())


async def test_all_or_nothing_then_skip_invalid_then_again(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    sheet = xlsx(worker_rows())
    before = await api.digest()

    r = await post(api, staff, sheet)
    body = assert_problem(r, 422)
    assert sorted({e["row"] for e in body["errors"]}) == [BAD_PHONE, BAD_ID, BAD_SKILL]
    by_row = {e["row"]: e["field"] for e in body["errors"]}
    assert by_row == {BAD_PHONE: "phone", BAD_ID: "id_number", BAD_SKILL: "skills"}
    assert (body["rows"], body["invalid"], body["created"]) == (50, 3, 0)
    assert await api.digest() == before  # nothing written

    r = await post(api, staff, sheet, dry_run=True, skip_invalid=True)
    assert r.status_code == 200, r.text
    assert (r.json()["would_create"], r.json()["created"]) == (47, 0)
    assert await api.digest() == before

    r = await post(api, staff, sheet, skip_invalid=True)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["rows"], result["created"], result["duplicates"], result["invalid"]) == (
        50,
        47,
        0,
        3,
    )
    errors_book = python_calamine.CalamineWorkbook.from_filelike(
        io.BytesIO(base64.b64decode(result["errors_xlsx"]))
    )
    bad_rows = errors_book.get_sheet_by_index(0).to_python()
    assert len(bad_rows) == 1 + 3  # the header and the three bad rows, as uploaded
    assert [r[0] for r in bad_rows[1:]] == ["工人5", "工人17", "工人31"]
    said = str(bad_rows[1][-1])
    assert "手机号" in said and "(第 7 行)" in said

    stored = await workers_in_db(api)
    assert len(stored) == 47 and {w.agency_id for w in stored} == {agency["id"]}
    assert all(w.sex == "female" and w.id_number_masked for w in stored)
    assert sum(w.consent_matching for w in stored) == 47 - 5  # rows 2, 12, 22, 32, 42 said 否
    async with api.engine.connect() as conn:
        skills = (await conn.execute(select(m.WorkerSkill.__table__))).all()
        groups = (await conn.execute(select(m.WorkerGroup.__table__))).all()
        consents = (await conn.execute(select(m.Consent.__table__))).all()
    assert len(skills) == 25 * 1 + 22 * 2  # even rows one skill, odd rows two (3 odd ones bad)
    assert len(groups) == 9  # every fifth row is a poor household (row 7, one of them, bad)
    matching = [c for c in consents if c.kind == "matching"]
    assert len(matching) == 47 and all(c.channel == "in_person" for c in matching)
    assert sum(c.given for c in matching) == 42
    one = await api.ok("GET", f"/workers/{stored[1].id}", staff)
    assert one["preferred_cities"] == ["上海", "苏州"] and one["min_monthly_wage"] == 4000
    assert {s["code"]: s["level"] for s in one["skills"]} == {"sewing": 3, "embroidery": 2}

    again = await post(api, staff, sheet, skip_invalid=True)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["duplicates"]) == (0, 47)
    assert len(await workers_in_db(api)) == 47


async def test_gbk_csv_with_chinese_headers(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    rows = worker_rows(10, first_phone=13700000000)
    content = csv_bytes(rows, "gbk")
    content.decode("gbk")
    try:
        content.decode("utf-8")
        raise AssertionError("the file must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    r = await post(api, staff, content, "名单.csv")
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 10
    names = sorted(w.name for w in await workers_in_db(api))
    assert names == sorted(f"工人{i}" for i in range(10))
    # UTF-8 with a BOM (what Excel writes as "CSV UTF-8"), API field names as headers
    api_headers = ["name", "phone", "birth_date", "home_county", "consent_matching"]
    bom = "\ufeff".encode() + csv_bytes(
        [["李红", "13600000001", "1991-02-03", "如皋市", "true"]], "utf-8", api_headers
    )
    r = await post(api, staff, bom, "bom.csv")
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1
    assert "李红" in [w.name for w in await workers_in_db(api)]


async def test_refusals_write_nothing(api: Api, settings: Settings) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    good = worker_rows(4)
    before = await api.digest()
    cases = [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.png", "spreadsheet"),
        (b"", "empty.csv", "empty"),
        (csv_bytes([], "utf-8"), "header-only.csv", "no rows"),
        (xlsx(good, formula="B3"), "formula.xlsx", "formulas (cell B3)"),
        (xlsx(good, merge="E2:E3"), "merged.xlsx", "merged cells (E2:E3)"),
        (xlsx(good, headers=[*HEADERS[:-1], "血型"]), "unknown.xlsx", "not a column"),
    ]
    for content, name, says in cases:
        r = await post(api, staff, content, name)
        body = assert_problem(r, 422)
        assert says in body["detail"], (name, body)
        assert await api.digest() == before, name


async def test_row_limit_and_upload_size(api: Api, settings: Settings) -> None:
    small = dataclasses.replace(settings, import_max_rows=5, import_max_bytes=20_000)
    app = create_app(small)
    async with AsyncTestClient(app=app) as client:
        other = Api(client, api.engine)
        agency = await other.agency()
        staff = await other.staff(agency["id"])
        before = await other.digest()
        for content, name in (
            (xlsx(worker_rows(6)), "six.xlsx"),
            (csv_bytes(worker_rows(6), "utf-8"), "six.csv"),
        ):
            body = assert_problem(await post(other, staff, content, name), 422)
            assert "more than 5 rows" in body["detail"], body
        big = csv_bytes(worker_rows(3), "utf-8") + b"\n" * 30_000
        r = await post(other, staff, big, "big.csv")
        assert_problem(r, 413)
        assert await other.digest() == before
        # five rows pass, and a body larger than LAOWU_MAX_BODY_BYTES is taken by the imports
        r = await post(other, staff, csv_bytes(worker_rows(5, 13500000000), "utf-8"), "five.csv")
        assert r.status_code == 200 and r.json()["created"] == 5, r.text
    assert settings.import_max_bytes > settings.max_body_bytes


def bad_row_reasons(workbook: bytes) -> dict[str, str]:
    """The bad rows' workbook opened by openpyxl: each row's first cell (her name) → its
    last cell (what is wrong, with the row it had)."""
    book = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    return {str(r[0]): str(r[-1]) for r in rows[1:]}


CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


async def test_bad_rows_workbook_speaks_the_readers_language(api: Api) -> None:
    """The reasons in errors_xlsx (and the answer's errors) are said as the 422 says them: in
    the reader's language, Chinese by default."""
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    sheet = xlsx(worker_rows())
    seen: dict[str, dict[str, str]] = {}
    for lang in ("zh-CN", "en"):
        r = await post(api, {**staff, "Accept-Language": lang}, sheet, skip_invalid=True)
        assert r.status_code == 200, r.text
        body = r.json()
        seen[lang] = bad_row_reasons(base64.b64decode(body["errors_xlsx"]))
        assert sorted(seen[lang]) == ["工人17", "工人31", "工人5"]
        said = {e["row"]: e["message"] for e in body["errors"]}
        assert sorted(said) == [BAD_PHONE, BAD_ID, BAD_SKILL]
        if lang == "zh-CN":
            for reason in [*seen[lang].values(), *said.values()]:
                assert CJK.search(reason), reason
                assert not LATIN_WORD.search(reason), reason  # no English left in it
        else:
            assert all(LATIN_WORD.search(m) for m in said.values()), said  # her 烹饪 stays
    # The same rows, the same columns named in Chinese; only the reasons' language differs.
    zh, en = seen["zh-CN"], seen["en"]
    assert zh["工人5"].startswith("手机号: ") and en["工人5"].startswith("手机号: ")
    assert "技能" in zh["工人31"] and "(第 33 行)" in zh["工人31"]
    assert zh != en and LATIN_WORD.search(en["工人5"])

    # No Accept-Language at all: Chinese, the default.
    r = await api.client.post(
        "/api/v1/imports/workers",
        headers=staff,
        files={"file": ("workers.xlsx", xlsx(worker_rows(first_phone=13700000000)))},
        params={"skip_invalid": "true", "dry_run": "true"},
    )
    assert r.status_code == 200, r.text
    assert bad_row_reasons(base64.b64decode(r.json()["errors_xlsx"])) == zh


async def test_who_may_import(api: Api) -> None:
    agency, other_agency = await api.agency(), await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer()
    hr = await api.employer_account(employer["id"])
    sheet = xlsx(worker_rows(4, 13300000000))
    before = await api.digest()
    assert_problem(await post(api, staff, sheet, agency_id=other_agency["id"]), 403)
    assert_problem(await post(api, hr, sheet), 403)
    assert_problem(await post(api, await api.admin(), sheet), 422, "agency_id")
    assert_problem(await post(api, {}, sheet), 401)
    assert await api.digest() == before
    r = await post(api, await api.admin(), sheet, agency_id=other_agency["id"])
    assert r.status_code == 200 and r.json()["created"] == 4, r.text
    assert {w.agency_id for w in await workers_in_db(api)} == {other_agency["id"]}


async def test_template_reads_back_as_an_import(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    r = await api.request("GET", "/imports/workers/template.xlsx", headers=staff)
    assert r.status_code == 200
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(r.content))
    header = book.get_sheet_by_index(0).to_python()[0]
    assert header[:3] == ["姓名*", "手机号*", "身份证号"]
    body = assert_problem(await post(api, staff, r.content), 422)
    assert "no rows" in body["detail"]


async def test_cli_import(api: Api, db_url: str, tmp_path: Path) -> None:
    agency = await api.agency()
    path = tmp_path / "workers.xlsx"
    path.write_bytes(xlsx(worker_rows()))
    env = _env(db_url, tmp_path)
    args = ("import", "workers", str(path), "--agency-id", str(agency["id"]))
    r = laowu(*args, env=env, cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "row 7" in r.stderr and "row 19" in r.stderr and "row 33" in r.stderr
    assert await workers_in_db(api) == []
    r = laowu(*args, "--skip-invalid", env=env, cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # bad rows were left out: not a clean import
    assert "created 47" in r.stdout and "invalid 3" in r.stdout
    fix = tmp_path / "workers.errors.xlsx"
    assert fix.exists()
    reasons = bad_row_reasons(fix.read_bytes())  # in Chinese unless --lang en
    assert sorted(reasons) == ["工人17", "工人31", "工人5"]
    assert all(CJK.search(r) and not LATIN_WORD.search(r) for r in reasons.values()), reasons
    assert (
        len(python_calamine.CalamineWorkbook.from_path(str(fix)).get_sheet_by_index(0).to_python())
        == 4
    )
    assert len(await workers_in_db(api)) == 47
    r = laowu(*args, "--dry-run", "--skip-invalid", env=env, cwd=tmp_path)
    assert "duplicates 47" in r.stdout and len(await workers_in_db(api)) == 47


OPENING_HEADERS = [
    "用人单位编号",
    "岗位名称",
    "城市",
    "技能要求",
    "招工人数",
    "最低月薪",
    "最高月薪",
    "提供住宿",
    "到岗日期",
]


async def test_openings_import(api: Api) -> None:
    agency, other = await api.agency(), await api.agency()
    staff = await api.staff(agency["id"])
    ours = await api.employer(agency_id=agency["id"])
    theirs = await api.employer(agency_id=other["id"])
    start = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    rows = [
        [ours["id"], "平缝车工", "上海", "缝纫:3", "20", "4500", "6000", "是", start],
        [ours["id"], "绣花工", "苏州", "绣花:2;缝纫:1", "5", "4000", "5000", "否", start],
        [theirs["id"], "装配工", "昆山", "", "10", "4000", "5000", "是", start],
        [ours["id"], "检验员", "上海", "", "3", "6000", "5000", "是", "2020-01-01"],
    ]
    sheet = xlsx(rows, OPENING_HEADERS)
    before = await api.digest()
    body = assert_problem(await post(api, staff, sheet, path="/imports/openings"), 422)
    assert {(e["row"], e["field"]) for e in body["errors"]} == {
        (4, "employer_id"),
        (5, "monthly_wage_min"),
        (5, "start_date"),
    }
    assert await api.digest() == before
    r = await post(api, staff, sheet, path="/imports/openings", skip_invalid=True)
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    listed = await api.ok("GET", "/openings", staff)
    assert sorted(o["title"] for o in listed["items"]) == ["平缝车工", "绣花工"]
    embroidery = next(o for o in listed["items"] if o["title"] == "绣花工")
    assert {s["code"]: s["min_level"] for s in embroidery["required_skills"]} == {
        "embroidery": 2,
        "sewing": 1,
    }
    again = await post(api, staff, sheet, path="/imports/openings", skip_invalid=True)
    assert (again.json()["created"], again.json()["duplicates"]) == (0, 2)
    assert (await api.ok("GET", "/openings", staff))["total"] == 2
    hr = await api.employer_account(ours["id"])
    assert_problem(await post(api, hr, sheet, path="/imports/openings"), 403)


async def test_her_id_number_else_her_phone_identifies_her(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    rows = worker_rows(3, first_phone=13200000000)
    assert (await post(api, staff, xlsx(rows))).json()["created"] == 3
    moved = [list(rows[0]), list(rows[1]), list(rows[2])]
    moved[0][1] = "13200000099"  # her new phone, the same ID number: she is registered
    moved[1][2] = ""  # no ID number, the same phone: registered
    other = id_number_for(dt.date(1985, 6, 1), serial=998)
    moved[2][2], moved[2][3] = other, "1985-06-01"  # the phone of row 4, another person's ID
    r = await post(api, staff, xlsx(moved), skip_invalid=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["duplicates"], body["invalid"]) == (0, 2, 1)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(4, "phone")]
    assert len(await workers_in_db(api)) == 3


async def test_cli_import_that_loses_a_race_says_so_in_one_line(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    """Another registration of one of the file's phones, uncommitted while the import checks
    for duplicates, commits while the import writes: the import's COPY meets her unique phone.
    The CLI answers one line and exit 1, and nothing of the file is written."""
    import asyncio
    import subprocess

    if not db_url.startswith("postgresql"):
        # SQLite has one writer: the import's write waits for the other to commit and then
        # fails on its stale read (a lock error), never on a unique violation.
        pytest.skip("a lost race to a unique index needs concurrent writers (PostgreSQL)")
    agency = await api.agency()
    path = tmp_path / "workers.csv"
    path.write_bytes(csv_bytes(worker_rows(10), "utf-8"))
    async with api.engine.connect() as conn:
        first = await conn.begin()
        await conn.execute(
            insert(m.WorkerProfile).values(
                agency_id=agency["id"],
                name="先到者",
                phone="+8613900000004",  # row 6 of the file
                willing_to_relocate=False,
                preferred_cities=[],
                needs_housing=False,
                consent_matching=False,
                consent_sensitive=False,
                locale="zh",
                status="available",
                version=1,
                created_at=dt.datetime.now(dt.UTC),
                updated_at=dt.datetime.now(dt.UTC),
            )
        )
        args = ("import", "workers", str(path), "--agency-id", str(agency["id"]))
        proc = subprocess.Popen(  # noqa: S603, ASYNC220 - our own console script
            [str(LAOWU), *args],
            env=_env(db_url, tmp_path),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            waiting = 0
            for _ in range(600):  # until its COPY waits on the uncommitted phone
                async with api.engine.connect() as watch:
                    waiting = (
                        await watch.execute(
                            text(
                                "SELECT count(*) FROM pg_stat_activity WHERE "
                                "wait_event_type = 'Lock' AND query LIKE 'COPY%'"
                            )
                        )
                    ).scalar_one()
                if waiting or proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            assert waiting, "the import never waited on the other registration"
            await first.commit()
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 1, out + err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [
        "laowu: a worker in this file was registered by someone else while it was being "
        "imported, so nothing was written; import the file again (she will count as a "
        "duplicate)"
    ], err
    assert [w.name for w in await workers_in_db(api)] == ["先到者"]
