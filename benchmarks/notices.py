"""Benchmark the notice dispatcher through the webhook channel, and count duplicates under crashes.

Two measurements, printed as JSON on stdout (progress on stderr):

* ``throughput``: N pending notices inserted directly, then ``dispatch_due`` batch after batch
  (one dispatcher, as the scheduler's leader runs it) to a local signed-webhook receiver;
  notices per second from the first claim to the last record.
* ``crashes``: M pending notices; a dispatcher runs in a subprocess and is killed (SIGKILL)
  mid-batch K times, then restarted; a last run finishes the outbox. Each restart moves its
  clock past the previous run's lease (as time would), so the rows it was holding are sent
  again, with the same idempotency keys. The receiver dedupes by key; we report the raw
  re-sends (requests beyond one per key) and the keys it delivered twice (must be 0), and
  whether any notice was lost (must be 0).

The receiver is a small asyncio HTTP/1.1 server in its own process (so it does not share the
dispatcher's GIL). It checks every signature's HMAC; it does not check the timestamp window,
because the crash runs move the dispatcher's clock forward on purpose.

    createdb -h 127.0.0.1 -U postgres laowu_notices_bench
    .venv/bin/python benchmarks/notices.py --notices 5000 --crash-notices 8000 --kills 5

Only 127.0.0.1 is contacted. The database's ``public`` schema is dropped and re-created; the
script refuses the databases ``test`` and ``laowu_lead``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/laowu_notices_bench"
SECRET = "bench-gateway-secret-0123456789"  # noqa: S105 - a throwaway local receiver's
APP_SECRET = "bench-app-secret-key-0123456789-abcdefghij"  # noqa: S105 - a throwaway database's
LEASE_STEP = 600  # seconds each restart's clock moves on: past any lease


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the receiver (its own process) ---------------------------------------------------------


async def serve_receiver(secret: str) -> None:
    from matching.notices.signing import BadSignature, signature

    seen: Counter[str] = Counter()
    delivered: Counter[str] = Counter()
    stats = {"requests": 0, "bad_signatures": 0}

    def handle_hook(headers: dict[str, str], body: bytes) -> int:
        stats["requests"] += 1
        ts, given = headers.get("x-laowu-timestamp", ""), headers.get("x-laowu-signature", "")
        try:
            if not ts.isdigit() or given.lower() != signature(secret, ts, body):
                raise BadSignature("bad")
        except BadSignature:
            stats["bad_signatures"] += 1
            return 401
        key = headers.get("idempotency-key", "")
        seen[key] += 1
        if delivered[key] == 0:  # a repeated key is acknowledged, not delivered again
            delivered[key] += 1
        return 200

    def report() -> bytes:
        return json.dumps(
            {
                **stats,
                "distinct_keys": len(seen),
                "keys_seen_more_than_once": sum(1 for n in seen.values() if n > 1),
                "raw_resends": sum(seen.values()) - len(seen),
                "delivered": sum(delivered.values()),
                "keys_delivered_twice": sum(1 for n in delivered.values() if n > 1),
                "keys": sorted(seen),
            }
        ).encode()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                _method, path, _version = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                payload = b""
                if path.startswith("/stats"):
                    status, payload = 200, report()
                else:
                    status = handle_hook(headers, body)
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\n"
                    f"Content-Type: application/json\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0, backlog=512)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


# --- the dispatcher (in this process, or a subprocess that gets killed) ---------------------


def make_context(url: str, hook: str) -> Any:
    from matching.lib.context import Context
    from matching.settings import Settings

    return Context.from_settings(
        Settings(
            database_url=url,
            secret_key=APP_SECRET,
            notify_webhook_url=hook,
            notify_webhook_secret=SECRET,
        )
    )


async def run_dispatcher(url: str, hook: str, travel: float, batch: int) -> dict[str, int]:
    from matching.db.engine import create_engine, create_sessionmaker
    from matching.lib import clock
    from matching.notices.channels import channel_from_settings
    from matching.notices.dispatch import DispatchResult, dispatch_due

    clock.travel(dt.timedelta(seconds=travel))
    ctx = make_context(url, hook)
    engine = create_engine(url, pool_size=4)
    sm = create_sessionmaker(engine)
    channel = channel_from_settings(ctx.settings)
    total = DispatchResult()
    try:
        while True:
            result = await dispatch_due(sm, ctx, channel, batch=batch)
            total += result
            if result.claimed == 0:
                break
    finally:
        await channel.aclose()
        await engine.dispose()
    return {"claimed": total.claimed, "sent": total.sent, "retried": total.retried}


# --- the parent ------------------------------------------------------------------------------


async def reset_and_fill(url: str, n: int, tag: str) -> list[str]:
    import asyncpg

    from matching.db.engine import create_engine, create_sessionmaker
    from matching.notices.outbox import enqueue, notice_row

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    from matching.db import migrate

    await migrate.upgrade_async(url)
    engine = create_engine(url, pool_size=2)
    rows = [
        notice_row(
            kind="offer_made",
            dedupe_key=f"{tag}:{i}",
            worker_id=None,
            to_phone=f"+86139{i:08d}",
            text="【劳务通】雅尔美服饰（上海）招平缝车工，月薪4500-6000元，包住，03月02日开工。"
            "回复1接受，2不接受，或点http://127.0.0.1:8000/o/abcdefghijkl （03月01日前有效）",
            link=f"http://127.0.0.1:8000/o/{i:012d}",
        )
        for i in range(n)
    ]
    async with create_sessionmaker(engine)() as session, session.begin():
        await enqueue(session, rows)
    await engine.dispose()
    return [r["idempotency_key"] for r in rows]


def stats(port: int) -> dict[str, Any]:
    import httpx

    return httpx.get(f"http://127.0.0.1:{port}/stats", timeout=10).json()


async def statuses(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from matching.db import models as m
    from matching.db.engine import create_engine

    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(m.Notice.status, func.count()).group_by(m.Notice.status))
        ).all()
    await engine.dispose()
    return {r[0]: r[1] for r in rows}


def start_receiver() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "receiver"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def dispatcher_cmd(url: str, hook: str, travel: float, batch: int) -> list[str]:
    return [
        sys.executable,
        __file__,
        "dispatch",
        "--url",
        url,
        "--hook",
        hook,
        "--travel",
        str(travel),
        "--batch",
        str(batch),
    ]


async def throughput(url: str, n: int, batch: int) -> dict[str, Any]:
    await reset_and_fill(url, n, "tp")
    receiver, port = start_receiver()
    try:
        hook = f"http://127.0.0.1:{port}/hook"
        log(f"throughput: {n} notices, batch {batch}")
        started = time.perf_counter()
        counts = await run_dispatcher(url, hook, 0, batch)
        elapsed = time.perf_counter() - started
        got = stats(port)
        return {
            "notices": n,
            "batch": batch,
            "seconds": round(elapsed, 3),
            "notices_per_second": round(counts["sent"] / elapsed, 1),
            "dispatch": counts,
            "receiver_requests": got["requests"],
            "bad_signatures": got["bad_signatures"],
            "statuses": await statuses(url),
        }
    finally:
        receiver.kill()
        receiver.wait()


def crashes(url: str, n: int, kills: int, batch: int, seed: int) -> dict[str, Any]:
    keys = asyncio.run(reset_and_fill(url, n, "crash"))
    receiver, port = start_receiver()
    rng = random.Random(seed)
    hook = f"http://127.0.0.1:{port}/hook"
    killed_at: list[float] = []
    try:
        for i in range(kills):
            proc = subprocess.Popen(
                dispatcher_cmd(url, hook, i * LEASE_STEP, batch),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            # Let it start (imports, connect) and get into the middle of some batch.
            delay = rng.uniform(1.2, 2.0)
            try:
                proc.wait(timeout=delay)
                log(f"crash run {i}: finished before the kill")
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                killed_at.append(round(delay, 2))
                log(f"crash run {i}: killed after {delay:.2f} s")
        final = subprocess.run(
            dispatcher_cmd(url, hook, kills * LEASE_STEP, batch),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        got = stats(port)
        seen = set(got.pop("keys"))
        return {
            "notices": n,
            "kills": len(killed_at),
            "killed_after_seconds": killed_at,
            "final_run": json.loads(final.stdout.strip().splitlines()[-1]),
            "receiver": got,
            "lost": len(set(keys) - seen),
            "unknown_keys": len(seen - set(keys)),
            "statuses": asyncio.run(statuses(url)),
        }
    finally:
        receiver.kill()
        receiver.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", nargs="?", default="bench", choices=["bench", "receiver", "dispatch"]
    )
    parser.add_argument("--url", default=os.environ.get("LAOWU_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--hook", default="")
    parser.add_argument("--travel", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--notices", type=int, default=5000)
    parser.add_argument("--crash-notices", type=int, default=8000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.mode == "receiver":
        asyncio.run(serve_receiver(SECRET))
        return
    if args.mode == "dispatch":
        print(json.dumps(asyncio.run(run_dispatcher(args.url, args.hook, args.travel, args.batch))))
        return
    database = args.url.rsplit("/", 1)[-1]
    if database in ("test", "laowu_lead") or "127.0.0.1" not in args.url:
        sys.exit(f"refusing to use {args.url}: pick your own database on 127.0.0.1")
    if not (0 < args.notices <= 100_000 and 0 < args.crash_notices <= 100_000):
        sys.exit("--notices and --crash-notices must be between 1 and 100000")
    out = {
        "database": "postgresql",
        "throughput": asyncio.run(throughput(args.url, args.notices, args.batch)),
        "crashes": crashes(
            args.url, args.crash_notices, min(args.kills, 20), args.batch, args.seed
        ),
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
