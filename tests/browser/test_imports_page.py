"""The 导入 page in a real browser, in Chinese: a sheet with bad rows is refused with each row
named, then imported with the bad rows skipped and handed back as a workbook to download."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import httpx
import pytest
import python_calamine

from tests.browser.conftest import PASSWORD, Site, chinese_page, login, shot
from tests.integration.test_imports import worker_rows, xlsx

pytestmark = pytest.mark.browser


def _workers(site: Site) -> int:
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        token = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return int(c.get("/workers", headers=token).json()["total"])


async def test_a_clerk_imports_a_sheet_and_downloads_the_bad_rows(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    sheet = tmp_path / "名单.xlsx"
    sheet.write_bytes(xlsx(worker_rows(50, first_phone=13600000000)))
    before = _workers(site)
    async with chinese_page(chromium_path, tmp_path / "profile") as page:
        await login(page, site, "zhang")
        await expect(page).to_have_url(re.compile(r"/dashboard$"))
        await page.click("nav.main >> text=导入")
        await expect(page.locator("h1")).to_have_text("导入表格")
        await page.set_input_files("#f-file", str(sheet))
        await page.click("main form button[type=submit]")
        problem = page.locator("#import-problem")
        await expect(problem).to_contain_text("50 行中有 3 行不能导入，所以没有写入任何数据")
        rows = page.locator("#import-errors tbody tr")
        await expect(rows).to_have_count(3)
        await expect(rows.nth(0)).to_contain_text("手机号")
        await expect(rows.nth(1)).to_contain_text("校验位不正确")
        await expect(rows.nth(2)).to_contain_text("没有名为“烹饪”的技能")
        await shot(page, artifacts, "imports-refused")
        assert _workers(site) == before

        await page.set_input_files("#f-file", str(sheet))
        await page.check("input[name=skip_invalid]")
        await page.click("main form button[type=submit]")
        result = page.locator("#import-result")
        await expect(result).to_contain_text("已导入")
        await expect(result.locator(".stat").nth(1)).to_contain_text("47")
        link = page.locator("#errors-file")
        await expect(link).to_have_text("下载有错的行，改好后重新上传")
        await shot(page, artifacts, "imports-done")
        href = await link.get_attribute("href")
        assert href is not None and href.startswith("data:")
        book = python_calamine.CalamineWorkbook.from_filelike(
            io.BytesIO(base64.b64decode(href.split(",", 1)[1]))
        )
        bad = book.get_sheet_by_index(0).to_python()
        assert len(bad) == 4
        assert "没有名为“烹饪”的技能" in str(bad[3][-1])  # the reasons in the page's language
        assert _workers(site) == before + 47
