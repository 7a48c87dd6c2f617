"""Her copy of her data and the access log, on both databases: a read, a list, an export and
a console view each leave exactly one row per worker shown (checked in the table, after a
deterministic flush of the log's buffer); refusals leave none; the audit log filters and is
for admins only; the export holds every kind of record for a worker who has them all."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.ext.asyncio import create_async_engine

from matching.api.access import AccessLog
from matching.db import models as m
from matching.db.base import metadata
from matching.lib import clock
from tests.integration.test_fees import publish
from tests.integration.test_matching import wait_run
from tests.integration.test_training import SEWING_3, session_body
from tests.integration.test_web import _login
from tests.support import PASSWORD, Api, assert_problem, id_number_for, unique_phone

L = m.AccessLogEntry


async def flush(api: Api) -> None:
    """Write what the app's access log holds now (its background task does so every 0.5 s)."""
    api.flush_access_log()


async def log_rows(api: Api) -> list[Any]:
    await flush(api)
    async with api.engine.connect() as conn:
        stmt = select(L.worker_id, L.actor_id, L.action, L.request_id, L.detail).order_by(L.id)
        return list((await conn.execute(stmt)).all())


async def account(api: Api, role: str, **scope: int) -> tuple[int, dict[str, str]]:
    """A new account's id and its bearer header."""
    username = f"p{role}{unique_phone()[-7:]}"
    body = {"username": username, "password": PASSWORD, "role": role, **scope}
    made = await api.ok("POST", "/staff", await api.admin(), json=body)
    return int(made["id"]), await api.login(username)


