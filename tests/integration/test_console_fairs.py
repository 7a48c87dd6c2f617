"""The console's job fairs, on both databases: staff hold a fair for their own agency through
the list's form, record its attendees and consultations, and list an attending employer chosen
by name (as ``POST /job-fairs``, ``PATCH /job-fairs/{id}`` and ``POST /job-fairs/{id}/employers``
do); each with the database read afterwards. Bad input gets every error beside its field and
stores nothing; a stale counts form is refused with what changed since; staff of another
agency are 404, the federation's own fair is 403 to staff, the pages 403 to an employer."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from matching.db import models as m
from tests.integration.test_aftercare import rows
from tests.integration.test_console_training import _error, _post, _token
from tests.integration.test_web import _account, _get, _login
from tests.support import Api


async def _fairs(api: Api) -> list[Any]:
    return await rows(api, m.JobFair)


async def _attending(api: Api, fair_id: int) -> list[int]:
    async with api.engine.connect() as conn:
        found = await conn.execute(
            select(m.JobFairEmployer.employer_id).where(m.JobFairEmployer.job_fair_id == fair_id)
        )
        return sorted(int(x) for x in found.scalars())


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name}"
    return html.unescape(found.group(1))


async def _clerk_and_fair(api: Api) -> dict[str, Any]:
    """An agency, its clerk signed in to the console, and a fair it held through the form."""
    agency = await api.agency()
    clerk = await _account(api, "staff", agency_id=agency["id"])
    await _login(api, clerk)
    token = await _token(api, "/fairs")
    r = await _post(
        api, "/fairs", token, name="2027年春风行动招聘会", date="2027-02-20", place="镇文化广场"
    )
    assert r.status_code == 303, r.text
    (fair,) = await _fairs(api)
    return {"agency": agency, "clerk": clerk, "fair": fair, "token": token, "done": r}


async def test_staff_hold_a_fair_count_it_and_list_an_employer(api: Api) -> None:
    other = await api.agency()
    w = await _clerk_and_fair(api)
    fair = w["fair"]
    assert (fair.name, fair.date.isoformat(), fair.place) == (
        "2027年春风行动招聘会",
        "2027-02-20",
        "镇文化广场",
    )
    assert (fair.agency_id, fair.attendees, fair.consultations, fair.version) == (
        w["agency"]["id"],
        0,
        0,
        1,
    )
    assert w["done"].headers["location"] == f"/fairs/{fair.id}?done=fair_created"
    page = (await api.client.get(w["done"].headers["location"])).text
    assert "招聘会已设立" in page and "记录参会人数和咨询人次" in page
    # staff hold fairs for their own agency whatever the form says
    r = await _post(
        api, "/fairs", w["token"], name="秋季招聘会", date="2027-09-01", place="县体育馆",
        agency_id=str(other["id"]),
    )  # fmt: skip
    assert r.status_code == 303, r.text
    assert {f.agency_id for f in await _fairs(api)} == {w["agency"]["id"]}
    listing = (await _get(api, "/fairs")).text
    assert "秋季招聘会" in listing and "2027-09-01" in listing

    page = (await _get(api, f"/fairs/{fair.id}")).text
    r = await _post(
        api,
        f"/fairs/{fair.id}/counts",
        w["token"],
        version=_hidden(page, "version"),
        was=_hidden(page, "was"),
        attendees="1200",
        consultations="345",
    )
    assert r.status_code == 303, r.text
    (fair,) = await rows(api, m.JobFair, m.JobFair.id == fair.id)
    assert (fair.attendees, fair.consultations, fair.version) == (1200, 345, 2)
    page = (await api.client.get(r.headers["location"])).text
    assert "招聘会的数字已保存" in page and 'name="version" value="2"' in page
    assert "<b>1200</b>" in page and "<b>345</b>" in page

    employer = await api.employer(name="宏达电子", city="苏州")
    page = (await _get(api, f"/fairs/{fair.id}")).text
    assert f'<option value="{employer["id"]}">宏达电子 · 苏州</option>' in page  # by name
    r = await _post(api, f"/fairs/{fair.id}/employers", w["token"], employer_id=str(employer["id"]))
    assert r.status_code == 303, r.text
    assert await _attending(api, fair.id) == [employer["id"]]
    page = (await api.client.get(r.headers["location"])).text
    assert "该单位已登记参会" in page and "<li>宏达电子 · 苏州</li>" in page
    assert f'<option value="{employer["id"]}">' not in page  # listed: no longer offered
    assert "所有单位都已登记参会" in page


async def test_a_bad_fair_gets_every_error_beside_its_field_and_stores_nothing(api: Api) -> None:
    agency = await api.agency()
    clerk = await _account(api, "staff", agency_id=agency["id"])
    await _login(api, clerk)
    token = await _token(api, "/fairs")
    before = await api.digest()
    r = await _post(api, "/fairs", token, name="", date="2027-13-01", place="\u200b")
    assert r.status_code == 422, r.text
    assert _error(r.text, "name") == "不能为空"
    assert "年-月-日" in _error(r.text, "date")
    assert _error(r.text, "place")  # nothing visible: the service's check, shown at once
    assert 'value="2027-13-01"' in r.text  # what the clerk typed is kept
    assert await api.digest() == before
    # a date out of the plausible days (the service) beside a name too long (the form)
    r = await _post(api, "/fairs", token, name="会" * 201, date="1800-01-01", place="广场")
    assert r.status_code == 422, r.text
    assert "200" in _error(r.text, "name") and _error(r.text, "date")
    assert await api.digest() == before
    r = await _post(api, "/fairs", token)
    assert r.status_code == 422
    for field in ("name", "date", "place"):
        assert _error(r.text, field) == "不能为空", field
    assert await api.digest() == before

    admin = await _account(api, "admin")
    await _login(api, admin)
    token = await _token(api, "/fairs")
    page = (await _get(api, "/fairs")).text
    assert "妇联自办（不属任何中介公司）" in page and f'<option value="{agency["id"]}">' in page
    before = await api.digest()  # with the admin's account
    r = await _post(
        api, "/fairs", token, name="联合会招聘会", date="2027-0-1", place="市广场",
        agency_id="999999",
    )  # fmt: skip
    assert r.status_code == 422, r.text
    assert _error(r.text, "agency_id") and _error(r.text, "date")
    assert await api.digest() == before
    # the federation's own fair: no agency
    r = await _post(api, "/fairs", token, name="联合会招聘会", date="2027-03-01", place="市广场")
    assert r.status_code == 303, r.text
    (fair,) = await _fairs(api)
    assert fair.agency_id is None


async def test_bad_counts_and_a_stale_form_store_nothing(api: Api) -> None:
    w = await _clerk_and_fair(api)
    fair_id = w["fair"].id
    page = (await _get(api, f"/fairs/{fair_id}")).text
    form = {"version": _hidden(page, "version"), "was": _hidden(page, "was")}
    before = await api.digest()
    path = f"/fairs/{fair_id}/counts"
    r = await _post(api, path, w["token"], **form, attendees="-3", consultations="很多")
    assert r.status_code == 422, r.text
    assert "0" in _error(r.text, "attendees") and _error(r.text, "consultations")
    assert 'value="很多"' in r.text
    r = await _post(api, path, w["token"], **form, attendees="", consultations="1" * 12)
    assert r.status_code == 422
    assert _error(r.text, "attendees") == "不能为空" and _error(r.text, "consultations")
    assert await api.digest() == before

    # someone else records the figures through the API meanwhile
    staff = await api.login(w["clerk"])
    body = {"version": 1, "attendees": 50}
    await api.ok("PATCH", f"/job-fairs/{fair_id}", staff, json=body)
    before = await api.digest()
    r = await _post(api, path, w["token"], **form, attendees="80", consultations="12")
    assert r.status_code == 409, r.text
    stale = r.text[r.text.index('id="stale"') :]
    assert "参会人数：0 → 50" in stale and "咨询人次" not in stale.split("</ul>")[0]
    assert 'value="80"' in r.text and 'name="version" value="2"' in r.text  # typed, fresh
    assert await api.digest() == before
    (fair,) = await rows(api, m.JobFair, m.JobFair.id == fair_id)
    assert (fair.attendees, fair.consultations, fair.version) == (50, 0, 2)
    # stale and wrong at once: both said
    r = await _post(api, path, w["token"], **form, attendees="x", consultations="12")
    assert r.status_code == 409 and 'id="stale"' in r.text and _error(r.text, "attendees")
    r = await _post(api, path, w["token"], attendees="80", consultations="12")  # no version
    assert r.status_code == 409 and 'id="stale"' in r.text
    assert await api.digest() == before
    # saved again from the page as it is now
    fresh = {"version": _hidden(r.text, "version"), "was": _hidden(r.text, "was")}
    r = await _post(api, path, w["token"], **fresh, attendees="80", consultations="12")
    assert r.status_code == 303, r.text
    (fair,) = await rows(api, m.JobFair, m.JobFair.id == fair_id)
    assert (fair.attendees, fair.consultations, fair.version) == (80, 12, 3)


async def test_a_bad_employer_choice_is_said_beside_it_and_stores_nothing(api: Api) -> None:
    w = await _clerk_and_fair(api)
    fair_id = w["fair"].id
    employer = await api.employer(name="锦绣制衣")
    path = f"/fairs/{fair_id}/employers"
    before = await api.digest()
    r = await _post(api, path, w["token"], employer_id="")
    assert r.status_code == 422 and _error(r.text, "employer_id") == "请选择其中一项"
    r = await _post(api, path, w["token"], employer_id="abc")
    assert r.status_code == 422 and _error(r.text, "employer_id")
    r = await _post(api, path, w["token"], employer_id="999999")
    assert r.status_code == 422 and "999999" in _error(r.text, "employer_id")
    assert await api.digest() == before
    r = await _post(api, path, w["token"], employer_id=str(employer["id"]))
    assert r.status_code == 303
    before = await api.digest()
    r = await _post(api, path, w["token"], employer_id=str(employer["id"]))  # a second time
    assert r.status_code == 422 and "锦绣制衣" in _error(r.text, "employer_id")
    assert await api.digest() == before
    assert await _attending(api, fair_id) == [employer["id"]]


async def test_who_may_see_and_change_a_fair(api: Api) -> None:
    w = await _clerk_and_fair(api)
    mine = w["fair"].id
    admin = await _account(api, "admin")
    await _login(api, admin)
    token = await _token(api, "/fairs")
    r = await _post(api, "/fairs", token, name="联合会招聘会", date="2027-03-01", place="市广场")
    federation = int(r.headers["location"].split("/")[2].split("?")[0])
    employer = await api.employer()

    stranger = await _account(api, "staff", agency_id=(await api.agency())["id"])
    await _login(api, stranger)
    token = await _token(api, "/fairs")
    before = await api.digest()
    assert (await _get(api, f"/fairs/{mine}")).status_code == 404
    r = await _post(api, f"/fairs/{mine}/counts", token, version="1", attendees="9")
    assert r.status_code == 404
    # the federation's fair is shown to every clerk, changed by admins only
    page = (await _get(api, f"/fairs/{federation}")).text
    assert f'action="/fairs/{federation}/counts"' not in page
    assert f'action="/fairs/{federation}/employers"' not in page
    r = await _post(
        api, f"/fairs/{federation}/counts", token, version="1", attendees="9", consultations="0"
    )
    assert r.status_code == 403
    r = await _post(api, f"/fairs/{federation}/employers", token, employer_id=str(employer["id"]))
    assert r.status_code == 403
    assert await api.digest() == before

    hr = await _account(api, "employer", employer_id=employer["id"])
    await _login(api, hr)
    token = await _token(api, "/employer")
    before = await api.digest()  # with the employer's account
    assert (await _get(api, "/fairs")).status_code == 403
    r = await _post(api, "/fairs", token, name="我们的招聘会", date="2027-03-01", place="厂区")
    assert r.status_code == 403
    assert await api.digest() == before
