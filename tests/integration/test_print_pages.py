"""Printed pages, on both databases: her placement letter (上岗介绍信) carries her name, the
employer, the workplace, the wage, the start date, the office's phone and the rights pack of the
source; staff of another agency get 404 and an employer 403 (the letter is her agency's, with
whom to call against the employer). Her registration card shows the masked ID number only."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from matching.lib import clock
from tests.integration.test_aftercare import place, run
from tests.integration.test_web import _account, _get, _login
from tests.support import PASSWORD, Api, id_number_for

RIGHTS_HEADINGS = (
    "你的权益",
    "妇女权益保障法",
    "劳动法",
    "劳动合同法",
    "有事找谁",
    "致外出女工及家人的一封信",
)


async def _placed(api: Api) -> dict[str, Any]:
    admin = await api.admin()
    agency = await api.agency()
    await api.ok(
        "POST",
        "/offices",
        admin,
        json={
            "agency_id": agency["id"],
            "name": "上海办事处",
            "city": "上海",
            "phone": "021-58880001",
        },
    )
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="宏达电子")
    hr = await api.employer_account(employer["id"])
    start = clock.today() + dt.timedelta(days=3)
    await api.opening(staff, employer["id"], headcount=1, start_date=start.isoformat())
    her = await api.worker(staff, name="刘春梅")
    await run(api, staff)
    pid = await place(api, staff, hr, her["id"])
    clerk = await _account(api, "staff", agency_id=agency["id"])
    return {"pid": pid, "clerk": clerk, "employer": employer, "her": her, "agency": agency}


async def test_the_letter_holds_her_placement_and_the_rights_pack(api: Api) -> None:
    w = await _placed(api)
    pid = w["pid"]
    await _login(api, str(w["clerk"]))
    page = (await _get(api, f"/placements/{pid}")).text
    assert f'href="/placements/{pid}/letter"' in page and "打印上岗介绍信" in page
    r = await _get(api, f"/placements/{pid}/letter")
    assert r.status_code == 200, r.text
    letter = r.text
    placement = await api.ok("GET", f"/placements/{pid}", await api.admin())
    for expected in (
        "上岗介绍信",
        "刘春梅",
        "宏达电子",
        "上海",
        f"{placement['monthly_wage']} 元",
        placement["start_date"],
        "021-58880001",
        "上海办事处",
        *RIGHTS_HEADINGS,
        "12333",
    ):
        assert expected in letter, expected
    assert "@media print" in letter and "size: A4" in letter
    # an admin prints it too
    await _login(api, await _account(api, "admin"))
    assert (await _get(api, f"/placements/{pid}/letter")).status_code == 200


async def test_another_agency_gets_404_and_an_employer_403(api: Api) -> None:
    w = await _placed(api)
    pid = w["pid"]
    other = await api.agency()
    await _login(api, await _account(api, "staff", agency_id=other["id"]))
    r = await _get(api, f"/placements/{pid}/letter")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    hr_name = f"hrp{pid}"
    body = {"username": hr_name, "password": PASSWORD, "role": "employer"}
    await api.ok(
        "POST", "/staff", await api.admin(), json=body | {"employer_id": w["employer"]["id"]}
    )
    await _login(api, hr_name)
    assert "打印上岗介绍信" not in (await _get(api, f"/placements/{pid}")).text
    r = await _get(api, f"/placements/{pid}/letter")
    assert r.status_code == 403 and "刘春梅" not in r.text


async def test_the_card_shows_only_the_masked_id_number(api: Api) -> None:
    agency = await api.agency()
    await api.ok(
        "POST",
        "/offices",
        await api.admin(),
        json={
            "agency_id": agency["id"],
            "name": "苏州办事处",
            "city": "苏州",
            "phone": "0512-66660002",
        },
    )
    staff = await api.staff(agency["id"])
    full = id_number_for(dt.date(1990, 5, 17), serial=random.randrange(100, 999))
    her = await api.worker(staff, name="张桂兰", id_number=full, consent_sensitive=True)
    clerk = await _account(api, "staff", agency_id=agency["id"])
    await _login(api, clerk)
    assert f'href="/workers/{her["id"]}/card"' in (await _get(api, f"/workers/{her['id']}")).text
    r = await _get(api, f"/workers/{her['id']}/card")
    assert r.status_code == 200, r.text
    card = r.text
    masked = full[:4] + "*" * 10 + full[-4:]
    assert masked in card and full not in card and full[4:14] not in card
    for expected in (
        "务工人员登记卡",
        "张桂兰",
        her["phone"],
        agency["name"],
        "0512-66660002",
        "登记日期",
    ):
        assert expected in card, expected
    other = await api.agency()
    await _login(api, await _account(api, "staff", agency_id=other["id"]))
    assert (await _get(api, f"/workers/{her['id']}/card")).status_code == 404
