"""Test helpers: an API driver with factories, valid payloads, and a database digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from matching.db.base import metadata
from matching.lib import clock
from matching.lib.identity import check_digit
from matching.network.service import create_admin

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
"""Where tests leave what a person may want to look at (screenshots, the fuzzer's counts)."""


def unique_phone() -> str:
    return f"139{next(_seq):08d}"


def id_number_for(born: dt.date, region: str = "320612", serial: int = 123) -> str:
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return body + check_digit(body)


def worker_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "王秀英",
        "phone": unique_phone(),
        "birth_date": "1990-05-17",
        "home_county": "通州区",
        "skills": [{"code": "sewing", "level": 4}],
        "priority_groups": ["poor_household"],
        "willing_to_relocate": True,
        "preferred_cities": ["上海"],
        "min_monthly_wage": 4000,
        "needs_housing": True,
        "consent_matching": True,
    }
    body.update(overrides)
    return body


def opening_payload(employer_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employer_id": employer_id,
        "title": "平缝车工",
        "city": "上海",
        "required_skills": [{"code": "sewing", "min_level": 3}],
        "headcount": 10,
        "monthly_wage_min": 4500,
        "monthly_wage_max": 6000,
        "housing_provided": True,
        "start_date": (clock.today() + dt.timedelta(days=14)).isoformat(),
    }
    body.update(overrides)
    return body


class Api:
    """Drives the HTTP API for a test and makes the accounts and records it needs."""

    def __init__(self, client: AsyncTestClient, engine: AsyncEngine) -> None:
        self.client = client
        self.engine = engine
        self._admin: dict[str, str] | None = None

    def flush_access_log(self) -> int:
        """Write the rows the app's access log has buffered (it does so itself every 0.5 s).

        The test client runs the app, its lifespan and every request, in an event loop of its
        own on another thread (its blocking portal), where the app's connections live: so the
        flush runs there, and the test waits for it."""
        flushed: int = self.client.blocking_portal.call(self.client.app.state.runtime.access.flush)
        return flushed

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        # The tests read English messages; the default (no header) is Chinese, see test_languages.
        sent = {"Accept-Language": "en", **(headers or {})}
        return await self.client.request(method, "/api/v1" + path, headers=sent, **kw)

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        r = await self.request(
            "POST", "/auth/token", json={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def admin(self) -> dict[str, str]:
        if self._admin is None:
            async with AsyncSession(self.engine) as session, session.begin():
                await create_admin(session, "root", PASSWORD)
            self._admin = await self.login("root")
        return self._admin

    async def ok(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        r = await self.request(method, path, headers=headers, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    async def agency(self, name: str | None = None) -> dict[str, Any]:
        return await self.ok(
            "POST", "/agencies", await self.admin(), json={"name": name or f"agency {next(_seq)}"}
        )

    async def staff(self, agency_id: int, office_id: int | None = None) -> dict[str, str]:
        username = f"staff{next(_seq)}"
        body = {"username": username, "password": PASSWORD, "role": "staff", "agency_id": agency_id}
        if office_id is not None:
            body["office_id"] = office_id
        await self.ok("POST", "/staff", await self.admin(), json=body)
        return await self.login(username)

    async def employer(self, **overrides: Any) -> dict[str, Any]:
        body = {"name": f"employer {next(_seq)}", "city": "上海", "industry": "电子"} | overrides
        return await self.ok("POST", "/employers", await self.admin(), json=body)

    async def employer_account(self, employer_id: int) -> dict[str, str]:
        username = f"hr{next(_seq)}"
        body = {
            "username": username,
            "password": PASSWORD,
            "role": "employer",
            "employer_id": employer_id,
        }
        await self.ok("POST", "/staff", await self.admin(), json=body)
        return await self.login(username)

    async def worker(self, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
        return await self.ok("POST", "/workers", headers, json=worker_payload(**overrides))

    async def opening(
        self, headers: dict[str, str], employer_id: int, **overrides: Any
    ) -> dict[str, Any]:
        return await self.ok(
            "POST", "/openings", headers, json=opening_payload(employer_id, **overrides)
        )

    async def digest(self) -> str:
        """A hash of every row of every table: equal before and after means nothing was written.

        Except ``login_attempts``: counting a refused login is the one write a refusal makes,
        by design (the login limit); tests of the limit read that table themselves. And
        ``access_log``: the reads a test makes around a refusal are logged, and written in the
        background whenever its buffer flushes; tests of the log read that table themselves."""
        h = hashlib.sha256()
        async with self.engine.connect() as conn:
            for table in metadata.sorted_tables:
                if table.name in ("login_attempts", "access_log"):
                    continue
                pk = list(table.primary_key.columns)
                rows = (await conn.execute(select(table).order_by(*pk))).all()
                h.update(f"{table.name}:{len(rows)}:{rows!r}".encode())
        return h.hexdigest()

    async def digest_text(self) -> str:
        """Every stored value as text, to prove a secret is not stored in the clear."""
        async with self.engine.connect() as conn:
            parts = [repr((await conn.execute(select(t))).all()) for t in metadata.sorted_tables]
        return "\n".join(parts)

    async def count(self, table: str) -> int:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(metadata.tables[table]))).all()
        return len(rows)


PROBLEM_JSON = "application/problem+json"


def assert_problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with ``status``; with ``field``, an error names it."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
    assert r.headers["content-type"].startswith(PROBLEM_JSON), r.headers["content-type"]
    body: dict[str, Any] = r.json()
    assert body["status"] == status, body
    assert isinstance(body["title"], str) and body["title"], body
    assert isinstance(body["detail"], str) and body["detail"], body
    if field is not None:
        errors = body.get("errors")
        assert isinstance(errors, list) and errors, body
        for e in errors:
            assert set(e) >= {"field", "message"} and e["message"], body
        assert field in [e["field"] for e in errors], f"no error names {field!r}: {body}"
    return body


def error_for(body: dict[str, Any], field: str) -> str:
    """The message of the first error naming ``field``."""
    return str(next(e["message"] for e in body["errors"] if e["field"] == field))


def birthday_years_ago(years: int, day: dt.date | None = None) -> dt.date:
    """The date ``years`` before ``day`` (default: today by matching.lib.clock); 29 Feb → 28 Feb."""
    day = day or clock.today()
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def make_token(
    account_id: int,
    username: str,
    role: str,
    *,
    expires_in: int,
    secret: str | None = None,
    epoch: int = 0,
    **scope: int | None,
) -> str:
    """A bearer token signed like the app's (HS256 with the derived token key), any expiry."""
    import jwt

    from matching.lib.keys import Keys
    from tests.conftest import TEST_SECRET

    now = clock.now()
    payload = {
        "sub": str(account_id),
        "iat": int((now - dt.timedelta(hours=1)).timestamp()),
        "exp": int((now + dt.timedelta(seconds=expires_in)).timestamp()),
        "username": username,
        "role": role,
        "agency_id": scope.get("agency_id"),
        "office_id": scope.get("office_id"),
        "employer_id": scope.get("employer_id"),
        "ep": epoch,
    }
    key = Keys.from_secret(secret or TEST_SECRET).token.hex()
    return jwt.encode(payload, key, algorithm="HS256")
