"""What the federation's figures need, on both databases: her sex (from the ID number, or
declared; never read by matching), the wage agreed at confirmation and reported at check-ins,
the labour force, local workshops and job fairs, each with its bad input refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from matching.db import models as m
from matching.lib import clock
from tests.integration.test_aftercare import offer_of, run
from tests.support import Api, assert_problem, error_for, id_number_for

BORN = dt.date(1990, 5, 17)
WOMAN_ID = id_number_for(BORN, serial=124)  # 17th digit 4: even, a woman
MAN_ID = id_number_for(BORN, serial=123)  # 17th digit 3: odd, a man


async def placement_row(api: Api, placement_id: int) -> Any:
    async with api.engine.connect() as conn:
        stmt = select(m.Placement).where(m.Placement.id == placement_id)
        return (await conn.execute(stmt)).one()


async def test_sex_is_read_from_the_id_number_or_declared(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    by_id = await api.worker(staff, id_number=WOMAN_ID)
    assert by_id["sex"] == "female"
    assert (await api.worker(staff, id_number=MAN_ID, sex="male"))["sex"] == "male"
    declared = await api.worker(staff, sex="male")
    assert declared["sex"] == "male"
    assert (await api.worker(staff))["sex"] is None
    read = await api.ok("GET", f"/workers/{by_id['id']}", staff)
    assert read["sex"] == "female"

    # A declared value contradicting the ID number is refused, naming sex; nothing written.
    before = await api.digest()
    r = await api.request(
        "POST",
        "/workers",
        staff,
        json={**_payload(), "id_number": id_number_for(BORN, serial=126), "sex": "male"},
    )
    body = assert_problem(r, 422, "sex")
    assert "female" in error_for(body, "sex")
    r = await api.request("POST", "/workers", staff, json={**_payload(), "sex": "woman"})
    assert r.status_code in (400, 422) and "sex" in r.text
    r = await api.request(
        "PATCH", f"/workers/{by_id['id']}", staff, json={"version": by_id["version"], "sex": "male"}
    )
    assert_problem(r, 422, "sex")
    r = await api.request(
        "PATCH", f"/workers/{by_id['id']}", staff, json={"version": by_id["version"], "sex": None}
    )
    assert_problem(r, 422, "sex")
    assert await api.digest() == before

    # Declared, she may be corrected; a new ID number decides it.
    fixed = await api.ok(
        "PATCH",
        f"/workers/{declared['id']}",
        staff,
        json={"version": declared["version"], "sex": "female"},
    )
    assert fixed["sex"] == "female"
    with_id = await api.ok(
        "PATCH",
        f"/workers/{declared['id']}",
        staff,
        json={"version": fixed["version"], "id_number": id_number_for(BORN, serial=127)},
    )
    assert with_id["sex"] == "male"
    agreeing = await api.ok(
        "PATCH",
        f"/workers/{by_id['id']}",
        staff,
        json={"version": by_id["version"], "sex": "female"},
    )
    assert agreeing["sex"] == "female"


def _payload() -> dict[str, Any]:
    from tests.support import worker_payload

    return worker_payload()


async def _proposals(api: Api, run_id: int) -> list[tuple[int, int, int, Any]]:
    page = await api.ok("GET", f"/match-runs/{run_id}/proposals?limit=500", await api.admin())
    return sorted(
        (p["worker_id"], p["opening_id"], p["score"], p["reasons"]) for p in page["items"]
    )


async def test_swapping_every_workers_sex_leaves_the_proposals_identical(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    local = await api.employer(agency_id=agency["id"], city="南通", local_workshop=True)
    await api.opening(staff, employer["id"], headcount=2)
    await api.opening(
        staff,
        local["id"],
        city="南通",
        county="通州区",
        headcount=2,
        monthly_wage_min=3000,
        monthly_wage_max=4200,
        required_skills=[{"code": "embroidery", "min_level": 2}],
    )
    workers = []
    for i, (sex, serial) in enumerate(
        [("female", None), ("male", None), ("female", 124), ("male", 123), (None, None)]
    ):
        extra: dict[str, Any] = {"skills": [{"code": "sewing", "level": 3 + i % 3}]}
        if i % 2:
            extra["skills"].append({"code": "embroidery", "level": 2 + i % 2})
            extra["willing_to_relocate"] = False
        if serial is not None:
            extra["id_number"] = id_number_for(BORN, serial=serial)
        elif sex is not None:
            extra["sex"] = sex
        workers.append(await api.worker(staff, priority_groups=[], **extra))
    for _ in range(3):  # more workers than slots, so the choice among them is tested too
        workers.append(
            await api.worker(staff, priority_groups=[], sex="female", min_monthly_wage=3500)
        )
    first = await _proposals(api, (await run(api, staff))["id"])
    assert len(first) == 4
    # Take every offer back (withdrawn is no refusal of hers), then swap every sex.
    for w in workers:
        page = await api.ok("GET", f"/workers/{w['id']}/offers", staff)
        for o in page["items"]:
            await api.ok("POST", f"/offers/{o['id']}/withdraw", staff, json={"reason": "重新匹配"})
    swapped = 0
    for w in workers:
        now = await api.ok("GET", f"/workers/{w['id']}", staff)
        other = {"female": "male", "male": "female", None: "female"}[now["sex"]]
        body: dict[str, Any] = {"version": now["version"], "sex": other}
        if now["id_number"] is not None:  # the ID decides: a number of the other sex
            body["id_number"] = id_number_for(BORN, serial=125 if other == "male" else 128)
        changed = await api.ok("PATCH", f"/workers/{w['id']}", staff, json=body)
        assert changed["sex"] == other
        swapped += 1
    assert swapped == len(workers)
    second = await _proposals(api, (await run(api, staff))["id"])
    assert second == first


async def _accepted_offer(api: Api, **opening: Any) -> dict[str, Any]:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    hr = await api.employer_account(employer["id"])
    her = await api.worker(staff)
    o = await api.opening(staff, employer["id"], headcount=1, **opening)
    await run(api, staff)
    offer = await offer_of(api, staff, her["id"])
    await api.ok("POST", f"/offers/{offer}/accept", staff)
    return {
        "agency": agency,
        "staff": staff,
        "hr": hr,
        "employer": employer,
        "worker": her,
        "opening": o,
        "offer": offer,
    }


async def test_the_wage_is_agreed_within_the_range_and_updated_by_her_check_ins(api: Api) -> None:
    w = await _accepted_offer(api, monthly_wage_min=4500, monthly_wage_max=6000)
    before = await api.digest()
    for bad in (4499, 6001):
        r = await api.request(
            "POST", f"/offers/{w['offer']}/confirm", w["hr"], json={"monthly_wage": bad}
        )
        assert "4500" in error_for(assert_problem(r, 422, "monthly_wage"), "monthly_wage")
    r = await api.request(
        "POST", f"/offers/{w['offer']}/confirm", w["hr"], json={"monthly_wage": -5}
    )
    assert r.status_code in (400, 422) and "monthly_wage" in r.text
    r = await api.request("POST", f"/offers/{w['offer']}/confirm", w["hr"], json={"job_fair_id": 9})
    assert_problem(r, 422, "job_fair_id")
    assert await api.digest() == before
    done = await api.ok(
        "POST", f"/offers/{w['offer']}/confirm", w["hr"], json={"monthly_wage": 5200}
    )
    assert done["placement"]["monthly_wage"] == 5200
    pid = done["placement_id"]
    assert (await placement_row(api, pid)).monthly_wage == 5200

    # What she is actually paid, reported at a check-in (once she has started), becomes the
    # placement's wage.
    clock.travel(dt.date.fromisoformat(w["opening"]["start_date"]) - clock.today())
    checkin = {"channel": "phone", "wages_on_time": True, "hours_as_agreed": True}
    before = await api.digest()
    r = await api.request(
        "POST", f"/placements/{pid}/follow-ups/1", w["staff"], json={**checkin, "wage_paid": -1}
    )
    assert r.status_code in (400, 422) and "wage_paid" in r.text
    assert await api.digest() == before
    await api.ok(
        "POST", f"/placements/{pid}/follow-ups/1", w["staff"], json={**checkin, "wage_paid": 4900}
    )
    assert (await api.ok("GET", f"/placements/{pid}", w["staff"]))["monthly_wage"] == 4900
    # A check-in without a wage keeps the last one known.
    await api.ok("POST", f"/placements/{pid}/follow-ups/2", w["staff"], json=checkin)
    assert (await placement_row(api, pid)).monthly_wage == 4900


async def test_a_confirmation_without_a_wage_takes_the_ranges_lowest(api: Api) -> None:
    w = await _accepted_offer(api, monthly_wage_min=4700, monthly_wage_max=6000)
    done = await api.ok("POST", f"/offers/{w['offer']}/confirm", w["hr"])
    assert (await placement_row(api, done["placement_id"])).monthly_wage == 4700


async def test_labour_force_is_recorded_by_an_admin(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    before = await api.digest()
    r = await api.request(
        "PUT", "/labour-force/2026", staff, json={"agency_id": agency["id"], "count": 10}
    )
    assert_problem(r, 403)
    r = await api.request("PUT", "/labour-force/2026", admin, json={"agency_id": 9999, "count": 5})
    assert_problem(r, 422, "agency_id")
    r = await api.request(
        "PUT", "/labour-force/1850", admin, json={"agency_id": agency["id"], "count": 5}
    )
    assert_problem(r, 422, "year")
    r = await api.request(
        "PUT", "/labour-force/2026", admin, json={"agency_id": agency["id"], "count": -1}
    )
    assert r.status_code in (400, 422) and "count" in r.text
    assert await api.digest() == before
    out = await api.ok(
        "PUT", "/labour-force/2026", admin, json={"agency_id": agency["id"], "count": 39920}
    )
    assert out == {"agency_id": agency["id"], "year": 2026, "count": 39920}
    await api.ok(
        "PUT", "/labour-force/2026", admin, json={"agency_id": agency["id"], "count": 39921}
    )
    async with api.engine.connect() as conn:
        rows = (await conn.execute(select(m.LabourForce))).all()
    assert [(r.agency_id, r.year, r.count) for r in rows] == [(agency["id"], 2026, 39921)]


async def test_employers_may_be_marked_as_local_workshops(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    plain = await api.ok("POST", "/employers", staff, json={"name": "申美电器", "city": "上海"})
    assert plain["local_workshop"] is False
    shop = await api.ok(
        "POST", "/employers", staff, json={"name": "绣花点", "city": "南通", "local_workshop": True}
    )
    assert shop["local_workshop"] is True
    changed = await api.ok(
        "PATCH",
        f"/employers/{plain['id']}",
        staff,
        json={"version": plain["version"], "local_workshop": True},
    )
    assert changed["local_workshop"] is True
    r = await api.request(
        "PATCH",
        f"/employers/{shop['id']}",
        staff,
        json={"version": shop["version"], "local_workshop": "yes"},
    )
    assert r.status_code in (400, 422) and "local_workshop" in r.text


async def test_job_fairs_count_employers_attendees_and_hires(api: Api) -> None:
    w = await _accepted_offer(api)
    staff, admin = w["staff"], await api.admin()
    other_staff = await api.staff((await api.agency())["id"])
    before = await api.digest()
    for bad, field in (
        ({"name": " ", "date": "2026-12-20", "place": "镇文化广场"}, "name"),
        ({"name": "春风行动", "date": "2026-13-20", "place": "镇文化广场"}, "date"),
    ):
        r = await api.request("POST", "/job-fairs", staff, json=bad)
        assert r.status_code in (400, 422) and field in r.text
    r = await api.request(
        "POST",
        "/job-fairs",
        staff,
        json={"name": "春风行动", "date": "2026-12-20", "place": "广场", "agency_id": 9999},
    )
    assert_problem(r, 403)
    r = await api.request(
        "POST",
        "/job-fairs",
        w["hr"],
        json={"name": "春风行动", "date": "2026-12-20", "place": "广场"},
    )
    assert_problem(r, 403)
    assert await api.digest() == before
    fair = await api.ok(
        "POST",
        "/job-fairs",
        staff,
        json={"name": "春风行动", "date": "2026-12-20", "place": "镇文化广场"},
    )
    assert fair["agency_id"] == w["agency"]["id"]
    assert (fair["employers"], fair["attendees"], fair["hires"]) == (0, 0, 0)
    assert fair["registrations"] == 0  # nobody registered on its phone page yet

    # Not attending yet: a hire cannot be counted at the fair (and its employer's account
    # is not shown a fair it does not attend).
    r = await api.request(
        "POST", f"/offers/{w['offer']}/confirm", staff, json={"job_fair_id": fair["id"]}
    )
    assert "attend" in error_for(assert_problem(r, 422, "job_fair_id"), "job_fair_id")
    r = await api.request(
        "POST", f"/offers/{w['offer']}/confirm", w["hr"], json={"job_fair_id": fair["id"]}
    )
    assert "no job fair" in error_for(assert_problem(r, 422, "job_fair_id"), "job_fair_id")
    fair = await api.ok(
        "POST",
        f"/job-fairs/{fair['id']}/employers",
        staff,
        json={"employer_id": w["employer"]["id"]},
    )
    assert fair["employers"] == 1 and fair["employer_ids"] == [w["employer"]["id"]]
    r = await api.request(
        "POST",
        f"/job-fairs/{fair['id']}/employers",
        staff,
        json={"employer_id": w["employer"]["id"]},
    )
    assert_problem(r, 409)
    r = await api.request(
        "POST", f"/job-fairs/{fair['id']}/employers", staff, json={"employer_id": 9999}
    )
    assert_problem(r, 422, "employer_id")
    assert_problem(await api.request("GET", f"/job-fairs/{fair['id']}", other_staff), 404)
    fair = await api.ok(
        "PATCH",
        f"/job-fairs/{fair['id']}",
        staff,
        json={"version": fair["version"], "attendees": 812, "consultations": 503},
    )
    assert (fair["attendees"], fair["consultations"]) == (812, 503)
    r = await api.request(
        "PATCH", f"/job-fairs/{fair['id']}", staff, json={"version": 1, "attendees": 900}
    )
    assert_problem(r, 409)
    r = await api.request(
        "PATCH",
        f"/job-fairs/{fair['id']}",
        staff,
        json={"version": fair["version"], "attendees": -3},
    )
    assert r.status_code in (400, 422) and "attendees" in r.text

    # The employer confirms the hire at the fair: it carries the fair, and the fair counts it.
    done = await api.ok(
        "POST", f"/offers/{w['offer']}/confirm", w["hr"], json={"job_fair_id": fair["id"]}
    )
    assert done["placement"]["job_fair_id"] == fair["id"]
    read = await api.ok("GET", f"/job-fairs/{fair['id']}", admin)
    assert read["hires"] == 1 and read["name"] == "春风行动" and read["date"] == "2026-12-20"
    async with api.engine.connect() as conn:
        offer = (await conn.execute(select(m.Offer).where(m.Offer.id == w["offer"]))).one()
    assert offer.job_fair_id == fair["id"] and offer.status == "confirmed"


async def test_she_reports_her_wage_on_her_check_in_page(api: Api, settings: Any) -> None:
    import re

    from matching.lib import clock
    from tests.integration.test_aftercare import jobs, rows

    w = await _accepted_offer(api, monthly_wage_min=4500, monthly_wage_max=6000)
    done = await api.ok("POST", f"/offers/{w['offer']}/confirm", w["hr"])
    start = dt.date.fromisoformat(w["opening"]["start_date"])
    clock.travel(start + dt.timedelta(days=7) - clock.today())
    await jobs(api, settings, "send_due")
    (notice,) = await rows(api, m.Notice, m.Notice.kind == "checkin")
    code = notice.link.rsplit("/", 1)[1]
    page = await api.client.get(f"/c/{code}")
    assert "上个月实际发了多少工资" in page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = {
        "wages_on_time": "yes",
        "hours_as_agreed": "yes",
        "_csrf_token": token.group(1),
    }
    before = await api.digest()
    r = await api.client.post(f"/c/{code}", data={**answer, "wage_paid": "四千"})
    assert r.status_code in (400, 422) and "wage_paid" in r.text
    assert await api.digest() == before
    r = await api.client.post(f"/c/{code}", data={**answer, "wage_paid": "4600"})
    assert r.status_code == 200
    assert (await placement_row(api, done["placement_id"])).monthly_wage == 4600
