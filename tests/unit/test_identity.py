"""Chinese mobile numbers and resident ID numbers (GB 11643-1999), without a database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.lib.clock import age_on
from matching.lib.identity import (
    check_digit,
    mask_id_number,
    normalise_mobile,
    parse_id_number,
)

# A published sample number (GB 11643-1999 appendix): 11010519491231002X
SAMPLE = "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        (" 19912345678 ", "+8619912345678"),
    ],
)
def test_mobiles_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert normalise_mobile(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "02112345678",  # a Shanghai landline
        "+1 202 555 0123",  # a US number
        "+852 9123 4567",  # Hong Kong: not mainland
        "1380013800",  # one digit short
        "138001380001",  # one digit long
        "call me maybe",
        "",
        "+",
        "12345678901",  # no such mobile prefix
    ],
)
def test_not_a_chinese_mobile(raw: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        normalise_mobile(raw)


def test_check_digit_of_the_sample() -> None:
    assert check_digit(SAMPLE[:17]) == "X"
    value, born = parse_id_number(SAMPLE.lower())
    assert value == SAMPLE and born == dt.date(1949, 12, 31)


def _make(region: str, born: dt.date, serial: int) -> str:
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return body + check_digit(body)


@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
    serial=st.integers(0, 999),
    region=st.sampled_from(["320612", "110105", "500101"]),
)
def test_every_well_formed_number_parses_back(born: dt.date, serial: int, region: str) -> None:
    value = _make(region, born, serial)
    assert parse_id_number(f" {value} ") == (value, born)
    masked = mask_id_number(value)
    assert masked[:4] == value[:4] and masked[-4:] == value[-4:] and "*" * 10 in masked
    assert len(masked) == 18


@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
    serial=st.integers(0, 999),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_a_single_changed_digit_is_caught(
    born: dt.date, serial: int, position: int, delta: int
) -> None:
    """The ISO 7064 MOD 11-2 check digit catches every single-digit error."""
    value = _make("320612", born, serial)
    digit = (int(value[position]) + delta) % 10
    changed = value[:position] + str(digit) + value[position + 1 :]
    with pytest.raises(ValueError):
        parse_id_number(changed)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (SAMPLE[:-1] + "1", "check digit"),
        ("320612" + "19901317" + "123" + "0", "impossible birth date"),  # month 13
        ("320612" + "19900230" + "123" + "0", "impossible birth date"),  # 30 February
        ("320612" + "18991231" + "123" + "0", "impossible birth date"),  # before 1900
        ("3206121990051712", "18 characters"),
        ("3206121990051712345", "18 characters"),
        ("32061219900517123Y", "digit or X"),
        ("X20612199005171234", "digit or X"),
        ("٣٢٠٦١٢١٩٩٠٠٥١٧١٢٣٤", "digit or X"),  # Arabic-Indic digits are not ID digits
    ],
)
def test_bad_id_numbers(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_id_number(raw)


def test_impossible_dates_are_refused_even_with_a_right_check_digit() -> None:
    for date in ("19901317", "19900230", "20230229", "19900001", "19900100"):
        body = f"320612{date}123"
        with pytest.raises(ValueError, match="impossible birth date"):
            parse_id_number(body + check_digit(body))


def test_full_width_digits_are_the_same_number() -> None:
    """Typed with a Chinese IME: normalised, so the duplicate check sees one number."""
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in SAMPLE[:17]) + "ｘ"
    assert parse_id_number(full_width) == (SAMPLE, dt.date(1949, 12, 31))


def test_a_leap_day_birth_is_accepted() -> None:
    value = _make("320612", dt.date(2004, 2, 29), 7)
    assert parse_id_number(value)[1] == dt.date(2004, 2, 29)


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (dt.date(2010, 6, 1), dt.date(2026, 6, 1), 16),  # the sixteenth birthday itself
        (dt.date(2010, 6, 2), dt.date(2026, 6, 1), 15),  # the day before it
        (dt.date(2008, 2, 29), dt.date(2024, 2, 29), 16),
        (dt.date(2008, 2, 29), dt.date(2025, 2, 28), 16),  # not yet 17: falls on 1 March
        (dt.date(2008, 2, 29), dt.date(2025, 3, 1), 17),
    ],
)
def test_age_on(born: dt.date, day: dt.date, age: int) -> None:
    assert age_on(born, day) == age
