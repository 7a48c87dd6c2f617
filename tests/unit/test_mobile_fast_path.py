"""The plain 11-digit form of a mobile takes a shorter road through phonenumbers (no parse):
it must refuse and accept exactly what the full parse does."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException

from matching.lib.identity import normalise_mobile

MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def by_parse(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "CN")
    except NumberParseException:
        return "refused"
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return "refused"
    if phonenumbers.number_type(number) not in MOBILE:
        return "not a mobile"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ours(value: str) -> str:
    try:
        return normalise_mobile(value)
    except ValueError as exc:
        return "not a mobile" if "SMS" in str(exc) else "refused"


def test_every_four_digit_prefix_agrees_with_the_full_parse() -> None:
    rnd = random.Random(11)
    values = [f"1{p:04d}{rnd.randrange(10**6):06d}" for p in range(10_000)]
    disagree = [(v, ours(v), by_parse(v)) for v in values if ours(v) != by_parse(v)]
    assert not disagree, disagree[:5]
    assert sum(ours(v).startswith("+86") for v in values) > 1000  # many are mobiles


@settings(max_examples=2000)
@given(st.integers(min_value=10**10, max_value=2 * 10**10 - 1))
def test_any_plain_eleven_digits_agree_with_the_full_parse(number: int) -> None:
    # The plain form is typed by phonenumbers' CN patterns compiled once; whatever 11 digits
    # beginning with 1 she writes, the answer (E.164, refused, not a mobile) is the parse's.
    value = str(number)
    assert ours(value) == by_parse(value)


@pytest.mark.parametrize("value", ["13812345678", "138 1234 5678", "+86 138-1234-5678"])
def test_written_forms_read_alike(value: str) -> None:
    assert normalise_mobile(value) == "+8613812345678"
