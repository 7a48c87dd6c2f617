"""A job fair's QR self-registration: her phone page (/f/{code}), the queue staff confirm into
the register or reject, the QR code itself, the flood limit and the retention job. Over HTTP,
on SQLite and PostgreSQL; every write path checks the database afterwards."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
import zxingcpp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from matching.lib import clock
from matching.lib.context import Context
from matching.profiles import fair_registrations as registrations
from matching.settings import Settings
from tests.integration.test_web import _account, _login
from tests.support import Api, assert_problem, unique_phone
from workers import jobs
from workers.jobs import JobRuntime

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
PERSONAL = "name, phone, birth_date, home_county, skills, willing_to_relocate"


async def _fair(api: Api, staff: dict[str, str]) -> dict[str, Any]:
    body = {"name": "春风行动招聘会", "date": "2026-03-01", "place": "镇文化广场"}
    return dict(await api.ok("POST", "/job-fairs", staff, json=body))


async def _code(api: Api, fair_id: int) -> str:
    async with api.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT register_code FROM job_fairs WHERE id = :id"), {"id": fair_id}
        )
        return str(found.scalar_one())


async def _rows(api: Api, fair_id: int) -> list[Any]:
    async with api.engine.connect() as conn:
        found = await conn.execute(
            text(
                f"SELECT id, status, worker_id, consent_version, {PERSONAL}"
                " FROM fair_registrations WHERE job_fair_id = :id ORDER BY id"
            ),
            {"id": fair_id},
        )
        return list(found.all())


def _form(**overrides: str | None) -> dict[str, str]:
    body: dict[str, str | None] = {
        "name": "李桂兰",
        "phone": unique_phone(),
        "birth_date": "1988-04-02",
        "home_county": "通州区",
        "skill_sewing": "4",
        "skill_embroidery": "2",
        "willing_to_relocate": "yes",
        "consent": "yes",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def _post(api: Api, code: str, form: dict[str, str]) -> Any:
    """Her page as her phone sees it: GET (the CSRF cookie and token), then POST the form."""
    page = await api.client.get(f"/f/{code}")
    assert page.status_code == 200, page.text
    token = _TOKEN.search(page.text)
    assert token
    return await api.client.post(f"/f/{code}", data={**form, "_csrf_token": token.group(1)})


@pytest.fixture
def world_host(client_host: list[str]) -> list[str]:
    """Each test posts from an address of its own, so the flood limit of one is not another's."""
    client_host[0] = f"10.3.{len(unique_phone()) % 7}.{int(unique_phone()[-3:]) % 250}"
    return client_host


async def test_a_registration_with_every_field_wrong_names_every_field_and_stores_nothing(
    api: Api, world_host: list[str]
) -> None:
    staff = await api.staff((await api.agency())["id"])
    fair = await _fair(api, staff)
    code = await _code(api, fair["id"])
    bad = _form(
        name="",
        phone="12345",
        birth_date="2020-13-45",
        home_county="",
        skill_sewing="9",
        willing_to_relocate="maybe",
        consent=None,  # she did not tick it
    )
    before = await api.digest()
    r = await _post(api, code, bad)
    assert r.status_code == 422
    errors = dict(re.findall(r'<p class="err" id="e-([a-z_]+)">([^<]+)</p>', r.text))
    assert set(errors) == {
        "name",
        "phone",
        "birth_date",
        "home_county",
        "skills",
        "willing_to_relocate",
        "consent",
    }
    assert errors["name"] == "不能为空"
    assert errors["birth_date"] == "请按 年-月-日 填写日期"
    assert "勾选" in errors["consent"]
    assert 'value="12345"' in r.text  # what she typed stays
    assert await api.digest() == before
    # Too young is caught by the register's own rule (Labour Law art. 15), also at once.
    young = (clock.today() - dt.timedelta(days=365 * 15)).isoformat()
    r = await _post(api, code, _form(birth_date=young, phone="+8612"))
    assert r.status_code == 422
    assert "须年满16周岁" in r.text and 'id="e-phone"' in r.text
    assert await api.digest() == before


