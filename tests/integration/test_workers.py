"""Worker profiles through the HTTP API: register, read, search, update, scoping."""

from __future__ import annotations

import asyncio
import datetime as dt

from tests.support import Api, id_number_for, unique_phone, worker_payload


async def test_register_and_read_back(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    born = dt.date(1990, 5, 17)
    body = worker_payload(id_number=id_number_for(born), phone="138 0013 8000")
    r = await api.request("POST", "/workers", staff, json=body)
    assert r.status_code == 201, r.text
    w = r.json()
    assert w["status"] == "available"
    assert w["agency_id"] == agency["id"]
    assert w["phone"] == "+8613800138000"
    assert w["id_number"] == "3206**********" + id_number_for(born)[-4:]
    assert w["skills"] == [
        {"code": "sewing", "level": 4, "source": "declared", "certified_on": None}
    ]
    assert w["priority_groups"] == ["poor_household"]
    assert w["version"] == 1
    read = await api.ok("GET", f"/workers/{w['id']}", staff)
    assert read == w
    # stored encrypted: the clear ID number is nowhere in the table
    assert id_number_for(born) not in await api.digest_text()


async def test_staff_see_only_their_agency(api: Api) -> None:
    a, b = await api.agency(), await api.agency()
    staff_a, staff_b = await api.staff(a["id"]), await api.staff(b["id"])
    w = await api.worker(staff_a)
    r = await api.request("GET", f"/workers/{w['id']}", staff_b)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await api.request("PATCH", f"/workers/{w['id']}", staff_b, json={"version": 1, "name": "x"})
    assert r.status_code == 404
    listed = await api.ok("GET", "/workers", staff_b)
    assert listed == {"items": [], "total": 0}
    assert (await api.ok("GET", "/workers", await api.admin()))["total"] == 1


async def test_search_filters(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    await api.worker(
        staff, name="张桂英", skills=[{"code": "embroidery", "level": 3}], priority_groups=[]
    )
    sewer = await api.worker(staff, name="李秀兰", priority_groups=["military_spouse"])
    await api.worker(staff, name="王玉梅", phone="13912340000", priority_groups=[])

    async def ids(query: str) -> list[int]:
        page = await api.ok("GET", f"/workers?{query}", staff)
        assert page["total"] == len(page["items"])
        return [w["id"] for w in page["items"]]

    assert len(await ids("skill=embroidery")) == 1
    assert await ids("priority_group=military_spouse") == [sewer["id"]]
    assert len(await ids("q=秀")) == 1
    assert len(await ids("q=1391234")) == 1
    assert len(await ids("status=available")) == 3
    assert len(await ids("q=%25")) == 0  # a literal percent sign matches nothing here
    page = await api.ok("GET", "/workers?limit=2&offset=2", staff)
    assert page["total"] == 3 and len(page["items"]) == 1


async def test_patch_with_version(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    w = await api.worker(staff)
    changed = await api.ok(
        "PATCH",
        f"/workers/{w['id']}",
        staff,
        json={"version": 1, "min_monthly_wage": 5000, "skills": [{"code": "quilting", "level": 2}]},
    )
    assert changed["version"] == 2
    assert changed["min_monthly_wage"] == 5000
    assert [s["code"] for s in changed["skills"]] == ["quilting"]
    before = await api.digest()
    r = await api.request("PATCH", f"/workers/{w['id']}", staff, json={"version": 1, "name": "x"})
    assert r.status_code == 409
    assert r.json()["current_version"] == 2
    assert await api.digest() == before


async def test_duplicate_phone_and_id_number_name_the_existing_record(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    born = dt.date(1988, 2, 29)
    first = await api.worker(
        staff, phone="13700001111", birth_date=born.isoformat(), id_number=id_number_for(born)
    )
    before = await api.digest()
    r = await api.request("POST", "/workers", staff, json=worker_payload(phone="+86 137 0000 1111"))
    assert r.status_code == 409
    assert r.json()["existing_id"] == first["id"] and r.json()["field"] == "phone"
    dup_id = worker_payload(birth_date=born.isoformat(), id_number=id_number_for(born).lower())
    r = await api.request("POST", "/workers", staff, json=dup_id)
    assert r.status_code == 409
    assert r.json()["existing_id"] == first["id"] and r.json()["field"] == "id_number"
    assert await api.digest() == before


async def test_admin_registers_for_a_named_agency(api: Api) -> None:
    agency = await api.agency()
    admin = await api.admin()
    r = await api.request("POST", "/workers", admin, json=worker_payload())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "agency_id"
    w = await api.worker(admin, agency_id=agency["id"], phone=unique_phone())
    assert w["agency_id"] == agency["id"]


async def test_patching_skills_keeps_a_training_certificate(api: Api) -> None:
    from sqlalchemy import select, update

    from matching.db import models as m

    agency = await api.agency()
    staff = await api.staff(agency["id"])
    w = await api.worker(staff, skills=[{"code": "sewing", "level": 3}])
    async with api.engine.begin() as conn:
        await conn.execute(
            update(m.WorkerSkill)
            .where(m.WorkerSkill.worker_id == w["id"])
            .values(source="training", certified_on=dt.date(2026, 10, 1))
        )
    changed = await api.ok(
        "PATCH",
        f"/workers/{w['id']}",
        staff,
        json={
            "version": w["version"],
            "skills": [{"code": "sewing", "level": 3}, {"code": "quilting", "level": 2}],
        },
    )
    by_code = {s["code"]: s for s in changed["skills"]}
    assert by_code["sewing"]["source"] == "training"
    assert by_code["sewing"]["certified_on"] == "2026-10-01"
    assert by_code["quilting"]["source"] == "declared"
    # a different level is the staff's declaration, not the course's
    changed = await api.ok(
        "PATCH",
        f"/workers/{w['id']}",
        staff,
        json={"version": changed["version"], "skills": [{"code": "sewing", "level": 5}]},
    )
    assert changed["skills"][0]["source"] == "declared"
    async with api.engine.connect() as conn:
        rows = (await conn.execute(select(m.WorkerSkill))).all()
    assert len(rows) == 1


async def test_registration_answers_what_it_wrote_and_races_write_one(api: Api) -> None:
    """The answer to a registration is built from the values written (no read back): it must
    equal the read, skills and groups in their order, with every row of hers in its table;
    and registrations racing for one phone register her once, the rest refused whole."""
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    body = worker_payload(
        skills=[{"code": "welding", "level": 2}, {"code": "cooking", "level": 5}],
        priority_groups=["poor_household", "disabled"],
        preferred_cities=["上海", " 苏州 ", "上海"],
        available_from="2027-03-01",
        consent_sensitive=True,
        sex="female",
    )
    r = await api.request("POST", "/workers", staff, json=body)
    assert r.status_code == 201, r.text
    w = r.json()
    assert [s["code"] for s in w["skills"]] == ["cooking", "welding"]
    assert w["priority_groups"] == ["disabled", "poor_household"]
    assert w["preferred_cities"] == ["上海", "苏州"]
    assert await api.ok("GET", f"/workers/{w['id']}", staff) == w
    consents = await api.ok("GET", f"/workers/{w['id']}/consents", staff)
    assert sorted((c["kind"], c["given"]) for c in consents["items"]) == [
        ("matching", True),
        ("sensitive", True),
    ]

    phone = unique_phone()
    tables = ("worker_profiles", "worker_skills", "worker_groups", "consents")
    before = {t: await api.count(t) for t in tables}
    answers = await asyncio.gather(
        *(
            api.request("POST", "/workers", staff, json=worker_payload(phone=phone))
            for _ in range(6)
        )
    )
    assert sorted(a.status_code for a in answers) == [201] + [409] * 5, [a.text for a in answers]
    after = {t: await api.count(t) for t in tables}
    # One worker, her one skill, her one group and her two consents (matching, sensitive).
    assert {t: after[t] - before[t] for t in tables} == {
        "worker_profiles": 1,
        "worker_skills": 1,
        "worker_groups": 1,
        "consents": 2,
    }
