"""The fee schedule's page in Chromium (issue 11): staff publish a version, a bad row is shown
beside its field, the versions list newest first; and the console's date boxes read
year-month-day whatever the browser's own locale (Chromium's date box would show mm/dd/yyyy in
an English one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import Site, console_page, shot

pytestmark = pytest.mark.browser


async def test_staff_publish_a_fee_schedule(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import expect

    async with console_page(chromium_path, site, "zhang") as page:
        await page.click("nav.main a[href='/fee-schedule']")
        await expect(page.locator("h1")).to_contain_text("收费标准")
        await shot(page, artifacts, "fees-01-page")
        await page.fill("#f-amount_0", "300")
        await page.fill("#f-city_1", "苏州")
        await page.fill("#f-amount_1", "-1")
        await page.click("main form[method=post] button[type=submit]")
        await expect(page.locator("#e-amount_1")).to_be_visible()
        await expect(page.locator("#f-amount_1")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#f-amount_0")).to_have_value("300")  # kept
        await shot(page, artifacts, "fees-02-error")
        await page.fill("#f-amount_1", "450")
        await page.click("main form[method=post] button[type=submit]")
        await expect(page.locator(".flash")).to_be_visible()
        first = page.locator("section[id^=version-]").first
        await expect(first).to_contain_text("现行")
        await expect(first).to_contain_text("苏州")
        await expect(first).to_contain_text("zhang")
        await shot(page, artifacts, "fees-03-published")


async def test_date_boxes_read_year_month_day_in_an_english_browser(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import expect

    async with console_page(chromium_path, site, "zhang", locale="en-US") as page:
        await page.goto(f"{site.base}/workers/new")
        box = page.locator("#f-birth_date")
        await expect(box).to_have_attribute("type", "text")
        await expect(box).to_have_attribute("placeholder", "年-月-日")
        await expect(page.locator("#h-birth_date")).to_contain_text("2026-03-08")
        await box.fill("1992-03-04")
        await expect(box).to_have_value("1992-03-04")  # shown as typed, never 03/04/1992
        await shot(page, artifacts, "dates-01-english-browser")
