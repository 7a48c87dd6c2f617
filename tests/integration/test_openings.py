"""Employers and openings through the API: one shared pool for every agency."""

from __future__ import annotations

import datetime as dt

from matching.lib import clock
from tests.support import Api, assert_problem, opening_payload


async def test_employer_create_list_get_patch(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    plain = await api.ok("POST", "/employers", staff, json={"name": "梅兰绣品厂", "city": "南通"})
    assert (plain["reputation"], plain["labour_protection"]) == (50, 50)  # the default standing
    assert plain["partner"] is False and plain["suspended"] is False and plain["version"] == 1
    assert plain["industry"] is None
    scored = await api.ok(
        "POST",
        "/employers",
        admin,
        json={
            "name": "上海英华达电子",
            "city": "上海",
            "industry": "电子",
            "reputation": 85,
            "labour_protection": 80,
        },
    )
    assert (scored["reputation"], scored["labour_protection"]) == (85, 80)
    listed = await api.ok("GET", "/employers", staff)
    assert [e["id"] for e in listed["items"]] == [plain["id"], scored["id"]]
    assert listed["total"] == 2
    page = await api.ok("GET", "/employers?limit=1&offset=1", staff)
    assert page["total"] == 2 and [e["id"] for e in page["items"]] == [scored["id"]]
    assert await api.ok("GET", f"/employers/{plain['id']}", staff) == plain
    changed = await api.ok(
        "PATCH",
        f"/employers/{plain['id']}",
        staff,
        json={"version": 1, "industry": "绣品", "city": " 南通 "},
    )
    assert (changed["industry"], changed["city"], changed["version"]) == ("绣品", "南通", 2)
    assert_problem(await api.request("GET", "/employers/999999", staff), 404)


async def test_opening_create_get_and_patch(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="雅尔美服饰")
    start = clock.today() + dt.timedelta(days=14)
    o = await api.opening(
        staff,
        employer["id"],
        county="通州区",
        required_skills=[
            {"code": "sewing", "min_level": 3},
            {"code": "embroidery", "min_level": 1},
        ],
    )
    assert o["employer_id"] == employer["id"] and o["employer_name"] == "雅尔美服饰"
    assert o["status"] == "open" and o["version"] == 1 and o["county"] == "通州区"
    assert o["start_date"] == start.isoformat()
    assert sorted(o["required_skills"], key=lambda s: s["code"]) == [
        {"code": "embroidery", "min_level": 1},
        {"code": "sewing", "min_level": 3},
    ]
    assert (o["headcount"], o["monthly_wage_min"], o["monthly_wage_max"]) == (10, 4500, 6000)
    assert await api.ok("GET", f"/openings/{o['id']}", staff) == o

    changed = await api.ok(
        "PATCH",
        f"/openings/{o['id']}",
        staff,
        json={
            "version": 1,
            "headcount": 25,
            "monthly_wage_max": 6500,
            "required_skills": [{"code": "quilting", "min_level": 2}],
            "county": None,
        },
    )
    assert changed["version"] == 2 and changed["headcount"] == 25
    assert changed["monthly_wage_max"] == 6500 and changed["county"] is None
    assert changed["required_skills"] == [{"code": "quilting", "min_level": 2}]
    closed = await api.ok(
        "PATCH", f"/openings/{o['id']}", staff, json={"version": 2, "status": "closed"}
    )
    assert closed["status"] == "closed" and closed["version"] == 3
    # a start date today is not in the past
    today = await api.opening(staff, employer["id"], start_date=clock.today().isoformat())
    assert today["start_date"] == clock.today().isoformat()


async def test_openings_list_and_filter(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    e1, e2 = (
        await api.employer(agency_id=agency["id"]),
        await api.employer(agency_id=agency["id"], city="苏州"),
    )
    sew = await api.opening(staff, e1["id"])
    weld = await api.opening(
        staff,
        e2["id"],
        city="苏州",
        title="焊工",
        required_skills=[{"code": "welding", "min_level": 3}],
    )
    local = await api.opening(staff, e1["id"], city="南通", required_skills=[])
    await api.ok(
        "PATCH", f"/openings/{local['id']}", staff, json={"version": 1, "status": "closed"}
    )

    async def ids(query: str) -> list[int]:
        page = await api.ok("GET", f"/openings{query}", staff)
        assert page["total"] >= len(page["items"])
        return [o["id"] for o in page["items"]]

    assert await ids("") == [sew["id"], weld["id"], local["id"]]
    assert await ids("?city=苏州") == [weld["id"]]
    assert await ids("?skill=welding") == [weld["id"]]
    assert await ids("?skill=sewing") == [sew["id"]]
    assert await ids("?status=open") == [sew["id"], weld["id"]]
    assert await ids("?status=closed") == [local["id"]]
    assert await ids(f"?employer_id={e1['id']}") == [sew["id"], local["id"]]
    assert await ids(f"?employer_id={e1['id']}&status=open") == [sew["id"]]
    assert await ids("?city=北京") == []
    page = await api.ok("GET", "/openings?limit=2&offset=1", staff)
    assert page["total"] == 3 and [o["id"] for o in page["items"]] == [weld["id"], local["id"]]


async def test_openings_are_one_shared_pool(api: Api) -> None:
    """Rule 1: every agency sees and works from the same openings (统一收集和发布用工信息);
    each is changed only by the agency that registered its employer."""
    a, b = await api.agency(), await api.agency()
    staff_a, staff_b = await api.staff(a["id"]), await api.staff(b["id"])
    employer_a = await api.employer(agency_id=a["id"])
    employer_b = await api.ok("POST", "/employers", staff_b, json={"name": "乙厂", "city": "上海"})
    assert employer_b["agency_id"] == b["id"]
    posted_by_a = await api.opening(staff_a, employer_a["id"])
    posted_by_b = await api.opening(staff_b, employer_b["id"], title="质检员")
    for staff in (staff_a, staff_b):
        pool = await api.ok("GET", "/openings", staff)
        assert [o["id"] for o in pool["items"]] == [posted_by_a["id"], posted_by_b["id"]]
        read = await api.ok("GET", f"/openings/{posted_by_a['id']}", staff)
        assert read["id"] == posted_by_a["id"]
        e = await api.ok("GET", f"/employers/{employer_a['id']}", staff)
        assert (e["id"], e["agency_id"]) == (employer_a["id"], a["id"])
    changed = await api.ok(
        "PATCH", f"/openings/{posted_by_a['id']}", staff_a, json={"version": 1, "headcount": 4}
    )
    assert changed["headcount"] == 4


async def test_another_agencys_employer_and_openings_are_read_only(api: Api) -> None:
    """Staff of b read a's employer and openings, but change neither nor post for it: 403."""
    a, b = await api.agency(), await api.agency()
    staff_a, staff_b = await api.staff(a["id"]), await api.staff(b["id"])
    employer = await api.ok("POST", "/employers", staff_a, json={"name": "甲厂", "city": "上海"})
    assert employer["agency_id"] == a["id"]
    opening = await api.opening(staff_a, employer["id"])
    before = await api.digest()
    refusals = [
        ("PATCH", f"/employers/{employer['id']}", {"version": 1, "name": "改名"}),
        ("PATCH", f"/employers/{employer['id']}", {"version": 1, "agency_id": b["id"]}),
        ("PATCH", f"/openings/{opening['id']}", {"version": 1, "headcount": 99}),
        # bad input too: the refusal comes first and names the owner, not the field
        ("PATCH", f"/openings/{opening['id']}", {"version": 1, "monthly_wage_min": 99_999}),
        ("POST", "/openings", opening_payload(employer["id"], title="乙方代发")),
    ]
    for method, path, body in refusals:
        r = await api.request(method, path, staff_b, json=body)
        problem = assert_problem(r, 403)
        assert "another agency" in problem["detail"], (method, path, problem)
    assert await api.digest() == before
    # staff of a may not hand the employer over either: only an admin does
    r = await api.request(
        "PATCH", f"/employers/{employer['id']}", staff_a, json={"version": 1, "agency_id": b["id"]}
    )
    assert_problem(r, 403)
    # nor register one for another agency
    body = {"name": "冒名厂", "city": "上海", "agency_id": b["id"]}
    assert_problem(await api.request("POST", "/employers", staff_a, json=body), 403)
    assert await api.digest() == before
    # still readable by b, and changeable by a
    assert (await api.ok("GET", f"/openings/{opening['id']}", staff_b))["headcount"] == 10
    e = await api.ok(
        "PATCH", f"/employers/{employer['id']}", staff_a, json={"version": 1, "name": "甲厂二"}
    )
    assert e["name"] == "甲厂二" and e["agency_id"] == a["id"]


async def test_an_admins_employer_is_changed_by_admins_only(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer()  # by an admin, for no agency
    assert employer["agency_id"] is None
    admins_opening = await api.opening(admin, employer["id"])
    before = await api.digest()
    for method, path, body in [
        ("PATCH", f"/employers/{employer['id']}", {"version": 1, "city": "苏州"}),
        ("PATCH", f"/openings/{admins_opening['id']}", {"version": 1, "headcount": 3}),
        ("POST", "/openings", opening_payload(employer["id"])),
    ]:
        problem = assert_problem(await api.request(method, path, staff, json=body), 403)
        assert "registered by an admin" in problem["detail"], problem
    assert await api.digest() == before
    # an admin hands it to an agency (a bad agency is refused by field, nothing written) ...
    r = await api.request(
        "PATCH", f"/employers/{employer['id']}", admin, json={"version": 1, "agency_id": 999_999}
    )
    assert_problem(r, 422, "agency_id")
    r = await api.request(
        "POST", "/employers", admin, json={"name": "x", "city": "上海", "agency_id": 999_999}
    )
    assert_problem(r, 422, "agency_id")
    assert await api.digest() == before
    handed = await api.ok(
        "PATCH",
        f"/employers/{employer['id']}",
        admin,
        json={"version": 1, "agency_id": agency["id"]},
    )
    assert handed["agency_id"] == agency["id"]
    # ... whose staff may then post and change its openings
    mine = await api.opening(staff, employer["id"])
    await api.ok("PATCH", f"/openings/{mine['id']}", staff, json={"version": 1, "headcount": 2})


async def test_employer_account_posts_and_sees_its_own(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    mine, theirs = (
        await api.employer(agency_id=agency["id"]),
        await api.employer(agency_id=agency["id"]),
    )
    await api.opening(staff, theirs["id"])
    hr = await api.employer_account(mine["id"])
    own = await api.opening(hr, mine["id"], title="SMT操作工")
    assert own["employer_id"] == mine["id"]
    listed = await api.ok("GET", "/openings", hr)
    assert [o["id"] for o in listed["items"]] == [own["id"]]
    changed = await api.ok(
        "PATCH", f"/openings/{own['id']}", hr, json={"version": 1, "headcount": 2}
    )
    assert changed["headcount"] == 2
    # staff see the employer's opening in the shared pool
    assert (await api.ok("GET", "/openings", staff))["total"] == 2
    before = await api.digest()
    r = await api.request(
        "PATCH", f"/employers/{mine['id']}", hr, json={"version": 1, "reputation": 100}
    )
    assert_problem(r, 403)
    assert await api.digest() == before
