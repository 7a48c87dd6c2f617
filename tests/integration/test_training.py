"""Training (技能培训): courses and sessions, enrolment (free for priority groups), capacity,
completion certifying her skill (and changing what she is matched to), and bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from matching.lib import clock
from tests.integration.test_matching import wait_run
from tests.support import Api, assert_problem

SEWING_3 = {"name": "平缝中级班", "kind": "skill", "skill_code": "sewing", "level": 3, "fee": 800}


def day(offset: int = 0) -> str:
    return (clock.today() + dt.timedelta(days=offset)).isoformat()


def session_body(**overrides: Any) -> dict[str, Any]:
    return {"starts_on": day(), "ends_on": day(10), "place": "镇成校", "capacity": 2} | overrides


async def training_world(api: Api) -> dict[str, Any]:
    a, b = await api.agency(), await api.agency()
    staff_a, staff_b = await api.staff(a["id"]), await api.staff(b["id"])
    course = await api.ok("POST", "/courses", staff_a, json=SEWING_3)
    ts = await api.ok("POST", f"/courses/{course['id']}/sessions", staff_a, json=session_body())
    poor = await api.worker(
        staff_a, priority_groups=["poor_household"], skills=[{"code": "sewing", "level": 2}]
    )
    plain = await api.worker(staff_a, priority_groups=[], skills=[])
    third = await api.worker(staff_a, priority_groups=[], skills=[])
    foreign = await api.worker(staff_b, priority_groups=[], skills=[])
    return {
        "a": a,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "course": course,
        "session": ts,
        "poor": poor,
        "plain": plain,
        "third": third,
        "foreign": foreign,
    }


async def enrol(api: Api, w: dict[str, Any], worker: str) -> Any:
    return await api.request(
        "POST",
        f"/training-sessions/{w['session']['id']}/enrolments",
        w["staff_a"],
        json={"worker_id": w[worker]["id"]},
    )


async def test_courses_and_sessions_belong_to_the_agency(api: Api) -> None:
    w = await training_world(api)
    assert w["course"]["agency_id"] == w["a"]["id"] and w["course"]["level"] == 3
    legal = await api.ok(
        "POST",
        "/courses",
        w["staff_a"],
        json={"name": "法律维权培训", "kind": "legal_rights", "fee": 0},
    )
    assert legal["skill_code"] is None and legal["level"] is None
    mine = await api.ok("GET", "/courses", w["staff_a"])
    assert mine["total"] == 2
    assert (await api.ok("GET", "/courses", w["staff_b"]))["total"] == 0
    admin = await api.admin()
    assert (await api.ok("GET", "/courses", admin))["total"] == 2
    made = await api.ok(
        "POST", "/courses", admin, json={**SEWING_3, "agency_id": w["a"]["id"], "name": "绣花"}
    )
    assert made["agency_id"] == w["a"]["id"]
    sessions = await api.ok("GET", f"/courses/{w['course']['id']}/sessions", w["staff_a"])
    assert sessions["total"] == 1 and sessions["items"][0]["enrolled"] == 0
    assert_problem(
        await api.request("GET", f"/courses/{w['course']['id']}/sessions", w["staff_b"]), 404
    )
    hr = await api.employer_account((await api.employer())["id"])
    assert_problem(await api.request("GET", "/courses", hr), 403)
    assert_problem(await api.request("POST", "/courses", hr, json=SEWING_3), 403)


async def test_bad_courses_and_sessions_are_refused_and_change_nothing(api: Api) -> None:
    w = await training_world(api)
    staff, admin = w["staff_a"], await api.admin()
    before = await api.digest()
    courses: list[tuple[dict[str, str], dict[str, Any], str]] = [
        (staff, {**SEWING_3, "kind": "cooking_class"}, "kind"),
        (staff, {k: v for k, v in SEWING_3.items() if k != "skill_code"}, "skill_code"),
        (staff, {k: v for k, v in SEWING_3.items() if k != "level"}, "level"),
        (staff, {**SEWING_3, "skill_code": "juggling"}, "skill_code"),
        (staff, {**SEWING_3, "level": 0}, "level"),
        (staff, {**SEWING_3, "level": 6}, "level"),
        (staff, {**SEWING_3, "fee": -1}, "fee"),
        (staff, {**SEWING_3, "name": "   "}, "name"),
        (staff, {**SEWING_3, "fee_waived": True}, "fee_waived"),
        (
            staff,
            {"name": "法律", "kind": "legal_rights", "fee": 0, "skill_code": "sewing"},
            "skill_code",
        ),
        (admin, SEWING_3, "agency_id"),
    ]
    for who, body, field in courses:
        assert_problem(await api.request("POST", "/courses", who, json=body), 422, field)
    path = f"/courses/{w['course']['id']}/sessions"
    sessions = [
        (session_body(starts_on=day(5), ends_on=day(4)), "ends_on"),
        (session_body(starts_on=day(-1)), "starts_on"),
        (session_body(capacity=0), "capacity"),
        (session_body(place=""), "place"),
    ]
    for body, field in sessions:
        assert_problem(await api.request("POST", path, staff, json=body), 422, field)
    r = await api.request("POST", "/courses", staff, json={**SEWING_3, "agency_id": 99})
    assert_problem(r, 403)
    assert_problem(await api.request("POST", path, w["staff_b"], json=session_body()), 404)
    assert await api.digest() == before


async def test_enrolment_is_free_for_poor_households_and_charged_otherwise(api: Api) -> None:
    w = await training_world(api)
    r = await enrol(api, w, "poor")
    assert r.status_code == 201, r.text
    poor = r.json()
    assert (poor["fee_due"], poor["fee_waived"], poor["status"]) == (0, True, "enrolled")
    plain = (await enrol(api, w, "plain")).json()
    assert (plain["fee_due"], plain["fee_waived"]) == (800, False)
    record = await api.ok("GET", f"/workers/{w['poor']['id']}/training", w["staff_a"])
    assert record["total"] == 1
    item = record["items"][0]
    assert item["course"]["name"] == "平缝中级班" and item["course"]["fee"] == 800
    assert (item["fee_due"], item["fee_waived"]) == (0, True)
    assert_problem(
        await api.request("GET", f"/workers/{w['poor']['id']}/training", w["staff_b"]), 404
    )
    hr = await api.employer_account((await api.employer())["id"])
    assert_problem(await api.request("GET", f"/workers/{w['poor']['id']}/training", hr), 403)
    sessions = await api.ok("GET", f"/courses/{w['course']['id']}/sessions", w["staff_a"])
    assert sessions["items"][0]["enrolled"] == 2


async def test_capacity_double_enrolment_and_foreign_workers_are_refused(api: Api) -> None:
    w = await training_world(api)
    assert (await enrol(api, w, "poor")).status_code == 201
    before = await api.digest()
    body = assert_problem(await enrol(api, w, "poor"), 409)
    assert "already enrolled" in body["detail"]
    assert_problem(await enrol(api, w, "foreign"), 404)
    r = await api.request(
        "POST",
        f"/training-sessions/{w['session']['id']}/enrolments",
        w["staff_b"],
        json={"worker_id": w["foreign"]["id"]},
    )
    assert_problem(r, 404)  # another agency's session
    r = await api.request(
        "POST",
        f"/training-sessions/{w['session']['id']}/enrolments",
        w["staff_a"],
        json={"worker_id": 0},
    )
    assert_problem(r, 422, "worker_id")
    assert await api.digest() == before
    assert (await enrol(api, w, "plain")).status_code == 201
    before = await api.digest()
    full = assert_problem(await enrol(api, w, "third"), 409)
    assert "capacity is 2" in full["detail"] and full["capacity"] == 2
    assert await api.digest() == before
    # a withdrawal frees her place, and cannot be repeated
    plain = (await api.ok("GET", f"/workers/{w['plain']['id']}/training", w["staff_a"]))["items"]
    r = await api.request(
        "POST", f"/enrolments/{plain[0]['id']}/withdraw", w["staff_a"], json={"refund": 800}
    )
    assert_problem(r, 422, "refund")
    assert await api.digest() == before
    left = await api.ok("POST", f"/enrolments/{plain[0]['id']}/withdraw", w["staff_a"])
    assert left["status"] == "withdrawn"
    assert_problem(
        await api.request("POST", f"/enrolments/{plain[0]['id']}/withdraw", w["staff_a"]), 409
    )
    assert (await enrol(api, w, "third")).status_code == 201


async def test_completion_certifies_her_skill_once(api: Api) -> None:
    w = await training_world(api)
    poor = (await enrol(api, w, "poor")).json()
    clock.travel(dt.timedelta(days=10))
    before = await api.digest()
    r = await api.request(
        "POST", f"/enrolments/{poor['id']}/complete", w["staff_a"], json={"completed_on": day(1)}
    )
    assert_problem(r, 422, "completed_on")
    r = await api.request(
        "POST", f"/enrolments/{poor['id']}/complete", w["staff_a"], json={"grade": "A"}
    )
    assert_problem(r, 422, "grade")
    r = await api.request("POST", f"/enrolments/{poor['id']}/complete", w["staff_b"])
    assert_problem(r, 404)
    assert await api.digest() == before
    done = await api.ok("POST", f"/enrolments/{poor['id']}/complete", w["staff_a"])
    assert done["status"] == "completed" and done["completed_on"] == day()
    worker = await api.ok("GET", f"/workers/{w['poor']['id']}", w["staff_a"])
    sewing = next(s for s in worker["skills"] if s["code"] == "sewing")
    assert sewing == {"code": "sewing", "level": 3, "source": "training", "certified_on": day()}
    assert worker["version"] == w["poor"]["version"] + 1
    before = await api.digest()
    assert_problem(
        await api.request("POST", f"/enrolments/{poor['id']}/complete", w["staff_a"]), 409
    )
    assert_problem(
        await api.request("POST", f"/enrolments/{poor['id']}/withdraw", w["staff_a"]), 409
    )
    assert await api.digest() == before


async def test_training_never_lowers_a_level_and_legal_rights_certify_no_skill(api: Api) -> None:
    w = await training_world(api)
    staff = w["staff_a"]
    expert = await api.worker(staff, priority_groups=[], skills=[{"code": "sewing", "level": 5}])
    e = await api.ok(
        "POST",
        f"/training-sessions/{w['session']['id']}/enrolments",
        staff,
        json={"worker_id": expert["id"]},
    )
    await api.ok("POST", f"/enrolments/{e['id']}/complete", staff, json={"completed_on": day()})
    skills = (await api.ok("GET", f"/workers/{expert['id']}", staff))["skills"]
    assert skills == [{"code": "sewing", "level": 5, "source": "training", "certified_on": day()}]
    legal = await api.ok(
        "POST", "/courses", staff, json={"name": "法律维权培训", "kind": "legal_rights", "fee": 50}
    )
    ts = await api.ok("POST", f"/courses/{legal['id']}/sessions", staff, json=session_body())
    e = await api.ok(
        "POST",
        f"/training-sessions/{ts['id']}/enrolments",
        staff,
        json={"worker_id": w["plain"]["id"]},
    )
    assert (e["fee_due"], e["fee_waived"]) == (50, False)
    done = await api.ok("POST", f"/enrolments/{e['id']}/complete", staff, json={})
    assert done["status"] == "completed"
    assert (await api.ok("GET", f"/workers/{w['plain']['id']}", staff))["skills"] == []


async def proposal(
    api: Api, staff: dict[str, str], worker_id: int, opening_id: int
) -> dict[str, Any] | None:
    """Run the matcher now; her proposal for the opening, if she got one."""
    r = await api.request("POST", "/match-runs", staff, json={})
    run = await wait_run(api, staff, r.json()["id"])
    assert run["status"] == "done", run
    page = await api.ok("GET", f"/match-runs/{run['id']}/proposals?limit=500", await api.admin())
    return next(
        (p for p in page["items"] if p["worker_id"] == worker_id and p["opening_id"] == opening_id),
        None,
    )


async def test_completing_a_course_changes_what_she_is_eligible_for(api: Api) -> None:
    w = await training_world(api)
    staff = w["staff_a"]
    body = {"name": "雅尔美服饰", "city": "上海", "industry": "服装"}
    employer = await api.ok("POST", "/employers", staff, json=body)  # her agency's employer
    opening = await api.opening(staff, employer["id"], headcount=1)  # sewing, minimum level 3
    # nobody else can sew; she can, at level 2, below the minimum: not proposed
    assert await proposal(api, staff, w["poor"]["id"], opening["id"]) is None
    e = (await enrol(api, w, "poor")).json()
    await api.ok("POST", f"/enrolments/{e['id']}/complete", staff)
    found = await proposal(api, staff, w["poor"]["id"], opening["id"])
    assert found is not None
    assert found["parts"]["training"] > 0  # the engine counts her certificate as recent training
