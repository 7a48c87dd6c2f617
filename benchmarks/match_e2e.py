"""End to end on PostgreSQL: a synthetic prefecture loaded into the database, then
`laowu match run --wait` timed as a user runs it (snapshot, solve, write of proposals, offers,
links and notices). Prints JSON; progress goes to stderr.

    .venv/bin/python benchmarks/match_e2e.py --size M [--partitions N] [--pg-url postgresql://postgres@127.0.0.1:5432/laowu_bench_match]

The database named in --pg-url is dropped and recreated (never `test`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.proc import DatabaseCpu, TreePeak  # noqa: E402
from matching.db.migrate import upgrade  # noqa: E402
from matching.engine import NO_DAY  # noqa: E402
from matching.lib import clock  # noqa: E402
from matching.lib.reference import reference  # noqa: E402
from seeds.synthetic import generate  # noqa: E402

SIZES = {"S": (10_000, 1_000), "M": (100_000, 10_000), "L": (1_000_000, 50_000)}
TARGET_S = {"S": 2, "M": 10, "L": 90}  # issue 15: M in half its 21 s, L within 90 s
EPOCH = dt.date(1970, 1, 1)


def say(message: str) -> None:
    print(f"[match_e2e] {message}", file=sys.stderr, flush=True)


def day(value: int) -> dt.date | None:
    return None if value == NO_DAY else EPOCH + dt.timedelta(days=int(value))


async def recreate(admin_dsn: str, name: str) -> None:
    if name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to drop database {name!r}")
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def load(dsn: str, n_workers: int, n_openings: int) -> dict[str, Any]:
    today = clock.today()
    t0 = time.perf_counter()
    workers, openings, vocab, _ = generate(
        n_workers, n_openings, seed=7, today=(today - EPOCH).days
    )
    gen_s = time.perf_counter() - t0
    known = reference().skill_codes
    skill_codes = [s.code for s in vocab.skills]  # the generator uses reference codes
    assert all(c in known for c in skill_codes), skill_codes
    now = clock.now()
    t0 = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO agencies (id, name, created_at) VALUES (1, '合成劳务', $1)", now
        )
        employer_ids = np.unique(openings.employer_id)
        rep = {int(e): (50, 50, False) for e in employer_ids}
        for i, e in enumerate(openings.employer_id):
            rep[int(e)] = (
                int(openings.reputation[i]),
                int(openings.protection[i]),
                bool(openings.partner[i]),
            )
        city = vocab.cities[int(openings.city[0])]
        await conn.copy_records_to_table(
            "employers",
            records=[
                (int(e), f"工厂{int(e)}", city, None, r, p, pt, False, 1, now)
                for e, (r, p, pt) in rep.items()
            ],
            columns=["id", "name", "city", "industry", "reputation", "labour_protection",
                     "partner", "suspended", "version", "created_at"],
        )  # fmt: skip
        start_floor = today + dt.timedelta(days=1)
        await conn.copy_records_to_table(
            "openings",
            records=[
                (
                    int(openings.id[i]),
                    int(openings.employer_id[i]),
                    f"岗位{int(openings.id[i])}",
                    vocab.cities[int(openings.city[i])],
                    vocab.counties[int(openings.county[i])] if openings.county[i] >= 0 else None,
                    int(openings.capacity[i]),
                    int(openings.wage_min[i]),
                    int(openings.wage_max[i]),
                    bool(openings.housing[i]),
                    max(day(int(openings.start_day[i])) or start_floor, start_floor),
                    "open",
                    1,
                    now,
                    now,
                )
                for i in range(len(openings))
            ],
            columns=["id", "employer_id", "title", "city", "county", "headcount",
                     "monthly_wage_min", "monthly_wage_max", "housing_provided", "start_date",
                     "status", "version", "created_at", "updated_at"],
        )  # fmt: skip
        os_rows = [
            (int(openings.id[i]), skill_codes[s], int(openings.skill_min[i, s]))
            for i, s in zip(*np.nonzero(openings.skill_min), strict=True)
        ]
        await conn.copy_records_to_table(
            "opening_skills", records=os_rows, columns=["opening_id", "skill_code", "min_level"]
        )
        say(f"{len(openings)} openings loaded")
        ptr = workers.pref_ptr
        records = []
        for i in range(len(workers)):
            prefs = [vocab.cities[int(c)] for c in workers.pref_city[ptr[i] : ptr[i + 1]]]
            records.append(
                (
                    int(workers.id[i]),
                    1,
                    f"工人{int(workers.id[i])}",
                    f"+86138{int(workers.id[i]):08d}",
                    day(int(workers.birth_day[i])),
                    vocab.counties[int(workers.home_county[i])],
                    bool(workers.relocate[i]),
                    json.dumps(prefs, ensure_ascii=False),
                    int(workers.min_wage[i]) or None,
                    bool(workers.needs_housing[i]),
                    day(int(workers.available_day[i])),
                    True,
                    now,
                    "zh",
                    "available",
                    1,
                    dt.datetime.fromtimestamp(int(workers.registered_at[i]), dt.UTC),
                    now,
                )
            )
        await conn.copy_records_to_table(
            "worker_profiles",
            records=records,
            columns=["id", "agency_id", "name", "phone", "birth_date", "home_county",
                     "willing_to_relocate", "preferred_cities", "min_monthly_wage",
                     "needs_housing", "available_from", "consent_matching", "consent_at",
                     "locale", "status", "version", "created_at", "updated_at"],
        )  # fmt: skip
        ws_rows = []
        for i, s in zip(*np.nonzero(workers.skill), strict=True):
            trained = day(int(workers.trained_day[i, s]))
            ws_rows.append(
                (int(workers.id[i]), skill_codes[s], int(workers.skill[i, s]),
                 "training" if trained else "declared", trained)
            )  # fmt: skip
        await conn.copy_records_to_table(
            "worker_skills",
            records=ws_rows,
            columns=["worker_id", "skill_code", "level", "source", "certified_on"],
        )
        wg_rows = [
            (int(workers.id[i]), g.code)
            for bit, g in enumerate(vocab.groups)
            for i in np.nonzero(workers.groups & (1 << bit))[0]
        ]
        await conn.copy_records_to_table(
            "worker_groups", records=wg_rows, columns=["worker_id", "group_code"]
        )
        for table in ("agencies", "employers", "openings", "worker_profiles"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    load_s = time.perf_counter() - t0
    say(f"{len(workers)} workers loaded ({load_s:.1f}s)")
    return {"generate_s": round(gen_s, 2), "load_s": round(load_s, 2),
            "workers": len(workers), "openings": len(openings),
            "worker_skills": len(ws_rows), "priority_members": len(wg_rows)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="M")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/laowu_bench_match"
    )
    parser.add_argument(
        "--partitions",
        type=int,
        help="run the N shares of the markets at once (laowu match run --partitions N)",
    )
    args = parser.parse_args()
    dsn = args.pg_url.replace("postgresql+asyncpg://", "postgresql://")
    name = dsn.rsplit("/", 1)[1]
    admin_dsn = dsn.rsplit("/", 1)[0] + "/postgres"
    n_workers, n_openings = SIZES[args.size]
    asyncio.run(recreate(admin_dsn, name))
    url = "postgresql+asyncpg://" + dsn.split("://", 1)[1]
    upgrade(url)
    loaded = asyncio.run(load(dsn, n_workers, n_openings))
    env = os.environ | {"LAOWU_DATABASE_URL": url, "LAOWU_SECRET_KEY": "bench-" + "k" * 40}
    laowu = str(Path(sys.executable).parent / "laowu")
    argv = [laowu, "match", "run", "--wait"]
    if args.partitions:
        argv += ["--partitions", str(args.partitions)]
    say(" ".join(argv[1:]) + " ...")
    database_cpu = DatabaseCpu(name)
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak = TreePeak(proc.pid)
    stdout, stderr = proc.communicate(timeout=1800)
    wall = time.perf_counter() - t0
    peak_mib = peak.stop()
    pg_cpu = database_cpu.stop()
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    sys.stderr.write(stderr)
    if proc.returncode != 0:
        raise SystemExit(f"match run failed: {stderr[-2000:]}")
    with open("/proc/loadavg") as f:
        load_1min = f.read().split()[0]
    answer = json.loads(stdout)
    shares = answer if isinstance(answer, list) else [answer]  # --partitions: one per share
    run = shares[0] if len(shares) == 1 else {
        "status": ",".join(sorted({r["status"] for r in shares})),
        "stats": {k: sum(r["stats"].get(k, 0) for r in shares) for k in shares[0]["stats"]},
        "timings": {f"share_{r['share']}": r["timings"] for r in shares},
    }  # fmt: skip
    print(
        json.dumps(
            {
                "size": args.size,
                "database": "postgresql",
                "loaded": loaded,
                "partitions": args.partitions or 1,
                "match_run_wall_s": round(wall, 2),
                "target_s": TARGET_S[args.size],
                # CPU of the command and every process under it (not PostgreSQL's): steadier
                # than the wall time on a shared machine.
                "match_run_cpu_s": round(cpu, 2),
                # The database's backends for this run (sampled from /proc), beside it.
                "postgresql_cpu_s": round(pg_cpu, 2),
                "peak_tree_rss_mib": round(peak_mib, 1),
                "load_average_1min": float(load_1min),
                "status": run["status"],
                "stats": run["stats"],
                "timings_s": run["timings"],
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
