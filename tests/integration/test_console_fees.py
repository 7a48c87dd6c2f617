"""The console's fee schedule page, on both databases: staff see their agency's versions and
publish the next through the form (as ``POST /agencies/{id}/fee-schedule``); an admin chooses
the agency; bad rows get every error beside its field and store nothing; another agency's
schedule is 404 to staff and the page is 403 to an employer."""

from __future__ import annotations

import re

from sqlalchemy import select

from matching.db import models as m
from tests.integration.test_console_training import _error, _post, _token
from tests.integration.test_web import _account, _get, _login
from tests.support import Api


async def _versions(api: Api, agency_id: int) -> list[tuple[int, list[dict[str, object]]]]:
    async with api.engine.connect() as conn:
        found = await conn.execute(
            select(m.FeeSchedule.version, m.FeeSchedule.rules)
            .where(m.FeeSchedule.agency_id == agency_id)
            .order_by(m.FeeSchedule.version)
        )
        return [(r.version, r.rules) for r in found]


async def test_staff_publish_versions_through_the_form(api: Api) -> None:
    agency = await api.agency()
    clerk = await _account(api, "staff", agency_id=agency["id"])
    await _login(api, clerk)
    page = (await _get(api, "/fee-schedule")).text
    assert "收费标准" in page and "尚未发布收费标准" in page and 'href="/fee-schedule"' in page
    token = await _token(api, "/fee-schedule")
    fields = {"agency_id": str(agency["id"]), "amount_0": "300", "city_1": "上海"}
    fields |= {"amount_1": "500", "city_2": " 上海 ", "industry_2": "服装", "amount_2": "600"}
    r = await _post(api, "/fee-schedule", token, **fields)
    assert r.status_code == 303, r.text
    assert await _versions(api, agency["id"]) == [
        (
            1,
            [
                {"destination_city": None, "industry": None, "amount": 300},
                {"destination_city": "上海", "industry": None, "amount": 500},
                {"destination_city": "上海", "industry": "服装", "amount": 600},
            ],
        )
    ]
    assert r.headers["location"] == f"/fee-schedule?agency={agency['id']}&done=saved"
    page = (await api.client.get(r.headers["location"])).text
    assert 'class="flash"' in page
    assert "第 1 版" in page and "现行" in page and clerk in page  # who published, by name
    # the form starts the next version from the one in force
    assert 'name="city_2" value="上海"' in page and 'name="amount_2" value="600"' in page

    r = await _post(api, "/fee-schedule", token, agency_id=str(agency["id"]), amount_0="450")
    assert r.status_code == 303, r.text
    assert [v for v, _ in await _versions(api, agency["id"])] == [1, 2]
    page = (await _get(api, "/fee-schedule")).text
    assert page.index('id="version-2"') < page.index('id="version-1"')  # newest first


async def test_bad_rows_show_every_error_beside_its_field_and_store_nothing(api: Api) -> None:
    agency = await api.agency()
    clerk = await _account(api, "staff", agency_id=agency["id"])
    await _login(api, clerk)
    token = await _token(api, "/fee-schedule")
    before = await api.digest()
    bad = {
        "agency_id": str(agency["id"]),
        "city_0": "上海",  # no amount
        "amount_1": "-5",
        "amount_2": "三百",
        "industry_3": "服" * 101,
        "amount_3": "100",
        "city_4": "苏州",
        "amount_4": "200",
        "city_5": "苏州",  # repeats row 5's city and industry
        "amount_5": "250",
        "city_6": "\u200b",  # nothing visible
        "amount_6": "10",
    }
    r = await _post(api, "/fee-schedule", token, **bad)
    assert r.status_code == 422, r.text
    for field in ("amount_0", "amount_1", "amount_2", "industry_3"):
        assert _error(r.text, field), field
    assert 'value="三百"' in r.text  # what the clerk typed is kept
    assert await api.digest() == before
    # the form's own checks passed: the service's refusals show beside their rows too
    good_but_two = {
        k: v for k, v in bad.items() if not re.match(r"(city|amount|industry)_[0-3]", k)
    }
    r = await _post(api, "/fee-schedule", token, **good_but_two)
    assert r.status_code == 422, r.text
    assert _error(r.text, "city_5") and _error(r.text, "city_6")
    assert await api.digest() == before
    r = await _post(api, "/fee-schedule", token, agency_id=str(agency["id"]))
    assert r.status_code == 422 and "至少要有一条规则" in r.text
    assert await api.digest() == before


async def test_an_admin_chooses_the_agency_others_are_refused(api: Api) -> None:
    mine, other = await api.agency(), await api.agency()
    admin = await _account(api, "admin")
    await _login(api, admin)
    page = (await _get(api, f"/fee-schedule?agency={other['id']}")).text
    assert f'<option value="{other["id"]}" selected>' in page
    token = await _token(api, "/fee-schedule")
    r = await _post(api, "/fee-schedule", token, agency_id=str(other["id"]), amount_0="100")
    assert r.status_code == 303, r.text
    assert [v for v, _ in await _versions(api, other["id"])] == [1]
    assert await _versions(api, mine["id"]) == []

    clerk = await _account(api, "staff", agency_id=mine["id"])
    await _login(api, clerk)
    token = await _token(api, "/fee-schedule")
    # staff publish for their own agency whatever the form says
    r = await _post(api, "/fee-schedule", token, agency_id=str(other["id"]), amount_0="1")
    assert r.status_code == 303
    assert [v for v, _ in await _versions(api, other["id"])] == [1]
    assert [v for v, _ in await _versions(api, mine["id"])] == [1]

    employer = await api.employer()
    hr = await _account(api, "employer", employer_id=employer["id"])
    await _login(api, hr)
    before = await api.digest()
    assert (await _get(api, "/fee-schedule")).status_code == 403
    token = await _token(api, "/employer")
    r = await _post(api, "/fee-schedule", token, agency_id=str(mine["id"]), amount_0="1")
    assert r.status_code == 403
    assert await api.digest() == before
