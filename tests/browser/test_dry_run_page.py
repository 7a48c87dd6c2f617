"""A dry run (试运行) in a real browser, in Chinese: the clerk ticks 试运行 and reads what the run
would propose, who was left out and why, and the fairness audit in sentences; nothing is
offered. Two new welders for one place, so the page has a proposal and a worker left out."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest

from matching.lib import clock
from tests.browser.conftest import PASSWORD, Site, console_page, shot

pytestmark = pytest.mark.browser


def _two_welders_one_place(site: Site) -> None:
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
        start = (clock.today() + dt.timedelta(days=12)).isoformat()
        opening = {
            "employer_id": site.ids["other"],
            "title": "电焊工（试运行）",
            "city": "苏州",
            "required_skills": [{"code": "welding", "min_level": 2}],
            "headcount": 1,
            "monthly_wage_min": 5000,
            "monthly_wage_max": 6500,
            "housing_provided": True,
            "start_date": start,
        }
        assert c.post("/openings", headers=staff, json=opening).status_code == 201
        for name, phone in (("孙试一", "13900000771"), ("周试二", "13900000772")):
            worker = {
                "name": name,
                "phone": phone,
                "birth_date": "1990-03-03",
                "home_county": "通州区",
                "skills": [{"code": "welding", "level": 3}],
                "willing_to_relocate": True,
                "consent_matching": True,
            }
            r = c.post("/workers", headers=staff, json=worker)
            assert r.status_code == 201, r.text


async def test_a_dry_run_shows_what_it_would_propose(
    site: Site, chromium_path: str, artifacts: Path
) -> None:
    from playwright.async_api import expect

    _two_welders_one_place(site)
    async with console_page(chromium_path, site, "zhang") as page:
        await page.goto(f"{site.base}/runs")
        await page.check("#dry_run")
        await page.click("#run-now")
        await expect(page).to_have_url(re.compile(r"/runs/\d+$"))
        row = page.locator("#proposals tr", has_text="电焊工（试运行）")
        await expect(row).to_be_visible(timeout=90_000)
        await expect(row).to_contain_text("未发通知（试运行）")
        await expect(page.locator("#left-out")).to_contain_text("周试二")
        await expect(page.locator("#audit-sentences li").first).to_contain_text("符合")
        await expect(page.locator("main")).not_to_contain_text("本次没有推荐")
        await shot(page, artifacts, "dry-run")
