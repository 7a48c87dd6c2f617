"""Housing through a real run, on both databases: a worker who needs housing is not proposed
to an opening without it (though she meets every other rule), and is once it provides it; a
worker who needs none is proposed to it all along."""

from __future__ import annotations

from tests.integration.test_aftercare import proposals, run
from tests.support import Api

SEWER = {"priority_groups": [], "skills": [{"code": "sewing", "level": 4}]}


async def test_she_who_needs_housing_is_proposed_only_where_it_is_provided(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="雅尔美服饰")
    opening = await api.opening(staff, employer["id"], headcount=2, housing_provided=False)
    needs = await api.worker(staff, name="王桂英", needs_housing=True, **SEWER)
    local = await api.worker(staff, name="李秀兰", needs_housing=False, **SEWER)

    first = await run(api, staff)
    assert await proposals(api, first["id"]) == {local["id"]: opening["id"]}
    assert first["stats"]["eligible_pairs"] == 1
    why_not = await api.ok(
        "GET", f"/match-runs/{first['id']}/workers/{needs['id']}?lang=en", await api.admin()
    )
    assert why_not["proposed"] is False
    assert "housing" in why_not["reasons"][0]

    # The employer now provides housing: the next run proposes her to the slot left.
    current = await api.ok("GET", f"/openings/{opening['id']}", staff)
    await api.ok(
        "PATCH",
        f"/openings/{opening['id']}",
        staff,
        json={"version": current["version"], "housing_provided": True},
    )
    second = await run(api, staff)
    assert await proposals(api, second["id"]) == {needs["id"]: opening["id"]}
    page = await api.ok("GET", f"/match-runs/{second['id']}/proposals?lang=en", staff)
    assert any("housing provided, as you need" in t for t in page["items"][0]["reasons"])
