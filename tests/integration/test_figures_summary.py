"""The federation's figures (GET /reports/summary) against a world with known answers, built
through the API on both databases; every figure is checked against the test's own count."""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction
from typing import Any

from matching.lib import clock
from tests.integration.test_aftercare import offer_of, run
from tests.support import Api, assert_problem, id_number_for

BORN = dt.date(1990, 5, 17)


def income(spans: list[tuple[dt.date, dt.date, int]], start: dt.date, end: dt.date) -> int:
    """Day by day: each active day earns the month's wage over that month's days."""
    total = Fraction(0)
    for first, last, wage in spans:
        day = max(first, start)
        while day <= min(last, end):
            total += Fraction(wage, calendar.monthrange(day.year, day.month)[1])
            day += dt.timedelta(days=1)
    return int(total + Fraction(1, 2))


async def place(api: Api, staff: dict[str, str], worker_id: int, **confirm: Any) -> dict[str, Any]:
    offer = await offer_of(api, staff, worker_id)
    await api.ok("POST", f"/offers/{offer}/accept", staff)
    done = await api.ok("POST", f"/offers/{offer}/confirm", staff, json=confirm or None)
    return dict(done["placement"])


async def summary(api: Api, headers: dict[str, str], query: str) -> dict[str, Any]:
    return dict(await api.ok("GET", f"/reports/summary?{query}", headers))


