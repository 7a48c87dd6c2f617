"""Erasure from the console in a real browser, in Chinese: from her page to the confirm step,
a reason that names her refused beside the field, then the erasure, and her page gone."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import PASSWORD, Site, console_page, shot

pytestmark = pytest.mark.browser

NAME = "孙淑芬"


def _register(site: Site) -> int:
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        body = {
            "name": NAME,
            "phone": "13900000077",
            "birth_date": "1985-06-01",
            "home_county": "通州区",
            "skills": [{"code": "sewing", "level": 3}],
            "willing_to_relocate": True,
            "consent_matching": True,
        }
        r = c.post("/workers", headers=headers, json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


async def test_staff_erase_a_worker_after_a_confirm_step(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import expect

    worker_id = _register(site)
    async with console_page(chromium_path, site, "zhang") as page:
        try:
            await expect(page).to_have_url(re.compile(r"/dashboard$"))
            await page.goto(f"{site.base}/workers/{worker_id}")
            await page.click("text=删除她的个人信息")
            await expect(page).to_have_url(re.compile(rf"/workers/{worker_id}/erase$"))
            await expect(page.locator("h1")).to_contain_text("删除她的个人信息")
            await expect(page.locator("main")).to_contain_text("删除后无法恢复")
            # a reason naming her is refused beside the field, and she is still there
            await page.fill("#reason", f"{NAME}本人要求删除")
            await page.click("main form button[type=submit]")
            error = page.locator("#e-reason")
            await expect(error).to_contain_text("不能写她的姓名")
            await expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
            await shot(page, artifacts, "15-erase-confirm")
            await page.fill("#reason", "本人书面申请删除个人信息")
            await page.click("main form button[type=submit]")
            await expect(page).to_have_url(re.compile(r"/workers\?done=erased$"))
            await expect(page.locator(".flash")).to_contain_text("她的个人信息已删除")
            await expect(page.locator("main")).not_to_contain_text(NAME)
            await shot(page, artifacts, "16-erased")
            response = await page.goto(f"{site.base}/workers/{worker_id}")
            assert response is not None and response.status == 404
        except Exception:
            await page.screenshot(path=str(artifacts / "failure-erase.png"), full_page=True)
            raise
