"""Every field's problem at once (issue 11, item 5): the API lists every field error of a body,
and the console's worker and opening forms show each beside its field, in words that say what
is allowed; nothing is stored. Runs on SQLite and PostgreSQL through ``api``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from matching.lib import clock
from tests.integration.test_web import _account, _login
from tests.support import Api, assert_problem, opening_payload, worker_payload


def _fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


async def test_the_api_names_every_wrong_field_of_a_worker(api: Api) -> None:
    staff = await api.staff((await api.agency())["id"])
    bad = worker_payload(name="", phone="12345", id_number="32061219900101123")
    r = await api.request("POST", "/workers", staff, json=bad)
    body = assert_problem(r, 422)
    assert {"name", "phone", "id_number"} <= _fields(body), body
    r = await api.request(
        "POST", "/workers", staff, json=worker_payload(name="张" * 200, min_monthly_wage=-5)
    )
    body = assert_problem(r, 422)
    assert {"name", "min_monthly_wage"} <= _fields(body), body
    assert await api.count("worker_profiles") == 0


async def test_the_api_names_every_wrong_field_of_an_opening(api: Api) -> None:
    employer = await api.employer()
    past = (clock.today() - dt.timedelta(days=3)).isoformat()
    bad = opening_payload(
        employer["id"],
        headcount=0,
        monthly_wage_min=6000,
        monthly_wage_max=5000,
        start_date=past,
    )
    r = await api.request("POST", "/openings", await api.admin(), json=bad)
    body = assert_problem(r, 422)
    assert {"headcount", "monthly_wage_min", "start_date"} <= _fields(body), body
    assert await api.count("openings") == 0


def _beside(html: str, name: str) -> str:
    """The error shown beside the input ``name`` (its ``e-<name>`` paragraph)."""
    found = re.search(rf'name="{name}"[^>]*>\s*<p class="error" id="e-{name}">([^<]*)</p>', html)
    assert found, f"no error beside {name}"
    return found.group(1)


async def _staff_login(api: Api) -> str:
    agency = await api.agency()
    return await _login(api, await _account(api, "staff", agency_id=agency["id"]))


def _worker_form(token: str, **fields: str) -> dict[str, str]:
    return {
        "_csrf_token": token,
        "name": "王芳",
        "phone": "13812345678",
        "birth_date": "1990-01-01",
        "home_county": "睢宁县",
        "consent_matching": "on",
        **fields,
    }


async def test_the_worker_form_shows_every_error_beside_its_field(api: Api) -> None:
    token = await _staff_login(api)
    form = _worker_form(token, name="", phone="12345", id_number="32061219900101123")
    r = await api.client.post("/workers", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert _beside(r.text, "name") == "不能为空"
    assert "11位数字" in _beside(r.text, "phone")
    assert "18位" in _beside(r.text, "id_number")
    form = _worker_form(token, name="张" * 200, min_monthly_wage="-5")
    r = await api.client.post("/workers", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert "100" in _beside(r.text, "name")
    assert _beside(r.text, "min_monthly_wage") == "不能小于 0"
    assert await api.count("worker_profiles") == 0


async def test_a_crafted_skill_level_is_refused_not_dropped(api: Api) -> None:
    token = await _staff_login(api)
    for crafted in ({"skill_sewing": "9"}, {"skill_juggling": "3"}):
        r = await api.client.post(
            "/workers", data=_worker_form(token, **crafted), follow_redirects=False
        )
        assert r.status_code == 422, r.text
        assert 'id="e-skills"' in r.text
    assert await api.count("worker_profiles") == 0


async def test_the_opening_form_shows_every_error_beside_its_field(api: Api) -> None:
    agency = await api.agency()
    employer = await api.employer(agency_id=agency["id"])
    token = await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    past = (clock.today() - dt.timedelta(days=3)).isoformat()
    form = {
        "_csrf_token": token,
        "employer_id": str(employer["id"]),
        "title": "车工",
        "city": "上海",
        "headcount": "0",
        "monthly_wage_min": "6000",
        "monthly_wage_max": "5000",
        "start_date": past,
    }
    r = await api.client.post("/openings", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert _beside(r.text, "headcount") == "不能小于 1"
    assert "最高" in _beside(r.text, "monthly_wage_min")
    assert "过去" in _beside(r.text, "start_date")
    assert await api.count("openings") == 0
