"""Schemathesis over every operation of the app's own OpenAPI document, on both databases.

The operations come from the document the app serves, so a route added anywhere is fuzzed
without a change here. Each runs schemathesis's coverage cases (boundaries, missing and wrong
fields and parameters, unexpected methods) and a fixed budget of generated ones from a fixed
seed, in-process over ASGI, against the demo network plus a match run, a placement, a case, a
course and a fee schedule (so ids hit real rows), signed in once as agency staff and once as
an admin. Every answer must be no server error, a declared status with a declared content
type and a body that fits its schema, and a refusal of input the schema forbids. What each
run sent is written to ``test-artifacts/fuzz-<database>-<account>.json``.

Not sent: a POST or PATCH to ``/staff/{id}`` of the fuzzing account itself. Resetting her own
password or changing her own scope ends her token by design (README, "Accounts"), and every
later case would then only see 401.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient, get_client, shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from matching.app import create_app
from matching.lib import clock
from matching.lib.context import Context
from matching.settings import Settings
from seeds.demo import load_demo
from tests.conftest import TEST_SECRET, _empty_tables
from tests.support import ARTIFACTS

MAX_EXAMPLES = 25  # generated cases per operation and account, besides the coverage cases
SEED = 13
ACCOUNTS = ["xingyi", "admin"]  # the demo's agency staff, then its admin
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    unsupported_method,  # a 405, with its Allow header
]
# Not allow_header_conformance: Litestar 2 answers OPTIONS on a path with several handlers
# with the methods of the first alone (litestar-org/litestar#4169, fixed in Litestar 3).
PLACEHOLDER = "fuzz-token"  # what the cases are built with; each run sends its own token instead


def _document() -> dict[str, Any]:
    """The app's OpenAPI document (the same on either database: no database is touched)."""
    settings = Settings(
        database_url="sqlite+aiosqlite://",
        secret_key=TEST_SECRET,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
    )
    return create_app(settings).openapi_schema.to_schema()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(max_examples=MAX_EXAMPLES, database="none")
schema.config.seed = SEED


@schema.auth(refresh_interval=None, retry_on=[])
class Bearer:
    """Cases are built at collection, before any database exists: they carry a placeholder."""

    def get(self, case: Any, ctx: Any) -> str:
        return PLACEHOLDER

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@dataclasses.dataclass
class Run:
    db: str
    account: str
    account_id: int
    token: str
    app: Any
    cases: Counter[str] = dataclasses.field(default_factory=Counter)
    statuses: Counter[str] = dataclasses.field(default_factory=Counter)
    succeeded: set[str] = dataclasses.field(default_factory=set)  # operations answered 2xx
    skipped: int = 0


def _ok(r: Any) -> Any:
    assert r.status_code < 300, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()


