"""Benchmark of the worker register's spreadsheet export through the HTTP route, on SQLite and
PostgreSQL: rows per second and the server process's peak resident memory, at two sizes.

For each database: a fresh database migrated to head, an agency and ``--sizes`` workers written
in bulk straight into the tables (each with a skill, some with a priority group, a masked ID
number), an admin (``laowu admin create``), then ``laowu serve --no-scheduler`` on a port in
9200–9299. For each size (smaller first, the rest of the workers added between) it downloads
``GET /api/v1/workers/export.xlsx`` and ``.csv`` to a file, and samples the server's resident
memory every 20 ms from /proc. Streaming shows as a peak that does not grow with the rows.

    .venv/bin/python benchmarks/exports.py --databases sqlite,postgresql --sizes 20000,100000

JSON rows on stdout, progress on stderr. Only 127.0.0.1 is contacted; the server is always
stopped. PostgreSQL: ``--pg-url`` names the database to recreate (never ``test``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.api import HOST, Server, _fresh_postgres, _run, _venv_bin, log
from benchmarks.proc import TreePeak, rss_kib

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/laowu_bench_exports"
ADMIN, PASSWORD = "bench_admin", "bench-password-1"
SKILLS = ("sewing", "embroidery", "quilting", "assembly")
GROUPS = ("poor_household", "left_behind", "military_spouse")


async def add_workers(url: str, first: int, count: int) -> None:
    """Workers ``first`` … ``first + count - 1`` (and the agency, when ``first`` is 0)."""
    from sqlalchemy import insert, select

    from matching.db import models as m
    from matching.db.engine import create_engine

    engine = create_engine(url, pool_size=1)
    now = dt.datetime.now(dt.UTC)
    try:
        async with engine.begin() as conn:
            agency = (await conn.execute(select(m.Agency.id).limit(1))).scalar()
            if agency is None:
                agency = (
                    await conn.execute(
                        insert(m.Agency).values(name="基准中介").returning(m.Agency.id)
                    )
                ).scalar_one()
            for lo in range(first, first + count, 5000):
                ids = range(lo, min(lo + 5000, first + count))
                rows = [
                    {
                        "agency_id": agency,
                        "name": f"工人{n}",
                        "phone": f"+86198{n:08d}",
                        "birth_date": dt.date(1980 + n % 20, 1 + n % 12, 1 + n % 28),
                        "home_county": "通州区",
                        "sex": "female" if n % 2 else "male",
                        "willing_to_relocate": bool(n % 3),
                        "preferred_cities": ["上海", "苏州"][: n % 3],
                        "min_monthly_wage": 3000 + n % 3000,
                        "needs_housing": bool(n % 2),
                        "consent_matching": True,
                        "consent_sensitive": True,
                        "id_number_masked": f"3206**********{n % 10000:04d}",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in ids
                ]
                got = (
                    await conn.execute(insert(m.WorkerProfile).returning(m.WorkerProfile.id), rows)
                ).scalars()
                wids = list(got)
                await conn.execute(
                    insert(m.WorkerSkill),
                    [
                        {"worker_id": w, "skill_code": SKILLS[w % 4], "level": 1 + w % 5}
                        for w in wids
                    ],
                )
                await conn.execute(
                    insert(m.WorkerGroup),
                    [{"worker_id": w, "group_code": GROUPS[w % 3]} for w in wids if w % 4 == 0],
                )
    finally:
        await engine.dispose()


def download(port: int, token: str, suffix: str, server_pid: int) -> dict[str, Any]:
    out = Path(tempfile.mkstemp(suffix=suffix)[1])
    base = rss_kib(server_pid) / 1024
    peak = TreePeak(server_pid)
    start = time.perf_counter()
    try:
        with (
            httpx.stream(
                "GET",
                f"http://{HOST}:{port}/api/v1/workers/export{suffix}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=600,
            ) as r,
            out.open("wb") as f,
        ):
            r.raise_for_status()
            rows = int(r.headers["x-row-count"])
            for chunk in r.iter_bytes():
                f.write(chunk)
        seconds = time.perf_counter() - start
    finally:
        peak_mib = peak.stop()
        size = out.stat().st_size
        out.unlink()
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "file_mib": round(size / 2**20, 1),
        "server_rss_before_mib": round(base, 1),
        "server_peak_rss_mib": round(peak_mib, 1),
    }


def bench(database: str, url: str, sizes: list[int], port: int, work: Path) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOWU_")}
    env.update(
        LAOWU_DATABASE_URL=url,
        LAOWU_SECRET_KEY="bench-secret-key-" + "x" * 32,
        LAOWU_DATA_DIR=str(work),
        LAOWU_ADMIN_PASSWORD=PASSWORD,
    )
    os.environ.update({k: v for k, v in env.items() if k.startswith("LAOWU_")})
    _run([_venv_bin("laowu"), "migrate"], env, "migrate")
    _run([_venv_bin("laowu"), "admin", "create", "--username", ADMIN], env, "admin create")
    results, loaded = [], 0
    for size in sorted(sizes):
        log(f"{database}: {size - loaded} more workers (to {size})")
        asyncio.run(add_workers(url, loaded, size - loaded))
        loaded = size
        with Server(env, port, None, work / f"server-{database}-{size}.log") as server:
            r = httpx.post(
                f"http://{HOST}:{port}/api/v1/auth/token",
                json={"username": ADMIN, "password": PASSWORD},
                timeout=30,
            )
            token = r.json()["access_token"]
            assert server.proc is not None
            for suffix in (".xlsx", ".csv"):
                log(f"{database}: export {size} workers as {suffix}")
                row = download(port, token, suffix, server.proc.pid)
                assert row["rows"] == size, row
                results.append({"database": database, "format": suffix[1:], **row})
                print(json.dumps(results[-1]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--port", type=int, default=9252)
    args = parser.parse_args()
    if not 9200 <= args.port <= 9299:
        raise SystemExit("--port must lie in 9200–9299")
    sizes = [int(s) for s in args.sizes.split(",")]
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="laowu-bench-exports-") as tmp:
        for database in args.databases.split(","):
            work = Path(tmp) / database
            work.mkdir()
            if database == "sqlite":
                url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
            else:
                _fresh_postgres(args.pg_url)
                url = args.pg_url
            bench(database, url, sizes, args.port, work)
    print(json.dumps({"load_average_at_start": [round(x, 2) for x in load]}), flush=True)


if __name__ == "__main__":
    main()