async def test_every_figure_of_the_summary_against_the_worlds_own_count(api: Api) -> None:
    admin = await api.admin()
    agency, elsewhere = await api.agency(), await api.agency()
    staff, staff_b = await api.staff(agency["id"]), await api.staff(elsewhere["id"])
    shanghai = await api.ok(
        "POST",
        "/offices",
        admin,
        json={"agency_id": agency["id"], "name": "上海办事处", "city": "上海"},
    )
    nantong = await api.ok(
        "POST",
        "/offices",
        admin,
        json={"agency_id": agency["id"], "name": "南通办事处", "city": "南通"},
    )
    factory = await api.employer(agency_id=agency["id"], name="申美电器", city="上海")
    workshop = await api.employer(
        agency_id=agency["id"], name="绣花点", city="南通", local_workshop=True
    )
    quilting = await api.employer(agency_id=agency["id"], name="绗缝厂", city="南通")
    s1 = clock.today() + dt.timedelta(days=14)
    plain: dict[str, Any] = {"priority_groups": [], "preferred_cities": []}
    # Two women and a man placed; a man and a woman who are not.
    w1 = await api.worker(staff, name="王秀英", id_number=id_number_for(BORN, serial=124), **plain)
    w3 = await api.worker(
        staff, name="李桂兰", sex="female", priority_groups=["left_behind"], preferred_cities=[]
    )
    w2 = await api.worker(
        staff,
        name="张建国",
        id_number=id_number_for(BORN, serial=123),
        willing_to_relocate=False,
        **plain,
    )
    w4 = await api.worker(staff, name="赵强", sex="male", consent_matching=False, **plain)
    w5 = await api.worker(
        staff,
        name="周小红",
        sex="female",
        consent_matching=False,
        priority_groups=["poor_household"],
    )
    assert (w1["sex"], w2["sex"], w3["sex"]) == ("female", "male", "female")
    # Someone of the other agency, placed too: never in this agency's figures.
    other = await api.worker(staff_b, name="钱芳", sex="female", **plain)

    fair = await api.ok(
        "POST",
        "/job-fairs",
        staff,
        json={"name": "春风行动", "date": s1.isoformat(), "place": "镇广场"},
    )
    fair = await api.ok(
        "POST", f"/job-fairs/{fair['id']}/employers", staff, json={"employer_id": factory["id"]}
    )
    await api.ok(
        "PATCH",
        f"/job-fairs/{fair['id']}",
        staff,
        json={"version": fair["version"], "attendees": 800, "consultations": 500},
    )

    # Away: W1 (at the fair, 5000 agreed) and W3 (the range's lowest) in Shanghai.
    await api.opening(staff, factory["id"], headcount=3, start_date=s1.isoformat())
    await run(api, staff)
    p1 = await place(api, staff, w1["id"], monthly_wage=5000, job_fair_id=fair["id"])
    p3 = await place(api, staff, w3["id"])
    await place(api, staff_b, other["id"])
    assert p3["monthly_wage"] == 4500
    # Local by county: W2 at the quilting shop in her home county.
    await api.opening(
        staff,
        quilting["id"],
        city="南通",
        county="通州区",
        headcount=1,
        monthly_wage_min=3000,
        monthly_wage_max=4000,
        start_date=s1.isoformat(),
    )
    await run(api, staff)
    p2 = await place(api, staff, w2["id"], monthly_wage=3500)

    # Ten days in: W1 is dismissed (her last day the ninth), W3 reports her real wage, W2's
    # case is mediated with money recovered and resolved; W3's stays open.
    clock.travel(s1 + dt.timedelta(days=10) - clock.today())
    dismissed_on = s1 + dt.timedelta(days=9)
    await api.ok(
        "POST",
        f"/placements/{p1['id']}/end",
        staff,
        json={"reason": "dismissed", "ended_on": dismissed_on.isoformat()},
    )
    await api.ok(
        "POST",
        f"/placements/{p3['id']}/follow-ups/1",
        staff,
        json={
            "channel": "phone",
            "wages_on_time": True,
            "hours_as_agreed": True,
            "wage_paid": 4800,
        },
    )
    case = await api.ok(
        "POST",
        "/cases",
        staff,
        json={
            "placement_id": p2["id"],
            "type": "wage_arrears",
            "summary": "欠薪",
            "money_claimed": 3000,
        },
    )
    case = await api.ok(
        "POST",
        f"/cases/{case['id']}/status",
        staff,
        json={"version": case["version"], "status": "mediating", "note": "上门调解"},
    )
    case = await api.ok(
        "POST", f"/cases/{case['id']}/recovered", staff, json={"amount": 2000, "note": "补发"}
    )
    await api.ok(
        "POST",
        f"/cases/{case['id']}/status",
        staff,
        json={
            "version": case["version"],
            "status": "resolved",
            "note": "到位",
            "outcome": "upheld",
        },
    )
    await api.ok(
        "POST",
        "/cases",
        staff,
        json={"placement_id": p3["id"], "type": "housing", "summary": "宿舍漏雨"},
    )
    # Re-placed at a local workshop: W1, placed twice, is one woman transferred.
    s2 = clock.today() + dt.timedelta(days=5)
    await api.opening(
        staff,
        workshop["id"],
        city="南通",
        headcount=1,
        monthly_wage_min=3800,
        monthly_wage_max=4200,
        required_skills=[{"code": "sewing", "min_level": 2}],
        start_date=s2.isoformat(),
    )
    await run(api, staff)
    p4 = await place(api, staff, w1["id"])
    assert p4["monthly_wage"] == 3800
    # Training: W4 pays, W5 (a poor household) is trained free.
    course = await api.ok(
        "POST",
        "/courses",
        staff,
        json={"name": "缝纫中级", "kind": "skill", "fee": 300, "skill_code": "sewing", "level": 3},
    )
    session = await api.ok(
        "POST",
        f"/courses/{course['id']}/sessions",
        staff,
        json={
            "starts_on": clock.today().isoformat(),
            "ends_on": (clock.today() + dt.timedelta(days=2)).isoformat(),
            "place": "镇培训中心",
            "capacity": 20,
        },
    )
    for who in (w4, w5):
        e = await api.ok(
            "POST",
            f"/training-sessions/{session['id']}/enrolments",
            staff,
            json={"worker_id": who["id"]},
        )
        assert e["fee_waived"] is (who is w5)
        clock.travel(dt.timedelta(days=2))
        await api.ok("POST", f"/enrolments/{e['id']}/complete", staff, json={})
        clock.travel(-dt.timedelta(days=2))

    end = s2 + dt.timedelta(days=20)
    await api.ok(
        "PUT", f"/labour-force/{end.year}", admin, json={"agency_id": agency["id"], "count": 10}
    )
    clock.travel(end + dt.timedelta(days=15) - clock.today())  # the report is read later
    query = f"from={s1}&to={end}"
    got = await summary(api, staff, query)

    # The world's own count.
    spans = {  # placement: (first day, last day, wage, woman)
        "p1": (s1, dismissed_on, 5000, True),
        "p2": (s1, clock.today(), 3500, False),
        "p3": (s1, clock.today(), 4800, True),
        "p4": (s2, clock.today(), 3800, True),
    }
    total = income([s[:3] for s in spans.values()], s1, end)
    women = income([s[:3] for s in spans.values() if s[3]], s1, end)
    months = []
    d = s1.replace(day=1)
    while d <= end:
        months.append(f"{d:%Y-%m}")
        d = (d + dt.timedelta(days=32)).replace(day=1)
    started = {f"{s1:%Y-%m}": {w1["id"], w2["id"], w3["id"]}}
    started.setdefault(f"{s2:%Y-%m}", set()).add(w1["id"])
    womens = {w1["id"], w3["id"]}
    assert got == {
        "from": s1.isoformat(),
        "to": end.isoformat(),
        "labour_force": 10,
        "transferred": {
            "total": 3,
            "women": 2,
            "women_share": round(2 / 3, 4),
            "share_of_labour_force": round(3 / 10, 4),
            "local": 2,  # W1 (her latest, the workshop) and W2 (her home county)
            "away": 1,
        },
        "labour_income_yuan": {"total": total, "women": women},
        "reemployment": {
            "dismissed": 1,
            "replaced": 1,
            "median_days_to_replacement": float((s2 - dismissed_on).days),
        },
        "trained": {"people": 2, "sessions": 1, "free_for_priority": 1},
        "job_fairs": {
            "fairs": 1,
            "employers": 1,
            "attendees": 800,
            "consultations": 500,
            "hires": 1,
        },
        "cases": {
            "handled": 1,
            "resolved": 1,
            "mediation_rate": 1.0,
            "compensation_recovered_yuan": 2000,
        },
        "by_priority_group": [
            {"code": code, "transferred": 1 if code == "left_behind" else 0}
            for code in [
                g["code"] for g in (await api.ok("GET", "/priority-groups", staff))["items"]
            ]
        ],
        "by_destination_city": [  # most first, ties by name
            {"city": "上海", "transferred": 2},
            {"city": "南通", "transferred": 2},
        ],
        "by_office": [
            {
                "office_id": shanghai["id"],
                "name": "上海办事处",
                "transferred": 2,
                "cases_handled": 0,
            },
            {
                "office_id": nantong["id"],
                "name": "南通办事处",
                "transferred": 2,
                "cases_handled": 1,
            },
        ],
        "by_month": [
            {
                "month": mo,
                "transferred": len(started.get(mo, set())),
                "women": len(started.get(mo, set()) & womens),
            }
            for mo in months
        ],
    }
    assert income([spans["p1"][:3]], s1, end) == income(
        [(s1, dismissed_on, 5000)], s1, s1 + dt.timedelta(days=40)
    )
    # An admin asking for the agency sees the same; everything includes the other agency's.
    assert await summary(api, admin, f"{query}&agency_id={agency['id']}") == got
    everyone = await summary(api, admin, query)
    assert everyone["transferred"]["total"] == 4 and everyone["transferred"]["women"] == 3
    assert everyone["labour_force"] == 10  # the other agency recorded none

    # A period starting mid-placement: W1's first placement began before it, so she counts
    # once, by her second; the income of the first is cut at the period's first day.
    mid = s1 + dt.timedelta(days=5)
    cut = await summary(api, staff, f"from={mid}&to={end}")
    assert cut["transferred"] == {
        "total": 1,
        "women": 1,
        "women_share": 1.0,
        "share_of_labour_force": 0.1,
        "local": 1,
        "away": 0,
    }
    assert cut["labour_income_yuan"] == {
        "total": income([s[:3] for s in spans.values()], mid, end),
        "women": income([s[:3] for s in spans.values() if s[3]], mid, end),
    }
    assert cut["labour_income_yuan"]["total"] < total
    assert cut["reemployment"]["dismissed"] == 1 and cut["job_fairs"]["fairs"] == 0
    # One office: its city's placements and its own cases.
    office = await summary(api, staff, f"{query}&office_id={shanghai['id']}")
    assert office["transferred"]["total"] == 2 and office["cases"]["handled"] == 0
    assert office["by_office"] == [got["by_office"][0]]
    assert office["labour_income_yuan"]["total"] == income(
        [spans["p1"][:3], spans["p3"][:3]], s1, end
    )
    # Another agency's staff see theirs: one away placement, no labour force, so no share.
    theirs = await summary(api, staff_b, query)
    assert theirs["labour_force"] is None
    assert (
        theirs["transferred"]["total"] == 1
        and theirs["transferred"]["share_of_labour_force"] is None
    )
    assert theirs["cases"]["mediation_rate"] is None and theirs["job_fairs"]["fairs"] == 0
    # Nothing in a period with no placements: shares are null, not zero.
    empty = await summary(api, staff, "from=2001-01-01&to=2001-12-31")
    assert empty["transferred"]["total"] == 0 and empty["transferred"]["women_share"] is None


