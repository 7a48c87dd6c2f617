"""Accounts: deactivation, role, scope and password changes end live sign-ins; the admin's
reset; the password rules; the login limit per username and per address. All through HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from sqlalchemy import delete, select, update

from matching.db import models as m
from matching.lib import clock
from tests.support import PASSWORD, Api, assert_problem, error_for

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
ENDED = "this sign-in has ended; sign in again"


async def _staff_account(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """An agency, a staff account in it (by id) and her live token."""
    agency = await api.agency()
    headers = await api.staff(agency["id"])
    me = (await api.ok("GET", "/staff", await api.admin(), params={"limit": 500}))["items"][-1]
    assert me["role"] == "staff"
    return agency, me, headers


async def _console_login(api: Api, username: str, password: str = PASSWORD) -> Any:
    api.client.cookies.clear()
    r = await api.client.get("/login")
    found = _TOKEN.search(r.text)
    assert found
    return await api.client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": found.group(1)},
        follow_redirects=False,
    )


async def _account_row(api: Api, account_id: int) -> Any:
    async with api.engine.connect() as conn:
        return (await conn.execute(select(m.Account).where(m.Account.id == account_id))).one()


async def test_deactivation_ends_a_live_token_and_a_console_session(api: Api) -> None:
    _, me, headers = await _staff_account(api)
    assert (await api.request("GET", "/agencies", headers)).status_code == 200
    r = await _console_login(api, me["username"])
    assert r.status_code == 303
    assert (await api.client.get("/dashboard", follow_redirects=False)).status_code == 200

    out = await api.ok("PATCH", f"/staff/{me['id']}", await api.admin(), json={"active": False})
    assert out["active"] is False

    body = assert_problem(await api.request("GET", "/agencies", headers), 401)
    assert body["detail"] == ENDED
    r = await api.client.get("/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    # and she cannot sign in again, neither to the API nor to the console
    r = await api.request(
        "POST", "/auth/token", json={"username": me["username"], "password": PASSWORD}
    )
    assert_problem(r, 401)
    assert (await _console_login(api, me["username"])).status_code == 401
    # reactivated, her old token stays ended; a new login works
    await api.ok("PATCH", f"/staff/{me['id']}", await api.admin(), json={"active": True})
    assert (await api.request("GET", "/agencies", headers)).status_code == 401
    assert (
        await api.request("GET", "/agencies", await api.login(me["username"]))
    ).status_code == 200


async def test_a_role_change_ends_her_sign_ins(api: Api) -> None:
    _, me, headers = await _staff_account(api)
    assert (await _console_login(api, me["username"])).status_code == 303
    out = await api.ok("PATCH", f"/staff/{me['id']}", await api.admin(), json={"role": "admin"})
    assert out["role"] == "admin" and out["agency_id"] is None  # the staff scope was dropped
    assert_problem(await api.request("GET", "/agencies", headers), 401)
    r = await api.client.get("/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    admin_now = await api.login(me["username"])
    assert (await api.request("GET", "/staff", admin_now)).status_code == 200


async def test_an_office_change_ends_her_token(api: Api) -> None:
    agency, me, headers = await _staff_account(api)
    office = await api.ok(
        "POST",
        "/offices",
        await api.admin(),
        json={"agency_id": agency["id"], "name": "上海办", "city": "上海"},
    )
    out = await api.ok(
        "PATCH", f"/staff/{me['id']}", await api.admin(), json={"office_id": office["id"]}
    )
    assert out["office_id"] == office["id"]
    assert_problem(await api.request("GET", "/agencies", headers), 401)


async def test_a_change_made_by_another_process_is_seen_within_a_second(api: Api) -> None:
    _, me, headers = await _staff_account(api)
    assert (await api.request("GET", "/agencies", headers)).status_code == 200
    async with api.engine.begin() as conn:  # as another API process would, unseen by this one
        await conn.execute(
            update(m.Account)
            .where(m.Account.id == me["id"])
            .values(token_epoch=m.Account.token_epoch + 1)
        )
    await asyncio.sleep(1.1)
    assert_problem(await api.request("GET", "/agencies", headers), 401)


async def test_patch_validation_names_each_field_and_writes_nothing(api: Api) -> None:
    agency, me, headers = await _staff_account(api)
    other = await api.agency()
    foreign = await api.ok(
        "POST",
        "/offices",
        await api.admin(),
        json={"agency_id": other["id"], "name": "苏州办", "city": "苏州"},
    )
    admin = await api.admin()
    before = await api.digest()
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"agency_id": None}, ["agency_id"]),
        ({"agency_id": 999999}, ["agency_id"]),
        ({"office_id": foreign["id"]}, ["office_id"]),
        ({"role": "employer"}, ["employer_id"]),
        (
            {"role": "employer", "employer_id": 999999, "agency_id": agency["id"]},
            ["employer_id", "agency_id"],
        ),
        ({"role": "admin", "agency_id": agency["id"]}, ["agency_id"]),
        ({"employer_id": 1}, ["employer_id"]),
        ({"active": "no"}, ["active"]),
        ({"role": "king"}, ["role"]),
        ({"username": "renamed"}, ["username"]),
    ]
    for body, fields in cases:
        r = await api.request("PATCH", f"/staff/{me['id']}", admin, json=body)
        problem = assert_problem(r, 422, fields[0])
        named = {e["field"] for e in problem["errors"]}
        assert set(fields) <= named, (body, problem)
    # an admin may not lock herself out
    root = (await api.ok("GET", "/staff", admin))["items"][0]
    r = await api.request(
        "PATCH", f"/staff/{root['id']}", admin, json={"active": False, "role": "staff"}
    )
    body = assert_problem(r, 422, "active")
    assert "role" in {e["field"] for e in body["errors"]}
    assert_problem(await api.request("PATCH", "/staff/999999", admin, json={"active": False}), 404)
    assert await api.digest() == before
    assert (await api.request("GET", "/agencies", headers)).status_code == 200  # still live


async def test_only_admins_change_or_reset_accounts(api: Api) -> None:
    _, me, headers = await _staff_account(api)
    before = await api.digest()
    r = await api.request("PATCH", f"/staff/{me['id']}", headers, json={"role": "admin"})
    assert_problem(r, 403)
    assert_problem(await api.request("POST", f"/staff/{me['id']}/reset-password", headers), 403)
    assert_problem(await api.request("PATCH", f"/staff/{me['id']}", json={"active": False}), 401)
    assert await api.digest() == before


async def test_a_password_change_ends_her_other_sign_ins(api: Api) -> None:
    _, me, headers = await _staff_account(api)
    assert (await _console_login(api, me["username"])).status_code == 303
    new = "a brand new passphrase"
    r = await api.request(
        "POST", "/auth/password", headers, json={"current_password": PASSWORD, "new_password": new}
    )
    assert r.status_code == 200, r.text
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert_problem(await api.request("GET", "/agencies", headers), 401)
    assert (await api.request("GET", "/agencies", fresh)).status_code == 200
    r = await api.client.get("/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = await api.request(
        "POST", "/auth/token", json={"username": me["username"], "password": PASSWORD}
    )
    assert_problem(r, 401)
    assert (
        await api.request("GET", "/agencies", await api.login(me["username"], new))
    ).status_code == 200


async def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(api: Api) -> None:
    _, me, headers = await _staff_account(api)
    row = await _account_row(api, me["id"])
    before = await api.digest()
    cases = [
        (
            {"current_password": "not my password", "new_password": "a brand new passphrase"},
            "current_password",
            "password",
        ),
        ({"current_password": PASSWORD, "new_password": "password123"}, "new_password", "common"),
        ({"current_password": PASSWORD, "new_password": "Qwerty123!"}, "new_password", "common"),
        ({"current_password": PASSWORD, "new_password": "short"}, "new_password", "10"),
        (
            {"current_password": PASSWORD, "new_password": f"{me['username']}-2026!"},
            "new_password",
            "username",
        ),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, "new_password", "differ"),
    ]
    for body, field, word in cases:
        problem = assert_problem(
            await api.request("POST", "/auth/password", headers, json=body), 422, field
        )
        assert word in error_for(problem, field), problem
    assert await api.digest() == before
    assert await _account_row(api, me["id"]) == row
    assert (await api.request("GET", "/agencies", headers)).status_code == 200


async def test_a_common_password_is_refused_when_an_account_is_made(api: Api) -> None:
    agency = await api.agency()
    before = await api.digest()
    body = {
        "username": "weakling",
        "password": "iloveyou1",
        "role": "staff",
        "agency_id": agency["id"],
    }
    for password in ("iloveyou123", "Password2024", "1234567890", "weakling2026"):
        r = await api.request(
            "POST", "/staff", await api.admin(), json=body | {"password": password}
        )
        problem = assert_problem(r, 422, "password")
        assert error_for(problem, "password"), problem
    r = await api.request(
        "POST", "/staff", await api.admin(), json=body | {"password": "iloveyou123"}
    )
    assert "common" in error_for(r.json(), "password")
    assert await api.digest() == before


async def test_an_admin_reset_gives_a_one_time_password_that_must_be_changed(api: Api) -> None:
    _, me, headers = await _staff_account(api)
    r = await api.request("POST", f"/staff/{me['id']}/reset-password", await api.admin())
    assert r.status_code == 200, r.text
    one_time = r.json()["one_time_password"]
    assert r.json()["must_change_password"] is True and len(one_time) >= 10
    assert one_time not in await api.digest_text()  # only its hash is kept
    assert_problem(await api.request("GET", "/agencies", headers), 401)  # her sign-ins ended
    assert (await _console_login(api, me["username"], one_time)).status_code == 403
    limited = await api.login(me["username"], one_time)
    assert_problem(await api.request("GET", "/agencies", limited), 403)
    r = await api.request(
        "POST",
        "/auth/password",
        limited,
        json={"current_password": one_time, "new_password": "my own passphrase now"},
    )
    assert r.status_code == 200, r.text
    mine = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await api.request("GET", "/agencies", mine)).status_code == 200
    assert_problem(await api.request("GET", "/agencies", limited), 401)


async def _token(api: Api, username: str, password: str) -> Any:
    return await api.request(
        "POST", "/auth/token", json={"username": username, "password": password}
    )


async def _failures(api: Api) -> dict[str, int]:
    async with api.engine.connect() as conn:
        rows = (await conn.execute(select(m.LoginAttempt.key, m.LoginAttempt.failures))).all()
    return {k: f for k, f in rows}


async def test_ten_failures_lock_the_username_until_the_window_passes(
    api: Api, client_host: list[str]
) -> None:
    _, me, _ = await _staff_account(api)
    user = me["username"]
    for i in range(10):
        client_host[0] = f"10.0.0.{i}"  # other addresses: the username's count alone locks
        assert_problem(await _token(api, user, "wrong password"), 401)
    assert (await _failures(api))[f"u:{user}"] == 10
    client_host[0] = "10.0.1.1"
    r = await _token(api, user, PASSWORD)
    body = assert_problem(r, 429)
    assert 1 <= int(r.headers["retry-after"]) <= 300 and "try again" in body["detail"]
    # the console's form is locked too
    assert (await _console_login(api, user)).status_code == 429
    # another username from the same address is not
    assert (await _token(api, "root", PASSWORD)).status_code == 200
    clock.travel(dt.timedelta(seconds=301))
    assert (await _token(api, user, PASSWORD)).status_code == 200
    assert f"u:{user}" not in await _failures(api)  # a success resets the username's count


async def test_ten_failures_from_one_address_lock_that_address(
    api: Api, client_host: list[str]
) -> None:
    _, me, _ = await _staff_account(api)
    client_host[0] = "192.0.2.7"
    for i in range(10):
        assert_problem(await _token(api, f"nobody{i}", "wrong password"), 401)
    r = await _token(api, me["username"], PASSWORD)
    assert_problem(r, 429)
    assert int(r.headers["retry-after"]) >= 1
    client_host[0] = "192.0.2.8"
    assert (await _token(api, me["username"], PASSWORD)).status_code == 200
    # successes do not reset an address's count
    client_host[0] = "192.0.2.7"
    assert_problem(await _token(api, me["username"], PASSWORD), 429)
    clock.travel(dt.timedelta(seconds=301))
    assert (await _token(api, me["username"], PASSWORD)).status_code == 200


async def test_a_success_resets_the_username_count(api: Api) -> None:
    _, me, _ = await _staff_account(api)
    for _round in range(3):
        for _ in range(9):
            assert_problem(await _token(api, me["username"], "wrong password"), 401)
        assert (await _token(api, me["username"], PASSWORD)).status_code == 200
        assert f"u:{me['username']}" not in await _failures(api)
        async with api.engine.begin() as conn:  # the address's count is not reset: clear it
            await conn.execute(delete(m.LoginAttempt))
