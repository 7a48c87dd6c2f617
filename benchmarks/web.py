"""Render times of the web console with 40,000 workers: the workers list and a worker's profile.

Makes a separate benchmark database (a temporary SQLite file by default; ``--pg-url`` for
PostgreSQL, never the test suite's ``test`` database), migrates it, bulk-inserts the workers
with their skills and priority groups (Core ``executemany`` in chunks), logs in through the
login form, and times the pages in process through Litestar's test client, so the figures are
server time (routing, session, services, queries, Jinja rendering) without a network. Prints
JSON with p50/p95/max in milliseconds per scenario.

    .venv/bin/python benchmarks/web.py --workers 40000 --requests 200
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway account on a throwaway database)
SKILLS = ["sewing", "embroidery", "quilting", "assembly", "welding", "cooking", "elder_care"]
GROUPS = ["poor_household", "military_spouse", "resettled_migrant", "left_behind", "laid_off"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [*"丽敏静燕红霞萍娟芳琴", "秀英", "桂英", "秀兰", "玉兰", "桂兰", "秀珍", "玉珍", "玉梅"]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


async def load(url: str, n: int) -> tuple[int, list[int]]:
    """The agency, its staff login, and ``n`` workers; returns the agency and worker ids."""
    from sqlalchemy import insert, select
    from sqlalchemy.ext.asyncio import AsyncSession

    from matching.db import models as m
    from matching.db.engine import create_engine
    from matching.lib.principal import SYSTEM
    from matching.network import service as network
    from matching.network.schemas import StaffCreate

    engine = create_engine(url)
    rng = random.Random(7)  # the same data every time
    now = dt.datetime.now(dt.UTC)
    async with AsyncSession(engine) as session, session.begin():
        agency = await network.create_agency(session, SYSTEM, "基准中介")
        other = await network.create_agency(session, SYSTEM, "另一家中介")
        await network.create_account(
            session,
            SYSTEM,
            StaffCreate(
                username="bench_staff", password=PASSWORD, role="staff", agency_id=agency.id
            ),
        )
    t0 = time.perf_counter()
    chunk = 5000
    for start in range(0, n, chunk):
        rows = []
        for i in range(start, min(n, start + chunk)):
            rows.append(
                {
                    # nine in ten are the benchmark agency's; the rest prove the scoping filter
                    "agency_id": agency.id if i % 10 else other.id,
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "phone": f"+86137{i:08d}",
                    "birth_date": dt.date(1970 + i % 35, 1 + i % 12, 1 + i % 28),
                    "home_county": rng.choice(["通州区", "海门区", "如东县", "启东市"]),
                    "willing_to_relocate": i % 3 != 0,
                    "preferred_cities": rng.sample(["上海", "苏州", "昆山", "南通"], k=i % 3),
                    "min_monthly_wage": 3000 + 100 * (i % 30),
                    "needs_housing": i % 2 == 0,
                    "consent_matching": True,
                    "locale": "zh",
                    "status": "available" if i % 7 else "placed",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(insert(m.WorkerProfile), rows)
    async with AsyncSession(engine) as session, session.begin():
        ids = list((await session.execute(select(m.WorkerProfile.id))).scalars())
        skills, groups = [], []
        for wid in ids:
            for code in rng.sample(SKILLS, k=1 + wid % 2):
                skills.append({"worker_id": wid, "skill_code": code, "level": 1 + wid % 5})
            if wid % 4 == 0:
                groups.append({"worker_id": wid, "group_code": GROUPS[wid % len(GROUPS)]})
        for i in range(0, len(skills), 10000):
            await session.execute(insert(m.WorkerSkill), skills[i : i + 10000])
        for i in range(0, len(groups), 10000):
            await session.execute(insert(m.WorkerGroup), groups[i : i + 10000])
        mine = list(
            (
                await session.execute(
                    select(m.WorkerProfile.id).where(m.WorkerProfile.agency_id == agency.id)
                )
            ).scalars()
        )
    # What autovacuum does within a minute of a bulk load: the planner's statistics and the
    # visibility map, without which the first plans are made for empty tables.
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
    await engine.dispose()
    log(f"loaded {n} workers in {time.perf_counter() - t0:.1f}s (and analysed them)")
    return agency.id, mine


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(q[94] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def measure(url: str, worker_ids: list[int], requests: int, data_dir: Path) -> Any:
    from litestar.testing import AsyncTestClient

    from matching.app import create_app
    from matching.settings import Settings

    settings = Settings(database_url=url, secret_key="bench-secret-" + "0" * 40, data_dir=data_dir)
    rng = random.Random(11)
    pages = max(1, len(worker_ids) // 25)
    scenarios: dict[str, Any] = {
        "workers_list_first_page": lambda: "/workers",
        "workers_list_deep_page": lambda: f"/workers?page={rng.randint(2, pages)}",
        "workers_search_name": lambda: "/workers?q=" + rng.choice(SURNAMES) + rng.choice(GIVEN),
        "workers_filter_skill_status": lambda: "/workers?skill=welding&status=available",
        "worker_profile": lambda: f"/workers/{rng.choice(worker_ids)}",
    }
    out: dict[str, Any] = {}
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        r = await client.post(
            "/login",
            data={"username": "bench_staff", "password": PASSWORD, "_csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        for name, path in scenarios.items():
            for _ in range(10):  # warm up: caches, connections, template compilation
                await client.get(path())
            samples = []
            for _ in range(requests):
                p = path()
                t = time.perf_counter()
                r = await client.get(p)
                samples.append(time.perf_counter() - t)
                assert r.status_code == 200, (p, r.status_code)
            out[name] = _stats(samples)
            log(f"{name}: {out[name]}")
    return out


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=40_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--pg-url", default=None, help="a PostgreSQL database to (re)create")
    args = ap.parse_args(argv)
    from matching.db import migrate

    with tempfile.TemporaryDirectory(prefix="laowu-web-bench-") as tmp:
        if args.pg_url:
            if args.pg_url.rstrip("/").rsplit("/", 1)[-1] in ("test", "postgres"):
                raise SystemExit("refusing to use the test suite's or the server's database")
            import asyncpg

            dsn = args.pg_url.replace("postgresql+asyncpg://", "postgresql://")

            async def reset() -> None:
                conn = await asyncpg.connect(dsn)
                try:
                    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                finally:
                    await conn.close()

            asyncio.run(reset())
            url = args.pg_url
        else:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        _, mine = asyncio.run(load(url, args.workers))
        results = asyncio.run(measure(url, mine, args.requests, Path(tmp)))
    dialect = "postgresql" if args.pg_url else "sqlite"
    print(json.dumps({"database": dialect, "workers": args.workers, "pages": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
