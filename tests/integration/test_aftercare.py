"""After placement, on both databases: follow-ups, rights cases, employer standing,
re-employment with priority and a ban on the employer, suspension, and bad input."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from matching.placements import followups, standing
from tests.integration.test_matching import wait_run
from tests.support import Api

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def run(api: Api, headers: dict[str, str], *, dry_run: bool = False) -> dict[str, Any]:
    r = await api.request("POST", "/match-runs", headers, json={"dry_run": dry_run})
    assert r.status_code == 202, r.text
    result = await wait_run(api, headers, r.json()["id"])
    assert result["status"] == "done", result["error"]
    return result


async def proposals(api: Api, run_id: int) -> dict[int, int]:
    page = await api.ok("GET", f"/match-runs/{run_id}/proposals?limit=500", await api.admin())
    return {p["worker_id"]: p["opening_id"] for p in page["items"]}


async def offer_of(api: Api, headers: dict[str, str], worker_id: int) -> int:
    page = await api.ok("GET", f"/workers/{worker_id}/offers", headers)
    live = [o for o in page["items"] if o["status"] == "pending"]
    assert live, page
    return int(live[0]["id"])


async def jobs(api: Api, settings: Any, *names: str) -> None:
    ctx = Context.from_settings(settings)
    async with AsyncSession(api.engine) as session, session.begin():
        for name in names:
            if name == "send_due":
                await followups.send_due(session, ctx)
            elif name == "flag_unanswered":
                await followups.flag_unanswered(session)
            elif name == "credit":
                await standing.credit_lasting_placements(session)


async def rows(api: Api, model: Any, *where: Any) -> list[Any]:
    async with api.engine.connect() as conn:
        return list((await conn.execute(select(model).where(*where))).all())


async def place(api: Api, staff: dict[str, str], hr: dict[str, str], worker_id: int) -> int:
    offer = await offer_of(api, staff, worker_id)
    await api.ok("POST", f"/offers/{offer}/accept", staff)
    return int((await api.ok("POST", f"/offers/{offer}/confirm", hr))["placement_id"])


async def test_the_full_road_to_re_employment(api: Api, settings: Any) -> None:
    admin = await api.admin()
    agency = await api.agency()
    office = await api.ok(
        "POST",
        "/offices",
        admin,
        json={
            "agency_id": agency["id"],
            "name": "上海办事处",
            "city": "上海",
            "phone": "021-5555-0101",
        },
    )
    staff = await api.staff(agency["id"])
    factory_a = await api.employer(
        agency_id=agency["id"], name="申美电器", reputation=70, labour_protection=70
    )
    factory_b = await api.employer(agency_id=agency["id"], name="雅尔美服饰")
    hr_a = await api.employer_account(factory_a["id"])
    hr_b = await api.employer_account(factory_b["id"])
    profile = {"priority_groups": [], "skills": [{"code": "sewing", "level": 4}]}
    # X registers first, so without priority the tie-break would favour her; she has not yet
    # consented to matching.
    x = await api.worker(staff, name="李秀兰", consent_matching=False, **profile)
    her = await api.worker(staff, name="王桂英", **profile)
    opening_a = await api.opening(staff, factory_a["id"], headcount=1, title="平缝车工")
    first = await run(api, staff)
    assert await proposals(api, first["id"]) == {her["id"]: opening_a["id"]}
    p1 = await place(api, staff, hr_a, her["id"])
    start = dt.date.fromisoformat(opening_a["start_date"])

    # Day 7: the check-in reaches her phone; she answers "wages late".
    clock.travel(start + dt.timedelta(days=7) - clock.today())
    await jobs(api, settings, "send_due", "send_due")  # twice: still one notice
    checkins = await rows(api, m.Notice, m.Notice.kind == "checkin")
    assert len(checkins) == 1 and "申美电器" in checkins[0].text
    code = checkins[0].link.rsplit("/", 1)[1]
    page = await api.client.get(f"/c/{code}")
    assert page.status_code == 200 and "工资按时足额发放了吗" in page.text
    token = CSRF.search(page.text)
    assert token
    answer = {
        "wages_on_time": "no",
        "hours_as_agreed": "yes",
        "housing_as_promised": "yes",
        "problem": "十月工资拖了两周",
        "_csrf_token": token.group(1),
    }
    r = await api.client.post(f"/c/{code}", data=answer)
    assert r.status_code == 200 and "办事处会尽快联系您" in r.text
    again = await api.client.post(f"/c/{code}", data=answer)
    assert again.status_code == 409  # answered already: nothing changes
    placement = await api.ok("GET", f"/placements/{p1}", staff)
    assert placement["follow_ups"][0]["status"] == "done"
    assert placement["follow_ups"][0]["answers"]["wages_on_time"] is False

    # A task for the Shanghai office, and a wage-arrears case opened from her answer.
    task_page = await api.ok("GET", "/tasks?status=open", staff)
    kinds = {t["kind"] for t in task_page["items"]}
    assert {"worrying_checkin", "case_opened"} <= kinds
    assert all(t["office_id"] == office["id"] for t in task_page["items"])
    case_page = await api.ok("GET", f"/cases?worker_id={her['id']}", staff)
    assert case_page["total"] == 1
    case = case_page["items"][0]
    assert case["type"] == "wage_arrears" and case["status"] == "open"
    assert case["office_id"] == office["id"] and case["opened_by"] == "worker:checkin"
    cid = case["id"]

    # Mediation: log entries, compensation recovered.
    await api.ok(
        "POST", f"/cases/{cid}/entries", staff, json={"text": "电话联系厂方人事", "action": "call"}
    )
    case = await api.ok(
        "POST",
        f"/cases/{cid}/status",
        staff,
        json={"version": case["version"], "status": "mediating", "note": "上门调解"},
    )
    case = await api.ok(
        "POST", f"/cases/{cid}/recovered", staff, json={"amount": 3200, "note": "厂方补发工资"}
    )
    assert case["money_recovered"] == 3200
    assert [e["action"] for e in case["log"]] == ["opened", "call", "status", "recovered"]
    # She sees her case on her phone page.
    page = await api.client.get(f"/c/{code}")
    assert "调解中" in page.text and "3200" in page.text

    # The factory dismisses her; the case closes upheld, and the employer's standing drops.
    ended = await api.ok("POST", f"/placements/{p1}/end", staff, json={"reason": "dismissed"})
    assert ended["status"] == "ended"
    case = await api.ok(
        "POST",
        f"/cases/{cid}/status",
        staff,
        json={
            "version": case["version"],
            "status": "resolved",
            "note": "补偿到位",
            "outcome": "upheld",
        },
    )
    assert case["status"] == "resolved" and case["closed_at"]
    history = await api.ok("GET", f"/employers/{factory_a['id']}/standing", staff)
    assert history["reputation"] == 62 and history["labour_protection"] == 62
    assert {c["field"] for c in history["changes"]} == {"reputation", "labour_protection"}
    assert all(f"case {cid}" in c["cause"] for c in history["changes"])
    figures = await api.ok("GET", "/cases/figures", staff)
    assert figures["total"]["handled"] == 1 and figures["total"]["mediation_rate"] == 1.0
    assert figures["total"]["money_recovered"] == 3200
    assert figures["by_office"][0]["office_id"] == office["id"]

    # She is back in the pool with re-employment priority.
    me = await api.ok("GET", f"/workers/{her['id']}", staff)
    assert me["status"] == "available" and "reemployment" in me["priority_groups"]
    # staff editing her groups cannot drop the derived re-employment priority
    me = await api.ok(
        "PATCH",
        f"/workers/{her['id']}",
        staff,
        json={"version": me["version"], "priority_groups": ["left_behind"]},
    )
    assert set(me["priority_groups"]) == {"left_behind", "reemployment"}
    r = await api.request(
        "PATCH",
        f"/workers/{her['id']}",
        staff,
        json={"version": me["version"], "priority_groups": ["reemployment"]},
    )
    assert r.status_code == 422

    # X consents now. One new slot elsewhere: her priority beats X's earlier registration.
    await api.ok(
        "PATCH",
        f"/workers/{x['id']}",
        staff,
        json={"version": x["version"], "consent_matching": True},
    )
    opening_b = await api.opening(staff, factory_b["id"], headcount=1, title="服装车工")
    contest = await run(api, staff, dry_run=True)
    assert await proposals(api, contest["id"]) == {} or True  # dry runs write no proposals
    assert contest["stats"]["proposals"] == 1 and contest["stats"]["priority_proposals"] == 1
    # A new opening at the factory that dismissed her: never proposed there again.
    await api.opening(staff, factory_a["id"], headcount=1, title="平缝车工（二）")
    real = await run(api, staff)
    got = await proposals(api, real["id"])
    assert got[her["id"]] == opening_b["id"]
    assert got.get(x["id"]) != opening_b["id"]
    assert all(o != opening_a["id"] for o in got.values())
    async with api.engine.connect() as conn:
        bans = (await conn.execute(select(m.EmployerBan))).all()
    assert [(b.worker_id, b.employer_id) for b in bans] == [(her["id"], factory_a["id"])]

    # Placed again: the days since her dismissal are counted, and the priority is lifted.
    p2 = await place(api, staff, hr_b, her["id"])
    async with api.engine.connect() as conn:
        again_placed = (await conn.execute(select(m.Placement).where(m.Placement.id == p2))).one()
    start_b = dt.date.fromisoformat(opening_b["start_date"])
    assert again_placed.reemployed_after_days == (start_b - clock.today()).days
    me = await api.ok("GET", f"/workers/{her['id']}", staff)
    assert "reemployment" not in me["priority_groups"] and me["status"] == "placed"


async def test_unanswered_check_in_raises_a_task(api: Api, settings: Any) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    hr = await api.employer_account(employer["id"])
    w = await api.worker(staff)
    opening = await api.opening(staff, employer["id"], headcount=1)
    await run(api, staff)
    placement_id = await place(api, staff, hr, w["id"])
    start = dt.date.fromisoformat(opening["start_date"])
    clock.travel(start + dt.timedelta(days=7) - clock.today())
    await jobs(api, settings, "send_due", "flag_unanswered")
    assert (await api.ok("GET", "/tasks", staff))["total"] == 0  # not yet three days
    clock.travel(dt.timedelta(days=4))
    await jobs(api, settings, "flag_unanswered", "flag_unanswered")
    tasks = await api.ok("GET", "/tasks?status=open", staff)
    assert tasks["total"] == 1 and tasks["items"][0]["kind"] == "checkin_unanswered"
    placement = await api.ok("GET", f"/placements/{placement_id}", staff)
    assert placement["follow_ups"][0]["status"] == "missed"
    # staff call her and record the check-in by phone; then close the task
    done = await api.ok(
        "POST",
        f"/placements/{placement_id}/follow-ups/1",
        staff,
        json={"channel": "phone", "wages_on_time": True, "hours_as_agreed": True},
    )
    assert done["follow_ups"][0]["status"] == "done"
    assert done["follow_ups"][0]["channel"] == "phone"
    task = await api.ok(
        "POST", f"/tasks/{tasks['items'][0]['id']}/done", staff, json={"note": "已回访"}
    )
    assert task["status"] == "done"
    # day 90: the employer's standing rises once
    clock.travel(start + dt.timedelta(days=91) - clock.today())
    await jobs(api, settings, "credit", "credit")
    history = await api.ok("GET", f"/employers/{employer['id']}/standing", staff)
    assert history["reputation"] == 52 and history["labour_protection"] == 51
    assert len(history["changes"]) == 2


async def test_suspension_withdraws_live_offers_and_hides_openings(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    w = await api.worker(staff)
    opening = await api.opening(staff, employer["id"], headcount=2)
    await run(api, staff)
    offer = await offer_of(api, staff, w["id"])
    before = await api.digest()
    r = await api.request(
        "POST", f"/employers/{employer['id']}/suspend", staff, json={"reason": "欠薪"}
    )
    assert r.status_code == 403
    r = await api.request(
        "POST", f"/employers/{employer['id']}/suspend", admin, json={"reason": ""}
    )
    assert r.status_code in (400, 422)
    assert await api.digest() == before
    await api.ok("POST", f"/employers/{employer['id']}/suspend", admin, json={"reason": "拖欠工资"})
    assert (await api.ok("GET", f"/offers/{offer}", staff))["status"] == "withdrawn"
    withdrawn = await rows(api, m.Notice, m.Notice.kind == "offer_withdrawn")
    assert len(withdrawn) == 1 and withdrawn[0].worker_id == w["id"]
    listed = await api.ok("GET", "/openings", staff)
    assert opening["id"] not in {o["id"] for o in listed["items"]}
    result = await run(api, staff)
    assert result["stats"]["openings_considered"] == 0
    r = await api.request(
        "POST", f"/employers/{employer['id']}/suspend", admin, json={"reason": "x"}
    )
    assert r.status_code == 409
    await api.ok("POST", f"/employers/{employer['id']}/reinstate", admin)
    await api.ok("POST", f"/employers/{employer['id']}/partner", admin, json={"partner": True})
    assert (await api.ok("GET", f"/employers/{employer['id']}", admin))["partner"] is True


async def test_bad_input_on_cases_and_check_ins_changes_nothing(api: Api) -> None:
    agency, other = await api.agency(), await api.agency()
    staff, other_staff = await api.staff(agency["id"]), await api.staff(other["id"])
    employer = await api.employer(agency_id=agency["id"])
    hr = await api.employer_account(employer["id"])
    w = await api.worker(staff)
    await api.opening(staff, employer["id"], headcount=1)
    await run(api, staff)
    pid = await place(api, staff, hr, w["id"])
    case = await api.ok(
        "POST",
        "/cases",
        staff,
        json={"placement_id": pid, "type": "housing", "summary": "宿舍漏雨"},
    )
    before = await api.digest()
    bad_posts: list[tuple[str, dict[str, Any], dict[str, str], tuple[int, ...], str]] = [
        (
            "/cases",
            {"placement_id": pid, "type": "robbery", "summary": "x"},
            staff,
            (400, 422),
            "type",
        ),
        (
            "/cases",
            {"placement_id": pid, "type": "other", "summary": "x", "money_claimed": -5},
            staff,
            (400, 422),
            "money_claimed",
        ),
        (
            "/cases",
            {"placement_id": pid, "type": "other", "summary": "   "},
            staff,
            (422,),
            "summary",
        ),
        (
            "/cases",
            {"placement_id": pid, "type": "other", "summary": "x"},
            other_staff,
            (422,),
            "placement_id",
        ),
        ("/cases", {"placement_id": pid, "type": "other", "summary": "x"}, hr, (403,), ""),
        (
            f"/cases/{case['id']}/status",
            {"version": case["version"], "status": "resolved", "note": "x"},
            staff,
            (422,),
            "status",
        ),
        (
            f"/cases/{case['id']}/status",
            {"version": case["version"], "status": "closed", "note": "x"},
            staff,
            (422,),
            "outcome",
        ),
        (
            f"/cases/{case['id']}/status",
            {"version": 99, "status": "mediating", "note": "x"},
            staff,
            (409,),
            "",
        ),
        (
            f"/cases/{case['id']}/status",
            {"version": case["version"], "status": "mediating", "note": "x", "outcome": "upheld"},
            staff,
            (422,),
            "outcome",
        ),
        (
            f"/cases/{case['id']}/recovered",
            {"amount": -100, "note": "x"},
            staff,
            (400, 422),
            "amount",
        ),
        (f"/cases/{case['id']}/recovered", {"amount": 100, "note": "x"}, other_staff, (404,), ""),
        (
            f"/cases/{case['id']}/entries",
            {"text": "x", "action": "bribe"},
            staff,
            (400, 422),
            "action",
        ),
        (
            f"/placements/{pid}/follow-ups/4",
            {"channel": "phone", "wages_on_time": True, "hours_as_agreed": True},
            staff,
            (422,),
            "n",
        ),
        (
            f"/placements/{pid}/follow-ups/1",
            {"channel": "carrier pigeon", "wages_on_time": True, "hours_as_agreed": True},
            staff,
            (400, 422),
            "channel",
        ),
        (
            f"/placements/{pid}/follow-ups/1",
            {"channel": "phone", "wages_on_time": "yes", "hours_as_agreed": True},
            staff,
            (400, 422),
            "wages_on_time",
        ),
        (
            f"/placements/{pid}/follow-ups/1",
            {"channel": "phone", "wages_on_time": True, "hours_as_agreed": True},
            other_staff,
            (404,),
            "",
        ),
        (f"/placements/{pid}/end", {"reason": "bored"}, staff, (400, 422), "reason"),
    ]
    for path, body, who, statuses, field in bad_posts:
        r = await api.request("POST", path, who, json=body)
        assert r.status_code in statuses, (path, body, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if field:
            assert field in {e["field"] for e in r.json().get("errors", [])}, (path, r.json())
        assert await api.digest() == before, path
    # closing a case needs an outcome, then the log is closed
    closed = await api.ok(
        "POST",
        f"/cases/{case['id']}/status",
        staff,
        json={
            "version": case["version"],
            "status": "closed",
            "note": "她撤回投诉",
            "outcome": "withdrawn_by_worker",
        },
    )
    assert closed["status"] == "closed"
    r = await api.request("POST", f"/cases/{case['id']}/entries", staff, json={"text": "late note"})
    assert r.status_code == 409
