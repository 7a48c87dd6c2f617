"""Refuse wrong JSON types in request bodies instead of coercing them.

Litestar converts bodies with msgspec's lax rules, so ``"min_monthly_wage": "4000"`` would be
accepted as 4000 and ``"consent_matching": "false"`` as False. For a register of people that
is the wrong kindness: this hook decodes JSON bodies once more, strictly, against the handler's
body type, and turns a mismatch into the same field-naming validation error.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

RAW_BODY = {"raw_body": True}
"""Route opt for a handler that reads and checks its body itself (e.g. a signed webhook)."""

_PATH = re.compile(r" - at `\$\.?(.*)`$")


@cache
def _decoder(body_type: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(body_type, strict=True)


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if not request.headers.get("content-type", "").startswith("application/json"):
        return
    if request.route_handler.opt.get("raw_body"):
        return
    param = request.route_handler.parsed_fn_signature.parameters.get("data")
    body = await request.body()
    if param is None:
        # A route that takes no body must not silently ignore one (a fee typed by hand).
        if body.strip() not in (b"", b"{}", b"null"):
            raise ValidationException(
                detail="Validation failed",
                extra=[{"message": "this endpoint takes no body", "key": "data", "source": "body"}],
            )
        return
    if not body.strip():
        return  # Litestar answers an empty body on its own terms
    try:
        _decoder(param.annotation).decode(body)
    except msgspec.ValidationError as exc:
        extra = every_error(param.annotation, body) or [_item(str(exc), "")]
        raise ValidationException(detail="Validation failed", extra=extra) from exc
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar's own decoding reports it


def _item(message: str, prefix: str) -> dict[str, str]:
    match = _PATH.search(message)
    path = match.group(1) if match and match.group(1) else ""
    key = prefix + (("" if path.startswith("[") or not prefix else ".") + path if path else "")
    return {"message": _PATH.sub("", message), "key": key or "data", "source": "body"}


def every_error(body_type: Any, body: bytes) -> list[dict[str, str]]:
    """msgspec stops at the first wrong field; a body is checked field by field here, so one
    answer names every field at fault (an unknown one, a missing one, each wrong value)."""
    if not (isinstance(body_type, type) and issubclass(body_type, msgspec.Struct)):
        return []
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return []
    if not isinstance(data, dict):
        return []
    fields = {f.encode_name: f for f in msgspec.structs.fields(body_type)}
    errors: list[dict[str, str]] = []
    if body_type.__struct_config__.forbid_unknown_fields:
        for name in data:
            if name not in fields:
                errors.append(_item(f"Object contains unknown field `{name}`", ""))
    for name, f in fields.items():
        if name not in data:
            if f.required:
                errors.append(_item(f"Object missing required field `{name}`", ""))
            continue
        try:
            _decoder(f.type).decode(msgspec.json.encode(data[name]))
        except msgspec.ValidationError as exc:
            errors.append(_item(str(exc), name))
    return errors
