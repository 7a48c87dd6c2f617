"""What the OpenAPI document says of every API operation besides its success: the problem
responses it can answer (RFC 9457, ``application/problem+json``) and whether it is public.

One place for every route: ``ProblemDocs`` receives each route as the app registers it and
derives the problems from the route's shape (a token, path ids, query parameters, a body, a
write); a route that can answer more says so in its ``opt`` (``answers(...)``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import msgspec
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from matching.api.problems import PROBLEM_JSON

ANSWERS = "answers"
"""A route's ``opt`` key: the problem statuses it answers beyond those its shape implies."""

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODIED = frozenset({"POST", "PUT", "PATCH"})  # whose body ``strict_json_body`` reads, if any

DESCRIPTIONS = {
    400: "Malformed request: a path or query parameter out of its type or range, or a body "
    "that is not JSON",
    401: "No bearer token, or one that is invalid, expired or ended (WWW-Authenticate: Bearer)",
    403: "The token's role or scope does not allow this (or it opens only the password "
    "change, after an admin's reset)",
    404: "Not found, or not visible to this account",
    409: "Conflict: a stale version, a duplicate, or a state that does not allow this",
    413: "The body is larger than LAOWU_MAX_BODY_BYTES",
    422: "Invalid input: `errors` names each field at fault",
    429: "Too many failed logins: try again after Retry-After seconds",
}


RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
    required=True,
    description="seconds until logins of that username or address are accepted again",
)


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details; some problems add members (e.g. ``running_run_id``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


def answers(*statuses: int) -> dict[str, Any]:
    """``opt`` for a route that answers these problems besides those of its shape."""
    return {ANSWERS: frozenset(statuses)}


@dataclass
class ApiOperation(Operation):
    """An operation as Litestar builds it, corrected where Litestar cannot say what we mean."""

    public: ClassVar[bool] = False
    """Anyone may call it: ``security: []`` overrides the document's bearer token (Litestar
    leaves an empty ``security`` out, which would mean "needs the token")."""
    optional_body: ClassVar[bool] = False
    """Its body has a default: Litestar still marks every request body required."""

    def __post_init__(self) -> None:
        if self.public:
            self.security = []
        if self.optional_body and isinstance(self.request_body, RequestBody):
            self.request_body.required = False
        too_many = (self.responses or {}).get("429")
        if isinstance(too_many, OpenAPIResponse):  # ResponseSpec has no headers
            too_many.headers = {"Retry-After": RETRY_AFTER}


@cache
def operation_class(*, public: bool, optional_body: bool) -> type[Operation]:
    attrs = {"public": public, "optional_body": optional_body}
    return type("ApiOperation", (ApiOperation,), attrs)


def problem_statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> set[int]:
    """The problems a route handler can answer, from its shape and its ``answers``."""
    opt = handler.opt
    public = bool(opt.get("exclude_from_auth"))
    params = set(handler.parsed_fn_signature.parameters)
    path = set(route.path_parameters)
    query = params - path - RESERVED_KWARGS - set(handler.resolve_dependencies())
    body = "data" in params or bool(opt.get("raw_body"))
    statuses: set[int] = set(opt.get(ANSWERS, ()))
    if not public:
        statuses |= {401, 403}
        if handler.http_methods & WRITES:
            statuses.add(409)  # a lost race (a duplicate written at the same moment) at least
    if path or query:
        statuses.add(400)
    if path:
        statuses.add(404)
    if body:
        statuses.add(400)  # not JSON
    if handler.http_methods & BODIED:
        statuses |= {413, 422}  # too large; a field at fault, or a body where none is taken
    return statuses


class ProblemDocs(ReceiveRoutePlugin):
    """Documents each API route's problem responses and, for a public route, its ``security``."""

    def __init__(self, prefix: str = "/api/") -> None:
        self.prefix = prefix

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(self.prefix):
            return
        for handler in route.route_handlers:
            specs = {
                status: ResponseSpec(
                    data_container=Problem,
                    generate_examples=False,
                    description=DESCRIPTIONS[status],
                    media_type=PROBLEM_JSON,
                )
                for status in sorted(problem_statuses(route, handler))
            }
            handler.responses = {**specs, **(handler.responses or {})}
            data = handler.parsed_fn_signature.parameters.get("data")
            handler.operation_class = operation_class(
                public=bool(handler.opt.get("exclude_from_auth")),
                optional_body=data is not None and data.has_default,
            )


__all__ = ["ANSWERS", "ApiOperation", "Problem", "ProblemDocs", "answers", "problem_statuses"]
