"""What an employer account sees, on every route it can open (API and console): her name,
skills and levels, availability; never her home county, priority group, check-in answers,
rights-case texts, ID number (masked or not), phone or birth date. Both databases."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import update

from matching.db import models as m
from matching.lib import clock
from matching.lib.identity import mask_id_number
from matching.lib.reference import reference
from tests.integration.test_matching import wait_run
from tests.support import PASSWORD, Api, id_number_for, unique_phone

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')

COUNTY = "如东县"
BORN = "1990-05-17"
PROBLEM = "十月工资拖了两周"
NOTE = "回访电话记录：她说想换厂"
CASE = "厂方拖欠十月工资两周共八千元"


async def placed_world(api: Api) -> dict[str, Any]:
    """A military spouse from 如东县 placed at home (so a reason names her county), with a
    worrying check-in, a rights case, and the employer's login for the API and the console."""
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="如东绣品厂")
    username = f"hr{unique_phone()[-6:]}"
    body = {
        "username": username,
        "password": PASSWORD,
        "role": "employer",
        "employer_id": employer["id"],
    }
    await api.ok("POST", "/staff", await api.admin(), json=body)
    hr = await api.login(username)
    phone = unique_phone()
    id_number = id_number_for(dt.date.fromisoformat(BORN), region="320623")
    her = await api.worker(
        staff,
        name="陈秀珍",
        phone=phone,
        birth_date=BORN,
        id_number=id_number,
        home_county=COUNTY,
        priority_groups=["military_spouse"],
        willing_to_relocate=False,
        preferred_cities=["南通"],
        skills=[{"code": "embroidery", "level": 4}],
    )
    opening = await api.opening(
        hr,
        employer["id"],
        title="绣工",
        city="南通",
        county=COUNTY,
        headcount=1,
        required_skills=[{"code": "embroidery", "min_level": 3}],
    )
    r = await api.request("POST", "/match-runs", staff, json={})
    run = await wait_run(api, staff, r.json()["id"])
    assert run["status"] == "done", run
    staff_view = await api.ok("GET", f"/match-runs/{run['id']}/proposals", staff)
    assert [p["worker_id"] for p in staff_view["items"]] == [her["id"]]
    # staff still see every reason: her group and her home county
    assert "军嫂" in staff_view["items"][0]["reasons"][0]
    assert any(COUNTY in x for x in staff_view["items"][0]["reasons"])
    offers = await api.ok("GET", f"/workers/{her['id']}/offers", staff)
    offer_id = offers["items"][0]["id"]
    await api.ok("POST", f"/offers/{offer_id}/accept", staff)
    placement_id = (await api.ok("POST", f"/offers/{offer_id}/confirm", hr))["placement_id"]
    clock.travel(dt.timedelta(days=14 + 7))
    checkin = {
        "channel": "phone",
        "wages_on_time": False,
        "hours_as_agreed": False,
        "housing_as_promised": True,
        "problem": PROBLEM,
        "note": NOTE,
    }
    await api.ok("POST", f"/placements/{placement_id}/follow-ups/1", staff, json=checkin)
    case = await api.ok(
        "POST",
        "/cases",
        staff,
        json={"placement_id": placement_id, "type": "wage_arrears", "summary": CASE},
    )
    staff_placement = await api.ok("GET", f"/placements/{placement_id}", staff)
    assert staff_placement["follow_ups"][0]["answers"]["problem"] == PROBLEM  # staff see it
    return {
        "staff": staff,
        "hr": hr,
        "username": username,
        "employer": employer,
        "her": her,
        "opening": opening,
        "run": run,
        "offer_id": offer_id,
        "placement_id": placement_id,
        "case_id": case["id"],
        "phone": phone,
        "id_number": id_number,
    }


def secrets(w: dict[str, Any], *, html: bool) -> list[str]:
    """What must never reach the employer. In HTML the bare code ``disabled`` is left out: it
    is also an attribute of form controls (its names, 残疾人 and the English one, are checked)."""
    groups = reference().groups
    codes = [g.code for g in groups if not (html and g.code == "disabled")]
    names = [g.zh for g in groups] + [g.en for g in groups]
    digits = w["phone"].lstrip("+").removeprefix("86")
    return [
        *codes,
        *names,
        "优先群体",
        "priority group",
        "家乡",
        "home county",
        "wages_on_time",
        "hours_as_agreed",
        PROBLEM,
        NOTE,
        CASE,
        "wage_arrears",
        w["id_number"],
        mask_id_number(w["id_number"]),
        digits,
        BORN,
    ]


def assert_clean(body: str, w: dict[str, Any], where: str, *, html: bool, county: bool) -> None:
    """``county``: the page may show the opening's own county (the employer's own data)."""
    found = [s for s in secrets(w, html=html) if s and s in body]
    if not county and COUNTY in body:
        found.append(COUNTY)
    assert not found, f"{where} shows {found}: {body[:2000]}"


