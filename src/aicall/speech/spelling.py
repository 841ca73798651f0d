"""Codes read one character at a time (SEQ2SEQ): licence plates, contract and order numbers.

Digits are read as words ("30A-123.45" -> "ba không a, một hai ba, bốn năm"); letters by their
Vietnamese names, the ones a call-centre agent uses to spell; separators (- . / _ space)
become a short pause so a listener hears the groups as written.
"""

from __future__ import annotations

import unicodedata

from aicall.speech.errors import ReadingError
from aicall.speech.numbers import DIGIT_WORDS

__all__ = ["LETTER_NAMES", "spell"]

LETTER_NAMES = {
    "a": "a",
    "ă": "á",
    "â": "ớ",
    "b": "bê",
    "c": "xê",
    "d": "dê",
    "đ": "đê",
    "e": "e",
    "ê": "ê",
    "f": "ép",
    "g": "giê",
    "h": "hát",
    "i": "i",
    "j": "gi",
    "k": "ca",
    "l": "e lờ",
    "m": "em mờ",
    "n": "en nờ",
    "o": "o",
    "ô": "ô",
    "ơ": "ơ",
    "p": "pê",
    "q": "quy",
    "r": "e rờ",
    "s": "ét xì",
    "t": "tê",
    "u": "u",
    "ư": "ư",
    "v": "vê",
    "w": "vê kép",
    "x": "ích xì",
    "y": "i dài",
    "z": "dét",
}
SEPARATORS = frozenset("-./_ \u00a0\t")
_PAUSE = ", "


def spell(value: str) -> str:
    """Read `value` character by character; separators become pauses."""
    code = unicodedata.normalize("NFC", value).strip()
    if not code:
        raise ReadingError("the value is empty", value=value)
    groups: list[list[str]] = [[]]
    for ch in code:
        if ch in SEPARATORS:
            if groups[-1]:
                groups.append([])  # several separators in a row make one pause
        elif ch in "0123456789":
            groups[-1].append(DIGIT_WORDS[int(ch)])
        elif ch.lower() in LETTER_NAMES:
            groups[-1].append(LETTER_NAMES[ch.lower()])
        else:
            raise ReadingError(
                f"{value!r} cannot be spelled: {ch!r} is not a digit, a Vietnamese letter "
                "without tone mark, or a separator (- . / _ space)",
                value=value,
            )
    spoken = [" ".join(group) for group in groups if group]
    if not spoken:
        # Separators alone ("....", "--") would be read as silence: a code with nothing in it.
        raise ReadingError(f"{value!r} has no letter or digit to spell", value=value)
    return _PAUSE.join(spoken)
