"""The cluster with faults: nginx (deploy/'s laowu.conf, TLS) in front of three API processes
and two schedulers, started as their systemd units start them, on a PostgreSQL database of
its own. Under a bounded mixed load it kills -9 one API process and then the leading
scheduler, restarts the API process, and checks that no GET failed, no POST applied twice,
the other scheduler led within 10 s, every notice reached the gateway once by its key, no
offer was made twice, no match run was left stuck. Its figures are printed as one JSON line."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import os
import random
import re
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from matching.notices.signing import signed_headers
from tests.processes import Deployment, Gateway, eventually, fresh_postgres, processes
from tests.support import PASSWORD, opening_payload, worker_payload

pytestmark = [pytest.mark.cluster, pytest.mark.postgres, pytest.mark.slow]

SECRET = "cluster-test-secret-key-0123456789abcdefghijkl"
WEBHOOK_SECRET = "cluster-webhook-secret"
FAILOVER_LIMIT = 10.0
GET_KINDS = ("get_worker", "list_workers", "get_offers", "get_run", "after_restart")


@pytest.fixture
def cluster_db() -> Iterator[str]:
    url = os.environ.get("LAOWU_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("LAOWU_REQUIRE_POSTGRES"):
            pytest.fail("LAOWU_REQUIRE_POSTGRES is set but LAOWU_TEST_DATABASE_URL is not")
        pytest.skip("the cluster runs on PostgreSQL (LAOWU_TEST_DATABASE_URL is not set)")
    with fresh_postgres(url, "cluster") as db:
        yield db


def cluster_env(db_url: str, gateway: Gateway, **extra: str) -> dict[str, str]:
    """What the test's /etc/laowu/laowu.env says beyond laowu.env.example: short intervals."""
    return {
        "LAOWU_DATABASE_URL": db_url,
        "LAOWU_SECRET_KEY": SECRET,
        "LAOWU_DB_POOL_SIZE": "3",
        "LAOWU_NOTIFY_WEBHOOK_URL": gateway.url,
        "LAOWU_NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LAOWU_DISPATCH_INTERVAL_SECONDS": "1",
        "LAOWU_EXPIRE_INTERVAL_SECONDS": "5",
        "LAOWU_LEADER_POLL_SECONDS": "1",
        "LAOWU_NOTICE_BACKOFF_SECONDS": "1",
        "LAOWU_MATCH_LEASE_SECONDS": "5",
        # 29 February at 03:00: never during a test; the run is the one the load asks for.
        "LAOWU_MATCH_CRON": "0 3 29 2 *",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@dataclass
class Load:
    """What the clients did and saw, by kind of request."""

    http: httpx.AsyncClient
    requests: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    refused: collections.Counter[str] = field(default_factory=collections.Counter)
    registered: dict[str, bool] = field(default_factory=dict)  # phone → answered 2xx
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def call(self, kind: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        """The response when it was 2xx; an error (5xx, a broken connection) or a refusal
        (4xx) is counted by kind and answers None."""
        self.requests[kind] += 1
        try:
            r = await self.http.request(method, path, **kw)
        except httpx.TransportError as exc:
            self.errors[f"{kind}:{type(exc).__name__}"] += 1
            return None
        if r.status_code >= 500:
            self.errors[f"{kind}:{r.status_code}"] += 1
            return None
        if r.status_code >= 400:
            self.refused[f"{kind}:{r.status_code}"] += 1
            return None
        return r

    async def loop(self, step: Callable[[], Awaitable[None]], pause: float) -> None:
        while not self.stop.is_set():
            await step()
            await asyncio.sleep(pause)


def bearer(r: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def login(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await http.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return bearer(r)


async def ok(http: httpx.AsyncClient, method: str, path: str, **kw: Any) -> Any:
    r = await http.request(method, "/api/v1" + path, **kw)
    assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
    return r.json()


async def world(http: httpx.AsyncClient, workers: int) -> dict[str, Any]:
    """An agency with a clerk, an employer with an account and three sewing openings, and
    ``workers`` women registered, all through nginx."""
    admin = await login(http, "root")
    agency = await ok(http, "POST", "/agencies", headers=admin, json={"name": "通州区人社局"})
    accounts = [
        {"username": "clerk", "role": "staff", "agency_id": agency["id"]},
        {"username": "hr-yaermei", "role": "employer"},
    ]
    employer = await ok(
        http,
        "POST",
        "/employers",
        headers=admin,
        json={"name": "雅尔美服饰", "city": "上海", "agency_id": agency["id"]},
    )
    accounts[1]["employer_id"] = employer["id"]
    for account in accounts:
        await ok(http, "POST", "/staff", headers=admin, json=account | {"password": PASSWORD})
    staff, hr = await login(http, "clerk"), await login(http, "hr-yaermei")
    for title in ("平缝车工", "包缝工", "整烫工"):
        body = opening_payload(employer["id"], title=title, headcount=workers)
        await ok(http, "POST", "/openings", headers=staff, json=body)
    women = [
        await ok(http, "POST", "/workers", headers=staff, json=worker_payload(priority_groups=[]))
        for _ in range(workers)
    ]
    return {"admin": admin, "staff": staff, "hr": hr, "workers": women}


def sms_reply(phone: str, answer: str) -> tuple[bytes, dict[str, str]]:
    """Her reply as the gateway relays it: signed with the webhook secret."""
    body = json.dumps({"from": phone, "text": answer}).encode()
    headers = {"Content-Type": "application/json"}
    return body, headers | signed_headers(WEBHOOK_SECRET, body, dt.datetime.now(dt.UTC))


async def leading(http: httpx.AsyncClient, port: int) -> bool:
    try:
        r = await http.get(f"http://127.0.0.1:{port}/api/v1/health/ready", timeout=2)
    except httpx.TransportError:
        return False
    return r.status_code == 200 and r.json().get("scheduler") == "leading"


async def serves(http: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await http.get(url, timeout=2)).status_code == 200
    except httpx.TransportError:
        return False


def kill(proc: Any) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


async def test_the_cluster_survives_a_dead_api_process_and_a_dead_leader(
    cluster_db: str, tmp_path: Path
) -> None:
    began = time.monotonic()
    engine = create_async_engine(cluster_db, poolclass=NullPool)
    figures: dict[str, Any] = {}
    with Gateway(WEBHOOK_SECRET, fail_every=7) as gateway, processes() as started:
        d = Deployment(started, tmp_path, cluster_env(cluster_db, gateway), apis=3, schedulers=2)
        d.start()
        d.laowu("admin", "create", "--username", "root", "--password", PASSWORD)
        transport = httpx.AsyncHTTPTransport(verify=False, retries=0)
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        async with (
            httpx.AsyncClient(
                transport=transport, base_url=d.base_url, timeout=15, limits=limits
            ) as http,
            httpx.AsyncClient(timeout=2) as probe,
        ):
            for port in d.api_ports:
                url = f"http://127.0.0.1:{port}/api/v1/health/ready"
                await eventually(lambda u=url: serves(probe, u), 90, f"the API on {port}")  # type: ignore[misc]
            await eventually(lambda: serves(http, "/api/v1/health/ready"), 20, "nginx")

            async def a_leader() -> int | None:
                for port in d.scheduler_ports:
                    if await leading(probe, port):
                        return port
                return None

            await eventually(a_leader, 60, "a scheduler to lead")
            w = await world(http, workers=30)
            load = Load(http)
            staff, hr = w["staff"], w["hr"]
            ids = [x["id"] for x in w["workers"]]
            runs: list[int] = []
            run_states: dict[int, str] = {}
            phones = iter(range(10**6))

            async def read() -> None:
                await load.call(
                    "get_worker", "GET", f"/api/v1/workers/{random.choice(ids)}", headers=staff
                )
                await load.call("list_workers", "GET", "/api/v1/workers?limit=20", headers=staff)

            async def register() -> None:
                phone = f"137{os.getpid() % 100:02d}{next(phones):06d}"
                body = worker_payload(phone=phone, priority_groups=[])
                r = await load.call("register", "POST", "/api/v1/workers", headers=staff, json=body)
                load.registered["+86" + phone] = r is not None

            def responder(mine: list[dict[str, Any]]) -> Callable[[], Awaitable[None]]:
                turn = iter(range(10**9))

                async def respond() -> None:
                    her = mine[next(turn) % len(mine)]
                    r = await load.call(
                        "get_offers", "GET", f"/api/v1/workers/{her['id']}/offers", headers=staff
                    )
                    for offer in r.json()["items"] if r is not None else []:
                        if offer["status"] == "pending":
                            body, headers = sms_reply(her["phone"], "1")
                            await load.call(
                                "sms_reply",
                                "POST",
                                "/api/v1/notices/inbound",
                                content=body,
                                headers=headers,
                            )
                        elif offer["status"] == "accepted":
                            await load.call(
                                "confirm",
                                "POST",
                                f"/api/v1/offers/{offer['id']}/confirm",
                                headers=hr,
                                json={},
                            )

                return respond

            async def faults() -> None:
                await asyncio.sleep(2)
                r = await load.call(
                    "match_run", "POST", "/api/v1/match-runs", headers=staff, json={}
                )
                assert r is not None, "the match run was not accepted"
                runs.append(r.json()["id"])
                # Her offers first (the run lives in the process that was asked), then the faults.
                await eventually(lambda: run_ended(runs[0]), 40, "the first match run")
                await asyncio.sleep(3)
                victim = d.api_ports[0]
                kill(d.apis[victim])
                figures["api_killed_at_s"] = round(time.monotonic() - load_began, 1)
                await asyncio.sleep(5)
                leader = await a_leader()
                assert leader is not None, "no scheduler leads before the kill"
                (survivor,) = set(d.scheduler_ports) - {leader}
                kill(d.schedulers[leader])
                killed = time.monotonic()
                figures["leader_killed_at"] = killed
                await eventually(lambda: leading(probe, survivor), 30, "the survivor to lead")
                figures["failover_seconds"] = round(time.monotonic() - killed, 2)
                await asyncio.sleep(5)
                d.start_api(victim)
                await asyncio.sleep(5)  # the load goes on with it back in the upstream

            async def run_ended(run: int) -> bool:
                r = await load.call("get_run", "GET", f"/api/v1/match-runs/{run}", headers=staff)
                if r is not None:
                    run_states[run] = r.json()["status"]
                return run_states.get(run) in ("done", "failed")

            load_began = time.monotonic()
            halves = [w["workers"][0::2], w["workers"][1::2]]
            tasks = [
                *(asyncio.create_task(load.loop(read, 0.02)) for _ in range(3)),
                *(asyncio.create_task(load.loop(register, 0.05)) for _ in range(2)),
                *(asyncio.create_task(load.loop(responder(h), 0.05)) for h in halves),
            ]
            await asyncio.wait_for(faults(), 120)
            load.stop.set()
            await asyncio.gather(*tasks)
            figures["load_seconds"] = round(time.monotonic() - load_began, 1)

            # The run asked for mid-load ended (or, its process killed, is failed once its
            # lease runs out), and a new run is accepted afterwards and ends.
            async def second_run() -> int | None:
                r = await load.call(
                    "match_run", "POST", "/api/v1/match-runs", headers=staff, json={}
                )
                return None if r is None else int(r.json()["id"])

            runs.append(await eventually(second_run, 30, "a new match run to be accepted"))

            async def ended() -> bool:
                return all([await run_ended(run) for run in runs])

            await eventually(ended, 60, "both match runs to end")

            # The killed process, restarted, serves through nginx: with the other two gone,
            # every GET is its to answer.
            restarted = d.api_ports[0]
            url = f"http://127.0.0.1:{restarted}/api/v1/health/ready"
            await eventually(lambda: serves(probe, url), 60, "the restarted API process")
            ready_at = time.monotonic()

            # The survivor drains the outbox (a notice the dead leader held waits out its lease).
            async def drained() -> bool:
                async with engine.connect() as conn:
                    left = await conn.scalar(
                        text("SELECT count(*) FROM notices WHERE status IN ('pending', 'sending')")
                    )
                return left == 0

            await eventually(drained, 90, "the outbox to drain")
            # nginx gives a server that failed (the restarted one, while it started) another
            # try once its fail_timeout has passed since the last failure.
            fail_timeout = re.search(r"fail_timeout=(\d+)s", (tmp_path / "laowu.conf").read_text())
            assert fail_timeout is not None
            await asyncio.sleep(max(0.0, ready_at + int(fail_timeout[1]) + 0.5 - time.monotonic()))
            for port in d.api_ports[1:]:
                kill(d.apis[port])
            path = f"/api/v1/workers/{ids[0]}"
            for _ in range(10):
                await load.call("after_restart", "GET", path, headers=staff)

        async with engine.connect() as conn:
            notices = (
                await conn.execute(text("SELECT idempotency_key, status FROM notices"))
            ).all()
            stored = set((await conn.execute(text("SELECT phone FROM worker_profiles"))).scalars())
            twice_live = (
                await conn.execute(
                    text(
                        "SELECT worker_id FROM offers WHERE status IN ('pending', 'accepted')"
                        " GROUP BY worker_id HAVING count(*) > 1"
                    )
                )
            ).all()
            twice_made = (
                await conn.execute(
                    text(
                        "SELECT worker_id, opening_id FROM offers"
                        " GROUP BY worker_id, opening_id HAVING count(*) > 1"
                    )
                )
            ).all()
            by_status = await conn.execute(
                text("SELECT status, count(*) FROM offers GROUP BY status")
            )
            offers: collections.Counter[str] = collections.Counter({s: n for s, n in by_status})
            placements = await conn.scalar(text("SELECT count(*) FROM placements"))
            stuck = await conn.scalar(
                text("SELECT count(*) FROM match_runs WHERE status IN ('queued', 'running')")
            )
        await engine.dispose()

    keys = {k for k, _ in notices}
    killed_at = figures.pop("leader_killed_at")
    resent_after_crash = [k for k, t in gateway.repeats if gateway.delivered[k] < killed_at < t]
    duplicated = len(gateway.repeats) - len(resent_after_crash)
    applied_after_error = sum(
        1 for p, answered in load.registered.items() if not answered and p in stored
    )
    figures.update(
        {
            "requests": dict(load.requests),
            "errors": dict(load.errors),
            "refused": dict(load.refused),
            "registrations": {
                "answered_2xx": sum(load.registered.values()),
                "answered_error": sum(not a for a in load.registered.values()),
                "applied_after_error": applied_after_error,
            },
            "offers": dict(offers),
            "notices": {
                "outbox": len(notices),
                "sent": len(gateway.delivered),
                "duplicated": duplicated,
                "resent_after_crash": len(resent_after_crash),
                "lost": len(keys - set(gateway.delivered)),
                "unknown_to_the_outbox": len(set(gateway.delivered) - keys),
            },
            "placements": placements,
            "gateway_retries": len(gateway.failed),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "runs": [run_states[r] for r in runs],
            "wall_seconds": round(time.monotonic() - began, 1),
        }
    )
    print("cluster figures:", json.dumps(figures, ensure_ascii=False, sort_keys=True))

    # The killed process, restarted, answered every GET through nginx once the other two died.
    assert not any(k.startswith("after_restart:") for k in load.errors), load.errors
    get_errors = {k: v for k, v in load.errors.items() if k.split(":")[0] in GET_KINDS}
    assert not get_errors, f"GETs failed, nginx did not retry them: {get_errors}"
    assert all(load.requests[k] > 0 for k in ("get_worker", "register", "sms_reply", "confirm"))
    # Every POST applied once or answered an error: each phone at most once (the column is
    # unique), and every registration answered 2xx is stored.
    missing = [p for p, answered in load.registered.items() if answered and p not in stored]
    assert not missing, f"registrations answered 2xx but not stored: {missing[:5]}"
    assert figures["failover_seconds"] < FAILOVER_LIMIT
    assert gateway.bad_signature == 0 and gateway.without_key == 0
    assert {s for _, s in notices} == {"sent"}, collections.Counter(s for _, s in notices)
    assert figures["notices"]["lost"] == 0 and figures["notices"]["unknown_to_the_outbox"] == 0
    assert duplicated == 0, "the gateway got a delivered key again, not after a crash"
    assert gateway.failed, "the gateway's 500s were never exercised"
    assert offers["confirmed"] > 0 and not twice_live and not twice_made
    # A confirmation answered 2xx placed her once; one answered an error placed her at most once.
    confirmed_2xx = load.requests["confirm"] - sum(
        v for k, v in (load.errors + load.refused).items() if k.startswith("confirm:")
    )
    assert placements == offers["confirmed"] >= confirmed_2xx
    assert stuck == 0
