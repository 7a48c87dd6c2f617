"""HTTP benchmark of the worker routes beside the no-database ceiling, on SQLite and PostgreSQL.

For each database the script makes a fresh database, loads the demo data (``laowu seed demo``),
creates an admin (``laowu admin create``), starts ``laowu serve --no-scheduler`` pinned to one
CPU core, creates a staff login for the demo agency through the API, and then drives three
scenarios with a separate load-generator process pinned to the other core:

* ``ping``         GET  /api/v1/ping            (no database, no auth: the ceiling)
* ``get_worker``   GET  /api/v1/workers/{id}    (staff Bearer token, ids of her agency in turn)
* ``post_worker``  POST /api/v1/workers         (staff Bearer token, a new valid worker each time)

Each scenario runs ``--connections`` keep-alive HTTP/1.1 connections for ``--warmup`` seconds
(not measured) and then ``--duration`` seconds (measured). The load generator is a small
asyncio + uvloop HTTP/1.1 client (one request in flight per connection, no pipelining); it
reports its own CPU use so that one can see it is not the bottleneck. Figures go to stdout as
JSON, progress to stderr, each scenario with the server's CPU per request
(``server_cpu_ms_per_request``: the figure a shared machine distorts least). The server is
always stopped, whatever happens.

``--servers N`` starts N such processes on consecutive ports (the shape of ``deploy/``: several
API processes behind nginx, here without nginx) and spreads the connections over them; with
``--server-cpu 0,1`` they may use both cores. The default, one process on one core, is the
figure the issues quote.

    .venv/bin/python benchmarks/api.py --databases sqlite,postgresql --duration 10 --connections 32

Only 127.0.0.1 is ever contacted. PostgreSQL: ``--pg-url`` names the database to (re)create;
it refuses the database named ``test``, which the test suite uses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/laowu_bench"
ADMIN = "bench_admin"
STAFF = "bench_staff"
PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway account on a throwaway database)
SCENARIOS = ("ping", "get_worker", "post_worker")
EXPECTED_STATUS = {"ping": 200, "get_worker": 200, "post_worker": 201}
PHONE_PREFIX = "199"  # not among the demo data's prefixes, so new phones never collide
SETUP_TIMEOUT = 300.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the load generator (child)


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with one request in flight."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[int] | None = None
        self.need = -1
        self.status = 0
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            if at < 0:  # the app always sends a length; anything else is a broken response
                raise RuntimeError(f"response without content-length: {head[:200]!r}")
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop > 0 else len(head)])
            self.need = end + 4 + length
        if len(self.buf) >= self.need:
            del self.buf[: self.need]
            self.need = -1
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(self.status)

    async def send(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


def _requests(cfg: dict[str, Any], worker: int) -> Iterator[bytes]:
    """Endless requests for one connection (``worker``) of the scenario."""
    ports: list[int] = cfg["ports"]
    host = f"Host: {HOST}:{ports[worker % len(ports)]}\r\n".encode()
    auth = f"Authorization: Bearer {cfg['token']}\r\n".encode() if cfg.get("token") else b""
    kind = cfg["scenario"]
    if kind == "ping":
        req = b"GET /api/v1/ping HTTP/1.1\r\n" + host + b"\r\n"
        while True:
            yield req
    elif kind == "get_worker":
        ids: list[int] = cfg["worker_ids"]
        reqs = [
            f"GET /api/v1/workers/{i} HTTP/1.1\r\n".encode() + host + auth + b"\r\n" for i in ids
        ]
        n = worker
        while True:
            yield reqs[n % len(reqs)]
            n += cfg["connections"]
    elif kind == "post_worker":
        template = json.dumps(cfg["payload"], ensure_ascii=False).encode()
        assert b"PHONE" in template
        head = b"POST /api/v1/workers HTTP/1.1\r\n" + host + auth
        head += b"Content-Type: application/json\r\n"
        # Unique per connection and per request: prefix, a 2-digit connection, a 6-digit counter.
        n = 0
        while True:
            phone = f"{PHONE_PREFIX}{worker:02d}{n:06d}".encode()
            body = template.replace(b"PHONE", phone)
            yield head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
            n += 1
    else:
        raise ValueError(kind)


async def _drive(cfg: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    conns: list[_Connection] = []
    ports: list[int] = cfg["ports"]
    for k in range(cfg["connections"]):  # spread over the servers, as nginx would
        _, proto = await loop.create_connection(_Connection, HOST, ports[k % len(ports)])
        conns.append(proto)
    start = time.perf_counter()
    measure_from = start + cfg["warmup"]
    stop_at = measure_from + cfg["duration"]
    latencies: list[list[float]] = [[] for _ in conns]
    statuses: dict[int, int] = {}
    errors: list[str] = []
    cpu0: list[float] = []

    async def one(k: int, conn: _Connection) -> None:
        mine = latencies[k]
        reqs = _requests(cfg, k)
        clock = time.perf_counter
        while True:
            t0 = clock()
            if t0 >= stop_at:
                return
            try:
                status = await conn.send(next(reqs))
            except ConnectionError as exc:
                errors.append(str(exc))
                return
            t1 = clock()
            if t0 >= measure_from:
                mine.append(t1 - t0)
                statuses[status] = statuses.get(status, 0) + 1

    async def mark_cpu() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        r = resource.getrusage(resource.RUSAGE_SELF)
        cpu0.append(r.ru_utime + r.ru_stime)

    marker = asyncio.ensure_future(mark_cpu())
    await asyncio.gather(*(one(k, c) for k, c in enumerate(conns)))
    await marker
    elapsed = time.perf_counter() - measure_from
    r = resource.getrusage(resource.RUSAGE_SELF)
    cpu = r.ru_utime + r.ru_stime - (cpu0[0] if cpu0 else 0.0)
    for c in conns:
        if c.transport is not None:
            c.transport.close()
    lat = sorted(x for chunk in latencies for x in chunk)
    n = len(lat)

    def pct(p: float) -> float:
        return round(lat[min(n - 1, int(p * n))] * 1000, 2) if n else float("nan")

    expected = EXPECTED_STATUS[cfg["scenario"]]
    return {
        "requests": n,
        "rps": round(n / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(lat[-1] * 1000, 2) if n else float("nan"),
        "non_expected_status": sum(v for k, v in statuses.items() if k != expected),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "connection_errors": len(errors),
        "client_cpu_fraction": round(cpu / elapsed, 3),
        "measured_seconds": round(elapsed, 2),
    }


def client_main() -> int:
    """The load generator: config as JSON on stdin, results as JSON on stdout."""
    cfg = json.load(sys.stdin)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # plain asyncio still works, only slower
        pass
    print(json.dumps(asyncio.run(_drive(cfg))), flush=True)
    return 0


# ---------------------------------------------------------------- the orchestrator (parent)


def _venv_bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def _pinned(cpu: str | None, argv: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", cpu, *argv] if cpu is not None and taskset else argv


def _run(argv: list[str], env: dict[str, str], what: str) -> str:
    log(f"{what}: {' '.join(argv)}")
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=SETUP_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _pg_args(url: str) -> list[str]:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.host not in (None, "127.0.0.1", "localhost"):
        raise SystemExit("the benchmark only talks to 127.0.0.1")
    user = u.username or "postgres"
    return ["-h", u.host or HOST, "-p", str(u.port or 5432), "-U", user, "-d", u.database or ""]


def _pg_env(url: str) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = str(password)
    return env


def _fresh_postgres(url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if name in (None, "", "test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to recreate the database {name!r}; use another name")
    common = [*_pg_args(url)[:-2], "--maintenance-db=postgres"]
    env = _pg_env(url)
    _run(["dropdb", *common, "--if-exists", "--force", str(name)], env, "drop database")
    _run(["createdb", *common, str(name)], env, "create database")


class Server:
    """``laowu serve`` in a subprocess (its own process group), always stopped on exit."""

    def __init__(self, env: dict[str, str], port: int, cpu: str | None, log_path: Path) -> None:
        self.env, self.port, self.cpu, self.log_path = env, port, cpu, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        serve = ["serve", "--no-scheduler", "--host", HOST, "--port", str(self.port)]
        argv = _pinned(self.cpu, [_venv_bin("laowu"), *serve])
        log(f"start server: {' '.join(argv)}")
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                r = httpx.get(f"http://{HOST}:{self.port}/api/v1/ping", timeout=1)
                if r.status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {START_TIMEOUT:.0f}s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far (Linux /proc)."""
        assert self.proc is not None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        log(f"stop server (pid {proc.pid})")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)


