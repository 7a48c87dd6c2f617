"""The failed notices in the console, on both databases: listed with their last error, one
retried, then all; a notice not failed is refused and unchanged; another agency's staff get
404 and change nothing."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from matching.db import models as m
from tests.integration.test_console_aftercare import placed
from tests.integration.test_web import _account, _get, _login
from tests.support import Api

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _fail_all(api: Api, worker_id: int) -> list[int]:
    async with api.engine.begin() as conn:
        await conn.execute(
            update(m.Notice)
            .where(m.Notice.worker_id == worker_id)
            .values(status="failed", attempts=8, last_error="gateway answered 503")
        )
        rows = await conn.execute(select(m.Notice.id).where(m.Notice.worker_id == worker_id))
        return sorted(r[0] for r in rows)


async def _statuses(api: Api, ids: list[int]) -> list[str]:
    async with api.engine.connect() as conn:
        rows = await conn.execute(select(m.Notice.status).where(m.Notice.id.in_(ids)))
        return sorted(r[0] for r in rows)


async def test_failed_notices_are_listed_and_sent_again(api: Api) -> None:
    w = await placed(api)
    ids = await _fail_all(api, w["her"]["id"])
    assert len(ids) >= 2
    await _login(api, w["clerk"])
    page = (await _get(api, "/notices")).text
    assert "gateway answered 503" in page and "刘春梅" in page and "失败" in page
    token = _TOKEN.search(page)
    assert token
    csrf = {"_csrf_token": token.group(1)}
    r = await api.client.post(f"/notices/{ids[0]}/retry", data=csrf, follow_redirects=False)
    assert r.status_code == 303
    async with api.engine.connect() as conn:
        first = (await conn.execute(select(m.Notice).where(m.Notice.id == ids[0]))).one()
    assert (first.status, first.attempts, first.last_error) == ("pending", 0, None)
    before = await api.digest()
    r = await api.client.post(f"/notices/{ids[0]}/retry", data=csrf)  # not failed now
    assert r.status_code == 409 and "text/html" in r.headers["content-type"]
    assert await api.digest() == before
    r = await api.client.post("/notices/retry-failed", data=csrf, follow_redirects=False)
    assert r.status_code == 303
    assert set(await _statuses(api, ids)) == {"pending"}
    assert "全部失败的通知将重新发送" in (await api.client.get(r.headers["location"])).text


async def test_another_agency_may_not_retry_her_notice(api: Api) -> None:
    w = await placed(api)
    ids = await _fail_all(api, w["her"]["id"])
    other = await api.agency()
    token = await _login(api, await _account(api, "staff", agency_id=other["id"]))
    assert "gateway answered 503" not in (await _get(api, "/notices")).text
    before = await api.digest()
    r = await api.client.post(f"/notices/{ids[0]}/retry", data={"_csrf_token": token})
    assert r.status_code == 404
    r = await api.client.post(
        "/notices/retry-failed", data={"_csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    assert await api.digest() == before
    assert set(await _statuses(api, ids)) == {"failed"}
