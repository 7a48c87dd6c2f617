"""The priority policy on both databases: which priority groups are placed first, changed by
an admin with who and when recorded, read by the next run's snapshot and named by its audit."""

from __future__ import annotations

from matching.db import models as m
from tests.integration.test_aftercare import proposals, rows, run
from tests.support import Api, assert_problem

DEFAULT_FIRST = ["poor_household", "military_spouse", "resettled_migrant", "reemployment"]
RECORDED_ONLY = ["left_behind", "laid_off", "disabled"]


async def test_the_default_policy_places_three_groups_as_recorded_only(api: Api) -> None:
    staff = await api.staff((await api.agency())["id"])
    policy = await api.ok("GET", "/priority-policy", staff)
    assert policy["current"]["groups"] == DEFAULT_FIRST
    assert policy["current"]["recorded_only"] == RECORDED_ONLY
    assert policy["current"]["id"] is None and policy["changes"] == []
    groups = await api.ok("GET", "/priority-groups", {})
    assert {g["code"]: g["priority"] for g in groups["items"]}["left_behind"] is False


async def test_only_an_admin_changes_it_and_bad_codes_change_nothing(api: Api) -> None:
    staff = await api.staff((await api.agency())["id"])
    before = await api.digest()
    r = await api.request("PUT", "/priority-policy", staff, json={"groups": ["left_behind"]})
    assert_problem(r, 403)
    body = {"groups": ["left_behind", "nobody", "left_behind"]}
    found = assert_problem(
        await api.request("PUT", "/priority-policy", await api.admin(), json=body), 422
    )
    assert {e["field"] for e in found["errors"]} == {"groups[1]", "groups[2]"}
    r = await api.request("PUT", "/priority-policy", await api.admin(), json={"groups": 3})
    assert r.status_code in (400, 422)
    assert await api.digest() == before


async def test_changing_the_policy_changes_whom_the_engine_ranks_first(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    plain = {"priority_groups": [], "skills": [{"code": "sewing", "level": 4}]}
    first = await api.worker(staff, name="张秀兰", **plain)  # registered first: the tie-break
    second = await api.worker(staff, name="李桂英", **plain)
    left_behind = await api.worker(
        staff,
        name="王芳",
        priority_groups=["left_behind"],
        consent_sensitive=True,
        skills=[{"code": "sewing", "level": 4}],
    )
    one = await api.opening(staff, employer["id"], headcount=1)
    before = await run(api, staff)
    assert await proposals(api, before["id"]) == {first["id"]: one["id"]}  # recorded only
    assert "left_behind" not in before["audit"]["priority_groups"]

    changed = await api.ok(
        "PUT",
        "/priority-policy",
        admin,
        json={"groups": [*DEFAULT_FIRST, "left_behind"], "note": "县妇联决定"},
    )
    assert "left_behind" in changed["groups"] and changed["changed_by_id"] is not None
    stored = await rows(api, m.PriorityPolicy)
    assert len(stored) == 1 and stored[0].changed_at is not None
    account = await rows(api, m.Account, m.Account.username == "root")
    assert stored[0].changed_by_id == account[0].id  # who changed it

    two = await api.opening(staff, employer["id"], headcount=1)
    after = await run(api, staff)
    assert await proposals(api, after["id"]) == {left_behind["id"]: two["id"]}  # now first
    assert second["id"] not in await proposals(api, after["id"])
    assert "left_behind" in after["audit"]["priority_groups"]  # the audit names the policy
    history = await api.ok("GET", "/priority-policy", staff)
    assert [c["note"] for c in history["changes"]] == ["县妇联决定"]
    groups = await api.ok("GET", "/priority-groups", {})
    assert {g["code"]: g["priority"] for g in groups["items"]}["left_behind"] is True


async def test_the_console_shows_and_changes_the_policy(api: Api) -> None:
    from tests.integration.test_web import _account, _login

    agency = await api.agency()
    await api.admin()
    token = await _login(api, "root")
    page = await api.client.get("/admin/priority-policy")
    assert page.status_code == 200 and "重点群体优先政策" in page.text
    assert "尚未修改" in page.text
    before = await api.digest()
    bad = {"_csrf_token": token, "groups": ["left_behind", "nobody"]}
    r = await api.client.post("/admin/priority-policy", data=bad, follow_redirects=False)
    assert r.status_code == 422 and 'id="e-groups"' in r.text and "nobody" in r.text
    assert await api.digest() == before
    good = {"_csrf_token": token, "groups": ["poor_household", "left_behind"], "note": "妇联"}
    r = await api.client.post("/admin/priority-policy", data=good, follow_redirects=False)
    assert r.status_code == 303
    text = (await api.client.get("/admin/priority-policy")).text
    assert "root" in text and "妇联" in text and "尚未修改" not in text
    assert len(await rows(api, m.PriorityPolicy)) == 1

    await _login(api, await _account(api, "staff", agency_id=agency["id"]))
    assert (await api.client.get("/admin/priority-policy")).status_code == 403
    form = (await api.client.get("/workers/new")).text
    assert '留守妇女<span class="tier">（优先安排）' in form
    assert '下岗职工<span class="tier">（仅记录）' in form
