"""The whole road from a fresh `laowu serve` with the demo data, on both databases: a match
run makes offers, notices reach a gateway on 127.0.0.1 through the signed webhook (after it
fails twice), her SMS reply `1` accepts, the employer confirms, the placement has its
follow-ups — all through the processes and interfaces a deployment uses."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from matching.lib import clock
from matching.notices.signing import signed_headers
from tests.integration.test_notices import SECRET, Gateway
from tests.support import Api

BIN = Path(sys.executable).parent
ACCOUNT = re.compile(r"^\s+(admin|staff|employer)\s+(\S+)\s+(\S+)\s*$", re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(predicate: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


async def laowu(env: dict[str, str], *args: str, seconds: float = 180) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "laowu"), *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=seconds)
    assert proc.returncode == 0, f"laowu {' '.join(args)}: {err.decode()[-2000:]}"
    return out.decode()


async def test_from_fresh_serve_to_a_placement(api: Api, db_url: str, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with Gateway(SECRET) as gateway:
        gateway.fail_next = 2  # the gateway stumbles first; the dispatcher retries
        env = os.environ | {
            "LAOWU_DATABASE_URL": db_url,
            "LAOWU_SECRET_KEY": "end-to-end-secret-key-0123456789abcdef",
            "LAOWU_DATA_DIR": str(tmp_path),
            "LAOWU_PUBLIC_URL": base,
            "LAOWU_NOTIFY_WEBHOOK_URL": gateway.url,
            "LAOWU_NOTIFY_WEBHOOK_SECRET": SECRET,
            "LAOWU_DISPATCH_INTERVAL_SECONDS": "1",
            "LAOWU_NOTICE_BACKOFF_SECONDS": "1",
            # The run under test is the command's. Between 06:00 and 07:00 Beijing time the
            # in-process scheduler would first catch up the day's 06:00 run on this fresh
            # database; 29 February at 03:00 keeps that tick out of the test.
            "LAOWU_MATCH_CRON": "0 3 29 2 *",
        }
        seeded = await laowu(env, "seed", "demo")
        accounts = {user: (role, pw) for role, user, pw in ACCOUNT.findall(seeded)}
        assert {"admin", "xingyi", "yinghuada"} <= accounts.keys()
        server = subprocess.Popen(  # noqa: ASYNC220, S603  (a long-lived child, reaped in finally)
            [str(BIN / "laowu"), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:

                async def healthy() -> bool:
                    try:
                        return (await http.get("/api/v1/health")).status_code == 200
                    except httpx.TransportError:
                        return False

                await until(healthy, 40, "laowu serve to answer")
                summary = json.loads(await laowu(env, "match", "run", "--wait"))
                assert summary["status"] == "done"
                offers = summary["stats"]["offers"]
                assert offers > 0 and summary["stats"]["priority_proposals"] > 0

                def offer_notices() -> list[dict[str, Any]]:
                    with gateway.lock:
                        bodies = list(gateway.bodies.values())
                    made = [b for b in bodies if b["template"] == "offer_made"]
                    return made if len(made) == offers else []

                made = await until(offer_notices, 90, "every offer notice to reach the gateway")
                assert all(
                    b["link"].startswith(base + "/o/") and b["to"].startswith("+86") for b in made
                )
                assert gateway.bad_signatures == 0
                with gateway.lock:
                    assert max(gateway.delivered.values()) == 1  # no key delivered twice
                mine = next((b for b in made if "英华达" in b["text"]), made[0])

                # Her reply: "1", relayed by the gateway, signed.
                body = json.dumps({"from": mine["to"], "text": "1"}).encode()
                headers = signed_headers(SECRET, body, clock.now()) | {
                    "Content-Type": "application/json"
                }
                r = await http.post("/api/v1/notices/inbound", content=body, headers=headers)
                assert r.status_code == 200, r.text
                assert r.json()["action"] == "accepted"
                offer_id = r.json()["offer_id"]

                async def login(user: str) -> dict[str, str]:
                    r = await http.post(
                        "/api/v1/auth/token",
                        json={"username": user, "password": accounts[user][1]},
                    )
                    assert r.status_code == 200, r.text
                    return {"Authorization": f"Bearer {r.json()['access_token']}"}

                staff = await login("xingyi")
                offer = (await http.get(f"/api/v1/offers/{offer_id}", headers=staff)).json()
                assert offer["status"] == "accepted"
                confirmer = await login("yinghuada") if "英华达" in offer["employer"] else staff
                r = await http.post(f"/api/v1/offers/{offer_id}/confirm", headers=confirmer)
                assert r.status_code == 200, r.text
                placement_id = r.json()["placement_id"]
                placement = (
                    await http.get(f"/api/v1/placements/{placement_id}", headers=staff)
                ).json()
                assert placement["status"] == "active"
                assert [f["status"] for f in placement["follow_ups"]] == ["scheduled"] * 3

                def confirmation() -> bool:
                    with gateway.lock:
                        return any(
                            b["template"] == "offer_confirmed" and b["to"] == mine["to"]
                            for b in gateway.bodies.values()
                        )

                await until(confirmation, 30, "the confirmation notice with the rights pack")
                worker = (await http.get(f"/api/v1/offers/{offer_id}", headers=staff)).json()
                assert worker["status"] == "confirmed"
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)
