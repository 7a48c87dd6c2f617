"""Her check-in page (``/c/{code}``) on a 360 × 740 phone in Chinese, audited by axe-core, with
her office's phone as a tel: link; and the page a link that was never issued reaches, which
still tells her whom to call (issue 11)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from matching.lib import clock
from tests.browser.conftest import PASSWORD, Site, chinese_page, shot

pytestmark = pytest.mark.browser

PHONE = "0512-58001234"  # 张家港办事处: a place no other browser test uses


def _placed(site: Site) -> tuple[int, int]:
    """Through the API: an office in 张家港 with a phone, a worker and an opening there, a run;
    her offer accepted and confirmed. Returns her id and the placement's."""
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "root", "password": PASSWORD})
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        agency = site.ids["agency"]
        office = {"agency_id": agency, "name": "张家港办事处", "city": "张家港", "phone": PHONE}
        assert c.post("/offices", headers=admin, json=office).status_code == 201
        worker = {
            "name": "吴春燕",
            "phone": "13977003993",
            "birth_date": "1989-04-05",
            "home_county": "泗县",
            "skills": [{"code": "embroidery", "level": 4}],
            "willing_to_relocate": True,
            "preferred_cities": ["张家港"],
            "min_monthly_wage": 4000,
            "consent_matching": True,
            "agency_id": agency,
        }
        r = c.post("/workers", headers=admin, json=worker)
        assert r.status_code == 201, r.text
        her = r.json()["id"]
        opening = {
            "employer_id": site.ids["mine"],
            "title": "绣花工",
            "city": "张家港",
            "required_skills": [{"code": "embroidery", "min_level": 3}],
            "headcount": 1,
            "monthly_wage_min": 4500,
            "monthly_wage_max": 6000,
            "housing_provided": False,
            "start_date": (clock.today() + dt.timedelta(days=10)).isoformat(),
        }
        r = c.post("/openings", headers=admin, json=opening)
        assert r.status_code == 201, r.text
        opening_id = r.json()["id"]
        r = c.post("/match-runs", headers=admin, json={})
        assert r.status_code < 300, r.text
        run = r.json()
        deadline = time.monotonic() + 60
        while run["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.3)
            run = c.get(f"/match-runs/{run['id']}", headers=admin).json()
        assert run["status"] == "done", run
        offers = c.get(f"/workers/{her}/offers", headers=admin).json()["items"]
        offer = next(o["id"] for o in offers if o["opening_id"] == opening_id)
        assert c.post(f"/offers/{offer}/accept", headers=admin).status_code == 200
        r = c.post(f"/offers/{offer}/confirm", headers=admin)
        assert r.status_code == 200, r.text
        return her, int(r.json()["placement_id"])


async def _checkin_link(site: Site, worker_id: int, placement_id: int) -> str:
    """Her first follow-up's link, as the day-7 job writes it (the job runs days from now)."""
    from matching.db import models as m
    from matching.db.engine import create_engine

    engine = create_engine(site.database_url)
    code = secrets.token_urlsafe(12)
    try:
        async with engine.begin() as conn:
            follow_up = (
                await conn.execute(
                    select(m.FollowUp.id).where(
                        m.FollowUp.placement_id == placement_id, m.FollowUp.n == 1
                    )
                )
            ).scalar_one()
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=14)
            await conn.execute(
                insert(m.CheckinLink).values(
                    code=code, follow_up_id=follow_up, worker_id=worker_id, expires_at=expires
                )
            )
    finally:
        await engine.dispose()
    return code


async def _tels(page: Any) -> list[str | None]:
    links = page.locator("a[href^='tel:']")
    return [await links.nth(i).get_attribute("href") for i in range(await links.count())]


async def test_her_checkin_page_at_360_and_a_link_never_issued(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    her, placement = _placed(site)
    code = await _checkin_link(site, her, placement)
    phone = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}
    async with chinese_page(chromium_path, tmp_path / "profile", **phone) as page:
        await page.goto(f"{site.base}/c/{code}")
        await expect(page.locator("h1")).to_be_visible()
        text = await page.locator("main").inner_text()
        assert "工资按时足额发放了吗" in text, text
        assert await _tels(page) == ["tel:051258001234"]
        await shot(page, artifacts, "her-checkin-360")

        # a code never issued: no office is known, the public help lines still are
        for path in ("/c/neverissued1234", "/o/neverissued1234"):
            await page.goto(site.base + path)
            await expect(page.locator("h1")).to_contain_text("链接")
            assert await _tels(page) == ["tel:12333", "tel:12338"], path
        await shot(page, artifacts, "her-checkin-gone-360")
