"""The write-time re-check, on both databases: between a run's snapshot and its write the
world moves on (the slot is taken, the opening closes or loses headcount, the employer is
suspended, she is no longer available), and the write drops what it made stale, keeps the
rest, and counts what it dropped in the run's stats.

Each change is one statement against the database, made while the run is between its
phases: the snapshot loader is wrapped so the change lands after the snapshot was read and
before the proposals are written (the one internal seam, ``tests/seams.py``). The run is
started through HTTP and executes in the test client's own event loop thread, where the test
cannot make another request; so the change goes straight to the tables, as another process's
write would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from matching.db import models as m
from matching.lib import clock
from tests import seams
from tests.integration.test_aftercare import run
from tests.support import Api

SEWER = {"priority_groups": [], "skills": [{"code": "sewing", "level": 4}]}
Change = Callable[[], Awaitable[None]]


async def run_changing_the_world(
    api: Api, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str], change: Change
) -> dict[str, Any]:
    """A real run (POST /match-runs) with ``change`` made after its snapshot was read."""
    real_load = seams.snapshot.load
    changed: list[bool] = []

    async def load_then_change(*args: Any, **kw: Any) -> Any:
        snap = await real_load(*args, **kw)
        await change()
        changed.append(True)
        return snap

    with monkeypatch.context() as patch:
        patch.setattr(seams.snapshot, "load", load_then_change)
        result = await run(api, headers)
    assert changed == [True], "the run did not read its snapshot through the seam"
    return result


async def world(api: Api, *, headcount: int = 1) -> dict[str, Any]:
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"], name="雅尔美服饰")
    opening = await api.opening(staff, employer["id"], headcount=headcount)
    her = await api.worker(staff, name="王桂英", **SEWER)
    # Not in any run's pool (no consent): a worker the slot can go to outside this run.
    outsider = await api.worker(staff, name="赵小红", consent_matching=False, **SEWER)
    return {
        "staff": staff,
        "employer": employer,
        "opening": opening,
        "her": her,
        "outsider": outsider,
    }


async def write(stmt: Any, api: Api) -> None:
    async with api.engine.begin() as conn:
        await conn.execute(stmt)


async def offers_of(api: Api, worker_id: int) -> list[Any]:
    async with api.engine.connect() as conn:
        stmt = select(m.Offer.opening_id, m.Offer.status).where(m.Offer.worker_id == worker_id)
        return list((await conn.execute(stmt)).all())


async def assert_dropped(api: Api, result: dict[str, Any], worker_id: int) -> None:
    """Her proposal was dropped at write time: counted, and nothing of it written."""
    assert result["status"] == "done", result["error"]
    stats = result["stats"]
    assert stats["dropped_stale"] == 1, stats
    assert stats["eligible_pairs"] >= 1  # the engine did propose her
    assert await offers_of(api, worker_id) == []
    async with api.engine.connect() as conn:
        props = await conn.execute(select(m.Proposal).where(m.Proposal.worker_id == worker_id))
        assert props.all() == []
        notices = await conn.execute(select(m.Notice).where(m.Notice.worker_id == worker_id))
        assert notices.all() == []


def slot_taken(w: dict[str, Any], status: str) -> Any:
    """The opening's one slot goes to the outsider, by an offer made outside any run."""
    offer = {
        "worker_id": w["outsider"]["id"],
        "opening_id": w["opening"]["id"],
        "status": status,
        "created_at": clock.now(),
        "expires_at": clock.now() + dt.timedelta(days=3),
        "version": 1,
    }
    return insert(m.Offer).values(**offer)


@pytest.mark.parametrize("status", ["pending", "accepted", "confirmed"])
async def test_the_snapshot_leaves_out_an_opening_whose_slots_are_taken(
    api: Api, status: str
) -> None:
    """Taken before the run: the snapshot itself sees it, and there is nothing to drop."""
    w = await world(api)
    await write(slot_taken(w, status), api)
    result = await run(api, w["staff"])
    stats = result["stats"]
    assert (stats["openings_considered"], stats["eligible_pairs"]) == (0, 0), stats
    assert (stats["proposals"], stats["dropped_stale"]) == (0, 0), stats
    assert await offers_of(api, w["her"]["id"]) == []


@pytest.mark.parametrize("status", ["pending", "accepted", "confirmed"])
async def test_a_slot_taken_since_the_snapshot_is_not_offered_again(
    api: Api, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    w = await world(api)

    async def slot_taken_elsewhere() -> None:
        await write(slot_taken(w, status), api)

    result = await run_changing_the_world(api, monkeypatch, w["staff"], slot_taken_elsewhere)
    await assert_dropped(api, result, w["her"]["id"])
    assert result["stats"]["offers"] == 0 and result["stats"]["proposals"] == 0
    profile = await api.ok("GET", f"/workers/{w['her']['id']}", w["staff"])
    assert profile["status"] == "available"


async def test_an_opening_closed_since_the_snapshot_gets_no_offer(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(api)
    oid = w["opening"]["id"]

    async def close() -> None:
        await write(update(m.Opening).where(m.Opening.id == oid).values(status="closed"), api)

    result = await run_changing_the_world(api, monkeypatch, w["staff"], close)
    await assert_dropped(api, result, w["her"]["id"])
    assert result["stats"]["offers"] == 0


async def test_a_headcount_cut_since_the_snapshot_keeps_the_priority_proposal(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(api, headcount=2)
    oid = w["opening"]["id"]
    # Registered after her, so without the priority rule the tie would go to her.
    poor = await api.worker(
        w["staff"], name="杨长斌", priority_groups=["poor_household"], skills=SEWER["skills"]
    )

    async def cut() -> None:
        await write(update(m.Opening).where(m.Opening.id == oid).values(headcount=1), api)

    result = await run_changing_the_world(api, monkeypatch, w["staff"], cut)
    await assert_dropped(api, result, w["her"]["id"])
    stats = result["stats"]
    assert (stats["offers"], stats["proposals"], stats["priority_proposals"]) == (1, 1, 1)
    assert [tuple(o) for o in await offers_of(api, poor["id"])] == [(oid, "pending")]


async def test_an_employer_suspended_since_the_snapshot_gets_no_offer(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(api)
    eid = w["employer"]["id"]

    async def suspend() -> None:
        await write(update(m.Employer).where(m.Employer.id == eid).values(suspended=True), api)

    result = await run_changing_the_world(api, monkeypatch, w["staff"], suspend)
    await assert_dropped(api, result, w["her"]["id"])
    assert result["stats"]["offers"] == 0


async def test_she_who_became_unavailable_since_the_snapshot_gets_no_offer(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world(api, headcount=2)
    other = await api.worker(w["staff"], name="李秀兰", **SEWER)
    wid = w["her"]["id"]

    async def withdraw_consent() -> None:
        stmt = update(m.WorkerProfile).where(m.WorkerProfile.id == wid)
        await write(stmt.values(consent_matching=False), api)

    result = await run_changing_the_world(api, monkeypatch, w["staff"], withdraw_consent)
    await assert_dropped(api, result, wid)
    assert result["stats"]["offers"] == 1  # the other sewer's proposal stands
    assert [tuple(o) for o in await offers_of(api, other["id"])] == [
        (w["opening"]["id"], "pending")
    ]
