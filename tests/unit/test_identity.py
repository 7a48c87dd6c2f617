"""Chinese mobile numbers and resident ID numbers (GB 11643-1999), without a database."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.lib.clock import age_on
from matching.lib.identity import (
    PROVINCE_CODES,
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


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13912345678", "+8613912345678"),
        ("139 1234 5678", "+8613912345678"),
        ("139-1234-5678", "+8613912345678"),
        ("+86 139 1234 5678", "+8613912345678"),
        ("0086 139-1234-5678", "+8613912345678"),
        ("＋８６ １３９１２３４５６７８", "+8613912345678"),  # full-width, from a Chinese IME
    ],
)
def test_digits_spaces_dashes_and_a_leading_86_are_accepted(raw: str, e164: str) -> None:
    assert normalise_mobile(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "139\u200b1234\u200b5678",  # zero-width spaces inside
        "\ufeff13912345678",  # a byte-order mark in front
        "139 1234 5678 ext. 12",
        "13912345678x12",
        "13912345678;ext=12",
        "tel:13912345678",
        "(139) 1234 5678",
        "139.1234.5678",
        "139/1234/5678",
        "1391234567O",  # a letter O for a zero
        "13912345678\n",
        "139\t12345678",
        "\u202e13912345678",  # a right-to-left override
        "1391234567\u0668",  # an Arabic-Indic digit
        "+86 139 1234 5678 +",
        "86+13912345678",
    ],
)
def test_anything_else_in_a_phone_is_refused_not_parsed_around(raw: str) -> None:
    with pytest.raises(ValueError, match="only digits, spaces, dashes"):
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


@pytest.mark.parametrize("province", ["00", "09", "10", "16", "47", "70", "90", "99", "84", "91"])
def test_a_region_that_is_no_province_is_refused(province: str) -> None:
    """With a right check digit and a real date, only the region is wrong."""
    body = f"{province}0612" + "19900517" + "123"
    with pytest.raises(ValueError, match="province code of GB/T 2260"):
        parse_id_number(body + check_digit(body))


def test_every_province_of_gb_t_2260_is_accepted() -> None:
    expected = {f"{p:02d}" for p in _PROVINCES}
    assert expected == PROVINCE_CODES and len(PROVINCE_CODES) == 35
    for province in sorted(PROVINCE_CODES):
        value = _make(f"{province}0101", dt.date(1990, 5, 17), 123)
        assert parse_id_number(value) == (value, dt.date(1990, 5, 17))


# --- mutants of 1,000 valid numbers, judged by a second, independent reading of the standard


_PROVINCES = [
    *range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
    *range(61, 66), 71, 81, 82, 83,  # 83: Taiwan residents' residence permits
]  # fmt: skip


def _really_valid(value: str) -> bool:
    """GB 11643-1999 read afresh: 17 digits and a check character such that
    sum(a_i * 2^(17-i)) + check ≡ 1 (mod 11) (ISO 7064 MOD 11-2, X standing for 10), a real
    date from 1900 on, and a province of GB/T 2260."""
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    if value[17] not in "0123456789X" or int(value[:2]) not in _PROVINCES:
        return False
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    check = 10 if value[17] == "X" else int(value[17])
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(value[:17])) + check
    return born.year >= 1900 and total % 11 == 1


def _accepted(value: str) -> bool:
    try:
        parse_id_number(value)
    except ValueError:
        return False
    return True


def _valid_number(rng: random.Random) -> str:
    born = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(73_000))
    region = f"{rng.choice(_PROVINCES)}{rng.randrange(10_000):04d}"
    return _make(region, born, rng.randrange(1000))


def _with_check(body17: str) -> str:
    return body17 + check_digit(body17)


def _mutants(rng: random.Random, value: str) -> list[str]:
    """One of each kind of mistake; the ones that only change the body get a recomputed
    check digit, so that only the region or the date is wrong."""
    out = []
    pos = rng.randrange(18)  # one character changed
    choices = "0123456789X" if pos == 17 else "0123456789"
    out.append(value[:pos] + rng.choice(choices.replace(value[pos], "")) + value[pos + 1 :])
    i, j = rng.sample(range(18), 2)  # two characters swapped (may be equal: then a no-op)
    swapped = list(value)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    out.append("".join(swapped))
    i = rng.randrange(17)  # two neighbours swapped
    out.append(value[:i] + value[i + 1] + value[i] + value[i + 2 :])
    bad_region = rng.choice([p for p in range(100) if p not in _PROVINCES])
    out.append(_with_check(f"{bad_region:02d}" + value[2:17]))
    year, month, day = value[6:10], value[10:12], value[12:14]
    bad_date = rng.choice(
        [
            f"{year}00{day}",
            f"{year}13{day}",
            f"{year}{month}00",
            f"{year}{month}32",
            f"{year}0230",
            "19000229",  # 1900 was not a leap year
            f"{rng.randrange(1000, 1900)}{month}{day}",
        ]
    )
    out.append(_with_check(value[:6] + bad_date + value[14:17]))
    wrong = rng.choice("0123456789X".replace(value[17], ""))  # the check character
    out.append(value[:17] + wrong)
    k = rng.randrange(18)  # a character dropped, or one added
    out.append(value[:k] + value[k + 1 :])
    out.append(value[:k] + rng.choice("0123456789") + value[k:])
    return out


def test_1000_mutated_numbers_none_invalid_accepted() -> None:
    rng = random.Random(20260301)
    valid = [_valid_number(rng) for _ in range(1000)]
    assert all(_really_valid(v) and _accepted(v) for v in valid)
    mutants = [mutant for v in valid for mutant in _mutants(rng, v)]
    invalid = [x for x in mutants if not _really_valid(x)]
    wrongly_accepted = [x for x in invalid if _accepted(x)]
    wrongly_refused = [x for x in mutants if _really_valid(x) and not _accepted(x)]
    assert len(mutants) == 8000 and len(invalid) > 7500, (len(mutants), len(invalid))
    assert wrongly_accepted == [], wrongly_accepted[:10]
    assert wrongly_refused == [], wrongly_refused[:10]


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
