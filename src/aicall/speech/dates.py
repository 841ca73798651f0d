"""Dates and times of day in Vietnamese words.

Dates are read day first, as Vietnamese write them: "15/04/2024" -> "ngày mười lăm tháng tư
năm hai nghìn không trăm hai mươi tư". Days 1-10 take "mồng" (north) or "mùng" (south);
April is "tháng tư", never "tháng bốn". Times use the 24-hour clock: "14h30" -> "mười bốn giờ
ba mươi phút".
"""

from __future__ import annotations

import calendar
import re

from aicall.speech.dialect import Dialect, words_for
from aicall.speech.errors import ReadingError
from aicall.speech.numbers import integer_words

__all__ = ["date_words", "parse_date", "parse_time", "time_words"]

# A time of day after the date, as spreadsheets export a date cell ("2024-04-15 00:00:00",
# "17/02/2022 9:50", "2024-04-15T09:30", "01/02/2024 9:50 AM"): a DATE field reads the date and
# ignores the time, whichever layout the date has.
_TIME_SUFFIX = r"(?:(?:[T ]|\s+)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp][Mm])?)?"
# Day first (15/04/2024, 5-4-2024, 15.04.2024): the same separator twice.
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})" + _TIME_SUFFIX, re.ASCII)
# Year first (2024-04-15, 2024/4/15).
_YEAR_FIRST = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})" + _TIME_SUFFIX, re.ASCII)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII)
# "14h30", "14h", "9g15", "14h30p", "14 giờ 30 phút"
_HOURS_MARK = re.compile(
    r"(\d{1,2})\s*(?:h|g|giờ)\s*(?:(\d{1,2})\s*(?:p|ph|phút|')?)?", re.IGNORECASE | re.ASCII
)


def parse_date(value: str) -> tuple[int, int, int]:
    """(year, month, day) of a date in one of the accepted layouts; impossible dates are errors."""
    text = value.strip()
    if not text:
        raise ReadingError("the value is empty", value=value)
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    elif match := _YEAR_FIRST.fullmatch(text):
        year, month, day = int(match[1]), int(match[3]), int(match[4])
    else:
        raise ReadingError(
            f"{value!r} is not a date: write it as dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy or yyyy-mm-dd",
            value=value,
        )
    if not 1 <= month <= 12:
        raise ReadingError(f"{value!r} is not a date: there is no month {month}", value=value)
    if year < 1:
        raise ReadingError(f"{value!r} is not a date: there is no year 0", value=value)
    days_in_month = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        raise ReadingError(
            f"{value!r} is not a date: {calendar.month_name[month]} {year} has {days_in_month} days",
            value=value,
        )
    return year, month, day


def date_words(value: str, dialect: str | Dialect = Dialect.NORTH) -> str:
    year, month, day = parse_date(value)
    day_text = integer_words(day, dialect)
    if day <= 10:
        day_text = f"{words_for(dialect).day_prefix} {day_text}"
    month_text = "tư" if month == 4 else integer_words(month, dialect)
    return f"ngày {day_text} tháng {month_text} năm {integer_words(year, dialect)}"


def parse_time(value: str) -> tuple[int, int, int]:
    """(hour, minute, second) of "HH:MM", "HH:MM:SS" or "14h30"; out-of-range parts are errors."""
    text = value.strip()
    if not text:
        raise ReadingError("the value is empty", value=value)
    if match := _CLOCK.fullmatch(text):
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    elif match := _HOURS_MARK.fullmatch(text):
        hour, minute, second = int(match[1]), int(match[2] or 0), 0
    else:
        raise ReadingError(f"{value!r} is not a time: write it as HH:MM, HH:MM:SS or 14h30", value=value)
    for amount, unit, limit in ((hour, "hour", 23), (minute, "minute", 59), (second, "second", 59)):
        if amount > limit:
            raise ReadingError(
                f"{value!r} is not a time: the {unit} must be 0-{limit}, not {amount}", value=value
            )
    return hour, minute, second


def time_words(value: str, dialect: str | Dialect = Dialect.NORTH) -> str:
    hour, minute, second = parse_time(value)
    parts = [f"{integer_words(hour, dialect)} giờ"]
    if minute or second:  # "mười bốn giờ" rather than "mười bốn giờ không phút"
        parts.append(f"{integer_words(minute, dialect)} phút")
    if second:
        parts.append(f"{integer_words(second, dialect)} giây")
    return " ".join(parts)
