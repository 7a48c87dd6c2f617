"""The reader's language (issue 11, item 3): domain errors and validation messages in problem
details follow ``Accept-Language`` (default Chinese, English available); a browser that meets
an error on a console or phone route gets an HTML page in its language with a way back, never
raw JSON, while API clients keep problem details; badges follow the page's language. Runs on
SQLite and PostgreSQL through ``api``."""

from __future__ import annotations

from typing import Any

import pytest

from matching.profiles import service as profiles
from tests.integration.test_web import _account, _login
from tests.support import PROBLEM_JSON, Api, opening_payload, worker_payload

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _messages(body: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.mark.parametrize("language", [None, "zh-CN", "zh-CN,zh;q=0.9,en;q=0.5"])
async def test_problem_details_speak_chinese_by_default(api: Api, language: str | None) -> None:
    admin = await api.admin()
    headers = {**admin, **({"Accept-Language": language} if language else {})}
    r = await api.client.get("/api/v1/workers/999", headers=headers)
    assert r.status_code == 404
    assert r.json()["detail"] == "没有编号为 999 的劳动者"
    assert r.json()["title"] == "找不到"
    body = {**worker_payload(name="张" * 200), "min_monthly_wage": -1, "colour": "red"}
    r = await api.client.post("/api/v1/workers", headers=headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["title"] == "输入有误"
    said = _messages(r.json())
    assert said["name"] == "最多 100 个字符"
    assert said["min_monthly_wage"] == "不能小于 0"
    assert said["colour"] == "不是这项记录的字段"  # the field stays the API's name


async def test_problem_details_speak_english_when_asked(api: Api) -> None:
    headers = {**await api.admin(), "Accept-Language": "en-GB,en;q=0.9"}
    r = await api.client.get("/api/v1/workers/999", headers=headers)
    assert r.json()["detail"] == "no worker with id 999"
    employer = await api.employer()
    await api.ok(
        "POST", f"/employers/{employer['id']}/suspend", await api.admin(), json={"reason": "x"}
    )
    r = await api.client.post(
        "/api/v1/openings", headers=headers, json=opening_payload(employer["id"])
    )
    assert r.status_code == 409, r.text
    assert r.json()["title"] == "Conflict"
    name = employer["name"]  # a clerk reads the company's name, never its number
    assert r.json()["detail"] == f"employer {name} is suspended and may not post openings"
    r = await api.client.post(
        "/api/v1/openings",
        headers={**headers, "Accept-Language": ""},
        json=opening_payload(employer["id"]),
    )
    assert r.json()["detail"] == f"用人单位“{name}”已被暂停，不能发布岗位"
    assert r.json()["title"] == "与现有数据冲突"  # the title too, not only the detail


def _is_page(r: Any, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert not r.text.lstrip().startswith("{")
    return str(r.text)


async def test_a_browser_gets_an_error_page_in_its_language(api: Api) -> None:
    api.client.cookies.clear()
    html = _is_page(await api.client.get("/no/such/page", headers=HTML), 404)
    assert 'lang="zh-CN"' in html and "找不到" in html and 'href="/"' in html
    html = _is_page(await api.client.get("/no/such/page?lang=en", headers=HTML), 404)
    assert 'lang="en"' in html and "Not found" in html and "Back to the start" in html
    html = _is_page(await api.client.delete("/login", headers=HTML), 405)
    assert "不允许" in html
    # her phone pages: a way back to her own page
    html = _is_page(await api.client.get("/o/abcdefgh1234/accept", headers=HTML), 405)
    assert 'href="/o/abcdefgh1234"' in html and "返回您的页面" in html
    # API clients, and anything under /api/, keep problem details
    r = await api.client.get("/no/such/page", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM_JSON)
    r = await api.client.get("/api/v1/no-such-thing", headers=HTML)
    assert r.status_code in (401, 404) and r.headers["content-type"].startswith(PROBLEM_JSON)


async def test_a_browser_meets_a_500_as_a_page(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    agency = await api.agency()
    await _login(api, await _account(api, "staff", agency_id=agency["id"]))

    async def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(profiles, "search_workers", broken)
    html = _is_page(await api.client.get("/workers", headers=HTML), 500)
    assert "系统出错了" in html and 'href="/dashboard"' in html
    assert "RuntimeError" not in html


async def test_a_staff_member_meets_403_and_404_as_pages(api: Api) -> None:
    agency = await api.agency()
    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    html = _is_page(await api.client.get("/admin", headers=HTML), 403)
    assert "您不能这样操作" in html or "不能" in html
    html = _is_page(await api.client.get("/workers/999999", headers=HTML), 404)
    assert "没有编号为 999999 的劳动者" in html


async def test_badges_follow_the_page_language(api: Api) -> None:
    agency = await api.agency()
    employer = await api.employer(agency_id=agency["id"])
    staff = await api.staff(agency["id"])
    await api.opening(staff, employer["id"])
    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    chinese = (await api.client.get("/openings")).text
    assert "招聘中" in chinese and "受理中" not in chinese
    english = (await api.client.get("/openings?lang=en")).text
    assert '<span class="badge open">open</span>' in english
    assert "招聘中" not in english
