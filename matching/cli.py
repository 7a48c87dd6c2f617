"""The ``laowu`` command line: serve, scheduler, migrate, admin, seed (the composition root)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import getpass
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from matching.db import migrate
from matching.db.engine import create_engine, create_sessionmaker
from matching.lib import collector, logs
from matching.lib.context import Context
from matching.lib.errors import DomainError
from matching.network import passwords
from matching.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from matching.matches.partitions import Partition

T = TypeVar("T")


def _fail(message: str, code: int = 2) -> int:
    print(f"laowu: {message}", file=sys.stderr)
    return code


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one session and one transaction: the command owns the commit."""
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print("database migrated to head")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from matching.app import create_app

    settings.resolved_secret_key()  # refuse to start on PostgreSQL without a key, before migrating
    busy = _cannot_listen(args.host, args.port)
    if busy is not None:
        print(
            f"laowu serve: cannot listen on {args.host}:{args.port} ({busy}); another program "
            "uses that port: choose another with --port",
            file=sys.stderr,
        )
        return 2
    settings = serving_settings(settings, args.host, args.port, os.environ)
    migrate.upgrade(settings.database_url)
    lifespans = []
    if not args.no_scheduler:
        # The composition root wires the scheduler into the server's loop: matching never
        # imports workers. Only the leader fires, so several `serve` processes are safe.
        lifespans.append(_scheduler_lifespan(settings))
    app = create_app(settings, lifespans=lifespans)
    collector.settle()
    print(f"Laowu serving on http://{args.host}:{args.port}  (API docs: /schema)", flush=True)
    print(f"her links point at {settings.public_url}", flush=True)
    # The app decides whom to believe about the client's address (LAOWU_TRUSTED_PROXIES), so
    # uvicorn's own rule (trust X-Forwarded-For from 127.0.0.1) is off.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=(settings.log_level or "INFO").lower(),
        log_config=None,  # uvicorn's loggers propagate to the one handler of logs.configure
        access_log=args.access_log,
        proxy_headers=False,
    )
    return 0