async def test_a_staff_read_leaves_one_row_with_its_request_id(api: Api) -> None:
    agency = await api.agency()
    staff_id, staff = await account(api, "staff", agency_id=agency["id"])
    her = await api.worker(staff)
    await flush(api)
    before = len(await log_rows(api))  # registering her is a write, not a read: no row
    assert before == 0

    r = await api.request("GET", f"/workers/{her['id']}", staff)
    assert r.status_code == 200
    made = r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert await log_rows(api) == [(her["id"], staff_id, "worker.read", made, None)]

    # A client's own request id is kept (and answered); one that is not short and printable
    # is replaced by a new one.
    r = await api.request("GET", f"/workers/{her['id']}", staff | {"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    bad = await api.request("GET", f"/workers/{her['id']}", staff | {"X-Request-ID": "a b" * 40})
    assert re.fullmatch(r"[0-9a-f]{32}", bad.headers["x-request-id"])
    rows = await log_rows(api)
    assert [r.request_id for r in rows] == [made, "abc-123", bad.headers["x-request-id"]]
    # every response carries one, refusals too
    refused = await api.request("GET", "/workers/999999", staff)
    assert refused.status_code == 404 and refused.headers["x-request-id"]
    assert len(await log_rows(api)) == 3


async def test_reads_of_her_offers_consents_training_and_lists_are_logged(api: Api) -> None:
    agency = await api.agency()
    staff_id, staff = await account(api, "staff", agency_id=agency["id"])
    one, two = await api.worker(staff), await api.worker(staff)
    for path in ("offers", "consents", "training"):
        await api.ok("GET", f"/workers/{one['id']}/{path}", staff)
    page = await api.ok("GET", "/workers", staff)
    assert page["total"] == 2
    rows = await log_rows(api)
    assert [(r.worker_id, r.action) for r in rows[:3]] == [
        (one["id"], "worker.offers"),
        (one["id"], "worker.consents"),
        (one["id"], "worker.training"),
    ]
    listed = rows[3:]  # one row per worker the list showed, with the same request id
    assert sorted(r.worker_id for r in listed) == sorted([one["id"], two["id"]])
    assert {r.action for r in listed} == {"worker.list"} and len(
        {r.request_id for r in listed}
    ) == 1
    assert {r.actor_id for r in rows} == {staff_id}
    # an empty page logs nothing
    await api.ok("GET", "/workers?q=nobody-by-this-name", staff)
    assert len(await log_rows(api)) == 5


async def test_refused_reads_log_nothing(api: Api) -> None:
    a, b = await api.agency(), await api.agency()
    her = await api.worker(await api.staff(a["id"]))
    other = await api.staff(b["id"])
    employer = await api.employer()
    _, hr = await account(api, "employer", employer_id=employer["id"])
    assert_problem(await api.request("GET", f"/workers/{her['id']}", other), 404)
    assert_problem(await api.request("GET", f"/workers/{her['id']}/export", other), 404)
    assert_problem(await api.request("GET", f"/workers/{her['id']}", hr), 403)
    assert_problem(await api.request("GET", f"/workers/{her['id']}/export", hr), 403)
    assert_problem(await api.request("GET", f"/workers/{her['id']}/consents", other), 404)
    assert await log_rows(api) == []


async def test_the_audit_log_filters_and_is_for_admins_only(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    s1_id, s1 = await account(api, "staff", agency_id=agency["id"])
    s2_id, s2 = await account(api, "staff", agency_id=agency["id"])
    one, two = await api.worker(s1), await api.worker(s1)
    await api.ok("GET", f"/workers/{one['id']}", s1)
    clock.travel(dt.timedelta(days=3))
    await api.ok("GET", f"/workers/{two['id']}", s2)
    await api.ok("GET", f"/workers/{one['id']}", s2)
    await flush(api)

    page = await api.ok("GET", "/audit-log", admin)
    assert page["total"] == 3
    first = page["items"][0]
    assert set(first) >= {"at", "actor_id", "action", "worker_id", "detail"}
    # newest first
    assert [(i["worker_id"], i["actor_id"]) for i in page["items"]] == [
        (one["id"], s2_id),
        (two["id"], s2_id),
        (one["id"], s1_id),
    ]
    by_worker = await api.ok("GET", f"/audit-log?worker_id={one['id']}", admin)
    assert {i["actor_id"] for i in by_worker["items"]} == {s1_id, s2_id}
    by_actor = await api.ok("GET", f"/audit-log?actor_id={s1_id}", admin)
    assert [i["worker_id"] for i in by_actor["items"]] == [one["id"]]
    today = clock.today()
    earlier = (today - dt.timedelta(days=3)).isoformat()
    recent = await api.ok("GET", f"/audit-log?from={today.isoformat()}", admin)
    assert recent["total"] == 2
    old = await api.ok("GET", f"/audit-log?from={earlier}&to={earlier}", admin)
    assert [i["actor_id"] for i in old["items"]] == [s1_id]
    at = dt.datetime.fromisoformat(page["items"][1]["at"])
    exact = await api.ok(
        "GET", "/audit-log", admin, params={"from": at.isoformat(), "to": at.isoformat()}
    )
    assert [i["worker_id"] for i in exact["items"]] == [two["id"]]
    paged = await api.ok("GET", "/audit-log?limit=1&offset=1", admin)
    assert paged["total"] == 3 and paged["items"][0]["worker_id"] == two["id"]
    action = await api.ok("GET", "/audit-log?action=worker.list", admin)
    assert action["total"] == 0

    # staff and employers may not read it
    employer = await api.employer()
    _, hr = await account(api, "employer", employer_id=employer["id"])
    assert_problem(await api.request("GET", "/audit-log", s1), 403)
    assert_problem(await api.request("GET", "/audit-log", hr), 403)
    # bad filters name their field
    assert_problem(await api.request("GET", "/audit-log?from=yesterday", admin), 422, "from")
    assert_problem(await api.request("GET", "/audit-log?to=2026-13-01", admin), 422, "to")
    r = await api.request("GET", "/audit-log?from=2026-12-02&to=2026-12-01", admin)
    assert_problem(r, 422, "to")
    assert_problem(
        await api.request("GET", "/audit-log?from=0001-01-01T00:00+08:00", admin), 422, "from"
    )
    assert_problem(await api.request("GET", "/audit-log?action=worker.peek", admin), 422, "action")
    assert_problem(await api.request("GET", "/audit-log?worker_id=abc", admin), 400, "worker_id")
    assert_problem(await api.request("GET", "/audit-log?actor_id=0", admin), 400, "actor_id")


async def her_whole_record(api: Api) -> dict[str, Any]:
    """A worker who has every kind of record, built through the public API: registered with
    her ID number and priority group (her consents), proposed by a match run, offered,
    accepted, confirmed (a fee), a follow-up answered, a case with its log, a course."""
    admin = await api.admin()
    agency = await api.agency()
    staff_id, staff = await account(api, "staff", agency_id=agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="雅尔美服饰", industry="服装")
    await publish(
        api, agency["id"], [{"destination_city": "上海", "industry": "服装", "amount": 600}]
    )
    # It starts today: her check-in below is taken only once she has started.
    await api.opening(staff, employer["id"], headcount=1, start_date=clock.today().isoformat())
    id_number = id_number_for(dt.date(1990, 5, 17), serial=246)
    her = await api.worker(
        staff, name="王桂英", id_number=id_number, priority_groups=["left_behind"]
    )
    await api.ok(
        "PATCH",
        f"/workers/{her['id']}",
        staff,
        json={"version": her["version"], "consent_sensitive": True, "consent_version": "2026-12"},
    )
    r = await api.request("POST", "/match-runs", staff, json={})
    run = await wait_run(api, staff, r.json()["id"])
    assert run["status"] == "done", run
    offers = await api.ok("GET", f"/workers/{her['id']}/offers", staff)
    offer_id = offers["items"][0]["id"]
    await api.ok("POST", f"/offers/{offer_id}/accept", staff)
    placement_id = (await api.ok("POST", f"/offers/{offer_id}/confirm", staff))["placement_id"]
    await api.ok(
        "POST",
        f"/placements/{placement_id}/follow-ups/1",
        staff,
        json={
            "wages_on_time": False,
            "hours_as_agreed": True,
            "housing_as_promised": True,
            "problem": "十月工资拖了两周",
            "channel": "phone",
        },
    )
    cases = await api.ok("GET", f"/cases?worker_id={her['id']}", staff)
    if cases["total"] == 0:
        await api.ok(
            "POST",
            "/cases",
            staff,
            json={"placement_id": placement_id, "type": "wage_arrears", "summary": "工资拖欠"},
        )
        cases = await api.ok("GET", f"/cases?worker_id={her['id']}", staff)
    case_id = cases["items"][0]["id"]
    await api.ok(
        "POST",
        f"/cases/{case_id}/entries",
        staff,
        json={"text": "电话联系厂方人事", "action": "call"},
    )
    course = await api.ok("POST", "/courses", staff, json=SEWING_3)
    ts = await api.ok("POST", f"/courses/{course['id']}/sessions", staff, json=session_body())
    await api.ok(
        "POST", f"/training-sessions/{ts['id']}/enrolments", staff, json={"worker_id": her["id"]}
    )
    del admin
    return {
        "her": her,
        "staff": staff,
        "staff_id": staff_id,
        "id_number": id_number,
        "agency": agency,
    }


SECTIONS = (
    "skills",
    "priority_groups",
    "consents",
    "proposals",
    "offers",
    "placements",
    "follow_ups",
    "cases",
    "case_logs",
    "tasks",
    "notices",
    "training",
    "fees",
    "access_log",
)


async def test_the_export_holds_every_kind_of_record_and_is_logged(api: Api) -> None:
    w = await her_whole_record(api)
    her, staff = w["her"], w["staff"]
    await api.ok("GET", f"/workers/{her['id']}", staff)  # a read before: in her log
    before = len(await log_rows(api))
    r = await api.request("GET", f"/workers/{her['id']}/export", staff)
    assert r.status_code == 200, r.text
    x = r.json()
    assert x["worker"]["id_number"] == w["id_number"]  # in full, decrypted
    assert x["worker"]["name"] == "王桂英" and "id_number_enc" not in x["worker"]
    assert "id_number_hash" not in r.text
    for section in SECTIONS:
        assert x[section], f"{section} is empty"
    answered = [f for f in x["follow_ups"] if f["answers"]]
    assert answered[0]["answers"]["problem"] == "十月工资拖了两周"
    assert {e["action"] for e in x["case_logs"]} >= {"opened", "call"}
    assert {c["kind"] for c in x["consents"]} == {"matching", "sensitive"}
    assert {f["for"] for f in x["fees"]} == {"placement", "training"}
    assert any(f["fee_due"] == 600 for f in x["fees"] if f["for"] == "placement")
    assert x["proposals"][0]["reasons"]
    assert all(n["to_phone"] == her["phone"] for n in x["notices"])
    # who read her: the read before, and this export itself
    actions = [a["action"] for a in x["access_log"]]
    assert actions[-2:] == ["worker.read", "worker.export"]
    assert x["access_log"][-1]["actor_id"] == w["staff_id"]
    rows = await log_rows(api)
    assert len(rows) == before + 1
    assert rows[-1] == (her["id"], w["staff_id"], "worker.export", r.headers["x-request-id"], None)

    # An admin may export her too; another agency's staff may not, and nothing is logged.
    admin_copy = await api.ok("GET", f"/workers/{her['id']}/export", await api.admin())
    assert admin_copy["worker"]["id_number"] == w["id_number"]
    other = await api.staff((await api.agency())["id"])
    assert_problem(await api.request("GET", f"/workers/{her['id']}/export", other), 404)
    assert_problem(await api.request("GET", "/workers/999999/export", staff), 404)
    assert len(await log_rows(api)) == before + 2


async def test_the_console_view_and_export_page_each_leave_one_row(api: Api) -> None:
    w = await her_whole_record(api)
    her = w["her"]
    username = f"pweb{unique_phone()[-7:]}"
    made = await api.ok(
        "POST",
        "/staff",
        await api.admin(),
        json={
            "username": username,
            "password": PASSWORD,
            "role": "staff",
            "agency_id": w["agency"]["id"],
        },
    )
    await _login(api, username)
    before = len(await log_rows(api))
    page = await api.client.get(f"/workers/{her['id']}", follow_redirects=False)
    assert page.status_code == 200 and f'href="/workers/{her["id"]}/export"' in page.text
    rows = await log_rows(api)
    assert rows[before:] == [
        (her["id"], made["id"], "console.worker.view", page.headers["x-request-id"], None)
    ]
    r = await api.client.get(f"/workers/{her['id']}/export", follow_redirects=False)
    assert r.status_code == 200
    text = r.text
    assert "王桂英的个人信息副本" in text and w["id_number"] in text
    for heading in (
        "基本信息",
        "她的同意记录",
        "匹配推荐及理由",
        "录用通知",
        "输送就业",
        "回访与她的回答",
        "十月工资拖了两周",
        "维权案件",
        "电话联系厂方人事",
        "发给她的通知",
        "技能培训",
        "费用",
        "谁查阅过她的信息",
        "在工作台查看她的页面",
    ):
        assert heading in text, heading
    rows = await log_rows(api)
    assert rows[before + 1 :] == [
        (her["id"], made["id"], "console.worker.export", r.headers["x-request-id"], None)
    ]
    # another agency's staff: 404, nothing logged
    b = await api.agency()
    other = f"pweb{unique_phone()[-7:]}"
    await api.ok(
        "POST",
        "/staff",
        await api.admin(),
        json={"username": other, "password": PASSWORD, "role": "staff", "agency_id": b["id"]},
    )
    await _login(api, other)
    assert (await api.client.get(f"/workers/{her['id']}/export")).status_code == 404
    assert (await api.client.get(f"/workers/{her['id']}")).status_code == 404
    assert len(await log_rows(api)) == before + 2
    api.client.cookies.clear()


async def test_a_failed_flush_keeps_its_rows_and_stopping_writes_them(tmp_path: Path) -> None:
    """The buffer against a real database that cannot take the rows yet (no table): the flush
    fails and keeps them, in order; once the table exists the next flush (here: stop) writes
    them all."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"
    engine = create_async_engine(url)
    access = AccessLog(engine, interval=3600)
    try:
        access.add(7, "worker.read", [1, 2], "r1")
        access.add(8, "worker.list", [3], "r2", "page")
        with pytest.raises(Exception, match="access_log"):
            await access.flush()
        assert access.pending == 3
        access.add(9, "worker.read", [4], "r3")
        access.start()
        sync = create_engine(f"sqlite:///{tmp_path / 'log.db'}")
        metadata.tables["access_log"].create(sync)  # a throwaway database: the table alone
        await access.stop()
        assert access.pending == 0
        with sync.connect() as conn:
            stmt = select(L.worker_id, L.actor_id, L.request_id).order_by(L.id)
            got = [tuple(r) for r in conn.execute(stmt)]
        sync.dispose()
        assert got == [(1, 7, "r1"), (2, 7, "r1"), (3, 8, "r2"), (4, 9, "r3")]
    finally:
        await engine.dispose()


async def test_proposals_outcomes_and_the_employers_candidates_are_logged(api: Api) -> None:
    """Reads that show her name with her skills or reasons: a run's proposals (staff and her
    employer, API and console), why a run proposed her, and the employer's candidate page."""
    from tests.integration.test_employer_view import placed_world

    w = await placed_world(api)
    her, run_id = w["her"]["id"], w["run"]["id"]
    await flush(api)
    before = len(await log_rows(api))
    await api.ok("GET", f"/match-runs/{run_id}/proposals", w["staff"])
    await api.ok("GET", f"/match-runs/{run_id}/proposals", w["hr"])
    await api.ok("GET", f"/match-runs/{run_id}/workers/{her}", w["staff"])
    await _login(api, w["username"])
    page = await api.client.get("/employer/candidates?status=confirmed")
    assert page.status_code == 200 and w["her"]["name"] in page.text
    rows = (await log_rows(api))[before:]
    assert [(r.worker_id, r.action) for r in rows] == [
        (her, "proposal.list"),
        (her, "proposal.list"),
        (her, "match.outcome"),
        (her, "console.candidates"),
    ]
    assert rows[2].detail == f"run {run_id}"
    # an employer's empty candidate page logs nothing
    other = await api.employer(name="没有候选人的工厂")
    username = f"hr{unique_phone()[-6:]}"
    body = {
        "username": username,
        "password": PASSWORD,
        "role": "employer",
        "employer_id": other["id"],
    }
    await api.ok("POST", "/staff", await api.admin(), json=body)
    await _login(api, username)
    assert (await api.client.get("/employer/candidates")).status_code == 200
    assert len(await log_rows(api)) == before + 4
