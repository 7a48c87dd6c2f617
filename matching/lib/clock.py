"""The one place that reads the wall clock, so tests can move time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

_TZ = ZoneInfo("Asia/Shanghai")
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    """Aware UTC now (shifted in tests by :func:`travel`)."""
    return dt.datetime.now(dt.UTC) + _offset


def today() -> dt.date:
    """Today's date where the agencies work (Asia/Shanghai)."""
    return now().astimezone(_TZ).date()


def local(value: dt.datetime | dt.date) -> dt.datetime:
    """An aware time: a naive time or a date (its midnight) is read where the agencies work."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if value.tzinfo is not None else value.replace(tzinfo=_TZ)


def beijing(value: dt.datetime) -> dt.datetime:
    """A stored (aware, UTC) time as a person in the agencies' country reads it. Every time a
    page, a notice or an export shows is this; the API answers ISO 8601 with its offset."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # a stored time without its zone is UTC
    return value.astimezone(_TZ)


def travel(delta: dt.timedelta) -> None:
    """Move the clock by ``delta`` (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = dt.timedelta(0)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years between ``birth`` and ``day`` (a 29 February birthday falls on 1 March)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
"""The days a date a person gives may fall on: 0001-01-01 or 9999-12-31 is a slip of the
keyboard, and a day that near either end of the calendar overflows the arithmetic on it."""
OUT_OF_RANGE = "must lie in the years 1900–2100"


def plausible(day: dt.date) -> bool:
    """Whether ``day`` lies in :data:`FIRST_DAY` … :data:`LAST_DAY`."""
    return FIRST_DAY <= day <= LAST_DAY
