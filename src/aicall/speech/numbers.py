"""Numbers in Vietnamese words, and the parsing of numbers as people type them.

Reading rules (see docs/speech.md for the reasons):

* units after a tens word change sound: 21 hai mươi mốt (but 11 mười một, 1 một),
  24 hai mươi tư (but 14 mười bốn, 4 bốn), 15/25 mười lăm/hai mươi lăm (but 5 năm, 105 ... năm);
* an empty tens place before a unit is "linh" (north) or "lẻ" (south): 105 một trăm linh năm;
* a group of three digits after a larger group keeps its leading zeros: 1005 một nghìn
  không trăm linh năm, 1000050 một triệu không trăm năm mươi; all-zero groups are skipped;
* scales: nghìn/ngàn, triệu, tỷ; above a billion the count of tỷ is itself read as a number,
  so 10^12 is một nghìn tỷ and 10^15 một triệu tỷ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aicall.speech.dialect import Dialect, DialectWords, words_for
from aicall.speech.errors import ReadingError

__all__ = [
    "DIGIT_WORDS",
    "MAX_DIGITS",
    "ParsedNumber",
    "digits_words",
    "integer_words",
    "parse_number_text",
]

DIGIT_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
MAX_DIGITS = 18  # below 10^18 ("tỷ tỷ"): longer strings are data errors, not amounts
_BILLION = 10**9


def integer_words(number: int, dialect: str | Dialect = Dialect.NORTH) -> str:
    """`1005` -> "một nghìn không trăm linh năm"; negatives start with "âm"."""
    if number < 0:
        return "âm " + integer_words(-number, dialect)
    if number == 0:
        return DIGIT_WORDS[0]
    if number >= 10**MAX_DIGITS:
        raise ReadingError(f"{number} is too large to read (more than {MAX_DIGITS} digits)")
    return " ".join(_words_from_billions(number, full=False, words=words_for(dialect)))


def digits_words(digits: str) -> str:
    """`"0915"` -> "không chín một năm": one word per digit."""
    return " ".join(DIGIT_WORDS[int(digit)] for digit in digits)


def _words_from_billions(number: int, *, full: bool, words: DialectWords) -> list[str]:
    # `full`: a larger group was spoken before, so leading zeros of this one are said aloud.
    billions, rest = divmod(number, _BILLION)
    out: list[str] = []
    if billions:
        out += _words_from_billions(billions, full=full, words=words)
        out.append("tỷ")
    if rest:
        out += _words_below_billion(rest, full=full or bool(billions), words=words)
    return out


def _words_below_billion(number: int, *, full: bool, words: DialectWords) -> list[str]:
    out: list[str] = []
    for scale, scale_word in ((10**6, "triệu"), (10**3, words.thousand), (1, "")):
        group, number = divmod(number, scale)
        if group:
            out += _words_below_thousand(group, full=full or bool(out), words=words)
            if scale_word:
                out.append(scale_word)
    return out


def _words_below_thousand(number: int, *, full: bool, words: DialectWords) -> list[str]:
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    out: list[str] = []
    if hundreds or full:
        out += [DIGIT_WORDS[hundreds], "trăm"]
    if tens == 0:
        if units and out:
            out.append(words.zero_tens)
    elif tens == 1:
        out.append("mười")
    else:
        out += [DIGIT_WORDS[tens], "mươi"]
    if units:
        out.append(_unit_word(units, tens))
    return out


def _unit_word(units: int, tens: int) -> str:
    if units == 1 and tens >= 2:
        return "mốt"
    if units == 4 and tens >= 2:
        return "tư"
    if units == 5 and tens >= 1:
        return "lăm"
    return DIGIT_WORDS[units]


# ---------------------------------------------------------------------------------------------
# Parsing "1.500.000", "1,500,000.00", "1 500 000", "-3,5"...


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    negative: bool
    integer: int
    fraction: str  # digits after the decimal separator, as typed ("05" keeps its zero)


_SIGNS = {"-": True, "\u2212": True, "+": False}  # U+2212 is the typographic minus sign
_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space (French/Excel grouping)
_BODY = re.compile(r"[0-9][0-9.,\u0020\u00a0\u202f]*")


def parse_number_text(text: str, *, what: str = "a number") -> ParsedNumber:
    """Parse a number as typed in Vietnam or abroad; the rules are in docs/speech.md.

    "." and "," may each be the thousands or the decimal separator: when both appear, the
    last one is the decimal separator; when one appears more than once it groups thousands;
    when it appears once, it groups thousands only if exactly three digits follow it and
    the digits before it are a valid leading group (1-3 digits, not starting with 0).
    """
    body = text.strip()
    if not body:
        raise ReadingError("the value is empty", value=text)
    negative = False
    if body[0] in _SIGNS:
        negative, body = _SIGNS[body[0]], body[1:]
    if not _BODY.fullmatch(body) or body[-1] in _SPACES:
        raise ReadingError(f"{text!r} is not {what}: {_what_is_wrong(body)}", value=text)

    integer_part, fraction = _split_decimal(body, text)
    integer_digits = _ungroup(integer_part, text)
    if fraction and not fraction.isdigit():
        raise ReadingError(f"{text!r} has a space or separator after its decimal separator", value=text)
    significant = integer_digits.lstrip("0")
    if len(significant) > MAX_DIGITS:
        raise ReadingError(f"{text!r} is too large to read (more than {MAX_DIGITS} digits)", value=text)
    return ParsedNumber(negative=negative, integer=int(integer_digits), fraction=fraction)


def _split_decimal(body: str, text: str) -> tuple[str, str]:
    last_dot, last_comma = body.rfind("."), body.rfind(",")
    if last_dot < 0 and last_comma < 0:
        return body, ""
    if last_dot >= 0 and last_comma >= 0:
        decimal = "." if last_dot > last_comma else ","
    else:
        decimal = "." if last_dot >= 0 else ","
        if body.count(decimal) > 1:
            return body, ""  # repeated: thousands separators only
        before, after = body.split(decimal)
        leading_group = before.lstrip(_SPACES)
        if len(after) == 3 and 1 <= len(leading_group) <= 3 and not leading_group.startswith("0"):
            return body, ""  # "1.500" is fifteen hundred, as written in Vietnam
    integer_part, _, fraction = body.rpartition(decimal)
    if decimal in integer_part:
        raise ReadingError(f"{text!r} has more than one decimal separator", value=text)
    if not fraction:
        raise ReadingError(f"{text!r} ends with a separator", value=text)
    return integer_part, fraction


def _ungroup(integer_part: str, text: str) -> str:
    groups = re.split(r"[.,\u0020\u00a0\u202f]", integer_part)
    if len(groups) == 1:
        return groups[0]
    if not (1 <= len(groups[0]) <= 3) or any(len(group) != 3 for group in groups[1:]):
        raise ReadingError(
            f"{text!r} has misplaced thousands separators (expected groups of three digits)", value=text
        )
    return "".join(groups)


def _what_is_wrong(body: str) -> str:
    if not body:
        return "there are no digits"
    bad = next((ch for ch in body if ch not in "0123456789.," + _SPACES), None)
    if bad is not None:
        return f"it contains {bad!r}; only digits and the separators . , and space are allowed"
    return "it must start and end with a digit"
