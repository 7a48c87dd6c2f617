"""The scheduler (workers/): jobs run twice write once; misses and failures are logged and
recorded; one scheduler per SQLite file; on PostgreSQL two real `laowu scheduler` processes
elect one leader, fire each tick once, and the follower takes over when the leader dies."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from matching.db import models as m
from matching.lib import clock
from matching.settings import Settings
from tests.integration.test_matching import small_world
from tests.processes import eventually, processes, spawn
from tests.support import Api
from workers import JOBS, JobSpec, Scheduler
from workers.leader import LOCK_CLASS, LOCK_OBJECT
from workers.scheduler import _every

SECRET = "s" * 48


class AlwaysLeader:
    """In-process tests: this process leads, without a lock."""

    is_leader = True

    async def start(self, on_gain: Callable[[], None]) -> None:
        pass

    async def confirm(self) -> bool:
        return True

    async def stop(self) -> None:
        pass


def scheduler_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOWU_")}
    return env | {
        "LAOWU_DATABASE_URL": db_url,
        "LAOWU_SECRET_KEY": SECRET,
        "LAOWU_DISPATCH_INTERVAL_SECONDS": "1",
        "LAOWU_EXPIRE_INTERVAL_SECONDS": "1",
        "LAOWU_LEADER_POLL_SECONDS": "1",
        # 29 February at 03:00: never during a test, so only the interval jobs tick.
        "LAOWU_MATCH_CRON": "0 3 29 2 *",
        **extra,
    }


async def job_runs(engine: AsyncEngine, job: str | None = None) -> list[Any]:
    stmt = select(m.JobRun.__table__).order_by(m.JobRun.id)
    if job is not None:
        stmt = stmt.where(m.JobRun.job == job)
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


async def notices(engine: AsyncEngine, kind: str) -> list[Any]:
    async with engine.connect() as conn:
        stmt = select(m.Notice.__table__).where(m.Notice.kind == kind)
        return list((await conn.execute(stmt)).all())


# -- the job table ---------------------------------------------------------------------------


def test_the_job_table_is_declared_on_purpose() -> None:
    names = {spec.name for spec in JOBS}
    assert {
        "run_matching",
        "dispatch_notices",
        "expire_offers",
        "remind_expiring_offers",
        "announce_placements_starting",
    } <= names
    for spec in JOBS:
        assert spec.max_instances == 1 and spec.coalesce, spec.name
        assert spec.misfire_grace_time >= 30, spec.name
    settings = Settings.from_env({"LAOWU_MATCH_CRON": "30 5 * * 1-5"})
    trigger = next(s for s in JOBS if s.name == "run_matching").trigger(settings)
    assert "hour='5'" in str(trigger) and "minute='30'" in str(trigger)
    assert str(getattr(trigger, "timezone", "")) == "Asia/Shanghai"
    default = next(s for s in JOBS if s.name == "run_matching").trigger(Settings())
    assert "hour='6'" in str(default) and "minute='0'" in str(default)


# -- in-process jobs, both databases -------------------------------------------------------------


async def test_jobs_run_twice_back_to_back_write_once(api: Api, settings: Settings) -> None:
    w = await small_world(api)
    sched = Scheduler(settings, leadership=AlwaysLeader())
    sched.open()
    try:
        first = await sched.run_job("run_matching")
        second = await sched.run_job("run_matching")
        assert first is not None and first["proposals"] == 3
        assert second is not None and second.get("proposals", 0) == 0  # nobody new to propose
        assert await api.count("offers") == 3
        assert len(await notices(api.engine, "offer_made")) == 3

        # A day and an hour on, the offers (3 days) are in their last day: one reminder each.
        clock.travel(dt.timedelta(days=2, hours=1))
        assert await sched.run_job("remind_expiring_offers") == {"reminded": 3}
        assert await sched.run_job("remind_expiring_offers") == {"reminded": 0}
        assert len(await notices(api.engine, "offer_expiring")) == 3

        # Past their time: expired once; the second run finds nothing left to expire.
        clock.travel(dt.timedelta(days=1))
        assert await sched.run_job("expire_offers") == {"expired": 3}
        assert await sched.run_job("expire_offers") == {"expired": 0}
        profile = await api.ok("GET", f"/workers/{w['priority']['id']}", w["staff_a"])
        assert profile["status"] == "available"
        async with api.engine.connect() as conn:
            statuses = (await conn.execute(select(m.Offer.status))).scalars().all()
        assert sorted(statuses) == ["expired"] * 3

        runs = await job_runs(api.engine)
        assert [r.outcome for r in runs] == ["ok"] * len(runs) == ["ok"] * 6
        assert all(r.pid == os.getpid() and r.finished_at >= r.started_at for r in runs)
    finally:
        await sched.stop()


async def test_placement_starting_notice_is_sent_once(api: Api, settings: Settings) -> None:
    w = await small_world(api)
    sched = Scheduler(settings, leadership=AlwaysLeader())
    sched.open()
    try:
        await sched.run_job("run_matching")
        offers = await api.ok("GET", f"/workers/{w['priority']['id']}/offers", w["staff_a"])
        offer_id = offers["items"][0]["id"]
        await api.ok("POST", f"/offers/{offer_id}/accept", w["staff_a"])
        await api.ok("POST", f"/offers/{offer_id}/confirm", w["employer_hr"])
        assert await sched.run_job("announce_placements_starting") == {"announced": 0}
        clock.travel(dt.timedelta(days=13))  # the opening starts in 14 days: tomorrow now
        assert await sched.run_job("announce_placements_starting") == {"announced": 1}
        await sched.run_job("announce_placements_starting")  # counts it again, writes nothing
        assert len(await notices(api.engine, "placement_starting")) == 1
    finally:
        await sched.stop()


async def test_missed_and_failed_ticks_are_logged_and_recorded(
    api: Api, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(_rt: Any) -> dict[str, Any]:
        raise RuntimeError("gateway on fire")

    async def quiet(_rt: Any) -> dict[str, Any]:
        return {"done": 1}

    table = [
        JobSpec("boom", boom, _every(lambda s: 1), misfire_grace_time=1),
        JobSpec("quiet", quiet, _every(lambda s: 3), misfire_grace_time=1),
    ]
    sched = Scheduler(settings, leadership=AlwaysLeader(), table=table)
    caplog.set_level(logging.INFO, logger="laowu.scheduler")
    await sched.start()
    try:

        async def failed() -> list[Any]:
            return [r for r in await job_runs(api.engine, "boom") if r.outcome == "failed"]

        row = (await eventually(failed, 10, "a failed tick"))[0]
        assert "RuntimeError: gateway on fire" in row.error
        assert any("boom failed" in r.message and "gateway on fire" in r.message
                   for r in caplog.records)  # fmt: skip

        # Block the loop across a tick of `quiet`: it wakes 2.5 s late, beyond its 1 s grace.
        assert sched._aps is not None
        tick = sched._aps.get_job("quiet").next_run_time
        await asyncio.sleep(max(0.0, (tick - dt.datetime.now(dt.UTC)).total_seconds() - 0.3))
        time.sleep(2.8)  # noqa: ASYNC251 (the point: a stalled event loop)

        async def missed() -> list[Any]:
            return [r for r in await job_runs(api.engine, "quiet") if r.outcome == "missed"]

        row = (await eventually(missed, 10, "a missed tick"))[0]
        assert row.scheduled_at == tick and row.started_at is None
        assert "beyond the 1s grace" in row.error
        assert any("quiet tick" in r.message and "missed" in r.message for r in caplog.records)
    finally:
        await sched.stop()


# -- processes -----------------------------------------------------------------------------------


async def test_a_second_scheduler_on_one_sqlite_file_refuses(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'laowu.db'}"
    env = scheduler_env(url)
    with processes() as started:
        first = spawn(started, env, "scheduler", log=tmp_path / "first.log")
        lock = tmp_path / "laowu.db.scheduler.lock"

        async def holding() -> bool:
            return lock.exists() and f"pid {first.pid}" in lock.read_text()

        await eventually(holding, 20, "the first scheduler to take the lock")
        second = spawn(started, env, "scheduler", log=tmp_path / "second.log")
        code = await asyncio.to_thread(second.wait, 30)
        message = (tmp_path / "second.log").read_text()
        assert code == 1, message
        assert "another scheduler" in message and f"pid {first.pid}" in message
        assert "only one process may schedule" in message
        assert first.poll() is None  # the first one keeps scheduling


async def test_serve_runs_the_scheduler_in_process_unless_told_not_to(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'laowu.db'}"
    env = scheduler_env(url)
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    try:
        with processes() as started:
            serve = spawn(started, env, "serve", "--port", port, log=tmp_path / "serve.log")

            async def fired() -> list[Any]:
                with contextlib.suppress(Exception):
                    return [r for r in await job_runs(engine) if r.pid == serve.pid]
                return []

            await eventually(fired, 30, "a job fired by `laowu serve`")
            # It holds the SQLite scheduler lock: a separate scheduler refuses beside it.
            second = spawn(started, env, "scheduler", log=tmp_path / "second.log")
            assert await asyncio.to_thread(second.wait, 30) == 1
            assert "another scheduler" in (tmp_path / "second.log").read_text()
            serve.send_signal(signal.SIGTERM)
            await asyncio.to_thread(serve.wait, 20)

        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM job_runs"))
        with processes() as started:
            quiet = spawn(
                started, env, "serve", "--port", port, "--no-scheduler", log=tmp_path / "q.log"
            )
            # Beside a server without one, a scheduler starts and is the only one firing.
            sched = spawn(started, env, "scheduler", log=tmp_path / "sched.log")

            async def sched_fired() -> list[Any]:
                return [r for r in await job_runs(engine) if r.pid == sched.pid]

            await eventually(sched_fired, 30, "the scheduler beside `serve --no-scheduler`")
            await asyncio.sleep(1.5)
            assert quiet.poll() is None, (tmp_path / "q.log").read_text()
            assert {r.pid for r in await job_runs(engine)} == {sched.pid}
    finally:
        await engine.dispose()


async def _lock_holder(engine: AsyncEngine) -> int | None:
    """The OS pid of the scheduler holding the leader lock (from its application_name)."""
    async with engine.connect() as conn:
        name = (
            await conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l"
                    " JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.classid = :c AND l.objid = :o"
                    " AND l.objsubid = 2 AND l.granted"
                    # advisory locks are per database: only this test database's leader
                    " AND l.database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                ),
                {"c": LOCK_CLASS, "o": LOCK_OBJECT},
            )
        ).scalar()
    if not name or not name.startswith("laowu-scheduler:"):
        return None
    return int(name.split(":")[1].split("@")[0])


async def test_two_schedulers_on_postgres_elect_one_leader_and_take_over(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("leader election is PostgreSQL's (SQLite allows one scheduler)")
    await small_world(api)
    # Matching every minute: the leader catches up this minute's tick as it starts, and a new
    # leader catches up the same tick again after the takeover (the claim keeps it to one run).
    env = scheduler_env(db_url, LAOWU_MATCH_CRON="* * * * *")
    engine = api.engine
    with processes() as started:
        a = spawn(started, env, "scheduler", log=tmp_path / "a.log")
        b = spawn(started, env, "scheduler", log=tmp_path / "b.log")
        pids = {a.pid, b.pid}

        async def elected() -> int | None:
            return await _lock_holder(engine)

        leader = await eventually(elected, 20, "a leader")
        assert leader in pids
        follower = (pids - {leader}).pop()

        async def sent() -> bool:
            rows = await notices(engine, "offer_made")
            return len(rows) == 3 and all(r.status == "sent" for r in rows)

        await eventually(sent, 40, "the scheduled run's offers, made and sent")
        window = clock.now()
        await asyncio.sleep(3.5)  # a few ticks of every interval job
        runs = await job_runs(engine)
        assert {r.pid for r in runs} == {leader}, "only the leader fires"
        for job in ("dispatch_notices", "expire_offers", "remind_expiring_offers"):
            ticks = [r.scheduled_at for r in runs if r.job == job and r.scheduled_at > window]
            # once per tick: every second of the window, none twice
            assert len(ticks) == len(set(ticks)) >= 3, job
            assert all(b - a == dt.timedelta(seconds=1) for a, b in pairwise(sorted(ticks))), job

        # A leader whose lock connection dies stops firing and the other one takes over.
        async with engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(l.pid) FROM pg_locks l"
                    " WHERE l.locktype = 'advisory' AND l.classid = :c AND l.objid = :o"
                    " AND l.granted AND l.database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"  # never another database's leader
                ),
                {"c": LOCK_CLASS, "o": LOCK_OBJECT},
            )
            await conn.commit()
        cut = clock.now()

        async def moved() -> bool:
            return await _lock_holder(engine) == follower

        await eventually(moved, 15, "the follower to take the lock from a cut-off leader")
        await asyncio.sleep(2.5)
        late = [r for r in await job_runs(engine) if r.started_at > cut + dt.timedelta(seconds=2)]
        assert late and {r.pid for r in late} == {follower}
        leader, follower = follower, leader

        # kill -9 the leader: the other leads (and fires) within 30 s.
        os.kill(leader, signal.SIGKILL)
        killed_at, killed_clock = time.monotonic(), clock.now()

        async def took_over() -> bool:
            rows = await job_runs(engine)
            return any(r.pid == follower and r.started_at > killed_clock for r in rows)

        await eventually(took_over, 30, "the survivor to fire after the leader was killed")
        takeover = time.monotonic() - killed_at
        print(f"takeover after kill -9: {takeover:.1f}s")
        assert takeover < 30
        assert await _lock_holder(engine) == follower
        await asyncio.sleep(1.5)

        # No tick twice, one match run's offers and one notice each, each sent once.
        async with engine.connect() as conn:
            dup = (
                await conn.execute(
                    text(
                        "SELECT job, scheduled_at, count(*) FROM job_runs"
                        " GROUP BY job, scheduled_at HAVING count(*) > 1"
                    )
                )
            ).all()
            offers = (await conn.execute(select(m.Offer.worker_id))).scalars().all()
            matching = (
                await conn.execute(select(m.MatchRun.id).where(m.MatchRun.trigger == "schedule"))
            ).all()
        assert dup == []
        assert len(offers) == len(set(offers)) == 3
        assert matching  # the scheduled runs after the first proposed nobody twice
        made = await notices(engine, "offer_made")
        assert len(made) == 3 and all(n.attempts == 1 for n in made)
        assert all(r.outcome in ("ok", "running") for r in await job_runs(engine))
