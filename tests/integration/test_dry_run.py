"""A dry run (试运行) on both databases: it keeps its proposals and the reason each worker left
out was not proposed, to be read on the run's page; it makes no offer and sends no notice."""

from __future__ import annotations

from typing import Any

from tests.integration.test_aftercare import run
from tests.integration.test_web import _account, _login
from tests.support import Api


async def test_a_dry_run_keeps_its_proposals_and_offers_nothing(api: Api) -> None:
    agency = await api.agency()
    staff_user = await _account(api, "staff", agency_id=agency["id"])
    staff = await api.login(staff_user)
    employer = await api.employer(agency_id=agency["id"], name="雅尔美服饰")
    plain: dict[str, Any] = {"priority_groups": [], "skills": [{"code": "sewing", "level": 4}]}
    first = await api.worker(staff, name="张秀兰", **plain)
    second = await api.worker(staff, name="李桂英", **plain)
    opening = await api.opening(staff, employer["id"], headcount=1, title="平缝车工")
    notices_before = await api.count("notices")

    dry = await run(api, staff, dry_run=True)
    assert dry["dry_run"] is True and dry["stats"]["offers"] == 0
    page = await api.ok("GET", f"/match-runs/{dry['id']}/proposals", staff)
    assert [(p["worker_id"], p["opening_id"]) for p in page["items"]] == [
        (first["id"], opening["id"])
    ]
    assert page["items"][0]["reasons"]  # worded, as a real run's
    left = await api.ok("GET", f"/match-runs/{dry['id']}/unproposed", staff)
    assert [u["worker_id"] for u in left["items"]] == [second["id"]]
    assert left["items"][0]["reason"]
    assert await api.count("offers") == 0 and await api.count("offer_links") == 0
    assert await api.count("notices") == notices_before  # the outbox stays empty

    await _login(api, staff_user)
    text = (await api.client.get(f"/runs/{dry['id']}")).text
    assert "试运行" in text and "没有发出录用通知" in text
    assert "张秀兰" in text and "未发通知（试运行）" in text
    assert 'id="left-out"' in text and "李桂英" in text
    assert "人符合至少一个岗位的条件" in text and "本次匹配优先安排的群体" in text
    assert "本次没有推荐" not in text

    real = await run(api, staff)  # the dry run's proposals hold nothing back
    assert real["stats"]["offers"] == 1 and await api.count("offers") == 1
    text = (await api.client.get(f"/runs/{real['id']}")).text
    assert "张秀兰" in text and "试运行" not in text and "李桂英" in text
