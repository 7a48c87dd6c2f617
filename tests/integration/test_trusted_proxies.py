"""Whose word the login limit takes for the client's address: X-Forwarded-For counts only when
the request comes from one of LAOWU_TRUSTED_PROXIES (none by default). Through HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from matching.app import create_app
from matching.db import models as m
from matching.settings import Settings
from tests.integration.test_cli import _env, laowu
from tests.support import PASSWORD, Api, assert_problem

PROXY = "10.1.2.3"  # nginx, inside the trusted 10.0.0.0/8


@pytest.fixture
async def behind_proxy(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    trusting = dataclasses.replace(settings, trusted_proxies=("10.0.0.0/8",), login_max_failures=2)
    async with AsyncTestClient(app=create_app(trusting)) as client:
        yield client


async def _token(client: AsyncTestClient, username: str, password: str, via: str) -> Any:
    return await client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": via},
    )


async def _address_failures(api: Api) -> dict[str, int]:
    async with api.engine.connect() as conn:
        rows = (await conn.execute(select(m.LoginAttempt.key, m.LoginAttempt.failures))).all()
    return {k: f for k, f in rows if k.startswith("a:")}


async def _username(api: Api) -> str:
    await api.staff((await api.agency())["id"])
    staff = (await api.ok("GET", "/staff", await api.admin(), params={"limit": 500}))["items"]
    return str(staff[-1]["username"])


async def test_the_address_a_trusted_proxy_passes_is_the_one_limited(
    api: Api, behind_proxy: AsyncTestClient, client_host: list[str]
) -> None:
    user = await _username(api)
    client_host[0] = PROXY
    for name in ("nobody1", "nobody2"):
        assert_problem(await _token(behind_proxy, name, "wrong password", "203.0.113.5"), 401)
    assert await _address_failures(api) == {"a:203.0.113.5": 2}  # never the proxy's own
    assert_problem(await _token(behind_proxy, user, PASSWORD, "203.0.113.5"), 429)
    # A client that writes an address of its own before the one nginx appends gains nothing:
    # the client is the last address in the chain that no trusted proxy added.
    spoofed = "198.51.100.1, 203.0.113.5"
    assert_problem(await _token(behind_proxy, user, PASSWORD, spoofed), 429)
    # Another client behind the same proxy is not locked out by the first.
    assert (await _token(behind_proxy, user, PASSWORD, "203.0.113.6")).status_code == 200


async def test_a_header_from_an_untrusted_peer_is_ignored(
    api: Api, behind_proxy: AsyncTestClient, client_host: list[str]
) -> None:
    client_host[0] = "192.0.2.9"  # not a trusted proxy: its X-Forwarded-For is its own word
    assert_problem(await _token(behind_proxy, "nobody", "wrong password", "203.0.113.7"), 401)
    assert await _address_failures(api) == {"a:192.0.2.9": 1}


async def test_by_default_no_proxy_is_trusted(api: Api, client_host: list[str]) -> None:
    client_host[0] = PROXY
    r = await api.request(
        "POST",
        "/auth/token",
        json={"username": "nobody", "password": "wrong password"},
        headers={"X-Forwarded-For": "203.0.113.8"},
    )
    assert_problem(r, 401)
    assert await _address_failures(api) == {f"a:{PROXY}": 1}


def test_a_trusted_proxy_must_be_an_address_or_a_network(tmp_path: Path) -> None:
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path, LAOWU_TRUSTED_PROXIES="nginx")
    r = laowu("migrate", env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 2
    assert "LAOWU_TRUSTED_PROXIES" in r.stderr and "'nginx'" in r.stderr
    good = "127.0.0.1, 10.0.0.0/8 ::1"
    assert Settings.from_env({"LAOWU_TRUSTED_PROXIES": good}).trusted_proxies == (
        "127.0.0.1",
        "10.0.0.0/8",
        "::1",
    )
