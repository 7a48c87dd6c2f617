"""Erasure (PIPL art. 47), on both databases: a worker with every kind of record is erased
through the API; afterwards no column of any table holds her name, phone or ID number (on
SQLite neither do the file's nor the WAL's bytes), the figures stand, she answers 404, a
second erasure 409, and she is in no later match run; the same woman registers anew."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import MetaData, event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from matching.app import create_app
from matching.db import migrate
from matching.db import models as m
from matching.db.engine import checkpoint_truncate, sqlite_pragmas
from matching.lib import clock
from matching.lib.identity import mask_id_number
from matching.lib.keys import Keys
from matching.lib.principal import SYSTEM
from matching.reports.service import dashboard
from matching.settings import Settings
from tests.conftest import TEST_SECRET
from tests.integration.test_aftercare import proposals, run
from tests.integration.test_notices import SECRET, sms
from tests.integration.test_web import _account, _get, _login
from tests.support import PASSWORD, Api, assert_problem, id_number_for, unique_phone

NAME = "蔺婉清"
BORN = "1991-03-09"
COUNTY = "如东县"
REASON = "本人书面申请删除个人信息"


@pytest.fixture(scope="module")
async def signed_client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """The app with a gateway secret, so her SMS replies are taken (the suite's app has none)."""
    app = create_app(dataclasses.replace(settings, notify_webhook_secret=SECRET))
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.fixture
def sapi(api: Api, signed_client: AsyncTestClient) -> Api:
    """An API driver on the signed app; ``api`` empties the tables afterwards."""
    return Api(signed_client, api.engine)


async def hr_account(api: Api, employer_id: int) -> dict[str, str]:
    username = f"hr{unique_phone()[-6:]}"
    body = {"username": username, "password": PASSWORD, "role": "employer"}
    await api.ok("POST", "/staff", await api.admin(), json=body | {"employer_id": employer_id})
    return await api.login(username)


async def full_world(api: Api) -> dict[str, Any]:
    """She has everything: ID number and phone, consent, training with a fee, a match run's
    reasons naming her county, an offer and its SMS, her SMS replies, a confirmed placement
    with its fee, a check-in answered in words, and two rights cases with log entries."""
    agency, other = await api.agency(), await api.agency()
    staff, other_staff = await api.staff(agency["id"]), await api.staff(other["id"])
    employer = await api.employer(agency_id=agency["id"], name="如东绣品厂", industry="服装")
    hr = await hr_account(api, employer["id"])
    await api.ok(
        "POST",
        f"/agencies/{agency['id']}/fee-schedule",
        await api.admin(),
        json={"rules": [{"amount": 300}]},
    )
    phone = unique_phone()
    id_number = id_number_for(dt.date.fromisoformat(BORN), region="320623", serial=next_serial())
    her = await api.worker(
        staff,
        name=NAME,
        phone=phone,
        birth_date=BORN,
        id_number=id_number,
        home_county=COUNTY,
        priority_groups=["left_behind"],
        willing_to_relocate=False,
        preferred_cities=["南通"],
        skills=[{"code": "embroidery", "level": 4}],
    )
    colleague = await api.worker(staff, name="周桂兰", priority_groups=[], skills=[])
    course = await api.ok(
        "POST",
        "/courses",
        staff,
        json={
            "name": "刺绣班",
            "kind": "skill",
            "skill_code": "embroidery",
            "level": 4,
            "fee": 500,
        },
    )
    today = clock.today()
    ts = await api.ok(
        "POST",
        f"/courses/{course['id']}/sessions",
        staff,
        json={
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=5)).isoformat(),
            "place": "镇成校",
            "capacity": 5,
        },
    )
    await api.ok(
        "POST", f"/training-sessions/{ts['id']}/enrolments", staff, json={"worker_id": her["id"]}
    )
    await api.opening(
        hr,
        employer["id"],
        title="绣工",
        city="南通",
        county=COUNTY,
        headcount=1,
        required_skills=[{"code": "embroidery", "min_level": 3}],
    )
    made = await run(api, staff)
    (proposal,) = (await api.ok("GET", f"/match-runs/{made['id']}/proposals", staff))["items"]
    assert proposal["worker_id"] == her["id"]
    assert any(COUNTY in x for x in proposal["reasons"])
    code = await link_code(api, her["id"])
    # her SMS replies: a question in her own words (kept as received), then "1" (accepts)
    assert (await sms(api, phone, f"我是{NAME}，住宿怎么安排")).status_code == 200
    r = await sms(api, phone, "1")
    assert r.status_code == 200 and r.json()["action"] == "accepted", r.text
    offer_id = r.json()["offer_id"]
    placement_id = (await api.ok("POST", f"/offers/{offer_id}/confirm", hr))["placement_id"]
    placement = await api.ok("GET", f"/placements/{placement_id}", staff)
    assert placement["fee_due"] == 300, placement
    clock.travel(dt.timedelta(days=14 + 7))
    await api.ok(
        "POST",
        f"/placements/{placement_id}/follow-ups/1",
        staff,
        json={
            "channel": "phone",
            "wages_on_time": False,
            "hours_as_agreed": True,
            "problem": f"{NAME}说十月工资拖了两周",
            "note": f"回访电话{phone}，{NAME}想换厂",
        },
    )
    case = await api.ok(
        "POST",
        "/cases",
        staff,
        json={
            "placement_id": placement_id,
            "type": "harassment",
            "summary": f"{NAME}（{id_number}）投诉班长骚扰",
        },
    )
    await api.ok(
        "POST",
        f"/cases/{case['id']}/entries",
        staff,
        json={"text": f"与{NAME}电话{phone}核实", "action": "call"},
    )
    await api.ok(
        "POST", f"/cases/{case['id']}/recovered", staff, json={"amount": 800, "note": "厂方赔偿"}
    )
    async with api.engine.connect() as conn:
        enc = (
            await conn.execute(
                select(m.WorkerProfile.id_number_enc).where(m.WorkerProfile.id == her["id"])
            )
        ).scalar_one()
    return {
        "agency": agency,
        "staff": staff,
        "other_staff": other_staff,
        "hr": hr,
        "her": her,
        "colleague": colleague,
        "phone": phone,
        "id_number": id_number,
        "id_enc": enc,
        "code": code,
        "placement_id": placement_id,
        "case_id": case["id"],
    }