def _world(client: ASGIClient, admin: dict[str, str]) -> None:
    """Beyond the demo network: a finished match run with offers, a placement with its
    follow-ups, a case, a course with a session and an enrolment, a fee schedule."""
    run = _ok(client.post("/api/v1/match-runs", json={}, headers=admin))
    deadline = time.monotonic() + 120
    while run["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, run
        time.sleep(0.2)
        run = _ok(client.get(f"/api/v1/match-runs/{run['id']}", headers=admin))
    assert run["status"] == "done", run
    proposals = _ok(client.get(f"/api/v1/match-runs/{run['id']}/proposals", headers=admin))
    worker_id = proposals["items"][0]["worker_id"]
    offer = _ok(client.get(f"/api/v1/workers/{worker_id}/offers", headers=admin))["items"][0]
    _ok(client.post(f"/api/v1/offers/{offer['id']}/accept", headers=admin))
    placement = _ok(client.post(f"/api/v1/offers/{offer['id']}/confirm", headers=admin))
    case = {"placement_id": placement["placement_id"], "type": "wage_arrears", "summary": "欠薪"}
    _ok(client.post("/api/v1/cases", json=case, headers=admin))
    agency_id = _ok(client.get("/api/v1/agencies", headers=admin))["items"][0]["id"]
    course: dict[str, Any] = {"name": "缝纫", "kind": "skill", "fee": 0, "agency_id": agency_id}
    course |= {"skill_code": "sewing", "level": 3}
    course_id = _ok(client.post("/api/v1/courses", json=course, headers=admin))["id"]
    start = clock.today() + dt.timedelta(days=7)
    session: dict[str, Any] = {
        "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=5)).isoformat(),
        "place": "通州",
        "capacity": 20,
    }
    session_id = _ok(
        client.post(f"/api/v1/courses/{course_id}/sessions", json=session, headers=admin)
    )["id"]
    other = proposals["items"][-1]["worker_id"]
    _ok(
        client.post(
            f"/api/v1/training-sessions/{session_id}/enrolments",
            json={"worker_id": other},
            headers=admin,
        )
    )
    fees: dict[str, Any] = {"rules": [{"amount": 300}, {"amount": 500, "destination_city": "上海"}]}
    _ok(client.post(f"/api/v1/agencies/{agency_id}/fee-schedule", json=fees, headers=admin))


@pytest.fixture(scope="module", params=ACCOUNTS)
async def fuzz(
    request: pytest.FixtureRequest, settings: Settings, engine: AsyncEngine
) -> AsyncIterator[Run]:
    async with AsyncSession(engine) as session, session.begin():
        report = await load_demo(session, Context.from_settings(settings))
    passwords = {user: pw for user, _role, pw in report.accounts}
    # a gateway secret, so the signed inbound webhook checks signatures as in production
    app: Any = create_app(
        dataclasses.replace(settings, notify_webhook_secret="fuzz-webhook-secret")
    )
    account: str = request.param
    with get_client(app) as client:

        def login(username: str) -> dict[str, str]:
            body = {"username": username, "password": passwords[username]}
            token = _ok(client.post("/api/v1/auth/token", json=body))["access_token"]
            return {"Authorization": f"Bearer {token}"}

        admin = login("admin")
        _world(client, admin)
        staff = _ok(client.get("/api/v1/staff", params={"limit": 100}, headers=admin))["items"]
        headers = login(account)
    run = Run(
        db=engine.dialect.name,
        account=account,
        account_id=next(a["id"] for a in staff if a["username"] == account),
        token=headers["Authorization"],
        app=app,
    )
    started = time.monotonic()
    yield run
    took = time.monotonic() - started
    shutdown_lifespans()
    await _empty_tables(engine)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fuzz-{run.db}-{run.account}.json").write_text(
        json.dumps(
            {
                "database": run.db,
                "account": run.account,
                "seed": SEED,
                "max_examples": MAX_EXAMPLES,
                "operations": len(run.cases),
                "operations_answered_2xx": len(run.succeeded),
                "cases": sum(run.cases.values()),
                "not_sent": run.skipped,
                "seconds": round(took, 1),
                "statuses": dict(sorted(run.statuses.items())),
                "per_operation": dict(sorted(run.cases.items())),
            },
            indent=1,
        )
    )


def _ends_own_sign_in(case: Any, run: Run) -> bool:
    own = str((case.path_parameters or {}).get("account_id")) == str(run.account_id)
    return own and case.operation.path.startswith("/api/v1/staff/") and case.method != "GET"


@schema.parametrize()
@pytest.mark.slow
def test_fuzz(case: Any, fuzz: Run) -> None:
    if _ends_own_sign_in(case, fuzz):
        fuzz.skipped += 1
        return
    # The cases (the coverage ones are made once, at collection) keep their placeholder: each
    # run sends its own account's token in its place, and only there.
    placeholder = (case.headers or {}).get("Authorization") == f"Bearer {PLACEHOLDER}"
    response = case.call(
        app=fuzz.app, headers={"Authorization": fuzz.token} if placeholder else None
    )
    fuzz.cases[case.operation.label] += 1
    fuzz.statuses[str(response.status_code)] += 1
    if response.status_code < 300:
        fuzz.succeeded.add(case.operation.label)
    case.validate_response(response, checks=CHECKS, transport_kwargs={"app": fuzz.app})


@pytest.mark.slow
def test_fuzz_reached_every_operation_and_real_rows(fuzz: Run) -> None:
    """Runs after the cases of its run (run the module whole): none of them was vacuous."""
    labels = {
        f"{method.upper()} {path}"
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    }
    assert set(fuzz.cases) == labels
    assert len(fuzz.succeeded) >= 0.8 * len(labels), sorted(labels - fuzz.succeeded)
