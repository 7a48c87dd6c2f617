"""Checks for a Chinese mobile number and a resident ID number (GB 11643-1999)."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType
from phonenumbers.phonemetadata import PhoneMetadata

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ZEROS = ord("0") * sum(_WEIGHTS)
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only: [0-9] is not \d
_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}

# The province-level divisions of GB/T 2260 (Codes for the administrative divisions of the
# People's Republic of China), the first two digits of an ID number's address code
# (GB 11643-1999 § 4.2 points to GB/T 2260 for it), and 83, which the residence permits for
# Hong Kong, Macao and Taiwan residents (港澳台居民居住证, 2018) give Taiwan residents.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",  # 北京 天津 河北 山西 内蒙古
        "21", "22", "23",  # 辽宁 吉林 黑龙江
        "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
        "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
        "50", "51", "52", "53", "54",  # 重庆 四川 贵州 云南 西藏
        "61", "62", "63", "64", "65",  # 陕西 甘肃 青海 宁夏 新疆
        "71",  # 台湾
        "81", "82",  # 香港 澳门
        "83",  # 台湾居民居住证: the residence permits of 2018 number Taiwan residents 830000…
    }
)  # fmt: skip

# A phone as people write one: digits, spaces and dashes, after a leading + (only +86, or
# 0086, passes the mainland check below). Typed with a Chinese IME they may come full-width,
# which is the same number; anything else (a letter, an "ext." tail, a zero-width or other
# invisible character, another script's digits) is refused, not parsed around.
_PHONE_CHARS = re.compile(r"\+?[0-9][0-9 -]*")
_PLAIN_MOBILE = re.compile(r"1[0-9]{10}")
_PLAIN_LENGTH = 11
_NOT_VALID = "must be a valid mainland China mobile number, e.g. 13812345678"
_NOT_MOBILE = "must be a mobile number (notices go out by SMS)"
_FULL_WIDTH = str.maketrans(
    {**{chr(0xFF10 + d): str(d) for d in range(10)}, "\uff0b": "+", "\uff0d": "-", "\u3000": " "}
)


@functools.cache
def _plain_mobile() -> Callable[[str], bool]:
    """Whether 11 digits ``1…`` are a valid mainland mobile, decided as phonenumbers'
    ``number_type`` decides it (``_number_type_helper``: the general pattern, then each
    special type, then fixed line and mobile) on the same CN metadata, with its patterns
    compiled once: the number is valid, of no special type (premium, toll-free, shared cost,
    VoIP, personal, pager, UAN, voicemail), and matches the mobile pattern (then it is
    MOBILE, or FIXED_LINE_OR_MOBILE if the fixed-line pattern matches too). False sends the
    number down phonenumbers' own path, which says what is wrong with it."""
    meta = PhoneMetadata.metadata_for_region("CN")
    if meta is None or meta.same_mobile_and_fixed_line_pattern:
        return lambda value: False

    def pattern(desc: Any) -> re.Pattern[str] | None:
        if desc is None or not desc.national_number_pattern:
            return None
        if desc.possible_length and _PLAIN_LENGTH not in desc.possible_length:
            return None
        return re.compile(desc.national_number_pattern)

    general, mobile = pattern(meta.general_desc), pattern(meta.mobile)
    if general is None or mobile is None:
        return lambda value: False
    special = [
        p
        for p in map(
            pattern,
            (
                meta.premium_rate,
                meta.toll_free,
                meta.shared_cost,
                meta.voip,
                meta.personal_number,
                meta.pager,
                meta.uan,
                meta.voicemail,
            ),
        )
        if p is not None
    ]

    def is_mobile(value: str) -> bool:
        return (
            mobile.fullmatch(value) is not None
            and general.fullmatch(value) is not None
            and not any(p.fullmatch(value) for p in special)
        )

    return is_mobile


def normalise_mobile(raw: str) -> str:
    """A Chinese mobile number in E.164 (+86...), or ValueError saying why not."""
    value = raw.translate(_FULL_WIDTH).strip(" ")
    if not value:
        raise ValueError("is not a phone number")
    if _PLAIN_MOBILE.fullmatch(value) is not None:
        # The form nearly every number comes in (a spreadsheet's 100,000 of them): the same
        # check of the same metadata, without the parse a written-out number needs. A mobile
        # by the patterns compiled once is +86 and its digits; any other is typed by
        # phonenumbers itself, which says what is wrong with it.
        if _plain_mobile()(value):
            return "+86" + value
        kind = phonenumbers.number_type(PhoneNumber(country_code=86, national_number=int(value)))
        if kind == PhoneNumberType.UNKNOWN:
            raise ValueError(_NOT_VALID)
        if kind not in _MOBILE:
            raise ValueError(_NOT_MOBILE)
        return "+86" + value
    if _PHONE_CHARS.fullmatch(value) is None:
        raise ValueError("may contain only digits, spaces, dashes and a leading +86")
    try:
        number = phonenumbers.parse(value, "CN")
    except NumberParseException as exc:
        raise ValueError("is not a phone number") from exc
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValueError(_NOT_VALID)
    if phonenumbers.number_type(number) not in _MOBILE:
        raise ValueError(_NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_digit(first17: str) -> str:
    """The check digit of 17 ASCII digits (ISO 7064 MOD 11-2): each digit's code point less
    that of ``0``, weighted."""
    return _CHECK[(sum(map(operator.mul, first17.encode("ascii"), _WEIGHTS)) - _ZEROS) % 11]


def parse_id_number(raw: str) -> tuple[str, dt.date]:
    """Validate an 18-character resident ID number; answer it normalised and its birth date."""
    # NFKC turns full-width digits (typed with a Chinese IME) into ASCII ones, so that one
    # number has one spelling and the duplicate check (a hash of it) cannot be side-stepped.
    # A number already in that one spelling (nearly all) is taken as it is.
    value = raw if _ID_SHAPE.fullmatch(raw) else unicodedata.normalize("NFKC", raw).strip().upper()
    if len(value) != 18:
        raise ValueError("must be 18 characters")
    if _ID_SHAPE.fullmatch(value) is None:
        raise ValueError("must be 17 digits followed by a digit or X")
    if value[:2] not in PROVINCE_CODES:
        raise ValueError("must begin with a province code of GB/T 2260 (e.g. 32 for Jiangsu)")
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise ValueError("holds an impossible birth date") from exc
    if born.year < 1900:
        raise ValueError("holds an impossible birth date")
    if check_digit(value[:17]) != value[17]:
        raise ValueError("has a wrong check digit")
    return value, born


def sex_of_id_number(value: str) -> str:
    """``female`` or ``male`` from a valid ID number: its 17th digit (the sequence code's
    last) is even for a woman and odd for a man (GB 11643-1999 § 4.3)."""
    return "female" if int(value[16]) % 2 == 0 else "male"


def mask_id_number(value: str) -> str:
    """``3201**********123X``: enough to recognise, not enough to misuse."""
    return value[:4] + "*" * 10 + value[-4:]
