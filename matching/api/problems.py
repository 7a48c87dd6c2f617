"""One place that turns errors into RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError

from matching.lib.errors import DomainError, Invalid, Message, Translate, from_msgspec, msg

log = logging.getLogger("laowu.errors")

PROBLEM_JSON = "application/problem+json"
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]*)`")
_MISSING_FIELD = re.compile(r"missing required field `([^`]*)`")
REFUSED_FIELD = "refused_field"
"""A route's ``opt`` key: a function naming why a field its body must not carry is refused
(the service that owns the rule supplies it; this module only maps)."""
RefusedField = Callable[[str], str | None]
TRANSLATE = "translate"
"""The app's ``state`` key: ``(request) -> Translate``, the reader's language (the composition
root wires the console's catalog in; without it messages stay English)."""


def translate_for(request: Request[Any, Any, Any]) -> Translate:
    chooser = request.app.state.get(TRANSLATE)
    return chooser(request) if chooser is not None else (lambda text: text)


def _say(request: Request[Any, Any, Any], message: str | Message) -> str:
    m = message if isinstance(message, Message) else Message(message)
    return m.render(translate_for(request))


def problem(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    tr = translate_for(request)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": tr(title),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _field_of(
    key: str | None, message: str, refused: RefusedField | None
) -> tuple[str, str | Message]:
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:
        name = unknown.group(1)
        return name, (refused(name) if refused else None) or msg("is not a field of this resource")
    missing = _MISSING_FIELD.search(message)
    if missing and (not key or key == "data"):
        return missing.group(1), msg("is required")
    if message == "'data'":  # an empty or null body: there is no object to read fields from
        return "body", msg("must be a JSON object")
    if not key or key == "data":
        return "body", from_msgspec(message)
    return key, from_msgspec(message)


def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    handler = request.scope.get("route_handler")
    refused = handler.opt.get(REFUSED_FIELD) if handler is not None else None
    for item in extra:
        if isinstance(item, dict):
            text = str(item.get("message", "is invalid"))
            field, message = _field_of(item.get("key"), text, refused)
            errors.append({"field": field, "message": _say(request, message)})
    if not errors:
        errors.append({"field": "body", "message": _say(request, exc.detail or "is invalid")})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(request, 422 if _is_body(extra) else 400, "Invalid input", detail, errors)


def _is_body(extra: list[Any]) -> bool:
    """Body fields that fail answer 422; a malformed query or path answers 400."""
    return any(isinstance(i, dict) and i.get("source") == "body" for i in extra)


def on_domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if exc.status_code >= 500:  # ours to fix (a key missing from the ring): the operator's log
        log.error("HTTP %s on %s: %s", exc.status_code, request.url.path, exc.detail)
    tr = translate_for(request)
    errors = exc.rendered_errors(tr) if isinstance(exc, Invalid) else None
    return problem(request, exc.status_code, exc.title, exc.rendered(tr), errors, exc.extra)


def on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        log.error("HTTP %s on %s: %s", status, request.url.path, exc.detail)
    titles = {
        400: "Bad request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        413: "Request body too large",
        429: "Too many requests",
    }
    detail = exc.detail
    undecodable = isinstance(exc.__cause__, SerializationException)
    if status == 400 and (undecodable or "malformed" in detail.lower()):
        detail = _say(
            request, Message(msg("the body is not valid JSON ({reason})"), {"reason": detail})
        )
        return problem(
            request, 400, "Malformed JSON", detail, [{"field": "body", "message": detail}]
        )
    response = problem(request, status, titles.get(status, "Error"), _say(request, detail))
    response.headers.update(exc.headers or {})  # e.g. a 405's Allow, which RFC 9110 requires
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def on_recursion(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """msgspec gives up on absurdly nested JSON with a RecursionError: the client's fault."""
    if "deserializ" not in str(exc):
        return on_unexpected(request, exc)
    detail = _say(request, msg("the body is not valid JSON (nested too deeply)"))
    return problem(request, 400, "Malformed JSON", detail, [{"field": "body", "message": detail}])


# SQLSTATE class 22 ("data exception"): PostgreSQL refuses a value the client sent, e.g. a NUL
# character in text or a number beyond the column's range. The client's fault, not ours.
_DATA_EXCEPTION = "22"


def on_database(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    if isinstance(exc, IntegrityError):
        # Services check for duplicates first; this is the race two requests can still run.
        log.info("integrity conflict on %s: %s", request.url.path, _db_cause(exc))
        return problem(
            request,
            409,
            "Conflict",
            _say(
                request,
                msg(
                    "this conflicts with a record written at the same moment (a duplicate or a "
                    "changed reference); reload and try again"
                ),
            ),
        )
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    if not sqlstate.startswith(_DATA_EXCEPTION):
        # Not log.exception: the driver's message can echo a value she gave (asyncpg's "invalid
        # input for query argument $1: '…'"), so the line names the error and the stack only.
        stack = "".join(traceback.format_tb(exc.__traceback__))
        log.error(
            "database error on %s %s: %s\n%s",
            request.method,
            request.url.path,
            _db_cause(exc),
            stack,
        )
        return _internal(request)
    log.info(
        "refused a value the database cannot store on %s: %s", request.url.path, _db_cause(exc)
    )
    detail = _say(
        request,
        msg(
            "a value cannot be stored: a number is out of range or a text holds a character "
            "(such as NUL) that is not allowed"
        ),
    )
    return problem(request, 422, "Invalid input", detail, [{"field": "body", "message": detail}])


def _db_cause(exc: DBAPIError) -> str:
    """What went wrong in the database, without its message (which may quote a value)."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    constraint = getattr(getattr(orig, "__cause__", None), "constraint_name", None)
    found = [type(orig).__name__, f"sqlstate {sqlstate}" if sqlstate else ""]
    found.append(f"constraint {constraint}" if constraint else "")
    return ", ".join(f for f in found if f)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _internal(request)


def _internal(request: Request[Any, Any, Any]) -> Response[Any]:
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal error",
        _say(
            request,
            msg("something went wrong on our side; nothing was saved. The error is logged."),
        ),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ValidationException: on_validation,
    DomainError: on_domain,
    HTTPException: on_http,
    RecursionError: on_recursion,
    DBAPIError: on_database,
    Exception: on_unexpected,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "REFUSED_FIELD",
    "TRANSLATE",
    "problem",
    "translate_for",
]
