"""Key form of a personalised field: `Họ tên` -> `ho_ten` (CONTRACT §2)."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def key_form(display_name: str) -> str:
    """Strip diacritics, lower-case, join words with `_`."""
    text = display_name.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub("_", text).strip("_")
