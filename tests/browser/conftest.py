"""Browser tests: a real ``laowu serve`` on 127.0.0.1 with a fresh SQLite database, driven by
Debian's Chromium through Playwright (never ``playwright install``).

Without /usr/bin/chromium (or the playwright package) the tests skip with the reason, unless
LAOWU_REQUIRE_BROWSER is set, as ``.ci/run`` does: then they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.lib import clock
from tests.processes import free_port
from tests.support import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "browser-test-password-1"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("LAOWU_REQUIRE_BROWSER"):
        pytest.fail(f"LAOWU_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    return CHROMIUM


def _free_port() -> int:
    if os.environ.get("LAOWU_BROWSER_PORT"):  # a machine that allots ports picks one
        return int(os.environ["LAOWU_BROWSER_PORT"])
    return free_port()


@dataclass
class Site:
    """The running server and the accounts and records the tests start from."""

    base: str
    ids: dict[str, int] = field(default_factory=dict)
    database_url: str = ""
    """The server's own database, for the few records no route makes (her check-in link)."""


@pytest.fixture(scope="session")
def site(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("browser")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    database_url = f"sqlite+aiosqlite:///{tmp / 'web.db'}"
    env = {
        **os.environ,
        "LAOWU_DATABASE_URL": database_url,
        "LAOWU_SECRET_KEY": "browser-test-secret-0123456789abcdef0123456789",
        "LAOWU_DATA_DIR": str(tmp / "data"),
        "LAOWU_PUBLIC_URL": base,
    }
    env.pop("LAOWU_NOTIFY_WEBHOOK_URL", None)
    laowu = shutil.which("laowu", path=str(Path(sys.executable).parent)) or "laowu"
    run = {"env": env, "cwd": tmp, "check": True, "capture_output": True, "timeout": 120}
    # our own console script with fixed arguments
    subprocess.run([laowu, "migrate"], **run)  # type: ignore[call-overload]  # noqa: S603
    subprocess.run(  # type: ignore[call-overload]  # noqa: S603
        [laowu, "admin", "create", "--username", "root", "--password", PASSWORD], **run
    )
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603
        [laowu, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"],
        env=env,
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180  # a shared, loaded machine starts it slowly
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp / "serve.log").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
        yield Site(base=base, ids=_setup(base), database_url=database_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _setup(base: str) -> dict[str, int]:
    """Through the API: an agency, its staff, two employers (one with an HR account), and a
    worker and an opening at the *other* employer, so the run makes an offer the HR account
    must not see."""
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as c:

        def login(user: str) -> dict[str, str]:
            r = c.post("/auth/token", json={"username": user, "password": PASSWORD})
            r.raise_for_status()
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        def ok(path: str, headers: dict[str, str], body: dict[str, object]) -> dict[str, int]:
            r = c.post(path, headers=headers, json=body)
            assert r.status_code < 300, r.text
            return dict(r.json())

        admin = login("root")
        agency = ok("/agencies", admin, {"name": "兴义劳务"})["id"]
        ok("/offices", admin, {"agency_id": agency, "name": "上海办事处", "city": "上海"})
        account = {"password": PASSWORD, "role": "staff", "agency_id": agency}
        ok("/staff", admin, {"username": "zhang", **account})
        # registered for the agency, so its staff may post their openings
        mine = ok(
            "/employers",
            admin,
            {"name": "宏达电子", "city": "上海", "industry": "电子", "agency_id": agency},
        )
        other = ok(
            "/employers",
            admin,
            {"name": "锦绣制衣", "city": "苏州", "industry": "服装", "agency_id": agency},
        )
        ok(
            "/staff",
            admin,
            {
                "username": "hr1",
                "password": PASSWORD,
                "role": "employer",
                "employer_id": mine["id"],
            },
        )
        staff = login("zhang")
        import datetime as dt

        start = (clock.today() + dt.timedelta(days=10)).isoformat()
        ok(
            "/openings",
            staff,
            {
                "employer_id": other["id"],
                "title": "绗缝工",
                "city": "苏州",
                "required_skills": [{"code": "quilting", "min_level": 2}],
                "headcount": 1,
                "monthly_wage_min": 4000,
                "monthly_wage_max": 5000,
                "housing_provided": True,
                "start_date": start,
            },
        )
        ok(
            "/workers",
            staff,
            {
                "name": "赵其他",
                "phone": "13900000002",
                "birth_date": "1988-02-02",
                "home_county": "通州区",
                "skills": [{"code": "quilting", "level": 3}],
                "willing_to_relocate": True,
                "consent_matching": True,
            },
        )
        return {"agency": agency, "mine": mine["id"], "other": other["id"]}


@contextlib.asynccontextmanager
async def chinese_page(chromium_path: str, profile: Path, **options: Any) -> AsyncIterator[Any]:
    """The first page of a headless Chromium in Chinese with a fresh profile; ``options`` go to
    Playwright's ``launch_persistent_context`` (viewport, java_script_enabled, ...)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_path,
            headless=True,
            args=LAUNCH_ARGS,
            **({"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"} | options),
        )
        try:
            page = browser.pages[0] if browser.pages else await browser.new_page()
            page.set_default_timeout(20_000)
            yield page
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def console_page(
    chromium_path: str, site: Site, username: str, **options: Any
) -> AsyncIterator[Any]:
    """``chinese_page`` at 1280 × 900 (a fresh profile of its own), logged in to the console
    as ``username``: the start of most console tests."""
    with tempfile.TemporaryDirectory(prefix="laowu-browser-") as profile:
        async with chinese_page(chromium_path, Path(profile), **options) as page:
            await login(page, site, username)
            yield page


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


AXE_BLOCKING = ("serious", "critical")


async def _scripts_run(page: Any) -> bool:
    try:
        # without JavaScript the page runs no timer, and axe-core waits on one for ever
        await asyncio.wait_for(page.evaluate("new Promise(r => setTimeout(r, 0))"), timeout=3)
    except Exception:
        return False
    return True


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 AA). A
    page opened without JavaScript is audited as a fresh browser with scripts (and the same
    cookies) opens its address."""
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright

    options = {"resultTypes": ["violations"], "runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]}
    if await _scripts_run(page):
        found = (await Axe().run(page, options=options)).response["violations"]
    else:
        state = await page.context.storage_state()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
            )
            try:
                context = await browser.new_context(storage_state=state, locale="zh-CN")
                fresh = await context.new_page()
                await fresh.goto(page.url)
                found = (await Axe().run(fresh, options=options)).response["violations"]
            finally:
                await browser.close()
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in found
        if v["impact"] in AXE_BLOCKING
    ]


async def shot(page: Any, artifacts: Path, name: str) -> None:
    """A whole-page screenshot under test-artifacts/, to be looked at; and an axe-core pass
    over the same page, whose result is kept in ``axe/<name>.json`` and which fails the test on
    any serious or critical violation."""
    await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    found = await axe_violations(page)
    (artifacts / "axe").mkdir(exist_ok=True)
    record = {"page": name, "url": page.url, "violations": found}
    (artifacts / "axe" / f"{name}.json").write_text(json.dumps(record, ensure_ascii=False))
    assert os.environ.get("H8_SURVEY") or not found, (
        f"axe: {name} ({page.url}): {json.dumps(found, ensure_ascii=False)}"
    )


async def login(page: Any, site: Site, username: str, password: str = PASSWORD) -> None:
    """Log in through the console's form, as a clerk does."""
    await page.goto(f"{site.base}/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("main button[type=submit]")
