"""The console's forms for what only the API did, in a real browser, in Chinese: she leaves a
training session (and a stale second withdrawal is refused beside her row), the admin edits an
employer (every bad field at once, then a stale form naming a colleague's change) and changes
an account's role and scope (an inconsistent one refused, then a keyboard-only save without
JavaScript), and staff withdraw an offer from a run's page (a blank reason refused). Each
page is photographed and audited by axe-core through ``shot``, at desk width and 360 px."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.lib import clock
from tests.browser.conftest import PASSWORD, Site, chinese_page, console_page, shot

pytestmark = pytest.mark.browser

HER = "罗春燕"
PHONE = {"viewport": {"width": 360, "height": 740}}


def _api(site: Site, user: str) -> tuple[httpx.Client, dict[str, str]]:
    c = httpx.Client(base_url=f"{site.base}/api/v1", timeout=30)
    r = c.post("/auth/token", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, {"Authorization": f"Bearer {r.json()['access_token']}"}


def _ok(c: httpx.Client, method: str, path: str, headers: dict[str, str], body: Any) -> Any:
    r = c.request(method, path, headers=headers, json=body)
    assert r.status_code < 300, r.text
    return r.json()


async def _fits(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


async def test_she_leaves_a_training_session(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import expect

    c, staff = _api(site, "zhang")
    with contextlib.closing(c):
        worker = {
            "name": HER,
            "phone": "13900000095",
            "birth_date": "1992-04-01",
            "home_county": "兴仁市",
            "consent_matching": True,
        }
        her = _ok(c, "POST", "/workers", staff, worker)
        course = {"name": "劳动权益课", "kind": "legal_rights", "fee": 0}
        course = _ok(c, "POST", "/courses", staff, course)
        today = clock.today().isoformat()
        session = {"starts_on": today, "ends_on": today, "place": "兴仁市就业局", "capacity": 30}
        ts = _ok(c, "POST", f"/courses/{course['id']}/sessions", staff, session)
        enrol = {"worker_id": her["id"]}
        e = _ok(c, "POST", f"/training-sessions/{ts['id']}/enrolments", staff, enrol)
        async with console_page(chromium_path, site, "zhang") as page:
            await page.goto(f"{site.base}/training/sessions/{ts['id']}")
            leave = page.get_by_role("button", name=f"为{HER}办理退出")
            await expect(leave).to_have_text("退出")
            await shot(page, artifacts, "h-j-01-session")
            await leave.click()
            await expect(page.locator(".flash")).to_have_text("已办理退出，名额已空出。")
            await expect(page.locator("#enrolments")).to_contain_text("已退出")
            await expect(leave).to_have_count(0)
            await shot(page, artifacts, "h-j-02-session-left")

            # enrolled again, the page read, then she leaves by the API: the page's button is stale
            _ok(c, "POST", f"/training-sessions/{ts['id']}/enrolments", staff, enrol)
            await page.goto(f"{site.base}/training/sessions/{ts['id']}")
            _ok(c, "POST", f"/enrolments/{e['id']}/withdraw", staff, {})
            await leave.click()
            error = page.locator(f"#e-withdraw-{e['id']}")
            await expect(error).to_have_text("她已退出这期培训，无需再次办理。")
            await expect(page.locator("main [role=alert]").first).to_have_text("未做任何更改。")
            await shot(page, artifacts, "h-j-03-session-left-twice")
        _ok(c, "POST", f"/training-sessions/{ts['id']}/enrolments", staff, enrol)  # both buttons
        async with console_page(chromium_path, site, "zhang", **PHONE) as page:
            await page.goto(f"{site.base}/training/sessions/{ts['id']}")
            await expect(page.get_by_role("button", name=f"为{HER}办理退出")).to_be_visible()
            await _fits(page)
            await shot(page, artifacts, "h-j-04-session-360")


async def test_the_admin_edits_an_employer_and_an_account(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    c, admin = _api(site, "root")
    with contextlib.closing(c):
        body = {
            "name": "永盛家纺",
            "city": "南通",
            "industry": "纺织",
            "agency_id": site.ids["agency"],
        }
        employer = _ok(c, "POST", "/employers", admin, body)
        other = _ok(c, "POST", "/agencies", admin, {"name": "安龙县就业局"})
        clerk = {"username": "liming", "password": PASSWORD, "role": "staff"}
        account = _ok(c, "POST", "/staff", admin, clerk | {"agency_id": site.ids["agency"]})

        async with console_page(chromium_path, site, "root") as page:
            await page.goto(f"{site.base}/admin")
            await page.get_by_role("link", name="修改永盛家纺").click()
            await expect(page.locator("h1")).to_have_text("修改用人单位: 永盛家纺")
            await shot(page, artifacts, "h-j-05-employer-edit")
            await page.fill("#f-name", "")
            await page.fill("#f-reputation", "101")
            await page.fill("#f-labour_protection", "-5")
            await page.click("main form button[type=submit]")
            await expect(page.locator("#e-name")).to_have_text("不能为空")
            await expect(page.locator("#e-reputation")).to_have_text("请填写 0 到 100 之间的整数")
            await expect(page.locator("#e-labour_protection")).to_have_text(
                "请填写 0 到 100 之间的整数"
            )
            await shot(page, artifacts, "h-j-06-employer-edit-errors")

            # a colleague moves it to 苏州 meanwhile: the form names the change, stores nothing
            await page.goto(f"{site.base}/employers/{employer['id']}/edit")
            patch = {"version": employer["version"], "city": "苏州"}
            _ok(c, "PATCH", f"/employers/{employer['id']}", admin, patch)
            await page.fill("#f-name", "永盛家纺（南通）")
            await page.check("input[name=local_workshop]")
            await page.click("main form button[type=submit]")
            await expect(page.locator("#stale")).to_contain_text("城市：南通 → 苏州")
            await expect(page.locator("#f-name")).to_have_value("永盛家纺（南通）")
            await shot(page, artifacts, "h-j-07-employer-edit-stale")
            # the field she left alone now holds the colleague's change: saving keeps both
            await expect(page.locator("#f-city")).to_have_value("苏州")
            await page.click("main form button[type=submit]")
            await expect(page).to_have_url(re.compile(r"/admin\?done=saved$"))
            got = c.get(f"/employers/{employer['id']}", headers=admin).json()
            assert (got["name"], got["city"], got["local_workshop"]) == (
                "永盛家纺（南通）",
                "苏州",
                True,
            )

            await page.get_by_role("link", name="修改 liming 的角色与范围").click()
            await expect(page.locator("h1")).to_have_text("修改账号的角色与范围: liming")
            await shot(page, artifacts, "h-j-08-account-edit")
            await page.select_option("#f-employer_id", label="永盛家纺（南通） · 苏州")
            await page.click("main form button[type=submit]")
            await expect(page.locator("#e-employer_id")).to_have_text(
                "只有用人单位账号属于用人单位"
            )
            await shot(page, artifacts, "h-j-09-account-edit-error")

        # without JavaScript, by keyboard: she moves to the other agency
        async with chinese_page(
            chromium_path, tmp_path / "nojs", java_script_enabled=False
        ) as page:
            await page.goto(f"{site.base}/login")
            await page.fill("#username", "root")
            await page.fill("#password", PASSWORD)
            await page.press("#password", "Enter")
            await page.goto(f"{site.base}/admin/accounts/{account['id']}/edit")
            await page.focus("#f-agency_id")
            await page.select_option("#f-agency_id", label="安龙县就业局")
            await page.keyboard.press("Tab")  # to the office
            await page.keyboard.press("Tab")  # to the employer
            await page.keyboard.press("Tab")  # to 保存
            assert await page.evaluate("document.activeElement.textContent") == "保存"
            await page.keyboard.press("Enter")
            await expect(page).to_have_url(re.compile(r"/admin\?done=saved$"))
            await shot(page, artifacts, "h-j-10-admin-saved-nojs")
        moved = [
            a
            for a in c.get("/staff?limit=200", headers=admin).json()["items"]
            if a["username"] == "liming"
        ]
        assert moved[0]["agency_id"] == other["id"]

        async with console_page(chromium_path, site, "root", **PHONE) as page:
            await page.goto(f"{site.base}/employers/{employer['id']}/edit")
            await _fits(page)
            await shot(page, artifacts, "h-j-11-employer-edit-360")
            await page.goto(f"{site.base}/admin/accounts/{account['id']}/edit")
            await _fits(page)
            await shot(page, artifacts, "h-j-12-account-edit-360")


async def test_staff_withdraw_an_offer_with_its_reason(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import expect

    c, staff = _api(site, "zhang")
    _, admin = _api(site, "root")
    with contextlib.closing(c):
        body = {
            "name": "鑫达钢构",
            "city": "南京",
            "industry": "钢结构",
            "agency_id": site.ids["agency"],
        }
        employer = _ok(c, "POST", "/employers", admin, body)
        start = (clock.today() + dt.timedelta(days=7)).isoformat()
        opening = {
            "employer_id": employer["id"],
            "title": "电焊工",
            "city": "南京",
            "required_skills": [{"code": "welding", "min_level": 4}],
            "headcount": 1,
            "monthly_wage_min": 6000,
            "monthly_wage_max": 7000,
            "housing_provided": True,
            "start_date": start,
        }
        _ok(c, "POST", "/openings", staff, opening)
        worker = {
            "name": "黄秋月",
            "phone": "13900000096",
            "birth_date": "1989-06-01",
            "home_county": "兴仁市",
            "skills": [{"code": "welding", "level": 5}],
            "willing_to_relocate": True,
            "consent_matching": True,
        }
        _ok(c, "POST", "/workers", staff, worker)
    async with console_page(chromium_path, site, "zhang") as page:
        await page.goto(f"{site.base}/runs")
        await page.click("#run-now")
        await expect(page).to_have_url(re.compile(r"/runs/\d+$"))
        run_url = page.url
        row = page.locator("#proposals tr", has_text="黄秋月")
        await expect(row).to_be_visible(timeout=90_000)
        link = row.get_by_role("link", name="撤回")
        href = await link.get_attribute("href")
        async with console_page(chromium_path, site, "zhang", **PHONE) as phone:
            await phone.goto(f"{site.base}{href}")
            await expect(phone.locator("#f-reason")).to_be_visible()
            await _fits(phone)
            await shot(phone, artifacts, "h-j-16-offer-withdraw-360")
        await link.click()
        await expect(page.locator("h1")).to_have_text("撤回录用通知: 黄秋月 · 电焊工")
        await shot(page, artifacts, "h-j-13-offer-withdraw")
        await page.click("main form button[type=submit]")
        await expect(page.locator("#e-reason")).to_have_text("不能为空")
        await shot(page, artifacts, "h-j-14-offer-withdraw-error")
        await page.fill("#f-reason", "用人单位暂停招聘")
        await page.click("main form button[type=submit]")
        await expect(page).to_have_url(re.compile(re.escape(run_url) + r"\?done=withdrawn$"))
        await expect(page.locator(".flash")).to_contain_text("撤回")
        await expect(page.locator("#proposals tr", has_text="黄秋月")).to_contain_text("已撤回")
        await shot(page, artifacts, "h-j-15-run-after-withdrawal")


async def test_staff_register_an_employer(site: Site, chromium_path: str, artifacts: Path) -> None:
    from playwright.async_api import expect

    async with console_page(chromium_path, site, "zhang") as page:
        await page.goto(f"{site.base}/openings")
        await page.get_by_role("link", name="登记用人单位").click()
        await expect(page.locator("h1")).to_have_text("登记用人单位")
        await page.fill("#f-city", "安顺")
        await page.click("main form button[type=submit]")
        await expect(page.locator("#e-name")).to_have_text("不能为空")
        await expect(page.locator("#f-city")).to_have_value("安顺")
        await shot(page, artifacts, "h-j-17-employer-new-error")
        await page.fill("#f-name", "安顺蜡染坊")
        await page.check("input[name=local_workshop]")
        await page.click("main form button[type=submit]")
        await expect(page).to_have_url(re.compile(r"/openings/new\?done=employer_registered"))
        await expect(page.locator(".flash")).to_contain_text("用人单位已登记在本机构名下")
        await expect(page.locator("#f-employer_id option:checked")).to_contain_text("安顺蜡染坊")
        await shot(page, artifacts, "h-j-18-opening-for-new-employer")
        # its agency's staff edit it too (not the scores, which are the admin's)
        employer_id = await page.locator("#f-employer_id").input_value()
        await page.goto(f"{site.base}/employers/{employer_id}/edit")
        await expect(page.locator("#f-reputation")).to_have_count(0)
        await page.fill("#f-industry", "蜡染")
        await shot(page, artifacts, "h-j-20-employer-edit-by-staff")
        await page.click("main form button[type=submit]")
        await expect(page).to_have_url(re.compile(r"/openings\?done=saved$"))
    async with console_page(chromium_path, site, "zhang", **PHONE) as page:
        await page.goto(f"{site.base}/employers/new")
        await _fits(page)
        await shot(page, artifacts, "h-j-19-employer-new-360")
