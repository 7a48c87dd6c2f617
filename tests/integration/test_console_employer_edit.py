"""The admin edits an employer in the console, on both databases: every field the API's
``PATCH /employers/{id}`` takes, the agency chosen by name; every bad field's error beside it at
once and nothing stored; a stale form names what someone else changed and stores nothing;
staff get 403 and an unknown employer 404."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from matching.db import models as m
from tests.integration.test_console_editing import _form
from tests.integration.test_console_training import _error, _post
from tests.integration.test_web import _account, _get, _login
from tests.support import Api


async def _row(api: Api, employer_id: int) -> Any:
    async with api.engine.connect() as conn:
        return (await conn.execute(select(m.Employer).where(m.Employer.id == employer_id))).one()


async def _world(api: Api) -> dict[str, Any]:
    first = await api.agency(name="兴义市劳务公司")
    second = await api.agency(name="安龙县就业局")
    employer = await api.employer(agency_id=first["id"], name="宏达电子", city="上海")
    admin = await _account(api, "admin")
    return {"first": first, "second": second, "employer": employer, "admin": admin}


async def test_the_admin_edits_every_field_and_the_agency_by_name(api: Api) -> None:
    w = await _world(api)
    eid = w["employer"]["id"]
    await _login(api, w["admin"])
    assert f'href="/employers/{eid}/edit"' in (await _get(api, "/admin")).text
    form = await _form(api, f"/employers/{eid}/edit")
    assert (form["name"], form["city"], form["agency_id"]) == (
        "宏达电子",
        "上海",
        str(w["first"]["id"]),
    )
    page = (await _get(api, f"/employers/{eid}/edit")).text
    assert "安龙县就业局" in page and "修改用人单位" in page  # agencies offered by name
    form |= {
        "name": "宏达电子（苏州）",
        "city": "苏州",
        "industry": "电子装配",
        "reputation": "80",
        "labour_protection": "65",
        "local_workshop": "on",
        "agency_id": str(w["second"]["id"]),
    }
    r = await api.client.post(f"/employers/{eid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/admin?done=saved"
    row = await _row(api, eid)
    assert (row.name, row.city, row.industry, row.reputation, row.labour_protection) == (
        "宏达电子（苏州）",
        "苏州",
        "电子装配",
        80,
        65,
    )
    assert row.local_workshop is True and row.agency_id == w["second"]["id"]
    assert row.version == w["employer"]["version"] + 1

    # the box unticked and the agency set to none: both are changes too
    form = await _form(api, f"/employers/{eid}/edit")
    assert "local_workshop" in form  # ticked (an unticked box is not sent)
    del form["local_workshop"]
    form["agency_id"] = ""
    r = await api.client.post(f"/employers/{eid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    row = await _row(api, eid)
    assert row.local_workshop is False and row.agency_id is None


async def test_every_bad_field_shows_beside_itself_and_nothing_is_stored(api: Api) -> None:
    w = await _world(api)
    eid = w["employer"]["id"]
    await _login(api, w["admin"])
    form = await _form(api, f"/employers/{eid}/edit")
    before = await api.digest()
    bad = form | {
        "name": " ",
        "city": "苏州",  # a good change beside the bad ones is not stored either
        "industry": "电" * 101,
        "reputation": "101",
        "labour_protection": "abc",
        "agency_id": "999999",
    }
    r = await api.client.post(f"/employers/{eid}/edit", data=bad, follow_redirects=False)
    assert r.status_code == 422
    assert _error(r.text, "name") == "不能为空"
    assert _error(r.text, "industry") == "最多 100 个字"
    assert _error(r.text, "reputation") == "请填写 0 到 100 之间的整数"
    _error(r.text, "labour_protection")
    assert "999999" in _error(r.text, "agency_id")  # the service's own check, in Chinese
    assert re.search(r'id="f-city"[^>]*value="苏州"', r.text)  # what she typed is kept
    assert await api.digest() == before
    r = await api.client.post(
        f"/employers/{eid}/edit", data=form | {"version": "x"}, follow_redirects=False
    )
    assert r.status_code == 409 and 'id="e-version"' in r.text
    assert await api.digest() == before


async def test_a_stale_form_names_what_changed_and_stores_nothing(api: Api) -> None:
    w = await _world(api)
    eid = w["employer"]["id"]
    await _login(api, w["admin"])
    form = await _form(api, f"/employers/{eid}/edit")
    moved = {"version": w["employer"]["version"], "city": "昆山", "agency_id": w["second"]["id"]}
    await api.ok("PATCH", f"/employers/{eid}", await api.admin(), json=moved)
    before = await api.digest()
    r = await _post(api, f"/employers/{eid}/edit", form["_csrf_token"], **form | {"name": "新名"})
    assert r.status_code == 409
    stale = r.text[r.text.index('id="stale"') :]
    assert "城市：上海 → 昆山" in stale and "兴义市劳务公司 → 安龙县就业局" in stale
    assert re.search(r'id="f-name"[^>]*value="新名"', r.text)
    assert await api.digest() == before
    assert (await _row(api, eid)).name == "宏达电子"


async def test_its_agency_s_staff_edit_it_without_the_scores(api: Api) -> None:
    w = await _world(api)
    eid = w["employer"]["id"]
    opening = await api.opening(await api.admin(), eid)
    await _login(api, await _account(api, "staff", agency_id=w["first"]["id"]))
    page = (await _get(api, f"/openings/{opening['id']}")).text
    assert f'href="/employers/{eid}/edit"' in page  # from the opening's page
    form = await _form(api, f"/employers/{eid}/edit")
    assert "reputation" not in form and "agency_id" not in form  # the admin's alone
    form |= {"city": "苏州", "local_workshop": "on", "reputation": "99"}  # a crafted score
    r = await api.client.post(f"/employers/{eid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/openings?done=saved"
    row = await _row(api, eid)
    assert (row.city, row.local_workshop, row.reputation) == ("苏州", True, 50)
    assert row.agency_id == w["first"]["id"]


async def test_another_agency_and_an_employer_account_may_not_and_404(api: Api) -> None:
    w = await _world(api)
    eid = w["employer"]["id"]
    token = await _login(api, await _account(api, "staff", agency_id=w["second"]["id"]))
    before = await api.digest()
    r = await _get(api, f"/employers/{eid}/edit")
    assert r.status_code == 403 and "兴义市劳务公司" not in r.text
    r = await _post(api, f"/employers/{eid}/edit", token, name="冒充", version="1")
    assert r.status_code == 403
    assert await api.digest() == before
    token = await _login(api, await _account(api, "employer", employer_id=eid))
    before = await api.digest()
    assert (await _get(api, f"/employers/{eid}/edit")).status_code == 403
    r = await _post(api, f"/employers/{eid}/edit", token, name="冒充", version="1")
    assert r.status_code == 403
    token = await _login(api, w["admin"])
    assert (await _get(api, "/employers/999999/edit")).status_code == 404
    r = await _post(api, "/employers/999999/edit", token, name="x", version="1")
    assert r.status_code == 404
    assert await api.digest() == before
    assert (await _row(api, eid)).name == "宏达电子"


async def test_staff_register_an_employer_for_their_agency(api: Api) -> None:
    w = await _world(api)
    clerk = await _account(api, "staff", agency_id=w["first"]["id"])
    token = await _login(api, clerk)
    assert 'href="/employers/new"' in (await _get(api, "/openings")).text
    assert "登记用人单位" in (await _get(api, "/employers/new")).text
    body = {"name": "永盛家纺", "city": "南通", "industry": "纺织", "local_workshop": "on"}
    r = await _post(api, "/employers", token, **body)
    assert r.status_code == 303, r.text
    async with api.engine.connect() as conn:
        q = select(m.Employer).where(m.Employer.name == "永盛家纺")
        (row,) = (await conn.execute(q)).all()
    assert (row.city, row.industry, row.local_workshop, row.agency_id) == (
        "南通",
        "纺织",
        True,
        w["first"]["id"],
    )
    assert (row.reputation, row.labour_protection) == (50, 50)
    assert r.headers["location"] == f"/openings/new?done=employer_registered&employer_id={row.id}"
    page = (await api.client.get(r.headers["location"])).text
    assert "用人单位已登记在本机构名下" in page
    assert re.search(rf'<option value="{row.id}"\s+selected>永盛家纺', page)  # chosen


async def test_a_bad_registration_shows_every_error_and_stores_nothing(api: Api) -> None:
    w = await _world(api)
    token = await _login(api, await _account(api, "staff", agency_id=w["first"]["id"]))
    before = await api.digest()
    r = await _post(api, "/employers", token, name=" ", city="城" * 101, industry="电" * 101)
    assert r.status_code == 422
    assert _error(r.text, "name") == "不能为空"
    assert _error(r.text, "city") == "最多 100 个字"
    assert _error(r.text, "industry") == "最多 100 个字"
    r = await _post(api, "/employers", token, name="\u200b", city="苏州")  # the service's rule
    assert r.status_code == 422
    _error(r.text, "name")
    assert re.search(r'id="f-city"[^>]*value="苏州"', r.text)
    assert await api.digest() == before
    # an admin registers on the admin page, an employer account not at all
    await _login(api, w["admin"])
    assert (await _get(api, "/employers/new")).status_code == 403
    token = await _login(api, await _account(api, "employer", employer_id=w["employer"]["id"]))
    before = await api.digest()
    r = await _post(api, "/employers", token, name="冒充", city="苏州")
    assert r.status_code == 403
    assert await api.digest() == before
