"""The OpenAPI document says what the API answers: each operation's problem responses
(``application/problem+json``, the Problem schema) and which operations are public."""

from __future__ import annotations

import re
from typing import Any

from tests.integration.test_matching import wait_run
from tests.support import PROBLEM_JSON, Api, assert_problem, opening_payload

PUBLIC = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/health/live"),
    ("GET", "/api/v1/health/ready"),
    ("GET", "/api/v1/ping"),
    ("GET", "/api/v1/skills"),
    ("GET", "/api/v1/priority-groups"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/notices/inbound"),
}
METHODS = {"get", "post", "put", "patch", "delete"}


async def document(api: Api) -> dict[str, Any]:
    r = await api.client.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        if path.startswith("/api/")
        for method, op in item.items()
        if method in METHODS
    ]


def declares(doc: dict[str, Any], method: str, path: str, status: int) -> bool:
    return str(status) in doc["paths"][path][method.lower()]["responses"]


async def test_public_operations_declare_no_security_and_the_others_the_bearer(api: Api) -> None:
    doc = await document(api)
    assert doc["security"] == [{"BearerToken": []}]
    assert doc["components"]["securitySchemes"]["BearerToken"]["scheme"] == "Bearer"
    ops = operations(doc)
    assert {(m, p) for m, p, op in ops if op.get("security") == []} == PUBLIC
    assert all("security" not in op for m, p, op in ops if (m, p) not in PUBLIC)
    # and the app agrees, operation by operation: without a token only the public ones open
    for method, path, _op in ops:
        url = re.sub(r"\{[^}]+\}", "1", path).removeprefix("/api/v1")
        r = await api.request(method, url)
        missing = r.status_code == 401 and "No JWT token" in r.text
        assert missing == ((method, path) not in PUBLIC), f"{method} {path}: {r.status_code}"
        if missing:
            assert declares(doc, method, path, 401), f"{method} {path}"


async def test_every_operation_declares_its_problems_as_problem_json(api: Api) -> None:
    doc = await document(api)
    schemas = doc["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    assert problem["properties"]["errors"]["oneOf"][0]["items"] == {
        "$ref": "#/components/schemas/FieldError"
    }
    assert set(schemas["FieldError"]["required"]) == {"field", "message"}
    for method, path, op in operations(doc):
        where = f"{method} {path}"
        responses = op["responses"]
        problems = {int(s) for s in responses if s.startswith("4")}
        for status in problems:
            content = responses[str(status)]["content"]
            assert content == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        if (method, path) not in PUBLIC:
            assert {401, 403} <= problems, where
        if "{" in path:
            assert {400, 404} <= problems, where
        if "requestBody" in op:
            assert {400, 413, 422} <= problems, where
    inbound = doc["paths"]["/api/v1/notices/inbound"]["post"]
    headers = {p["name"] for p in inbound["parameters"] if p["in"] == "header"}
    assert headers == {"X-Laowu-Timestamp", "X-Laowu-Signature"}  # what the gateway signs
    assert "401" in inbound["responses"]
    login = doc["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"401", "429"} <= login.keys()
    assert login["429"]["headers"]["Retry-After"]["required"] is True


async def test_refusals_the_fuzzer_found_undeclared_are_declared(api: Api) -> None:
    """Each of these answered a status its operation did not declare."""
    doc = await document(api)
    admin = await api.admin()
    for path, operation in [
        ("/workers?priority_group=nope", "/api/v1/workers"),
        ("/openings?status=0.5", "/api/v1/openings"),
        ("/tasks?status=lost", "/api/v1/tasks"),
        ("/cases?status=lost", "/api/v1/cases"),
    ]:
        r = await api.request("GET", path, admin)
        assert_problem(r, 422, "priority_group" if "priority" in path else "status")
        assert declares(doc, "GET", operation, 422), path
    agency = await api.agency()
    r = await api.request("POST", "/openings", admin, json=opening_payload(2147483646))
    assert_problem(r, 404)
    assert declares(doc, "POST", "/api/v1/openings", 404)
    r = await api.request("POST", "/auth/token", json={"username": "root", "password": "wrong"})
    assert_problem(r, 401)
    assert declares(doc, "POST", "/api/v1/auth/token", 401)
    # bodies with a default may be left out, as the app allows
    for path in ("/match-runs", "/offers/{offer_id}/confirm", "/tasks/{task_id}/done"):
        assert doc["paths"][f"/api/v1{path}"]["post"]["requestBody"]["required"] is False, path
    staff = await api.staff(agency["id"])
    r = await api.request("POST", "/match-runs", staff)
    assert r.status_code == 202, r.text
    await wait_run(api, staff, r.json()["id"])  # before the tables are emptied under it
    assert doc["paths"]["/api/v1/workers"]["post"]["requestBody"]["required"] is True
