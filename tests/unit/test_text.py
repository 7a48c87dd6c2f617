"""The one rule for one-line text (matching/lib/text.py), without a database."""

from __future__ import annotations

import unicodedata

import pytest

from matching.lib.errors import FieldErrors
from matching.lib.text import BIDI, BLANK, CONTROL, INVISIBLE, NUL, clean_optional, clean_text


def _clean(value: str) -> tuple[str, dict[str, str]]:
    errors = FieldErrors()
    cleaned = clean_text(errors, "name", value)
    return cleaned, {f: str(m) for f, m in errors.items}


@pytest.mark.parametrize(
    "name",
    [
        "王秀英",
        "阿依古丽·买买提",  # a Uyghur name in Chinese, with a middle dot (U+00B7)
        "热依拉・艾则孜",  # a katakana middle dot, as some IMEs type it
        "欧阳 秀兰",
        "Robert'); DROP TABLE worker_profiles;--",
        "<script>alert(1)</script>",
        "㐀𠀀𪚥",  # CJK extension A and B: beyond the BMP
        "\ue000",  # a private-use character (rare characters are mapped there)
        "上海　浦东",  # an ideographic space inside
    ],
)
def test_ordinary_names_pass_unchanged(name: str) -> None:
    assert _clean(name) == (name, {})


def test_spaces_are_trimmed_and_text_is_nfc() -> None:
    assert _clean("\u3000 王秀英 \u00a0") == ("王秀英", {})
    decomposed = "Jose\u0301"  # e + combining acute: one text, one spelling
    assert _clean(decomposed) == (unicodedata.normalize("NFC", decomposed), {})
    assert _clean(decomposed)[0] == "Jos\u00e9"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("王\n秀英", CONTROL),
        ("王秀英\n", CONTROL),
        ("王\r秀英", CONTROL),
        ("王\t秀英", CONTROL),
        ("\x1b[31m王秀英\x1b[0m", CONTROL),  # an ANSI escape
        ("王\x7f秀英", CONTROL),  # DEL
        ("王\x85秀英", CONTROL),  # NEL, a C1 control
        ("王\x9b31m秀英", CONTROL),  # CSI, a C1 control
        ("王\u2028秀英", CONTROL),  # line separator
        ("王\u2029秀英", CONTROL),  # paragraph separator
        ("王\x00秀英", NUL),
        *[(f"王{chr(c)}秀英", BIDI) for c in range(0x202A, 0x202F)],
        *[(f"王{chr(c)}秀英", BIDI) for c in range(0x2066, 0x206A)],
        ("王\u200f秀英", BIDI),  # right-to-left mark
        ("王\u200b秀英", INVISIBLE),  # zero-width space
        ("王\u200c秀英", INVISIBLE),  # zero-width non-joiner
        ("王\u200d秀英", INVISIBLE),  # zero-width joiner
        ("王\u2060秀英", INVISIBLE),  # word joiner
        ("\ufeff王秀英", INVISIBLE),  # byte-order mark
        ("王\u00ad秀英", INVISIBLE),  # soft hyphen
        ("", BLANK),
        ("   ", BLANK),
        ("\u200b\u200b", BLANK),  # only zero-width spaces: nothing to see
        ("\u200b \ufeff\u2060", BLANK),
        ("\u3164", BLANK),  # Hangul filler: a "letter" that draws nothing
        ("\u0301", BLANK),  # a combining mark alone
        ("\x00", NUL),
        ("\x1b", CONTROL),
        ("\u202e", BLANK),  # an override alone: nothing to see either
    ],
)
def test_hidden_and_disguising_characters_are_refused(value: str, message: str) -> None:
    _, errors = _clean(value)
    assert errors == {"name": message}


def test_a_custom_blank_message_covers_invisible_only_values() -> None:
    errors = FieldErrors()
    assert clean_optional(errors, "industry", None, blank="leave it out") is None
    clean_optional(errors, "industry", "\u200b", blank="leave it out")
    assert [(f, str(m)) for f, m in errors.items] == [("industry", "leave it out")]
