"""Her consent, the password change and the admin's account actions in a real browser, in
Chinese, at a desk's width and a phone's: a clerk records a withdrawal, a clerk changes her
password, an admin resets another's and hands a new employer to an agency."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import LAUNCH_ARGS, PASSWORD, Site, login, shot

pytestmark = pytest.mark.browser


def _api(site: Site) -> tuple[httpx.Client, dict[str, str]]:
    c = httpx.Client(base_url=f"{site.base}/api/v1", timeout=30)
    r = c.post("/auth/token", json={"username": "root", "password": PASSWORD})
    r.raise_for_status()
    return c, {"Authorization": f"Bearer {r.json()['access_token']}"}


def _clerk_and_worker(site: Site) -> tuple[str, int]:
    c, admin = _api(site)
    try:
        user = "wang"
        body = {"username": user, "password": PASSWORD, "role": "staff"}
        r = c.post("/staff", headers=admin, json=body | {"agency_id": site.ids["agency"]})
        assert r.status_code == 201 or "taken" in r.text, r.text
        r = c.post("/auth/token", json={"username": user, "password": PASSWORD})
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
        worker = {
            "name": "陈桂芳",
            "phone": "13977001771",
            "birth_date": "1984-09-09",
            "home_county": "泗县",
            "skills": [{"code": "sewing", "level": 3}],
            "priority_groups": ["poor_household"],
            "consent_matching": True,
        }
        r = c.post("/workers", headers=staff, json=worker)
        assert r.status_code == 201, r.text
        return user, int(r.json()["id"])
    finally:
        c.close()


async def test_consent_password_and_accounts_pages(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    user, worker_id = _clerk_and_worker(site)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=LAUNCH_ARGS
        )
        try:
            desk = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="zh-CN"
            )
            page = await desk.new_page()
            page.set_default_timeout(20_000)
            await login(page, site, user)
            await page.goto(f"{site.base}/workers/{worker_id}#consent")
            await expect(page.locator("#consent")).to_have_text("她的同意")
            await shot(page, artifacts, "rights-worker-consent")
            # she phoned to say she no longer wants to be matched
            form = page.locator("form.consent").first
            await form.locator("select[name=channel]").select_option("sms")
            await form.locator("button").click()
            await expect(page.locator(".flash")).to_contain_text("已登记她撤回同意")
            await expect(page.locator("#consents tbody tr").first).to_contain_text("撤回同意")
            await shot(page, artifacts, "rights-consent-withdrawn")

            # her own password, from the link in the header
            await page.click("#password-link")
            await expect(page.locator("h1")).to_have_text("修改密码")
            await page.fill("#current_password", PASSWORD)
            await page.fill("#new_password", "password123")  # long enough for the browser
            await page.fill("#repeat_password", "password123")
            await page.click("main button[type=submit]")
            await expect(page.locator("#e-new_password")).to_contain_text("最常见的密码")
            await shot(page, artifacts, "rights-password-error")

            phone = await browser.new_context(
                viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True
            )
            small = await phone.new_page()
            await login(small, site, user)
            await small.goto(f"{site.base}/workers/{worker_id}#consent")
            await shot(small, artifacts, "rights-consent-360")
            await small.goto(f"{site.base}/password")
            await shot(small, artifacts, "rights-password-360")

            # the admin resets the clerk's password and hands a new employer to the agency
            admin = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="zh-CN"
            )
            a = await admin.new_page()
            await login(a, site, "root")
            await a.goto(f"{site.base}/admin")
            row = a.locator("tr", has_text=user)
            await row.locator("button", has_text="重置密码").click()
            await expect(a.locator("#one-time-password")).to_contain_text("只显示这一次")
            one_time = (await a.locator("#one-time-password code").inner_text()).strip()
            await shot(a, artifacts, "rights-admin-reset")
            await a.fill("#emp-name", "昆山绣品厂")
            await a.fill("#emp-city", "昆山")
            await a.select_option("#emp-agency", label="兴义劳务")
            await a.click("form[action='/admin/employers'] button")
            await expect(a.locator(".flash")).to_contain_text("已保存")

            # the clerk's sessions ended; with the one-time password she must choose her own
            await page.goto(f"{site.base}/dashboard")
            await expect(page).to_have_url(re.compile(r"/login"))
            await login(page, site, user, one_time)
            await expect(page.locator("#password-notice")).to_contain_text("请先设置新密码")
            await page.screenshot(path=str(artifacts / "rights-password-after-reset.png"))
            await page.fill("#current_password", one_time)
            await page.fill("#new_password", "门前的桂花今年开了两回")
            await page.fill("#repeat_password", "门前的桂花今年开了两回")
            await page.click("main button[type=submit]")
            await expect(page.locator(".flash")).to_contain_text("密码已修改")
        finally:
            await browser.close()
