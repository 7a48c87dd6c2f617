"""The summary's kept table of labour income (``wage_changes``) stays what the placements say
through every write that changes it: a start, a wage reported at a check-in, an end, her sex
corrected, an opening's city changed, and an erasure (which changes none of it). After each
step the table equals a recomputation from the raw rows made here, and the summary's income
equals the income counted here from the placements themselves. Over HTTP, on both databases."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select

from matching.db import models as m
from matching.lib import clock
from tests.integration.test_aftercare import run
from tests.integration.test_figures_summary import income, place, summary
from tests.support import Api

Key = tuple[dt.date, int, str, bool, bool]


async def kept(api: Api) -> Counter[Key]:
    """The table as it is, without the rows whose changes have summed to nothing."""
    async with api.engine.connect() as conn:
        rows = (await conn.execute(select(m.WageChange.__table__))).all()
    return Counter(
        {
            (r.day, r.agency_id, r.city, bool(r.woman), bool(r.running)): int(r.wage)
            for r in rows
            if r.wage
        }
    )


async def placements(api: Api) -> list[Any]:
    pl, w, op = (t.__table__.c for t in (m.Placement, m.WorkerProfile, m.Opening))
    stmt = (
        select(pl.start_date, pl.ended_on, pl.monthly_wage, pl.agency_id, w.sex, op.city)
        .join(m.WorkerProfile.__table__, w.id == pl.worker_id)
        .join(m.Opening.__table__, op.id == pl.opening_id)
    )
    async with api.engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


async def recomputed(api: Api) -> Counter[Key]:
    """Each placement that happened adds its wage on its start date and takes it off the day
    after its end, per (day, agency, city, woman, running)."""
    out: Counter[Key] = Counter()
    for p in await placements(api):
        if p.ended_on is not None and p.ended_on < p.start_date:
            continue
        woman, running = p.sex == "female", p.ended_on is None
        out[(p.start_date, p.agency_id, p.city, woman, running)] += p.monthly_wage
        if p.ended_on is not None:
            after = p.ended_on + dt.timedelta(days=1)
            out[(after, p.agency_id, p.city, woman, False)] -= p.monthly_wage
    return Counter({k: v for k, v in out.items() if v})


async def incomes(api: Api, start: dt.date, end: dt.date) -> dict[str, int]:
    """The period's income counted from the placements, all and women's."""
    rows = await placements(api)
    spans = [
        (p, p.start_date, min(p.ended_on or clock.today(), end), p.monthly_wage)
        for p in rows
        if p.ended_on is None or p.ended_on >= p.start_date
    ]
    return {
        "total": income([s[1:] for s in spans], start, end),
        "women": income([s[1:] for s in spans if s[0].sex == "female"], start, end),
    }


async def test_the_kept_table_follows_every_write(api: Api) -> None:
    admin = await api.admin()
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    factory = await api.employer(agency_id=agency["id"], name="申美电器", city="上海")
    workshop = await api.employer(agency_id=agency["id"], name="绗缝厂", city="南通")
    plain: dict[str, Any] = {"priority_groups": [], "preferred_cities": []}
    her = await api.worker(staff, name="李桂兰", sex="female", **plain)
    him = await api.worker(staff, name="赵强", sex="male", **plain)
    declared = await api.worker(staff, name="孙玉", sex="male", **plain)
    s1 = clock.today() + dt.timedelta(days=3)
    start = s1.replace(day=1)
    end = (start + dt.timedelta(days=100)).replace(day=1) - dt.timedelta(days=1)
    period = f"from={start.isoformat()}&to={end.isoformat()}"

    async def same() -> None:
        assert await kept(api) == await recomputed(api)
        got = await summary(api, staff, period)
        assert got["labour_income_yuan"] == await incomes(api, start, end)

    assert await kept(api) == Counter()
    opening = await api.opening(
        staff, factory["id"], city="上海", headcount=2, start_date=s1.isoformat()
    )
    await api.opening(staff, workshop["id"], city="南通", headcount=1, start_date=s1.isoformat())
    await run(api, staff)
    first = await place(api, staff, her["id"], monthly_wage=4500)
    second = await place(api, staff, him["id"], monthly_wage=5000)
    third = await place(api, staff, declared["id"])
    assert len(await kept(api)) >= 2  # started: women's and men's wages on the start date
    await same()

    # A wage reported at a check-in becomes the placement's wage for all its days.
    clock.travel(s1 - clock.today())
    checkin = {"channel": "phone", "wages_on_time": True, "hours_as_agreed": True}
    path = f"/placements/{first['id']}/follow-ups/1"
    await api.ok("POST", path, staff, json={**checkin, "wage_paid": 5300})
    assert 5300 in {v for k, v in (await kept(api)).items() if k[3]}
    await same()

    # An end takes the wage off the day after; a refused end changes nothing.
    clock.travel(dt.timedelta(days=30))
    before = await kept(api)
    r = await api.request(
        "POST", f"/placements/{second['id']}/end", staff, json={"reason": "quit", "ended_on": "x"}
    )
    assert r.status_code == 422 and await kept(api) == before
    quit_on = clock.today() - dt.timedelta(days=2)
    body = {"reason": "dismissed", "ended_on": quit_on.isoformat()}
    await api.ok("POST", f"/placements/{second['id']}/end", staff, json=body)
    assert (await kept(api))[(quit_on + dt.timedelta(days=1), agency["id"], "上海", False, False)]
    await same()

    # Her sex corrected (declared, no ID number): her placement's wage moves to the women's.
    women_before = (await summary(api, staff, period))["labour_income_yuan"]["women"]
    version = (await api.ok("GET", f"/workers/{declared['id']}", staff))["version"]
    body = {"version": version, "sex": "female"}
    await api.ok("PATCH", f"/workers/{declared['id']}", staff, json=body)
    await same()
    assert (await summary(api, staff, period))["labour_income_yuan"]["women"] > women_before

    # The opening's city changed: its placements' wages follow it (an office's figures do).
    version = (await api.ok("GET", f"/openings/{opening['id']}", staff))["version"]
    body = {"version": version, "city": "苏州"}
    await api.ok("PATCH", f"/openings/{opening['id']}", staff, json=body)
    assert {k[2] for k in await kept(api)} >= {"苏州"}
    await same()

    # An erasure keeps her placements' dates, wages and sex (the figures count them).
    before = await kept(api)
    r = await api.request(
        "POST", f"/workers/{her['id']}/erase", admin, json={"reason": "她本人要求删除"}
    )
    assert r.status_code == 200, r.text
    assert await kept(api) == before
    await same()
    assert third["id"] and clock.today() <= end
