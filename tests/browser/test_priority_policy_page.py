"""The priority policy in a real browser, in Chinese: an admin reads which groups are placed
first, ticks one more and sees the change with her name; the registration form then shows each
group as placed first or recorded only. The policy is put back for the tests that follow."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import Site, console_page, shot

pytestmark = pytest.mark.browser


async def test_an_admin_changes_which_groups_are_placed_first(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import expect

    async with console_page(chromium_path, site, "root") as page:
        await page.goto(f"{site.base}/admin")
        await page.click("a[href='/admin/priority-policy']")
        await expect(page.locator("h1")).to_have_text("重点群体优先政策")
        left_behind = page.locator("input[name=groups][value=left_behind]")
        await expect(left_behind).not_to_be_checked()
        await shot(page, artifacts, "policy-01-defaults")
        await left_behind.check()
        await page.fill("#f-note", "县妇联决定留守妇女优先")
        await page.click("main form button[type=submit]")
        await expect(page.locator("#policy-changes tbody tr").first).to_contain_text("root")
        await expect(left_behind).to_be_checked()
        await shot(page, artifacts, "policy-02-changed")

        await page.goto(f"{site.base}/workers/new")
        label = page.locator("label.inline", has=page.locator("input[value=left_behind]"))
        await expect(label).to_contain_text("优先安排")
        laid_off = page.locator("label.inline", has=page.locator("input[value=laid_off]"))
        await expect(laid_off).to_contain_text("仅记录")
        await shot(page, artifacts, "policy-03-registration-form")

        await page.goto(f"{site.base}/admin/priority-policy")  # put the defaults back
        await page.locator("input[name=groups][value=left_behind]").uncheck()
        await page.click("main form button[type=submit]")
        await expect(page.locator("#policy-changes tbody tr")).to_have_count(2)
