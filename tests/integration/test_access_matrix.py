"""The role × tenant matrix: every operation of the OpenAPI document, called by every kind of
caller, against one woman's records. Staff of another agency, another employer and a caller
without a token never see anything of hers and never change anything; her own employer sees
only what README promises; her agency's staff and the admin do read her records.

The operations come from the app's own document, so a new route is in the matrix the day it
is added; an operation whose path parameter this test cannot fill fails the test (add the
parameter to ``ids``). Bodies are built from each operation's request schema: valid enough to
reach the rules (ids point at her records), so a refusal is the scope's, not the parser's."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from matching.db import models as m
from matching.lib.identity import mask_id_number
from tests.integration.test_employer_view import (
    BORN,
    CASE,
    NOTE,
    PROBLEM,
    assert_clean,
    placed_world,
)
from tests.integration.test_fair_registration import _code as fair_code
from tests.integration.test_fair_registration import _form as form
from tests.integration.test_fair_registration import _post as post_registration
from tests.integration.test_training import SEWING_3, session_body
from tests.support import Api

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Her agency's staff and the admin must be able to read these of hers (the matrix is not
# vacuous: her data is there to leak).
MUST_READ = ("/workers/{worker_id}", "/workers/{worker_id}/offers", "/placements/{placement_id}")
_PARAM = re.compile(r"\{(\w+)\}")


async def _world(api: Api) -> dict[str, Any]:
    w = await placed_world(api)
    admin = await api.admin()
    her = w["her"]
    other_agency = await api.agency()
    w["staff_b"] = await api.staff(other_agency["id"])
    other_employer = await api.employer(agency_id=other_agency["id"], name="另一家绣品厂")
    w["hr_y"] = await api.employer_account(other_employer["id"])
    # her training: a course of her agency's, a session, her enrolment
    course = await api.ok("POST", "/courses", w["staff"], json=SEWING_3)
    ts = await api.ok("POST", f"/courses/{course['id']}/sessions", w["staff"], json=session_body())
    enrolment = await api.ok(
        "POST",
        f"/training-sessions/{ts['id']}/enrolments",
        w["staff"],
        json={"worker_id": her["id"]},
    )
    # a job fair of her agency, her employer attending it
    fair = await api.ok(
        "POST",
        "/job-fairs",
        w["staff"],
        json={"name": "春风行动", "date": dt.date.today().isoformat(), "place": "镇广场"},
    )
    await api.ok(
        "POST",
        f"/job-fairs/{fair['id']}/employers",
        w["staff"],
        json={"employer_id": w["employer"]["id"]},
    )
    # a woman's self-registration waiting in the fair's queue
    assert (
        await post_registration(api, await fair_code(api, fair["id"]), form())
    ).status_code == 200
    async with api.engine.connect() as conn:
        reg_id = (await conn.execute(select(m.FairRegistration.id))).scalars().first()
        notice_id = (
            (await conn.execute(select(m.Notice.id).where(m.Notice.worker_id == her["id"])))
            .scalars()
            .first()
        )
        task_id = (await conn.execute(select(m.Task.id))).scalars().first()
        staff_account = (
            (await conn.execute(select(m.Account.id).where(m.Account.role == "staff")))
            .scalars()
            .first()
        )
    w["ids"] = {
        "worker_id": her["id"],
        "run_id": w["run"]["id"],
        "offer_id": w["offer_id"],
        "placement_id": w["placement_id"],
        "case_id": w["case_id"],
        "opening_id": w["opening"]["id"],
        "employer_id": w["employer"]["id"],
        "agency_id": her["agency_id"],
        "account_id": staff_account,
        "notice_id": notice_id,
        "task_id": task_id,
        "course_id": course["id"],
        "session_id": ts["id"],
        "enrolment_id": enrolment["id"],
        "n": 2,
        "fair_id": fair["id"],
        "reg_id": reg_id,
        "year": dt.date.today().year,
    }
    assert None not in w["ids"].values(), w["ids"]
    w["admin"] = admin
    return w


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    if "oneOf" in schema or "anyOf" in schema:
        options = [_resolve(s, doc) for s in schema.get("oneOf", schema.get("anyOf", []))]
        options = [o for o in options if o.get("type") != "null"]
        return options[0] if options else {}
    return schema


def _value(name: str, schema: dict[str, Any], doc: dict[str, Any], ids: dict[str, Any]) -> Any:
    schema = _resolve(schema, doc)
    if name in ids:
        return ids[name]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "integer":
        return ids["placement_id"] if name.endswith("_id") else max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return _body(schema, doc, ids)
    if schema.get("format") == "date":
        return (dt.date.today() + dt.timedelta(days=3)).isoformat()
    if schema.get("format") == "date-time":
        return dt.datetime.now(dt.UTC).isoformat()
    return "矩阵检查"


def _body(schema: dict[str, Any], doc: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema, doc)
    props = schema.get("properties", {})
    return {k: _value(k, props[k], doc, ids) for k in schema.get("required", []) if k in props}


def _secrets(w: dict[str, Any]) -> list[str]:
    """Anything of hers, for callers who may see nothing of her."""
    digits = w["phone"].lstrip("+").removeprefix("86")
    return [
        w["her"]["name"],
        digits,
        w["id_number"],
        mask_id_number(w["id_number"]),
        BORN,
        PROBLEM,
        NOTE,
        CASE,
    ]


async def test_no_caller_outside_her_agency_reads_or_changes_anything_of_hers(api: Api) -> None:
    w = await _world(api)
    doc = (await api.client.get("/schema/openapi.json")).json()
    # public operations, as the document declares them (``security: []``)
    public = {
        t
        for t, ops in doc["paths"].items()
        for op in ops.values()
        if isinstance(op, dict) and op.get("security") == []
    }
    callers = {
        "admin": w["admin"],
        "staff_a": w["staff"],
        "hr_x": w["hr"],
        "staff_b": w["staff_b"],
        "hr_y": w["hr_y"],
        "anonymous": {},
    }
    outsiders = ("staff_b", "hr_y", "anonymous")
    secrets = _secrets(w)
    counts: Counter[str] = Counter()
    leaks: list[str] = []
    writes_that_changed: list[str] = []
    server_errors: list[str] = []
    unfilled = []
    before = await api.digest()
    for template, ops in doc["paths"].items():
        if not template.startswith("/api/v1/"):
            continue
        params = _PARAM.findall(template)
        if any(p not in w["ids"] for p in params):
            unfilled.append(template)
            continue
        path = _PARAM.sub(lambda x: str(w["ids"][x.group(1)]), template)
        short = template.removeprefix("/api/v1")
        for method, op in ops.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            if method == "get":
                # a list is also asked for her by name and id (search and filters)
                query = f"?q={w['her']['name']}&worker_id={w['ids']['worker_id']}"
                urls = [path] if params or template in public else [path, path + query]
                for (who, headers), url in itertools.product(callers.items(), urls):
                    r = await api.client.get(url, headers=headers)
                    counts[f"read:{who}"] += 1
                    if r.status_code >= 500:
                        server_errors.append(f"GET {url} as {who}: {r.status_code}")
                    if who in outsiders:
                        if who == "anonymous" and template not in public:
                            assert r.status_code == 401, (url, r.status_code)
                        found = [s for s in secrets if s in r.text]
                        if found:
                            leaks.append(f"GET {url} as {who}: {found}")
                    elif who == "hr_x" and template not in public:  # the reference lists
                        county = short.startswith(("/openings", "/employers"))
                        try:
                            assert_clean(r.text, w, f"GET {url}", html=False, county=county)
                        except AssertionError as exc:
                            leaks.append(f"GET {url} as her employer: {str(exc)[:200]}")
                    elif short in MUST_READ:
                        assert r.status_code == 200, (path, who, r.status_code, r.text)
                        assert w["her"]["name"] in r.text or short != "/workers/{worker_id}"
                continue
            if template in ("/api/v1/auth/token", "/api/v1/notices/inbound"):
                continue  # a login and the signed webhook: their refusals have tests of their own
            content = op.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            body = _body(schema, doc, w["ids"]) if schema else None
            for who in outsiders:
                if not params and template not in ("/api/v1/cases",):
                    continue  # creating in one's own agency is allowed; /cases names her placement
                r = await api.client.request(method.upper(), path, headers=callers[who], json=body)
                counts[f"write:{who}"] += 1
                if r.status_code >= 500:
                    server_errors.append(f"{method.upper()} {path} as {who}: {r.status_code}")
                if r.status_code < 400:
                    writes_that_changed.append(f"{method.upper()} {path} as {who}: {r.status_code}")
                if any(s in r.text for s in secrets):
                    leaks.append(f"{method.upper()} {path} as {who}: answer names her")
                after = await api.digest()
                if after != before:
                    writes_that_changed.append(f"{method.upper()} {path} as {who}: rows changed")
                    before = after
    total = sum(counts.values())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"access-matrix-{api.engine.dialect.name}.json").write_text(
        json.dumps({"requests": total, **counts, "leaks": leaks, "unfilled": unfilled}, indent=1)
    )
    assert not unfilled, f"path parameters this matrix cannot fill: {unfilled}"
    assert not server_errors, server_errors
    assert not leaks, leaks
    assert not writes_that_changed, writes_that_changed
    assert counts["read:staff_b"] >= 30 and total >= 300, counts
