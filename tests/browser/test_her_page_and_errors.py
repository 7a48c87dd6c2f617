"""Her offer page on a 360 × 740 phone, and the console's errors, in a real browser in Chinese
(issue 11, items 3–5): the answer buttons above the fold, reasons in plain words, the office's
phone as a tel: link on every state; the worker and opening forms with every error beside its
field; an error page with a way back."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.lib import clock
from tests.browser.conftest import LAUNCH_ARGS, PASSWORD, Site, console_page, shot

pytestmark = pytest.mark.browser

OFFICE_PHONE = "0512-57001234"


def _her_link(site: Site) -> str:
    """Through the API: an office in 昆山 with a phone, a worker and an opening there, a run;
    her notice carries her link."""
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "root", "password": PASSWORD})
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        agency = site.ids["agency"]
        office = {"agency_id": agency, "name": "昆山办事处", "city": "昆山", "phone": OFFICE_PHONE}
        assert c.post("/offices", headers=admin, json=office).status_code == 201
        worker = {
            "name": "周小梅",
            "phone": "13977002882",
            "birth_date": "1990-05-06",
            "home_county": "泗县",
            "skills": [{"code": "sewing", "level": 3}],
            "willing_to_relocate": True,
            "preferred_cities": ["昆山"],
            "min_monthly_wage": 4000,
            "needs_housing": True,
            "consent_matching": True,
            "agency_id": agency,
        }
        r = c.post("/workers", headers=admin, json=worker)
        assert r.status_code == 201, r.text
        her = r.json()["id"]
        start = (clock.today() + dt.timedelta(days=12)).isoformat()
        opening = {
            "employer_id": site.ids["mine"],
            "title": "平缝车工",
            "city": "昆山",
            "required_skills": [{"code": "sewing", "min_level": 2}],
            "headcount": 1,
            "monthly_wage_min": 4500,
            "monthly_wage_max": 6000,
            "housing_provided": True,
            "start_date": start,
        }
        assert c.post("/openings", headers=admin, json=opening).status_code == 201
        r = c.post("/match-runs", headers=admin, json={})
        assert r.status_code < 300, r.text
        run = r.json()
        deadline = time.monotonic() + 60
        while run["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.3)
            run = c.get(f"/match-runs/{run['id']}", headers=admin).json()
        assert run["status"] == "done", run
        notices = c.get("/notices", headers=admin, params={"limit": 100}).json()["items"]
        link = next(
            n["link"] for n in notices if n["worker_id"] == her and n["kind"] == "offer_made"
        )
        return "/" + link.split("/", 3)[3]


async def _tel(page: Any) -> None:
    tel = page.locator("a[href^='tel:']")
    assert await tel.count() == 1, await page.content()
    assert await tel.get_attribute("href") == "tel:051257001234"


async def test_her_page_at_360(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    path = _her_link(site)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=LAUNCH_ARGS
        )
        try:
            phone = await browser.new_context(
                viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True
            )
            page = await phone.new_page()
            page.set_default_timeout(20_000)
            await page.goto(site.base + path)
            await expect(page.locator("h1")).to_have_text("平缝车工")
            text = await page.locator("main").inner_text()
            assert "匹配质量" not in text and "满分" not in text
            assert "您的最低要求" in text and "包住宿" in text
            for button in ("button.yes", "button.no"):
                box = await page.locator(button).bounding_box()
                assert box is not None and box["y"] + box["height"] <= 740, (button, box)
            await _tel(page)
            await page.screenshot(path=str(artifacts / "her-offer-360-fold.png"))
            await shot(page, artifacts, "her-offer-360")
            await page.click("button.no")
            await expect(page.locator(".status")).to_contain_text("谢绝")
            await _tel(page)
            await shot(page, artifacts, "her-offer-360-declined")
            await page.goto(site.base + path + "/accept")  # a GET where a form posts
            await shot(page, artifacts, "her-error-405-360")
            await page.goto(f"{site.base}/o/neverissued1234")
            await expect(page.locator("h1")).to_contain_text("链接")
            await shot(page, artifacts, "her-gone-360")
        finally:
            await browser.close()


async def test_forms_show_every_error_and_errors_are_pages(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    async with console_page(chromium_path, site, "zhang") as page:
        await page.goto(f"{site.base}/workers/new")
        await page.fill("#f-phone", "12345")
        await page.fill("#f-birth_date", "1992-03-04")
        await page.fill("#f-home_county", "通州区")
        await page.fill("#f-id_number", "32061219920304123")
        await page.fill("#f-min_monthly_wage", "-5")
        await page.evaluate(
            "document.querySelectorAll('[required],[min]').forEach(e => {"
            "e.removeAttribute('required'); e.removeAttribute('min')})"
        )
        await page.click("main button[type=submit]")
        for field in ("name", "phone", "id_number", "min_monthly_wage"):
            await expect(page.locator(f"#e-{field}")).to_be_visible()
        await expect(page.locator("#e-phone")).to_contain_text("11位数字")
        await shot(page, artifacts, "errors-worker-form")

        await page.goto(f"{site.base}/openings/new")
        await page.fill("#f-title", "车工")
        await page.fill("#f-city", "上海")
        await page.fill("#f-headcount", "0")
        await page.fill("#f-monthly_wage_min", "6000")
        await page.fill("#f-monthly_wage_max", "5000")
        await page.fill("#f-start_date", (clock.today() - dt.timedelta(days=3)).isoformat())
        await page.evaluate(
            "document.querySelectorAll('[required],[min]').forEach(e => {"
            "e.removeAttribute('required'); e.removeAttribute('min')})"
        )
        await page.click("main button[type=submit]")
        for field in ("headcount", "monthly_wage_min", "start_date"):
            await expect(page.locator(f"#e-{field}")).to_be_visible()
        await shot(page, artifacts, "errors-opening-form")

        await page.goto(f"{site.base}/workers/999999")
        await expect(page.locator("main")).to_contain_text("没有编号为 999999 的劳动者")
        await shot(page, artifacts, "errors-404-page")
        await page.goto(f"{site.base}/no/such/page")
        await expect(page.locator("main a[href='/']")).to_be_visible()
        await shot(page, artifacts, "errors-unknown-page")
