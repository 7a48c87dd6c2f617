"""Job fairs and the labour force in a real browser, in Chinese: a clerk holds a fair from the
list (every field wrong first, then right), records its attendees and consultations, is told
what changed when someone else recorded them first, and lists an attending employer chosen by
name; the same fair's page on a 360 px phone without JavaScript, driven by the keyboard; and
an admin holds a fair for an agency chosen by name, then records a township's labour force
(wrong, then right). Each page is photographed and audited by axe-core through ``shot``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import PASSWORD, Site, chinese_page, console_page, login, shot

pytestmark = pytest.mark.browser

FAIR = "2027年就业援助月专场招聘会"


def _counts_by_api(site: Site, fair_id: int, attendees: int) -> None:
    """Another clerk records the attendees meanwhile, through the API."""
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
        version = c.get(f"/job-fairs/{fair_id}", headers=staff).json()["version"]
        body = {"version": version, "attendees": attendees}
        r = c.patch(f"/job-fairs/{fair_id}", headers=staff, json=body)
        assert r.status_code == 200, r.text


async def test_a_clerk_holds_counts_and_fills_a_fair(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with console_page(chromium_path, site, "zhang") as page:
        await page.click("nav.main a[href='/fairs']")
        await expect(page.locator("h1")).to_have_text("招聘会")
        await expect(page.locator("#new-fair h2")).to_have_text("举办招聘会")
        await expect(page.locator("#new-fair")).to_contain_text("由本中介公司（兴义劳务）主办")
        await shot(page, artifacts, "fair-console-01-list")

        form = page.locator("#new-fair")
        await page.fill("#f-date", "2027-2-30")
        await form.get_by_role("button", name="设立招聘会").click()
        for field in ("name", "date", "place"):
            await expect(page.locator(f"#e-{field}")).to_be_visible()
            await expect(page.locator(f"#f-{field}")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#f-date")).to_have_value("2027-2-30")  # kept as typed
        await shot(page, artifacts, "fair-console-02-hold-errors")

        await page.fill("#f-name", FAIR)
        await page.fill("#f-date", "2027-01-18")
        await page.fill("#f-place", "兴义市人力资源市场")
        await form.get_by_role("button", name="设立招聘会").click()
        await expect(page).to_have_url(re.compile(r"/fairs/\d+\?done=fair_created$"))
        fair_id = int(re.findall(r"/fairs/(\d+)", page.url)[0])
        await expect(page.locator("h1")).to_have_text(FAIR)
        await expect(page.locator(".flash")).to_contain_text("招聘会已设立")
        await shot(page, artifacts, "fair-console-03-held")

        await page.fill("#f-attendees", "-5")
        await page.fill("#f-consultations", "许多")
        await page.get_by_role("button", name="保存数字").click()
        await expect(page.locator("#e-attendees")).to_be_visible()
        await expect(page.locator("#e-consultations")).to_be_visible()
        await shot(page, artifacts, "fair-console-04-count-errors")
        await page.fill("#f-attendees", "860")
        await page.fill("#f-consultations", "215")
        await page.get_by_role("button", name="保存数字").click()
        await expect(page.locator(".flash")).to_contain_text("招聘会的数字已保存")
        stats = page.locator(".stats")
        await expect(stats).to_contain_text("860")
        await expect(stats).to_contain_text("215")
        await shot(page, artifacts, "fair-console-05-counted")

        # someone else records the attendees after this page was opened
        _counts_by_api(site, fair_id, 900)
        await page.fill("#f-attendees", "880")
        await page.get_by_role("button", name="保存数字").click()
        await expect(page.locator("#stale")).to_contain_text("参会人数：860 → 900")
        await expect(page.locator("#f-attendees")).to_have_value("880")  # what she typed
        await shot(page, artifacts, "fair-console-06-stale")
        await page.get_by_role("button", name="保存数字").click()  # checked, saved again
        await expect(page.locator(".flash")).to_contain_text("招聘会的数字已保存")
        await expect(stats).to_contain_text("880")

        await page.get_by_role("button", name="登记参会").click()  # nothing chosen
        await expect(page.locator("#e-employer_id")).to_have_text("请选择其中一项")
        await shot(page, artifacts, "fair-console-07-employer-error")
        await page.select_option("#f-employer_id", label="宏达电子 · 上海")
        await page.get_by_role("button", name="登记参会").click()
        await expect(page.locator(".flash")).to_contain_text("该单位已登记参会")
        await expect(page.locator("#employers li")).to_have_text(["宏达电子 · 上海"])
        await expect(page.locator("#f-employer_id option", has_text="宏达电子")).to_have_count(0)
        await shot(page, artifacts, "fair-console-08-employer")

        await page.click("nav.main a[href='/fairs']")
        row = page.locator("#fairs tbody tr", has_text=FAIR)
        await expect(row).to_contain_text("兴义劳务")
        await expect(row).to_contain_text("2027-01-18")
        await shot(page, artifacts, "fair-console-09-listed")

    # the fair's page on a phone without JavaScript, its counts form by the keyboard alone
    phone = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}
    async with chinese_page(
        chromium_path, tmp_path / "phone", java_script_enabled=False, **phone
    ) as page:
        await login(page, site, "zhang")
        await page.goto(f"{site.base}/fairs")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the fairs list scrolls sideways at 360 px ({width} px)"
        await shot(page, artifacts, "fair-console-10-list-360")
        await page.goto(f"{site.base}/fairs/{fair_id}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the fair's page scrolls sideways at 360 px ({width} px)"
        await page.focus("#f-attendees")
        await page.keyboard.press("Control+A")
        await page.keyboard.type("910")
        await page.keyboard.press("Tab")
        await expect(page.locator("#f-consultations")).to_be_focused()
        await page.keyboard.press("Control+A")
        await page.keyboard.type("240")
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name="保存数字")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.locator(".flash")).to_contain_text("招聘会的数字已保存")
        await expect(page.locator(".stats")).to_contain_text("910")
        await shot(page, artifacts, "fair-console-11-page-360")


async def test_the_admin_holds_a_fair_and_records_a_labour_force(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import expect

    async with console_page(chromium_path, site, "root") as page:
        # an admin holds a fair for the agency chosen by name (or for the federation)
        await page.click("nav.main a[href='/fairs']")
        await page.select_option("#f-agency_id", label="兴义劳务")
        await page.fill("#f-name", "2027年秋季招聘会")
        await page.fill("#f-date", "2027-09-31")
        await page.fill("#f-place", "县体育馆")
        await page.locator("#new-fair").get_by_role("button", name="设立招聘会").click()
        await expect(page.locator("#e-date")).to_be_visible()
        await expect(page.locator("#f-agency_id")).to_have_value(str(site.ids["agency"]))
        await shot(page, artifacts, "fair-console-12-admin-error")
        await page.fill("#f-date", "2027-09-30")
        await page.locator("#new-fair").get_by_role("button", name="设立招聘会").click()
        await expect(page.locator("h1")).to_have_text("2027年秋季招聘会")
        await page.click("nav.main a[href='/fairs']")
        row = page.locator("#fairs tbody tr", has_text="2027年秋季招聘会")
        await expect(row).to_contain_text("兴义劳务")

        await page.goto(f"{site.base}/admin")
        await page.get_by_role("link", name=re.compile("各中介公司所在乡镇的总劳动力")).click()
        await expect(page.locator("h1")).to_have_text("各中介公司所在乡镇的总劳动力")
        row = page.locator("#labour-force tbody tr", has_text="兴义劳务")
        await expect(row).to_contain_text("未登记")
        await shot(page, artifacts, "labour-force-01-page")

        await row.get_by_role("link").click()  # starts the form with this agency
        await expect(page.locator("#f-agency_id")).to_have_value(str(site.ids["agency"]))
        await page.fill("#f-year", "1999")
        await page.fill("#f-count", "-300")
        await page.locator("#set").get_by_role("button", name="保存").click()
        await expect(page.locator("#e-year")).to_contain_text("2000")
        await expect(page.locator("#e-count")).to_be_visible()
        await expect(page.locator("#f-count")).to_have_attribute("aria-invalid", "true")
        await shot(page, artifacts, "labour-force-02-errors")

        await page.fill("#f-year", "2026")
        await page.fill("#f-count", "86500")
        await page.locator("#set").get_by_role("button", name="保存").click()
        await expect(page).to_have_url(re.compile(r"year=2026&done=labour_force_saved$"))
        await expect(page.locator(".flash")).to_contain_text("总劳动力已登记")
        row = page.locator("#labour-force tbody tr", has_text="兴义劳务")
        await expect(row).to_contain_text("86,500")
        await shot(page, artifacts, "labour-force-03-saved")