async def test_the_consent_box_is_never_ticked_for_her(api: Api, world_host: list[str]) -> None:
    staff = await api.staff((await api.agency())["id"])
    fair = await _fair(api, staff)
    r = await api.client.get(f"/f/{await _code(api, fair['id'])}")
    box = re.search(r'<input type="checkbox" name="consent"[^>]*>', r.text)
    assert box and "checked" not in box.group(0)
    assert "我同意举办本次招聘会的劳务中介" in r.text  # the text of what she consents to
    assert (await api.client.get("/f/not-a-fair-code")).status_code == 404


async def test_a_good_registration_is_queued_counted_and_confirmed_with_her_consent(
    api: Api, world_host: list[str]
) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    fair = await _fair(api, staff)
    code = await _code(api, fair["id"])
    phone = unique_phone()
    r = await _post(api, code, _form(phone=phone))
    assert r.status_code == 200 and "已收到" in r.text, r.text
    assert await api.count("worker_profiles") == 0  # a queue, never the register
    assert (await api.ok("GET", f"/job-fairs/{fair['id']}", staff))["registrations"] == 1
    page = await api.ok("GET", f"/job-fairs/{fair['id']}/registrations", staff)
    assert page["total"] == 1
    entry = page["items"][0]
    assert entry["status"] == "queued" and entry["phone"] == f"+86{phone}"
    assert entry["skills"] == [{"code": "embroidery", "level": 2}, {"code": "sewing", "level": 4}]
    assert entry["willing_to_relocate"] is True and entry["duplicate_of"] is None

    done = await api.ok(
        "POST", f"/job-fairs/{fair['id']}/registrations/{entry['id']}/confirm", staff
    )
    assert done["status"] == "confirmed" and done["name"] is None and done["phone"] is None
    worker = await api.ok("GET", f"/workers/{done['worker_id']}", staff)
    assert worker["name"] == "李桂兰" and worker["agency_id"] == agency["id"]
    assert worker["consent_matching"] is True and worker["willing_to_relocate"] is True
    assert {s["code"]: s["level"] for s in worker["skills"]} == {"sewing": 4, "embroidery": 2}
    consents = await api.ok("GET", f"/workers/{worker['id']}/consents", staff)
    assert [(c["kind"], c["given"], c["channel"]) for c in consents["items"]] == [
        ("matching", True, "phone_page")
    ]
    rows = await _rows(api, fair["id"])
    assert [(r.status, r.worker_id) for r in rows] == [("confirmed", worker["id"])]
    assert all(getattr(rows[0], f) is None for f in PERSONAL.split(", "))
    # Handled once: a second confirmation is a conflict and registers nobody.
    r = await api.request(
        "POST", f"/job-fairs/{fair['id']}/registrations/{entry['id']}/confirm", staff
    )
    assert_problem(r, 409)
    assert await api.count("worker_profiles") == 1
    assert (await api.ok("GET", f"/job-fairs/{fair['id']}", staff))["registrations"] == 1


async def test_the_same_phone_again_is_marked_a_duplicate_not_registered_twice(
    api: Api, world_host: list[str]
) -> None:
    staff = await api.staff((await api.agency())["id"])
    fair = await _fair(api, staff)
    code = await _code(api, fair["id"])
    phone = unique_phone()
    assert (await _post(api, code, _form(phone=phone))).status_code == 200
    assert (await _post(api, code, _form(phone=f"+86 {phone}", name="李桂兰二"))).status_code == 200
    first, second = (await api.ok("GET", f"/job-fairs/{fair['id']}/registrations", staff))["items"]
    made = await api.ok(
        "POST", f"/job-fairs/{fair['id']}/registrations/{first['id']}/confirm", staff
    )
    queued = await api.ok("GET", f"/job-fairs/{fair['id']}/registrations?status=queued", staff)
    assert queued["items"][0]["duplicate_of"] == made["worker_id"]  # shown before confirming
    dup = await api.ok(
        "POST", f"/job-fairs/{fair['id']}/registrations/{second['id']}/confirm", staff
    )
    assert dup["status"] == "duplicate" and dup["worker_id"] == made["worker_id"]
    assert await api.count("worker_profiles") == 1
    rows = await _rows(api, fair["id"])
    assert [r.status for r in rows] == ["confirmed", "duplicate"]
    assert rows[1].phone is None and rows[1].name is None


