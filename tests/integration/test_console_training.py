"""The console's training pages, on both databases: a course created, a session scheduled, a
worker found by name and enrolled (free for a priority group), her completion marked, which
certifies the course's skill on her profile. Each through the page's form, with the database
read afterwards; bad input gets every error beside its field and writes nothing; staff of
another agency get 404, an employer 403."""

from __future__ import annotations

import re
from typing import Any

from matching.db import models as m
from matching.lib import clock
from tests.integration.test_aftercare import rows
from tests.integration.test_web import _account, _get, _login
from tests.support import PASSWORD, Api

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _token(api: Api, path: str) -> str:
    found = _TOKEN.search((await _get(api, path)).text)
    assert found, path
    return found.group(1)


async def _post(api: Api, path: str, token: str, **fields: str) -> Any:
    return await api.client.post(
        path, data={"_csrf_token": token, **fields}, follow_redirects=False
    )


def _error(page: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{field}">([^<]+)</p>', page)
    assert found, f"no error beside {field}"
    return found.group(1)


async def agency_with_her(api: Api) -> dict[str, Any]:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    her = await api.worker(
        staff,
        name="王秀英",
        priority_groups=["poor_household"],
        skills=[{"code": "sewing", "level": 1}],
    )
    clerk = await _account(api, "staff", agency_id=agency["id"])
    return {"agency": agency, "staff": staff, "her": her, "clerk": clerk}


async def test_course_session_enrolment_and_completion_through_the_console(api: Api) -> None:
    w = await agency_with_her(api)
    await _login(api, w["clerk"])
    page = (await _get(api, "/training")).text
    assert "培训课程" in page and "新建课程" in page and 'href="/training"' in page
    token = await _token(api, "/training")

    r = await _post(
        api,
        "/training/courses",
        token,
        name="缝纫工中级班",
        kind="skill",
        skill_code="sewing",
        level="3",
        fee="800",
    )
    assert r.status_code == 303, r.text
    (course,) = await rows(api, m.Course, m.Course.agency_id == w["agency"]["id"])
    assert (course.name, course.kind, course.skill_code, course.level, course.fee) == (
        "缝纫工中级班",
        "skill",
        "sewing",
        3,
        800,
    )
    assert r.headers["location"].startswith(f"/training/courses/{course.id}")
    assert "课程已创建" in (await api.client.get(r.headers["location"])).text

    today = clock.today().isoformat()
    r = await _post(
        api,
        f"/training/courses/{course.id}/sessions",
        token,
        starts_on=today,
        ends_on=today,
        place="县职教中心",
        capacity="20",
    )
    assert r.status_code == 303, r.text
    (ts,) = await rows(api, m.TrainingSession, m.TrainingSession.course_id == course.id)
    assert (ts.place, ts.capacity, ts.starts_on) == ("县职教中心", 20, clock.today())

    page = (await _get(api, f"/training/sessions/{ts.id}?q=王秀英")).text
    assert "王秀英" in page and f'name="worker_id" value="{w["her"]["id"]}"' in page
    r = await _post(
        api, f"/training/sessions/{ts.id}/enrolments", token, worker_id=str(w["her"]["id"])
    )
    assert r.status_code == 303, r.text
    (e,) = await rows(api, m.Enrolment, m.Enrolment.session_id == ts.id)
    assert (e.worker_id, e.status, e.fee_due, e.fee_waived) == (w["her"]["id"], "enrolled", 0, True)
    page = (await api.client.get(r.headers["location"])).text
    assert "已为她报名" in page and "重点群体免费" in page

    r = await _post(
        api,
        f"/training/enrolments/{e.id}/complete",
        token,
        session_id=str(ts.id),
        completed_on=today,
    )
    assert r.status_code == 303, r.text
    (e,) = await rows(api, m.Enrolment, m.Enrolment.id == e.id)
    assert (e.status, e.completed_on) == ("completed", clock.today())
    (skill,) = await rows(
        api,
        m.WorkerSkill,
        m.WorkerSkill.worker_id == w["her"]["id"],
        m.WorkerSkill.skill_code == "sewing",
    )
    assert (skill.level, skill.source) == (3, "training")
    assert "结业已登记" in (await api.client.get(r.headers["location"])).text


async def test_bad_forms_show_every_error_beside_its_field_and_write_nothing(api: Api) -> None:
    w = await agency_with_her(api)
    course = await api.ok(
        "POST",
        "/courses",
        w["staff"],
        json={"name": "维权课", "kind": "legal_rights", "fee": 0},
    )
    today = clock.today().isoformat()
    ts = await api.ok(
        "POST",
        f"/courses/{course['id']}/sessions",
        w["staff"],
        json={"starts_on": today, "ends_on": today, "place": "乡镇", "capacity": 1},
    )
    await _login(api, w["clerk"])
    token = await _token(api, "/training")
    before = await api.digest()

    r = await _post(api, "/training/courses", token, name=" ", kind="cooking", fee="-1", level="9")
    assert r.status_code == 422
    assert _error(r.text, "name") == "不能为空"
    for field in ("kind", "fee", "level"):
        _error(r.text, field)
    # the service's own rules: a skill course names its skill and level
    r = await _post(api, "/training/courses", token, name="电工班", kind="skill", fee="0")
    assert r.status_code == 422
    _error(r.text, "skill_code")
    _error(r.text, "level")

    r = await _post(
        api,
        f"/training/courses/{course['id']}/sessions",
        token,
        starts_on="2026-13-40",
        ends_on="",
        place="",
        capacity="0",
    )
    assert r.status_code == 422
    assert _error(r.text, "starts_on") == "请按 年-月-日 填写日期"
    for field in ("ends_on", "place", "capacity"):
        _error(r.text, field)
    r = await _post(
        api,
        f"/training/courses/{course['id']}/sessions",
        token,
        starts_on="2000-01-01",
        ends_on="1999-01-01",
        place="乡镇",
        capacity="5",
    )
    assert r.status_code == 422
    _error(r.text, "starts_on")
    _error(r.text, "ends_on")

    r = await _post(api, f"/training/sessions/{ts['id']}/enrolments", token, worker_id="abc")
    assert r.status_code == 422
    _error(r.text, "worker_id")
    r = await _post(api, f"/training/sessions/{ts['id']}/enrolments", token, worker_id="999999")
    assert r.status_code == 422
    _error(r.text, "worker_id")
    assert await api.digest() == before

    e = await api.ok(
        "POST",
        f"/training-sessions/{ts['id']}/enrolments",
        w["staff"],
        json={"worker_id": w["her"]["id"]},
    )
    before = await api.digest()
    r = await _post(
        api,
        f"/training/enrolments/{e['id']}/complete",
        token,
        session_id=str(ts["id"]),
        completed_on="2999-01-01",
    )
    assert r.status_code == 422
    _error(r.text, f"completed_on-{e['id']}")
    r = await _post(
        api,
        f"/training/enrolments/{e['id']}/complete",
        token,
        session_id=str(ts["id"]),
        completed_on="yesterday",
    )
    assert r.status_code == 422
    _error(r.text, f"completed_on-{e['id']}")
    assert await api.digest() == before


async def _enrolled(
    api: Api, w: dict[str, Any], **course: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A session starting today (a legal-rights course unless told) with her enrolled:
    (course, session, enrolment)."""
    body = course or {"name": "维权课", "kind": "legal_rights", "fee": 0}
    made = await api.ok("POST", "/courses", w["staff"], json=body)
    today = clock.today().isoformat()
    ts = await api.ok(
        "POST",
        f"/courses/{made['id']}/sessions",
        w["staff"],
        json={"starts_on": today, "ends_on": today, "place": "乡镇", "capacity": 5},
    )
    e = await api.ok(
        "POST",
        f"/training-sessions/{ts['id']}/enrolments",
        w["staff"],
        json={"worker_id": w["her"]["id"]},
    )
    return made, ts, e


async def test_another_agency_gets_404_and_an_employer_403(api: Api) -> None:
    w = await agency_with_her(api)
    course, ts, e = await _enrolled(
        api, w, name="缝纫班", kind="skill", skill_code="sewing", level=2, fee=0
    )
    today = clock.today().isoformat()
    other = await api.agency()
    await _login(api, await _account(api, "staff", agency_id=other["id"]))
    token = await _token(api, "/training")
    before = await api.digest()
    assert (await _get(api, f"/training/courses/{course['id']}")).status_code == 404
    assert (await _get(api, f"/training/sessions/{ts['id']}")).status_code == 404
    assert "缝纫班" not in (await _get(api, "/training")).text
    posts = {
        f"/training/courses/{course['id']}/sessions": {
            "starts_on": today,
            "ends_on": today,
            "place": "冒充",
            "capacity": "5",
        },
        f"/training/sessions/{ts['id']}/enrolments": {"worker_id": str(w["her"]["id"])},
        f"/training/enrolments/{e['id']}/complete": {"session_id": str(ts["id"])},
    }
    for path, fields in posts.items():
        r = await _post(api, path, token, **fields)
        assert r.status_code == 404, (path, r.status_code)
        assert "text/html" in r.headers["content-type"]

    employer = await api.employer(agency_id=w["agency"]["id"], name="宏达电子")
    hr_name = f"hrt{course['id']}"
    body = {"username": hr_name, "password": PASSWORD, "role": "employer"}
    await api.ok("POST", "/staff", await api.admin(), json=body | {"employer_id": employer["id"]})
    before = await api.digest()
    await _login(api, hr_name)
    token = await _token(api, "/employer")
    assert (await _get(api, "/training")).status_code == 403
    for path, fields in posts.items():
        assert (await _post(api, path, token, **fields)).status_code == 403, path
    r = await _post(api, "/training/courses", token, name="x", kind="legal_rights", fee="0")
    assert r.status_code == 403
    assert await api.digest() == before
    (left,) = await rows(api, m.Enrolment, m.Enrolment.id == e["id"])
    assert left.status == "enrolled"


async def test_she_leaves_a_session_and_a_second_withdrawal_changes_nothing(api: Api) -> None:
    w = await agency_with_her(api)
    _course, ts, e = await _enrolled(api, w)
    await _login(api, w["clerk"])
    page = (await _get(api, f"/training/sessions/{ts['id']}")).text
    assert f'action="/training/enrolments/{e["id"]}/withdraw"' in page
    assert "为王秀英办理退出" in page
    token = await _token(api, f"/training/sessions/{ts['id']}")

    path = f"/training/enrolments/{e['id']}/withdraw"
    r = await _post(api, path, token, session_id=str(ts["id"]))
    assert r.status_code == 303, r.text
    (left,) = await rows(api, m.Enrolment, m.Enrolment.id == e["id"])
    assert left.status == "withdrawn"
    page = (await api.client.get(r.headers["location"])).text
    assert "已办理退出，名额已空出" in page and "已退出" in page
    assert f'action="/training/enrolments/{e["id"]}/withdraw"' not in page  # no second button

    # a second withdrawal (a page opened before the first): a Chinese error, nothing changed
    before = await api.digest()
    r = await _post(api, path, token, session_id=str(ts["id"]))
    assert r.status_code == 409
    assert _error(r.text, f"withdraw-{e['id']}") == "她已退出这期培训，无需再次办理。"
    assert "未做任何更改。" in r.text  # the page's own alert too
    assert await api.digest() == before


async def test_a_completed_enrolment_cannot_be_left(api: Api) -> None:
    w = await agency_with_her(api)
    _course, ts, e = await _enrolled(api, w)
    await api.ok("POST", f"/enrolments/{e['id']}/complete", w["staff"], json={})
    await _login(api, w["clerk"])
    token = await _token(api, f"/training/sessions/{ts['id']}")
    before = await api.digest()
    r = await _post(
        api, f"/training/enrolments/{e['id']}/withdraw", token, session_id=str(ts["id"])
    )
    assert r.status_code == 409
    assert _error(r.text, f"withdraw-{e['id']}") == "她已结业，已结业的培训不能退出。"
    assert await api.digest() == before
    (kept,) = await rows(api, m.Enrolment, m.Enrolment.id == e["id"])
    assert kept.status == "completed"


async def test_withdrawal_is_scoped_like_the_api(api: Api) -> None:
    w = await agency_with_her(api)
    _course, ts, e = await _enrolled(api, w)
    path = f"/training/enrolments/{e['id']}/withdraw"
    await _login(api, await _account(api, "staff", agency_id=(await api.agency())["id"]))
    token = await _token(api, "/training")
    before = await api.digest()
    r = await _post(api, path, token, session_id=str(ts["id"]))
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    r = await _post(api, path, token)  # without its session: no page to show, nothing done
    assert r.status_code == 404
    assert await api.digest() == before
    (kept,) = await rows(api, m.Enrolment, m.Enrolment.id == e["id"])
    assert kept.status == "enrolled"
