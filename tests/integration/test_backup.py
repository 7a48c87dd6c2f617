"""Backup and restore as the runbook says (deploy/README.md, "Backup and restore"): `pg_dump`
of a live `laowu serve` while registrations are written to it, `pg_restore` into a new
database, `laowu migrate` there changes nothing, and `laowu serve` on the restored database
answers with the counts of the dump's snapshot."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import PG_URL, TEST_SECRET
from tests.servers import LAOWU, serving
from tests.support import PASSWORD, unique_phone, worker_payload

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# What each registration writes in its one transaction: a snapshot holds all of them or none.
TABLES = ("accounts", "agencies", "worker_profiles", "worker_skills", "worker_groups", "consents")


def _dsn(name: str) -> str:
    assert PG_URL is not None
    server, _, base = PG_URL.replace("postgresql+asyncpg://", "postgresql://").rpartition("/")
    return f"{server}/{base}_{name}"


async def _sql(dsn: str, *statements: str) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return [await conn.fetch(s) for s in statements]
    finally:
        await conn.close()


def _admin_sql(*statements: str) -> None:
    assert PG_URL is not None
    asyncio.run(_sql(PG_URL.replace("postgresql+asyncpg://", "postgresql://"), *statements))


def counts(dsn: str) -> dict[str, int]:
    found = asyncio.run(_sql(dsn, *(f"SELECT count(*) FROM {t}" for t in TABLES)))
    return {t: int(rows[0][0]) for t, rows in zip(TABLES, found, strict=True)}


def schema(dsn: str) -> list[Any]:
    """The columns, indexes and migration head: what a migration could change."""
    cols, idx, head = asyncio.run(
        _sql(
            dsn,
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
            "SELECT version_num FROM alembic_version",
        )
    )
    return [list(map(tuple, cols)), list(map(tuple, idx)), list(map(tuple, head))]


def env_for(dsn: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOWU_")}
    return env | {
        "LAOWU_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "LAOWU_SECRET_KEY": TEST_SECRET,
        "LAOWU_DATA_DIR": str(tmp),
        "LAOWU_ADMIN_PASSWORD": PASSWORD,
    }


def run(*argv: str, env: dict[str, str] | None = None, timeout: int = 120) -> str:
    done = subprocess.run(  # noqa: S603 - fixed arguments: pg tools and our own script
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{argv[0]} failed: {done.stdout}\n{done.stderr}"
    return done.stdout


def login(base: str) -> dict[str, str]:
    r = httpx.post(
        f"{base}/api/v1/auth/token", json={"username": "root", "password": PASSWORD}, timeout=30
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class Load(threading.Thread):
    """Registrations, one after another, until stopped or ``limit`` are written."""

    def __init__(self, base: str, headers: dict[str, str], agency_id: int, limit: int) -> None:
        super().__init__(daemon=True)
        self.base, self.headers, self.agency_id, self.limit = base, headers, agency_id, limit
        self.stop = threading.Event()
        self.written = 0
        self.errors: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as client:
            while not self.stop.is_set() and self.written < self.limit:
                body = worker_payload(phone=unique_phone(), agency_id=self.agency_id)
                r = client.post("/api/v1/workers", json=body)
                if r.status_code == 201:
                    self.written += 1
                else:
                    self.errors.append(f"{r.status_code} {r.text[:200]}")


def test_dump_during_load_restores_to_a_serving_database(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("LAOWU_TEST_DATABASE_URL is not set")
    source, restored = _dsn("backup_src"), _dsn("backup_restored")
    src_name, restored_name = source.rpartition("/")[2], restored.rpartition("/")[2]
    dump = tmp_path / "laowu.dump"
    _admin_sql(
        f'DROP DATABASE IF EXISTS "{src_name}" WITH (FORCE)',
        f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)',
        f'CREATE DATABASE "{src_name}"',
    )
    try:
        env = env_for(source, tmp_path)
        run(LAOWU, "admin", "create", "--username", "root", env=env)  # migrates first
        with serving(env, tmp_path / "source.log", "--no-scheduler") as base:
            headers = login(base)
            agency = httpx.post(
                f"{base}/api/v1/agencies", json={"name": "县劳务站"}, headers=headers, timeout=30
            ).json()
            load = Load(base, headers, agency["id"], limit=3000)
            load.start()
            while load.written < 20 and load.is_alive():  # the load is under way
                time.sleep(0.05)
            before = counts(source)["worker_profiles"]
            # The runbook's command, while serving:
            run("pg_dump", "--format=custom", f"--file={dump}", source)
            after = counts(source)["worker_profiles"]
            load.stop.set()
            load.join(timeout=60)
            assert not load.errors, load.errors[:3]
            assert load.written > 20
        assert before < after, "the dump ran while nothing was written"

        _admin_sql(f'CREATE DATABASE "{restored_name}"')
        run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump))
        restored_env = env_for(restored, tmp_path)
        shape = schema(restored)
        rows = counts(restored)
        assert "database migrated to head" in run(LAOWU, "migrate", env=restored_env)
        assert schema(restored) == shape and counts(restored) == rows  # a no-op: at head

        # pg_dump reads one consistent snapshot: every registration is whole or absent.
        assert before <= rows["worker_profiles"] <= after
        assert rows["consents"] == 2 * rows["worker_profiles"]  # matching and sensitive
        assert rows["worker_skills"] == rows["worker_profiles"]  # one skill each
        with serving(restored_env, tmp_path / "restored.log", "--no-scheduler") as base:
            headers = login(base)  # her account came back too, and the key still signs
            answer = httpx.get(
                f"{base}/api/v1/workers", params={"limit": 1}, headers=headers, timeout=30
            ).json()
            assert answer["total"] == rows["worker_profiles"]
            listed = httpx.get(f"{base}/api/v1/agencies", headers=headers, timeout=30).json()
            assert [a["name"] for a in listed["items"]] == ["县劳务站"]
    finally:
        _admin_sql(
            f'DROP DATABASE IF EXISTS "{src_name}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)',
        )
