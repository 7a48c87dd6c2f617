"""The federation's summary at scale: GET /api/v1/reports/summary over 1,000,000 placements on
PostgreSQL (100,000 on SQLite), timed over HTTP. Target: ≤ 1 s on PostgreSQL (issue 12).

For each database the script makes a fresh database, migrates it, loads a synthetic world by
COPY on PostgreSQL (asyncpg's ``copy_records_to_table``; ``executemany`` on SQLite): 3
agencies with their offices, 300 employers (a tenth local workshops), 3,000 openings in 12
cities, workers (0.3 per placement; 60% women by a declared sex, a third in a priority group),
one confirmed offer per placement, the placements over two years (a tenth ended by dismissal
and a share of the next ones placed again with the days waited; wages 3,000–8,000), 500 rights
cases and 40 job fairs. Then it starts ``laowu serve --no-scheduler`` on 127.0.0.1 (a port in
9300–9399), creates an admin (``laowu admin create``) and one agency's staff, and times the
route: the median of ``--calls`` calls (after one warm-up) for a whole year and for one month,
as the admin and as the staff. Figures go to stdout as JSON, with the load average.

    .venv/bin/python benchmarks/summary.py --databases postgresql,sqlite

Only 127.0.0.1 is contacted. ``--pg-url`` names the database to (re)create; it refuses
a name without ``bench`` in it (a test's or the service's database).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.db import migrate, next_starts, wage_changes  # noqa: E402

HOST = "127.0.0.1"
PORT = 9331  # --port overrides
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/laowu_bench_h3"
PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway account on a throwaway database)
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"  # noqa: S105
CITIES = [
    "上海",
    "苏州",
    "昆山",
    "杭州",
    "宁波",
    "南京",
    "无锡",
    "常州",
    "合肥",
    "广州",
    "深圳",
    "东莞",
]
COUNTIES = ["泗县", "通州区", "灵璧县", "萧县"]
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
FIRST = dt.date(2025, 1, 1)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def world(placements: int, seed: int = 12) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as tuples in column order (see COLUMNS)."""
    rng = random.Random(seed)
    n_workers = max(10, int(placements * 0.3))
    agencies = [(i, f"劳务公司{i}", NOW) for i in (1, 2, 3)]
    offices = [(i, 1 + (i - 1) % 3, f"办事处{i}", CITIES[i - 1], NOW) for i in range(1, 10)]
    employers = [
        (i, f"用人单位{i}", CITIES[i % 12], 70, 70, False, False, 1, NOW, i % 10 == 0)
        for i in range(1, 301)
    ]
    openings = [
        (i, 1 + i % 300, "岗位", CITIES[(1 + i % 300) % 12], 10, 3000, 8000, True, FIRST,
         "open", 1, NOW, NOW)
        for i in range(1, 3001)
    ]  # fmt: skip
    workers = [
        (i, 1 + i % 3, f"劳动力{i}", True, "[]", False, True, "zh", "placed", 1, NOW, NOW,
         False, "female" if rng.random() < 0.6 else "male")
        for i in range(1, n_workers + 1)
    ]  # fmt: skip
    groups = [(i, "poor_household") for i in range(1, n_workers + 1) if i % 3 == 0]
    offers, placed = [], []
    span = 730
    for pid in range(1, placements + 1):
        w = 1 + rng.randrange(n_workers)
        o = 1 + rng.randrange(3000)
        start = FIRST + dt.timedelta(days=rng.randrange(span))
        ended = reason = waited = None
        r = rng.random()
        if r < 0.1:
            ended, reason = start + dt.timedelta(days=rng.randrange(10, 200)), "dismissed"
        elif r < 0.4:
            ended, reason = start + dt.timedelta(days=rng.randrange(30, 400)), "completed"
        if rng.random() < 0.05:
            waited = rng.randrange(1, 90)
        offers.append((pid, w, o, "confirmed", NOW, NOW, 1))
        placed.append(
            (pid, pid, w, o, 1 + o % 300, 1 + w % 3, start, "ended" if ended else "active",
             "staff", NOW, 1, rng.randrange(3000, 8001), ended, reason, waited,
             rng.random() < 0.2)
        )  # fmt: skip
    cases = [
        (i, "wage_arrears", "resolved" if i % 2 else "mediating", i, placed[i - 1][2],
         placed[i - 1][4], placed[i - 1][5], "案件", 5000, 3000 if i % 2 else 0, "staff",
         NOW - dt.timedelta(days=i % 300), 1)
        for i in range(1, min(500, placements) + 1)
    ]  # fmt: skip
    fairs = [
        (i, f"招聘会{i}", FIRST + dt.timedelta(days=18 * i), "广场", 1 + i % 3, 800, 500,
         f"c{i:08d}bench", 1, NOW)
        for i in range(1, 41)
    ]  # fmt: skip
    return {
        "agencies": agencies,
        "offices": offices,
        "employers": employers,
        "openings": openings,
        "worker_profiles": workers,
        "worker_groups": groups,
        "offers": offers,
        "placements": placed,
        "cases": cases,
        "job_fairs": fairs,
    }


