"""The 报表 page in a real browser, in Chinese: a township's year so far built through the API
(women and men placed locally and away, a fair with hires, a case resolved with money
recovered, training), then the headline paragraph and the charts as a clerk sees them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.lib import clock
from matching.lib.identity import check_digit
from tests.browser.conftest import LAUNCH_ARGS, PASSWORD, Site, login, shot

pytestmark = pytest.mark.browser


def _id_number(serial: int) -> str:
    body = f"320612{dt.date(1991, 3, 8):%Y%m%d}{serial:03d}"
    return body + check_digit(body)


def _world(site: Site) -> dict[str, Any]:
    """Its own agency, so the other browser tests' records stay out of its figures."""
    c = httpx.Client(base_url=f"{site.base}/api/v1", timeout=60)

    def login(user: str) -> dict[str, str]:
        r = c.post("/auth/token", json={"username": user, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def ok(method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        r = c.request(method, path, headers=headers, json=body)
        assert r.status_code < 300, f"{method} {path}: {r.text}"
        return r.json()

    try:
        admin = login("root")
        agency = ok("POST", "/agencies", admin, {"name": "城关劳务"})["id"]
        # Places of its own (嘉兴, 盐城 亭湖区): the openings are one pool shared by every
        # agency of the site, and the other browser tests' workers must not compete for them.
        for city in ("嘉兴", "盐城"):
            ok(
                "POST",
                "/offices",
                admin,
                {"agency_id": agency, "name": f"{city}办事处", "city": city},
            )
        ok(
            "POST",
            "/staff",
            admin,
            {"username": "liwen", "password": PASSWORD, "role": "staff", "agency_id": agency},
        )
        staff = login("liwen")
        factory = ok("POST", "/employers", staff, {"name": "申美电器", "city": "嘉兴"})
        workshop = ok(
            "POST",
            "/employers",
            staff,
            {"name": "巧手绣花点", "city": "盐城", "local_workshop": True},
        )
        today = clock.today().isoformat()
        sewing = [{"code": "sewing", "min_level": 2}]
        common = {"required_skills": sewing, "housing_provided": True, "start_date": today}
        ok(
            "POST",
            "/openings",
            staff,
            {
                "employer_id": factory["id"],
                "title": "平缝车工",
                "city": "嘉兴",
                "headcount": 3,
                "monthly_wage_min": 4800,
                "monthly_wage_max": 6000,
                **common,
            },
        )
        ok(
            "POST",
            "/openings",
            staff,
            {
                "employer_id": workshop["id"],
                "title": "绣花工",
                "city": "盐城",
                "county": "亭湖区",
                "headcount": 3,
                "monthly_wage_min": 3000,
                "monthly_wage_max": 4000,
                **common,
            },
        )
        people = [
            ("王秀英", {"id_number": _id_number(124)}, True, ["poor_household"]),
            ("李桂兰", {"sex": "female"}, True, ["military_spouse"]),
            ("张美华", {"id_number": _id_number(126)}, False, []),
            ("陈玉珍", {"sex": "female"}, False, ["left_behind"]),
            ("刘建国", {"id_number": _id_number(123)}, True, []),
            ("赵志强", {"sex": "male"}, False, []),
        ]
        ids = []
        for i, (name, sex, away, groups) in enumerate(people):
            body = {
                "name": name,
                "phone": f"1370000{i:04d}",
                "birth_date": "1991-03-08",
                "home_county": "亭湖区",
                "skills": [{"code": "sewing", "level": 4}],
                "priority_groups": groups,
                "willing_to_relocate": away,
                "preferred_cities": ["嘉兴"] if away else [],
                "needs_housing": True,
                "consent_matching": True,
                **sex,
            }
            ids.append(ok("POST", "/workers", staff, body)["id"])
        fair = ok(
            "POST",
            "/job-fairs",
            staff,
            {"name": "春风行动招聘会", "date": today, "place": "镇文化广场"},
        )
        for e in (factory, workshop):
            fair = ok("POST", f"/job-fairs/{fair['id']}/employers", staff, {"employer_id": e["id"]})
        ok(
            "PATCH",
            f"/job-fairs/{fair['id']}",
            staff,
            {"version": fair["version"], "attendees": 812, "consultations": 506},
        )
        run = ok("POST", "/match-runs", staff, {})
        for _ in range(600):
            if ok("GET", f"/match-runs/{run['id']}", staff)["status"] in ("done", "failed"):
                break
            import time

            time.sleep(0.1)
        placements = []
        for n, wid in enumerate(ids):
            offers = ok("GET", f"/workers/{wid}/offers", staff)["items"]
            live = [o for o in offers if o["status"] == "pending"]
            assert live, (wid, offers)
            ok("POST", f"/offers/{live[0]['id']}/accept", staff)
            body = {"job_fair_id": fair["id"]} if n < 4 else {}
            placements.append(
                ok("POST", f"/offers/{live[0]['id']}/confirm", staff, body)["placement_id"]
            )
        case = ok(
            "POST",
            "/cases",
            staff,
            {
                "placement_id": placements[0],
                "type": "wage_arrears",
                "summary": "加班费未结",
                "money_claimed": 2400,
            },
        )
        case = ok(
            "POST",
            f"/cases/{case['id']}/status",
            staff,
            {"version": case["version"], "status": "mediating", "note": "上门调解"},
        )
        case = ok(
            "POST", f"/cases/{case['id']}/recovered", staff, {"amount": 2400, "note": "厂方补发"}
        )
        ok(
            "POST",
            f"/cases/{case['id']}/status",
            staff,
            {
                "version": case["version"],
                "status": "resolved",
                "note": "补偿到位",
                "outcome": "upheld",
            },
        )
        course = ok(
            "POST",
            "/courses",
            staff,
            {
                "name": "绣花培训班",
                "kind": "skill",
                "fee": 300,
                "skill_code": "embroidery",
                "level": 2,
            },
        )
        session = ok(
            "POST",
            f"/courses/{course['id']}/sessions",
            staff,
            {"starts_on": today, "ends_on": today, "place": "镇培训中心", "capacity": 30},
        )
        for wid in ids[:3]:
            e = ok(
                "POST", f"/training-sessions/{session['id']}/enrolments", staff, {"worker_id": wid}
            )
            ok("POST", f"/enrolments/{e['id']}/complete", staff, {})
        year = clock.today().year
        ok("PUT", f"/labour-force/{year}", admin, {"agency_id": agency, "count": 8})
        return ok("GET", f"/reports/summary?from={year}-01-01&to={today}", staff)
    finally:
        c.close()


async def test_the_reports_page_reads_as_the_federations_report(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    figures = _world(site)
    assert figures["transferred"]["total"] == 6 and figures["transferred"]["women"] == 4
    async with async_playwright() as pw:
        browser = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium_path,
            headless=True,
            args=LAUNCH_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="zh-CN",
        )
        try:
            page = browser.pages[0] if browser.pages else await browser.new_page()
            page.set_default_timeout(20_000)
            await login(page, site, "liwen")
            await expect(page).to_have_url(re.compile(r"/dashboard$"))
            await page.click("nav.main >> text=报表")
            await expect(page.locator("h1")).to_have_text("报表")
            wan = f"{figures['labour_income_yuan']['total'] / 10000:,.2f}"
            headline = page.locator("section.headline p").first
            await expect(headline).to_have_text(
                "全镇已转移农村劳动力 6 人，占总劳动力的 75.0%，其中转移妇女劳动力 4 人，"
                f"占 66.7%，劳务收入 {wan} 万元。"
            )
            await expect(page.locator("section.headline")).to_contain_text(
                "举办招聘会 1 场，参会用人单位 2 家，入场 812 人次，咨询 506 人次，现场录用 4 人。"
            )
            await expect(page.locator("section.headline")).to_contain_text("调处率 100.0%")
            assert await page.locator("svg[role=img]").count() == 4
            outside = page.locator("script[src^='http'], link[href^='http'], img[src^='http']")
            assert await outside.count() == 0
            await shot(page, artifacts, "reports")
            # A period the wrong way round: marked beside the field, in Chinese.
            await page.fill("#f-from", f"{clock.today().year + 1}-01-01")
            await page.click("main form button[type=submit]")
            await expect(page.locator("#e-from")).to_have_text("晚于统计期的截止日期")
            await shot(page, artifacts, "reports-error")
        finally:
            await browser.close()
