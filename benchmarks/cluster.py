"""The cluster's capacity: nginx (deploy/'s laowu.conf, TLS) in front of N API processes and
one scheduler on a fresh PostgreSQL database, for N = 1, 2, 3, started as the systemd units
start them (the cluster test's helpers, tests/processes.py). Two mixes through nginx:

* ``read_heavy``:  45% GET /workers/{id}, 45% GET /workers?limit=20, 10% POST /workers
* ``write_heavy``: 50% POST /workers, 50% her SMS replies (POST /notices/inbound, signed; each
  is recorded and answered through the outbox, which the scheduler sends to a local gateway)

Each mix runs ``--connections`` keep-alive TLS connections (one request in flight each) for
``--warmup`` s unmeasured, then ``--duration`` s measured. The load generator is a separate
asyncio process with a raw HTTP/1.1 client (benchmarks/api.py's), so it stays light; its CPU
is reported. CPU seconds over the measured window are summed from /proc/<pid>/stat (utime +
stime) for nginx's processes, the API processes (with their children), the scheduler, and
the PostgreSQL backends serving this database (pg_stat_activity), and given as cores used and
as shares. The machine's load average is printed beside each figure.

    .venv/bin/python benchmarks/cluster.py --apis 1,2,3 --duration 10

Figures go to stdout as JSON, progress to stderr. Only 127.0.0.1 is contacted; every process
is stopped and the database dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import resource
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = os.environ.get(
    "LAOWU_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/laowu_bench"
)
MIXES = ("read_heavy", "write_heavy")
TICK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[cluster-bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the load generator (child)


def _requests(cfg: dict[str, Any], conn: int) -> Iterator[bytes]:
    """Endless requests of the mix for connection ``conn``."""
    rng = random.Random(conn)
    host = f"Host: 127.0.0.1:{cfg['port']}\r\n".encode()
    auth = f"Authorization: Bearer {cfg['token']}\r\n".encode()
    json_head = b"Content-Type: application/json\r\n"
    template = json.dumps(cfg["payload"], ensure_ascii=False)
    secret = cfg["webhook_secret"].encode()
    n = 0
    while True:
        n += 1
        r = rng.random()
        if cfg["mix"] == "read_heavy" and r < 0.45:
            wid = rng.choice(cfg["worker_ids"])
            yield f"GET /api/v1/workers/{wid} HTTP/1.1\r\n".encode() + host + auth + b"\r\n"
        elif cfg["mix"] == "read_heavy" and r < 0.9:
            yield b"GET /api/v1/workers?limit=20 HTTP/1.1\r\n" + host + auth + b"\r\n"
        elif cfg["mix"] == "read_heavy" or r < 0.5:
            # 11 digits, unique per deployment, mix, connection and request
            phone = f"{cfg['phone_prefix']}{conn + cfg['connection_offset']:02d}{n:06d}"
            body = template.replace("PHONE", phone).encode()
            yield (
                b"POST /api/v1/workers HTTP/1.1\r\n"
                + host
                + auth
                + json_head
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
        else:
            # A reply that is neither 1 nor 2: recorded, answered with the help text.
            text = f"请问 {conn}-{n}"
            body = json.dumps({"from": rng.choice(cfg["phones"]), "text": text}).encode()
            ts = str(int(time.time()))
            mac = hmac.new(secret, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
            signed = f"X-Laowu-Timestamp: {ts}\r\nX-Laowu-Signature: sha256={mac}\r\n".encode()
            yield (
                b"POST /api/v1/notices/inbound HTTP/1.1\r\n"
                + host
                + json_head
                + signed
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )


async def _drive(cfg: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.api import _Connection

    loop = asyncio.get_running_loop()
    tls = ssl.create_default_context()
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE  # the deployment's self-signed certificate
    conns = []
    for _ in range(cfg["connections"]):
        _, proto = await loop.create_connection(_Connection, "127.0.0.1", cfg["port"], ssl=tls)
        conns.append(proto)
    measure_from = time.perf_counter() + cfg["warmup"]
    stop_at = measure_from + cfg["duration"]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    cpu0: list[float] = []

    async def one(k: int, conn: _Connection) -> None:
        reqs = _requests(cfg, k)
        while (t0 := time.perf_counter()) < stop_at:
            try:
                status = await conn.send(next(reqs))
            except ConnectionError as exc:
                errors.append(str(exc))
                return
            if t0 >= measure_from:
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1

    async def mark_cpu() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        r = resource.getrusage(resource.RUSAGE_SELF)
        cpu0.append(r.ru_utime + r.ru_stime)
        print(json.dumps({"measuring": True}), flush=True)  # the parent starts its window

    marker = asyncio.ensure_future(mark_cpu())
    await asyncio.gather(*(one(k, c) for k, c in enumerate(conns)))
    await marker
    elapsed = time.perf_counter() - measure_from
    r = resource.getrusage(resource.RUSAGE_SELF)
    for c in conns:
        if c.transport is not None:
            c.transport.close()
    lat = sorted(latencies)
    n = len(lat)

    def pct(p: float) -> float:
        return round(lat[min(n - 1, int(p * n))] * 1000, 1) if n else float("nan")

    return {
        "requests": n,
        "rps": round(n / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "non_2xx": sum(v for k, v in statuses.items() if not 200 <= k < 300),
        "connection_errors": len(errors),
        "load_generator_cores": round((r.ru_utime + r.ru_stime - cpu0[0]) / elapsed, 3),
        "measured_seconds": round(elapsed, 2),
    }


def client_main() -> int:
    sys.path.insert(0, str(ROOT))
    cfg = json.load(sys.stdin)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(_drive(cfg))), flush=True)
    return 0


# ---------------------------------------------------------------- the orchestrator (parent)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each live pid, in seconds."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def backends(db_url: str) -> list[int]:
    """The PostgreSQL backends serving this database now (but the one asking)."""
    import asyncpg

    async def ask() -> list[int]:
        conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return [int(r["pid"]) for r in rows]

    return asyncio.run(ask())


def machine_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine so far, every process of every user (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICK


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def measure(d: Any, db_url: str, cfg: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.proc import tree

    client = subprocess.Popen(
        [sys.executable, __file__, "--client"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdin is not None and client.stdout is not None
    client.stdin.write(json.dumps(cfg))
    client.stdin.close()
    started = json.loads(client.stdout.readline())
    assert started == {"measuring": True}, started

    def groups() -> dict[str, list[int]]:
        return {
            "nginx": [p for pid in d.pids("nginx") for p in tree(pid)],
            "api": [p for pid in d.pids("api") for p in tree(pid)],
            "scheduler": [p for pid in d.pids("scheduler") for p in tree(pid)],
            "postgres_backends": backends(db_url),
        }

    before = {k: cpu_seconds(v) for k, v in groups().items()}
    busy0, t0 = machine_busy_seconds(), time.monotonic()
    result = json.loads(client.stdout.readline())
    window = time.monotonic() - t0
    busy = machine_busy_seconds() - busy0
    after = {k: cpu_seconds(v) for k, v in groups().items()}
    client.wait(timeout=30)
    # A process born inside the window counts from zero (its whole life is in the window).
    cores = {
        k: round(sum(s - before[k].get(p, 0.0) for p, s in after[k].items()) / window, 3)
        for k in after
    }
    total = sum(cores.values()) or 1.0
    result["cpu_cores"] = cores
    result["cpu_share"] = {k: round(v / total, 3) for k, v in cores.items()}
    # What the rest of the machine (other users' work too) took meanwhile, in cores.
    result["machine_busy_cores"] = round(busy / window, 3)
    result["load_average_1m"] = load_average()
    return result


async def prepare(d: Any) -> dict[str, Any]:
    import httpx

    from tests.integration.test_cluster import serves, world
    from tests.processes import eventually

    transport = httpx.AsyncHTTPTransport(verify=False)
    async with httpx.AsyncClient(transport=transport, base_url=d.base_url, timeout=30) as http:
        for port in d.api_ports:
            url = f"http://127.0.0.1:{port}/api/v1/health/ready"
            await eventually(lambda u=url: serves(http, u), 120, f"the API on {port}")  # type: ignore[misc]
        await eventually(lambda: serves(http, "/api/v1/health/ready"), 30, "nginx")
        w = await world(http, workers=200)
    return {
        "token": w["staff"]["Authorization"].split()[1],
        "worker_ids": [x["id"] for x in w["workers"]],
        "phones": [x["phone"] for x in w["workers"]],
    }


def bench(args: argparse.Namespace, apis: int, folder: Path) -> dict[str, Any]:
    from tests.integration.test_cluster import WEBHOOK_SECRET, cluster_env
    from tests.processes import Deployment, Gateway, fresh_postgres, processes
    from tests.support import PASSWORD, worker_payload

    with (
        fresh_postgres(args.pg_url, "bench") as db_url,
        Gateway(WEBHOOK_SECRET) as gateway,
        processes() as started,
    ):
        d = Deployment(started, folder, cluster_env(db_url, gateway), apis=apis, schedulers=1)
        d.start()
        d.laowu("admin", "create", "--username", "root", "--password", PASSWORD)
        log(f"{apis} API process(es) starting")
        ready = asyncio.run(prepare(d))
        payload = worker_payload(phone="PHONE", priority_groups=[])
        out = {}
        for k, mix in enumerate(MIXES):
            cfg = {
                "mix": mix,
                "port": d.https_port,
                "connections": args.connections,
                "warmup": args.warmup,
                "duration": args.duration,
                "payload": payload,
                "phone_prefix": f"13{apis}",
                "connection_offset": 50 * k,
                "webhook_secret": WEBHOOK_SECRET,
                **ready,
            }
            log(f"{apis} API process(es): {mix}")
            out[mix] = measure(d, db_url, cfg)
            log(f"  {json.dumps(out[mix])}")
        return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--apis", default="1,2,3", help="numbers of API processes to measure")
    p.add_argument("--connections", type=int, default=16, help="at most 50")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a database beside which to make ours")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.client:
        return client_main()
    sys.path.insert(0, str(ROOT))
    report: dict[str, Any] = {
        "setup": {
            "cpus": os.cpu_count(),
            "topology": "nginx (TLS) → N × `laowu serve --no-scheduler` + 1 `laowu scheduler`"
            " → PostgreSQL",
            "connections": args.connections,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "load_average_1m_at_start": load_average(),
        },
        "results": {},
    }
    with tempfile.TemporaryDirectory(prefix="laowu-cluster-bench-") as tmp:
        for apis in [int(n) for n in args.apis.split(",")]:
            folder = Path(tmp) / f"apis-{apis}"
            folder.mkdir()
            report["results"][f"apis_{apis}"] = bench(args, apis, folder)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
