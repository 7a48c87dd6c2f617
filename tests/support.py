"""Test helpers: an API driver with factories, valid payloads, and a database digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from matching.db.base import metadata
from matching.lib import clock
from matching.network.service import create_admin
from matching.profiles.identity import check_digit

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


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

    def __init__(self, client: AsyncTestClient, engine: AsyncEngine) -> None:  # type: ignore[type-arg]
        self.client = client
        self.engine = engine
        self._admin: dict[str, str] | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        return await self.client.request(method, "/api/v1" + path, headers=headers, **kw)

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
        )  # type: ignore[no-any-return]

    async def staff(self, agency_id: int, office_id: int | None = None) -> dict[str, str]:
        username = f"staff{next(_seq)}"
        body = {"username": username, "password": PASSWORD, "role": "staff", "agency_id": agency_id}
        if office_id is not None:
            body["office_id"] = office_id
        await self.ok("POST", "/staff", await self.admin(), json=body)
        return await self.login(username)

    async def employer(self, **overrides: Any) -> dict[str, Any]:
        body = {"name": f"employer {next(_seq)}", "city": "上海", "industry": "电子"} | overrides
        return await self.ok("POST", "/employers", await self.admin(), json=body)  # type: ignore[no-any-return]

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
        return await self.ok("POST", "/workers", headers, json=worker_payload(**overrides))  # type: ignore[no-any-return]

    async def opening(
        self, headers: dict[str, str], employer_id: int, **overrides: Any
    ) -> dict[str, Any]:
        return await self.ok(
            "POST", "/openings", headers, json=opening_payload(employer_id, **overrides)
        )  # type: ignore[no-any-return]

    async def digest(self) -> str:
        """A hash of every row of every table: equal before and after means nothing was written."""
        h = hashlib.sha256()
        async with self.engine.connect() as conn:
            for table in metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                rows = (await conn.execute(select(table).order_by(*pk))).all()
                h.update(f"{table.name}:{len(rows)}:{rows!r}".encode())
        return h.hexdigest()

    async def count(self, table: str) -> int:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(metadata.tables[table]))).all()
        return len(rows)


async def _digest_text(self: Api) -> str:
    async with self.engine.connect() as conn:
        parts = []
        for table in metadata.sorted_tables:
            parts.append(repr((await conn.execute(select(table))).all()))
    return "\n".join(parts)


Api.digest_text = _digest_text  # type: ignore[attr-defined]