async def test_reject_blanks_her_entry_and_registers_nobody(
    api: Api, world_host: list[str]
) -> None:
    staff = await api.staff((await api.agency())["id"])
    fair = await _fair(api, staff)
    assert (await _post(api, await _code(api, fair["id"]), _form())).status_code == 200
    (entry,) = (await api.ok("GET", f"/job-fairs/{fair['id']}/registrations", staff))["items"]
    out = await api.ok("POST", f"/job-fairs/{fair['id']}/registrations/{entry['id']}/reject", staff)
    assert out["status"] == "rejected" and out["worker_id"] is None
    (row,) = await _rows(api, fair["id"])
    assert row.status == "rejected" and all(getattr(row, f) is None for f in PERSONAL.split(", "))
    assert await api.count("worker_profiles") == 0
    r = await api.request(
        "POST", f"/job-fairs/{fair['id']}/registrations/{entry['id']}/confirm", staff
    )
    assert_problem(r, 409)
    assert await api.count("worker_profiles") == 0


async def test_another_agencys_staff_and_employers_see_no_queue(
    api: Api, world_host: list[str]
) -> None:
    staff = await api.staff((await api.agency())["id"])
    other = await api.staff((await api.agency())["id"])
    employer = await api.employer_account((await api.employer())["id"])
    fair = await _fair(api, staff)
    assert (await _post(api, await _code(api, fair["id"]), _form())).status_code == 200
    (entry,) = (await api.ok("GET", f"/job-fairs/{fair['id']}/registrations", staff))["items"]
    before = await api.digest()
    base = f"/job-fairs/{fair['id']}"
    for method, path in (
        ("GET", f"{base}/registrations"),
        ("GET", f"{base}/qr.svg"),
        ("POST", f"{base}/registrations/{entry['id']}/confirm"),
        ("POST", f"{base}/registrations/{entry['id']}/reject"),
    ):
        assert_problem(await api.request(method, path, other), 404)
        assert (await api.request(method, path, employer)).status_code == 403
    assert await api.digest() == before
    # an admin sees every fair's queue
    admin_page = await api.ok("GET", f"{base}/registrations", await api.admin())
    assert admin_page["total"] == 1


def _modules(svg: str) -> np.ndarray:
    """segno's SVG as pixels: one path of horizontal runs (``M x y`` then ``h n`` and ``m dx
    dy`` moves, in modules) — what a browser draws, for the decoder to read."""
    root = ET.fromstring(svg)  # noqa: S314 (our own answer)
    ns = "{http://www.w3.org/2000/svg}"
    size = int(root.get("width", "0")) // 8
    path = root.find(f"{ns}path")
    assert path is not None
    grid = np.full((size, size), 255, dtype=np.uint8)
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d", "")):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            grid[int(y), int(x) : int(x + float(a))] = 0
            x += float(a)
    return np.kron(grid, np.ones((8, 8), dtype=np.uint8))  # 8 pixels a module


