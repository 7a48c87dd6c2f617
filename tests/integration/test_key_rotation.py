"""Rotating LAOWU_SECRET_KEY over the ID-number key ring, on both databases: her ID number
reads and is found as a duplicate under the previous key, `laowu keys rotate` moves every row
under the current one (in batches, again harmlessly), the previous key can then go, and a
row under a key that is not in the ring is a clear error for her alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from matching.app import create_app
from matching.lib.keys import Keys
from matching.settings import Settings
from tests.conftest import TEST_SECRET
from tests.integration.test_cli import _env, laowu
from tests.support import (
    PASSWORD,
    Api,
    assert_problem,
    id_number_for,
    unique_phone,
    worker_payload,
)

KEY_B = "the-second-secret-key-of-this-test-0123456789"
KEY_C = "a-third-secret-nobody-kept-for-this-test-98765"
A = Keys.from_secret(TEST_SECRET).current_id
B = Keys.from_secret(KEY_B).current_id


@asynccontextmanager
async def served(settings: Settings, engine: Any, **change: Any) -> AsyncIterator[Api]:
    """The app as a process started with other secrets would serve it."""
    async with AsyncTestClient(app=create_app(dataclasses.replace(settings, **change))) as c:
        yield Api(c, engine)


async def stored(api: Api) -> dict[int, tuple[str, str]]:
    async with api.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, id_number_enc, id_number_hash FROM worker_profiles ORDER BY id")
        )
        return {r.id: (r.id_number_enc, r.id_number_hash) for r in rows}


def cli(db_url: str, tmp: Path, *args: str, current: str, previous: str = "") -> Any:
    env = _env(db_url, tmp, LAOWU_SECRET_KEY=current, LAOWU_PREVIOUS_SECRET_KEYS=previous)
    return laowu("keys", *args, env=env, cwd=tmp)


def last_json(stdout: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return found


@pytest.mark.slow
async def test_rotate_the_secret_without_losing_her_id_number(
    api: Api, settings: Settings, db_url: str, tmp_path: Path
) -> None:
    admin = await api.admin()
    agency = await api.agency()
    body = {"username": "clerk", "password": PASSWORD, "role": "staff", "agency_id": agency["id"]}
    await api.ok("POST", "/staff", admin, json=body)
    staff = await api.login("clerk")
    born = dt.date(1990, 5, 17)
    ids = [id_number_for(born, serial=n) for n in (301, 302)]
    her = await api.worker(staff, id_number=ids[0])
    old = await api.worker(staff, id_number=ids[1])
    rows = await stored(api)
    assert rows[her["id"]][0].startswith(f"{A}:")
    # A row written before the ring: the same ciphertext without its key's id.
    async with api.engine.begin() as conn:
        untagged = rows[old["id"]][0].partition(":")[2]
        await conn.execute(
            text("UPDATE worker_profiles SET id_number_enc = :e WHERE id = :i"),
            {"e": untagged, "i": old["id"]},
        )

    # B is current, A previous: the processes restarted with the new secret.
    async with served(
        settings, api.engine, secret_key=KEY_B, previous_secret_keys=(TEST_SECRET,)
    ) as b:
        # Tokens signed with the old secret end at the rotation: one signs in again.
        assert_problem(await b.request("GET", "/workers", staff), 401)
        clerk = await b.login("clerk")
        for w, idn in ((her, ids[0]), (old, ids[1])):
            copy = await b.ok("GET", f"/workers/{w['id']}/export", clerk)
            assert copy["worker"]["id_number"] == idn
        before = await api.digest()
        r = await b.request("POST", "/workers", clerk, json=_payload(ids[0], name="重复登记的她"))
        assert assert_problem(r, 409)["existing_id"] == her["id"]
        assert await api.digest() == before
        new = await b.worker(clerk, id_number=id_number_for(born, serial=303))
    rows = await stored(api)
    assert rows[new["id"]][0].startswith(f"{B}:")

    status = cli(db_url, tmp_path, "status", current=KEY_B, previous=TEST_SECRET)
    assert status.returncode == 0, status.stderr
    assert last_json(status.stdout) == {"current": B, "rows": {B: 1, A: 2}}

    before = await api.digest()
    dry = cli(db_url, tmp_path, "rotate", "--dry-run", current=KEY_B, previous=TEST_SECRET)
    assert dry.returncode == 0, dry.stderr
    assert last_json(dry.stdout)["rotated"] == 2 and "would be re-encrypted" in dry.stdout
    assert await api.digest() == before

    done = cli(db_url, tmp_path, "rotate", "--batch", "1", current=KEY_B, previous=TEST_SECRET)
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout) == {"current": B, "rotated": 2, "missing": 0, "dry_run": False}
    assert done.stderr.count("rotated (up to worker") == 2  # one line per batch of one
    after = await stored(api)
    assert all(enc.startswith(f"{B}:") for enc, _ in after.values())
    assert after[new["id"]] == rows[new["id"]]  # already under B: untouched
    assert after[her["id"]][1] != rows[her["id"]][1]  # her lookup hash is B's now
    again = cli(db_url, tmp_path, "rotate", current=KEY_B, previous=TEST_SECRET)
    assert last_json(again.stdout)["rotated"] == 0, again.stdout
    assert await stored(api) == after

    # A is dropped: everything still reads and is still found.
    async with served(settings, api.engine, secret_key=KEY_B) as b:
        clerk = await b.login("clerk")
        copy = await b.ok("GET", f"/workers/{old['id']}/export", clerk)
        assert copy["worker"]["id_number"] == ids[1]
        r = await b.request("POST", "/workers", clerk, json=_payload(ids[1]))
        assert assert_problem(r, 409)["existing_id"] == old["id"]
    status = cli(db_url, tmp_path, "status", current=KEY_B)
    assert last_json(status.stdout)["rows"] == {B: 3}

    # B lost too: her ID number is a clear error for her alone; the list still answers.
    async with served(settings, api.engine, secret_key=KEY_C) as c:
        clerk = await c.login("clerk")
        r = await c.request("GET", f"/workers/{her['id']}/export", clerk)
        problem = assert_problem(r, 500)
        assert B in problem["detail"] and "LAOWU_PREVIOUS_SECRET_KEYS" in problem["detail"]
        assert (await c.ok("GET", "/workers", clerk))["total"] == 3
        masked = (await c.ok("GET", f"/workers/{her['id']}", clerk))["id_number"]
        assert masked == ids[0][:4] + "*" * 10 + ids[0][-4:]
    before = await api.digest()
    lost = cli(db_url, tmp_path, "status", current=KEY_C)
    assert lost.returncode == 1
    assert last_json(lost.stdout)["rows"] == {Keys.from_secret(KEY_C).current_id: 0, "missing": 3}
    refused = cli(db_url, tmp_path, "rotate", current=KEY_C)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "3 ID numbers are under a key not in the ring" in refused.stderr
    assert await api.digest() == before


def _payload(id_number: str, **overrides: Any) -> dict[str, Any]:
    return worker_payload(id_number=id_number, phone=unique_phone(), **overrides)
