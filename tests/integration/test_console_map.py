"""Every write the API offers is reachable in the console, or says why not (issue: "Every
action the API offers a staff member, an employer or an admin is reachable in the console").

The app's own routes are read (``app.routes``): each POST, PUT, PATCH and DELETE under
``/api/v1`` must have a row in ``docs/console.md``, each row must name a route the API has,
and each console page and form a row names must be a route the console has, with that method.
A row without a form gives its reason instead (不在控制台 … or 尚未 …)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import Api

DOC = Path(__file__).parents[2] / "docs" / "console.md"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
REASONS = ("不在控制台", "尚未")
_ROUTE = re.compile(r"^`(GET|POST|PUT|PATCH|DELETE) (/\S*)`$")


@dataclass(frozen=True)
class Row:
    api: tuple[str, str]
    page: tuple[str, str] | None
    form: tuple[str, str] | None
    reason: str


def _template(path: str) -> str:
    """``/x/{id:int}`` → ``/x/{id}``: the route as the table writes it."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def rows(text: str) -> list[Row]:
    """The table's rows; a malformed cell fails here, naming the row."""
    out = []
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5, line
        api, _who, _name, page, form = cells
        found = _ROUTE.match(api)
        assert found and found.group(2).startswith("/api/v1/"), line
        page_route = _ROUTE.match(page)
        assert page_route or page == "—", line
        form_route = _ROUTE.match(form)
        if form_route is None:
            assert form.startswith(REASONS) and len(form) > 8, (
                f"neither a form nor a reason: {line}"
            )
        out.append(
            Row(
                api=(found.group(1), found.group(2)),
                page=(page_route.group(1), page_route.group(2)) if page_route else None,
                form=(form_route.group(1), form_route.group(2)) if form_route else None,
                reason="" if form_route else form,
            )
        )
    return out


def api_writes(app: Any) -> set[tuple[str, str]]:
    return {
        (method, _template(route.path))
        for route in app.routes
        if route.path.startswith("/api/")
        for handler in route.route_handlers
        for method in handler.http_methods
        if method in WRITES
    }


def _pattern(path: str) -> str:
    """A route's path as a regular expression: ``{x:int}`` a number, another parameter a
    segment."""
    parts = []
    for segment in path.split("/"):
        param = re.fullmatch(r"\{\w+:(\w+)\}", segment)
        if param is None:
            parts.append(re.escape(segment))
        else:
            parts.append(r"\d+" if param.group(1) == "int" else r"[^/]+")
    return "/".join(parts)


def console_has(app: Any, method: str, path: str) -> bool:
    """Whether a console (non-API) route answers ``method`` at ``path`` (``{x}`` as a number)."""
    concrete = re.sub(r"\{\w+\}", "1", path)
    return any(
        re.fullmatch(_pattern(route.path), concrete)
        and any(method in h.http_methods for h in route.route_handlers)
        for route in app.routes
        if not route.path.startswith(("/api/", "/schema"))
    )


def problems(app: Any, table: list[Row]) -> list[str]:
    found = []
    documented = {r.api for r in table}
    for method, path in sorted(api_writes(app) - documented):
        found.append(f"{method} {path}: no row in docs/console.md")
    for method, path in sorted(documented - api_writes(app)):
        found.append(f"{method} {path}: a row for a route the API does not have")
    for r in table:
        for what, route in (("page", r.page), ("form", r.form)):
            if route is not None and not console_has(app, *route):
                found.append(f"{r.api}: its {what} {route[0]} {route[1]} is not a console route")
    return found


def test_every_api_write_has_its_console_page_or_a_reason(api: Api) -> None:
    app = api.client.app
    table = rows(DOC.read_text(encoding="utf-8"))
    assert len(api_writes(app)) > 40  # the app's routes were read, not an empty list
    assert not problems(app, table), "\n".join(problems(app, table))
    # every route the console serves itself (not a gap) is reached by a form, not a reason
    assert all(r.page is not None for r in table if r.form is not None)


def test_the_check_fails_on_a_new_route_a_stale_row_and_a_missing_page(api: Api) -> None:
    """The test above can fail: a route without a row, a row without a route, a wrong page."""
    app = api.client.app
    table = rows(DOC.read_text(encoding="utf-8"))
    dropped = [r for r in table if r.api != ("POST", "/api/v1/enrolments/{enrolment_id}/withdraw")]
    assert problems(app, dropped) == [
        "POST /api/v1/enrolments/{enrolment_id}/withdraw: no row in docs/console.md"
    ]
    invented = Row(("DELETE", "/api/v1/workers/{worker_id}"), None, None, "尚未：x")
    assert problems(app, [*table, invented]) == [
        "DELETE /api/v1/workers/{worker_id}: a row for a route the API does not have"
    ]
    wrong = Row(
        ("POST", "/api/v1/courses"), ("GET", "/training/nowhere"), ("POST", "/training"), ""
    )
    assert len(problems(app, [*table, wrong])) == 2
    assert console_has(app, "POST", "/training/enrolments/{enrolment_id}/withdraw")
    assert console_has(app, "POST", "/employers/{employer_id}/edit")
    assert console_has(app, "POST", "/offers/{offer_id}/accept")  # through {action:str}
    assert not console_has(app, "GET", "/training/enrolments/{enrolment_id}/withdraw")
    with pytest.raises(AssertionError):
        rows("| `POST /api/v1/x` | 谁 | 页 | — | 以后再说 |")
