"""Editing in a real browser, in Chinese: a worker's record (and the stale form that names
what a colleague changed meanwhile), and an opening's page with its edit form. Screenshots of
each, at desk width and 360 px."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from matching.lib import clock
from tests.browser.conftest import PASSWORD, Site, chinese_page, login, shot

pytestmark = pytest.mark.browser


async def test_editing_a_worker_and_an_opening(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with httpx.AsyncClient(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = await c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
        # its own opening: the test needs no other test's data (each xdist worker has its
        # own site, and the other browser tests may run on another)
        r = await c.post(
            "/openings",
            headers=staff,
            json={
                "employer_id": site.ids["mine"],
                "title": "锁边工",
                "city": "上海",
                "required_skills": [{"code": "sewing", "min_level": 2}],
                "headcount": 2,
                "monthly_wage_min": 4200,
                "monthly_wage_max": 5200,
                "housing_provided": True,
                "start_date": clock.today().isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        her = (
            await c.post(
                "/workers",
                headers=staff,
                json={
                    "name": "吴春花",
                    "phone": "13900000072",
                    "birth_date": "1991-03-08",
                    "home_county": "通州区",
                    "skills": [{"code": "embroidery", "level": 3}],
                    "willing_to_relocate": False,
                    "consent_matching": True,
                },
            )
        ).json()
        async with chinese_page(chromium_path, tmp_path / "profile") as page:
            await login(page, site, "zhang")
            await page.goto(f"{site.base}/workers/{her['id']}")
            await page.click("#edit")
            await expect(page.locator("h1")).to_contain_text("修改她的信息")
            await page.fill("#f-name", "吴春华")
            await page.select_option("#f-skill_embroidery", "4")
            await shot(page, artifacts, "h7-09-worker-edit")
            # meanwhile a colleague changes her home county
            r = await c.patch(
                f"/workers/{her['id']}",
                headers=staff,
                json={"version": her["version"], "home_county": "如东县"},
            )
            assert r.status_code == 200, r.text
            await page.click("main form button[type=submit]")
            await expect(page.locator("#stale")).to_contain_text("户籍县区：通州区 → 如东县")
            await expect(page.locator("#f-name")).to_have_value("吴春华")
            await shot(page, artifacts, "h7-10-worker-edit-stale")
            await page.click("main form button[type=submit]")  # saved, knowingly, again
            await expect(page).to_have_url(re.compile(rf"/workers/{her['id']}\?done=saved$"))
            await expect(page.locator("h1")).to_contain_text("吴春华")

            await page.goto(f"{site.base}/openings?status=")
            await page.locator("#openings a", has_text="锁边工").first.click()
            await expect(page).to_have_url(re.compile(r"/openings/\d+$"))
            await expect(page.locator("h1")).to_contain_text("锁边工")
            await shot(page, artifacts, "h7-11-opening")
            await page.click("#edit")
            await page.fill("#f-headcount", "0")
            await page.click("main form button[type=submit]")
            await expect(page.locator("#e-headcount")).to_be_visible()
            await shot(page, artifacts, "h7-12-opening-edit-error")
            # the outbox: no webhook here, so notices are logged; show every status
            await page.goto(f"{site.base}/notices?status=")
            await expect(page.locator("#notices")).to_be_visible()
            await shot(page, artifacts, "h7-14-notices")
        async with chinese_page(
            chromium_path, tmp_path / "phone", viewport={"width": 360, "height": 740}
        ) as page:
            await login(page, site, "zhang")
            await page.goto(f"{site.base}/workers/{her['id']}/edit")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, width
            await shot(page, artifacts, "h7-13-worker-edit-360")
