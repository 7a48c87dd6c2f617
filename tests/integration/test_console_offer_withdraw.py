"""Withdrawing an offer in the console, on both databases: staff of her agency from the offers
list through its own page (a blank reason said beside the field, a second withdrawal refused,
each writing nothing), the employer from its candidates list, another agency's staff 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from matching.db import models as m
from tests.integration.test_console_training import _error, _post, _token
from tests.integration.test_offers import offered_world
from tests.integration.test_web import _account, _get, _login
from tests.support import Api


async def _offer(api: Api, offer_id: int) -> Any:
    async with api.engine.connect() as conn:
        return (await conn.execute(select(m.Offer).where(m.Offer.id == offer_id))).one()


async def _withdrawn_notices(api: Api) -> int:
    async with api.engine.connect() as conn:
        q = select(m.Notice.id).where(m.Notice.kind == "offer_withdrawn")
        return len((await conn.execute(q)).all())


async def test_staff_withdraw_an_offer_with_its_reason(api: Api) -> None:
    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    await _login(api, await _account(api, "staff", agency_id=w["employer"]["agency_id"]))
    listed = (await _get(api, "/offers")).text
    assert f'href="/offers/{offer_id}/withdraw?next=/offers"' in listed
    page = (await _get(api, f"/offers/{offer_id}/withdraw?next=/offers")).text
    assert "撤回录用通知" in page and "杨长斌" in page
    token = await _token(api, f"/offers/{offer_id}/withdraw")
    path = f"/offers/{offer_id}/withdraw"

    before = await api.digest()
    r = await _post(api, path, token, reason="  ", next="/offers")
    assert r.status_code == 422
    assert _error(r.text, "reason") == "不能为空"
    assert await api.digest() == before

    r = await _post(api, path, token, reason="岗位已招满", next="/offers")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/offers?done=withdrawn"
    row = await _offer(api, offer_id)
    assert (row.status, row.reason) == ("withdrawn", "岗位已招满")
    assert await _withdrawn_notices(api) == 1  # she is told

    before = await api.digest()
    r = await _post(api, path, token, reason="再撤一次", next="/offers")
    assert r.status_code == 422
    assert "只有" in _error(r.text, "_form")  # 录用通知 … 已撤回；只有 … 才能撤回
    assert "这份录用通知已不能撤回。" in r.text
    assert await api.digest() == before


async def test_the_employer_withdraws_from_its_candidates_and_others_may_not(api: Api) -> None:
    w = await offered_world(api)
    offer_id = w["offer_of"][w["priority"]["id"]]
    path = f"/offers/{offer_id}/withdraw"
    await _login(api, await _account(api, "staff", agency_id=(await api.agency())["id"]))
    token = await _token(api, "/offers")
    before = await api.digest()
    assert (await _get(api, path)).status_code == 404
    assert (await _post(api, path, token, reason="冒充")).status_code == 404
    assert await api.digest() == before

    await _login(api, await _account(api, "employer", employer_id=w["employer"]["id"]))
    token = await _token(api, "/employer/candidates")
    before = await api.digest()
    r = await _post(api, path, token, reason="", next="/employer/candidates")
    assert r.status_code == 422 and _error(r.text, "reason") == "不能为空"
    assert 'name="next" value="/employer/candidates"' in r.text
    assert await api.digest() == before
    r = await _post(api, path, token, reason="订单取消", next="/employer/candidates")
    assert r.status_code == 303
    assert r.headers["location"] == "/employer/candidates?done=withdrawn"
    assert (await _offer(api, offer_id)).status == "withdrawn"
