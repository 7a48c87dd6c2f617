"""Domain errors. Services raise these; one exception handler turns them into problem details.

An error carries a message template, not a finished sentence: the template (English, with
``{name}`` placeholders) is the catalog's msgid, and its values travel beside it, so the page
or the problem details render it in the reader's language. A raise site reads
``Conflict(msg("employer {employer_id} is suspended ..."), employer_id=7)``; ``msg`` only marks
the template for the catalog's test. ``detail`` and each error's ``message`` stay the English
rendering (logs, the CLI, ``str(exc)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Translate = Callable[[str], str]


def msg(template: str) -> str:
    """Marks a message template (a catalog msgid); ``{name}`` placeholders take the values."""
    return template


def _same(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Message:
    """A message template and its values, rendered on demand in a language."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def render(self, translate: Translate = _same) -> str:
        text = translate(self.template) if self.template else ""
        if not self.values:
            return text
        values = {
            k: _code_word(v, translate) if k in _CODE_VALUES else v for k, v in self.values.items()
        }
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder
            return self.template.format(**self.values)

    def __str__(self) -> str:
        return self.render()


_CODE_VALUES = frozenset({"status", "role", "label"})
"""Values that are codes (``closed``, ``admin``): shown in the reader's words, as badges are."""


def _code_word(value: Any, translate: Translate) -> Any:
    if not isinstance(value, str) or not value:
        return value
    return translate(value.replace("_", " "))


def as_message(message: str | Message, values: Mapping[str, Any] | None = None) -> Message:
    return message if isinstance(message, Message) else Message(message, dict(values or {}))


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    title = "Bad request"

    def __init__(
        self, detail: str | Message, *, extra: dict[str, Any] | None = None, **values: Any
    ) -> None:
        self.message = as_message(detail, values)
        self.detail = self.message.render()
        super().__init__(self.detail)
        self.extra = extra or {}

    def rendered(self, translate: Translate = _same) -> str:
        return self.message.render(translate)


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


FieldError = tuple[str, str | Message]


class Invalid(DomainError):
    """One or more fields are wrong; each error names its field."""

    status_code = 422
    title = "Invalid input"

    def __init__(
        self,
        errors: Iterable[FieldError] | str,
        message: str | Message | None = None,
        **values: Any,
    ) -> None:
        if isinstance(errors, str):
            pairs = [(errors, as_message(message or "is invalid", values))]
        else:
            pairs = [(f, as_message(m)) for f, m in errors]
        self.messages: list[tuple[str, Message]] = pairs
        self.errors = [{"field": f, "message": m.render()} for f, m in pairs]
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in self.errors))

    def rendered(self, translate: Translate = _same) -> str:
        return "; ".join(f"{f}: {m.render(translate)}" for f, m in self.messages)

    def rendered_errors(self, translate: Translate = _same) -> list[dict[str, str]]:
        return [{"field": f, "message": m.render(translate)} for f, m in self.messages]


class FieldErrors:
    """Collects field errors so one response can name every wrong field at once."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str | Message, **values: Any) -> None:
        self.items.append((field, as_message(message, values)))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise Invalid(self.items)


# --- msgspec's validation messages, as templates with values ---

_MSGSPEC: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Expected `(?:str|array)` of length >= 1 "), msg("must not be blank")),
    (re.compile(r"Expected `str` of length >= (?P<n>\d+)"), msg("at least {n} characters")),
    (re.compile(r"Expected `str` of length <= (?P<n>\d+)"), msg("at most {n} characters")),
    (re.compile(r"Expected `array` of length <= (?P<n>\d+)"), msg("at most {n} items")),
    (re.compile(r"Expected `(?:int|float)` >= (?P<n>-?\d+)"), msg("must be at least {n}")),
    (re.compile(r"Expected `(?:int|float)` <= (?P<n>-?\d+)"), msg("must be at most {n}")),
    (re.compile(r"Expected `str` matching regex"), msg("has characters or a form not allowed")),
    (re.compile(r"Expected `int`, got"), msg("enter a whole number")),
    (re.compile(r"Invalid RFC ?3339 encoded date"), msg("enter a date as YYYY-MM-DD")),
    (re.compile(r"Expected `date`, got"), msg("enter a date as YYYY-MM-DD")),
    (re.compile(r"Expected `bool`, got"), msg("must be true or false")),
    (
        re.compile(r"Invalid enum value '(?P<value>[^']*)'"),
        msg("{value!r} is not one of the choices"),
    ),
    (
        re.compile(r"Object contains unknown field `(?P<name>[^`]*)`"),
        msg("is not a field of this resource"),
    ),
    (re.compile(r"Object missing required field `(?P<name>[^`]*)`"), msg("is required")),
    (
        re.compile(r"Expected `(?P<type>[a-z]+)`, got `(?P<got>[a-z]+)`"),
        msg("must be a {type}, not a {got}"),
    ),
]


def from_msgspec(text: str) -> Message:
    """A msgspec validation message as a template the catalog translates (else as it is)."""
    for pattern, template in _MSGSPEC:
        found = pattern.search(text)
        if found:
            return Message(template, found.groupdict())
    return Message(text.split(" - at `", 1)[0])
