"""Domain errors. Services raise these; one exception handler turns them into problem details."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"


class Unauthorized(DomainError):
    status_code = 401
    title = "Unauthorized"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class Invalid(DomainError):
    """One or more fields are wrong; each error names its field."""

    status_code = 422
    title = "Invalid input"

    def __init__(self, errors: Iterable[tuple[str, str]] | str, message: str | None = None) -> None:
        pairs = [(errors, message or "is invalid")] if isinstance(errors, str) else list(errors)
        self.errors = [{"field": f, "message": m} for f, m in pairs]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
        super().__init__(detail)


class FieldErrors:
    """Collects field errors so one response can name every wrong field at once."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise Invalid(self.items)
