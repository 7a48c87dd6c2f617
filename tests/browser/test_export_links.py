"""The 导出 Excel links in a real browser, in Chinese: on the worker list filtered by a skill
the link downloads a workbook of exactly the filtered list; the openings, placements, cases
and 报表 pages carry the link too. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import httpx
import openpyxl
import pytest

from tests.browser.conftest import PASSWORD, Site, chinese_page, login, shot

pytestmark = pytest.mark.browser


def _total(site: Site, path: str) -> int:
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return int(c.get(path, headers=headers).json()["total"])


async def test_the_export_links_download_the_pages_list(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    async with chinese_page(chromium_path, tmp_path / "profile") as page:
        await login(page, site, "zhang")
        await page.goto(f"{site.base}/workers?skill=quilting")
        await shot(page, artifacts, "export-workers")
        async with page.expect_download() as info:
            await page.click("text=导出 Excel")
        download = await info.value
        saved = tmp_path / "workers.xlsx"
        await download.save_as(saved)
        rows = list(openpyxl.load_workbook(saved).worksheets[0].iter_rows(values_only=True))
        assert rows[0][:2] == ("编号", "姓名")
        assert len(rows) - 1 == _total(site, "/workers?skill=quilting") >= 1
        assert all("绗缝" in str(r[7]) for r in rows[1:])

        for path in ("/openings", "/placements", "/cases"):
            await page.goto(f"{site.base}{path}")
            link = page.locator("a", has_text="导出 Excel")
            assert await link.count() == 1, path
            await shot(page, artifacts, f"export-{path.strip('/')}")
        await page.goto(f"{site.base}/reports")
        await shot(page, artifacts, "export-reports")
        async with page.expect_download() as info:
            await page.click("text=导出 Excel")
        saved = tmp_path / "summary.xlsx"
        await (await info.value).save_as(saved)
        assert openpyxl.load_workbook(saved).sheetnames[0] == "汇总"
