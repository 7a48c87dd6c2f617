"""Rules a clerk could slip past (issue 11, item 6), on both databases: a gender asked for in an
opening's words, a consent box ticked for her, a placement ended before it starts, a check-in
before she starts, and dates at the ends of the calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from matching.lib import clock
from tests.integration.test_aftercare import offer_of, run
from tests.integration.test_web import _account, _login
from tests.support import Api, assert_problem, error_for, opening_payload

ASKS_A_GENDER = ("缝纫车工（限女性）", "只招男工", "限男性", "女工优先", "Packer (women only)")
ASKS_NONE = ("妇女之家缝纫车工", "女装车工", "男装裁剪", "不限男女", "男女宿舍分开")
EXTREMES = ("0001-01-01", "9999-12-31")


async def test_a_gender_in_an_openings_title_is_refused_citing_the_law(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="妇女之家服装厂")
    opening = await api.opening(staff, employer["id"])
    before = await api.digest()
    for title in ASKS_A_GENDER:
        body = opening_payload(employer["id"], title=title, monthly_wage_min=9000)
        r = await api.request("POST", "/openings", staff, json=body)
        found = assert_problem(r, 422)
        fields = {e["field"] for e in found["errors"]}
        assert {"title", "monthly_wage_min"} <= fields, (title, found)  # every field at once
        assert "Employment Promotion Law" in error_for(found, "title")
        r = await api.request(
            "PATCH", f"/openings/{opening['id']}", staff, json={"version": 1, "title": title}
        )
        assert "Employment Promotion Law" in error_for(assert_problem(r, 422, "title"), "title")
    assert await api.digest() == before
    for title in ASKS_NONE:
        await api.opening(staff, employer["id"], title=title)


async def test_the_console_refuses_a_gender_in_the_title(api: Api) -> None:
    agency = await api.agency()
    employer = await api.employer(agency_id=agency["id"], name="妇女之家服装厂")
    token = await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    body = {
        "_csrf_token": token,
        "employer_id": str(employer["id"]),
        "title": "缝纫车工（限女性）",
        "city": "上海",
        "headcount": "2",
        "monthly_wage_min": "4000",
        "monthly_wage_max": "5000",
        "start_date": (clock.today() + dt.timedelta(days=14)).isoformat(),
    }
    before = await api.digest()
    r = await api.client.post("/openings", data=body, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert 'id="e-title"' in r.text and "不得要求性别" in r.text and "就业促进法" in r.text
    assert await api.digest() == before


async def test_the_consent_boxes_start_unticked(api: Api) -> None:
    agency = await api.agency()
    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    page = (await api.client.get("/workers/new")).text
    for box in ("consent_matching", "consent_sensitive"):
        tag = page.split(f'name="{box}"', 1)[1].split(">", 1)[0]
        assert "checked" not in tag, (box, tag)


async def _placed(api: Api) -> tuple[dict[str, Any], dict[str, str], int, dt.date]:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="申美电器")
    hr = await api.employer_account(employer["id"])
    her = await api.worker(staff, priority_groups=[], skills=[{"code": "sewing", "level": 4}])
    opening = await api.opening(staff, employer["id"], headcount=1)
    await run(api, staff)
    offer = await offer_of(api, staff, her["id"])
    await api.ok("POST", f"/offers/{offer}/accept", staff)
    placement = int((await api.ok("POST", f"/offers/{offer}/confirm", hr))["placement_id"])
    return staff, her, placement, dt.date.fromisoformat(opening["start_date"])


async def test_a_placement_ends_before_its_start_only_by_the_employer_cancelling(
    api: Api,
) -> None:
    staff, her, placement, start = await _placed(api)
    path = f"/placements/{placement}"
    before = await api.digest()
    for reason in ("quit", "completed", "dismissed", "contract_violation"):
        r = await api.request("POST", f"{path}/end", staff, json={"reason": reason})
        assert_problem(r, 422, "reason")
    checkin = {"channel": "phone", "wages_on_time": True, "hours_as_agreed": True}
    r = await api.request("POST", f"{path}/follow-ups/1", staff, json=checkin)
    assert r.status_code == 409, r.text  # a whole check-in, refused: she has not started
    assert await api.digest() == before
    ended = await api.ok("POST", f"{path}/end", staff, json={"reason": "employer_cancelled"})
    assert ended["status"] == "ended" and ended["end_reason"] == "employer_cancelled"
    worker = await api.ok("GET", f"/workers/{her['id']}", staff)
    assert "reemployment" in worker["priority_groups"]  # placed first, as after a dismissal
    assert start > clock.today()


async def test_an_employer_cancelling_after_the_start_is_refused(api: Api) -> None:
    staff, _her, placement, start = await _placed(api)
    clock.travel(start + dt.timedelta(days=1) - clock.today())
    path = f"/placements/{placement}/end"
    before = await api.digest()
    r = await api.request("POST", path, staff, json={"reason": "employer_cancelled"})
    assert_problem(r, 422, "reason")
    r = await api.request(
        "POST",
        path,
        staff,
        json={"reason": "quit", "ended_on": (start - dt.timedelta(days=1)).isoformat()},
    )
    assert_problem(r, 422, "ended_on")
    assert await api.digest() == before


async def test_dates_at_the_ends_of_the_calendar_are_a_clear_error(api: Api) -> None:
    agency = await api.agency()
    staff_user = await _account(api, "staff", agency_id=agency["id"])
    staff = await api.login(staff_user)
    employer = await api.employer(agency_id=agency["id"])
    opening = await api.opening(staff, employer["id"])
    worker = await api.worker(staff)
    course = await api.ok(
        "POST",
        "/courses",
        staff,
        json={"name": "平缝班", "kind": "skill", "skill_code": "sewing", "level": 3, "fee": 0},
    )
    before = await api.digest()
    for day in EXTREMES:
        cases: list[tuple[str, str, dict[str, Any], str]] = [
            ("POST", "/openings", opening_payload(employer["id"], start_date=day), "start_date"),
            (
                "PATCH",
                f"/openings/{opening['id']}",
                {"version": 1, "start_date": day},
                "start_date",
            ),
            ("PATCH", f"/workers/{worker['id']}", {"version": 1, "birth_date": day}, "birth_date"),
            (
                "PATCH",
                f"/workers/{worker['id']}",
                {"version": 1, "available_from": day},
                "available_from",
            ),
            (
                "POST",
                f"/courses/{course['id']}/sessions",
                {"starts_on": day, "ends_on": day, "place": "镇成校", "capacity": 2},
                "starts_on",
            ),
            ("POST", "/job-fairs", {"name": "春风行动", "date": day, "place": "镇广场"}, "date"),
        ]
        for method, path, body, field in cases:
            r = await api.request(method, path, staff, json=body)
            assert r.status_code in (400, 422), (method, path, day, r.status_code, r.text)
            assert_problem(r, r.status_code, field)
        for path in (f"/reports/summary?from={day}&to=2026-12-31",):
            r = await api.request("GET", path, staff)
            assert r.status_code in (400, 422), (path, r.text)
    assert await api.digest() == before
    await _login(api, staff_user)
    for day in EXTREMES:
        r = await api.client.get(f"/followups?start={day}")
        assert r.status_code in (400, 422), (day, r.status_code)
        assert "start" in r.text