def serving_settings(settings: Settings, host: str, port: int, env: Any) -> Settings:
    """Her links point where the server listens, unless LAOWU_PUBLIC_URL names the address
    the public reaches (a proxy's): ``laowu serve --port 8100`` sends links to port 8100."""
    if env.get("LAOWU_PUBLIC_URL"):
        return settings
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return dataclasses.replace(settings, public_url=f"http://{shown}:{port}")


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the server could not take ``host:port`` (it is busy, say), or None: asked before
    anything is migrated or printed, so a busy port is a clear refusal, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _scheduler_lifespan(
    settings: Settings, *, required: bool = False
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """The scheduler in the server's loop; its leadership on ``app.state`` for readiness.
    ``required``: a process that is only the scheduler refuses to start without one."""
    from workers import SchedulerAlreadyRunning, in_process

    @contextlib.asynccontextmanager
    async def scheduler(app: Any) -> AsyncIterator[None]:
        async with in_process(settings) as running:
            if running is None and required:
                raise SchedulerAlreadyRunning("another scheduler runs on this SQLite database")
            app.state.leadership = running.leadership if running is not None else None
            yield

    return scheduler


def cmd_scheduler(settings: Settings, args: argparse.Namespace) -> int:
    from workers import SchedulerAlreadyRunning, run_forever
    from workers.leader import FileLeadership

    settings.resolved_secret_key()
    if settings.is_sqlite:
        # Refuse before migrating or connecting: a second scheduler on one SQLite file would
        # fire every job twice. The lock taken here is the one the scheduler keeps.
        probe = FileLeadership(settings.database_url)
        try:
            probe.acquire()
        except SchedulerAlreadyRunning as exc:
            return _fail(str(exc), 1)
        finally:
            asyncio.run(probe.stop())
    migrate.upgrade(settings.database_url)
    if args.health_port is not None:
        # Probes for a supervisor (Kubernetes): the health routes, served in the scheduler's
        # loop; uvicorn's SIGTERM stops the server, and with it the scheduler, which lets go
        # of the lock.
        import uvicorn

        from matching.app import create_probe_app

        app = create_probe_app(settings, lifespans=[_scheduler_lifespan(settings, required=True)])
        uvicorn.run(
            app,
            host=args.health_host,
            port=args.health_port,
            log_level="warning",
            log_config=None,
            access_log=False,
            proxy_headers=False,
        )
        return 0
    try:
        asyncio.run(run_forever(settings))
    except SchedulerAlreadyRunning as exc:  # lost the race between the probe and the start
        return _fail(str(exc), 1)
    return 0


def cmd_admin_create(settings: Settings, args: argparse.Namespace) -> int:
    from matching.network.service import create_admin

    password = args.password or os.environ.get("LAOWU_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            return _fail("give --password or set LAOWU_ADMIN_PASSWORD")
        password = getpass.getpass("password for the new admin: ")
    passwords.configure(settings.argon2_time_cost, settings.argon2_memory_kib)
    migrate.upgrade(settings.database_url)
    account = asyncio.run(
        _in_transaction(settings, lambda s: create_admin(s, args.username, password))
    )
    print(json.dumps({"id": account.id, "username": account.username, "role": account.role}))
    return 0


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from seeds.demo import load_demo

    ctx = Context.from_settings(settings)
    passwords.configure(settings.argon2_time_cost, settings.argon2_memory_kib)
    migrate.upgrade(settings.database_url)
    report = asyncio.run(_in_transaction(settings, lambda s: load_demo(s, ctx)))
    for line in report.lines():
        print(line)
    return 0


def _progress(prefix: str = "") -> Callable[[str, str], None]:
    def progress(phase: str, message: str) -> None:
        print(f"{prefix}[{phase}] {message}", file=sys.stderr, flush=True)

    return progress


async def _match_once(
    settings: Settings,
    partition: Partition,
    *,
    dry_run: bool,
    progress: Callable[[str, str], None],
) -> Any:
    """Queue one run over ``partition`` and carry it to the end (None: another process took it)."""
    from matching.lib.principal import SYSTEM
    from matching.matches.runner import execute_run
    from matching.matches.service import lease_of, request_run

    ctx = Context.from_settings(settings)
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        maker = create_sessionmaker(engine)
        async with maker() as session, session.begin():
            queued = await request_run(
                session,
                SYSTEM,
                dry_run=dry_run,
                trigger="cli",
                lease=lease_of(ctx),
                partition=partition,
            )
        share = "" if partition.whole else f" over share {partition}"
        progress("queued", f"match run {queued.id}{share}{' (dry run)' if dry_run else ''}")
        # The engine solves in the solve pool, as for the API, so that this loop keeps
        # renewing the run's lease while it does (OR-Tools holds the GIL while it solves).
        return await execute_run(maker, ctx, queued.id, progress=progress)
    finally:
        await engine.dispose()


def match_share(
    settings: Settings, partition: Partition, dry_run: bool
) -> tuple[bytes | None, str]:
    """One share of ``laowu match run --partitions N``, in a process of the share pool: its
    run as JSON (None when another process took it) or the refusal that stopped it."""
    import msgspec

    from matching.matches.processes import shutdown_pool

    logs.configure(settings.log_format, settings.log_level or "WARNING")
    try:
        result = asyncio.run(
            _match_once(settings, partition, dry_run=dry_run, progress=_progress(f"{partition} "))
        )
    except DomainError as exc:
        return None, exc.detail
    finally:
        shutdown_pool(wait=True)  # before this process may end (``shutdown_pool``)
    return (None if result is None else msgspec.json.encode(result)), ""


def partitions_of(args: argparse.Namespace) -> list[Partition] | str:
    """The shares the command line asks for, or what is wrong with it."""
    from matching.lib.errors import Invalid
    from matching.matches import partitions

    try:
        if args.partitions is not None:
            n = partitions.checked(1, args.partitions).shares
            return [partitions.Partition(k, n) for k in range(1, n + 1)]
        if args.indexed_job is not None:
            index = os.environ.get("JOB_COMPLETION_INDEX", "")
            if not index.isdigit():
                return "--indexed-job needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job sets it)"
            return [partitions.checked(int(index) + 1, args.indexed_job)]
        if args.partition is not None:
            return [partitions.parse(args.partition)]
    except Invalid as exc:
        return f"{exc.detail}"
    except ValueError as exc:
        return str(exc)
    return [partitions.WHOLE]


def cmd_match_run(settings: Settings, args: argparse.Namespace) -> int:
    import msgspec

    from matching.matches.processes import share_pool, shutdown_pool

    shares = partitions_of(args)
    if isinstance(shares, str):
        return _fail(shares)
    if args.jobs is not None and args.jobs < 1:
        return _fail("--jobs must be at least 1")
    migrate.upgrade(settings.database_url)
    if len(shares) == 1:
        try:
            result = asyncio.run(
                _match_once(settings, shares[0], dry_run=args.dry_run, progress=_progress())
            )
        finally:
            shutdown_pool()
        if result is None:
            return _fail("the run was taken by another process", 1)
        if args.wait:
            print(msgspec.json.encode(result).decode())
        else:
            print(json.dumps({"id": result.id, "status": result.status}))
        return 0 if result.status == "done" else 1
    # Every share in its own process, --jobs at a time; each requests, solves and writes
    # its own run, so one refused or failed share stops no other.
    with share_pool(min(args.jobs or len(shares), len(shares))) as pool:
        futures = [pool.submit(match_share, settings, p, args.dry_run) for p in shares]
        outcomes = [f.result() for f in futures]
    ok = True
    runs: list[dict[str, Any]] = []
    for partition, (encoded, refusal) in zip(shares, outcomes, strict=True):
        if encoded is None:
            ok = False
            _fail(f"share {partition}: {refusal or 'the run was taken by another process'}", 1)
            continue
        run = json.loads(encoded)
        ok = ok and run["status"] == "done"
        brief = {k: run[k] for k in ("id", "status", "share", "shares")}
        runs.append(run if args.wait else brief)
    print(json.dumps(runs, ensure_ascii=False))
    return 0 if ok else 1


def cmd_keys_status(settings: Settings, _args: argparse.Namespace) -> int:
    from matching.profiles.keyring import MISSING, key_counts

    ctx = Context.from_settings(settings)
    migrate.upgrade(settings.database_url)
    counts = asyncio.run(_in_transaction(settings, lambda s: key_counts(s, ctx.keys)))
    roles = {k.id: "previous" for k in ctx.keys.ring[1:]} | {ctx.keys.current_id: "current"}
    for key_id, n in counts.items():
        print(f"{key_id} ({roles.get(key_id, 'not in the ring')}): {n}")
    print(json.dumps({"current": ctx.keys.current_id, "rows": counts}))
    return 1 if counts.get(MISSING) else 0


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from matching.profiles.keyring import rotate_batch

    if args.batch < 1:
        return _fail("--batch must be at least 1")
    ctx = Context.from_settings(settings)
    migrate.upgrade(settings.database_url)

    async def run() -> tuple[int, list[int]]:
        engine = create_engine(settings.database_url, pool_size=2)
        rotated, after = 0, 0
        missing: list[int] = []
        try:
            maker = create_sessionmaker(engine)
            while True:
                # Each batch its own transaction: a stopped rotation keeps what it did.
                async with maker() as session, session.begin():
                    done = await rotate_batch(
                        session, ctx.keys, after, args.batch, dry_run=args.dry_run
                    )
                if done.last_id is None:
                    return rotated, missing
                rotated += done.rotated
                missing += done.missing
                after = done.last_id
                print(f"... {rotated} rotated (up to worker {after})", file=sys.stderr, flush=True)
        finally:
            await engine.dispose()

    rotated, missing = asyncio.run(run())
    verb = "would be re-encrypted" if args.dry_run else "re-encrypted"
    print(f"{rotated} ID numbers {verb} under key {ctx.keys.current_id}")
    if missing:
        shown = ", ".join(str(i) for i in missing[:20])
        print(
            f"laowu: {len(missing)} ID numbers are under a key not in the ring (workers {shown}"
            f"{', …' if len(missing) > 20 else ''}): put that secret in "
            "LAOWU_PREVIOUS_SECRET_KEYS and rotate again",
            file=sys.stderr,
        )
    print(
        json.dumps(
            {
                "current": ctx.keys.current_id,
                "rotated": rotated,
                "missing": len(missing),
                "dry_run": args.dry_run,
            }
        )
    )
    return 1 if missing else 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    """Write a list to a spreadsheet (.xlsx or .csv by the file's suffix), as an admin would
    see it through the API (``--agency-id`` narrows it), with a progress bar on stderr."""
    from pathlib import Path

    from matching.api.access import write_rows
    from matching.lib import clock
    from matching.lib.principal import SYSTEM
    from matching.lib.workbook import SUFFIXES, Written
    from matching.openings import exports as opening_exports
    from matching.openings import service as openings
    from matching.openings.service import OpeningFilter
    from matching.placements import cases
    from matching.placements import exports as case_exports
    from matching.placements import service as placement_service
    from matching.profiles import exports as worker_exports
    from matching.profiles import service as profiles
    from matching.profiles.repository import WorkerFilter

    path = Path(args.file)
    if path.suffix.lower() not in SUFFIXES:
        return _fail(f"{args.file}: the file's name must end in .xlsx or .csv")
    if not path.parent.is_dir():
        return _fail(f"{args.file}: no such directory {path.parent}")
    migrate.upgrade(settings.database_url)
    shown: list[int] = []
    done, total = [0], [0]

    def progress(rows: int) -> None:
        done[0] += rows
        bar = "#" * min(30, done[0] * 30 // max(total[0], done[0], 1))
        print(f"\r{args.what} [{bar:<30}] {done[0]:,}", end="", file=sys.stderr, flush=True)

    def seen(ids: list[int]) -> None:
        shown.extend(ids)

    async def work(session: AsyncSession) -> Written:
        if args.what == "workers":
            flt = WorkerFilter(args.agency_id, args.skill, args.priority_group, args.status, args.q)
            total[0] = (
                await profiles.search_workers(session, SYSTEM, flt, limit=1, offset=0)
            ).total
            written = await worker_exports.workers(session, SYSTEM, flt, path, seen, progress)
        elif args.what == "openings":
            oflt = OpeningFilter(args.city, args.skill, args.status, args.employer_id)
            total[0] = (
                await openings.list_openings(session, SYSTEM, oflt, limit=1, offset=0)
            ).total
            written = await opening_exports.openings(session, SYSTEM, oflt, path, progress)
        elif args.what == "placements":
            where = {"status": args.status, "worker_id": args.worker_id}
            found = await placement_service.list_placements(
                session, SYSTEM, **where, limit=1, offset=0
            )
            total[0] = found[1]
            written = await case_exports.placements_list(
                session, SYSTEM, path, seen, **where, progress=progress
            )
        elif args.what == "followups":
            written = await case_exports.followups_list(
                session,
                SYSTEM,
                path,
                seen,
                status=args.status,
                worker_id=args.worker_id,
                due_before=args.due_before,
                progress=progress,
            )
        else:
            filters = {
                "status": args.status,
                "office_id": args.office_id,
                "worker_id": args.worker_id,
            }
            total[0] = (await cases.list_cases(session, SYSTEM, **filters, limit=1, offset=0)).total
            written = await case_exports.cases(
                session,
                SYSTEM,
                path,
                seen,
                **filters,
                progress=progress,
            )
        if shown:  # the export of personal data is logged, in the export's own transaction
            at, action = clock.now(), f"{args.what[:-1]}.list.export"
            detail = f"cli export{path.suffix.lower()}"
            await write_rows(
                await session.connection(), [(at, None, action, w, None, detail) for w in shown]
            )
        return written

    written = asyncio.run(_in_transaction(settings, work))
    print(file=sys.stderr)
    print(f"{written.rows} rows written to {path}")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """A spreadsheet through the same rules as the API, as the system (an admin): so the
    agency is named with --agency-id. Exit 1 when a row was bad (with --skip-invalid too:
    the bad rows are then in FILE.errors.xlsx beside it)."""
    import base64
    from pathlib import Path

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from matching.lib.imports import InvalidRows
    from matching.lib.principal import SYSTEM
    from matching.web.catalog import translator

    translate = translator(args.lang)

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"no such file: {path}")
    if args.what == "workers":
        from matching.profiles.imports import import_workers as run
    else:
        from matching.openings.imports import import_openings as run
    ctx = Context.from_settings(settings)
    migrate.upgrade(settings.database_url)
    content = path.read_bytes()
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            label = {"check": "checking rows", "write": "writing"}.get(phase, phase)
            tasks[phase] = bar.add_task(label, total=total)
        bar.update(tasks[phase], completed=done, total=total)

    async def work(session: AsyncSession) -> Any:
        return await run(
            session,
            ctx,
            SYSTEM,
            content,
            path.name,
            agency_id=args.agency_id,
            dry_run=args.dry_run,
            skip_invalid=args.skip_invalid,
            progress=progress,
            translate=translate,
        )

    try:
        with bar:
            result = asyncio.run(_in_transaction(settings, work))
    except InvalidRows as exc:
        for e in exc.rendered_errors(translate):
            print(f"row {e['row']}, {e['field']}: {e['message']}", file=sys.stderr)
        return _fail(exc.detail, 1)
    if result.errors_xlsx:
        fix = path.with_name(path.stem + ".errors.xlsx")
        fix.write_bytes(base64.b64decode(result.errors_xlsx))
        print(f"the {result.invalid} bad rows are in {fix}", file=sys.stderr)
    created = result.would_create if result.dry_run else result.created
    print(
        f"{args.what}: rows {result.rows}, {'would create' if result.dry_run else 'created'} "
        f"{created}, duplicates {result.duplicates}, invalid {result.invalid}"
    )
    return 1 if result.invalid else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="laowu", description="Laowu (劳务通) labour-transfer service"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then serve the API and web pages")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-scheduler", action="store_true", help="do not run jobs in-process")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=cmd_serve)

    sched = sub.add_parser(
        "scheduler", help="run the scheduled jobs (leader-elected on PostgreSQL)"
    )
    sched.add_argument(
        "--health-port",
        type=int,
        help="also serve /api/v1/health/live and /api/v1/health/ready on this port",
    )
    sched.add_argument("--health-host", default="127.0.0.1")
    sched.set_defaults(func=cmd_scheduler)

    sub.add_parser("migrate", help="migrate the database to head").set_defaults(func=cmd_migrate)

    admin = sub.add_parser("admin", help="manage admin accounts")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create", help="create an admin account")
    create.add_argument("--username", required=True)
    create.add_argument("--password", help="default: $LAOWU_ADMIN_PASSWORD, else a prompt")
    create.set_defaults(func=cmd_admin_create)

    seed = sub.add_parser("seed", help="load data")
    seed_sub = seed.add_subparsers(dest="seed_command", required=True)
    seed_sub.add_parser("demo", help="the demo network (idempotent)").set_defaults(
        func=cmd_seed_demo
    )

    match = sub.add_parser("match", help="matching")
    match_sub = match.add_subparsers(dest="match_command", required=True)
    mrun = match_sub.add_parser("run", help="run matching now, with a progress line per phase")
    mrun.add_argument("--wait", action="store_true", help="print the run's summary as JSON")
    mrun.add_argument("--dry-run", action="store_true", help="compute and report; write no offers")
    shares = mrun.add_mutually_exclusive_group()
    shares.add_argument(
        "--partition", metavar="K/N", help="run over share K of N of the markets (one of N runs)"
    )
    shares.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        help="run all N shares here, each in a process of its own (--jobs at a time)",
    )
    shares.add_argument(
        "--indexed-job",
        type=int,
        metavar="N",
        help="run over share JOB_COMPLETION_INDEX + 1 of N: one pod of a Kubernetes Indexed Job",
    )
    mrun.add_argument("--jobs", type=int, help="with --partitions: shares run at once (default N)")
    mrun.set_defaults(func=cmd_match_run)

    keys = sub.add_parser("keys", help="the key ring of the stored ID numbers")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    keys_sub.add_parser("status", help="how many ID numbers each key holds").set_defaults(
        func=cmd_keys_status
    )
    rotate = keys_sub.add_parser(
        "rotate", help="re-encrypt every ID number under LAOWU_SECRET_KEY, in batches"
    )
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction")
    rotate.add_argument("--dry-run", action="store_true", help="count what would move; write none")
    rotate.set_defaults(func=cmd_keys_rotate)
    export = sub.add_parser("export", help="write a list to a spreadsheet (.xlsx or .csv)")
    export_sub = export.add_subparsers(dest="what", required=True)
    for what, filters in (
        ("workers", ("agency-id", "skill", "priority-group", "status", "q")),
        ("openings", ("city", "skill", "status", "employer-id")),
        ("placements", ("status", "worker-id")),
        ("cases", ("status", "office-id", "worker-id")),
        ("followups", ("status", "worker-id", "due-before")),
    ):
        one = export_sub.add_parser(what, help=f"the {what} list, with its filters")
        one.add_argument("file", help="FILE.xlsx or FILE.csv (UTF-8 with a BOM)")
        for name in filters:
            kind: Any = (
                int
                if name.endswith("-id")
                else dt.date.fromisoformat
                if name.endswith("-before")
                else str
            )
            one.add_argument(f"--{name}", type=kind)
        one.set_defaults(func=cmd_export)
    imp = sub.add_parser("import", help="load a spreadsheet (.xlsx, or .csv in UTF-8 or GBK)")
    imp.add_argument("what", choices=["workers", "openings"])
    imp.add_argument("file")
    imp.add_argument("--agency-id", type=int, help="the agency the rows are for")
    imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="write the good rows; the bad ones go to FILE.errors.xlsx",
    )
    imp.add_argument(
        "--lang",
        choices=["zh", "en"],
        default="zh",
        help="the language of the bad rows' reasons (default zh: Chinese)",
    )
    imp.set_defaults(func=cmd_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        # Unset, the servers log at INFO and a one-off command only its warnings.
        serving = args.command in ("serve", "scheduler")
        logs.configure(
            settings.log_format, settings.log_level or ("INFO" if serving else "WARNING")
        )
        result: Any = args.func(settings, args)
        return int(result)
    except ConfigurationError as exc:
        return _fail(str(exc))
    except DomainError as exc:
        return _fail(exc.detail, 1)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
