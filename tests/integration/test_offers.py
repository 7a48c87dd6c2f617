"""The offer's road: her link and page, staff answering for her, confirm into a placement,
withdraw, expiry with a controlled clock, and the notices each step writes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.context import Context
from matching.offers import service as offers
from matching.placements import service as placements
from tests.integration.test_matching import small_world, wait_run
from tests.support import Api

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def offered_world(api: Api) -> dict[str, Any]:
    w = await small_world(api)
    r = await api.request("POST", "/match-runs", w["staff_a"], json={})
    run = await wait_run(api, w["staff_a"], r.json()["id"])
    assert run["status"] == "done", run["error"]
    w["run"] = run
    async with api.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(m.Offer.id, m.Offer.worker_id, m.OfferLink.code).join(
                    m.OfferLink, m.OfferLink.offer_id == m.Offer.id
                )
            )
        ).all()
    w["offer_of"] = {r.worker_id: r.id for r in rows}
    w["code_of"] = {r.worker_id: r.code for r in rows}
    return w


async def notices(api: Api, kind: str) -> list[Any]:
    async with api.engine.connect() as conn:
        return list((await conn.execute(select(m.Notice).where(m.Notice.kind == kind))).all())


async def test_offer_made_notice_names_the_job_and_carries_her_link(api: Api) -> None:
    w = await offered_world(api)
    made = await notices(api, "offer_made")
    assert len(made) == 3
    mine = next(n for n in made if n.worker_id == w["priority"]["id"])
    assert "雅尔美服饰" in mine.text and "上海" in mine.text and "4500-6000元" in mine.text
    assert "包住" in mine.text
    assert mine.link.endswith("/o/" + w["code_of"][w["priority"]["id"]])
    assert mine.link in mine.text
    assert mine.to_phone.startswith("+86")
    assert len(mine.text) <= 134


async def test_accept_through_her_page(api: Api) -> None:
    w = await offered_world(api)
    code = w["code_of"][w["priority"]["id"]]
    offer_id = w["offer_of"][w["priority"]["id"]]
    page = await api.client.get(f"/o/{code}")
    assert page.status_code == 200
    html = page.text
    for fact in ("平缝车工", "雅尔美服饰", "上海", "4500", "6000", "包住宿", "接受", "不接受"):
        assert fact in html
    assert "优先群体" in html  # her own reasons, shown to her
    english = await api.client.get(f"/o/{code}?lang=en")
    assert "Accept" in english.text and "Monthly wage" in english.text
    token = CSRF.search(html)
    assert token
    # a form without the CSRF token is refused and changes nothing
    before = await api.digest()
    r = await api.client.post(f"/o/{code}/accept", data={"offer_id": str(offer_id)})
    assert r.status_code == 403
    assert await api.digest() == before
    r = await api.client.post(
        f"/o/{code}/accept", data={"offer_id": str(offer_id), "_csrf_token": token.group(1)}
    )
    assert r.status_code == 200, r.text
    assert "您已接受" in r.text
    offer = await api.ok("GET", f"/offers/{offer_id}", w["staff_a"])
    assert offer["status"] == "accepted"
    # the same code again: a friendly page, nothing changes
    before = await api.digest()
    r = await api.client.post(
        f"/o/{code}/decline", data={"offer_id": str(offer_id), "_csrf_token": token.group(1)}
    )
    assert r.status_code == 409 and "没有执行" in r.text
    assert await api.digest() == before


async def test_code_opens_only_her_own_offer_and_dies_with_it(api: Api) -> None:
    w = await offered_world(api)
    mine = w["code_of"][w["priority"]["id"]]
    other_offer = next(o for wid, o in w["offer_of"].items() if wid != w["priority"]["id"])
    page = await api.client.get(f"/o/{mine}")
    token = CSRF.search(page.text)
    assert token
    before = await api.digest()
    r = await api.client.post(
        f"/o/{mine}/accept", data={"offer_id": str(other_offer), "_csrf_token": token.group(1)}
    )
    assert r.status_code == 409
    assert await api.digest() == before
    for bad in ("nonexistent-code", "x", "<script>"):
        r = await api.client.get(f"/o/{bad}")
        assert r.status_code == 404 and "链接已失效" in r.text
    clock.travel(dt.timedelta(days=4))
    r = await api.client.get(f"/o/{mine}")
    assert r.status_code == 404
    r = await api.client.post(
        f"/o/{mine}/accept",
        data={"offer_id": str(w["offer_of"][w["priority"]["id"]]), "_csrf_token": token.group(1)},
    )
    assert r.status_code in (404, 409)
    assert await api.digest() == before


async def test_staff_answers_for_her_and_decline_keeps_her_from_that_opening(api: Api) -> None:
    w = await offered_world(api)
    pid = w["priority"]["id"]
    offer_id = w["offer_of"][pid]
    # employers cannot answer for her; another agency's staff cannot see the offer
    r = await api.request("POST", f"/offers/{offer_id}/accept", w["employer_hr"])
    assert r.status_code == 403
    r = await api.request("POST", f"/offers/{offer_id}/accept", w["staff_b"])
    assert r.status_code == 404
    before = await api.digest()
    r = await api.request("POST", f"/offers/{offer_id}/decline", w["staff_a"], json={"fee": 1})
    assert (
        r.status_code == 422 and r.json()["errors"][0]["message"] == "this endpoint takes no body"
    )
    assert await api.digest() == before
    r = await api.request("POST", f"/offers/{offer_id}/decline", w["staff_a"])
    assert r.status_code == 200 and r.json()["status"] == "declined"
    assert (await api.ok("GET", f"/workers/{pid}", w["staff_a"]))["status"] == "available"
    async with api.engine.connect() as conn:
        by = (
            await conn.execute(select(m.Offer.responded_by).where(m.Offer.id == offer_id))
        ).scalar()
    assert by and by.startswith("staff:")
    # a declined offer cannot be confirmed
    before = await api.digest()
    r = await api.request("POST", f"/offers/{offer_id}/confirm", w["employer_hr"])
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert await api.digest() == before
    # the next run does not propose her to that opening again (the slot she left is free)
    r = await api.request("POST", "/match-runs", w["staff_a"], json={})
    run = await wait_run(api, w["staff_a"], r.json()["id"])
    page = await api.ok("GET", f"/match-runs/{run['id']}/proposals", await api.admin())
    assert all(
        not (p["worker_id"] == pid and p["opening_id"] == w["opening"]["id"]) for p in page["items"]
    )
    assert any(p["opening_id"] == w["opening"]["id"] for p in page["items"])  # slot refilled


async def test_confirm_creates_the_placement_with_three_follow_ups(api: Api) -> None:
    w = await offered_world(api)
    pid = w["priority"]["id"]
    offer_id = w["offer_of"][pid]
    r = await api.request("POST", f"/offers/{offer_id}/confirm", w["employer_hr"])
    assert r.status_code == 409  # still pending: she has not accepted
    await api.ok("POST", f"/offers/{offer_id}/accept", w["staff_a"])
    other_hr = await api.employer_account((await api.employer())["id"])
    r = await api.request("POST", f"/offers/{offer_id}/confirm", other_hr)
    assert r.status_code == 404
    body = await api.ok("POST", f"/offers/{offer_id}/confirm", w["employer_hr"])
    placement_id = body["placement_id"]
    placement = await api.ok("GET", f"/placements/{placement_id}", w["staff_a"])
    start = dt.date.fromisoformat(w["opening"]["start_date"])
    assert placement["start_date"] == start.isoformat()
    assert placement["status"] == "active"
    assert [f["due_on"] for f in placement["follow_ups"]] == [
        (start + dt.timedelta(days=d)).isoformat() for d in (7, 30, 90)
    ]
    assert all(f["status"] == "scheduled" for f in placement["follow_ups"])
    assert (await api.ok("GET", f"/workers/{pid}", w["staff_a"]))["status"] == "placed"
    confirmed = await notices(api, "offer_confirmed")
    assert len(confirmed) == 1 and "雅尔美服饰" in confirmed[0].text
    # her page now shows the rights pack
    page = await api.client.get(f"/o/{w['code_of'][pid]}")
    assert page.status_code == 200 and "劳动合同" in page.text and "用人单位已确认" in page.text
    # employer of the placement and staff read it; staff of another agency cannot
    assert (
        await api.request("GET", f"/placements/{placement_id}", w["employer_hr"])
    ).status_code == 200
    assert (
        await api.request("GET", f"/placements/{placement_id}", w["staff_b"])
    ).status_code == 404
    # confirming twice is a conflict
    assert (
        await api.request("POST", f"/offers/{offer_id}/confirm", w["staff_a"])
    ).status_code == 409
    # ending it returns her to the pool
    r = await api.request(
        "POST", f"/placements/{placement_id}/end", w["staff_a"], json={"reason": "fired"}
    )
    assert r.status_code in (400, 422)
    ended = (
        await api.ok(
            "POST",
            f"/placements/{placement_id}/end",
            w["staff_a"],
            json={"reason": "quit", "ended_on": start.isoformat()},
        )
        if start <= clock.today()
        else None
    )
    if ended is None:
        clock.travel(start - clock.today() + dt.timedelta(days=1))
        ended = await api.ok(
            "POST", f"/placements/{placement_id}/end", w["staff_a"], json={"reason": "quit"}
        )
    assert ended["status"] == "ended" and ended["end_reason"] == "quit"
    assert (await api.ok("GET", f"/workers/{pid}", w["staff_a"]))["status"] == "available"


async def test_withdraw_frees_her_and_tells_her(api: Api) -> None:
    w = await offered_world(api)
    pid = w["priority"]["id"]
    offer_id = w["offer_of"][pid]
    r = await api.request(
        "POST", f"/offers/{offer_id}/withdraw", w["employer_hr"], json={"reason": "  "}
    )
    assert r.status_code == 422
    r = await api.request("POST", f"/offers/{offer_id}/withdraw", w["employer_hr"], json={})
    assert r.status_code in (400, 422)
    done = await api.ok(
        "POST", f"/offers/{offer_id}/withdraw", w["employer_hr"], json={"reason": "订单取消"}
    )
    assert done["status"] == "withdrawn"
    assert (await api.ok("GET", f"/workers/{pid}", w["staff_a"]))["status"] == "available"
    withdrawn = await notices(api, "offer_withdrawn")
    assert len(withdrawn) == 1 and "订单取消" in withdrawn[0].text


async def test_expiry_and_reminder_with_a_controlled_clock(api: Api, settings: Any) -> None:
    w = await offered_world(api)
    ctx = Context.from_settings(settings)
    pid = w["priority"]["id"]
    async with AsyncSession(api.engine) as session, session.begin():
        assert await offers.expire_due(session) == 0
        assert await offers.remind_expiring(session, ctx) == 0
    clock.travel(dt.timedelta(days=2, hours=12))  # inside the last day
    for _ in range(2):  # run twice: still one reminder each
        async with AsyncSession(api.engine) as session, session.begin():
            await offers.remind_expiring(session, ctx)
    assert len(await notices(api, "offer_expiring")) == 3
    clock.travel(dt.timedelta(days=1))
    for expected in (3, 0):  # the second run expires nothing more
        async with AsyncSession(api.engine) as session, session.begin():
            assert await offers.expire_due(session) == expected
    offers_page = await api.ok("GET", f"/workers/{pid}/offers", w["staff_a"])
    assert offers_page["items"][0]["status"] == "expired"
    assert (await api.ok("GET", f"/workers/{pid}", w["staff_a"]))["status"] == "available"
    # she and the slot are free: a new run proposes again
    r = await api.request("POST", "/match-runs", w["staff_a"], json={})
    run = await wait_run(api, w["staff_a"], r.json()["id"])
    assert run["stats"]["proposals"] == 3


async def test_placement_starting_notice_once(api: Api, settings: Any) -> None:
    w = await offered_world(api)
    ctx = Context.from_settings(settings)
    offer_id = w["offer_of"][w["priority"]["id"]]
    await api.ok("POST", f"/offers/{offer_id}/accept", w["staff_a"])
    await api.ok("POST", f"/offers/{offer_id}/confirm", w["staff_a"])
    start = dt.date.fromisoformat(w["opening"]["start_date"])
    clock.travel(start - dt.timedelta(days=1) - clock.today())
    for _ in range(2):
        async with AsyncSession(api.engine) as session, session.begin():
            await placements.placements_starting(session, ctx)
    starting = await notices(api, "placement_starting")
    assert len(starting) == 1 and "明天" in starting[0].text
