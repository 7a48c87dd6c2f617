"""The request id: the client's ``X-Request-ID`` when it is short and printable, else a new
one (uuid4 hex); kept on the request's scope and sent back as the ``X-Request-ID`` header.
The access log records it, so one line of a log and one row of an audit can be matched."""

from __future__ import annotations

import re
import uuid
from typing import Any

from matching.lib import logs

HEADER = b"x-request-id"
_VALID = re.compile(rb"[\x21-\x7e]{1,64}")  # visible ASCII, at most the access log's column
_KEY = "request_id"


def request_id(scope: Any) -> str:
    """This request's id, worked out once (on first use) and kept in ``scope["state"]``."""
    state = scope.setdefault("state", {})
    found: str | None = state.get(_KEY)
    if found is None:
        for name, value in scope.get("headers", ()):
            if name == HEADER:
                if _VALID.fullmatch(value):
                    found = value.decode("ascii")
                break
        if found is None:
            found = uuid.uuid4().hex
        state[_KEY] = found
    return found


async def send_request_id(message: Any, scope: Any) -> None:
    """A ``before_send`` hook: every HTTP response carries its request's id."""
    if message["type"] == "http.response.start":
        header = (HEADER, request_id(scope).encode("ascii"))
        message["headers"] = [*message.get("headers", ()), header]


class BindRequestId:
    """The outermost ASGI middleware: every log line written while the request is served
    (the app's, the database's, uvicorn's access line, which is written from the response's
    ``send`` in this same context) carries its id."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = logs.set_fields(request_id=request_id(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            logs.reset(token)


def outermost(app_config: Any) -> Any:
    """An ``on_app_init`` hook, last of them: ``BindRequestId`` goes before every middleware."""
    app_config.middleware.insert(0, BindRequestId)
    return app_config
