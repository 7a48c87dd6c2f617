"""No personal data in any log line, on both databases: `laowu serve` and `laowu scheduler` as
real processes, JSON logs at DEBUG in files, through her whole road — registered, a refused
registration that echoes her, found by phone, matched, offered, her SMS reply, confirmed,
checked in, a rights case, her copy, her erasure — and then no line holds her name, phone
(as stored and as written), ID number (in full or masked) or birth date. Every line is JSON,
and a request's lines carry its id (the client's ``X-Request-ID`` when it sent one)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pty
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from matching.lib import clock
from matching.lib.identity import mask_id_number
from matching.notices.signing import signed_headers
from tests.integration.test_notices import SECRET, Gateway
from tests.servers import LAOWU, free_port, running, serving
from tests.support import PASSWORD, Api, id_number_for, opening_payload, worker_payload

# Distinctive, so that a hit can only be her.
HER = {
    "name": "欧阳翠萍",
    "written": "139 7315 2846",
    "phone": "+8613973152846",
    "born": "1987-11-23",
}
OTHER = {"name": "司马玉凤", "written": "139-7315-9157", "phone": "+8613973159157"}
ID_NUMBER = id_number_for(dt.date(1987, 11, 23), region="430104", serial=862)
REQUEST_ID = "e2e-logs-req-0001"


def until(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


class Client:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base + "/api/v1", timeout=30)
        self.headers: dict[str, str] = {}

    def login(self, username: str) -> Client:
        r = self.http.post("/auth/token", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        other = Client.__new__(Client)
        other.http, other.headers = (
            self.http,
            {"Authorization": f"Bearer {r.json()['access_token']}"},
        )
        return other

    def call(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        headers = self.headers | kw.pop("headers", {})
        r = self.http.request(method, path, headers=headers, **kw)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None


def forbidden_strings() -> list[str]:
    digits = HER["phone"][3:]
    return [
        HER["name"],
        OTHER["name"],
        HER["written"],
        OTHER["written"],
        HER["phone"],
        OTHER["phone"],
        digits,
        OTHER["phone"][3:],
        digits[:3] + "****" + digits[-4:],  # a masked phone
        ID_NUMBER,
        mask_id_number(ID_NUMBER),
        ID_NUMBER[6:14],  # her birth date inside it
        HER["born"],
    ]


async def test_no_personal_data_in_the_logs_of_her_whole_road(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOWU_")} | {
        "LAOWU_DATABASE_URL": db_url,
        "LAOWU_SECRET_KEY": "logs-test-secret-key-0123456789abcdef",
        "LAOWU_DATA_DIR": str(tmp_path),
        "LAOWU_LOG_FORMAT": "json",
        "LAOWU_LOG_LEVEL": "DEBUG",
        "LAOWU_ADMIN_PASSWORD": PASSWORD,
        "LAOWU_DISPATCH_INTERVAL_SECONDS": "1",
        "LAOWU_EXPIRE_INTERVAL_SECONDS": "1",
        "LAOWU_LEADER_POLL_SECONDS": "1",
        "LAOWU_MATCH_CRON": "0 3 29 2 *",  # never during the test
        "LAOWU_NOTIFY_WEBHOOK_SECRET": SECRET,
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    with Gateway(SECRET) as gateway:
        env["LAOWU_NOTIFY_WEBHOOK_URL"] = gateway.url
        with running(env, "admin", "create", "--username", "root", log=logs / "admin.log") as p:
            assert p.wait(timeout=120) == 0, (logs / "admin.log").read_text()
        with (
            serving(env, logs / "serve.log", "--no-scheduler", "--access-log") as base,
            # With its probes, as Kubernetes runs it (their app must not take the log over).
            running(
                env, "scheduler", "--health-port", str(free_port()), log=logs / "scheduler.log"
            ),
        ):
            _her_road(Client(base), gateway)
    lines = _lines(logs)
    # Something to grep: the server's and the scheduler's lines, her road's requests among them.
    written = {where for where, _ in lines}
    assert {"serve.log", "scheduler.log"} <= written, written
    assert len(lines) > 60, "too few lines to mean anything"
    for where, line in lines:
        for secret in forbidden_strings():
            assert secret not in line, f"{secret!r} in {where}: {line}"
    _check_shape(lines)


def _her_road(anon: Client, gateway: Gateway) -> None:
    admin = anon.login("root")
    agency = admin.call("POST", "/agencies", 201, json={"name": "湘江劳务站"})
    employer = admin.call(
        "POST",
        "/employers",
        201,
        json={"name": "长沙电子厂", "city": "上海", "industry": "电子", "agency_id": agency["id"]},
    )
    for username, body in (
        ("clerk", {"role": "staff", "agency_id": agency["id"]}),
        ("hr-li", {"role": "employer", "employer_id": employer["id"]}),
    ):
        admin.call("POST", "/staff", 201, json={"username": username, "password": PASSWORD, **body})
    staff, hr = anon.login("clerk"), anon.login("hr-li")
    # It starts today: her check-in below is taken only once she has started.
    today = clock.today().isoformat()
    staff.call(
        "POST",
        "/openings",
        201,
        json=opening_payload(employer["id"], headcount=1, start_date=today),
    )

    her = staff.call(
        "POST",
        "/workers",
        201,
        json=worker_payload(
            name=HER["name"], phone=HER["written"], birth_date=HER["born"], id_number=ID_NUMBER
        ),
    )
    staff.call(
        "POST",
        "/workers",
        201,
        json=worker_payload(name=OTHER["name"], phone=OTHER["written"], skills=[]),
    )
    # Refused, echoing her: a duplicate (409) and a contradicting birth date (422).
    again = worker_payload(name=HER["name"], phone=HER["written"], id_number=ID_NUMBER)
    staff.call("POST", "/workers", 409, json=again | {"birth_date": HER["born"]})
    staff.call("POST", "/workers", 422, json=again | {"birth_date": "1987-11-24"})
    staff.call("POST", "/workers", 422, json=again | {"phone": HER["written"] + "x"})
    # Found by her phone, under the client's own request id.
    found = staff.call(
        "GET", "/workers", params={"q": HER["phone"][3:]}, headers={"X-Request-ID": REQUEST_ID}
    )
    assert [w["id"] for w in found["items"]] == [her["id"]]

    run = staff.call("POST", "/match-runs", 202, json={})
    until(lambda: staff.call("GET", f"/match-runs/{run['id']}")["status"] == "done", 120, "the run")
    (offer,) = staff.call("GET", f"/workers/{her['id']}/offers")["items"]

    def offer_sent() -> bool:
        with gateway.lock:
            return any(b["to"] == HER["phone"] for b in gateway.bodies.values())

    until(offer_sent, 60, "the offer's SMS at the gateway")
    reply = json.dumps({"from": HER["phone"], "text": "1"}).encode()
    headers = signed_headers(SECRET, reply, clock.now()) | {"Content-Type": "application/json"}
    r = anon.http.post("/notices/inbound", content=reply, headers=headers)
    assert r.status_code == 200 and r.json()["action"] == "accepted", r.text
    placed = hr.call("POST", f"/offers/{offer['id']}/confirm")
    pid = placed["placement_id"]
    staff.call(
        "POST",
        f"/placements/{pid}/follow-ups/1",
        json={"channel": "phone", "wages_on_time": False, "hours_as_agreed": True},
    )
    staff.call(
        "POST",
        "/cases",
        201,
        json={"placement_id": pid, "type": "wage_arrears", "summary": "工资拖欠两个月"},
    )
    copy = staff.call("GET", f"/workers/{her['id']}/export")
    assert copy["worker"]["id_number"] == ID_NUMBER

    def confirmed_sent() -> bool:
        with gateway.lock:
            return sum(b["to"] == HER["phone"] for b in gateway.bodies.values()) >= 2

    until(confirmed_sent, 60, "the confirmation's SMS at the gateway")
    admin.call("POST", f"/workers/{her['id']}/erase", json={"reason": "她本人要求删除"})


def _lines(folder: Path) -> list[tuple[str, str]]:
    return [
        (path.name, line)
        for path in sorted(folder.iterdir())
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.strip()
    ]


def _check_shape(lines: list[tuple[str, str]]) -> None:
    """Every log line is one JSON object with the four fields; what a request wrote names it."""
    parsed = []
    for where, line in lines:
        if where.endswith(".out"):
            continue  # what a command prints for the person who started it, on stdout
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"not JSON in {where}: {line}") from exc
        assert {"timestamp", "level", "logger", "message"} <= record.keys(), line
        parsed.append((where, record))
    access = [r for w, r in parsed if r["logger"] == "uvicorn.access"]
    assert access and all(r.get("request_id") for r in access), access[:3]
    mine = [r for r in access if r["request_id"] == REQUEST_ID]
    assert len(mine) == 1 and '"GET /api/v1/workers HTTP/1.1" 200' in mine[0]["message"], mine
    jobs = [r for w, r in parsed if w == "scheduler.log" and r.get("job")]
    assert {"dispatch_notices"} <= {r["job"] for r in jobs}
    assert all(isinstance(r.get("run_id"), int) for r in jobs)
    assert any(r.get("notice_id") and r.get("job") == "dispatch_notices" for r in jobs)


def _migrate_log(tmp: Path, *, terminal: bool = False, **extra: str) -> tuple[int, str]:
    """`laowu migrate` at INFO (alembic logs each step); its stderr, on a terminal or a pipe."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOWU_")} | {
        "LAOWU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'fmt.db'}",
        "LAOWU_DATA_DIR": str(tmp),
        "LAOWU_LOG_LEVEL": "INFO",
        **extra,
    }
    main, other = pty.openpty() if terminal else os.pipe()
    try:
        proc = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
            [LAOWU, "migrate"], env=env, stderr=other, stdout=subprocess.DEVNULL, timeout=120
        )
    finally:
        os.close(other)
    chunks = []
    with contextlib.suppress(OSError):  # a pty's reader gets EIO once the writer is gone
        while chunk := os.read(main, 65536):
            chunks.append(chunk)
    os.close(main)
    return proc.returncode, b"".join(chunks).decode()


def test_the_log_format_follows_the_terminal_and_the_setting(tmp_path: Path) -> None:
    code, piped = _migrate_log(tmp_path)
    assert code == 0 and piped.strip()
    records = [json.loads(line) for line in piped.splitlines()]  # not a terminal: JSON
    assert records[0]["logger"].startswith("alembic") and records[0]["level"] == "INFO"
    code, shown = _migrate_log(tmp_path, terminal=True)  # a terminal: the human line
    assert code == 0 and " INFO alembic.runtime.migration: Context impl" in shown
    assert not shown.lstrip().startswith("{")
    code, chosen = _migrate_log(tmp_path, terminal=True, LAOWU_LOG_FORMAT="json")
    assert code == 0 and json.loads(chosen.splitlines()[0])["logger"].startswith("alembic")
    code, refused = _migrate_log(tmp_path, LAOWU_LOG_FORMAT="xml")
    assert code == 2 and "LAOWU_LOG_FORMAT must be one of json, human, got 'xml'" in refused
