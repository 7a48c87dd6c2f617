"""The daily loop in a real browser, in Chinese: staff register a worker (a bad phone first),
post an opening, run matching, read a proposal's reasons and accept on her behalf; the
employer sees only its candidates and confirms; the placement shows its follow-ups."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from matching.lib import clock
from tests.browser.conftest import LAUNCH_ARGS, PASSWORD, Site, login, shot

pytestmark = pytest.mark.browser

WORKER = "李秀兰"


async def _no_outside_assets(page: Any) -> None:
    """Every script and stylesheet comes from the app itself (offices may be offline)."""
    outside = page.locator("script[src^='http'], link[href^='http'], img[src^='http']")
    assert await outside.count() == 0


async def test_the_daily_loop(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

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

            # --- staff log in and land on the dashboard -----------------------------------
            await login(page, site, "zhang")
            await expect(page).to_have_url(re.compile(r"/dashboard$"))
            await expect(page.locator("h1")).to_have_text("工作台")
            await _no_outside_assets(page)
            await shot(page, artifacts, "01-dashboard")

            # --- register a worker: a bad phone first, the error beside the field ---------
            await page.goto(f"{site.base}/workers/new")
            await page.fill("#f-name", WORKER)
            await page.fill("#f-phone", "12345")
            await page.fill("#f-birth_date", "1992-03-04")
            await page.fill("#f-home_county", "通州区")
            await page.select_option("#f-skill_welding", "5")
            await page.check("input[name=willing_to_relocate]")
            await page.check("input[name=consent_matching]")  # she says yes; the clerk ticks it
            await page.fill("#f-preferred_cities", "上海")
            await page.click("main form button[type=submit]")
            error = page.locator("#e-phone")
            await expect(error).to_be_visible()
            await expect(error).to_contain_text("11位数字")
            await expect(page.locator("#f-phone")).to_have_attribute("aria-invalid", "true")
            await expect(page.locator("#f-name")).to_have_value(WORKER)  # what she typed stays
            await expect(page.locator("#f-skill_welding")).to_have_value("5")
            await shot(page, artifacts, "02-register-error")
            await page.fill("#f-phone", "13812340001")
            await page.click("main form button[type=submit]")
            await expect(page).to_have_url(re.compile(r"/workers/\d+"))
            await expect(page.locator("h1")).to_contain_text(WORKER)
            await expect(page.locator("main")).to_contain_text("电焊 5")
            await shot(page, artifacts, "03-worker-profile")

            await page.goto(f"{site.base}/workers?q=李")
            await expect(page.locator("#workers-table")).to_contain_text(WORKER)
            await shot(page, artifacts, "04-workers")

            # --- post an opening ---------------------------------------------------------
            await page.goto(f"{site.base}/openings/new")
            await page.select_option("#f-employer_id", str(site.ids["mine"]))
            await page.fill("#f-title", "电焊工")
            await page.fill("#f-city", "上海")
            await page.fill("#f-headcount", "1")
            await page.fill("#f-monthly_wage_min", "5000")
            await page.fill("#f-monthly_wage_max", "7000")
            start = (clock.today() + dt.timedelta(days=14)).isoformat()
            await page.fill("#f-start_date", start)
            await page.check("input[name=housing_provided]")
            await page.select_option("#f-skill_welding", "3")
            await page.click("main form button[type=submit]")
            await expect(page.locator(".flash")).to_have_text("岗位已发布。")
            await expect(page.locator("#openings")).to_contain_text("电焊工")
            await shot(page, artifacts, "05-openings")

            # --- run matching, read the reasons, accept on her behalf ---------------------
            await page.goto(f"{site.base}/runs")
            await page.click("#run-now")
            await expect(page).to_have_url(re.compile(r"/runs/\d+$"))
            # htmx polls the status and reloads the page when the run is done
            row = page.locator("#proposals tr", has_text=WORKER)
            await expect(row).to_be_visible(timeout=90_000)
            reasons = row.locator("ul.reasons li")
            assert await reasons.count() >= 3
            await expect(row.locator("ul.reasons")).to_contain_text("电焊5级")
            await expect(page.locator("#audit")).to_be_visible()
            await shot(page, artifacts, "06-match-run")
            await row.get_by_role("button", name="代她接受").click()
            await expect(page.locator(".flash")).to_have_text("已代她接受。")
            await expect(page.locator("#proposals tr", has_text=WORKER)).to_contain_text("已接受")

            await page.goto(f"{site.base}/offers?status=")
            await shot(page, artifacts, "07-offers")
            await page.click("header button[type=submit]")  # log out
            await expect(page).to_have_url(re.compile(r"/login$"))

            # --- the employer: only its candidates, no sensitive fields; confirm ----------
            await login(page, site, "hr1")
            await expect(page).to_have_url(re.compile(r"/employer$"))
            await expect(page.locator("#openings")).to_contain_text("电焊工")
            await expect(page.locator("#openings")).not_to_contain_text("绗缝工")
            await shot(page, artifacts, "08-employer-openings")
            await page.goto(f"{site.base}/employer/candidates")
            table = page.locator("#candidates")
            await expect(table).to_contain_text(WORKER)
            await expect(table).to_contain_text("电焊 5")
            await expect(table).not_to_contain_text("赵其他")
            body = await page.locator("main").inner_text()
            assert "通州区" not in body and "13812340001" not in body
            await shot(page, artifacts, "09-employer-candidates")
            await (
                table.locator("tr", has_text=WORKER).get_by_role("button", name="确认录用").click()
            )
            await expect(page.locator(".flash")).to_have_text("已确认录用，就业记录已建立。")

            # --- the placement shows its follow-ups ---------------------------------------
            await page.goto(f"{site.base}/placements")
            await page.locator("table a").first.click()
            await expect(page).to_have_url(re.compile(r"/placements/\d+$"))
            follow = page.locator("#followups tbody tr")
            await expect(follow).to_have_count(3)
            for day in ("第7天", "第30天", "第90天"):
                await expect(page.locator("#followups")).to_contain_text(day)
            await shot(page, artifacts, "10-placement")
            await page.click("header button[type=submit]")

            # --- staff again: follow-up calendar, cases board, the English switch ----------
            await login(page, site, "zhang")
            await page.goto(f"{site.base}/followups?start={start}")
            await expect(page.locator(".calendar")).to_contain_text(WORKER)
            await shot(page, artifacts, "11-followups")
            await page.goto(f"{site.base}/cases")
            await shot(page, artifacts, "12-cases")
            await page.goto(f"{site.base}/dashboard")
            await expect(page.locator(".charts")).to_contain_text("上海")  # placements by city
            await shot(page, artifacts, "13-dashboard")
            await page.click("#lang-switch")
            await expect(page.locator("h1")).to_have_text("Dashboard")
            await shot(page, artifacts, "14-dashboard-en")
            await page.click("#lang-switch")
            await expect(page.locator("h1")).to_have_text("工作台")
        except Exception:
            # keep what the browser showed when it failed, next to the screenshots
            await page.screenshot(path=str(artifacts / "failure.png"), full_page=True)
            (artifacts / "failure.html").write_text(await page.content())
            raise
        finally:
            await browser.close()


async def test_keyboard_reaches_the_login_form(
    site: Site, chromium_path: str, tmp_path: Path
) -> None:
    """Every field has a label, and Tab moves through the form in order."""
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=LAUNCH_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 800})  # a phone
            await page.goto(f"{site.base}/login")
            await expect(page.get_by_label("用户名")).to_be_focused()
            await page.keyboard.type("zhang")
            await page.keyboard.press("Tab")
            await expect(page.get_by_label("密码")).to_be_focused()
            await page.keyboard.type(PASSWORD)
            await page.keyboard.press("Enter")
            await expect(page).to_have_url(re.compile(r"/dashboard$"))
        finally:
            await browser.close()
