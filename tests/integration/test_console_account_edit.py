"""The admin changes an account's role and scope in the console, on both databases: the
agency, office and employer chosen by name; a combination the role does not have is refused
by the service's own rules, in Chinese beside each field, and nothing is stored; a change ends
the account's sign-ins; staff get 403 and an unknown account 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from matching.db import models as m
from tests.integration.test_console_training import _error, _post
from tests.integration.test_web import _account, _get, _login
from tests.support import Api


async def _row(api: Api, username: str) -> Any:
    async with api.engine.connect() as conn:
        q = select(m.Account).where(m.Account.username == username)
        return (await conn.execute(q)).one()


async def _world(api: Api) -> dict[str, Any]:
    first = await api.agency(name="兴义市劳务公司")
    second = await api.agency(name="安龙县就业局")
    admin = await api.admin()
    office = await api.ok(
        "POST",
        "/offices",
        admin,
        json={"agency_id": second["id"], "name": "苏州工作站", "city": "苏州"},
    )
    employer = await api.employer(agency_id=first["id"], name="宏达电子")
    clerk = await _account(api, "staff", agency_id=first["id"])
    boss = await _account(api, "admin")
    token = await _login(api, boss)
    return {
        "first": first,
        "second": second,
        "office": office,
        "employer": employer,
        "clerk": clerk,
        "token": token,
    }


async def test_the_admin_moves_a_clerk_and_makes_her_an_employer_account(api: Api) -> None:
    w = await _world(api)
    clerk = await _row(api, w["clerk"])
    assert f'href="/admin/accounts/{clerk.id}/edit"' in (await _get(api, "/admin")).text
    page = (await _get(api, f"/admin/accounts/{clerk.id}/edit")).text
    assert "苏州工作站" in page and "安龙县就业局" in page and "宏达电子" in page  # by name
    path = f"/admin/accounts/{clerk.id}/edit"
    r = await _post(
        api,
        path,
        w["token"],
        role="staff",
        agency_id=str(w["second"]["id"]),
        office_id=str(w["office"]["id"]),
        employer_id="",
    )
    assert r.status_code == 303, r.text
    moved = await _row(api, w["clerk"])
    assert (moved.role, moved.agency_id, moved.office_id, moved.employer_id) == (
        "staff",
        w["second"]["id"],
        w["office"]["id"],
        None,
    )
    assert moved.token_epoch == clerk.token_epoch + 1  # her sign-ins ended

    r = await _post(
        api,
        path,
        w["token"],
        role="employer",
        agency_id="",
        office_id="",
        employer_id=str(w["employer"]["id"]),
    )
    assert r.status_code == 303, r.text
    hr = await _row(api, w["clerk"])
    assert (hr.role, hr.agency_id, hr.office_id, hr.employer_id) == (
        "employer",
        None,
        None,
        w["employer"]["id"],
    )


async def test_inconsistent_scopes_are_refused_beside_each_field(api: Api) -> None:
    w = await _world(api)
    clerk = await _row(api, w["clerk"])
    path = f"/admin/accounts/{clerk.id}/edit"
    before = await api.digest()
    # staff with an employer, and an office of another agency
    r = await _post(
        api,
        path,
        w["token"],
        role="staff",
        agency_id=str(w["first"]["id"]),
        office_id=str(w["office"]["id"]),
        employer_id=str(w["employer"]["id"]),
    )
    assert r.status_code == 422
    assert _error(r.text, "office_id") == "该机构没有这个办事处"
    assert _error(r.text, "employer_id") == "只有用人单位账号属于用人单位"
    # an employer account with an agency and no employer
    r = await _post(
        api,
        path,
        w["token"],
        role="employer",
        agency_id=str(w["first"]["id"]),
        office_id="",
        employer_id="",
    )
    assert r.status_code == 422
    assert _error(r.text, "employer_id") == "用人单位账号须属于一个用人单位"
    assert _error(r.text, "agency_id") == "用人单位账号不属于机构或办事处"
    # crafted values: a role there is not and an agency that is not a number
    r = await _post(api, path, w["token"], role="boss", agency_id="x", office_id="", employer_id="")
    assert r.status_code == 422
    assert _error(r.text, "role") == "请选择其中一项"
    assert _error(r.text, "agency_id") == "请选择其中一项"
    assert await api.digest() == before
    assert (await _row(api, w["clerk"])).agency_id == w["first"]["id"]


async def test_staff_may_not_and_an_unknown_account_is_404(api: Api) -> None:
    w = await _world(api)
    clerk = await _row(api, w["clerk"])
    path = f"/admin/accounts/{clerk.id}/edit"
    r = await _post(api, "/admin/accounts/999999/edit", w["token"], role="admin")
    assert r.status_code == 404
    assert (await _get(api, "/admin/accounts/999999/edit")).status_code == 404
    token = await _login(api, w["clerk"])
    before = await api.digest()
    assert (await _get(api, path)).status_code == 403
    r = await _post(api, path, token, role="admin", agency_id="", office_id="", employer_id="")
    assert r.status_code == 403
    assert await api.digest() == before
    assert (await _row(api, w["clerk"])).role == "staff"
