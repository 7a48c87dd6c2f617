"""The one rule for free text a person typed: trimmed, not blank, no NUL character."""

from __future__ import annotations

from matching.lib.errors import FieldErrors

BLANK = "must not be blank"
NUL = "must not contain a NUL character"


def text_problem(value: str) -> str | None:
    """Why the trimmed ``value`` cannot be stored, or None when it can."""
    if not value:
        return BLANK
    if "\x00" in value:
        return NUL
    return None


def clean_text(errors: FieldErrors, field: str, value: str, *, blank: str = BLANK) -> str:
    """``value`` trimmed; a blank or NUL-bearing value adds an error for ``field``."""
    cleaned = value.strip()
    problem = text_problem(cleaned)
    if problem is not None:
        errors.add(field, blank if problem == BLANK else problem)
    return cleaned


def clean_optional(
    errors: FieldErrors, field: str, value: str | None, *, blank: str = BLANK
) -> str | None:
    """``clean_text`` for a field that may be left out (None stays None)."""
    return None if value is None else clean_text(errors, field, value, blank=blank)
