"""Her placement letter and registration card in a real browser, as printed: staff confirm her
hire, follow "打印上岗介绍信" from the placement page, and the letter, rendered for print,
holds her placement and the rights pack and prints to ONE A4 page. Screenshots (print media)
go to test-artifacts/ and pass axe-core."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.lib import clock
from tests.browser.conftest import PASSWORD, Site, chinese_page, login, shot
from tests.support import id_number_for

pytestmark = pytest.mark.browser

HER = "黄秋菊"
ID_NUMBER = id_number_for(dt.date(1990, 3, 8), serial=482)


def _api(site: Site, user: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": user, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = c.post(path, headers=headers, json=body)
        assert r.status_code < 300, r.text
        return dict(r.json())


def _pages(pdf: bytes) -> int:
    """The pages of a PDF: its ``/Type /Page`` objects (not ``/Pages``)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


async def test_the_letter_prints_on_one_a4_page(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    # A city of its own: the browser tests share one site, and other tests have 昆山办事处.
    office = {"agency_id": site.ids["agency"], "name": "太仓办事处", "city": "太仓"}
    _api(site, "root", "/offices", office | {"phone": "0512-57770003"})
    _api(
        site,
        "zhang",
        "/openings",
        {
            "employer_id": site.ids["mine"],
            "title": "电子装配工",
            "city": "太仓",
            "county": "沙溪镇",
            "required_skills": [{"code": "assembly", "min_level": 2}],
            "headcount": 1,
            "monthly_wage_min": 4500,
            "monthly_wage_max": 5500,
            "housing_provided": True,
            "start_date": (clock.today() + dt.timedelta(days=5)).isoformat(),
        },
    )
    her = _api(
        site,
        "zhang",
        "/workers",
        {
            "name": HER,
            "phone": "13900000093",
            "birth_date": "1990-03-08",
            "id_number": ID_NUMBER,
            "consent_sensitive": True,
            "home_county": "通州区",
            "skills": [{"code": "assembly", "level": 4}],
            "willing_to_relocate": True,
            "consent_matching": True,
        },
    )
    async with chinese_page(chromium_path, tmp_path / "profile") as page:
        await login(page, site, "zhang")
        await page.goto(f"{site.base}/runs")
        await page.click("#run-now")
        await expect(page).to_have_url(re.compile(r"/runs/\d+$"))
        row = page.locator("#proposals tr", has_text=HER)
        await expect(row).to_be_visible(timeout=90_000)
        await row.get_by_role("button", name="代她接受").click()
        await expect(page.locator(".flash")).to_have_text("已代她接受。")
        await (
            page.locator("#proposals tr", has_text=HER)
            .get_by_role("button", name="确认录用")
            .click()
        )
        await expect(page).to_have_url(re.compile(r"/placements/\d+\?done=confirmed$"))
        await page.get_by_role("link", name="打印上岗介绍信").click()
        await expect(page).to_have_url(re.compile(r"/placements/\d+/letter$"))
        await page.emulate_media(media="print")
        main = page.locator("main")
        await expect(page.locator("h1")).to_have_text("上岗介绍信")
        for text in (HER, "宏达电子", "太仓 沙溪镇", "电子装配工", "0512-57770003", "12338"):
            await expect(main).to_contain_text(text)
        for heading in ("你的权益", "致外出女工及家人的一封信"):
            await expect(main.get_by_role("heading", name=heading)).to_be_visible()
        await expect(page.locator(".no-print")).to_be_hidden()
        await shot(page, artifacts, "print-01-letter")
        pdf = await page.pdf(format="A4", print_background=True)
        (artifacts / "print-01-letter.pdf").write_bytes(pdf)
        assert _pages(pdf) == 1, _pages(pdf)

        await page.emulate_media(media="screen")
        await page.goto(f"{site.base}/workers/{her['id']}")
        await page.get_by_role("link", name="打印登记卡").click()
        await expect(page).to_have_url(re.compile(rf"/workers/{her['id']}/card$"))
        await page.emulate_media(media="print")
        await expect(page.locator("#card")).to_contain_text(HER)
        await expect(page.locator("#card")).to_contain_text("兴义劳务")
        await expect(page.locator("#card-id")).to_have_text(
            ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
        )
        assert ID_NUMBER not in await page.content()
        await shot(page, artifacts, "print-02-card")
        assert _pages(await page.pdf(format="A4")) == 1

        # a list prints in full: no navigation, no forms, the table unclipped
        await page.goto(f"{site.base}/workers")
        await expect(page.locator("nav.main")).to_be_hidden()
        await shot(page, artifacts, "print-03-workers-list")
