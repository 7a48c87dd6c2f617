"""Partitioned match runs: a run covers share K of N of the markets; runs over disjoint shares
are live at once, one over an overlapping share is refused; and the N shares of
``laowu match run --partition K/N`` together equal one run, tier by tier."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import models as m
from matching.lib import clock
from matching.lib.principal import SYSTEM
from matching.matches import service as match_service
from matching.matches.partitions import Partition
from tests.integration.test_cli import _env, laowu
from tests.integration.test_match_lease import runs
from tests.integration.test_matching import small_world, wait_run
from tests.support import Api, assert_problem

LEASE = dt.timedelta(seconds=60)


async def queue(api: Api, partition: Partition) -> int:
    """A run over ``partition``, queued and left live (its runner never comes)."""
    async with AsyncSession(api.engine) as session, session.begin():
        run = await match_service.request_run(
            session, SYSTEM, dry_run=True, lease=LEASE, partition=partition
        )
    return run.id


async def test_runs_over_disjoint_shares_are_live_at_once_an_overlapping_one_is_refused(
    api: Api,
) -> None:
    w = await small_world(api)
    staff = w["staff_a"]
    first = await queue(api, Partition(1, 2))
    second = await queue(api, Partition(2, 2))  # disjoint from the first: accepted
    live = {i: r for i, r in (await runs(api.engine)).items() if r.live}
    assert {(i, r.share, r.shares) for i, r in live.items()} == {(first, 1, 2), (second, 2, 2)}

    before = await api.digest()
    for body, running in [
        ({}, first),  # the whole run overlaps every share
        ({"share": 1, "shares": 2}, first),  # the same share
        ({"share": 2, "shares": 2}, second),
        ({"share": 3, "shares": 4}, first),  # another N cuts the markets otherwise
    ]:
        r = await api.request("POST", "/match-runs", staff, json=body)
        problem = assert_problem(r, 409)
        assert problem["running_run_id"] == running, problem
        assert "wait for it to finish" in problem["detail"]
    # Bad shares name every field at fault, and write nothing.
    bad: list[tuple[dict[str, Any], set[str]]] = [
        ({"share": 3, "shares": 2}, {"share"}),
        ({"share": 0, "shares": 0}, {"share", "shares"}),
        ({"share": 1, "shares": 5000}, {"shares"}),
        ({"share": "1", "shares": 2}, {"share"}),
    ]
    for body, at_fault in bad:
        r = await api.request("POST", "/match-runs", staff, json=body)
        problem = assert_problem(r, 422)
        assert {e["field"] for e in problem["errors"]} >= at_fault, problem
    assert await api.digest() == before

    # Once the first share's process stopped renewing its lease, its share may run again:
    # it runs over its share and records it.
    clock.travel(LEASE + dt.timedelta(seconds=1))
    r = await api.request("POST", "/match-runs", staff, json={"share": 1, "shares": 2})
    assert r.status_code == 202, r.text
    done = await wait_run(api, staff, r.json()["id"])
    assert done["status"] == "done", done["error"]
    assert (done["share"], done["shares"]) == (1, 2)
    assert done["stats"]["pool_workers"] == 5 and done["stats"]["pool_openings"] == 2
    assert (await runs(api.engine))[first].status == "failed"


CITIES = ("上海", "苏州", "昆山", "杭州", "宁波", "南京", "无锡", "常州", "广州", "深圳")


async def many_markets(api: Api) -> None:
    """Ten destination cities, each with openings too few for the workers who name it, and
    three workers who name two cities each, joining those two into one market (seven)."""
    agency = await api.agency()
    staff = await api.staff(agency["id"])
    employer = await api.employer(agency_id=agency["id"])
    for c, city in enumerate(CITIES):
        for k in range(1 + c % 2):
            await api.opening(
                staff, employer["id"], city=city, headcount=2, monthly_wage_max=5000 + 300 * k
            )
        for i in range(5):
            await api.worker(
                staff,
                name="王秀英",
                home_county="如东县",
                preferred_cities=[city],
                priority_groups=["poor_household"] if (i + c) % 3 == 0 else [],
                skills=[{"code": "sewing", "level": 3 + (i + c) % 3}],
                min_monthly_wage=4000 + 200 * i,
            )
    for a, b in ((0, 1), (2, 3), (4, 5)):
        await api.worker(staff, home_county="如东县", preferred_cities=[CITIES[a], CITIES[b]])


def stats_of(run: dict[str, Any]) -> tuple[int, int, int]:
    s = run["stats"]
    return s["priority_proposals"], s["proposals"], s["quality_total"]


async def proposed(api: Api, run_ids: list[int]) -> dict[int, set[int]]:
    async with api.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(m.Proposal.run_id, m.Proposal.worker_id).where(
                    m.Proposal.run_id.in_(run_ids)
                )
            )
        ).all()
    out: dict[int, set[int]] = {i: set() for i in run_ids}
    for run_id, worker_id in rows:
        out[run_id].add(worker_id)
    return out


@pytest.mark.slow
async def test_the_shares_of_laowu_match_run_together_equal_one_run(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    await many_markets(api)
    env = _env(db_url, tmp_path)
    n = 3

    def run(*args: str) -> Any:
        r = laowu("match", "run", "--wait", *args, env=env, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    # Dry runs change nothing, so every share and the whole run read the same pool.
    whole = run("--dry-run")
    shares = [run("--dry-run", "--partition", f"{k}/{n}") for k in range(1, n + 1)]
    assert whole["stats"]["markets"] == 7, whole["stats"]
    assert [(s["share"], s["shares"]) for s in shares] == [(k, n) for k in range(1, n + 1)]
    assert all(s["stats"]["markets"] > 0 for s in shares)
    assert sum(s["stats"]["markets"] for s in shares) == whole["stats"]["markets"]
    for tier in range(3):  # priority proposals, then proposals, then quality
        assert sum(stats_of(s)[tier] for s in shares) == stats_of(whole)[tier]
    assert (
        sum(s["stats"]["workers_considered"] for s in shares)
        == whole["stats"]["workers_considered"]
    )
    by_run = await proposed(api, [s["id"] for s in shares])
    assert sum(map(len, by_run.values())) == len(set().union(*by_run.values()))  # disjoint

    # For real, each share in its own process at once: the offers are one whole run's.
    real = run("--partitions", str(n))
    assert sorted((r["share"], r["shares"], r["status"]) for r in real) == [
        (k, n, "done") for k in range(1, n + 1)
    ]
    assert sum(r["stats"]["offers"] for r in real) == whole["stats"]["proposals"]
    async with api.engine.connect() as conn:
        offers = (await conn.execute(select(m.Offer.run_id, m.Offer.worker_id))).all()
    assert len(offers) == len({w for _, w in offers}) == whole["stats"]["proposals"]
    offered = await proposed(api, [r["id"] for r in real])
    for r in real:  # each share offered its own proposals and no one else
        assert {w for run_id, w in offers if run_id == r["id"]} == offered[r["id"]]
    # The real shares cut the pool as the dry ones did: the same markets per share.
    assert [r["stats"]["markets"] for r in sorted(real, key=lambda r: r["share"])] == [
        s["stats"]["markets"] for s in shares
    ]

    # A share given wrong is refused with a clear error before anything is read.
    for bad in ("4/3", "one/3"):
        r = laowu("match", "run", "--partition", bad, env=env, cwd=tmp_path)
        assert r.returncode == 2, (bad, r.stderr)
        assert "share" in r.stderr or "K/N" in r.stderr, r.stderr