COLUMNS = {
    "agencies": ["id", "name", "created_at"],
    "offices": ["id", "agency_id", "name", "city", "created_at"],
    "employers": ["id", "name", "city", "reputation", "labour_protection", "partner",
                  "suspended", "version", "created_at", "local_workshop"],
    "openings": ["id", "employer_id", "title", "city", "headcount", "monthly_wage_min",
                 "monthly_wage_max", "housing_provided", "start_date", "status", "version",
                 "created_at", "updated_at"],
    "worker_profiles": ["id", "agency_id", "name", "willing_to_relocate", "preferred_cities",
                        "needs_housing", "consent_matching", "locale", "status", "version",
                        "created_at", "updated_at", "consent_sensitive", "sex"],
    "worker_groups": ["worker_id", "group_code"],
    "offers": ["id", "worker_id", "opening_id", "status", "created_at", "expires_at", "version"],
    "placements": ["id", "offer_id", "worker_id", "opening_id", "employer_id", "agency_id",
                   "start_date", "status", "confirmed_by", "created_at", "version",
                   "monthly_wage", "ended_on", "end_reason", "reemployed_after_days",
                   "in_home_county"],
    "cases": ["id", "type", "status", "placement_id", "worker_id", "employer_id", "agency_id",
              "summary", "money_claimed", "money_recovered", "opened_by", "opened_at",
              "version"],
    "job_fairs": ["id", "name", "date", "place", "agency_id", "attendees", "consultations",
                  "register_code", "version", "created_at"],
}  # fmt: skip


