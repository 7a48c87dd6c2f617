"""Match runs through the API and the CLI, on both databases: run, read, dry run, one at a
time, scoping of proposals by role, and a failure inside the write leaving nothing behind."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from matching.lib.principal import SYSTEM
from matching.matches import service as match_service
from matching.offers import service as offer_service
from tests.support import Api, assert_problem

LAOWU = str(Path(sys.executable).parent / "laowu")


async def wait_run(api: Api, headers: dict[str, str], run_id: int) -> dict[str, Any]:
    for _ in range(600):
        run = await api.ok("GET", f"/match-runs/{run_id}", headers)
        if run["status"] in ("done", "failed"):
            return dict(run)
        await asyncio.sleep(0.1)
    raise AssertionError(f"match run {run_id} did not finish")


async def small_world(api: Api) -> dict[str, Any]:
    """Two agencies, one employer with a 2-slot sewing opening in Shanghai, four workers."""
    a, b = await api.agency(), await api.agency()
    staff_a, staff_b = await api.staff(a["id"]), await api.staff(b["id"])
    employer = await api.employer(agency_id=a["id"], name="雅尔美服饰")
    other = await api.employer(agency_id=a["id"], name="另一家工厂")
    opening = await api.opening(staff_a, employer["id"], headcount=2)
    other_opening = await api.opening(
        staff_a,
        other["id"],
        title="质检员",
        required_skills=[{"code": "quality_inspection", "min_level": 2}],
    )
    priority = await api.worker(staff_a, name="杨长斌", priority_groups=["resettled_migrant"])
    plain1 = await api.worker(staff_a, name="李秀兰", priority_groups=[])
    plain2 = await api.worker(staff_b, name="王玉梅", priority_groups=[])
    unskilled = await api.worker(staff_b, name="赵小红", skills=[{"code": "cooking", "level": 2}])
    inspector = await api.worker(
        staff_b,
        name="周丽娟",
        priority_groups=[],
        skills=[{"code": "quality_inspection", "level": 3}],
    )
    return {
        "staff_a": staff_a,
        "staff_b": staff_b,
        "employer": employer,
        "opening": opening,
        "other_opening": other_opening,
        "priority": priority,
        "plain": [plain1, plain2],
        "unskilled": unskilled,
        "inspector": inspector,
        "employer_hr": await api.employer_account(employer["id"]),
    }


async def test_run_proposes_priority_first_and_makes_offers(api: Api) -> None:
    w = await small_world(api)
    r = await api.request("POST", "/match-runs", w["staff_a"], json={})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    run = await wait_run(api, w["staff_a"], r.json()["id"])
    assert run["status"] == "done", run["error"]
    stats = run["stats"]
    assert stats["workers_considered"] == 5
    assert stats["openings_considered"] == 2
    assert stats["proposals"] == 3  # two sewers for two slots, the inspector for her opening
    assert stats["priority_proposals"] == 1
    assert {"snapshot", "solve", "write", "total"} <= run["timings"].keys()
    assert run["audit"]["resettled_migrant"]["proposed"] == 1
    assert "counterfactual_proposed" in run["audit"]["resettled_migrant"]

    admin = await api.admin()
    page = await api.ok("GET", f"/match-runs/{run['id']}/proposals?limit=50", admin)
    assert page["total"] == 3
    by_worker = {p["worker_id"]: p for p in page["items"]}
    assert w["priority"]["id"] in by_worker  # the resettled migrant always gets a slot
    assert by_worker[w["priority"]["id"]]["opening_id"] == w["opening"]["id"]
    assert any("缝纫4级" in t and "要求3级" in t for t in by_worker[w["priority"]["id"]]["reasons"])
    assert by_worker[w["priority"]["id"]]["reasons"][0].startswith("优先群体")
    en = await api.ok("GET", f"/match-runs/{run['id']}/proposals?lang=en", admin)
    assert any("sewing level 4, opening asks 3" in t for p in en["items"] for t in p["reasons"])

    offers = await api.ok("GET", f"/workers/{w['priority']['id']}/offers", w["staff_a"])
    assert offers["total"] == 1
    assert offers["items"][0]["status"] == "pending"
    assert offers["items"][0]["opening_id"] == w["opening"]["id"]
    assert await api.count("offers") == 3
    assert await api.count("proposals") == 3
    profile = await api.ok("GET", f"/workers/{w['priority']['id']}", w["staff_a"])
    assert profile["status"] == "offered"

    # Why not me: the cook has no eligible opening; one of the plain sewers lost the slot.
    why = await api.ok("GET", f"/match-runs/{run['id']}/workers/{w['unskilled']['id']}", admin)
    assert why["proposed"] is False and why["reasons"]
    left_out = [p for p in w["plain"] if p["id"] not in by_worker]
    assert len(left_out) == 1
    why = await api.ok("GET", f"/match-runs/{run['id']}/workers/{left_out[0]['id']}?lang=en", admin)
    assert why["proposed"] is False and "went to others" in why["reasons"][0]

    # A second run proposes nobody already holding a live offer, and no slot twice.
    r = await api.request("POST", "/match-runs", admin, json={})
    second = await wait_run(api, admin, r.json()["id"])
    assert second["status"] == "done"
    assert second["stats"]["workers_considered"] == 2  # the left-out sewer and the cook
    assert second["stats"]["proposals"] == 0
    assert await api.count("offers") == 3


async def test_proposals_filtered_by_an_opening_id_beyond_any_column_answer_400(api: Api) -> None:
    """Found by the fuzzer: on PostgreSQL an opening_id past the column's range reached the
    database, which refused it (422, a status the operation did not declare)."""
    w = await small_world(api)
    r = await api.request("POST", "/match-runs", w["staff_a"], json={})
    run = await wait_run(api, w["staff_a"], r.json()["id"])
    before = await api.digest()
    for opening_id in ("2147483648", "1229782938247303441", "0"):
        r = await api.request(
            "GET", f"/match-runs/{run['id']}/proposals?opening_id={opening_id}", w["staff_a"]
        )
        assert_problem(r, 400, "opening_id")
    page = await api.ok(
        "GET", f"/match-runs/{run['id']}/proposals?opening_id={w['opening']['id']}", w["staff_a"]
    )
    assert page["total"] == 2
    assert await api.digest() == before


async def test_dry_run_keeps_its_proposals_and_writes_no_offers(api: Api) -> None:
    w = await small_world(api)
    before_offers = await api.count("offers")
    r = await api.request("POST", "/match-runs", w["staff_a"], json={"dry_run": True})
    run = await wait_run(api, w["staff_a"], r.json()["id"])
    assert run["status"] == "done" and run["dry_run"] is True
    assert run["stats"]["proposals"] == 3 and run["stats"]["offers"] == 0
    assert await api.count("proposals") == 3  # kept to be read (issue 11, item 7)
    assert await api.count("offers") == before_offers == 0
    assert await api.count("notices") == 0
    profile = await api.ok("GET", f"/workers/{w['priority']['id']}", w["staff_a"])
    assert profile["status"] == "available"


async def test_second_run_while_one_is_live_is_refused(api: Api) -> None:
    staff = await api.staff((await api.agency())["id"])
    async with AsyncSession(api.engine) as session, session.begin():
        queued = await match_service.request_run(session, SYSTEM, dry_run=False)
    before = await api.digest()
    r = await api.request("POST", "/match-runs", staff, json={})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["running_run_id"] == queued.id
    assert await api.digest() == before


async def test_proposals_are_scoped_by_role(api: Api) -> None:
    w = await small_world(api)
    r = await api.request("POST", "/match-runs", w["staff_a"], json={})
    run = await wait_run(api, w["staff_a"], r.json()["id"])
    rid = run["id"]
    seen_a = await api.ok("GET", f"/match-runs/{rid}/proposals", w["staff_a"])
    seen_b = await api.ok("GET", f"/match-runs/{rid}/proposals", w["staff_b"])
    agency_a_workers = {w["priority"]["id"], w["plain"][0]["id"]}
    assert {p["worker_id"] for p in seen_a["items"]} <= agency_a_workers
    assert {p["worker_id"] for p in seen_b["items"]}.isdisjoint(agency_a_workers)
    assert seen_a["total"] + seen_b["total"] == 3

    hr = await api.ok("GET", f"/match-runs/{rid}/proposals?limit=50", w["employer_hr"])
    assert hr["total"] == 2
    assert {p["opening_id"] for p in hr["items"]} == {w["opening"]["id"]}
    for p in hr["items"]:
        assert p["priority"] is None
        assert not any(t.startswith("优先群体") for t in p["reasons"])
        assert "id_number" not in p
    # employers do not read runs, offers or the why-not page
    for path in (f"/match-runs/{rid}", f"/workers/{w['priority']['id']}/offers", "/match-runs"):
        assert (await api.request("GET", path, w["employer_hr"])).status_code == 403
    r = await api.request("POST", "/match-runs", w["employer_hr"], json={})
    assert r.status_code == 403
    # staff cannot read another agency's worker's offers
    r = await api.request("GET", f"/workers/{w['priority']['id']}/offers", w["staff_b"])
    assert r.status_code == 404


async def test_failure_inside_the_write_leaves_nothing_behind(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await small_world(api)

    async def broken(*_args: Any, **_kw: Any) -> None:
        raise RuntimeError("disk full while writing offers")

    monkeypatch.setattr(offer_service, "make_offers", broken)
    r = await api.request("POST", "/match-runs", w["staff_a"], json={})
    run = await wait_run(api, w["staff_a"], r.json()["id"])
    assert run["status"] == "failed"
    assert "disk full" in run["error"]
    assert await api.count("proposals") == 0
    assert await api.count("offers") == 0
    assert await api.count("unproposed") == 0
    profile = await api.ok("GET", f"/workers/{w['priority']['id']}", w["staff_a"])
    assert profile["status"] == "available"
    # and the failed run does not block the next one
    monkeypatch.undo()
    r = await api.request("POST", "/match-runs", w["staff_a"], json={})
    assert r.status_code == 202
    assert (await wait_run(api, w["staff_a"], r.json()["id"]))["status"] == "done"


async def test_bad_run_requests(api: Api) -> None:
    staff = await api.staff((await api.agency())["id"])
    before = await api.digest()
    for body in ({"dry_run": "yes"}, {"unknown": 1}, [1, 2]):
        r = await api.request("POST", "/match-runs", staff, json=body)
        assert r.status_code in (400, 422), r.text
        assert r.json()["errors"]
    r = await api.request("GET", "/match-runs/999999", staff)
    assert r.status_code == 404
    r = await api.request("GET", "/match-runs/1/proposals?lang=fr", staff)
    assert r.status_code == 400
    assert (await api.request("POST", "/match-runs", json={})).status_code == 401
    assert await api.digest() == before


async def test_cli_match_run_wait_prints_progress_and_summary(api: Api, db_url: str) -> None:
    w = await small_world(api)
    env = os.environ | {"LAOWU_DATABASE_URL": db_url, "LAOWU_SECRET_KEY": "x" * 40}
    proc = await asyncio.create_subprocess_exec(
        LAOWU, "match", "run", "--wait", "--dry-run",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    summary = json.loads(out)
    assert summary["status"] == "done" and summary["dry_run"] is True
    assert summary["stats"]["proposals"] == 3
    for phase in ("[queued]", "[snapshot]", "[solve]", "[write]"):
        assert phase in err.decode()
    assert await api.count("offers") == 0
    proc = await asyncio.create_subprocess_exec(
        LAOWU, "match", "run", stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    assert json.loads(out)["status"] == "done"
    assert await api.count("offers") == 3
    assert w["opening"]["id"]
