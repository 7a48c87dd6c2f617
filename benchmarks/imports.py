"""Speed of the worker import: 100,000 realistic rows as CSV and as XLSX, each imported (every
row validated, one transaction, COPY on PostgreSQL) into a fresh PostgreSQL and SQLite
database. Prints JSON: rows/s and the peak resident memory of the importing process (its
whole tree, sampled from /proc) per format × database, beside the targets of issue 12.

    .venv/bin/python benchmarks/imports.py [--rows 100000] [--pg-url postgresql://postgres@127.0.0.1:5432/laowu_bench_h1]

Each import runs in a child process of its own (so that one's memory is not the next's).
The PostgreSQL database named by --pg-url is dropped and recreated for each run (never
``test``). Timed: reading the file, checking every row, finding duplicates, writing, commit.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.proc import TreePeak  # noqa: E402

TARGETS = {"postgresql": {"csv": 20_000, "xlsx": 10_000}}
PEAK_TARGET_MIB = 1024
HEADERS = [
    "姓名",
    "手机号",
    "身份证号",
    "出生日期",
    "户籍县",
    "技能",
    "重点群体",
    "愿意外出",
    "意向城市",
    "最低月薪",
    "需要住宿",
    "可上岗日期",
    "同意匹配",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂英", "秀兰", "玉兰", "桂兰", "丽", "敏", "静", "芳", "娟", "霞", "燕", "红梅"]
COUNTIES = [("320612", "通州区"), ("320682", "如皋市"), ("420506", "夷陵区"), ("500101", "万州区")]
SKILLS = ["缝纫", "绣花", "绗缝", "电工", "电焊", "电子装配", "质检"]
GROUPS = ["贫困户", "军嫂", "三峡移民", "留守妇女"]
CITIES = ["上海", "苏州", "昆山", "南通", "无锡"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(region: str, born: dt.date, serial: int) -> str:
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def rows(n: int, seed: int = 12) -> list[list[str]]:
    rnd = random.Random(seed)
    out = []
    taken: set[tuple[str, dt.date, int]] = set()
    for i in range(n):
        region, county = COUNTIES[i % len(COUNTIES)]
        born = dt.date(1970, 1, 1) + dt.timedelta(days=rnd.randrange(35 * 365))
        serial = rnd.randrange(1000)
        while (region, born, serial) in taken:  # one ID number, one woman
            serial = (serial + 1) % 1000
        taken.add((region, born, serial))
        skills = rnd.sample(SKILLS, rnd.randrange(0, 4))
        out.append(
            [
                rnd.choice(SURNAMES) + rnd.choice(GIVEN),
                f"1{rnd.choice('3589')}{i:09d}",
                _id_number(region, born, serial) if rnd.random() < 0.9 else "",
                born.isoformat(),
                county,
                ";".join(f"{s}:{rnd.randint(1, 5)}" for s in skills),
                rnd.choice(GROUPS) if rnd.random() < 0.2 else "",
                "是" if rnd.random() < 0.7 else "否",
                "、".join(rnd.sample(CITIES, rnd.randrange(0, 3))),
                str(rnd.randrange(3000, 7000, 100)),
                "是" if rnd.random() < 0.5 else "否",
                "",
                "是" if rnd.random() < 0.95 else "否",
            ]
        )
    return out


def write_files(data: list[list[str]], folder: Path) -> dict[str, Path]:
    import xlsxwriter

    csv_path = folder / "workers.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(data)
    xlsx_path = folder / "workers.xlsx"
    book = xlsxwriter.Workbook(str(xlsx_path), {"constant_memory": True})
    ws = book.add_worksheet()
    ws.write_row(0, 0, HEADERS)
    for i, row in enumerate(data, start=1):
        for j, v in enumerate(row):
            if v:
                ws.write_string(i, j, v)
    book.close()
    return {"csv": csv_path, "xlsx": xlsx_path}


async def _recreate_pg(url: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    base, name = dsn.rsplit("/", 1)
    if name == "test":
        raise SystemExit("refusing to drop the test suite's database")
    conn = await asyncpg.connect(base + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def child(url: str, path: Path, max_rows: int) -> None:
    """One import, in this process: migrate, make an agency, then the timed import."""
    from matching.db import migrate
    from matching.db.engine import create_engine, create_sessionmaker
    from matching.lib.context import Context
    from matching.lib.principal import SYSTEM
    from matching.network.service import create_agency
    from matching.profiles.imports import import_workers
    from matching.settings import Settings

    settings = Settings(database_url=url, secret_key="bench-" + "k" * 40, import_max_rows=max_rows)
    migrate.upgrade(url)
    ctx = Context.from_settings(settings)

    async def run() -> dict[str, Any]:
        engine = create_engine(url, pool_size=2)
        maker = create_sessionmaker(engine)
        try:
            async with maker() as session, session.begin():
                agency = await create_agency(session, SYSTEM, "bench agency")
            marks: dict[str, float] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if done == total:  # the end of a phase
                    marks[phase] = round(time.perf_counter() - started, 3)

            started = time.perf_counter()
            cpu = time.process_time()
            content = path.read_bytes()  # noqa: ASYNC240 - timed on purpose, nothing else runs
            async with maker() as session, session.begin():
                result = await import_workers(
                    session, ctx, SYSTEM, content, path.name, agency_id=agency.id, progress=progress
                )
                marks["flushed"] = round(time.perf_counter() - started, 3)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
        finally:
            await engine.dispose()
        return {
            "rows": result.rows,
            "created": result.created,
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),  # this process's; PostgreSQL's own work not counted
            "phases_s": marks,  # seconds from the start to the end of each phase
        }

    print(json.dumps(asyncio.run(run())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/laowu_bench_h1")
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.rows)
        return
    pg_url = "postgresql+asyncpg://" + args.pg_url.split("://", 1)[1]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        files = write_files(rows(args.rows), folder)
        print(
            f"[bench] wrote {args.rows} rows in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        for db in args.databases.split(","):
            for fmt in args.formats.split(","):
                if db == "postgresql":
                    asyncio.run(_recreate_pg(pg_url))
                    url = pg_url
                else:
                    url = f"sqlite+aiosqlite:///{folder / f'bench-{fmt}.db'}"
                cmd = [
                    sys.executable,
                    __file__,
                    "--rows",
                    str(args.rows),
                    "--child",
                    url,
                    str(files[fmt]),
                ]
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
                peak = TreePeak(proc.pid)
                out, _ = proc.communicate(timeout=1800)
                peak.stop()
                if proc.returncode != 0:
                    raise SystemExit(f"{db} {fmt}: the import failed ({proc.returncode})")
                run = json.loads(out.strip().splitlines()[-1])
                rate = run["rows"] / run["seconds"]
                target = TARGETS.get(db, {}).get(fmt)
                results.append(
                    {
                        "database": db,
                        "format": fmt,
                        "rows": run["rows"],
                        "created": run["created"],
                        "seconds": run["seconds"],
                        "rows_per_s": round(rate),
                        "target_rows_per_s": target,
                        "phases_s": run["phases_s"],
                        "cpu_seconds": run["cpu_seconds"],
                        "rows_per_cpu_s": round(run["rows"] / run["cpu_seconds"]),
                        "peak_rss_mib": round(peak.peak_kib / 1024, 1),
                        "peak_target_mib": PEAK_TARGET_MIB,
                        "met": (target is None or rate >= target)
                        and peak.peak_kib / 1024 <= PEAK_TARGET_MIB,
                    }
                )
                print(f"[bench] {json.dumps(results[-1])}", file=sys.stderr, flush=True)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "load_average": os.getloadavg(),
                "cpus": os.cpu_count(),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
