"""The real ``laowu`` console script, run as a subprocess against the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.support import Api, assert_problem

LAOWU = Path(sys.executable).parent / "laowu"


def _env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOWU_")}
    env.update(
        LAOWU_DATABASE_URL=db_url,
        LAOWU_SECRET_KEY=TEST_SECRET,
        LAOWU_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def laowu(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    assert LAOWU.exists(), f"the console script is not installed at {LAOWU}"
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(LAOWU), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def test_migrate(api: Api, db_url: str, tmp_path: Path) -> None:
    r = laowu("migrate", env=_env(db_url, tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "migrated" in r.stdout
    again = laowu("migrate", env=_env(db_url, tmp_path), cwd=tmp_path)  # idempotent
    assert again.returncode == 0, again.stderr
    assert (await api.request("GET", "/health")).json() == {"status": "ok", "database": "ok"}


async def test_admin_create_then_log_in(api: Api, db_url: str, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path)
    r = laowu(
        "admin", "create", "--username", "chief", "--password", "s3cret-pass", env=env, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert '"role": "admin"' in r.stdout and "s3cret-pass" not in r.stdout
    headers = await api.login("chief", "s3cret-pass")
    assert (await api.ok("GET", "/staff", headers))["total"] == 1

    # the password may come from the environment instead
    env2 = _env(db_url, tmp_path, LAOWU_ADMIN_PASSWORD="from-the-env-1")
    r = laowu("admin", "create", "--username", "deputy", env=env2, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    await api.login("deputy", "from-the-env-1")

    # a taken username, a short password, or no password at all: non-zero, nothing written
    before = await api.digest()
    for args, env_ in [
        (["--username", "chief", "--password", "another-pass"], env),
        (["--username", "shorty", "--password", "short"], env),
        (["--username", "nopass"], env),
    ]:
        r = laowu("admin", "create", *args, env=env_, cwd=tmp_path)
        assert r.returncode != 0, r.stdout
        assert r.stderr.startswith("laowu: "), r.stderr
        assert "Traceback" not in r.stderr
    assert await api.digest() == before
    r = await api.request("POST", "/auth/token", json={"username": "nopass", "password": "x"})
    assert_problem(r, 401)


async def test_seed_demo_is_idempotent(api: Api, db_url: str, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path)
    first = laowu("seed", "demo", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert await api.count("agencies") == 1
    assert await api.count("offices") == 3
    assert await api.count("employers") == 12
    assert 18 <= await api.count("openings") <= 22
    assert await api.count("worker_profiles") == 200
    accounts = [
        line.split() for line in first.stdout.splitlines() if line.startswith("  ") and line.split()
    ]
    assert accounts, first.stdout
    roles = {a[0] for a in accounts}
    assert {"admin", "staff"} <= roles, first.stdout
    # each printed account logs in with its printed password
    _role, username, password = accounts[0][:3]
    headers = await api.login(username, password)
    assert (await api.request("GET", "/agencies", headers)).status_code == 200

    before = await api.digest()
    second = laowu("seed", "demo", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "nothing new" in second.stdout
    for account in accounts:
        assert account[2] not in second.stdout  # no password printed twice
    assert await api.digest() == before
    # staff of the demo agency see the demo workers through the API
    staff = next(a for a in accounts if a[0] == "staff")
    page = await api.ok("GET", "/workers?limit=1", await api.login(staff[1], staff[2]))
    assert page["total"] == 200


def test_serve_refuses_postgresql_without_a_secret_key(tmp_path: Path) -> None:
    env = _env("postgresql+asyncpg://nobody@127.0.0.1:1/none", tmp_path)
    del env["LAOWU_SECRET_KEY"]
    r = laowu("serve", "--port", "1", env=env, cwd=tmp_path, timeout=60)
    assert r.returncode != 0
    assert "LAOWU_SECRET_KEY" in r.stderr
    assert "Traceback" not in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "fresh.db"
    env = _env(f"sqlite+aiosqlite:///{db}", tmp_path / "data")
    del env["LAOWU_SECRET_KEY"]  # on SQLite a key is made and kept in the data folder
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(  # noqa: S603
        [str(LAOWU), "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        answer: httpx.Response | None = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        output = (tmp_path / "serve.log").read_text()
        assert answer is not None, f"no answer within 20 s (exit {proc.poll()}): {output}"
        assert answer.status_code == 200
        assert answer.json() == {"status": "ok", "database": "ok"}
        assert f"her links point at http://127.0.0.1:{port}" in output
        assert db.exists()
        assert (tmp_path / "data" / "secret_key").exists()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_serve_on_a_busy_port_refuses_before_it_says_it_serves(tmp_path: Path) -> None:
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'busy.db'}", tmp_path / "data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = laowu("serve", "--port", str(port), "--no-scheduler", env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "--port" in r.stderr
    assert "serving on" not in r.stdout and "Traceback" not in r.stderr
    assert not (tmp_path / "busy.db").exists()  # nothing was migrated either


def test_her_links_point_where_the_server_listens_unless_a_public_url_is_set() -> None:
    from matching.cli import serving_settings
    from matching.settings import Settings

    base = Settings.from_env({})
    assert serving_settings(base, "127.0.0.1", 8100, {}).public_url == "http://127.0.0.1:8100"
    assert serving_settings(base, "0.0.0.0", 8100, {}).public_url == "http://127.0.0.1:8100"  # noqa: S104
    assert serving_settings(base, "::1", 8100, {}).public_url == "http://[::1]:8100"
    public = Settings.from_env({"LAOWU_PUBLIC_URL": "https://laowu.example.cn"})
    kept = serving_settings(
        public, "127.0.0.1", 8100, {"LAOWU_PUBLIC_URL": "https://laowu.example.cn"}
    )
    assert kept.public_url == "https://laowu.example.cn"


@pytest.mark.parametrize("args", [["no-such-command"], []])
def test_bad_command_lines_exit_non_zero(args: list[str], tmp_path: Path) -> None:
    r = laowu(*args, env=_env("sqlite+aiosqlite:///x.db", tmp_path), cwd=tmp_path, timeout=60)
    assert r.returncode != 0
    assert "usage" in r.stderr.lower()
