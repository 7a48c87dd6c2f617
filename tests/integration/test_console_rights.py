"""Her consents, the accounts and the password in the console: what the API does (PATCH
/workers, PATCH /staff, POST /auth/password, the admin reset), done by a clerk on a page, in
Chinese, with the database checked afterwards. SQLite and PostgreSQL through ``api``."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from matching.db import models as m
from tests.integration.test_offers import offered_world
from tests.integration.test_web import _account, _csrf, _get, _login
from tests.support import PASSWORD, Api, assert_problem

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _token_on(api: Api, path: str) -> str:
    found = _TOKEN.search((await _get(api, path)).text)
    assert found, path
    return found.group(1)


async def _version(api: Api, worker_id: int) -> int:
    async with api.engine.connect() as conn:
        stmt = select(m.WorkerProfile.version).where(m.WorkerProfile.id == worker_id)
        return int((await conn.execute(stmt)).scalar_one())


async def _consent_rows(api: Api, worker_id: int) -> list[Any]:
    async with api.engine.connect() as conn:
        stmt = select(m.Consent).where(m.Consent.worker_id == worker_id).order_by(m.Consent.id)
        return list((await conn.execute(stmt)).all())


async def test_a_clerk_records_her_withdrawal_and_her_offer_is_withdrawn(api: Api) -> None:
    w = await offered_world(api)
    her = w["priority"]
    offer_id = w["offer_of"][her["id"]]
    user = await _account(api, "staff", agency_id=her["agency_id"])
    await _login(api, user)
    page = (await _get(api, f"/workers/{her['id']}")).text
    assert "她的同意" in page and "登记：她撤回匹配同意" in page
    before = await _consent_rows(api, her["id"])

    token = await _token_on(api, f"/workers/{her['id']}")
    form = {
        "_csrf_token": token,
        "kind": "matching",
        "given": "no",
        "channel": "phone_page",
        "version": str(await _version(api, her["id"])),
    }
    r = await api.client.post(f"/workers/{her['id']}/consent", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = (await api.client.get(r.headers["location"])).text
    assert "已登记她撤回同意" in shown and "登记：她同意参加匹配" in shown
    assert "手机页面" in shown and user in shown  # the record names the channel and the clerk

    rows = await _consent_rows(api, her["id"])
    assert len(rows) == len(before) + 1
    last = rows[-1]
    assert (last.kind, last.given, last.channel) == ("matching", False, "phone_page")
    async with api.engine.connect() as conn:
        status = (
            await conn.execute(select(m.Offer.status).where(m.Offer.id == offer_id))
        ).scalar_one()
    assert status == "withdrawn"


async def test_a_stale_or_crafted_consent_form_changes_nothing(api: Api) -> None:
    w = await offered_world(api)
    her = w["priority"]
    await _login(api, await _account(api, "staff", agency_id=her["agency_id"]))
    token = await _token_on(api, f"/workers/{her['id']}")
    version = await _version(api, her["id"])
    before = await api.digest()
    bad = [
        ({"kind": "groups", "given": "no", "channel": "sms", "version": str(version)}, "请选择"),
        ({"kind": "matching", "given": "no", "channel": "fax", "version": str(version)}, "方式"),
        ({"kind": "matching", "given": "no", "channel": "sms", "version": "x"}, "页面已过期"),
        # someone changed her since the page was read: the service's version check refuses
        ({"kind": "matching", "given": "no", "channel": "sms", "version": str(version + 5)}, ""),
    ]
    for fields, words in bad:
        r = await api.client.post(
            f"/workers/{her['id']}/consent", data={"_csrf_token": token, **fields}
        )
        assert r.status_code == 422, (fields, r.status_code)
        assert "未做任何更改" in r.text and words in r.text, fields
    assert await api.digest() == before


async def test_withdrawing_sensitive_consent_in_the_console_removes_her_groups(api: Api) -> None:
    w = await offered_world(api)
    her = w["priority"]
    assert her["priority_groups"]
    await _login(api, await _account(api, "staff", agency_id=her["agency_id"]))
    token = await _token_on(api, f"/workers/{her['id']}")
    form = {
        "_csrf_token": token,
        "kind": "sensitive",
        "given": "no",
        "channel": "in_person",
        "version": str(await _version(api, her["id"])),
    }
    r = await api.client.post(f"/workers/{her['id']}/consent", data=form)
    assert r.status_code == 200 and "她的优先群体信息已删除" in r.text
    async with api.engine.connect() as conn:
        held = (
            await conn.execute(
                select(m.WorkerGroup.group_code).where(m.WorkerGroup.worker_id == her["id"])
            )
        ).all()
    assert held == []


async def test_registration_with_groups_asks_for_sensitive_consent(api: Api) -> None:
    agency = await api.agency()
    token = await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    form = {
        "_csrf_token": token,
        "name": "李桂兰",
        "phone": "13912345678",
        "birth_date": "1986-04-02",
        "home_county": "泗县",
        "consent_matching": "on",
        "priority_groups": "poor_household",
    }
    before = await api.digest()
    r = await api.client.post("/workers", data=form)
    assert r.status_code == 422 and "未同意保存敏感个人信息" in r.text
    assert await api.digest() == before
    r = await api.client.post(
        "/workers", data=form | {"consent_sensitive": "on"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    worker_id = int(r.headers["location"].split("/")[2].split("?")[0])
    kinds = {(c.kind, c.given) for c in await _consent_rows(api, worker_id)}
    assert kinds == {("matching", True), ("sensitive", True)}


async def _post_password(api: Api, token: str, **fields: str) -> Any:
    return await api.client.post(
        "/password", data={"_csrf_token": token, **fields}, follow_redirects=False
    )


async def test_a_clerk_changes_her_password_and_her_other_sign_ins_end(api: Api) -> None:
    agency = await api.agency()
    user = await _account(api, "staff", agency_id=agency["id"])
    api_token = await api.login(user)
    await _login(api, user)
    token = await _token_on(api, "/password")
    new = "四月的油菜花开了 2026"
    before = await api.digest()
    for fields, words in [
        ({"current_password": "not hers at all", "new_password": new}, "不是该账号的密码"),
        ({"current_password": PASSWORD, "new_password": "short"}, "至少需要10个字符"),
        ({"current_password": PASSWORD, "new_password": "password123"}, "最常见的密码"),
    ]:
        r = await _post_password(api, token, repeat_password=fields["new_password"], **fields)
        assert r.status_code == 422 and words in r.text, (fields, r.text[:300])
    r = await _post_password(
        api, token, current_password=PASSWORD, new_password=new, repeat_password=new + "x"
    )
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.text
    # the wrong current password was counted as a failed login; nothing else was written
    async with api.engine.connect() as conn:
        hashes = (
            await conn.execute(select(m.Account.password_hash).where(m.Account.username == user))
        ).scalar_one()
    r = await _post_password(
        api, token, current_password=PASSWORD, new_password=new, repeat_password=new
    )
    assert r.status_code == 303 and "done=password_changed" in r.headers["location"]
    page = (await api.client.get(r.headers["location"])).text
    assert "密码已修改" in page  # this browser carries on at the new epoch
    assert_problem(await api.request("GET", "/agencies", api_token), 401)  # the API token ended
    async with api.engine.connect() as conn:
        after = (
            await conn.execute(select(m.Account.password_hash).where(m.Account.username == user))
        ).scalar_one()
    assert after != hashes and before != await api.digest()
    await api.login(user, new)


async def test_an_admin_resets_a_password_in_the_console_and_she_sets_her_own(api: Api) -> None:
    agency = await api.agency()
    user = await _account(api, "staff", agency_id=agency["id"])
    async with api.engine.connect() as conn:
        her_id = (
            await conn.execute(select(m.Account.id).where(m.Account.username == user))
        ).scalar_one()
    await api.admin()
    await _login(api, "root")
    admin_page = (await _get(api, "/admin")).text
    assert f"/admin/accounts/{her_id}/reset-password" in admin_page
    assert agency["name"] in admin_page  # accounts name their agency, not its id
    token = await _token_on(api, "/admin")
    r = await api.client.post(
        f"/admin/accounts/{her_id}/reset-password", data={"_csrf_token": token}
    )
    assert r.status_code == 200 and "此密码只显示这一次" in r.text
    found = re.search(r"<code>([^<]+)</code>", r.text)
    assert found
    one_time = found.group(1)

    # she logs in with it: the console asks for her own password first
    api.client.cookies.clear()
    token = await _csrf(api)
    r = await api.client.post(
        "/login", data={"username": user, "password": one_time, "_csrf_token": token}
    )
    assert r.status_code == 403 and "请先设置新密码" in r.text and 'name="username"' in r.text
    token = await _token_on(api, f"/password?username={user}")
    mine = "我自己的新密码 since today"
    r = await _post_password(
        api,
        token,
        username=user,
        current_password=one_time,
        new_password=mine,
        repeat_password=mine,
    )
    assert r.status_code == 303, r.text
    assert (await api.client.get("/dashboard", follow_redirects=False)).status_code == 200
    async with api.engine.connect() as conn:
        must = (
            await conn.execute(select(m.Account.must_change_password).where(m.Account.id == her_id))
        ).scalar_one()
    assert must is False
    await api.login(user, mine)


async def test_an_admin_deactivates_an_account_in_the_console(api: Api) -> None:
    agency = await api.agency()
    user = await _account(api, "staff", agency_id=agency["id"])
    headers = await api.login(user)
    async with api.engine.connect() as conn:
        her_id = (
            await conn.execute(select(m.Account.id).where(m.Account.username == user))
        ).scalar_one()
    await api.admin()
    await _login(api, "root")
    token = await _token_on(api, "/admin")
    r = await api.client.post(
        f"/admin/accounts/{her_id}/deactivate", data={"_csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    assert_problem(await api.request("GET", "/agencies", headers), 401)
    r = await api.client.post(
        f"/admin/accounts/{her_id}/launch", data={"_csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 404
    async with api.engine.connect() as conn:
        root_id = (
            await conn.execute(select(m.Account.id).where(m.Account.username == "root"))
        ).scalar_one()
    before = await api.digest()
    r = await api.client.post(f"/admin/accounts/{root_id}/deactivate", data={"_csrf_token": token})
    assert r.status_code == 422 and "管理员不能停用自己的账号" in r.text
    assert await api.digest() == before


async def test_an_admin_hands_a_new_employer_to_an_agency_in_the_console(api: Api) -> None:
    agency = await api.agency()
    await api.admin()
    await _login(api, "root")
    token = await _token_on(api, "/admin")
    r = await api.client.post(
        "/admin/employers",
        data={
            "_csrf_token": token,
            "name": "昆山绣品厂",
            "city": "昆山",
            "agency_id": str(agency["id"]),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    async with api.engine.connect() as conn:
        owner = (
            await conn.execute(select(m.Employer.agency_id).where(m.Employer.name == "昆山绣品厂"))
        ).scalar_one()
    assert owner == agency["id"]
    before = await api.digest()
    r = await api.client.post(
        "/admin/employers",
        data={"_csrf_token": token, "name": "无主厂", "city": "昆山", "agency_id": "999999"},
    )
    assert r.status_code == 422
    assert await api.digest() == before


async def test_pages_show_times_in_beijing_time_with_the_date_in_full(api: Api) -> None:
    """The API answers UTC with its offset; a clerk reads Beijing time (issue 11's first
    complaint: the console showed answer deadlines 8 hours off)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    w = await offered_world(api)
    her = w["priority"]
    offers = await api.ok("GET", f"/workers/{her['id']}/offers", w["staff_a"])
    at = dt.datetime.fromisoformat(offers["items"][0]["expires_at"])
    assert at.utcoffset() == dt.timedelta(0)
    beijing = at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    utc = at.strftime("%Y-%m-%d %H:%M")
    await _login(api, await _account(api, "staff", agency_id=her["agency_id"]))
    for path in (f"/workers/{her['id']}", "/offers"):
        page = (await _get(api, path)).text
        assert beijing in page and utc not in page, path
    r = await api.client.get(f"/o/{w['code_of'][her['id']]}")
    assert beijing in r.text and utc not in r.text
