"""Turn a raw tag value into the Vietnamese words a caller hears, by its reading type.

    >>> read("CURRENCY", "1.500.000đ")
    'một triệu năm trăm nghìn đồng'

Every refusal is a `ReadingError` whose message says, in English, what is wrong with the
value; the contacts API shows it to the operator who uploaded the value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from enum import StrEnum

from aicall.speech.dates import date_words, time_words
from aicall.speech.dialect import Dialect, parse_dialect
from aicall.speech.errors import ReadingError, UnknownReadingTypeError
from aicall.speech.numbers import digits_words, integer_words, parse_number_text
from aicall.speech.spelling import spell

__all__ = ["Dialect", "ReadingError", "ReadingType", "parse_reading_type", "read"]


class ReadingType(StrEnum):
    TEXT = "TEXT"  # read as written
    CURRENCY = "CURRENCY"  # an amount of Vietnamese đồng
    DATE = "DATE"
    SEQ2SEQ = "SEQ2SEQ"  # a code, one character at a time
    NUMBER = "NUMBER"  # integer or decimal, may be negative
    TIME = "TIME"  # time of day, 24-hour clock


def parse_reading_type(reading_type: str | ReadingType) -> ReadingType:
    """`"currency"`, `"CURRENCY"`, `ReadingType.CURRENCY` -> `ReadingType.CURRENCY`."""
    try:
        return ReadingType(str(reading_type).strip().upper())
    except ValueError:
        choices = ", ".join(t.value for t in ReadingType)
        raise UnknownReadingTypeError(
            f"unknown reading type {reading_type!r}: expected one of {choices}"
        ) from None


def read(reading_type: str | ReadingType, value: str, *, dialect: str | Dialect = "north") -> str:
    """The words for `value` read as `reading_type` in `dialect`; `ReadingError` if it cannot be."""
    reader = _READERS[parse_reading_type(reading_type)]
    # NFC: values typed on macOS or exported by some spreadsheets arrive decomposed ("đ" + marks).
    return reader(unicodedata.normalize("NFC", value), parse_dialect(dialect))


def _read_text(value: str, dialect: Dialect) -> str:
    text = " ".join(value.split())  # newlines and tabs from spreadsheets become single spaces
    if not text:
        raise ReadingError("the value is empty", value=value)
    return text


# A unit written before or after the amount: "1.500.000đ", "1,500,000 VND", "VNĐ 1.500.000",
# "1500000 dong" (typed without diacritics).
_CURRENCY_UNIT = re.compile(r"^\s*(?:vnđ|vnd|₫)?\s*(.*?)\s*(?:vnđ|vnd|đồng|dong|đ|₫)?\s*$", re.IGNORECASE)


def _read_currency(value: str, dialect: Dialect) -> str:
    match = _CURRENCY_UNIT.match(value)
    amount = match[1] if match else value
    if not amount.strip():
        raise ReadingError(
            "the value is empty" if not value.strip() else f"{value!r} has no amount", value=value
        )
    if amount.lstrip()[:1] in ("-", "\u2212"):
        # A reminder never says a negative amount: a sign here is an accounting export mistake.
        raise ReadingError(f"{value!r} is a negative amount of money", value=value)
    number = parse_number_text(amount, what="an amount of money")
    if number.fraction.strip("0"):
        # The đồng has no smaller unit in use; a fraction is a data error, not something to round.
        raise ReadingError(f"{value!r} has a fraction of a đồng", value=value)
    return f"{integer_words(number.integer, dialect)} đồng"


def _read_number(value: str, dialect: Dialect) -> str:
    text = value.strip()
    percent = text.endswith("%")
    number = parse_number_text(text.removesuffix("%"))
    words = integer_words(number.integer, dialect)
    if number.fraction:
        words += " phẩy " + _fraction_words(number.fraction, dialect)
    if number.negative and (number.integer or number.fraction.strip("0")):
        words = "âm " + words
    return words + " phần trăm" if percent else words


def _fraction_words(fraction: str, dialect: Dialect) -> str:
    # How people say decimals: "2,25" hai phẩy hai mươi lăm, but "3,14159" and "1,05" digit by digit.
    if len(fraction) <= 2 and not fraction.startswith("0"):
        return integer_words(int(fraction), dialect)
    return digits_words(fraction)


def _read_seq2seq(value: str, dialect: Dialect) -> str:
    return spell(value)


_READERS: dict[ReadingType, Callable[[str, Dialect], str]] = {
    ReadingType.TEXT: _read_text,
    ReadingType.CURRENCY: _read_currency,
    ReadingType.DATE: date_words,
    ReadingType.SEQ2SEQ: _read_seq2seq,
    ReadingType.NUMBER: _read_number,
    ReadingType.TIME: time_words,
}
