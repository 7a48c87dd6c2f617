"""Real processes for the tests and benchmarks that run Laowu as it is deployed: `laowu`
commands in their own sessions (killed with their children at the end), nginx from
deploy/nginx rendered for local ports, and the commands and environment of deploy/systemd's
units, read from the unit files so that a wrong unit fails the test that starts it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
LAOWU = str(Path(sys.executable).parent / "laowu")
INSTALLED_LAOWU = "/opt/laowu/venv/bin/laowu"  # where the units expect the console script


def _ports() -> range:
    """The ports this test process may listen on: ``LAOWU_TEST_PORTS`` ("9800-9899", a shared
    machine's own range) or 9500–9599, and under pytest-xdist this worker's share of them, so
    that two workers never pick the same port between checking it and binding it."""
    low, high = 9500, 9599
    if span := os.environ.get("LAOWU_TEST_PORTS"):
        low, high = (int(x) for x in span.split("-"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw3"
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count <= 1:
        return range(low, high + 1)
    index, share = int(worker[2:]), (high - low + 1) // count
    return range(low + index * share, low + (index + 1) * share)


PORTS = _ports()
_handed_out: set[int] = set()


@contextlib.contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Started processes, each in its own session; all killed (with their children) at the end."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for proc in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                proc.wait(timeout=10)


def spawn(
    started: list[subprocess.Popen[bytes]],
    env: dict[str, str],
    *args: str,
    log: Path,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 (our own console script)
            [LAOWU, *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started.append(proc)
    return proc


async def eventually(check: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


def free_port() -> int:
    """A free port on 127.0.0.1 in :data:`PORTS`, not handed out before by this process."""
    candidates = [p for p in PORTS if p not in _handed_out]
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


# -- systemd units ---------------------------------------------------------------------------


def unit(name: str) -> dict[str, list[str]]:
    """``Key`` → every value it is given (a unit may repeat a key), across sections."""
    found: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def exec_argv(value: str, instance: str = "8001") -> list[str]:
    """An ``ExecStart=`` of a unit as `laowu`'s arguments (``%i`` is the instance)."""
    program, *argv = shlex.split(value.replace("%i", instance))
    assert program == INSTALLED_LAOWU, program
    return argv


def env_file(path: Path) -> dict[str, str]:
    """The variables an ``EnvironmentFile=`` sets (commented lines set nothing)."""
    found = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip()
    return found


def unit_environment(name: str, moved: dict[str, str]) -> dict[str, str]:
    """The unit's ``Environment=`` values, their paths moved (``moved``: old prefix → new)."""
    found = {}
    for value in unit(name).get("Environment", []):
        key, val = value.split("=", 1)
        for old, new in moved.items():
            val = val.replace(old, new)
        found[key] = val
    return found


def run_pre(name: str, moved: dict[str, str]) -> None:
    """The unit's ``ExecStartPre=`` commands, their paths moved, as systemd would run them."""
    for value in unit(name).get("ExecStartPre", []):
        for old, new in moved.items():
            value = value.replace(old, new)
        subprocess.run(shlex.split(value), check=True, timeout=30)  # noqa: S603


# -- nginx -----------------------------------------------------------------------------------


def self_signed(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "laowu.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    return found


def nginx_conf(site: str, folder: Path, replacements: dict[str, str] | None = None) -> Path:
    """deploy/nginx's ``site`` as a whole nginx.conf in ``folder``, its paths moved there."""
    self_signed(folder)
    moved = {
        "/etc/nginx/laowu-locations.conf": str(folder / "laowu-locations.conf"),
        "/etc/laowu/tls/": f"{folder}/",
        "/var/cache/nginx/laowu": str(folder / "cache"),
        "server api:": "server 127.0.0.1:",  # compose's DNS name, unknown here
        **(replacements or {}),
    }
    for name in (site, "laowu-locations.conf"):
        text = (DEPLOY / "nginx" / name).read_text()
        for old, new in moved.items():
            text = text.replace(old, new)
        (folder / name).write_text(text)
    temp = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Started as root, nginx's workers would run as nobody, who may not write in ``folder``.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"{user}pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp}    include {folder / site};\n}}\n"
    )
    return conf


def upstream_servers(ports: tuple[int, ...]) -> str:
    """laowu.conf's upstream lines for ``ports``."""
    return "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)


def site_for(api_ports: tuple[int, ...], http_port: int, https_port: int) -> dict[str, str]:
    """The replacements that put laowu.conf on local ports in front of ``api_ports``."""
    return {
        upstream_servers((8001, 8002, 8003)): upstream_servers(api_ports),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
    }


def start_nginx(started: list[subprocess.Popen[bytes]], conf: Path) -> subprocess.Popen[bytes]:
    argv = [nginx_binary(), "-c", str(conf), "-e", str(conf.parent / "error.log")]
    # A long-lived child, killed by processes() at the end.
    proc = subprocess.Popen([*argv, "-g", "daemon off;"], start_new_session=True)  # noqa: S603
    started.append(proc)
    return proc


# -- a whole deployment ----------------------------------------------------------------------


@contextlib.contextmanager
def fresh_postgres(base_url: str, tag: str) -> Iterator[str]:
    """A new PostgreSQL database beside ``base_url``'s (named after it, ``_<tag>_<hex>``),
    dropped at the end with whatever still holds it."""
    import asyncpg

    base, _, name = base_url.rpartition("/")
    new = f"{name}_{tag}_{os.urandom(3).hex()}"
    admin = base.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{new}"'))
    try:
        yield f"{base}/{new}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{new}" WITH (FORCE)'))


class Gateway:
    """A local SMS gateway: checks each request's signature (api.md) and records its
    ``Idempotency-Key``; answers 500 to the first attempt of every ``fail_every``-th key (0:
    never), 401 to a bad signature, and 200 to a key already delivered without delivering it
    again (it honours the key)."""

    def __init__(self, secret: str, fail_every: int = 0) -> None:
        import http.server
        import threading

        self.secret = secret.encode()
        self.fail_every = fail_every
        self.lock = threading.Lock()
        self.delivered: dict[str, float] = {}  # key → time.monotonic() of its delivery
        self.repeats: list[tuple[str, float]] = []  # a delivered key sent again, and when
        self.failed: list[str] = []  # the attempts answered 500
        self.bad_signature = 0
        self.without_key = 0
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = gateway.receive(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}/send"

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        import hashlib
        import hmac

        headers = {k.lower(): v for k, v in headers.items()}
        ts = headers.get("x-laowu-timestamp", "")
        mac = hmac.new(self.secret, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        key = headers.get("idempotency-key")
        with self.lock:
            if not hmac.compare_digest(headers.get("x-laowu-signature", ""), f"sha256={mac}") or (
                not ts.isdigit() or abs(int(ts) - time.time()) > 300
            ):
                self.bad_signature += 1
                return 401
            if not key:
                self.without_key += 1
                return 400
            if key in self.delivered:
                self.repeats.append((key, time.monotonic()))
                return 200
            seen = len(self.delivered) + len(set(self.failed))
            if self.fail_every and key not in self.failed and seen % self.fail_every == 0:
                self.failed.append(key)
                return 500
            self.delivered[key] = time.monotonic()
            return 200

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Deployment:
    """nginx (deploy/nginx/laowu.conf over TLS) in front of ``apis`` API processes, and
    ``schedulers`` schedulers, each started with its systemd unit's command and environment
    (laowu.env.example overridden by ``env``), after the migrate unit's command ran once."""

    API_UNIT = "laowu-api@.service"

    def __init__(
        self,
        started: list[subprocess.Popen[bytes]],
        folder: Path,
        env: dict[str, str],
        *,
        apis: int,
        schedulers: int,
    ) -> None:
        self.started = started
        self.folder = folder
        self.state = folder / "state"
        self.state.mkdir(exist_ok=True)
        self.moved = {"/var/lib/laowu": str(self.state), "/run/laowu": str(folder / "run")}
        self.api_ports = tuple(free_port() for _ in range(apis))
        self.scheduler_ports = tuple(free_port() for _ in range(schedulers))
        self.http_port, self.https_port = free_port(), free_port()
        self.base_url = f"https://127.0.0.1:{self.https_port}"
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LAOWU_") and k != "PROMETHEUS_MULTIPROC_DIR"
        }
        operator = env_file(UNITS / "laowu.env.example")
        for key, value in operator.items():
            for old, new in self.moved.items():
                operator[key] = value = value.replace(old, new)
        self.env = inherited | operator | {"LAOWU_PUBLIC_URL": self.base_url} | env
        self.apis: dict[int, subprocess.Popen[bytes]] = {}
        self.schedulers: dict[int, subprocess.Popen[bytes]] = {}
        self.nginx: subprocess.Popen[bytes] | None = None

    def laowu(self, *args: str) -> None:
        r = subprocess.run(  # noqa: S603 (our own console script)
            [LAOWU, *args],
            env=self.env,
            cwd=self.state,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert r.returncode == 0, f"laowu {' '.join(args)}: {r.stdout}{r.stderr}"

    def start(self) -> None:
        nginx_binary()  # skips before anything starts when nginx is missing
        self.laowu(*exec_argv(unit("laowu-migrate.service")["ExecStart"][0]))
        for port in self.api_ports:
            self.start_api(port)
        for port in self.scheduler_ports:
            argv = exec_argv(unit("laowu-scheduler.service")["ExecStart"][0])
            assert "--health-port" in argv, "the scheduler unit serves no probes"
            argv[argv.index("--health-port") + 1] = str(port)
            self.schedulers[port] = spawn(
                self.started,
                self.env,
                *argv,
                log=self.folder / f"scheduler-{port}.log",
                cwd=self.state,
            )
        conf = nginx_conf(
            "laowu.conf", self.folder, site_for(self.api_ports, self.http_port, self.https_port)
        )
        assert f":{self.api_ports[0]} " in (self.folder / "laowu.conf").read_text()
        self.nginx = start_nginx(self.started, conf)

    def start_api(self, port: int) -> subprocess.Popen[bytes]:
        """One API process as ``laowu-api@<port>.service`` starts it."""
        run_pre(self.API_UNIT, self.moved)
        env = self.env | unit_environment(self.API_UNIT, self.moved)
        argv = exec_argv(unit(self.API_UNIT)["ExecStart"][0], str(port))
        self.apis[port] = proc = spawn(
            self.started, env, *argv, log=self.folder / f"api-{port}.log", cwd=self.state
        )
        return proc

    def pids(self, what: str) -> list[int]:
        """The pids of the API processes, the schedulers or nginx still running."""
        procs = {"api": self.apis, "scheduler": self.schedulers}.get(what)
        chosen = list(procs.values()) if procs is not None else [self.nginx]
        return [p.pid for p in chosen if p is not None and p.poll() is None]
