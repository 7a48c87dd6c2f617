"""The console past the hire, on both databases: a placement ended (every reason offered),
a check-in by phone with her answers, a rights case opened from it, compensation recorded and
the case closed, the offices' tasks marked done. Each through the page's form, with the
database read afterwards; bad input gets every error beside its field and writes nothing; staff
of another agency get 404, an employer 403."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from matching.db import models as m
from matching.lib import clock
from matching.placements.schemas import EndReason
from tests.integration.test_aftercare import place, rows, run
from tests.integration.test_web import _account, _get, _login
from tests.support import PASSWORD, Api

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _token(api: Api, path: str) -> str:
    found = _TOKEN.search((await _get(api, path)).text)
    assert found, path
    return found.group(1)


async def placed(api: Api) -> dict[str, Any]:
    """Her placement at 宏达电子 in 上海, starting today; the agency has an office there."""
    admin = await api.admin()
    agency = await api.agency()
    office = await api.ok(
        "POST",
        "/offices",
        admin,
        json={"agency_id": agency["id"], "name": "上海办事处", "city": "上海"},
    )
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="宏达电子")
    hr = await api.employer_account(employer["id"])
    await api.opening(staff, employer["id"], headcount=1, start_date=clock.today().isoformat())
    her = await api.worker(staff, name="刘春梅")
    await run(api, staff)
    placement_id = await place(api, staff, hr, her["id"])
    clerk = await _account(api, "staff", agency_id=agency["id"])
    return {
        "agency": agency,
        "office": office,
        "staff": staff,
        "her": her,
        "placement": placement_id,
        "clerk": clerk,
        "employer": employer,
    }


async def _post(api: Api, path: str, token: str, **fields: str) -> Any:
    return await api.client.post(
        path, data={"_csrf_token": token, **fields}, follow_redirects=False
    )


def _error_beside(page: str, form: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{form}-{field}">([^<]+)</p>', page)
    assert found, f"no error beside {form}.{field}"
    return found.group(1)


async def test_a_check_in_a_case_compensation_and_the_end_through_the_console(api: Api) -> None:
    w = await placed(api)
    pid = w["placement"]
    await _login(api, w["clerk"])
    page = (await _get(api, f"/placements/{pid}")).text
    # every reason the API takes is offered, in words a clerk uses
    for reason in EndReason.__args__:  # type: ignore[attr-defined]
        assert f'name="reason" value="{reason}"' in page
    assert "被用人单位辞退" in page and "登记电话回访或上门走访" in page
    token = await _token(api, f"/placements/{pid}")

    # a check-in by phone: wages late, paid 4200 last month
    r = await _post(
        api,
        f"/placements/{pid}/checkins",
        token,
        n="1",
        channel="phone",
        wages_on_time="no",
        hours_as_agreed="yes",
        housing_as_promised="na",
        wage_paid="4200",
        problem="十月工资拖了两周",
        note="电话回访",
    )
    assert r.status_code == 303, r.text
    assert "回访已登记" in (await api.client.get(r.headers["location"])).text
    (fu,) = await rows(api, m.FollowUp, m.FollowUp.placement_id == pid, m.FollowUp.n == 1)
    assert fu.status == "done" and fu.channel == "phone"
    assert fu.answers["wages_on_time"] is False and fu.answers["housing_as_promised"] is None
    assert fu.answers["problem"] == "十月工资拖了两周" and fu.answers["note"] == "电话回访"
    (pl,) = await rows(api, m.Placement, m.Placement.id == pid)
    assert pl.monthly_wage == 4200
    # late wages opened a case by the service's rule, and the office has its tasks
    assert len(await rows(api, m.Case, m.Case.placement_id == pid)) == 1

    # a case opened from that check-in starts from what she said
    page = (await _get(api, f"/placements/{pid}?checkin=1")).text
    assert "第7天回访：工资未按时发放；十月工资拖了两周" in page
    r = await _post(
        api,
        f"/placements/{pid}/cases",
        token,
        type="wage_arrears",
        summary="第7天回访：十月工资拖了两周",
        money_claimed="8000",
    )
    assert r.status_code == 303, r.text
    case_id = int(r.headers["location"].split("/")[2].split("?")[0])
    (case,) = await rows(api, m.Case, m.Case.id == case_id)
    assert (case.type, case.money_claimed, case.status) == ("wage_arrears", 8000, "open")

    # compensation recovered, then closed with an outcome
    r = await _post(
        api, f"/cases/{case_id}/recovered", token, amount="6000", recovered_note="厂方补发"
    )
    assert r.status_code == 303, r.text
    (case,) = await rows(api, m.Case, m.Case.id == case_id)
    assert case.money_recovered == 6000
    page = (await api.client.get(r.headers["location"])).text
    assert "追回的补偿已登记" in page and "厂方补发" in page
    r = await _post(
        api,
        f"/cases/{case_id}/status",
        token,
        version=str(case.version),
        status="closed",
        outcome="upheld",
        note="调解成功",
    )
    assert r.status_code == 303, r.text
    (case,) = await rows(api, m.Case, m.Case.id == case_id)
    assert (case.status, case.outcome) == ("closed", "upheld")

    # the end: dismissed; she is back in the pool first, never with this employer
    r = await _post(
        api, f"/placements/{pid}/end", token, reason="dismissed", ended_on=clock.today().isoformat()
    )
    assert r.status_code == 303, r.text
    page = (await api.client.get(r.headers["location"])).text
    assert "这次就业已结束" in page and "被用人单位辞退" in page
    (pl,) = await rows(api, m.Placement, m.Placement.id == pid)
    assert (pl.status, pl.end_reason, pl.ended_on) == ("ended", "dismissed", clock.today())
    groups = await rows(api, m.WorkerGroup, m.WorkerGroup.worker_id == w["her"]["id"])
    assert "reemployment" in {g.group_code for g in groups}
    assert await rows(api, m.EmployerBan, m.EmployerBan.worker_id == w["her"]["id"])

    # the office's tasks: listed with her name, and done with a note
    page = (await _get(api, "/tasks")).text
    assert "刘春梅" in page and "回访发现问题" in page and "需跟进的维权案件" in page
    tasks = await rows(api, m.Task, m.Task.placement_id == pid, m.Task.status == "open")
    assert tasks and all(t.office_id == w["office"]["id"] for t in tasks)
    r = await _post(api, f"/tasks/{tasks[0].id}/done", token, note="已电话联系")
    assert r.status_code == 303, r.text
    (done,) = await rows(api, m.Task, m.Task.id == tasks[0].id)
    assert (done.status, done.note) == ("done", "已电话联系")
    assert "已电话联系" in (await _get(api, "/tasks?status=done")).text


async def test_bad_forms_show_every_error_beside_its_field_and_write_nothing(api: Api) -> None:
    w = await placed(api)
    pid = w["placement"]
    await _login(api, w["clerk"])
    token = await _token(api, f"/placements/{pid}")
    before = await api.digest()

    r = await _post(
        api,
        f"/placements/{pid}/end",
        token,
        reason="fired",
        ended_on="2026-13-40",
        note="长" * 1001,
    )
    assert r.status_code == 422
    assert _error_beside(r.text, "end", "reason") == "请选择其中一项"
    assert _error_beside(r.text, "end", "ended_on") == "请按 年-月-日 填写日期"
    assert _error_beside(r.text, "end", "note") == "最多 1000 个字"
    # the service's own rule: not after today
    r = await _post(api, f"/placements/{pid}/end", token, reason="quit", ended_on="2999-01-01")
    assert r.status_code == 422 and 'id="e-end-ended_on"' in r.text

    r = await _post(
        api,
        f"/placements/{pid}/checkins",
        token,
        n="7",
        housing_as_promised="maybe",
        wage_paid="四千",
    )
    assert r.status_code == 422
    for field in ("n", "channel", "wages_on_time", "hours_as_agreed", "housing_as_promised"):
        _error_beside(r.text, "checkin", field)
    assert _error_beside(r.text, "checkin", "wage_paid") == "请填写 0 到 1000000 之间的整数"

    r = await _post(
        api, f"/placements/{pid}/cases", token, type="robbery", summary="  ", money_claimed="-5"
    )
    assert r.status_code == 422
    for field in ("type", "summary", "money_claimed"):
        _error_beside(r.text, "case", field)
    assert await api.digest() == before

    case = await api.ok(
        "POST",
        "/cases",
        w["staff"],
        json={"placement_id": pid, "type": "wage_arrears", "summary": "拖欠工资"},
    )
    before = await api.digest()
    r = await _post(api, f"/cases/{case['id']}/recovered", token, amount="0", recovered_note="")
    assert r.status_code == 422
    assert '<p class="error" id="e-amount">请填写 1 到 10000000 之间的整数</p>' in r.text
    assert '<p class="error" id="e-recovered_note">不能为空</p>' in r.text
    (task,) = await rows(api, m.Task, m.Task.case_id == case["id"])
    r = await _post(api, f"/tasks/{task.id}/done", token, note="长" * 1001)
    assert r.status_code == 422 and f'id="e-note-{task.id}">最多 1000 个字' in r.text
    assert await api.digest() == before


async def test_another_agency_gets_404_and_an_employer_403(api: Api) -> None:
    w = await placed(api)
    pid = w["placement"]
    case = await api.ok(
        "POST",
        "/cases",
        w["staff"],
        json={"placement_id": pid, "type": "wage_arrears", "summary": "拖欠工资"},
    )
    (task,) = await rows(api, m.Task, m.Task.case_id == case["id"])
    other = await api.agency()
    hr_name = f"hrx{pid}"
    body = {"username": hr_name, "password": PASSWORD, "role": "employer"}
    await api.ok(
        "POST", "/staff", await api.admin(), json=body | {"employer_id": w["employer"]["id"]}
    )
    await _login(api, await _account(api, "staff", agency_id=other["id"]))
    token = await _token(api, "/dashboard")
    before = await api.digest()
    assert (await _get(api, f"/placements/{pid}")).status_code == 404
    posts = {
        f"/placements/{pid}/end": {"reason": "dismissed"},
        f"/placements/{pid}/checkins": {
            "n": "1",
            "channel": "visit",
            "wages_on_time": "yes",
            "hours_as_agreed": "yes",
            "housing_as_promised": "yes",
        },
        f"/placements/{pid}/cases": {"type": "other", "summary": "冒充"},
        f"/cases/{case['id']}/recovered": {"amount": "100", "recovered_note": "冒充"},
        f"/tasks/{task.id}/done": {},
    }
    for path, fields in posts.items():
        r = await _post(api, path, token, **fields)
        assert r.status_code == 404, (path, r.status_code)
        assert "text/html" in r.headers["content-type"]
    await _login(api, hr_name)
    token = await _token(api, "/employer")
    page = (await _get(api, f"/placements/{pid}")).text
    assert "结束这次就业" not in page and "她的答复" not in page  # her answers are hers
    r = await _post(api, f"/placements/{pid}/end", token, reason="dismissed")
    assert r.status_code == 403
    assert (await _get(api, "/tasks")).status_code == 403
    assert await api.digest() == before
    async with api.engine.connect() as conn:
        status = (
            await conn.execute(select(m.Placement.status).where(m.Placement.id == pid))
        ).scalar_one()
    assert status == "active"
