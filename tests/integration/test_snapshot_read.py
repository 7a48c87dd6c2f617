"""The match run's snapshot on PostgreSQL, read by binary COPY into arrays (``read_by_copy``),
is the snapshot read through the driver's rows (``read_by_rows``, SQLite's path), array for
array; and a binary COPY that meets a NULL refuses it rather than misread it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.db.dialect import copy_arrays
from matching.engine import NO_DAY
from matching.lib import clock
from matching.matches import snapshot
from tests.support import Api

EPOCH = dt.date(1970, 1, 1)


async def _both(api: Api) -> tuple[snapshot.Snapshot, snapshot.Snapshot]:
    priority = frozenset({"poor_household"})
    out = []
    for read in (snapshot.read_by_rows, snapshot.read_by_copy):
        async with AsyncSession(api.engine) as session:
            out.append(await read(session, clock.now(), clock.today(), priority))
    return out[0], out[1]


async def test_copy_reads_the_same_snapshot_as_rows(api: Api, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("binary COPY is PostgreSQL's")
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    await api.opening(staff, employer["id"], city="苏州", county="吴江区")
    await api.opening(staff, employer["id"], required_skills=[], headcount=1)
    plain = await api.worker(staff, priority_groups=[], min_monthly_wage=None)
    many = await api.worker(
        staff,
        preferred_cities=["杭州", "上海", "苏州"],
        skills=[{"code": "sewing", "level": 2}, {"code": "cooking", "level": 5}],
        priority_groups=["poor_household", "disabled"],
        available_from=(clock.today() + dt.timedelta(days=9)).isoformat(),
        home_county="吴江区",
    )
    nowhere = await api.worker(staff, preferred_cities=[], willing_to_relocate=False)
    await api.worker(staff, consent_matching=False)  # not in the pool
    certified_on = clock.today() - dt.timedelta(days=30)
    async with AsyncSession(api.engine) as session, session.begin():
        await session.execute(
            text(
                "UPDATE worker_skills SET source = 'training', certified_on = :d "
                "WHERE worker_id = :w AND skill_code = 'cooking'"
            ),
            {"d": certified_on, "w": many["id"]},
        )
        # Stored before lists were required: JSON null reads as no preferred city.
        await session.execute(
            text("UPDATE worker_profiles SET preferred_cities = 'null' WHERE id = :w"),
            {"w": nowhere["id"]},
        )

    rows, copied = await _both(api)
    assert rows.vocab == copied.vocab
    for part in ("workers", "openings", "exclusions"):
        for f in dataclasses.fields(getattr(rows, part)):
            a, b = getattr(getattr(rows, part), f.name), getattr(getattr(copied, part), f.name)
            assert a.dtype == b.dtype and a.shape == b.shape, (part, f.name, a.dtype, b.dtype)
            assert np.array_equal(a, b), (part, f.name, a, b)

    w = copied.workers
    assert w.id.tolist() == [plain["id"], many["id"], nowhere["id"]]
    i = 1
    prefs = [copied.vocab.cities[c] for c in w.pref_city[w.pref_ptr[i] : w.pref_ptr[i + 1]]]
    assert prefs == ["杭州", "上海", "苏州"]  # in her order
    assert w.pref_ptr[3] - w.pref_ptr[2] == 0
    cooking = [s.code for s in copied.vocab.skills].index("cooking")
    assert w.skill[i, cooking] == 5
    assert w.trained_day[i, cooking] == (certified_on - EPOCH).days
    assert w.trained_day[0, cooking] == NO_DAY
    assert w.min_wage.tolist()[0] == 0
    assert w.available_day[i] == (clock.today() + dt.timedelta(days=9) - EPOCH).days
    assert copied.vocab.counties[w.home_county[i]] == "吴江区"
    bits = [g.code for g in copied.vocab.groups]
    assert w.groups[i] == (1 << bits.index("poor_household")) | (1 << bits.index("disabled"))


async def test_copy_refuses_a_null_rather_than_misread_it(api: Api, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("binary COPY is PostgreSQL's")
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    await api.worker(staff, min_monthly_wage=None)
    wages = select(m.WorkerProfile.min_monthly_wage)
    async with AsyncSession(api.engine) as session:
        with pytest.raises(ValueError, match="NULL"):
            await copy_arrays(session, wages, (np.int32,))
        with pytest.raises(ValueError, match="one dtype per selected column"):
            await copy_arrays(session, wages, (np.float64,))
