"""Phone numbers to E.164 (CONTRACT §2: `0987654321`, `84987654321`, `+84 98 765 4321`,
`098.765.4321` all become `+84987654321`)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, ValidationResult

# What people write between digits. Letters are refused: phonenumbers would read them as a
# vanity number (1-800-FLOWERS), which is never what a debt-reminder list means.
_ALLOWED = re.compile(r"^\+?[0-9 .\-()/]+$")
_ALLOWED_CHAR = re.compile(r"[0-9+ .\-()/]")
_SEPARATORS = re.compile(r"[ .\-()/]")
MAX_RAW_LENGTH = 32
# A number sent as a JSON integer has at most E.164's 15 digits (ITU-T E.164 §6.1).
MAX_PHONE_INTEGER = 10**15 - 1
# Nearly every number in a Vietnamese list is `0` or `+84` followed by a 9- or 10-digit national
# number not starting with 0. For those, phonenumbers.parse (two thirds of the cost of a number,
# the largest cost of an import) can only return country code 84 and those digits: the national
# prefix `0` is always stripped (no VN national number starts with 0), 9 and 10 are possible VN
# lengths, and digits alone hold no extension. So the number is built directly; is_valid_number
# still decides, and anything it refuses takes the full path below for the same answer.
_VN_NATIONAL = re.compile(r"(?:0|\+84)([1-9][0-9]{8,9})")

_REASONS = {
    ValidationResult.TOO_SHORT: "phone_number is too short",
    ValidationResult.TOO_LONG: "phone_number is too long",
    ValidationResult.INVALID_COUNTRY_CODE: "phone_number has an unknown country code",
    ValidationResult.INVALID_LENGTH: "phone_number has an invalid length",
}


class PhoneError(ValueError):
    """A phone number that cannot be dialled; the message says why."""


def normalise(raw: object, region: str = "VN") -> str:
    """E.164 form of `raw`, or PhoneError.

    JSON integers are accepted (spreadsheet exports turn numbers into numbers; the leading 0
    they drop is not needed to read a Vietnamese national number). Anything else that is not
    a string is refused.
    """
    if isinstance(raw, bool) or raw is None:
        raise PhoneError("phone_number is required" if raw is None else "phone_number must be a string")
    if isinstance(raw, int):
        if not 0 <= raw <= MAX_PHONE_INTEGER:
            raise PhoneError("phone_number is too long" if raw > 0 else "phone_number must not be negative")
        raw = str(raw)
    if not isinstance(raw, str):
        raise PhoneError("phone_number must be a string")
    text = _plain(raw).strip()
    if not text:
        raise PhoneError("phone_number is empty")
    if len(text) > MAX_RAW_LENGTH:
        raise PhoneError("phone_number is too long")
    if not _ALLOWED.match(text):
        bad = next((ch for ch in text if not _ALLOWED_CHAR.match(ch)), None)
        raise PhoneError(
            "phone_number may hold only digits, spaces, '+', '.', '-', '(', ')' and '/'"
            + (f", not {bad!r}" if bad is not None else ", and '+' only first")
        )
    return _normalise_digits(_SEPARATORS.sub("", text), region)


def _plain(raw: str) -> str:
    """`raw` as a number pasted from other software should have been typed.

    NFKC folds compatibility forms (Unicode UAX #15) into the plain ones: the full-width digits
    and plus (U+FF10-FF19, U+FF0B) East Asian input methods type, no-break and ideographic
    spaces. Format characters (general category Cf) are invisible and carry no
    digit: the byte-order mark a CSV's first cell keeps, bidirectional marks around a number
    pasted from right-to-left text, zero-width spaces from web pages. They are dropped.
    """
    if raw.isascii():
        return raw
    folded = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


# Re-imports send the same numbers again: the cache makes them cheap (a number costs about
# 70 us to validate, a hit about 1 us). Each entry holds about 260 bytes (key, result, link), so
# the bound is what the cache costs a long-running API: 16,384 entries, about 4 MiB, enough for
# the largest JSON import (AICALL_MAX_CONTACTS_PER_REQUEST, 10,000) to hit when sent again. At
# 65,536 it was 16 MiB that a server importing fresh numbers took 20 minutes to fill, which the
# soak (bench/bench_soak.py) read as memory still growing.
NORMALISED_CACHE = 16_384


@lru_cache(maxsize=NORMALISED_CACHE)
def _normalise_digits(compact: str, region: str) -> str:
    if region == "VN" and (match := _VN_NATIONAL.fullmatch(compact)) is not None:
        national = match.group(1)
        if phonenumbers.is_valid_number(PhoneNumber(country_code=84, national_number=int(national))):
            return "+84" + national
    candidates = [compact]
    if not compact.startswith("+") and compact.startswith("84") and len(compact) >= 10:
        candidates.append("+" + compact)  # `84987654321`: country code without the plus
    reason = "phone_number is not a valid phone number"
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if candidate is compact:
            reason = _REASONS.get(phonenumbers.is_possible_number_with_reason(number), reason)
    raise PhoneError(reason)