async def test_every_api_route_an_employer_opens_hides_her_private_data(api: Api) -> None:
    w = await placed_world(api)
    hr, pid, rid = w["hr"], w["placement_id"], w["run"]["id"]
    wid, eid, oid = w["her"]["id"], w["employer"]["id"], w["opening"]["id"]
    # (path, status, whether the opening's own county may appear)
    routes = [
        (f"/placements/{pid}", 200, False),
        ("/placements", 200, False),
        (f"/placements?opening_id={oid}", 200, False),
        (f"/match-runs/{rid}/proposals", 200, False),
        (f"/match-runs/{rid}/proposals?lang=en", 200, False),
        (f"/match-runs/{rid}/proposals?opening_id={oid}", 200, False),
        (f"/offers/{w['offer_id']}", 200, False),
        ("/openings", 200, True),
        (f"/openings/{oid}", 200, True),
        (f"/openings?employer_id={eid}", 200, True),
        ("/employers", 200, False),
        (f"/employers/{eid}", 200, False),
        # refused to employer accounts: the refusal must not carry her data either
        (f"/match-runs/{rid}", 403, False),
        (f"/match-runs/{rid}/workers/{wid}", 403, False),
        (f"/workers/{wid}", 403, False),
        (f"/workers?q={w['her']['name']}", 403, False),
        (f"/workers/{wid}/offers", 403, False),
        (f"/workers/{wid}/consents", 403, False),
        (f"/workers/{wid}/export", 403, False),
        ("/cases", 403, False),
        (f"/cases/{w['case_id']}", 403, False),
        ("/tasks", 403, False),
        ("/notices", 403, False),
        (f"/employers/{eid}/standing", 403, False),
    ]
    for path, status, county in routes:
        r = await api.request("GET", path, hr)
        expected = (200,) if status == 200 else (403, 404)
        assert r.status_code in expected, (path, r.status_code, r.text)
        assert_clean(r.text, w, f"GET {path}", html=False, county=county)

    placement = await api.ok("GET", f"/placements/{pid}", hr)
    assert [f["status"] for f in placement["follow_ups"]] == ["done", "scheduled", "scheduled"]
    assert all(f["answers"] is None and f["answered_at"] is None for f in placement["follow_ups"])
    assert placement["fee_waived"] is None and placement["fee_due"] is None
    proposals = (await api.ok("GET", f"/match-runs/{rid}/proposals", hr))["items"]
    assert len(proposals) == 1 and proposals[0]["worker_name"] == "陈秀珍"
    assert proposals[0]["priority"] is None and proposals[0]["runners_up"] == []
    # what she is proposed for is still said: her skill and level, and when she can start
    assert any("绣花4级" in x for x in proposals[0]["reasons"]), proposals[0]["reasons"]
    assert any("开工" in x for x in proposals[0]["reasons"]), proposals[0]["reasons"]


async def test_reasons_stored_before_kinds_were_finer_are_not_shown_to_employers(
    api: Api,
) -> None:
    w = await placed_world(api)
    legacy = [
        {"kind": "priority", "zh": "优先群体：军嫂", "en": "priority group: military spouse"},
        {"kind": "rule", "zh": f"岗位在您的家乡{COUNTY}", "en": f"your home county {COUNTY}"},
    ]
    async with api.engine.begin() as conn:
        await conn.execute(update(m.Proposal).values(reasons=legacy))
    page = await api.ok("GET", f"/match-runs/{w['run']['id']}/proposals", w["hr"])
    assert page["items"][0]["reasons"] == []
    assert_clean(repr(page), w, "legacy proposals", html=False, county=False)
    staff_page = await api.ok("GET", f"/match-runs/{w['run']['id']}/proposals", w["staff"])
    assert staff_page["items"][0]["reasons"] == [x["zh"] for x in legacy]


async def test_every_console_page_an_employer_opens_hides_her_private_data(api: Api) -> None:
    w = await placed_world(api)
    api.client.cookies.clear()
    page = await api.client.get("/login")
    token = _CSRF.search(page.text)
    assert token
    r = await api.client.post(
        "/login",
        data={"username": w["username"], "password": PASSWORD, "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    pid, rid, wid = w["placement_id"], w["run"]["id"], w["her"]["id"]
    pages = [
        ("/employer", 200, True),
        ("/employer/candidates", 200, False),
        ("/employer/candidates?status=confirmed", 200, False),
        ("/openings", 200, True),
        ("/openings/new", 200, False),
        ("/placements", 200, False),
        ("/placements?status=", 200, False),
        (f"/placements/{pid}", 200, False),
        # staff pages: refused, and the refusal shows nothing of hers
        ("/dashboard", 403, False),
        (f"/workers/{wid}", 403, False),
        ("/workers", 403, False),
        (f"/runs/{rid}", 403, False),
        ("/runs", 403, False),
        ("/offers", 403, False),
        ("/followups", 403, False),
        ("/cases", 403, False),
        (f"/cases/{w['case_id']}", 403, False),
    ]
    try:
        for path, status, county in pages:
            r = await api.client.get(path, follow_redirects=False)
            assert r.status_code == status, (path, r.status_code, r.text[:500])
            assert_clean(r.text, w, f"page {path}", html=True, county=county)
        confirmed = (await api.client.get("/employer/candidates?status=confirmed")).text
        assert "陈秀珍" in confirmed and "绣花 4" in confirmed  # name, skill and level shown
    finally:
        api.client.cookies.clear()
