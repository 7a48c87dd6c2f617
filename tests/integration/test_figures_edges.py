"""Edges the summary's SQL decides that the big world does not reach: a woman placed twice in a
period, first locally and then away, is one woman transferred, away (her latest placement);
and a placement that has not begun yet earns nothing. Over HTTP, on both databases."""

from __future__ import annotations

import datetime as dt

from matching.lib import clock
from tests.integration.test_aftercare import run
from tests.integration.test_figures_summary import income, place, summary
from tests.support import Api


async def test_placed_twice_local_then_away_counts_once_and_away(api: Api) -> None:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    workshop = await api.employer(
        agency_id=agency["id"], name="绣花点", city="南通", local_workshop=True
    )
    factory = await api.employer(agency_id=agency["id"], name="申美电器", city="上海")
    her = await api.worker(staff, sex="female", priority_groups=[], preferred_cities=[])
    s1 = clock.today() + dt.timedelta(days=3)
    await api.opening(staff, workshop["id"], city="南通", headcount=1, start_date=s1.isoformat())
    await run(api, staff)
    first = await place(api, staff, her["id"], monthly_wage=4500)
    period = f"from={s1.isoformat()}&to={(s1 + dt.timedelta(days=60)).isoformat()}"
    # Not begun yet: transferred in the period, but no day of work, so no income.
    before = await summary(api, staff, period)
    assert before["transferred"]["total"] == 1 and before["transferred"]["local"] == 1
    assert before["labour_income_yuan"] == {"total": 0, "women": 0}

    clock.travel(s1 + dt.timedelta(days=20) - clock.today())
    quit_on = s1 + dt.timedelta(days=19)
    body = {"reason": "quit", "ended_on": quit_on.isoformat()}
    await api.ok("POST", f"/placements/{first['id']}/end", staff, json=body)
    s2 = clock.today() + dt.timedelta(days=5)
    await api.opening(staff, factory["id"], headcount=1, start_date=s2.isoformat())
    await run(api, staff)
    await place(api, staff, her["id"], monthly_wage=6000)
    clock.travel(dt.timedelta(days=40))

    got = await summary(api, staff, period)
    t = got["transferred"]
    assert (t["total"], t["women"], t["local"], t["away"]) == (1, 1, 0, 1)
    assert got["by_destination_city"] == [
        {"city": "上海", "transferred": 1},
        {"city": "南通", "transferred": 1},
    ]
    end = s1 + dt.timedelta(days=60)
    expected = income([(s1, quit_on, 4500), (s2, min(clock.today(), end), 6000)], s1, end)
    assert got["labour_income_yuan"] == {"total": expected, "women": expected}
