"""Bans on an employer, on both databases, each cause on its own: a dismissal without a
rights case, a contract violation, a case whatever the end reason; not a worker who quits.
And the bans stored in the database reach the engine: no proposal to a banned employer's
opening, even when it is her only eligible one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, select

from matching.db import models as m
from matching.lib import clock
from tests.integration.test_aftercare import place, proposals, rows, run
from tests.support import Api

SEWER = {"priority_groups": [], "skills": [{"code": "sewing", "level": 4}]}


async def placed_then_ended(api: Api, reason: str, *, with_case: bool = False) -> dict[str, Any]:
    """She is matched to factory A's only opening, placed there, and the placement ends for
    ``reason`` on its start date (with a rights case opened first, when asked)."""
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    factory = await api.employer(agency_id=agency["id"], name="申美电器")
    hr = await api.employer_account(factory["id"])
    her = await api.worker(staff, name="王桂英", **SEWER)
    opening = await api.opening(staff, factory["id"], headcount=1)
    first = await run(api, staff)
    assert await proposals(api, first["id"]) == {her["id"]: opening["id"]}
    placement_id = await place(api, staff, hr, her["id"])
    if with_case:
        await api.ok(
            "POST",
            "/cases",
            staff,
            json={"placement_id": placement_id, "type": "wage_arrears", "summary": "拖欠工资"},
        )
    clock.travel(dt.date.fromisoformat(opening["start_date"]) - clock.today())
    ended = await api.ok("POST", f"/placements/{placement_id}/end", staff, json={"reason": reason})
    assert ended["status"] == "ended"
    return {"staff": staff, "factory": factory, "her": her, "placement_id": placement_id}


async def bans(api: Api) -> list[tuple[int, int, str]]:
    return [(b.worker_id, b.employer_id, b.reason) for b in await rows(api, m.EmployerBan)]


async def groups_of(api: Api, worker_id: int) -> set[str]:
    found = await rows(api, m.WorkerGroup, m.WorkerGroup.worker_id == worker_id)
    return {g.group_code for g in found}


@pytest.mark.parametrize("reason", ["dismissed", "contract_violation"])
async def test_a_dismissal_without_a_case_bans_that_employer(api: Api, reason: str) -> None:
    w = await placed_then_ended(api, reason)
    her, factory = w["her"], w["factory"]
    assert await api.count("cases") == 0  # the dismissal alone makes the ban
    [(worker_id, employer_id, why)] = await bans(api)
    assert (worker_id, employer_id) == (her["id"], factory["id"])
    assert reason in why and "(case)" not in why
    assert "reemployment" in await groups_of(api, her["id"])

    # The same factory posts again: an opening she meets every rule for, her only one. A
    # newcomer competes for its one slot; without the ban her re-employment priority would
    # win it.
    again = await api.opening(w["staff"], factory["id"], headcount=1, title="平缝车工（二）")
    newcomer = await api.worker(w["staff"], name="李秀兰", **SEWER)
    result = await run(api, w["staff"])
    assert await proposals(api, result["id"]) == {newcomer["id"]: again["id"]}
    assert result["stats"]["priority_proposals"] == 0
    why_not = await api.ok(
        "GET", f"/match-runs/{result['id']}/workers/{her['id']}?lang=en", await api.admin()
    )
    assert why_not["proposed"] is False
    assert "no opening this run meets all the rules" in why_not["reasons"][0]


async def test_a_worker_who_quits_bans_nobody(api: Api) -> None:
    w = await placed_then_ended(api, "quit")
    her, factory = w["her"], w["factory"]
    assert await bans(api) == []
    assert "reemployment" not in await groups_of(api, her["id"])
    # She may work there again: the factory's next opening is proposed to her.
    again = await api.opening(w["staff"], factory["id"], headcount=1, title="平缝车工（二）")
    result = await run(api, w["staff"])
    assert await proposals(api, result["id"]) == {her["id"]: again["id"]}


async def test_a_case_bans_the_employer_whatever_the_end_reason(api: Api) -> None:
    w = await placed_then_ended(api, "quit", with_case=True)
    [(worker_id, employer_id, why)] = await bans(api)
    assert (worker_id, employer_id) == (w["her"]["id"], w["factory"]["id"])
    assert "(case)" in why
    assert "reemployment" not in await groups_of(api, w["her"]["id"])  # she was not dismissed
    await api.opening(w["staff"], w["factory"]["id"], headcount=1, title="平缝车工（二）")
    result = await run(api, w["staff"])
    assert await proposals(api, result["id"]) == {}


async def test_the_snapshot_hands_stored_bans_to_the_engine(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    banned_by = await api.employer(agency_id=agency["id"], name="申美电器")
    elsewhere = await api.employer(agency_id=agency["id"], name="雅尔美服饰")
    banned = await api.worker(staff, name="王桂英", **SEWER)
    other = await api.worker(staff, name="李秀兰", **SEWER)
    at_banned = await api.opening(staff, banned_by["id"], headcount=2)
    async with api.engine.begin() as conn:
        await conn.execute(
            insert(m.EmployerBan),
            [
                {
                    "worker_id": banned["id"],
                    "employer_id": banned_by["id"],
                    "reason": "placement 1 ended: dismissed",
                    "at": clock.now(),
                }
            ],
        )
    # Two slots, two sewers who meet every rule: only the one without the ban is proposed.
    first = await run(api, staff, dry_run=True)
    assert first["stats"]["workers_considered"] == 2
    assert first["stats"]["proposals"] == 1
    real = await run(api, staff)
    assert await proposals(api, real["id"]) == {other["id"]: at_banned["id"]}
    # The ban is on that employer only: another employer's opening is hers.
    at_other = await api.opening(staff, elsewhere["id"], headcount=1)
    later = await run(api, staff)
    assert await proposals(api, later["id"]) == {banned["id"]: at_other["id"]}
    async with api.engine.connect() as conn:
        offered = (
            await conn.execute(select(m.Offer.opening_id).where(m.Offer.worker_id == banned["id"]))
        ).scalars()
        assert list(offered) == [at_other["id"]]
