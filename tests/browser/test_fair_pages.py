"""The job fair's self-registration in a real browser, in Chinese: her page on a 360 × 740
phone without JavaScript (every field wrong, then right), the clerk's fair page with the QR
code and the queue, confirming her, and the poster for the stand."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import LAUNCH_ARGS, PASSWORD, Site, login, shot

pytestmark = pytest.mark.browser


def _fair(site: Site) -> int:
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
        body = {"name": "2027年春风行动招聘会", "date": "2027-02-20", "place": "镇文化广场"}
        r = c.post("/job-fairs", headers=staff, json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


async def test_her_registration_page_the_queue_and_the_poster(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    fair_id = _fair(site)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=LAUNCH_ARGS
        )
        try:
            desk = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="zh-CN"
            )
            clerk = await desk.new_page()
            clerk.set_default_timeout(20_000)
            await login(clerk, site, "zhang")
            await clerk.goto(f"{site.base}/fairs")
            await clerk.click(f"a[href='/fairs/{fair_id}']")
            await expect(clerk.locator("h1")).to_have_text("2027年春风行动招聘会")
            await expect(clerk.locator(".qr-box svg")).to_be_visible()
            link = (await clerk.locator("#register-link").inner_text()).strip()
            assert link.startswith(f"{site.base}/f/")

            phone = await browser.new_context(
                viewport={"width": 360, "height": 740},
                locale="zh-CN",
                is_mobile=True,
                java_script_enabled=False,
            )
            her = await phone.new_page()
            her.set_default_timeout(20_000)
            await her.goto(link)
            await expect(her.locator("h1")).to_have_text("招聘会现场登记")
            await expect(her.locator("input[name=consent]")).not_to_be_checked()
            width = await her.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"her page scrolls sideways at 360 px ({width} px)"
            await shot(her, artifacts, "fair-register-360")
            # everything wrong at once: nothing typed, a wrong phone, the box left unticked
            await her.fill("#f-phone", "12345")
            await her.click("button[type=submit]")
            for field in ("name", "phone", "birth_date", "home_county", "willing_to_relocate"):
                await expect(her.locator(f"#e-{field}")).to_be_visible()
            await expect(her.locator("#e-consent")).to_contain_text("请您亲自勾选同意")
            await shot(her, artifacts, "fair-register-360-errors")
            await her.fill("#f-name", "周秀兰")
            await her.fill("#f-phone", "13977003311")
            await her.fill("#f-birth", "1986-06-12")
            await her.fill("#f-county", "泗县")
            await her.select_option("#f-skill-sewing", "3")
            await her.check("input[name=willing_to_relocate][value=no]")
            await her.check("input[name=consent]")
            await her.click("button[type=submit]")
            await expect(her.locator(".status")).to_contain_text("您的登记已收到")
            await shot(her, artifacts, "fair-register-360-done")

            await clerk.reload()
            row = clerk.locator("#queue tbody tr", has_text="周秀兰")
            await expect(row).to_contain_text("+8613977003311")
            await shot(clerk, artifacts, "fair-console-queue")
            await row.locator("button", has_text="确认入库").click()
            await expect(clerk.locator(".flash")).to_contain_text("她已登记入库")
            await expect(clerk.locator("#queue")).to_have_count(0)
            await shot(clerk, artifacts, "fair-console-confirmed")

            await clerk.click("#poster-link")
            await expect(clerk.locator(".say")).to_contain_text("用手机扫一扫")
            await expect(clerk.locator(".qr svg")).to_be_visible()
            await shot(clerk, artifacts, "fair-poster")
            await clerk.emulate_media(media="print")
            await shot(clerk, artifacts, "fair-poster-print")
        finally:
            await browser.close()
