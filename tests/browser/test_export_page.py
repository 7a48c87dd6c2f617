"""Her copy of her data in a real browser, in Chinese: from her worker page, staff open the
export, which holds her name, her full ID number and every section, and prints without the
console's navigation. Screenshots go to test-artifacts/ (on screen and as printed)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import PASSWORD, Site, chinese_page, login, shot

pytestmark = pytest.mark.browser

ID_NUMBER = "320612198706154327"  # GB 11643, a real province, its check digit right


def _register(site: Site) -> int:
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        body = {
            "name": "陈春梅",
            "phone": "13900000078",
            "birth_date": "1987-06-15",
            "home_county": "通州区",
            "id_number": ID_NUMBER,
            "skills": [{"code": "embroidery", "level": 4}],
            "priority_groups": ["left_behind"],
            "willing_to_relocate": False,
            "consent_matching": True,
        }
        r = c.post("/workers", headers=headers, json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


async def test_her_copy_reads_in_chinese_and_prints(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    worker_id = _register(site)
    # the page is plain HTML: it needs no JavaScript
    options = {"viewport": {"width": 1100, "height": 900}, "java_script_enabled": False}
    async with chinese_page(chromium_path, tmp_path / "profile", **options) as page:
        await login(page, site, "zhang")
        await page.goto(f"{site.base}/workers/{worker_id}")
        await page.click("#export")
        await expect(page).to_have_url(re.compile(rf"/workers/{worker_id}/export$"))
        await expect(page.locator("h1")).to_have_text("陈春梅的个人信息副本")
        main = page.locator("main")
        await expect(main).to_contain_text(ID_NUMBER)
        for heading in ("基本信息", "她的同意记录", "录用通知", "谁查阅过她的信息"):
            await expect(main.get_by_role("heading", name=heading)).to_be_visible()
        await expect(page.locator("#access")).to_contain_text("在工作台查看她的页面")
        await expect(page.locator("#profile")).to_contain_text("留守妇女")
        await shot(page, artifacts, "20-her-copy")
        await page.emulate_media(media="print")
        await expect(page.locator("nav.main")).to_be_hidden()
        await shot(page, artifacts, "21-her-copy-printed")