_serials = iter(range(100, 999))


def next_serial() -> int:
    return next(_serials)


async def link_code(api: Api, worker_id: int) -> str:
    async with api.engine.connect() as conn:
        return str(
            (
                await conn.execute(
                    select(m.OfferLink.code).where(m.OfferLink.worker_id == worker_id)
                )
            ).scalar_one()
        )


def needles(w: dict[str, Any]) -> list[str]:
    """Her name, phone in every stored form (E.164, the digits she typed), ID number in the
    clear, masked, encrypted and as its keyed hash."""
    digits = w["phone"].removeprefix("+86")
    return [
        NAME,
        "+86" + digits,
        digits,
        w["id_number"],
        mask_id_number(w["id_number"]),
        w["id_enc"],
        Keys.from_secret(TEST_SECRET).lookup_hash(w["id_number"]),
    ]


async def every_value(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every column of every table, reflected from the
    database itself (so a table the models forget is searched too)."""
    meta = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        out: list[tuple[str, str, str]] = []
        for table in meta.sorted_tables:
            for row in (await conn.execute(select(table))).mappings():
                out.extend((table.name, k, str(v)) for k, v in row.items() if v is not None)
    return out


async def figures(api: Api, w: dict[str, Any]) -> dict[str, Any]:
    async with AsyncSession(api.engine) as session:
        board = dataclasses.asdict(await dashboard(session, SYSTEM))
    cases = await api.ok("GET", "/cases/figures", await api.admin())
    placement = await api.ok("GET", f"/placements/{w['placement_id']}", w["staff"])
    kept = {k: placement[k] for k in ("start_date", "status", "fee_due", "fee_waived")}
    # the federation's figures: she still counts, as a woman, local or away, with her income
    year = clock.today().year
    summary = await api.ok(
        "GET", f"/reports/summary?from={year - 1}-01-01&to={year + 1}-12-31", await api.admin()
    )
    return {"dashboard": board, "cases": cases, "placement": kept, "summary": summary}


async def erase(api: Api, headers: dict[str, str], worker_id: int, **body: Any) -> Any:
    return await api.request(
        "POST", f"/workers/{worker_id}/erase", headers, json=body or {"reason": REASON}
    )


async def test_erasure_leaves_no_trace_of_her_and_keeps_the_figures(sapi: Api) -> None:
    w = await full_world(sapi)
    found = [(t, c) for t, c, v in await every_value(sapi.engine) if NAME in v]
    assert len(found) >= 8, found  # the search finds her before: it can fail
    before = await figures(sapi, w)

    r = await erase(sapi, w["staff"], w["her"]["id"])
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["worker_id"] == w["her"]["id"] and out["reason"] == REASON
    kinds = {(k["kind"], k["id"]) for k in out["kept"]}
    assert ("placement", w["placement_id"]) in kinds and ("case", w["case_id"]) in kinds
    why = {(k["kind"], k["id"]): k["reason"] for k in out["kept"]}
    assert "fee" in why[("placement", w["placement_id"])]
    assert "compensation" in why[("case", w["case_id"])]
    assert out["removed"]["notices"] >= 2 and out["removed"]["sms_replies"] == 2
    assert out["removed"]["case_log_entries"] >= 2 and out["removed"]["proposal_reasons"] == 1

    # (a) no column of any table holds her
    hits = [(t, c, n) for t, c, v in await every_value(sapi.engine) for n in needles(w) if n in v]
    assert hits == []
    # (c) the figures stand
    assert await figures(sapi, w) == before
    # (d) she is gone from every read; her links are dead
    her = w["her"]["id"]
    assert_problem(await sapi.request("GET", f"/workers/{her}", w["staff"]), 404)
    assert_problem(await sapi.request("GET", f"/workers/{her}", await sapi.admin()), 404)
    assert_problem(await sapi.request("GET", f"/workers/{her}/offers", w["staff"]), 404)
    assert_problem(await sapi.request("GET", f"/workers/{her}/consents", w["staff"]), 404)
    listed = await sapi.ok("GET", "/workers", w["staff"])
    assert [x["id"] for x in listed["items"]] == [w["colleague"]["id"]]
    assert (await sapi.ok("GET", "/workers?q=已删除", w["staff"]))["total"] == 0
    assert (await sapi.client.get(f"/o/{w['code']}")).status_code == 404
    # (e) a second erasure is a clear conflict, and changes nothing
    digest = await sapi.digest()
    body = assert_problem(await erase(sapi, w["staff"], her), 409)
    assert "erased already" in body["detail"]
    assert await sapi.digest() == digest
    # the colleague is untouched
    assert (await sapi.ok("GET", f"/workers/{w['colleague']['id']}", w["staff"]))[
        "name"
    ] == "周桂兰"


async def test_erasure_withdraws_her_offer_sends_her_nothing_and_she_can_register_again(
    api: Api,
) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    opening = await api.opening(staff, employer["id"], headcount=1)
    phone = unique_phone()
    id_number = id_number_for(dt.date(1990, 5, 17), serial=next_serial())
    her = await api.worker(staff, name=NAME, phone=phone, id_number=id_number)
    await run(api, staff)
    (offer,) = (await api.ok("GET", f"/workers/{her['id']}/offers", staff))["items"]
    assert offer["status"] == "pending"
    code = await link_code(api, her["id"])

    out = await api.ok("POST", f"/workers/{her['id']}/erase", staff, json={"reason": REASON})
    assert out["withdrawn_offers"] == 1
    async with api.engine.connect() as conn:
        status = (
            await conn.execute(select(m.Offer.status).where(m.Offer.id == offer["id"]))
        ).scalar_one()
        to_her = (
            await conn.execute(select(m.Notice.id).where(m.Notice.worker_id == her["id"]))
        ).all()
    assert status == "withdrawn" and to_her == []  # nothing will be sent to her
    assert (await api.client.get(f"/o/{code}")).status_code == 404
    # (g) the slot is free again, and the next run proposes nobody: she is in no run
    assert (await run(api, staff))["stats"]["proposals"] == 0
    # the same woman, same phone and ID number, is a new record; the new record is matched
    again = await api.worker(staff, name=NAME, phone=phone, id_number=id_number)
    assert again["id"] != her["id"]
    assert await proposals(api, (await run(api, staff))["id"]) == {again["id"]: opening["id"]}


async def test_who_may_erase_and_bad_reasons_change_nothing(api: Api) -> None:
    agency, other = await api.agency(), await api.agency()
    staff, other_staff = await api.staff(agency["id"]), await api.staff(other["id"])
    employer = await api.employer(agency_id=agency["id"])
    hr = await hr_account(api, employer["id"])
    phone = unique_phone()
    her = await api.worker(staff, name=NAME, phone=phone)
    wid = her["id"]
    digest = await api.digest()
    assert_problem(await erase(api, other_staff, wid), 404)
    assert_problem(await erase(api, hr, wid), 403)
    assert_problem(await api.request("POST", f"/workers/{wid}/erase", json={"reason": REASON}), 401)
    assert_problem(await erase(api, staff, 999_999), 404)
    bad: list[Any] = [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "\u200b"},
        {"reason": "a\nb"},
        {"reason": "x" * 501},
        {"reason": 12},
        {"reason": f"{NAME}本人申请"},
        {"reason": f"电话{phone.removeprefix('+86')}的本人申请"},
        {"reason": REASON, "name": "x"},
    ]
    for body in bad:
        r = await api.request("POST", f"/workers/{wid}/erase", staff, json=body)
        assert_problem(r, 422, "name" if "name" in body else "reason")
    assert await api.digest() == digest
    # an admin may erase any agency's worker
    assert (await erase(api, await api.admin(), wid)).status_code == 200


@pytest.fixture
async def file_api(tmp_path: Path) -> AsyncIterator[Api]:
    """A fresh, file-backed SQLite database and an app on it, for reading the file's bytes."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'erase.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    settings = Settings(
        database_url=url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        db_pool_size=5,
        notify_webhook_secret=SECRET,
    )
    app = create_app(settings)
    engine = create_async_engine(url, poolclass=NullPool)
    event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    async with AsyncTestClient(app=app) as client:
        yield Api(client, engine)
    await engine.dispose()
    clock.reset()


async def test_on_sqlite_neither_the_file_nor_its_wal_holds_her(
    file_api: Api, tmp_path: Path
) -> None:
    w = await full_world(file_api)
    files = [tmp_path / "erase.db", tmp_path / "erase.db-wal"]

    def stored() -> bytes:
        return b"".join(p.read_bytes() for p in files if p.exists())

    # As in a database that has run a while: her pages were checkpointed into the file itself.
    assert await checkpoint_truncate(file_api.engine)
    assert NAME.encode() in files[0].read_bytes()  # she is there before: the search can fail
    r = await erase(file_api, w["staff"], w["her"]["id"])
    assert r.status_code == 200, r.text
    data = stored()
    assert (tmp_path / "erase.db-wal").stat().st_size == 0  # checkpointed and truncated
    assert [n for n in needles(w) if n.encode() in data] == []


async def test_the_console_erases_her_after_a_confirm_step_with_a_reason(api: Api) -> None:
    agency, other = await api.agency(), await api.agency()
    her = await api.worker(await api.staff(agency["id"]), name=NAME)
    page = f"/workers/{her['id']}"
    # staff of another agency see no page and cannot post the form
    token = await _login(api, await _account(api, "staff", agency_id=other["id"]))
    assert (await _get(api, f"{page}/erase")).status_code == 404
    digest = await api.digest()
    r = await api.client.post(
        f"{page}/erase", data={"reason": REASON, "_csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 404 and await api.digest() == digest

    token = await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    digest = await api.digest()  # with her agency's account
    assert f'href="{page}/erase"' in (await _get(api, page)).text
    confirm = await _get(api, f"{page}/erase")
    assert confirm.status_code == 200 and 'name="reason"' in confirm.text
    # no CSRF token, a blank reason, her name in the reason: refused, nothing written
    r = await api.client.post(f"{page}/erase", data={"reason": REASON}, follow_redirects=False)
    assert r.status_code == 403
    for reason in ("", "  ", f"{NAME}要求删除"):
        r = await api.client.post(
            f"{page}/erase", data={"reason": reason, "_csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 422 and 'id="e-reason"' in r.text, r.text
    assert await api.digest() == digest

    r = await api.client.post(
        f"{page}/erase", data={"reason": REASON, "_csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/workers?done=erased"
    listing = await _get(api, "/workers?done=erased")
    assert "她的个人信息已删除" in listing.text and NAME not in listing.text
    assert (await _get(api, page)).status_code == 404
    async with api.engine.connect() as conn:
        (erased,) = (await conn.execute(select(m.Erasure))).all()
    assert erased.worker_id == her["id"] and erased.reason == REASON
