"""The one rule for free text a person typed on one line (a name, a place, a title, a reason):
NFC-normalised, trimmed of spaces, with something visible in it, and none of the characters
that hide or disguise text: no control character (C0, DEL, C1: a NUL, a newline, a tab, the
ESC of an ANSI escape; nor a line or paragraph separator), no bidirectional override, embedding,
isolate or mark, and no zero-width or other invisible formatting character.

Multi-line text (a rights case's log and notes, a check-in's problem) does not use this rule.
"""

from __future__ import annotations

import functools
import unicodedata

from matching.lib.errors import FieldErrors

BLANK = "must not be blank"
NUL = "must not contain a NUL character"
CONTROL = "must not contain control characters"
BIDI = "must not contain bidirectional control characters"
INVISIBLE = "must not contain zero-width or other invisible characters"
ERASED = "已删除"
"""What stands in for a text erased with the person it was about (her name, her complaint)."""

# Bidirectional formatting (Unicode UAX #9): embeddings and overrides U+202A–U+202E, isolates
# U+2066–U+2069, and the marks LRM, RLM and ALM. They can make a name display as another.
_BIDI = frozenset(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
)
# Control characters (Cc: C0, DEL, C1), line and paragraph separators, lone surrogates.
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
# Separators, controls, format characters and combining marks alone show nothing.
_HIDDEN_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Mn", "Me", "Mc"})
# Letters by category that draw nothing: a name made of them is blank.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Spaces (Zs) are trimmed from both ends; nothing else is (a control character is refused).
_SPACES = "".join(chr(c) for c in range(0x3001) if unicodedata.category(chr(c)) == "Zs")


def _visible(c: str) -> bool:
    # Private-use and unassigned code points count as visible: rare characters in names live
    # there (PUA mappings of GB 18030, CJK blocks newer than this Python's Unicode tables).
    return unicodedata.category(c) not in _HIDDEN_CATEGORIES and c not in _BLANK_LETTERS


@functools.lru_cache(maxsize=1 << 16)
def normalise(value: str) -> str:
    """``value`` in NFC (one spelling for one text), spaces trimmed from both ends."""
    return unicodedata.normalize("NFC", value).strip(_SPACES)


@functools.lru_cache(maxsize=1 << 16)
def text_problem(value: str) -> str | None:
    """Why the normalised ``value`` cannot be stored, or None when it can. Pure, so cached:
    an import's 100,000 rows name a few counties and cities over and over."""
    if not value:
        return BLANK
    if "\x00" in value:
        return NUL
    if any(unicodedata.category(c) in _CONTROL_CATEGORIES for c in value):
        return CONTROL
    if not any(_visible(c) for c in value):
        return BLANK  # only zero-width spaces, say: nothing anyone could read
    if any(c in _BIDI for c in value):
        return BIDI
    if any(unicodedata.category(c) == "Cf" for c in value):
        return INVISIBLE  # zero-width space, joiners, word joiner, BOM, soft hyphen, tags...
    return None


def clean_text(errors: FieldErrors, field: str, value: str, *, blank: str = BLANK) -> str:
    """``value`` normalised; a blank or ill-formed value adds an error for ``field``."""
    cleaned = normalise(value)
    problem = text_problem(cleaned)
    if problem is not None:
        errors.add(field, blank if problem == BLANK else problem)
    return cleaned


def clean_optional(
    errors: FieldErrors, field: str, value: str | None, *, blank: str = BLANK
) -> str | None:
    """``clean_text`` for a field that may be left out (None stays None)."""
    return None if value is None else clean_text(errors, field, value, blank=blank)
