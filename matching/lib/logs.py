"""The process's log: one line per event, JSON (python-json-logger) or a human line, each
carrying what it was written for — the request id, the job and its run, the notice — from a
context variable set where that work starts (``bind``), so no call site passes them.

What may never be in a line: her name, phone, ID number (in any form) or birth date. The log
calls name ids only; uvicorn's access lines lose their query string (``?q=`` can hold a phone)
and SQLAlchemy's errors their parameters (``hide_parameters`` on every engine)."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("json", "human")
# The fields a line may carry from its context, in the order a human line shows them.
FIELDS = ("request_id", "job", "run_id", "notice_id")

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "laowu_log_context", default=None
)


@contextlib.contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Every line written inside (in this task and the tasks it starts) carries ``fields``."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def set_fields(**fields: Any) -> contextvars.Token[dict[str, Any] | None]:
    """``bind`` for a caller that resets by itself (an ASGI middleware); see ``reset``."""
    return _context.set({**(_context.get() or {}), **fields})


def reset(token: contextvars.Token[dict[str, Any] | None]) -> None:
    _context.reset(token)


def current(name: str) -> Any:
    return (_context.get() or {}).get(name)


class ContextFilter(logging.Filter):
    """Puts the bound fields on each record (``None`` when unbound)."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, bound.get(name))
        return True


class AccessLineFilter(logging.Filter):
    """uvicorn's access line without the query string: ``/api/v1/workers?q=138…`` would put
    a phone in the log. uvicorn passes ``(client, method, full_path, http_version, status)``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            record.args = (args[0], args[1], path, args[3], args[4])
        return True


class _JsonLine(JsonFormatter):
    """Only the context fields that are set, so a line holds no run of nulls."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for name in FIELDS:
            if log_data.get(name) is None:
                log_data.pop(name, None)


class _HumanLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        bound = " ".join(
            f"{n}={getattr(record, n)}" for n in FIELDS if getattr(record, n, None) is not None
        )
        line = super().format(record)
        return f"{line} [{bound}]" if bound else line


def default_format(stream: TextIO | None = None) -> str:
    """Human on a terminal, JSON otherwise (a unit's journal, a container's log)."""
    stream = stream or sys.stderr
    return "human" if stream.isatty() else "json"


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return _JsonLine(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,  # ISO 8601 in UTC, as "timestamp"
            json_ensure_ascii=False,
        )
    return _HumanLine("%(asctime)s %(levelname)s %(name)s: %(message)s")


# Loggers too chatty at INFO: one line per webhook call; the dispatcher logs failures itself.
_QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING}


def configure(fmt: str | None, level: int | str = logging.INFO) -> None:
    """One handler on the root logger, to stderr; every logger (uvicorn's, APScheduler's,
    SQLAlchemy's) propagates to it. Called once by the ``laowu`` command."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt or default_format()))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLineFilter) for f in access.filters):
        access.addFilter(AccessLineFilter())
    # Shown records would carry the parameters (hide_parameters hides them in errors only).
    logging.getLogger("sqlalchemy.engine").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