async def test_the_qr_code_encodes_her_page_on_the_public_url(
    api: Api, world_host: list[str]
) -> None:
    staff = await api.staff((await api.agency())["id"])
    fair = await _fair(api, staff)
    r = await api.request("GET", f"/job-fairs/{fair['id']}/qr.svg", staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    settings = api.client.app.state.settings
    url = f"{settings.public_url}/f/{await _code(api, fair['id'])}"
    found = zxingcpp.read_barcodes(_modules(r.text))
    assert [b.text for b in found] == [url]
    assert [b.format for b in found] == [zxingcpp.BarcodeFormat.QRCode]
    # the console's fair page carries the same code inline, and the link beside it
    username = await _account(api, "staff", agency_id=fair["agency_id"])
    await _login(api, username)
    page = await api.client.get(f"/fairs/{fair['id']}")
    assert page.status_code == 200 and f'href="{url}"' in page.text
    inline = re.search(r"<svg .*?</svg>", page.text, re.S)
    assert inline
    assert (
        registrations.qr_svg(url, scale=5).split("<path", 1)[1]
        == inline.group(0).split("<path", 1)[1]
    )
    poster = await api.client.get(f"/fairs/{fair['id']}/poster")
    assert poster.status_code == 200 and "扫一扫" in poster.text and "<svg" in poster.text


async def test_a_flood_from_one_address_is_refused_and_writes_nothing(
    api: Api, world_host: list[str]
) -> None:
    staff = await api.staff((await api.agency())["id"])
    fair = await _fair(api, staff)
    code = await _code(api, fair["id"])
    limit = api.client.app.state.settings.fair_register_per_minute
    page = await api.client.get(f"/f/{code}")
    token = _TOKEN.search(page.text)
    assert token
    for _ in range(limit):
        r = await api.client.post(f"/f/{code}", data={**_form(), "_csrf_token": token.group(1)})
        assert r.status_code == 200
    before = await api.digest()
    r = await api.client.post(f"/f/{code}", data={**_form(), "_csrf_token": token.group(1)})
    assert r.status_code == 429 and "请过一分钟再试" in r.text
    assert await api.digest() == before
    assert len(await _rows(api, fair["id"])) == limit
    world_host[0] = "10.9.9.9"  # another woman on another connection is not held up
    assert (await _post(api, code, _form())).status_code == 200
    assert len(await _rows(api, fair["id"])) == limit + 1


async def test_a_post_without_the_csrf_token_is_refused(api: Api, world_host: list[str]) -> None:
    staff = await api.staff((await api.agency())["id"])
    fair = await _fair(api, staff)
    code = await _code(api, fair["id"])
    await api.client.get(f"/f/{code}")
    r = await api.client.post(f"/f/{code}", data=_form())
    assert r.status_code == 403
    assert await _rows(api, fair["id"]) == []


async def test_the_retention_job_blanks_entries_nobody_handled(
    api: Api, world_host: list[str], settings: Settings
) -> None:
    staff = await api.staff((await api.agency())["id"])
    fair = await _fair(api, staff)
    code = await _code(api, fair["id"])
    assert (await _post(api, code, _form())).status_code == 200  # left in the queue
    assert (await _post(api, code, _form())).status_code == 200  # handled
    _, handled = (await api.ok("GET", f"/job-fairs/{fair['id']}/registrations", staff))["items"]
    await api.ok("POST", f"/job-fairs/{fair['id']}/registrations/{handled['id']}/reject", staff)
    clock.travel(dt.timedelta(days=settings.fair_queue_days - 2))
    assert (await _post(api, code, _form())).status_code == 200  # recent: kept
    clock.travel(dt.timedelta(days=2, hours=1))
    rt = JobRuntime(async_sessionmaker(api.engine), Context.from_settings(settings))
    assert await jobs.expire_fair_registrations(rt) == {"expired": 1}
    assert await jobs.expire_fair_registrations(rt) == {"expired": 0}  # safe twice
    rows = await _rows(api, fair["id"])
    assert [r.status for r in rows] == ["expired", "rejected", "queued"]
    assert all(getattr(rows[0], f) is None for f in PERSONAL.split(", "))
    assert rows[2].name == "李桂兰"
    fresh = await api.admin()  # the staff token did not outlive the month
    assert (await api.ok("GET", f"/job-fairs/{fair['id']}", fresh))["registrations"] == 3
