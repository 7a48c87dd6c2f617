"""The pages the other browser tests pass through without photographing: the login form (with a
wrong password), the list of match runs and the training courses, at desk width and at 360 px,
each audited by axe like every other page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import Site, chinese_page, login, shot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 360])
async def test_login_runs_and_training_pages(
    site: Site, chromium_path: str, artifacts: Path, tmp_path: Path, width: int
) -> None:
    from playwright.async_api import expect

    viewport = {"width": width, "height": 900 if width > 360 else 740}
    async with chinese_page(chromium_path, tmp_path / "profile", viewport=viewport) as page:
        await page.goto(f"{site.base}/login")
        await expect(page.locator("h1")).to_be_visible()
        await shot(page, artifacts, f"first-01-login-{width}")
        await page.fill("#username", "zhang")
        await page.fill("#password", "not-her-password")
        await page.click("main button[type=submit]")
        await expect(page.locator("main .error").first).to_be_visible()
        await shot(page, artifacts, f"first-02-login-refused-{width}")
        await login(page, site, "zhang")
        for n, path in ((3, "runs"), (4, "training")):
            await page.goto(f"{site.base}/{path}")
            await expect(page).to_have_url(re.compile(rf"/{path}$"))
            await expect(page.locator("h1")).to_be_visible()
            width_now = await page.evaluate("document.documentElement.scrollWidth")
            assert width_now <= width, (path, width_now)
            await shot(page, artifacts, f"first-0{n}-{path}-{width}")
