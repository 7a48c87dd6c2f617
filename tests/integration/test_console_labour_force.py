"""The admin's labour force page, on both databases: each agency by name with the count it
recorded for a chosen year (this year in Beijing unless chosen), and the form that records one
(as ``PUT /labour-force/{year}``), read back from the database and by the reports' summary.
Bad input (negative, not a number, empty, a year out of range, no agency) gets every error
beside its field and stores nothing; staff and employers are refused."""

from __future__ import annotations

import datetime as dt

from matching.db import models as m
from matching.lib import clock
from tests.integration.test_aftercare import rows
from tests.integration.test_console_training import _error, _post, _token
from tests.integration.test_web import _account, _get, _login
from tests.support import Api

PAGE = "/admin/labour-force"


async def _recorded(api: Api) -> list[tuple[int, int, int]]:
    found = await rows(api, m.LabourForce)
    return sorted((r.agency_id, r.year, r.count) for r in found)


async def test_an_admin_records_each_agencys_labour_force(api: Api) -> None:
    new_year = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)  # 2027-01-01 01:00 in Beijing
    clock.travel(new_year - clock.now())
    east, west = await api.agency("东乡劳务站"), await api.agency("西乡劳务站")
    await _login(api, await _account(api, "admin"))
    assert 'href="/admin/labour-force"' in (await _get(api, "/admin")).text
    page = (await _get(api, PAGE)).text
    assert 'id="f-view" name="year" value="2027"' in page  # this year where the agencies work
    assert "2027 年的登记" in page
    assert page.count("未登记") == 2 and "东乡劳务站" in page and "西乡劳务站" in page
    assert f'<option value="{east["id"]}">东乡劳务站</option>' in page  # chosen by name
    assert 'name="count" value="" required inputmode="numeric" maxlength="12"' in page

    token = await _token(api, PAGE)
    r = await _post(api, PAGE, token, year="2027", agency_id=str(east["id"]), count="52000")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{PAGE}?year=2027&done=labour_force_saved"
    assert await _recorded(api) == [(east["id"], 2027, 52000)]
    page = (await api.client.get(r.headers["location"])).text
    assert "总劳动力已登记" in page and "52,000" in page and page.count("未登记") == 1
    # a new figure replaces the old; another year is its own
    r = await _post(api, PAGE, token, year="2027", agency_id=str(east["id"]), count="51800")
    assert r.status_code == 303
    r = await _post(api, PAGE, token, year="2026", agency_id=str(west["id"]), count=" 0 ")
    assert r.status_code == 303
    assert await _recorded(api) == [(east["id"], 2027, 51800), (west["id"], 2026, 0)]
    page = (await _get(api, f"{PAGE}?year=2026")).text
    assert "2026 年的登记" in page and page.count("未登记") == 1
    # the link beside a row starts the form with that agency and its figure
    page = (await _get(api, f"{PAGE}?year=2027&agency={east['id']}")).text
    assert f'<option value="{east["id"]}" selected>' in page and 'value="51800"' in page

    summary = await api.ok(
        "GET",
        f"/reports/summary?from=2027-01-01&to=2027-12-31&agency_id={east['id']}",
        await api.admin(),
    )
    assert summary["labour_force"] == 51800  # the share transferred is of it


async def test_bad_input_gets_every_error_beside_its_field_and_stores_nothing(api: Api) -> None:
    agency = await api.agency("南乡劳务站")
    await _login(api, await _account(api, "admin"))
    token = await _token(api, PAGE)
    before = await api.digest()
    r = await _post(api, PAGE, token, year="1999", agency_id=str(agency["id"]), count="-5")
    assert r.status_code == 422, r.text
    assert "2000" in _error(r.text, "year") and "0" in _error(r.text, "count")
    assert 'value="1999"' in r.text and 'value="-5"' in r.text  # what she typed is kept
    assert await api.digest() == before
    # one field wrong, the rest right: the service takes a stand-in for it, and nothing stays
    for bad in ({"year": "abc", "count": "5"}, {"year": "2026", "count": "-5"}):
        r = await _post(api, PAGE, token, agency_id=str(agency["id"]), **bad)
        assert r.status_code == 422, bad
        assert _error(r.text, "year" if bad["year"] == "abc" else "count"), bad
        assert await api.digest() == before, bad
    r = await _post(api, PAGE, token, year="", agency_id="", count="")
    assert r.status_code == 422
    assert _error(r.text, "year") == "不能为空" and _error(r.text, "count") == "不能为空"
    assert _error(r.text, "agency_id") == "请选择其中一项"
    r = await _post(api, PAGE, token, year="二〇二六", agency_id="999999", count="五万")
    assert r.status_code == 422
    for field in ("year", "agency_id", "count"):
        assert _error(r.text, field), field
    assert "999999" in _error(r.text, "agency_id")
    r = await _post(api, PAGE, token, year="2101", agency_id=str(agency["id"]), count="1" * 10)
    assert r.status_code == 422
    assert _error(r.text, "year") and _error(r.text, "count")
    assert await api.digest() == before
    # a year to show that is none, or out of range, is said beside the year box
    r = await _get(api, f"{PAGE}?year=1999")
    assert r.status_code == 422 and "2000" in _error(r.text, "view")
    r = await _get(api, f"{PAGE}?year=abc")
    assert r.status_code == 422 and _error(r.text, "view")
    assert await api.digest() == before


async def test_staff_and_employers_are_refused(api: Api) -> None:
    agency = await api.agency()
    employer = await api.employer()
    scopes = {"staff": {"agency_id": agency["id"]}, "employer": {"employer_id": employer["id"]}}
    for role, scope in scopes.items():
        await _login(api, await _account(api, role, **scope))
        token = await _token(api, "/password")
        before = await api.digest()
        assert (await _get(api, PAGE)).status_code == 403, role
        r = await _post(api, PAGE, token, year="2026", agency_id=str(agency["id"]), count="9")
        assert r.status_code == 403, role
        assert await api.digest() == before
    assert await _recorded(api) == []
