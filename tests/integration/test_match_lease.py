"""A match run's liveness is a lease its process renews: a run whose process died (killed
mid-run) no longer blocks the next one after its lease runs out, and leaves nothing behind; a
run whose lease is fresh still refuses a second; a long solve keeps renewing its lease; and a
run failed as interrupted while its process still worked writes nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from matching.db import models as m
from matching.db.base import metadata
from matching.engine import NO_DAY
from matching.lib import clock
from matching.lib.context import Context
from matching.lib.errors import Conflict
from matching.lib.principal import SYSTEM
from matching.lib.reference import reference
from matching.matches import processes, runner
from matching.matches import service as match_service
from matching.settings import Settings
from seeds.synthetic import generate
from tests.integration.test_matching import small_world, wait_run
from tests.integration.test_scheduler import SECRET, spawn
from tests.integration.test_scheduler import processes as spawned
from tests.support import Api

EPOCH = dt.date(1970, 1, 1)
ERROR = "interrupted: its process stopped renewing its lease at "


async def runs(engine: AsyncEngine) -> dict[int, Any]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(m.MatchRun.__table__))).all()
    return {r.id: r for r in rows}


# -- request_run and a lapsed lease ----------------------------------------------------------


@pytest.mark.parametrize("claimed", [False, True], ids=["queued", "running"])
async def test_a_live_run_whose_lease_lapsed_is_failed_and_the_next_accepted(
    api: Api, claimed: bool
) -> None:
    staff = await api.staff((await api.agency())["id"])
    lease = dt.timedelta(seconds=60)
    async with AsyncSession(api.engine) as session, session.begin():
        dead = await match_service.request_run(session, SYSTEM, dry_run=False, lease=lease)
        if claimed:  # claimed by a process that then died
            assert await match_service.claim_run(session, dead.id, lease)
    lapsed_at = (await runs(api.engine))[dead.id].lease_until

    clock.travel(lease - dt.timedelta(seconds=1))  # still fresh: refused, as before
    r = await api.request("POST", "/match-runs", staff, json={})
    assert r.status_code == 409, r.text
    assert r.json()["running_run_id"] == dead.id
    assert (await runs(api.engine))[dead.id].status == ("running" if claimed else "queued")

    clock.travel(dt.timedelta(seconds=2))  # its process stopped renewing: it died
    r = await api.request("POST", "/match-runs", staff, json={})
    assert r.status_code == 202, r.text
    new = await wait_run(api, staff, r.json()["id"])
    assert new["status"] == "done", new["error"]
    old = await api.ok("GET", f"/match-runs/{dead.id}", staff)
    assert old["status"] == "failed"
    assert old["error"].startswith(ERROR + lapsed_at.isoformat(timespec="seconds")), old["error"]
    assert old["error"].endswith(f"(while {'running' if claimed else 'queued'})")
    assert old["finished_at"] is not None


async def test_a_run_failed_as_interrupted_cannot_be_claimed(api: Api) -> None:
    lease = dt.timedelta(seconds=5)
    async with AsyncSession(api.engine) as session, session.begin():
        dead = await match_service.request_run(session, SYSTEM, dry_run=False, lease=lease)
    clock.travel(dt.timedelta(seconds=6))
    async with AsyncSession(api.engine) as session, session.begin():
        await match_service.request_run(session, SYSTEM, dry_run=True, lease=lease)
    async with AsyncSession(api.engine) as session, session.begin():
        assert not await match_service.claim_run(session, dead.id, lease)  # too late
    assert (await runs(api.engine))[dead.id].status == "failed"


# -- the runner renews its lease -------------------------------------------------------------


def _ctx(settings: Settings, lease_seconds: int) -> Context:
    return Context.from_settings(dataclasses.replace(settings, match_lease_seconds=lease_seconds))


async def test_a_long_solve_keeps_renewing_its_lease(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await small_world(api)
    lease_s, solve_s = 2, 6.0  # the solve lasts three leases
    real_solve = runner.solve_snapshot

    def slow_solve(snap: Any, **kw: Any) -> Any:
        time.sleep(solve_s)
        return real_solve(snap, **kw)

    # The solve pool's process would not see a patched function: solve in a thread instead,
    # which leaves the loop free exactly as the pool does.
    with ThreadPoolExecutor(1) as pool:
        monkeypatch.setattr(processes, "solve_pool", lambda: pool)
        monkeypatch.setattr(runner, "solve_snapshot", slow_solve)
        async with AsyncSession(api.engine) as session, session.begin():
            queued = await match_service.request_run(session, SYSTEM, dry_run=False)
        maker = async_sessionmaker(api.engine, expire_on_commit=False)
        task = asyncio.create_task(runner.execute_run(maker, _ctx(settings, lease_s), queued.id))
        leases: list[dt.datetime] = []
        refused = 0
        deadline = time.monotonic() + solve_s - 0.5
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            leases.append((await runs(api.engine))[queued.id].lease_until)
            try:  # a second run is refused all along: the lease never lapses
                async with AsyncSession(api.engine) as session, session.begin():
                    await match_service.request_run(session, SYSTEM, dry_run=False)
            except Conflict as exc:
                assert exc.extra == {"running_run_id": queued.id}
                refused += 1
            else:
                raise AssertionError("a second run was accepted while the first was solving")
        result = await task
    assert result is not None and result.status == "done", result
    assert refused == len(leases) >= 8
    assert len(set(leases)) >= 4, leases  # renewed every half second (a quarter lease)
    assert max(leases) - min(leases) >= dt.timedelta(seconds=3)
    assert await api.count("offers") == 3
    assert w["opening"]["id"]


async def test_a_run_failed_while_it_solved_writes_nothing(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await small_world(api)
    real_solve = runner.solve_snapshot
    solving = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stalled_solve(snap: Any, **kw: Any) -> Any:
        loop.call_soon_threadsafe(solving.set)
        time.sleep(2.0)  # meanwhile its run is failed as interrupted (a stall of a whole lease)
        return real_solve(snap, **kw)

    with ThreadPoolExecutor(1) as pool:
        monkeypatch.setattr(processes, "solve_pool", lambda: pool)
        monkeypatch.setattr(runner, "solve_snapshot", stalled_solve)
        async with AsyncSession(api.engine) as session, session.begin():
            queued = await match_service.request_run(session, SYSTEM, dry_run=False)
        maker = async_sessionmaker(api.engine, expire_on_commit=False)
        task = asyncio.create_task(runner.execute_run(maker, _ctx(settings, 60), queued.id))
        await solving.wait()
        async with api.engine.begin() as conn:
            await conn.execute(
                update(m.MatchRun)
                .where(m.MatchRun.id == queued.id)
                .values(lease_until=clock.now() - dt.timedelta(seconds=1))
            )
        async with AsyncSession(api.engine) as session, session.begin():
            taken = await match_service.request_run(session, SYSTEM, dry_run=True)
        result = await task
    assert result is not None and result.status == "failed"
    assert result.error is not None and result.error.startswith(ERROR), result.error
    assert await api.count("proposals") == 0
    assert await api.count("offers") == 0
    assert await api.count("unproposed") == 0
    assert (await runs(api.engine))[taken.id].status == "queued"


# -- kill -9 of a real `laowu match run` -----------------------------------------------------


def _day(value: int) -> dt.date | None:
    return None if value == NO_DAY else EPOCH + dt.timedelta(days=int(value))


async def load_synthetic(engine: AsyncEngine, n_workers: int, n_openings: int) -> None:
    """A synthetic prefecture (seeds/synthetic.py), inserted on either database."""
    today = clock.today()
    workers, openings, vocab, _ = generate(
        n_workers, n_openings, seed=11, today=(today - EPOCH).days
    )
    known = reference().skill_codes
    codes = [s.code for s in vocab.skills]
    assert all(c in known for c in codes), codes
    now = clock.now()
    floor = today + dt.timedelta(days=1)
    t = {name: metadata.tables[name] for name in (
        "agencies", "employers", "openings", "opening_skills", "worker_profiles",
        "worker_skills", "worker_groups",
    )}  # fmt: skip
    rep: dict[int, tuple[int, int, bool]] = {}
    for i, e in enumerate(openings.employer_id):
        rep[int(e)] = (
            int(openings.reputation[i]),
            int(openings.protection[i]),
            bool(openings.partner[i]),
        )
    async with engine.begin() as conn:

        async def put(table: str, rows: list[dict[str, Any]]) -> None:
            for k in range(0, len(rows), 500):
                await conn.execute(insert(t[table]), rows[k : k + 500])

        await put("agencies", [{"id": 1, "name": "合成劳务", "created_at": now}])
        await put("employers", [
            {"id": e, "name": f"工厂{e}", "city": vocab.cities[int(openings.city[0])],
             "reputation": r, "labour_protection": p, "partner": pt, "suspended": False,
             "version": 1, "created_at": now}
            for e, (r, p, pt) in rep.items()
        ])  # fmt: skip
        await put("openings", [
            {"id": int(openings.id[i]), "employer_id": int(openings.employer_id[i]),
             "title": f"岗位{int(openings.id[i])}", "city": vocab.cities[int(openings.city[i])],
             "county": vocab.counties[int(openings.county[i])] if openings.county[i] >= 0 else None,
             "headcount": int(openings.capacity[i]), "monthly_wage_min": int(openings.wage_min[i]),
             "monthly_wage_max": int(openings.wage_max[i]),
             "housing_provided": bool(openings.housing[i]),
             "start_date": max(_day(int(openings.start_day[i])) or floor, floor),
             "status": "open", "version": 1, "created_at": now, "updated_at": now}
            for i in range(len(openings))
        ])  # fmt: skip
        await put("opening_skills", [
            {"opening_id": int(openings.id[i]), "skill_code": codes[s],
             "min_level": int(openings.skill_min[i, s])}
            for i, s in zip(*np.nonzero(openings.skill_min), strict=True)
        ])  # fmt: skip
        ptr = workers.pref_ptr
        await put("worker_profiles", [
            {"id": int(workers.id[i]), "agency_id": 1, "name": f"工人{int(workers.id[i])}",
             "phone": f"+86138{int(workers.id[i]):08d}",
             "birth_date": _day(int(workers.birth_day[i])),
             "home_county": vocab.counties[int(workers.home_county[i])],
             "willing_to_relocate": bool(workers.relocate[i]),
             "preferred_cities": [
                 vocab.cities[int(c)] for c in workers.pref_city[ptr[i] : ptr[i + 1]]
             ],
             "min_monthly_wage": int(workers.min_wage[i]) or None,
             "needs_housing": bool(workers.needs_housing[i]),
             "available_from": _day(int(workers.available_day[i])), "consent_matching": True,
             "consent_at": now, "locale": "zh", "status": "available", "version": 1,
             "created_at": now, "updated_at": now}
            for i in range(len(workers))
        ])  # fmt: skip
        await put("worker_skills", [
            {"worker_id": int(workers.id[i]), "skill_code": codes[s],
             "level": int(workers.skill[i, s]), "source": "declared", "certified_on": None}
            for i, s in zip(*np.nonzero(workers.skill), strict=True)
        ])  # fmt: skip
        await put("worker_groups", [
            {"worker_id": int(workers.id[i]), "group_code": g.code}
            for bit, g in enumerate(vocab.groups)
            for i in np.nonzero(workers.groups & (1 << bit))[0]
        ])  # fmt: skip
        if conn.dialect.name == "postgresql":
            for table in ("agencies", "employers", "openings", "worker_profiles"):
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )


def _lines(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


async def test_kill_9_of_a_match_run_frees_matching_within_its_lease(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    t0 = time.monotonic()
    await load_synthetic(api.engine, N_WORKERS, N_OPENINGS)
    print(f"loaded {N_WORKERS} workers in {time.monotonic() - t0:.1f}s")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOWU_")} | {
        "LAOWU_DATABASE_URL": db_url,
        "LAOWU_SECRET_KEY": SECRET,
        "LAOWU_DATA_DIR": str(tmp_path),
        "LAOWU_MATCH_LEASE_SECONDS": "3",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "run.log"
    with spawned() as started:
        proc = spawn(started, env, "match", "run", "--wait", log=log)
        deadline = time.monotonic() + 300
        while "[solve]" not in _lines(log):  # the write has begun
            assert proc.poll() is None, _lines(log)
            assert time.monotonic() < deadline, _lines(log)
            await asyncio.sleep(0.02)
        os.killpg(proc.pid, 9)
        killed_at = time.monotonic()
        killed_wall = clock.now()
        proc.wait(timeout=10)
    out = _lines(log)
    print(out)
    assert "[write]" not in out, out  # killed inside the write transaction
    (killed,) = (await runs(api.engine)).values()
    assert killed.status == "running", killed
    lapses_after = (killed.lease_until - killed_wall).total_seconds()
    assert lapses_after <= 3.0  # the lease last committed: renewed at most a quarter ago

    admin = await api.admin()
    while True:  # the API's answer to a new run: refused while the lease holds, then accepted
        r = await api.request("POST", "/match-runs", admin, json={})
        if r.status_code == 202:
            break
        assert r.status_code == 409 and r.json()["running_run_id"] == killed.id, r.text
        assert time.monotonic() - killed_at < 60, "no new run within 60 s of the kill"
        await asyncio.sleep(0.1)
    answered_after = time.monotonic() - killed_at
    new = await wait_run(api, admin, r.json()["id"])
    # accepted when request_run inserted it (the API's answer also waits for its background
    # task to start the run)
    accepted_after = (dt.datetime.fromisoformat(new["created_at"]) - killed_wall).total_seconds()
    assert accepted_after < 60 and answered_after < 60
    assert new["status"] == "done", new["error"]

    old = (await runs(api.engine))[killed.id]
    assert old.status == "failed" and old.live is None
    assert old.error.startswith(ERROR) and old.error.endswith("(while running)"), old.error
    async with api.engine.connect() as conn:

        async def count(table: Any, *where: Any) -> int:
            stmt = select(func.count()).select_from(table)
            return int((await conn.execute(stmt.where(*where))).scalar_one())

        proposals, offers = m.Proposal.__table__, m.Offer.__table__
        # nothing partial from the killed run
        for table in (proposals, offers, m.Unproposed.__table__):
            assert await count(table, table.c.run_id == killed.id) == 0
        # the new run's proposals, each with its one offer; nobody offered twice
        assert new["stats"]["offers"] > 100, new["stats"]
        assert await count(proposals) == await count(offers) == new["stats"]["offers"]
        dup = select(offers.c.worker_id).group_by(offers.c.worker_id).having(func.count() > 1)
        assert (await conn.execute(dup)).first() is None
    summary = {
        "lease_s": 3,
        "lease_lapsed_after_kill_s": round(lapses_after, 2),
        "accepted_after_kill_s": round(accepted_after, 2),
        "answered_202_after_kill_s": round(answered_after, 2),
        "offers": new["stats"]["offers"],
    }
    print(json.dumps(summary))


N_WORKERS, N_OPENINGS = 6000, 600
