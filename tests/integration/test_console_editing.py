"""Editing a worker in the console, on both databases: only what the clerk changed is sent
to the API's PATCH; every field's problem at once and nothing stored; a stale form names what
someone else changed and stores nothing; another agency's staff get 404."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from matching.db import models as m
from tests.integration.test_web import _account, _get, _login
from tests.support import Api


async def _form(api: Api, path: str) -> dict[str, str]:
    """The edit form's fields as the browser would send them untouched."""
    return _form_of((await _get(api, path)).text)


def _form_of(page: str) -> dict[str, str]:
    """A page's form fields as the browser would send them untouched."""
    out: dict[str, str] = {}
    for tag in re.finditer(r"<input[^>]*>", page):
        t = tag.group(0)
        name = re.search(r'name="([^"]+)"', t)
        if not name or ('type="checkbox"' in t and "checked" not in t):
            continue
        value = re.search(r'value="([^"]*)"', t)
        out[name.group(1)] = value.group(1) if value else ""
    for sel in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"\s+selected', sel.group(2))
        first = re.search(r'<option value="([^"]*)"', sel.group(2))
        picked = chosen or first
        out[sel.group(1)] = picked.group(1) if picked else ""
    return {k: html.unescape(v) for k, v in out.items()}


async def _her(api: Api, worker_id: int) -> Any:
    async with api.engine.connect() as conn:
        return (
            await conn.execute(select(m.WorkerProfile).where(m.WorkerProfile.id == worker_id))
        ).one()


async def _world(api: Api) -> dict[str, Any]:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    her = await api.worker(staff, name="周桂芳", home_county="通州区", priority_groups=[])
    clerk = await _account(api, "staff", agency_id=agency["id"])
    return {"agency": agency, "staff": staff, "her": her, "clerk": clerk}


