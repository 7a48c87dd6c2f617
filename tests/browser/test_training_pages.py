"""Training in a real browser, in Chinese: staff create a skill course, schedule a session
starting today, find a worker by name and enrol her (free: a priority group), and mark her
completion, which certifies the skill on her profile. Each page is photographed, and axe-core
audits each one through ``shot``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from matching.lib import clock
from tests.browser.conftest import PASSWORD, Site, chinese_page, login, shot

pytestmark = pytest.mark.browser

HER = "韦秋菊"


def _worker(site: Site) -> None:
    with httpx.Client(base_url=f"{site.base}/api/v1", timeout=30) as c:
        r = c.post("/auth/token", json={"username": "zhang", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        body = {
            "name": HER,
            "phone": "13900000091",
            "birth_date": "1990-03-01",
            "home_county": "兴仁市",
            "skills": [{"code": "sewing", "level": 1}],
            "priority_groups": ["poor_household"],
            "consent_matching": True,
        }
        r = c.post("/workers", headers=headers, json=body)
        assert r.status_code < 300, r.text


async def test_course_session_enrol_complete(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    _worker(site)
    today = clock.today().isoformat()
    async with chinese_page(chromium_path, tmp_path / "profile") as page:
        await login(page, site, "zhang")
        await page.get_by_role("link", name="培训").click()
        await expect(page).to_have_url(re.compile(r"/training$"))
        await expect(page.locator("h1")).to_have_text("培训课程")

        # a skill course without its level: the error beside the field, nothing created
        await page.fill("#f-name", "缝纫工中级班")
        await page.locator("input[name=kind][value=skill]").check()
        await page.select_option("#f-skill_code", "sewing")
        await page.fill("#f-fee", "800")
        await page.get_by_role("button", name="创建课程").click()
        await expect(page.locator("#e-level")).to_be_visible()
        await shot(page, artifacts, "r-training-01-course-error")
        await page.fill("#f-level", "3")
        await page.get_by_role("button", name="创建课程").click()
        await expect(page).to_have_url(re.compile(r"/training/courses/\d+\?done=course_created$"))
        await expect(page.locator(".flash")).to_contain_text("课程已创建")
        await shot(page, artifacts, "r-training-02-course")

        await page.fill("#f-starts_on", today)
        await page.fill("#f-ends_on", today)
        await page.fill("#f-place", "兴义市职业技术学校")
        await page.fill("#f-capacity", "30")
        await page.get_by_role("button", name="安排", exact=True).click()
        await expect(page).to_have_url(re.compile(r"/training/sessions/\d+\?done=session_created$"))
        await shot(page, artifacts, "r-training-03-session")

        await page.fill("#q", HER)
        await page.get_by_role("button", name="查询").click()
        await expect(page.locator("#found")).to_contain_text(HER)
        await shot(page, artifacts, "r-training-04-search")
        await page.get_by_role("button", name=f"为{HER}报名").click()
        await expect(page.locator(".flash")).to_have_text("已为她报名。")
        await expect(page.locator("#enrolments")).to_contain_text("重点群体免费")
        await shot(page, artifacts, "r-training-05-enrolled")

        await page.locator("#enrolments").get_by_role("button", name="登记结业").click()
        await expect(page.locator(".flash")).to_contain_text("结业已登记")
        await expect(page.locator("#enrolments")).to_contain_text("已结业")
        await shot(page, artifacts, "r-training-06-completed")

        await page.locator("#enrolments").get_by_role("link", name=HER).click()
        await expect(page.locator("body")).to_contain_text("3")
        await shot(page, artifacts, "r-training-07-her-page")
