"""The web console over HTTP: login and logout, scoping, CSRF, escaping, the language switch,
and the registration form's field errors. Runs on SQLite and PostgreSQL through ``api``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from matching.lib import clock
from tests.support import PASSWORD, Api, unique_phone, worker_payload

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _account(api: Api, role: str, **scope: int) -> str:
    username = f"web{role}{unique_phone()[-6:]}"
    body = {"username": username, "password": PASSWORD, "role": role, **scope}
    await api.ok("POST", "/staff", await api.admin(), json=body)
    return username


async def _csrf(api: Api) -> str:
    r = await api.client.get("/login")
    assert r.status_code == 200
    found = _TOKEN.search(r.text)
    assert found
    return found.group(1)


async def _login(api: Api, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the CSRF token for later posts."""
    api.client.cookies.clear()  # the client is shared by the session's tests
    token = await _csrf(api)
    r = await api.client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return token


async def _get(api: Api, path: str) -> Any:
    return await api.client.get(path, follow_redirects=False)


async def test_pages_need_a_login(api: Api) -> None:
    api.client.cookies.clear()
    r = await _get(api, "/workers?q=x")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


async def test_login_failure_and_logout(api: Api) -> None:
    agency = await api.agency()
    user = await _account(api, "staff", agency_id=agency["id"])
    api.client.cookies.clear()
    token = await _csrf(api)
    r = await api.client.post(
        "/login",
        data={"username": user, "password": "wrong password", "_csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert "laowu_session" not in r.cookies
    assert (await _get(api, "/dashboard")).status_code == 303

    token = await _login(api, user)
    r = await _get(api, "/dashboard")
    assert r.status_code == 200 and "工作台" in r.text
    set_cookie = (await _get(api, "/dashboard")).headers.get("set-cookie", "")
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    r = await api.client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    r = await _get(api, "/dashboard")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_staff_cannot_open_another_agencys_worker(api: Api) -> None:
    a, b = await api.agency(), await api.agency()
    mine = await api.worker(await api.staff(a["id"]), name="甲方工人")
    theirs = await api.worker(await api.staff(b["id"]), name="乙方工人")
    await _login(api, await _account(api, "staff", agency_id=a["id"]))
    assert (await _get(api, f"/workers/{mine['id']}")).status_code == 200
    r = await _get(api, f"/workers/{theirs['id']}")
    assert r.status_code == 404
    assert "乙方工人" not in r.text
    listing = (await _get(api, "/workers")).text
    assert "甲方工人" in listing and "乙方工人" not in listing
    # an employer account is not staff: the worker pages are refused
    employer = await api.employer()
    await _login(api, await _account(api, "employer", employer_id=employer["id"]))
    assert (await _get(api, f"/workers/{mine['id']}")).status_code == 403


async def test_a_form_post_without_the_csrf_token_is_refused(api: Api) -> None:
    agency = await api.agency()
    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    before = await api.digest()
    form = {k: str(v) for k, v in worker_payload().items() if not isinstance(v, list | bool)}
    r = await api.client.post("/workers", data=form, follow_redirects=False)
    assert r.status_code == 403
    assert await api.digest() == before


async def test_a_name_with_markup_renders_as_text(api: Api) -> None:
    agency = await api.agency()
    w = await api.worker(await api.staff(agency["id"]), name="<script>alert(1)</script>")
    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    for path in (f"/workers/{w['id']}", "/workers"):
        r = await _get(api, path)
        assert r.status_code == 200
        assert "<script>alert(1)</script>" not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


async def test_english_switch(api: Api) -> None:
    agency = await api.agency()
    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    assert "工作台" in (await _get(api, "/dashboard")).text
    r = await _get(api, "/lang/en?next=/dashboard")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    page = (await _get(api, "/dashboard")).text
    assert "Dashboard" in page and "Available workers" in page and "工作台" not in page
    assert 'lang="en"' in page
    # never an open redirect
    assert (await _get(api, "/lang/zh?next=//evil.example")).headers["location"] == "/"
    assert "工作台" in (await _get(api, "/dashboard")).text


async def test_registration_errors_show_beside_their_fields(api: Api) -> None:
    agency = await api.agency()
    token = await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    before = await api.digest()
    form = {
        "_csrf_token": token,
        "name": "王秀英",
        "phone": "12345",
        "birth_date": "1990-05-17",
        "home_county": "通州区",
        "skill_sewing": "4",
        "consent_matching": "on",
    }
    r = await api.client.post("/workers", data=form, follow_redirects=False)
    assert r.status_code == 422
    assert 'id="e-phone"' in r.text and "中国大陆手机号码" in r.text
    assert 'value="王秀英"' in r.text and 'value="12345"' in r.text
    assert await api.digest() == before
    form["phone"] = unique_phone()
    r = await api.client.post("/workers", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/workers/")
    page = (await _get(api, r.headers["location"])).text
    assert "王秀英" in page and "缝纫 4" in page
    assert "<dt>性别</dt><dd>—</dd>" in page


async def test_the_registration_form_records_her_sex(api: Api) -> None:
    from tests.support import id_number_for

    agency = await api.agency()
    token = await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    form = {
        "_csrf_token": token,
        "name": "刘美兰",
        "phone": unique_phone(),
        "birth_date": "1990-05-17",
        "home_county": "通州区",
        "consent_matching": "on",
    }
    page = (await _get(api, "/workers/new")).text
    assert "性别" in page and '<option value="female" >女</option>' in page
    # A declared sex the ID number contradicts is marked beside the field; nothing written.
    before = await api.digest()
    man = id_number_for(dt.date(1990, 5, 17), serial=123)
    r = await api.client.post(
        "/workers", data={**form, "sex": "female", "id_number": man}, follow_redirects=False
    )
    assert r.status_code == 422
    assert 'id="e-sex"' in r.text and "身份证号显示为男性" in r.text
    assert await api.digest() == before
    r = await api.client.post("/workers", data={**form, "sex": "female"}, follow_redirects=False)
    assert r.status_code == 303
    page = (await _get(api, r.headers["location"])).text
    assert "<dt>性别</dt><dd>女</dd>" in page


async def test_employer_sees_only_its_candidates_without_sensitive_fields(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    mine, other = (
        await api.employer(agency_id=agency["id"]),
        await api.employer(agency_id=agency["id"]),
    )
    await api.opening(staff, mine["id"], headcount=1, required_skills=[])
    await api.opening(staff, other["id"], headcount=1, required_skills=[])
    await api.worker(staff, name="甲候选", id_number=None)
    await api.worker(staff, name="乙候选")
    run = await api.ok("POST", "/match-runs", staff, json={})
    for _ in range(100):
        got = await api.ok("GET", f"/match-runs/{run['id']}", staff)
        if got["status"] in ("done", "failed"):
            break
        import asyncio

        await asyncio.sleep(0.1)
    assert got["status"] == "done", got
    await _login(api, await _account(api, "employer", employer_id=mine["id"]))
    page = (await _get(api, "/employer/candidates")).text
    rows = re.findall(r"<tr><td>([^<]+)</td>", page)
    assert len(rows) == 1, rows
    assert "贫困户" not in page and "通州区" not in page and "身份证" not in page


async def test_admin_suspends_an_employer_and_staff_may_not(api: Api) -> None:
    agency = await api.agency()
    employer = await api.employer(agency_id=agency["id"], name="暂停测试厂")
    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    assert (await _get(api, "/admin")).status_code == 403
    token = await _login(api, await _account(api, "admin"))
    page = await _get(api, "/admin")
    assert page.status_code == 200 and "暂停测试厂" in page.text
    r = await api.client.post(
        f"/admin/employers/{employer['id']}/suspend",
        data={"_csrf_token": token, "reason": "拖欠工资"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    got = await api.ok("GET", f"/employers/{employer['id']}", await api.admin())
    assert got["suspended"] is True
    r = await api.client.post(
        "/admin/accounts",
        data={"_csrf_token": token, "username": "x", "password": "short", "role": "staff"},
        follow_redirects=False,
    )
    assert r.status_code == 422 and 'id="e-username"' in r.text


async def test_case_board_log_and_status(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    await api.opening(staff, employer["id"], headcount=1)
    worker = await api.worker(staff, name="维权工人")
    run = await api.ok("POST", "/match-runs", staff, json={})
    import asyncio

    for _ in range(100):
        if (await api.ok("GET", f"/match-runs/{run['id']}", staff))["status"] == "done":
            break
        await asyncio.sleep(0.1)
    offer = (await api.ok("GET", f"/workers/{worker['id']}/offers", staff))["items"][0]
    token = await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    for action in ("accept", "confirm"):
        r = await api.client.post(
            f"/offers/{offer['id']}/{action}",
            data={"_csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    placement_id = int(r.headers["location"].split("/")[2].split("?")[0])
    page = (await _get(api, f"/placements/{placement_id}")).text
    assert page.count("已排期") == 3  # three follow-ups on the calendar
    assert "<dt>月薪</dt><dd>4500 元</dd>" in page  # confirmed here: the range's lowest
    case = await api.ok(
        "POST",
        "/cases",
        staff,
        json={"placement_id": placement_id, "type": "wage_arrears", "summary": "拖欠两个月工资"},
    )
    assert "拖欠两个月工资" in (await _get(api, "/cases")).text
    r = await api.client.post(
        f"/cases/{case['id']}/entries",
        data={"_csrf_token": token, "action": "call", "text": "电话联系厂方"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = await api.client.post(
        f"/cases/{case['id']}/status",
        data={"_csrf_token": token, "version": "1", "status": "mediating", "note": "开始调解"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = (await _get(api, f"/cases/{case['id']}")).text
    assert "电话联系厂方" in page and "调解中" in page
    # the log names its authors and never prints the catalog's header (gettext of "")
    assert "Project-Id-Version" not in page and "staff:" not in page
    assert "(→ 受理中)" in page or "→ 受理中" in page


async def test_console_posts_openings_only_for_her_agencys_employers(api: Api) -> None:
    a, b = await api.agency(), await api.agency()
    theirs = await api.employer(agency_id=a["id"], name="甲方工厂")
    mine = await api.employer(agency_id=b["id"], name="乙方工厂")
    token = await _login(api, await _account(api, "staff", agency_id=b["id"]))
    form = (await _get(api, "/openings/new")).text
    assert "乙方工厂" in form and "甲方工厂" not in form  # the pool is read, not posted to
    start = (clock.today() + dt.timedelta(days=14)).isoformat()
    body = {
        "_csrf_token": token,
        "title": "车工",
        "city": "上海",
        "headcount": "2",
        "monthly_wage_min": "4000",
        "monthly_wage_max": "5000",
        "start_date": start,
    }
    before = await api.digest()
    r = await api.client.post(
        "/openings", data={**body, "employer_id": str(theirs["id"])}, follow_redirects=False
    )
    assert r.status_code == 403, r.text
    assert "由其他机构登记" in r.text  # her language: Chinese by default
    assert await api.digest() == before
    r = await api.client.post(
        "/openings", data={**body, "employer_id": str(mine["id"])}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert await api.count("openings") == 1