async def test_a_clerk_edits_her_record_and_only_changes_are_sent(api: Api) -> None:
    w = await _world(api)
    wid = w["her"]["id"]
    await _login(api, w["clerk"])
    assert f"/workers/{wid}/edit" in (await _get(api, f"/workers/{wid}")).text
    form = await _form(api, f"/workers/{wid}/edit")
    assert form["name"] == "周桂芳" and form["skill_sewing"] == "4"
    form |= {
        "name": "周桂芳芳",
        "skill_sewing": "5",
        "skill_embroidery": "2",
        "preferred_cities": "上海、昆山",
        "min_monthly_wage": "4500",
        "available_from": "2027-01-15",
    }
    form.pop("needs_housing")  # unticked
    r = await api.client.post(f"/workers/{wid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    row = await _her(api, wid)
    assert (row.name, row.min_monthly_wage, row.needs_housing) == ("周桂芳芳", 4500, False)
    assert row.preferred_cities == ["上海", "昆山"] and str(row.available_from) == "2027-01-15"
    assert row.version == w["her"]["version"] + 1
    async with api.engine.connect() as conn:
        stmt = select(m.WorkerSkill.skill_code, m.WorkerSkill.level)
        found = (await conn.execute(stmt.where(m.WorkerSkill.worker_id == wid))).all()
    skills = {str(r[0]): int(r[1]) for r in found}
    assert skills == {"sewing": 5, "embroidery": 2}
    # a form sent back unchanged writes nothing
    before = await api.digest()
    r = await api.client.post(
        f"/workers/{wid}/edit",
        data=await _form(api, f"/workers/{wid}/edit"),
        follow_redirects=False,
    )
    assert r.status_code == 303 and await api.digest() == before


async def test_bad_fields_all_show_beside_themselves_and_nothing_is_stored(api: Api) -> None:
    w = await _world(api)
    wid = w["her"]["id"]
    await _login(api, w["clerk"])
    form = await _form(api, f"/workers/{wid}/edit")
    before = await api.digest()
    form |= {
        "name": "",
        "phone": "12345",
        "birth_date": "1990-02-30",
        "min_monthly_wage": "四千",
        "skill_sewing": "9",
        "name_extra": "x",
    }
    r = await api.client.post(f"/workers/{wid}/edit", data=form)
    assert r.status_code == 422, r.text
    for field in ("name", "phone", "birth_date", "min_monthly_wage", "skills"):
        assert f'id="e-{field}"' in r.text, field
    assert "请按 年-月-日 填写日期" in r.text and "请选择 1 到 5 级" in r.text
    assert await api.digest() == before
    # one bad field beside a good one: the good one is not stored either
    good = await _form(api, f"/workers/{wid}/edit")
    r = await api.client.post(
        f"/workers/{wid}/edit", data=good | {"home_county": "如东县", "birth_date": "1990-13-01"}
    )
    assert r.status_code == 422 and 'id="e-birth_date"' in r.text
    assert await api.digest() == before


async def test_a_stale_form_names_what_changed_and_stores_nothing(api: Api) -> None:
    w = await _world(api)
    wid = w["her"]["id"]
    await _login(api, w["clerk"])
    form = await _form(api, f"/workers/{wid}/edit")
    # meanwhile a colleague changes her home county through the API
    await api.ok(
        "PATCH",
        f"/workers/{wid}",
        w["staff"],
        json={"version": w["her"]["version"], "home_county": "如东县"},
    )
    before = await api.digest()
    r = await api.client.post(f"/workers/{wid}/edit", data=form | {"name": "周桂兰"})
    assert r.status_code == 409
    assert "别人修改了她的信息" in r.text
    assert "<li>户籍县区：通州区 → 如东县</li>" in r.text
    assert 'value="周桂兰"' in r.text  # what the clerk typed is kept
    assert await api.digest() == before
    assert (await _her(api, wid)).name == "周桂芳"
    # the form shown again carries the colleague's county, not the one the clerk first read:
    # saving it as it stands sends her change alone and keeps his
    again = _form_of(r.text)
    assert again["name"] == "周桂兰" and again["home_county"] == "如东县"
    r = await api.client.post(f"/workers/{wid}/edit", data=again, follow_redirects=False)
    assert r.status_code == 303, r.text
    row = await _her(api, wid)
    assert (row.name, row.home_county) == ("周桂兰", "如东县")


async def test_another_agency_may_not_edit_her(api: Api) -> None:
    w = await _world(api)
    wid = w["her"]["id"]
    other = await api.agency()
    token = await _login(api, await _account(api, "staff", agency_id=other["id"]))
    before = await api.digest()
    assert (await _get(api, f"/workers/{wid}/edit")).status_code == 404
    r = await api.client.post(
        f"/workers/{wid}/edit", data={"_csrf_token": token, "version": "1", "name": "x"}
    )
    assert r.status_code == 404
    assert await api.digest() == before


async def _opening_row(api: Api, opening_id: int) -> Any:
    async with api.engine.connect() as conn:
        return (await conn.execute(select(m.Opening).where(m.Opening.id == opening_id))).one()


async def test_an_opening_page_lists_candidates_and_placements_and_is_edited(api: Api) -> None:
    from tests.integration.test_console_aftercare import placed

    w = await placed(api)
    async with api.engine.connect() as conn:
        opening_id = (
            await conn.execute(
                select(m.Placement.opening_id).where(m.Placement.id == w["placement"])
            )
        ).scalar_one()
    await _login(api, w["clerk"])
    assert f'href="/openings/{opening_id}"' in (await _get(api, "/openings?status=")).text
    page = (await _get(api, f"/openings/{opening_id}")).text
    assert "刘春梅" in page and f'href="/placements/{w["placement"]}"' in page
    assert "候选人（录用通知）" in page
    # another opening of the same employer lists neither her offer nor her placement
    another = await api.opening(w["staff"], w["employer"]["id"], title="包装工")
    page = (await _get(api, f"/openings/{another['id']}")).text
    assert "包装工" in page and "刘春梅" not in page and 'href="/placements/' not in page
    form = await _form(api, f"/openings/{opening_id}/edit")
    assert form["headcount"] == "1"
    version = (await _opening_row(api, opening_id)).version

    before = await api.digest()
    bad = form | {
        "title": "",
        "headcount": "0",
        "monthly_wage_min": "7000",
        "monthly_wage_max": "6000",
        "skill_sewing": "8",
    }
    r = await api.client.post(f"/openings/{opening_id}/edit", data=bad)
    assert r.status_code == 422, r.text
    for field in ("title", "headcount", "monthly_wage_min", "required_skills"):
        assert f'id="e-{field}"' in r.text, field
    assert await api.digest() == before
    r = await api.client.post(
        f"/openings/{opening_id}/edit", data=form | {"headcount": "4", "skill_sewing": "8"}
    )
    assert r.status_code == 422 and await api.digest() == before  # the good field neither

    good = form | {"headcount": "3", "monthly_wage_max": "6500", "skill_sewing": "2"}
    r = await api.client.post(f"/openings/{opening_id}/edit", data=good, follow_redirects=False)
    assert r.status_code == 303, r.text
    row = await _opening_row(api, opening_id)
    assert (row.headcount, row.monthly_wage_max, row.version) == (3, 6500, version + 1)
    async with api.engine.connect() as conn:
        levels = (
            await conn.execute(
                select(m.OpeningSkill.min_level).where(m.OpeningSkill.opening_id == opening_id)
            )
        ).all()
    assert [lv[0] for lv in levels] == [2]

    # the old form again: stale, refused, nothing written
    before = await api.digest()
    r = await api.client.post(f"/openings/{opening_id}/edit", data=good | {"headcount": "5"})
    assert r.status_code == 409 and "别人修改了这个岗位" in r.text
    # it lists what changed since the form was read, as her edit form does
    assert "<li>招工人数：1 → 3</li>" in r.text
    assert f"<li>最高月薪（元）：{form['monthly_wage_max']} → 6500</li>" in r.text
    assert "<li>技能要求及最低等级：" in r.text
    assert 'value="5"' in r.text  # what the clerk typed is kept
    r = await api.client.post(
        f"/openings/{opening_id}/status",
        data={"_csrf_token": form["_csrf_token"], "version": str(version), "status": "closed"},
    )
    assert r.status_code == 409 and await api.digest() == before
    r = await api.client.post(
        f"/openings/{opening_id}/status",
        data={"_csrf_token": form["_csrf_token"], "version": str(version + 1), "status": "closed"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (await _opening_row(api, opening_id)).status == "closed"

    # another agency reads the shared pool but may not change it
    other = await api.agency()
    token = await _login(api, await _account(api, "staff", agency_id=other["id"]))
    before = await api.digest()
    r = await api.client.post(
        f"/openings/{opening_id}/status",
        data={"_csrf_token": token, "version": str(version + 2), "status": "open"},
    )
    assert r.status_code in (403, 404)
    r = await api.client.post(
        f"/openings/{opening_id}/edit",
        data={"_csrf_token": token, "version": str(version + 2), "title": "冒充"},
    )
    assert r.status_code in (403, 404)
    assert await api.digest() == before


def _input(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert found, f"no input {name}"
    return found.group(0)


async def test_number_fields_carry_their_bounds_unescaped(api: Api) -> None:
    """The field macro's ``attrs`` are attributes, not escaped text (``min=&#34;1&#34;``)."""
    w = await _world(api)
    employer = await api.employer(agency_id=w["agency"]["id"])
    opening = await api.opening(w["staff"], employer["id"])
    await _login(api, w["clerk"])
    for path in ("/openings/new", f"/openings/{opening['id']}/edit"):
        page = (await _get(api, path)).text
        assert ' min="1"' in _input(page, "headcount"), path
        for name in ("monthly_wage_min", "monthly_wage_max"):
            assert ' min="0"' in _input(page, name) and ' step="100"' in _input(page, name)
    page = (await _get(api, f"/workers/{w['her']['id']}/edit")).text
    assert ' min="0"' in _input(page, "min_monthly_wage")
    assert ' maxlength="200"' in _input((await _get(api, "/training")).text, "name")
