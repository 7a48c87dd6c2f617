"""Checks for a Chinese mobile number and a resident ID number (GB 11643-1999)."""

from __future__ import annotations

import datetime as dt
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(raw: str) -> str:
    """A Chinese mobile number in E.164 (+86...), or ValueError saying why not."""
    try:
        number = phonenumbers.parse(raw.strip(), "CN")
    except NumberParseException as exc:
        raise ValueError("is not a phone number") from exc
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValueError("must be a valid mainland China mobile number, e.g. 13812345678")
    if phonenumbers.number_type(number) not in _MOBILE:
        raise ValueError("must be a mobile number (notices go out by SMS)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def parse_id_number(raw: str) -> tuple[str, dt.date]:
    """Validate an 18-character resident ID number; answer it normalised and its birth date."""
    # NFKC turns full-width digits (typed with a Chinese IME) into ASCII ones, so that one
    # number has one spelling and the duplicate check (a hash of it) cannot be side-stepped.
    value = unicodedata.normalize("NFKC", raw).strip().upper()
    if len(value) != 18:
        raise ValueError("must be 18 characters")
    digits = "0123456789"
    if any(c not in digits for c in value[:17]) or value[17] not in digits + "X":
        raise ValueError("must be 17 digits followed by a digit or X")
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise ValueError("holds an impossible birth date") from exc
    if born.year < 1900:
        raise ValueError("holds an impossible birth date")
    if check_digit(value[:17]) != value[17]:
        raise ValueError("has a wrong check digit")
    return value, born


def mask_id_number(value: str) -> str:
    """``3201**********123X``: enough to recognise, not enough to misuse."""
    return value[:4] + "*" * 10 + value[-4:]