class Servers:
    """``--servers`` processes of ``laowu serve`` on consecutive ports (the shape of deploy/:
    several API processes behind nginx, here without nginx: the load generator spreads its
    connections over them), each always stopped on exit."""

    def __init__(
        self, env: dict[str, str], ports: list[int], cpu: str | None, workdir: Path, kind: str
    ) -> None:
        self.ports = ports
        self.servers = [Server(env, p, cpu, workdir / f"server-{kind}-{p}.log") for p in ports]

    def __enter__(self) -> Servers:
        with contextlib.ExitStack() as started:
            for server in self.servers:
                started.enter_context(server)
            started.pop_all()
        return self

    def __exit__(self, *_exc: object) -> None:
        for server in self.servers:
            server.stop()

    def cpu_seconds(self) -> float:
        return sum(server.cpu_seconds() for server in self.servers)


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine so far (Linux /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _postgres_seconds() -> float:
    """CPU seconds used so far by the local PostgreSQL processes (those we can see)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.endswith("(postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _wait_quiet(limit: float, threshold: float = 0.15) -> float:
    """Wait (at most ``limit`` s) until the machine is nearly idle; answer its busy fraction."""
    deadline = time.monotonic() + limit
    busy, waited = 1.0, False
    while True:
        b0, t0 = _machine_jiffies()
        time.sleep(1.0)
        b1, t1 = _machine_jiffies()
        busy = (b1 - b0) / max(1, t1 - t0)
        if busy < threshold or time.monotonic() >= deadline:
            if busy >= threshold:
                log(f"machine still {busy:.0%} busy with other work; measuring anyway")
            return busy
        if not waited:
            log(f"machine {busy:.0%} busy with other work; waiting up to {limit:.0f}s")
        waited = True


def _prepare_accounts(port: int) -> tuple[str, list[int]]:
    """A staff login for the demo agency; her token and the ids of her agency's workers."""
    import httpx

    with httpx.Client(base_url=f"http://{HOST}:{port}/api/v1", timeout=60) as http:

        def ok(r: httpx.Response) -> Any:
            if r.status_code >= 300:
                raise RuntimeError(f"{r.request.method} {r.request.url}: {r.status_code} {r.text}")
            return r.json()

        def login(username: str) -> dict[str, str]:
            body = {"username": username, "password": PASSWORD}
            token = ok(http.post("/auth/token", json=body))["access_token"]
            return {"Authorization": f"Bearer {token}"}

        admin = login(ADMIN)
        agencies = ok(http.get("/agencies", headers=admin))["items"]
        from seeds.demo import AGENCY

        agency_id = next(a["id"] for a in agencies if a["name"] == AGENCY)
        staff = {"username": STAFF, "password": PASSWORD, "role": "staff", "agency_id": agency_id}
        ok(http.post("/staff", headers=admin, json=staff))
        headers = login(STAFF)
        page = ok(http.get("/workers", headers=headers, params={"limit": 500}))
        ids = [w["id"] for w in page["items"]]
        if not ids:
            raise RuntimeError("the demo agency has no workers")
        ok(http.get(f"/workers/{ids[0]}", headers=headers))
        return headers["Authorization"].removeprefix("Bearer "), ids


def _payload() -> dict[str, Any]:
    return {
        "name": "王秀英",
        "phone": "PHONE",
        "birth_date": "1990-05-17",
        "home_county": "通州区",
        "skills": [{"code": "sewing", "level": 4}],
        "priority_groups": ["poor_household"],
        "willing_to_relocate": True,
        "preferred_cities": ["上海"],
        "min_monthly_wage": 4000,
        "needs_housing": True,
        "consent_matching": True,
    }


def _scenario(
    args: argparse.Namespace, server: Servers, scenario: str, token: str, ids: list[int]
) -> dict[str, Any]:
    cfg = {
        "scenario": scenario,
        "ports": server.ports,
        "token": token if scenario != "ping" else None,
        "worker_ids": ids,
        "connections": args.connections,
        "warmup": args.warmup,
        "duration": args.duration,
        "payload": _payload(),
    }
    argv = _pinned(args.client_cpu, [sys.executable, str(Path(__file__).resolve()), "--client"])
    quiet = round(_wait_quiet(args.wait_quiet), 3)
    log(f"{scenario}: {args.connections} connections, {args.warmup}s warm-up, {args.duration}s")
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(cfg).encode())
        proc.stdin.close()
        proc.stdin = None  # so that communicate() below only reads
        time.sleep(args.warmup)
        cpu0, pg0, (b0, j0) = server.cpu_seconds(), _postgres_seconds(), _machine_jiffies()
        t0 = time.monotonic()
        out, err = proc.communicate(timeout=args.duration + args.warmup + 60)
        wall = time.monotonic() - t0
        server_cpu = (server.cpu_seconds() - cpu0) / wall
        pg_cpu = (_postgres_seconds() - pg0) / wall
        b1, j1 = _machine_jiffies()
        machine_busy = (b1 - b0) / max(1, j1 - j0) * (os.cpu_count() or 1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {err.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(out)
    result["server_cpu_fraction"] = round(server_cpu, 3)
    result["postgres_cpu_fraction"] = round(pg_cpu, 3)
    rate = result["rps"] or float("nan")
    result["server_cpu_ms_per_request"] = round(server_cpu / rate * 1000, 3)
    # Cores busy with anything else (other users of the machine): should be near 0.
    others = machine_busy - server_cpu - pg_cpu - result["client_cpu_fraction"]
    result["other_cpu_cores"] = round(max(0.0, others), 2)
    result["machine_quiet_before"] = quiet
    log(
        f"{scenario}: {result['rps']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms"
        f" (bad status {result['non_expected_status']}, client cpu {result['client_cpu_fraction']},"
        f" server cpu {result['server_cpu_fraction']}, postgres {result['postgres_cpu_fraction']},"
        f" other {result['other_cpu_cores']})"
    )
    if result["client_cpu_fraction"] > 0.9:
        log("warning: the load generator used >90% of its core; the figure may be client-bound")
    return result


def bench_database(args: argparse.Namespace, kind: str, workdir: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env["LAOWU_DATA_DIR"] = str(workdir / f"data-{kind}")
    env["LAOWU_SECRET_KEY"] = env.get("LAOWU_SECRET_KEY") or secrets.token_urlsafe(48)
    env["PYTHONUNBUFFERED"] = "1"
    if kind == "sqlite":
        db = workdir / "bench.db"
        env["LAOWU_DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    elif kind == "postgresql":
        _fresh_postgres(args.pg_url)
        env["LAOWU_DATABASE_URL"] = args.pg_url
    else:
        raise SystemExit(f"unknown database {kind!r} (sqlite, postgresql)")
    laowu = _venv_bin("laowu")
    _run([laowu, "seed", "demo"], env, f"{kind}: seed demo")
    _run(
        [laowu, "admin", "create", "--username", ADMIN, "--password", PASSWORD],
        env,
        f"{kind}: admin",
    )
    if kind == "postgresql":  # as autovacuum would soon after a load: plans from real stats
        _run(["psql", *_pg_args(args.pg_url), "-c", "ANALYZE"], _pg_env(args.pg_url), "analyze")
    port = args.port or _free_port()
    ports = [
        port + k if args.port else (port if k == 0 else _free_port()) for k in range(args.servers)
    ]
    results: dict[str, Any] = {}
    with Servers(env, ports, args.server_cpu, workdir, kind) as server:
        token, ids = _prepare_accounts(port)
        log(f"{kind}: staff token ready, {len(ids)} workers to read")
        for scenario in args.scenarios:
            results[scenario] = _scenario(args, server, scenario, token, ids)
    if "ping" in results and "get_worker" in results:
        results["get_over_ping"] = round(results["get_worker"]["rps"] / results["ping"]["rps"], 3)
    if "ping" in results and "post_worker" in results:
        results["post_over_ping"] = round(results["post_worker"]["rps"] / results["ping"]["rps"], 3)
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--databases", default="sqlite,postgresql", help="comma-separated")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario")
    p.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL)
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument(
        "--servers",
        type=int,
        default=1,
        help="API processes (deploy/ runs several behind nginx); connections spread over them",
    )
    p.add_argument("--server-cpu", default="0", help="taskset CPU list for the server(s)")
    p.add_argument("--client-cpu", default="1", help="taskset CPU list for the load generator")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=60.0,
        help="wait up to this many seconds for an idle machine before each scenario",
    )
    p.add_argument("--keep", action="store_true", help="keep the work folder (server logs)")
    p.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    for s in args.scenarios:
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}")
    if not 1 <= args.servers <= 8:
        p.error("--servers must be 1..8")
    if not 1 <= args.connections <= 99:
        p.error("--connections must be 1..99")
    if not 0 < args.duration <= 600 or not 0 <= args.warmup <= 60:
        p.error("--duration must be in (0, 600] and --warmup in [0, 60]")
    if args.no_pin or not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
        args.server_cpu = args.client_cpu = None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.client:
        return client_main()
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="laowu-bench-"))
    report: dict[str, Any] = {
        "setup": {
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "server": f"laowu serve --no-scheduler ({args.servers} uvicorn process(es); "
            "server_cpu_fraction sums them)",
            "servers": args.servers,
            "server_cpu": args.server_cpu,
            "client_cpu": args.client_cpu,
            "pinning": (
                "server and load generator pinned to separate cores with taskset; PostgreSQL "
                "is not pinned and shares both"
                if args.server_cpu is not None
                else "not pinned"
            ),
            "load_generator": "python asyncio+uvloop raw HTTP/1.1 keep-alive, 1 request in "
            "flight per connection, separate process",
            "connections": args.connections,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
        },
        "results": {},
    }
    try:
        for kind in [d.strip() for d in args.databases.split(",") if d.strip()]:
            report["results"][kind] = bench_database(args, kind, workdir)
    finally:
        if args.keep:
            log(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    pg = report["results"].get("postgresql", {})
    if "get_over_ping" in pg:
        report["postgresql_get_over_ping"] = pg["get_over_ping"]
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