async def load(url: str, rows: dict[str, list[tuple[Any, ...]]]) -> float:
    """Every table in one transaction: COPY on PostgreSQL; returns the seconds it took."""
    t0 = time.perf_counter()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if url.startswith("postgresql"):
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                for table, records in rows.items():
                    await driver.copy_records_to_table(
                        table, records=records, columns=COLUMNS[table]
                    )
                for table in rows:
                    if "id" in COLUMNS[table]:
                        await conn.execute(
                            sa.text(
                                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                                f" (SELECT max(id) FROM {table}))"
                            )
                        )
            else:
                meta = sa.MetaData()
                await conn.run_sync(meta.reflect)
                for table, records in rows.items():
                    cols = COLUMNS[table]
                    t = meta.tables[table]
                    for i in range(0, len(records), 20_000):
                        await conn.execute(
                            t.insert(),
                            [dict(zip(cols, r, strict=True)) for r in records[i : i + 20_000]],
                        )
        async with AsyncSession(engine) as session, session.begin():
            # The COPY went around the placement writes: what they keep is made here.
            await wage_changes.rebuild(session)
            await next_starts.rebuild(session)
        async with engine.connect() as conn:
            if url.startswith("postgresql"):
                await conn.execute(sa.text("COMMIT"))
                await conn.execute(sa.text("VACUUM ANALYZE"))
            else:
                await conn.execute(sa.text("ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - t0


def recreate_pg(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to recreate {name!r}: not a benchmark's database")
    admin = create_async_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")

    async def run() -> None:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()

    asyncio.run(run())


async def count_workers(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int(
                (await conn.execute(sa.text("SELECT count(*) FROM worker_profiles"))).scalar_one()
            )
    finally:
        await engine.dispose()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used (Linux /proc), 0 for one gone."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database (its pool's)."""
    if not url.startswith("postgresql"):
        return []
    name = url.rsplit("/", 1)[1]

    async def run() -> list[int]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = :d"
                        " AND pid <> pg_backend_pid()"
                    ),
                    {"d": name},
                )
                return [int(p) for p in found.scalars()]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def timed(
    client: httpx.Client, path: str, headers: dict[str, str], calls: int, server: int, url: str
) -> dict[str, Any]:
    r = client.get(path, headers=headers)  # warm-up
    r.raise_for_status()
    times = []
    pids = [server, *backends(url)]
    cpu0 = cpu_seconds(pids)
    for _ in range(calls):
        t0 = time.perf_counter()
        r = client.get(path, headers=headers)
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
    cpu = (cpu_seconds(pids) - cpu0) / calls
    body = r.json()
    return {
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "cpu_s_per_call": round(cpu, 3),
        "load_average": os.getloadavg(),
        "transferred": body["transferred"]["total"],
        "income_yuan": body["labour_income_yuan"]["total"],
    }


def bench(
    db: str,
    url: str,
    placements: int,
    calls: int,
    tmp: Path,
    port: int = PORT,
    keep_data: bool = False,
) -> dict[str, Any]:
    loaded = migrated = None
    if keep_data:  # the world a previous run loaded: only what the migrations add to it
        t0 = time.perf_counter()
        migrate.upgrade(url)
        migrated = time.perf_counter() - t0
        workers = asyncio.run(count_workers(url))
    else:
        if db == "postgresql":
            recreate_pg(url)
        migrate.upgrade(url)
        t0 = time.perf_counter()
        rows = world(placements)
        made = time.perf_counter() - t0
        log(f"{db}: {placements} placements made in {made:.1f} s; loading")
        loaded = asyncio.run(load(url, rows))
        workers = len(rows["worker_profiles"])
        log(f"{db}: loaded in {loaded:.1f} s")
    env = {
        **os.environ,
        "LAOWU_DATABASE_URL": url,
        "LAOWU_SECRET_KEY": SECRET,
        "LAOWU_DATA_DIR": str(tmp / "data"),
        "LAOWU_PUBLIC_URL": f"http://{HOST}:{port}",
    }
    laowu = shutil.which("laowu", path=str(Path(sys.executable).parent)) or "laowu"
    subprocess.run(
        [laowu, "admin", "create", "--username", "bench_admin", "--password", PASSWORD],
        env=env,
        check=not keep_data,
        capture_output=True,
        timeout=120,
    )  # fmt: skip (with --keep-data the admin is there already)
    log_file = (tmp / f"serve-{db}.log").open("wb")
    proc = subprocess.Popen(
        [laowu, "serve", "--host", HOST, "--port", str(port), "--no-scheduler"],
        env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://{HOST}:{port}/api/v1"
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=base, timeout=120) as c:
            while True:
                try:
                    if c.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / f"serve-{db}.log").read_text()[-2000:])
                time.sleep(0.5)

            def token(user: str) -> dict[str, str]:
                r = c.post("/auth/token", json={"username": user, "password": PASSWORD})
                r.raise_for_status()
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            admin = token("bench_admin")
            body = {"username": "bench_staff", "password": PASSWORD, "role": "staff",
                    "agency_id": 1}  # fmt: skip
            new_staff = c.post("/staff", headers=admin, json=body)
            if not (keep_data and new_staff.status_code == 409):  # there already
                new_staff.raise_for_status()
            staff = token("bench_staff")
            year, month = "from=2026-01-01&to=2026-12-31", "from=2026-03-01&to=2026-03-31"
            out = {
                f"{who}_{span}": timed(c, f"/reports/summary?{q}", h, calls, proc.pid, url)
                for who, h in (("admin", admin), ("agency_staff", staff))
                for span, q in (("year", year), ("month", month))
            }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()
    return {
        "placements": placements,
        "workers": workers,
        "load_seconds": None if loaded is None else round(loaded, 1),
        "migrate_seconds": None if migrated is None else round(migrated, 1),
        "routes": out,
        "target_s": 1.0 if db == "postgresql" else None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--databases", default="postgresql,sqlite")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL)
    p.add_argument("--pg-placements", type=int, default=1_000_000)
    p.add_argument("--sqlite-placements", type=int, default=100_000)
    p.add_argument("--calls", type=int, default=5)
    p.add_argument("--port", type=int, default=PORT)
    p.add_argument(
        "--keep-data",
        action="store_true",
        help="time the world a previous run loaded (after migrating it) instead of a new one",
    )
    args = p.parse_args()
    result: dict[str, Any] = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="laowu-summary-") as tmp:
        for db in args.databases.split(","):
            if db == "postgresql":
                url, n = args.pg_url, args.pg_placements
            else:
                url, n = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args.sqlite_placements
            result[db] = bench(db, url, n, args.calls, Path(tmp), args.port, args.keep_data)
            result[db]["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