async def test_the_summary_refuses_bad_periods_and_foreign_eyes(api: Api) -> None:
    agency, other = await api.agency(), await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    hr = await api.employer_account(employer["id"])
    ok = "from=2026-01-01&to=2026-12-31"
    for query, field in (
        ("from=2026-13-01&to=2026-12-31", "from"),
        ("from=2026-01-01&to=yesterday", "to"),
        ("from=2026-12-31&to=2026-01-01", "from"),
        ("to=2026-12-31", "from"),
        ("from=2026-01-01", "to"),
        ("from=1900-01-01&to=2026-01-01", "from"),
        (f"{ok}&office_id=999", "office_id"),
        (f"{ok}&agency_id=999", "agency_id"),
    ):
        r = await api.request("GET", f"/reports/summary?{query}", await api.admin())
        assert_problem(r, 422, field)
    assert_problem(await api.request("GET", f"/reports/summary?{ok}", hr), 403)
    r = await api.request("GET", f"/reports/summary?{ok}&agency_id={other['id']}", staff)
    assert_problem(r, 403)
    office = await api.ok(
        "POST",
        "/offices",
        await api.admin(),
        json={"agency_id": other["id"], "name": "x", "city": "苏州"},
    )
    r = await api.request("GET", f"/reports/summary?{ok}&office_id={office['id']}", staff)
    assert_problem(r, 422, "office_id")
    r = await api.request(
        "GET", "/reports/summary?from=2026-01-01&to=2026-12-31&agency_id=0", staff
    )
    assert r.status_code == 400
